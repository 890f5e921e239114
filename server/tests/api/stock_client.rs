//! A stock `@automerge/automerge-repo` client (Node, the npm packages as published) syncs with the server
//! given a ticket: it reads a facility's inspection and writes to it, and the typed API sees the write — when
//! the write is stamped by the signed-in user; an unstamped one is refused.

use crate::both;
use crate::helpers::*;
use std::path::Path;
use std::process::Command;
use zhigai_server::client::SyncClient;
use zhigai_shared::Status;

async fn a_stock_automerge_repo_client_reads_and_writes_with_a_ticket(backend: Backend) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/stock-client");
    assert!(
        dir.join("node_modules/@automerge/automerge-repo").is_dir(),
        "run `npm install` in tests/stock-client (scripts/test does)"
    );
    let app = spawn_app(backend).await;
    let user = SyncClient::login(&app.base, "liuhe-head", PASSWORD)
        .await
        .unwrap();
    let stored = app.stored_inspection("liuhe", 2026).await.unwrap();
    let url = inspection_id("liuhe", 2026).url();
    let ws = |ticket: String| {
        format!(
            "{}/api/sync?ticket={ticket}",
            app.base.replacen("http", "ws", 1)
        )
    };

    // An item nobody has answered yet: the stock client answers it.
    let target = stored
        .view()
        .items
        .values()
        .find(|i| i.status.is_none())
        .map(|i| i.id.clone())
        .unwrap();
    let run = |ticket: String, stamp: Option<String>| {
        let dir = dir.clone();
        let (ws_url, doc_url, item) = (ws(ticket), url.clone(), target.to_string());
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new("node");
            cmd.args(["sync.mjs", &ws_url, &doc_url, &item, "partial"]);
            cmd.args(stamp);
            cmd.current_dir(dir).output().unwrap()
        })
    };

    // Unstamped, as a stock client writes by default: refused, nothing stored.
    let output = run(user.ticket().await.unwrap(), None).await.unwrap();
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        app.stored_inspection("liuhe", 2026)
            .await
            .unwrap()
            .status(&target),
        None,
        "an unstamped change was stored"
    );

    // Stamped by the signed-in head: accepted.
    let stamp = serde_json::json!({
        "by": "u-liuhe-head", "name": "李院长", "at": 1_767_225_600_000_i64,
        "op": "set_status", "subject": target.as_str(), "value": "partial"
    });
    let output = run(user.ticket().await.unwrap(), Some(stamp.to_string()))
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(read["kind"], "zhigai/inspection");
    assert_eq!(read["facility"], "liuhe");
    let statuses = read["statuses"].as_object().unwrap();
    let expected: Vec<String> = stored
        .view()
        .items
        .values()
        .filter(|i| i.status.is_some())
        .map(|i| i.id.to_string())
        .collect();
    assert_eq!(
        statuses.len(),
        expected.len(),
        "the stock client read every answered item"
    );

    // Its write reached the server and reads back through the typed API.
    let mut checked = false;
    for _ in 0..50 {
        if app
            .stored_inspection("liuhe", 2026)
            .await
            .unwrap()
            .status(&target)
            == Some(Status::Partial)
        {
            checked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(checked, "the stock client's change was not stored");

    // Another county's document stays unavailable to it.
    let other = inspection_id("other-clinic", 2026).url();
    let ticket = user.ticket().await.unwrap();
    let ws_url = ws(ticket);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("sync.mjs")
            .arg(ws_url)
            .arg(other)
            .current_dir(dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        !output.status.success(),
        "another county's document was readable"
    );
    app.stop().await;
}
both!(a_stock_automerge_repo_client_reads_and_writes_with_a_ticket);
