//! `/webhooks/whatsapp` (CHAN-2): Meta's GET verification handshake, and signed POSTs
//! applied durably before answering 200.

use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use backend::whatsapp::webhook_writer::IngestError;
use backend::whatsapp::{ingest, signature};
use domain::whatsapp::webhook::WebhookPayload;
use serde::Deserialize;

/// Largest webhook body accepted (Meta's documented maximum).
pub const MAX_WEBHOOK_BYTES: usize = 3 * 1024 * 1024;

/// The handshake's query string.
#[derive(Debug, Deserialize)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
}

/// `GET /webhooks/whatsapp`: echoes `hub.challenge` when the verify token matches.
pub async fn verify(State(state): State<AppState>, Query(q): Query<Handshake>) -> Response {
    let expected = state.whatsapp.verify_token.as_deref();
    match (q.mode.as_deref(), q.verify_token.as_deref(), expected, q.challenge) {
        (Some("subscribe"), Some(sent), Some(expected), Some(challenge))
            if backend::secrets::constant_time_eq(sent.as_bytes(), expected.as_bytes()) && challenge.len() <= 256 =>
        {
            (StatusCode::OK, challenge).into_response()
        }
        _ => {
            tracing::warn!("webhook verification refused");
            (StatusCode::FORBIDDEN, "verification failed").into_response()
        }
    }
}

/// `POST /webhooks/whatsapp`: 401 for a bad or missing signature (nothing stored), 400 for
/// malformed JSON (the raw body is kept), 200 once the batch holding the payload has
/// committed, 503 at once while the writer's queue is full, 500 when it could not be
/// applied (Meta retries both).
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = state.whatsapp.app_secret.as_deref() else {
        tracing::error!("webhook refused: WHATSAPP_APP_SECRET is not set");
        return (StatusCode::UNAUTHORIZED, "signature cannot be checked").into_response();
    };
    let sig = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    if !signature::verify(secret.as_bytes(), &body, sig) {
        tracing::warn!(bytes = body.len(), "webhook refused: bad or missing signature");
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    let text = String::from_utf8_lossy(&body);
    let payload: WebhookPayload = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "malformed webhook body kept for inspection");
            return match ingest::record_malformed(&state.db, &text, &e.to_string()).await {
                Ok(()) => (StatusCode::BAD_REQUEST, "malformed JSON").into_response(),
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            };
        }
    };
    match state.ingest.apply(text.into_owned(), payload).await {
        Ok(report) => {
            tracing::info!(stored = report.messages_stored, duplicates = report.duplicate_messages, statuses = report.statuses_applied, "webhook applied");
            // Open inboxes hear about it now; the messages' consumers and the downloads
            // of inbound files start now.
            state.events.wake();
            state.wakeups.wake::<backend::conversations::inbound::HandleInbound>();
            state.wakeups.wake::<backend::whatsapp::media::DownloadMedia>();
            (StatusCode::OK, "OK").into_response()
        }
        // Not committed: Meta retries on any non-200.
        Err(IngestError::Busy) => {
            tracing::warn!(backlog = state.ingest.backlog(), "webhook refused: the writer is behind");
            (StatusCode::SERVICE_UNAVAILABLE, [(axum::http::header::RETRY_AFTER, "1")], "busy").into_response()
        }
        Err(IngestError::Failed) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
