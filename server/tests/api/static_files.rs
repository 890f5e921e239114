//! The server as the clinic app's host: client routes fall back to index.html, `sw.js` and pages are
//! revalidated on every load, fingerprinted files are cached for good, and precompressed copies are sent to
//! browsers that accept them. The review app under `/review/` has its own index.html for its routes.

use crate::helpers::{Backend, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_shell_is_served_with_the_right_caching_and_compression() {
    let dist = tempfile::tempdir().unwrap();
    let file = |name: &str, body: &[u8]| std::fs::write(dist.path().join(name), body).unwrap();
    file("index.html", b"<!doctype html><title>zhigai</title>");
    file("sw.js", b"// service worker");
    file("app-0123456789abcdef_bg.wasm", b"\0asm wasm bytes");
    file("app-0123456789abcdef_bg.wasm.br", b"brotli bytes");
    std::fs::create_dir(dist.path().join("review")).unwrap();
    file(
        "review/index.html",
        b"<!doctype html><title>zhigai review</title>",
    );
    file(
        "review/review-0123456789abcdef_bg.wasm",
        b"\0asm review bytes",
    );
    let dir = dist.path().to_owned();
    let app = spawn_app_with(Backend::Sqlite, move |s| s.static_dir = dir).await;
    let client = reqwest::Client::new();
    let get = async |path: &str, encoding: Option<&str>| {
        let mut request = client.get(format!("{}{path}", app.base));
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        let response = request.send().await.unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let (cache, encoding) = (header("cache-control"), header("content-encoding"));
        (
            response.status().as_u16(),
            cache,
            encoding,
            response.bytes().await.unwrap(),
        )
    };

    let (status, cache, _, body) = get("/f/wangzhuang/area/T3", None).await;
    assert_eq!(status, 200);
    assert_eq!(cache.as_deref(), Some("no-cache"));
    assert!(
        body.starts_with(b"<!doctype html>"),
        "client routes get index.html"
    );

    // The review app's routes get its own page, its files are its own and fingerprinted ones are cached.
    for path in [
        "/review",
        "/review/",
        "/review/county",
        "/review/f/wangzhuang/area/T3",
    ] {
        let (status, cache, _, body) = get(path, None).await;
        assert_eq!(
            (status, cache.as_deref()),
            (200, Some("no-cache")),
            "{path}"
        );
        assert!(body.ends_with(b"zhigai review</title>"), "{path}");
    }
    let (status, cache, _, body) = get("/review/review-0123456789abcdef_bg.wasm", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(&body[..], b"\0asm review bytes");
    let (status, _, _, body) = get("/reviewer", None).await;
    assert_eq!(status, 200);
    assert!(
        body.ends_with(b"zhigai</title>"),
        "only /review/… is the review app"
    );

    let (status, cache, _, _) = get("/sw.js", None).await;
    assert_eq!((status, cache.as_deref()), (200, Some("no-cache")));

    let (status, cache, encoding, body) = get("/app-0123456789abcdef_bg.wasm", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!((encoding, &body[..]), (None, &b"\0asm wasm bytes"[..]));

    let (_, _, encoding, body) = get("/app-0123456789abcdef_bg.wasm", Some("br, gzip")).await;
    assert_eq!(
        (encoding.as_deref(), &body[..]),
        (Some("br"), &b"brotli bytes"[..])
    );

    // The API is not shadowed by the app.
    let (status, _, _, _) = get("/api/me", None).await;
    assert_eq!(status, 401);
}
