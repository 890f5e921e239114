// A stock automerge-repo client, as a county's own tooling would use it: given a sync WebSocket URL (with
// its one-time ticket) and an automerge URL, it reads the document, optionally writes one status, and
// prints what it read as JSON. The server takes only changes stamped by the signed-in user: the optional
// stamp is zhigai's change message ({"by","name","at","op",…} as JSON).
//   node sync.mjs <ws-url> <automerge-url> [item-id status-code [stamp-json]]
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const [wsUrl, docUrl, writeItem, writeStatus, stamp] = process.argv.slice(2);
const fail = (message) => {
  console.error(message);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 20000);

const repo = new Repo({ network: [new WebSocketClientAdapter(wsUrl)], sharePolicy: async () => true });
let handle;
try {
  handle = await repo.find(docUrl);
} catch (e) {
  fail(`unavailable: ${e.message}`);
}
const doc = handle.doc();
const statuses = Object.fromEntries(
  Object.entries(doc.items ?? {}).filter(([, item]) => item.status).map(([id, item]) => [id, item.status]),
);
if (writeItem) {
  handle.change(
    (d) => {
      d.items[writeItem].status = writeStatus;
    },
    stamp ? { message: stamp } : {},
  );
  // Give the adapter time to send the change before leaving.
  await new Promise((resolve) => setTimeout(resolve, 1500));
}
console.log(JSON.stringify({ kind: doc.kind, facility: doc.facility, year: Number(doc.year), statuses }));
process.exit(0);
