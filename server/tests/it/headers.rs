//! Security headers (issue 11.14): a page's Content-Security-Policy allows its own
//! scripts by this render's nonce and the theme script by its hash, nothing inline else;
//! other responses allow nothing to run; nothing may frame MCE; HSTS behind HTTPS.

use crate::common::*;
use axum::http::{header, StatusCode};

fn csp(r: &Resp) -> String {
    r.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_page_allows_only_its_own_nonced_scripts_and_the_hashed_theme_script() {
    for app in apps().await {
        let mut c = Client::new(&app);
        let page = c.get("/login").await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.label);
        let policy = csp(&page);
        let nonce = policy.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("a nonce in script-src").to_owned();
        assert!(nonce.len() >= 16, "{policy}");
        assert!(!policy.contains("'unsafe-inline' 'wasm") && !policy.split(';').any(|d| d.contains("script-src") && d.contains("unsafe-inline")), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("'wasm-unsafe-eval'"), "{policy}");
        // Every inline script of the page carries the nonce, or is the hashed theme script.
        for script in page.body.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap_or_default();
            let is_theme = script.contains("mce-theme");
            assert!(tag.contains(&format!("nonce=\"{nonce}\"")) || tag.contains("src=") || is_theme, "a script without the nonce: <script{tag}>");
        }
        assert!(policy.contains(&format!("'sha256-{}'", backend::whatsapp::media::sha256_b64(app::root::THEME_BOOT.as_bytes()))), "{policy}");
        let again = c.get("/login").await;
        assert!(!csp(&again).contains(&nonce), "a fresh nonce per render ({})", app.label);
        for (name, value) in [("x-content-type-options", "nosniff"), ("referrer-policy", "same-origin"), ("x-frame-options", "DENY")] {
            assert_eq!(page.headers.get(name).and_then(|v| v.to_str().ok()), Some(value), "{name} ({})", app.label);
        }
        assert!(page.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "no HSTS over plain HTTP ({})", app.label);
    }
}

#[tokio::test]
async fn responses_that_are_not_pages_allow_nothing_to_run_and_https_adds_hsts() {
    for app in apps_with(&[("MCE_SECURE_COOKIES", "true")]).await {
        let mut c = Client::new(&app);
        let health = c.get("/healthz").await;
        assert_eq!(csp(&health), server::headers::NON_PAGE_POLICY, "{}", app.label);
        let api = c.api_get("/api/v1/contacts", None).await;
        assert_eq!((api.status, csp(&api).as_str()), (StatusCode::UNAUTHORIZED, server::headers::NON_PAGE_POLICY), "{}", app.label);
        assert!(
            health.headers.get(header::STRICT_TRANSPORT_SECURITY).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("max-age=")),
            "HSTS when served over HTTPS ({})",
            app.label
        );
    }
}
