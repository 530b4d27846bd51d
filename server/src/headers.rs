//! Security headers on every response (OWASP ASVS 3.4): pages carry a
//! Content-Security-Policy made per render with Leptos' nonce (set by `app::root::shell`);
//! everything else (JSON, files, errors) gets a policy that allows nothing to run. All get
//! `frame-ancestors 'none'` (no clickjacking), `X-Content-Type-Options: nosniff`, a
//! `Referrer-Policy` that keeps URLs (which may hold an invitation's token) on this site,
//! and HSTS when the server sits behind HTTPS (`MCE_SECURE_COOKIES`).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of responses that are not pages: nothing may run, load or frame them.
pub const NON_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// What the headers layer needs to know.
#[derive(Debug, Clone, Copy)]
pub struct HeaderSettings {
    /// Served over HTTPS: add `Strict-Transport-Security`.
    pub https: bool,
}

/// Adds the security headers a handler did not set itself.
pub async fn add(State(settings): State<HeaderSettings>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, NON_PAGE_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    for (name, value) in defaults {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    if settings.https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    res
}
