//! Crash safety: the server process is killed (SIGKILL) right after acknowledging changes and started
//! again on the same database; every acknowledged change is there.

use crate::both;
use crate::helpers::*;
use zhigai_server::client::SyncClient;
use zhigai_shared::Document;
use zhigai_shared::{Author, Inspection, ItemId, Stamp, Status, Template, Timestamp};

async fn start(url: &str) -> (tokio::process::Child, String) {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_zhigai-server"));
    zhigai_server::bench::start_server_process(exe, url)
        .await
        .unwrap()
}

async fn acknowledged_changes_survive_sigkill(backend: Backend) {
    let db = fresh_db(backend).await;
    {
        let store = zhigai_server::db::connect(&db.url).await.unwrap();
        seed(store.as_ref()).await;
    }
    let (mut server, base) = start(&db.url).await;
    let id = inspection_id("liuhe", 2027);
    let mut client = SyncClient::login(&base, "liuhe-head", PASSWORD)
        .await
        .unwrap();
    client.connect().await.unwrap();
    client
        .open(id, genesis_inspection("liuhe", 2027))
        .await
        .unwrap();
    let items: Vec<ItemId> = Template::national()
        .items()
        .take(10)
        .map(|i| i.id.clone())
        .collect();
    for (n, item) in items.iter().enumerate() {
        let stamp = Stamp::new(
            Author::new("u-liuhe-head", "李院长"),
            Timestamp(1_800_000_000_000 + n as i64),
        );
        client
            .inspection_mut(id)
            .set_status(item, Some(Status::Partial), &stamp)
            .unwrap();
        client
            .inspection_mut(id)
            .edit_note(item, 0, 0, &format!("第{n}条"), &stamp)
            .unwrap();
        assert!(
            client.wait_acked(id, WAIT).await.unwrap(),
            "edit {n} acknowledged"
        );
    }
    let acknowledged = client.inspection(id).view();
    // Kill at once after the last acknowledgement.
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    let (server, base) = start(&db.url).await;
    let mut reader = SyncClient::login(&base, "liuhe-member", PASSWORD)
        .await
        .unwrap();
    reader.connect().await.unwrap();
    reader.open(id, Inspection::empty()).await.unwrap();
    let complete = reader
        .wait_for(WAIT, |c| {
            items
                .iter()
                .all(|i| c.inspection(id).status(i) == Some(Status::Partial))
        })
        .await
        .unwrap();
    assert!(complete, "acknowledged changes were lost");
    assert_eq!(reader.inspection(id).view().items, acknowledged.items);
    drop(server);
    db.remove().await;
}
both!(acknowledged_changes_survive_sigkill);
