//! CSRF protection for every state-changing request made with a session cookie.
//!
//! Each stored session holds a random token. Pages receive it in the `mce_csrf` cookie
//! (readable by the page's script, `SameSite=Strict`), and every POST/PUT/PATCH/DELETE must
//! send it back in the `x-csrf-token` header: another site can neither read the cookie nor
//! set the header. Requests authenticated otherwise — API keys on `/api/v1/*`, signed
//! webhooks — carry no session cookie and are exempt.
//!
//! A client without a session (the sign-in and sign-up pages) gets a *signed
//! double-submit* token instead, so that a GET from an anonymous client stores nothing:
//! `a.<nonce>.<HMAC of the nonce under a key derived from MCE_ENCRYPTION_KEY>`. A
//! state-changing request without a session token must send that token both in the
//! cookie and in the header, and its MAC must verify. Only signing in creates a session
//! row (with its own token).

use app::api::ssr::{new_csrf_token, CSRF_TOKEN};
use app::api::{CSRF_COOKIE, CSRF_HEADER};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use backend::secrets::{constant_time_eq, Cipher};
use domain::{AppError, ErrorCode};
use tower_sessions::Session;

/// Whether cookies get the `Secure` attribute, and the key that signs anonymous tokens.
#[derive(Clone)]
pub struct CsrfSettings {
    pub secure_cookies: bool,
    pub cipher: Cipher,
}

/// The MAC purpose of anonymous tokens.
const ANON_PURPOSE: &str = "csrf-anonymous";

/// A new signed anonymous token.
pub fn anonymous_token(cipher: &Cipher) -> String {
    let nonce = new_csrf_token();
    let mac = cipher.mac(ANON_PURPOSE, nonce.as_bytes());
    format!("a.{nonce}.{}", hex::encode(mac))
}

/// Whether `token` is an anonymous token this server signed.
pub fn anonymous_token_valid(cipher: &Cipher, token: &str) -> bool {
    let mut parts = token.splitn(3, '.');
    let (Some("a"), Some(nonce), Some(mac)) = (parts.next(), parts.next(), parts.next()) else { return false };
    let Ok(mac) = hex::decode(mac) else { return false };
    constant_time_eq(&cipher.mac(ANON_PURPOSE, nonce.as_bytes()), &mac)
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

/// The middleware: rejects state-changing requests without the session's token (or,
/// without a session, without a signed token echoed from the cookie): 403, `AUTH_005`.
/// Hands the token to pages in a cookie.
pub async fn guard(State(settings): State<CsrfSettings>, session: Session, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if exempt(&path) {
        return next.run(req).await;
    }
    let stored: Option<String> = session.get(CSRF_TOKEN).await.ok().flatten();
    let cookie_sent = request_cookie(&req, CSRF_COOKIE);
    if changes_state(req.method()) {
        let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let valid = match (&stored, sent) {
            (Some(s), Some(h)) => constant_time_eq(s.as_bytes(), h.as_bytes()),
            (None, Some(h)) => {
                cookie_sent.as_deref().is_some_and(|c| constant_time_eq(c.as_bytes(), h.as_bytes())) && anonymous_token_valid(&settings.cipher, h)
            }
            _ => false,
        };
        if !valid {
            tracing::warn!(path = %path, "request refused: missing or wrong CSRF token");
            let body = AppError::new(ErrorCode::CsrfRejected, "This page is out of date or the request did not come from MCE. Reload the page and try again.");
            return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
        }
    }
    let mut res = next.run(req).await;

    // Pages get a token; a sign-in may have replaced it. Fetch the latest one. Without a
    // session, a page gets a signed anonymous token (nothing is stored).
    let is_page = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    let mut token: Option<String> = session.get(CSRF_TOKEN).await.ok().flatten();
    if token.is_none() && is_page && !cookie_sent.as_deref().is_some_and(|c| anonymous_token_valid(&settings.cipher, c)) {
        token = Some(anonymous_token(&settings.cipher));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_tokens_verify_only_under_their_key() {
        let key = Cipher::new(&[7u8; 32]);
        let t = anonymous_token(&key);
        assert!(anonymous_token_valid(&key, &t));
        assert!(!anonymous_token_valid(&Cipher::new(&[8u8; 32]), &t), "another server key refuses it");
        let last = if t.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{last}", &t[..t.len() - 1]);
        assert!(!anonymous_token_valid(&key, &forged), "a changed MAC is refused");
        assert!(!anonymous_token_valid(&key, &new_csrf_token()), "an unsigned token is refused");
    }
}
