//! The browser's sync task: the same automerge-repo client session as the server's tests use
//! (`zhigai_shared::sync::RepoClient`), over a WebSocket opened with a one-time ticket. It reconnects on the
//! browser's `online` event and otherwise with back-off (1 s doubling to 15 s), and reconnects when the
//! server stops answering while changes wait for acknowledgement.

use crate::api::{self, ApiFailure};
use crate::i18n::Msg;
use crate::workspace::{Net, Shared, Wake, Which, persist};
use futures::channel::mpsc::UnboundedReceiver;
use futures::{FutureExt, SinkExt, StreamExt, select};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use gloo_timers::future::TimeoutFuture;
use zhigai_shared::sync::{ClientEvent, RepoMessage, decode, encode};

const FIRST_BACKOFF_MS: u32 = 1_000;
const MAX_BACKOFF_MS: u32 = 15_000;
/// Changes waiting this long with nothing heard from the server: reconnect.
const STALL_MS: f64 = 5_000.0;

fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn set_net(ws: &Shared, net: Net) {
    let mut w = ws.borrow_mut();
    if w.net != net {
        w.net = net;
        w.changed();
    }
}

fn alive(ws: &Shared) -> bool {
    ws.borrow().alive
}

/// Runs until the workspace closes or the session turns out to be invalid.
pub async fn run(ws: Shared, mut wake: UnboundedReceiver<Wake>) {
    let mut backoff = FIRST_BACKOFF_MS;
    while alive(&ws) {
        if online() {
            let token = ws.borrow().token.clone();
            // The badge stays 离线 while the server cannot be reached at all.
            match api::sync_ticket(&token).await {
                Ok(ticket) => {
                    set_net(&ws, Net::Connecting);
                    let url = socket_url(&ticket.url);
                    if session(&ws, &url, &mut wake).await {
                        backoff = FIRST_BACKOFF_MS;
                    }
                    ws.borrow_mut().client.disconnected();
                }
                Err(ApiFailure::SessionExpired(_)) => {
                    set_net(&ws, Net::SessionExpired);
                    return;
                }
                Err(_) => {}
            }
        }
        if !alive(&ws) {
            return;
        }
        set_net(&ws, Net::Offline);
        pause(&mut wake, backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF_MS);
    }
}

/// Waits `ms`, or less if the browser comes back online or the workspace closes.
async fn pause(wake: &mut UnboundedReceiver<Wake>, ms: u32) {
    let mut timer = TimeoutFuture::new(ms).fuse();
    loop {
        select! {
            _ = timer => return,
            why = wake.next() => match why {
                Some(Wake::Online | Wake::Stop) | None => return,
                Some(Wake::Edit | Wake::Offline) => {}
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

/// One connection. Returns whether it got as far as the handshake (to reset the back-off).
async fn session(ws: &Shared, url: &str, wake: &mut UnboundedReceiver<Wake>) -> bool {
    let Ok(socket) = WebSocket::open(url) else {
        return false;
    };
    let (mut tx, rx) = socket.split();
    let mut rx = rx.fuse();
    let join = ws.borrow().client.join();
    if tx.send(Message::Bytes(encode(&join))).await.is_err() {
        return false;
    }
    let mut connected = false;
    let mut last_heard = now();
    loop {
        let mut tick = TimeoutFuture::new(1_000).fuse();
        let outgoing = select! {
            frame = rx.next() => match frame {
                Some(Ok(Message::Bytes(bytes))) => {
                    last_heard = now();
                    let (replies, handshake) = receive(ws, &bytes);
                    connected |= handshake;
                    replies
                }
                Some(Ok(Message::Text(_))) => Vec::new(),
                Some(Err(_)) | None => return connected,
            },
            why = wake.next() => match why {
                Some(Wake::Edit | Wake::Online) => outgoing(ws),
                Some(Wake::Offline | Wake::Stop) | None => {
                    let _ = tx.close().await;
                    return connected;
                }
            },
            _ = tick => {
                if !alive(ws) {
                    let _ = tx.close().await;
                    return connected;
                }
                let waiting = ws.borrow().unsynced() > 0;
                if waiting && now() - last_heard > STALL_MS {
                    // Changes sent but not acknowledged and the server silent: start afresh.
                    let _ = tx.close().await;
                    return connected;
                }
                Vec::new()
            }
        };
        for message in outgoing {
            if tx.send(Message::Bytes(encode(&message))).await.is_err() {
                return connected;
            }
        }
    }
}

/// Sync messages for both documents, where the server may lack something.
fn outgoing(ws: &Shared) -> Vec<RepoMessage> {
    let mut guard = ws.borrow_mut();
    let w = &mut *guard;
    let mut messages = Vec::new();
    messages.extend(w.client.sync_message(w.inspection_id, &w.inspection));
    messages.extend(w.client.sync_message(w.review_id, &w.review));
    messages
}

/// Handles one frame from the server; returns the replies and whether it completed the handshake.
fn receive(ws: &Shared, bytes: &[u8]) -> (Vec<RepoMessage>, bool) {
    let Ok(message) = decode(bytes) else {
        return (Vec::new(), false);
    };
    let event = ws.borrow_mut().client.handle(message);
    match event {
        ClientEvent::Connected { .. } => {
            set_net(ws, Net::Online);
            (outgoing(ws), true)
        }
        ClientEvent::Sync { document_id, data } => {
            let (reply, which) = {
                let mut guard = ws.borrow_mut();
                let w = &mut *guard;
                if document_id == w.inspection_id {
                    let r = w.client.receive(document_id, &mut w.inspection, &data);
                    (r, Which::Inspection)
                } else if document_id == w.review_id {
                    let r = w.client.receive(document_id, &mut w.review, &data);
                    (r, Which::Review)
                } else {
                    return (Vec::new(), false);
                }
            };
            persist(ws, which);
            let mut w = ws.borrow_mut();
            w.changed();
            match reply {
                Ok(reply) => (reply.into_iter().collect(), false),
                Err(e) => {
                    w.error = Some((Msg::BadSyncData, e.to_string()));
                    (Vec::new(), false)
                }
            }
        }
        ClientEvent::Unavailable { document_id } => {
            let mut w = ws.borrow_mut();
            if document_id == w.inspection_id {
                w.refused = true;
                w.changed();
            }
            (Vec::new(), false)
        }
        ClientEvent::Error { message } => {
            let mut w = ws.borrow_mut();
            w.error = Some((Msg::ServerSaid, message));
            w.changed();
            (Vec::new(), false)
        }
        ClientEvent::Ignored => (Vec::new(), false),
    }
}
