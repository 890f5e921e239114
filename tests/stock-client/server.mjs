// The stock automerge-repo sync server, in memory, as its documentation sets one up: the side-by-side for
// `zhigai-server bench --stock`. Prints "stock listening on <port>" once it listens on 127.0.0.1.
//   node server.mjs [port]
import { Repo } from "@automerge/automerge-repo";
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { WebSocketServer } from "ws";

const wss = new WebSocketServer({ host: "127.0.0.1", port: Number(process.argv[2] ?? 0) });
wss.on("listening", () => console.log(`stock listening on ${wss.address().port}`));
// A sync server announces nothing; it answers the documents peers ask for and forwards their changes.
new Repo({ network: [new NodeWSServerAdapter(wss)], peerId: "stock-server", sharePolicy: async () => false });
