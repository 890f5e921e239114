//! Photo evidence on the server (issue 14, lines 3, 4 and 6): uploads checked for hash, type, size and the
//! right to write the facility; reads only for those who may read a document referencing the photo; the
//! store beside SQLite or in PostgreSQL; unreferenced uploads swept after the grace period, referenced ones
//! never; and every refusal a clear bilingual message that loses nothing else.

use crate::both;
use crate::helpers::{Backend, TestApp, WAIT, spawn_app_with, token};
use zhigai_server::blobs::{BlobStore, DatabaseBlobs, sweep};
use zhigai_shared::doc::NewPhoto;
use zhigai_shared::photo::{ImageType, PhotoHash, PhotoPhase, PhotoSubject};
use zhigai_shared::{ItemId, NewProblem, ProblemStatus};

const FACILITY: &str = "wangzhuang";
const MAX: usize = 64 * 1024;

/// A JPEG by its bytes (the server knows images by their magic numbers), distinct per `seed`.
fn jpeg(seed: &str, len: usize) -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    bytes.extend(seed.bytes().cycle().take(len.saturating_sub(bytes.len())));
    bytes
}

async fn put(
    app: &TestApp,
    token: &str,
    hash: &str,
    facility: Option<&str>,
    bytes: Vec<u8>,
) -> (u16, serde_json::Value) {
    let query = facility.map_or(String::new(), |f| format!("?facility={f}"));
    let r = reqwest::Client::new()
        .put(format!("{}/api/blobs/{hash}{query}", app.base))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn fetch(app: &TestApp, token: &str, hash: &str) -> (u16, Option<String>, Vec<u8>) {
    let r = reqwest::Client::new()
        .get(format!("{}/api/blobs/{hash}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, kind, r.bytes().await.unwrap().to_vec())
}

fn item_subject() -> PhotoSubject {
    PhotoSubject::Item {
        item: ItemId::from("T5.04"),
    }
}

/// `user` attaches the photo `bytes` to T5.04 of wangzhuang's 2026 inspection and syncs it.
async fn reference(app: &TestApp, user: &str, bytes: &[u8]) -> zhigai_shared::PhotoId {
    reference_in(app, user, FACILITY, bytes).await
}

/// `user` attaches the photo `bytes` to T5.04 of `facility`'s 2026 inspection and syncs it.
async fn reference_in(
    app: &TestApp,
    user: &str,
    facility: &str,
    bytes: &[u8],
) -> zhigai_shared::PhotoId {
    let (mut c, id) = app.with_inspection(user, facility, 2026).await;
    let stamp = c.stamp();
    let photo = c
        .inspection_mut(id)
        .add_photo(
            item_subject(),
            NewPhoto {
                hash: PhotoHash::of(bytes),
                size: bytes.len() as u64,
                mime: ImageType::Jpeg,
                caption: "药柜已上锁".to_owned(),
                location: Some((39.90731, 116.39142)),
            },
            &stamp,
        )
        .unwrap();
    c.push(id).await.unwrap();
    assert!(c.wait_acked(id, WAIT).await.unwrap());
    photo
}

fn bilingual(body: &serde_json::Value, code: &str) {
    assert_eq!(body["error"], code, "{body}");
    let zh = body["message"].as_str().unwrap_or_default();
    let en = body["message_en"].as_str().unwrap_or_default();
    assert!(
        zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{body}"
    );
    assert!(en.is_ascii() && en.len() > 20, "{body}");
}

/// Line 3: an upload is checked, kept once, and readable by those who may read a document that references
/// it — colleagues and the county, not another county, not before a document references it.
async fn uploads_are_checked_and_reads_follow_the_documents(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.max_photo_bytes = MAX).await;
    let head = token(&app, "wangzhuang-head").await;
    let member = token(&app, "wangzhuang-member").await;
    let reviewer = token(&app, "reviewer").await;
    let stranger = token(&app, "other-reviewer").await;
    let other_head = token(&app, "other-head").await;
    let bytes = jpeg("cabinet", 30_000);
    let hash = PhotoHash::of(&bytes).to_string();

    let (status, body) = put(&app, &head, &hash, Some(FACILITY), bytes.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["type"], "image/jpeg");
    assert_eq!(body["size"], 30_000);
    // The same photo again (a queue retrying after a lost answer) is fine and changes nothing.
    let (status, body) = put(&app, &head, &hash, Some(FACILITY), bytes.clone()).await;
    assert_eq!((status, &body["existed"]), (200, &serde_json::json!(true)));
    let meta = app
        .store
        .fetch_blob(&hash.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(meta.facility_id.as_str(), FACILITY);
    assert_eq!(meta.uploaded_by.as_str(), "u-wangzhuang-head");

    // Not referenced by any document yet: nobody reads it, not even a colleague.
    assert_eq!(fetch(&app, &member, &hash).await.0, 404);
    reference(&app, "wangzhuang-member", &bytes).await;
    for (who, token) in [("colleague", &member), ("county reviewer", &reviewer)] {
        let (status, kind, got) = fetch(&app, token, &hash).await;
        assert_eq!(status, 200, "{who}");
        assert_eq!(kind.as_deref(), Some("image/jpeg"), "{who}");
        assert_eq!(got, bytes, "{who}");
    }
    for (who, token) in [
        ("another county's reviewer", &stranger),
        ("another county's head", &other_head),
    ] {
        assert_eq!(fetch(&app, token, &hash).await.0, 404, "{who}");
    }
    // A hostile device of another county that learnt the hash writes it into its own facility's document:
    // the reference is accepted (it is that facility's to write) but opens nothing, since that facility never
    // uploaded the bytes.
    reference_in(&app, "other-head", "other-clinic", &bytes).await;
    for token in [&stranger, &other_head] {
        let (status, _, body) = fetch(&app, token, &hash).await;
        assert_eq!(status, 404);
        assert_ne!(body, bytes, "not the photo");
    }
    // Without a session, nothing.
    let r = reqwest::get(format!("{}/api/blobs/{hash}", app.base))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Referenced but never uploaded (the taking device is still offline): a clear answer, not a 500.
    let missing = jpeg("not yet", 1000);
    reference(&app, "wangzhuang-head", &missing).await;
    let r = reqwest::Client::new()
        .get(format!(
            "{}/api/blobs/{}",
            app.base,
            PhotoHash::of(&missing)
        ))
        .bearer_auth(&reviewer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    bilingual(&r.json().await.unwrap(), "photo_not_uploaded");
    app.stop().await;
}
both!(uploads_are_checked_and_reads_follow_the_documents);

/// Line 6: a non-image, an oversized file, a hash mismatch, a photo for another facility or by a role that
/// does not write: each refused with a clear bilingual message, nothing stored, and the next good upload
/// goes through.
async fn bad_uploads_are_refused_and_lose_nothing(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.max_photo_bytes = MAX).await;
    let head = token(&app, "wangzhuang-head").await;
    let reviewer = token(&app, "reviewer").await;

    let pdf = b"%PDF-1.7 not a photo, whatever it is called".to_vec();
    let (status, body) = put(
        &app,
        &head,
        &PhotoHash::of(&pdf).to_string(),
        Some(FACILITY),
        pdf,
    )
    .await;
    assert_eq!(status, 415);
    bilingual(&body, "not_an_image");

    let big = jpeg("big", MAX + 1);
    let (status, body) = put(
        &app,
        &head,
        &PhotoHash::of(&big).to_string(),
        Some(FACILITY),
        big,
    )
    .await;
    assert_eq!(status, 413);
    bilingual(&body, "photo_too_large");
    assert!(
        body["message"].as_str().unwrap().contains("0.1 MB"),
        "{body}"
    );

    let real = jpeg("real", 2000);
    let wrong = PhotoHash::of(b"something else").to_string();
    let (status, body) = put(&app, &head, &wrong, Some(FACILITY), real.clone()).await;
    assert_eq!(status, 422);
    bilingual(&body, "hash_mismatch");

    let hash = PhotoHash::of(&real).to_string();
    let (status, body) = put(&app, &head, &hash, Some("other-clinic"), real.clone()).await;
    assert_eq!(status, 403);
    bilingual(&body, "photo_forbidden");
    let (status, body) = put(&app, &head, &hash, Some("no-such-facility"), real.clone()).await;
    assert_eq!(
        status, 403,
        "an unknown facility answers as a forbidden one"
    );
    bilingual(&body, "photo_forbidden");
    let (status, body) = put(&app, &reviewer, &hash, Some(FACILITY), real.clone()).await;
    assert_eq!(
        status, 403,
        "reviewers read photos, they do not upload them"
    );
    bilingual(&body, "photo_forbidden");

    let (status, _) = put(
        &app,
        &head,
        "../../etc/passwd",
        Some(FACILITY),
        real.clone(),
    )
    .await;
    assert!(status == 400 || status == 404, "{status}");
    let (status, body) = put(&app, &head, &"z".repeat(64), Some(FACILITY), real.clone()).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = put(&app, &head, &hash, None, real.clone()).await;
    assert_eq!(status, 400, "{body}");

    // Nothing of the refused uploads was kept.
    for bytes in [jpeg("big", MAX + 1), real.clone()] {
        let h = PhotoHash::of(&bytes);
        assert_eq!(app.store.fetch_blob(&h).await.unwrap(), None);
    }
    // A connection that drops halfway through a photo keeps nothing of it either.
    {
        use tokio::io::AsyncWriteExt;
        let addr = app.base.trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head_part = format!(
            "PUT /api/blobs/{hash}?facility={FACILITY} HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {head}\r\nContent-Length: {}\r\n\r\n",
            real.len()
        );
        stream.write_all(head_part.as_bytes()).await.unwrap();
        stream.write_all(&real[..real.len() / 2]).await.unwrap();
        drop(stream);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(
            app.store.fetch_blob(&PhotoHash::of(&real)).await.unwrap(),
            None
        );
    }
    // And the next good upload goes on as if nothing happened.
    let (status, _) = put(&app, &head, &hash, Some(FACILITY), real).await;
    assert_eq!(status, 201);
    app.stop().await;
}
both!(bad_uploads_are_refused_and_lose_nothing);

/// Line 4: the bytes live beside a SQLite file or in PostgreSQL (where any instance reaching the database
/// reads them); an upload no document references is swept after the grace period; a referenced one is
/// never swept, and goes once its last reference is taken off.
async fn unreferenced_photos_are_swept_and_referenced_ones_kept(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.max_photo_bytes = MAX).await;
    let head = token(&app, "wangzhuang-head").await;
    let kept = jpeg("kept", 5000);
    let stray = jpeg("stray", 5000);
    for bytes in [&kept, &stray] {
        let (status, _) = put(
            &app,
            &head,
            &PhotoHash::of(bytes).to_string(),
            Some(FACILITY),
            bytes.clone(),
        )
        .await;
        assert_eq!(status, 201);
    }
    let photo = reference(&app, "wangzhuang-head", &kept).await;
    let url = app.database_url();
    let blobs: std::sync::Arc<dyn BlobStore> = match backend {
        Backend::Sqlite => {
            let file = url.trim_start_matches("sqlite://");
            let h = PhotoHash::of(&kept).to_string();
            let path = std::path::PathBuf::from(format!("{file}.photos"))
                .join(&h[..2])
                .join(&h);
            assert_eq!(
                std::fs::read(&path).unwrap(),
                kept,
                "a file beside the database"
            );
            std::sync::Arc::new(zhigai_server::blobs::FileBlobs::new(format!(
                "{file}.photos"
            )))
        }
        Backend::Postgres => {
            // Another instance's connection to the same database reads the same bytes.
            let other = zhigai_server::db::connect(&url).await.unwrap();
            let shared = DatabaseBlobs::new(other);
            assert_eq!(
                shared.get(&PhotoHash::of(&kept)).await.unwrap(),
                Some(kept.clone())
            );
            std::sync::Arc::new(DatabaseBlobs::new(app.store.clone()))
        }
    };
    let now = zhigai_server::clock::now_ms();
    // Within the grace period nothing goes.
    let swept = sweep(app.store.as_ref(), blobs.as_ref(), now - 30 * 86_400_000)
        .await
        .unwrap();
    assert_eq!(swept.removed, 0);
    // After it, the stray upload goes and the referenced one stays — bytes and record.
    let swept = sweep(app.store.as_ref(), blobs.as_ref(), now + 1)
        .await
        .unwrap();
    assert_eq!(swept.removed, 1);
    assert_eq!(blobs.get(&PhotoHash::of(&stray)).await.unwrap(), None);
    assert_eq!(
        app.store.fetch_blob(&PhotoHash::of(&stray)).await.unwrap(),
        None
    );
    assert_eq!(
        blobs.get(&PhotoHash::of(&kept)).await.unwrap(),
        Some(kept.clone())
    );
    let reviewer = token(&app, "reviewer").await;
    assert_eq!(
        fetch(&app, &reviewer, &PhotoHash::of(&kept).to_string())
            .await
            .2,
        kept
    );

    // The same photo on a problem's after-phase too: taking the item's copy off keeps it referenced.
    let (mut c, id) = app.with_inspection("wangzhuang-head", FACILITY, 2026).await;
    let stamp = c.stamp();
    let doc = c.inspection_mut(id);
    let problem = doc
        .add_problem(
            NewProblem {
                description: "药柜未上锁".to_owned(),
                ..NewProblem::default()
            },
            &stamp,
        )
        .unwrap();
    let again = doc
        .add_photo(
            PhotoSubject::Problem {
                problem: problem.clone(),
                phase: PhotoPhase::After,
            },
            NewPhoto {
                hash: PhotoHash::of(&kept),
                size: kept.len() as u64,
                mime: ImageType::Jpeg,
                caption: String::new(),
                location: None,
            },
            &stamp,
        )
        .unwrap();
    doc.update_problem(
        &problem,
        zhigai_shared::ProblemChange::Status(ProblemStatus::Rectified),
        &stamp,
    )
    .unwrap();
    c.wait_for(WAIT, |c| c.inspection(id).photos().len() == 2)
        .await
        .unwrap();
    c.inspection_mut(id).remove_photo(&photo, &stamp).unwrap();
    c.push(id).await.unwrap();
    assert!(c.wait_acked(id, WAIT).await.unwrap());
    let swept = sweep(app.store.as_ref(), blobs.as_ref(), now + 1)
        .await
        .unwrap();
    assert_eq!(swept.removed, 0, "still referenced by the problem");
    assert!(blobs.get(&PhotoHash::of(&kept)).await.unwrap().is_some());
    // Once the last reference is off, it goes.
    c.inspection_mut(id).remove_photo(&again, &stamp).unwrap();
    c.push(id).await.unwrap();
    assert!(c.wait_acked(id, WAIT).await.unwrap());
    let swept = sweep(app.store.as_ref(), blobs.as_ref(), now + 1)
        .await
        .unwrap();
    assert_eq!(swept.removed, 1);
    assert_eq!(blobs.get(&PhotoHash::of(&kept)).await.unwrap(), None);
    app.stop().await;
}
both!(unreferenced_photos_are_swept_and_referenced_ones_kept);

/// Line 5: the county's exports count photos per problem (before / after) and list them per item.
async fn exports_count_photos(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let bytes = jpeg("register", 3000);
    reference(&app, "wangzhuang-head", &bytes).await;
    let reviewer = token(&app, "reviewer").await;
    let csv = reqwest::Client::new()
        .get(format!(
            "{}/api/counties/demo-county/export.csv?year=2026&table=photos",
            app.base
        ))
        .bearer_auth(&reviewer)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    let text = csv.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("wangzhuang,"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("检查项,T5.04,,1"), "{line}");
    let problems = reqwest::Client::new()
        .get(format!(
            "{}/api/counties/demo-county/export.csv?year=2026&table=problems",
            app.base
        ))
        .bearer_auth(&reviewer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        problems
            .lines()
            .next()
            .unwrap()
            .ends_with("整改前照片,整改后照片"),
        "{problems}"
    );
    app.stop().await;
}
both!(exports_count_photos);

/// A flood of slow uploads cannot hold the server: past the configured number at once an upload is told to
/// come back (bilingual 503, which the app's queue retries), one too slow to arrive is cut off, and once they
/// are gone the next upload goes through.
async fn slow_uploads_cannot_hold_the_server(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app_with(backend, |s| {
        s.max_uploads = 1;
        s.upload_seconds = 8;
    })
    .await;
    let head = token(&app, "wangzhuang-head").await;
    let photo = jpeg("patient", 4000);
    let hash = PhotoHash::of(&photo).to_string();
    let addr = app.base.trim_start_matches("http://").to_owned();
    // A hostile client announces a photo and trickles nothing: it holds the one upload permit.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        format!(
            "PUT /api/blobs/{hash}?facility={FACILITY} HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {head}\r\nContent-Length: 4000\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let (status, body) = put(&app, &head, &hash, Some(FACILITY), photo.clone()).await;
    assert_eq!(status, 503, "{body}");
    bilingual(&body, "upload_busy");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    // The slow one is cut off after its time; then uploads go through again.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let (status, body) = put(&app, &head, &hash, Some(FACILITY), photo).await;
    assert_eq!(status, 201, "{body}");
    drop(slow);
    app.stop().await;
}
both!(slow_uploads_cannot_hold_the_server);
