//! Several instances on one PostgreSQL database: every commit of a document is announced with
//! `pg_notify` inside its transaction (delivered only if it commits), and each instance listens. An
//! announcement from another instance for a document open here makes its task read what was stored and
//! tell its peers; announcements from this instance are ignored. LISTEN/NOTIFY rather than an owner lease
//! per document: any instance can serve any document (a load balancer needs no stickiness, a killed
//! instance's clients carry on through any other at once), the database that already orders the commits
//! carries the news, and there is no lease to expire or forward through.

use super::Hub;
use crate::db::{CHANGES_CHANNEL, ChangeFeed};
use std::time::Duration;
use tokio::sync::watch;
use zhigai_shared::sync::DocumentId;

/// Listens for other instances' commits until `shutdown` turns true. Returns at once when the store has no
/// feed (SQLite: one instance).
pub async fn listen(feed: Option<ChangeFeed>, hub: Hub, mut shutdown: watch::Receiver<bool>) {
    let Some(feed) = feed else {
        return;
    };
    loop {
        tokio::select! {
            () = serve(&feed, &hub) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One listening connection's life: returns when it fails.
async fn serve(feed: &ChangeFeed, hub: &Hub) {
    let mut listener = match sqlx::postgres::PgListener::connect(&feed.url).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for other instances' commits; retrying");
            return;
        }
    };
    if let Err(e) = listener.listen(CHANGES_CHANNEL).await {
        tracing::warn!(error = %e, "cannot listen for other instances' commits; retrying");
        return;
    }
    // Whatever was announced before this connection listened is read now.
    hub.refresh_all();
    loop {
        match listener.try_recv().await {
            Ok(Some(note)) => {
                if let Some(doc) = from_another(note.payload(), &feed.instance) {
                    hub.refresh(doc);
                }
            }
            // The connection was lost and made again: announcements in between may be lost.
            Ok(None) => hub.refresh_all(),
            Err(e) => {
                tracing::warn!(error = %e, "listening for other instances' commits failed; reconnecting");
                return;
            }
        }
    }
}

/// The document of an announcement `<instance> <doc id>` made by an instance other than `me`.
fn from_another(payload: &str, me: &str) -> Option<DocumentId> {
    let (instance, doc) = payload.split_once(' ')?;
    if instance == me {
        return None;
    }
    doc.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::from_another;
    use zhigai_shared::FacilityId;
    use zhigai_shared::sync::{DocKind, DocumentId};

    #[test]
    fn only_other_instances_announcements_name_a_document() {
        let doc = DocumentId::for_doc(DocKind::Inspection, &FacilityId::from("f"), 2026);
        assert_eq!(from_another(&format!("b {doc}"), "a"), Some(doc));
        assert_eq!(from_another(&format!("a {doc}"), "a"), None, "its own");
        assert_eq!(from_another("b not-an-id", "a"), None, "garbage");
        assert_eq!(from_another("", "a"), None);
    }
}
