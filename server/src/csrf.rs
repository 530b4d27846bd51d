//! CSRF protection for every state-changing request made with a session cookie.
//!
//! Each session holds a random token. Pages receive it in the `mce_csrf` cookie (readable
//! by the page's script, `SameSite=Strict`), and every POST/PUT/PATCH/DELETE must send it
//! back in the `x-csrf-token` header: another site can neither read the cookie nor set the
//! header. Requests authenticated otherwise — API keys on `/api/v1/*`, signed webhooks —
//! carry no session cookie and are exempt.

use app::api::ssr::{new_csrf_token, CSRF_TOKEN};
use app::api::{CSRF_COOKIE, CSRF_HEADER};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use backend::secrets::constant_time_eq;
use domain::{AppError, ErrorCode};
use tower_sessions::Session;

/// Whether cookies get the `Secure` attribute.
#[derive(Clone, Copy)]
pub struct CsrfSettings {
    pub secure_cookies: bool,
}

/// Paths whose requests are authenticated without a session cookie.
fn exempt(path: &str) -> bool {
    path.starts_with("/api/v1/") || path.starts_with("/webhooks/") || path.starts_with("/api/hooks/") || path.starts_with("/sandbox/graph/")
}

fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn request_cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The middleware: rejects state-changing requests without the session's token
/// (403, `AUTH_005`), and hands the token to pages in a cookie.
pub async fn guard(State(settings): State<CsrfSettings>, session: Session, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if exempt(&path) {
        return next.run(req).await;
    }
    let stored: Option<String> = session.get(CSRF_TOKEN).await.ok().flatten();
    if changes_state(req.method()) {
        let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let valid = matches!((&stored, sent), (Some(s), Some(h)) if constant_time_eq(s.as_bytes(), h.as_bytes()));
        if !valid {
            tracing::warn!(path = %path, "request refused: missing or wrong CSRF token");
            let body = AppError::new(ErrorCode::CsrfRejected, "This page is out of date or the request did not come from MCE. Reload the page and try again.");
            return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
        }
    }
    let cookie_sent = request_cookie(&req, CSRF_COOKIE);
    let mut res = next.run(req).await;

    // Pages get a token; a sign-in may have replaced it. Fetch the latest one.
    let is_page = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    let mut token: Option<String> = session.get(CSRF_TOKEN).await.ok().flatten();
    if token.is_none() && is_page {
        let fresh = new_csrf_token();
        if session.insert(CSRF_TOKEN, &fresh).await.is_ok() {
            token = Some(fresh);
        }
    }
    if let Some(token) = token {
        if cookie_sent.as_deref() != Some(token.as_str()) {
            let secure = if settings.secure_cookies { "; Secure" } else { "" };
            if let Ok(v) = HeaderValue::from_str(&format!("{CSRF_COOKIE}={token}; Path=/; SameSite=Strict{secure}")) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    res
}
