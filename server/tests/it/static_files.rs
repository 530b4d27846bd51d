//! Static files: the app's JS, CSS and WASM go out compressed to browsers that accept it,
//! and unchanged to those that do not.

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use leptos::prelude::LeptosOptions;

/// The router with its site root in a temporary directory holding `pkg/mce.js`.
async fn app_serving(js: &str) -> TestApp {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let site = std::env::temp_dir().join(format!("mce-site-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/mce.js"), js).unwrap();
    let cfg = config(&[("WHATSAPP_API_BASE", "http://127.0.0.1:9")]);
    let t = backend::testing::sqlite().await;
    let options = LeptosOptions::builder().output_name("mce").site_root(site.display().to_string()).build();
    let state = server::web::app_state(options, t.db.clone(), &cfg, backend::testing::test_cipher(), "http://127.0.0.1:9").expect("state");
    TestApp { label: t.label, db: t.db, router: server::web::router(state, &cfg) }
}

fn get_with(encoding: Option<&str>) -> Request<Body> {
    let mut req = Request::builder().uri("/pkg/mce.js");
    if let Some(e) = encoding {
        req = req.header(header::ACCEPT_ENCODING, e);
    }
    req.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_apps_files_are_sent_compressed_to_browsers_that_accept_it() {
    let js = "export function hydrate() { console.log('hydrating the app'); }\n".repeat(400);
    let app = app_serving(&js).await;
    let mut c = Client::new(&app);

    let br = c.send(get_with(Some("gzip, deflate, br"))).await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()), Some("br"));
    assert!(
        br.headers.get(header::VARY).is_some_and(|v| v.to_str().unwrap().to_ascii_lowercase().contains("accept-encoding")),
        "caches keep one copy per encoding"
    );

    let gz = c.send(get_with(Some("gzip"))).await;
    assert_eq!(gz.headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()), Some("gzip"));

    let plain = c.send(get_with(None)).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.body, js, "without Accept-Encoding the file is sent as it is");
}
