//! Logging in, throttling, expiry and revocation of sessions, and one-time tickets.

use crate::both;
use crate::helpers::*;
use serde_json::{Value, json};
use zhigai_server::client::SyncClient;

async fn login(app: &TestApp, username: &str, password: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/login", app.base))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn me(app: &TestApp, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}/api/me", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn a_wrong_password_is_401_and_repeated_failures_are_throttled(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = login(&app, "liuhe-head", "wrong-password").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "bad_credentials");
    assert!(body["message"].as_str().unwrap().contains("密码"));
    let (status, _) = login(&app, "nobody", PASSWORD).await;
    assert_eq!(status, 401, "an unknown user looks like a wrong password");
    for _ in 0..4 {
        login(&app, "liuhe-head", "wrong-password").await;
    }
    let (status, body) = login(&app, "liuhe-head", PASSWORD).await;
    assert_eq!(status, 429, "throttled even with the right password");
    assert_eq!(body["error"], "throttled");
    let (status, body) = login(&app, "liuhe-member", PASSWORD).await;
    assert_eq!(status, 200, "other users are not throttled");
    assert_eq!(body["user"]["role"], "member");
    app.stop().await;
}
both!(a_wrong_password_is_401_and_repeated_failures_are_throttled);

async fn revoked_and_expired_sessions_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, first) = login(&app, "chengguan-head", PASSWORD).await;
    let (_, second) = login(&app, "chengguan-head", PASSWORD).await;
    let (t1, t2) = (
        first["token"].as_str().unwrap(),
        second["token"].as_str().unwrap(),
    );
    assert_eq!(me(&app, t1).await.0, 200);
    // The lost tablet: revoke the first session from the second.
    let r = reqwest::Client::new()
        .delete(format!(
            "{}/api/sessions/{}",
            app.base,
            first["session_id"].as_str().unwrap()
        ))
        .bearer_auth(t2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (status, body) = me(&app, t1).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("session_expired"))
    );
    assert_eq!(me(&app, t2).await.0, 200);
    // Logout ends the second.
    let r = reqwest::Client::new()
        .post(format!("{}/api/logout", app.base))
        .bearer_auth(t2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(me(&app, t2).await.0, 401);
    assert_eq!(me(&app, "not-a-token").await.0, 401);
    app.stop().await;

    // Sessions that last zero days are expired at once.
    let app = spawn_app_with(backend, |s| s.session_days = 0).await;
    let (status, body) = login(&app, "chengguan-head", PASSWORD).await;
    assert_eq!(status, 200);
    let (status, body) = me(&app, body["token"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("session_expired"))
    );
    app.stop().await;
}
both!(revoked_and_expired_sessions_are_refused);

async fn tickets_work_once_and_not_after_they_expire(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.ticket_seconds = 1).await;
    let mut client = SyncClient::login(&app.base, "liuhe-member", PASSWORD)
        .await
        .unwrap();
    let ticket = client.ticket().await.unwrap();
    client.connect_with_ticket(&ticket).await.unwrap();
    client.disconnect();
    let reused = client.connect_with_ticket(&ticket).await;
    assert!(reused.is_err(), "a ticket opens one connection only");
    let stale = client.ticket().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        client.connect_with_ticket(&stale).await.is_err(),
        "an expired ticket is refused"
    );
    assert!(client.connect_with_ticket("made-up").await.is_err());
    // The sync route without a ticket is refused before any upgrade.
    let r = reqwest::Client::new()
        .get(format!("{}/api/sync", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    client.connect().await.unwrap();
    assert!(client.is_connected());
    app.stop().await;
}
both!(tickets_work_once_and_not_after_they_expire);

async fn invalid_json_gets_a_clear_400_and_the_server_keeps_serving(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = reqwest::Client::new();
    for body in ["{not json", "[]", r#"{"username": 3}"#, ""] {
        let r = client
            .post(format!("{}/api/login", app.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body:?}");
        let error: Value = r.json().await.unwrap();
        assert_eq!(error["error"], "bad_request", "{body:?}");
        assert!(error["message"].as_str().unwrap().starts_with("请求有误"));
        assert!(!error["message_en"].as_str().unwrap().is_empty());
    }
    let (status, _) = login(&app, "reviewer", PASSWORD).await;
    assert_eq!(status, 200, "still serving");
    app.stop().await;
}
both!(invalid_json_gets_a_clear_400_and_the_server_keeps_serving);
