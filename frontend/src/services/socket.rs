//! The sync socket: a WebSocket to the server opened with a one-time ticket, kept open while the workspace
//! lives. It passes frames in as [`SocketEvent`]s and sends what it is told with [`SocketCmd`]s; what the
//! frames mean is the workspace state's business. It reconnects on the browser's `online` event and
//! otherwise with back-off (1 s doubling to 15 s), and ticks once a second so the state can notice a
//! server that stopped answering.

use crate::services::api::{self, ApiError};
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures::{FutureExt, SinkExt, StreamExt, select};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen_futures::spawn_local;
use yew::Callback;

const FIRST_BACKOFF_MS: u32 = 1_000;
const MAX_BACKOFF_MS: u32 = 15_000;

/// What the socket tells the workspace.
#[derive(Debug)]
pub enum SocketEvent {
    /// A connection opened: send the handshake.
    Opened,
    /// A binary frame from the server.
    Frame(Vec<u8>),
    /// The connection closed (or could not be opened).
    Closed,
    /// The server no longer accepts the session's token.
    SessionExpired,
    /// A second passed while connected.
    Tick,
}

/// What the workspace tells the socket.
#[derive(Debug)]
pub enum SocketCmd {
    /// Send this frame (dropped when not connected; the state sends again after the next handshake).
    Send(Vec<u8>),
    /// Close the connection and open a new one.
    Reconnect,
    /// The browser came back online: try now.
    Online,
    /// The browser went offline: close.
    Offline,
    /// The workspace closed: stop for good.
    Stop,
}

/// Starts the socket for a session; returns where to send commands.
pub fn start(token: String, events: Callback<SocketEvent>) -> UnboundedSender<SocketCmd> {
    let (tx, rx) = unbounded();
    spawn_local(run(token, events, rx));
    tx
}

fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// How one connection ended.
enum Ended {
    /// Closed or failed; `heard` if the server said anything (to reset the back-off).
    Closed { heard: bool },
    /// Told to stop.
    Stopped,
}

async fn run(token: String, events: Callback<SocketEvent>, mut cmds: UnboundedReceiver<SocketCmd>) {
    let mut backoff = FIRST_BACKOFF_MS;
    loop {
        if online() {
            // The badge stays 离线 while the server cannot be reached at all.
            match api::sync_ticket(&token).await {
                Ok(ticket) => {
                    let ended = connection(&socket_url(&ticket.url), &events, &mut cmds).await;
                    events.emit(SocketEvent::Closed);
                    match ended {
                        Ended::Stopped => return,
                        Ended::Closed { heard: true } => backoff = FIRST_BACKOFF_MS,
                        Ended::Closed { heard: false } => {}
                    }
                }
                Err(ApiError::SessionExpired(_)) => {
                    events.emit(SocketEvent::SessionExpired);
                    return;
                }
                // Unreachable or refusing for now: try again after the pause.
                Err(_) => {}
            }
        }
        if !pause(&mut cmds, backoff).await {
            return;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF_MS);
    }
}

/// Waits `ms`, or less if the browser comes back online. False when told to stop.
async fn pause(cmds: &mut UnboundedReceiver<SocketCmd>, ms: u32) -> bool {
    let mut timer = TimeoutFuture::new(ms).fuse();
    loop {
        select! {
            _ = timer => return true,
            cmd = cmds.next() => match cmd {
                Some(SocketCmd::Online | SocketCmd::Reconnect) => return true,
                Some(SocketCmd::Stop) | None => return false,
                // Frames wait for the next handshake, which resends what the server lacks.
                Some(SocketCmd::Send(_) | SocketCmd::Offline) => {}
            },
        }
    }
}

fn socket_url(path: &str) -> String {
    let location = web_sys::window().map(|w| w.location());
    let (protocol, host) = location
        .map(|l| {
            (
                l.protocol().unwrap_or_default(),
                l.host().unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    format!("{scheme}://{host}{path}")
}

/// One connection, until it closes or is told to go.
async fn connection(
    url: &str,
    events: &Callback<SocketEvent>,
    cmds: &mut UnboundedReceiver<SocketCmd>,
) -> Ended {
    let Ok(socket) = WebSocket::open(url) else {
        return Ended::Closed { heard: false };
    };
    let (mut tx, rx) = socket.split();
    let mut rx = rx.fuse();
    events.emit(SocketEvent::Opened);
    let mut heard = false;
    loop {
        let mut tick = TimeoutFuture::new(1_000).fuse();
        select! {
            frame = rx.next() => match frame {
                Some(Ok(Message::Bytes(bytes))) => {
                    heard = true;
                    events.emit(SocketEvent::Frame(bytes));
                }
                // The protocol is binary; text frames carry nothing for us.
                Some(Ok(Message::Text(_))) => {}
                Some(Err(_)) | None => return Ended::Closed { heard },
            },
            cmd = cmds.next() => match cmd {
                Some(SocketCmd::Send(frame)) => {
                    if tx.send(Message::Bytes(frame)).await.is_err() {
                        return Ended::Closed { heard };
                    }
                }
                Some(SocketCmd::Online) => {}
                Some(SocketCmd::Reconnect | SocketCmd::Offline) => {
                    // Closing a socket that is already failing has nothing left to report.
                    tx.close().await.ok();
                    return Ended::Closed { heard };
                }
                Some(SocketCmd::Stop) | None => {
                    tx.close().await.ok();
                    return Ended::Stopped;
                }
            },
            _ = tick => events.emit(SocketEvent::Tick),
        }
    }
}
