//! The sandbox channel's Graph API simulator (CHAN-3), served by MCE itself under
//! `/sandbox/graph/{version}/…` with Meta's endpoints and JSON. It checks the bearer
//! token like Meta, records what the simulated customer receives, and then posts signed
//! status webhooks (sent → delivered → read) to this server's `/webhooks/whatsapp`, so a
//! sandbox number exercises exactly the client and webhook code of a real one.

use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use backend::whatsapp::sandbox;
use domain::dto::WaNumber;
use serde_json::{json, Value};
use std::time::Duration;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
}


fn meta_error((status, body): (u16, Value)) -> Response {
    (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), Json(body)).into_response()
}

/// The sandbox number for `pnid` when the bearer token is its own; else Meta's errors.
async fn authorise(state: &AppState, pnid: &str, headers: &HeaderMap) -> Result<WaNumber, Response> {
    let found = sandbox::find_by_phone_number_id(&state.db, &state.cipher, pnid).await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
    let Some((number, _org, token)) = found else {
        return Err(meta_error((400, json!({"error": {"message": format!("Unsupported post request. Object with ID '{pnid}' does not exist"), "type": "GraphMethodException", "code": 100, "error_subcode": 33, "fbtrace_id": "SBX"}}))));
    };
    match bearer(headers) {
        Some(t) if backend::secrets::constant_time_eq(t.as_bytes(), token.as_bytes()) => Ok(number),
        _ => Err(meta_error(sandbox::graph_error(190))),
    }
}

/// `GET /sandbox/graph/{version}/{pnid}`: the connection test.
pub async fn phone_number(State(state): State<AppState>, Path((_version, pnid)): Path<(String, String)>, headers: HeaderMap) -> Response {
    match authorise(&state, &pnid, &headers).await {
        Ok(n) => Json(json!({
            "verified_name": n.verified_name, "display_phone_number": n.display_phone_number, "quality_rating": "GREEN",
            "platform_type": "CLOUD_API", "status": "CONNECTED", "throughput": {"level": "STANDARD"}, "id": n.phone_number_id
        }))
        .into_response(),
        Err(r) => r,
    }
}

/// `POST /sandbox/graph/{version}/{pnid}/messages`: accepts a send like Meta and
/// schedules its status webhooks.
pub async fn messages(State(state): State<AppState>, Path((_version, pnid)): Path<(String, String)>, headers: HeaderMap, body: Bytes) -> Response {
    let number = match authorise(&state, &pnid, &headers).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return meta_error((400, json!({"error": {"message": "(#100) Invalid JSON", "type": "OAuthException", "code": 100, "fbtrace_id": "SBX"}})));
    };
    let accepted = match sandbox::accept_send(&state.db, &number, &body).await {
        Ok(Ok(a)) => a,
        Ok(Err(refusal)) => return meta_error(refusal),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if accepted.wa_message_id.is_empty() {
        return Json(json!({"success": true})).into_response();
    }
    let answer = json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": body.get("to"), "wa_id": accepted.customer}],
        "messages": [{"id": accepted.wa_message_id}]
    });
    tokio::spawn(emit_statuses(state, number, accepted));
    Json(answer).into_response()
}

/// Posts the planned status webhooks, signed like Meta's, at the simulator's pace.
async fn emit_statuses(state: AppState, number: WaNumber, accepted: sandbox::Accepted) {
    let step = state.sandbox.step_ms;
    let mut elapsed = 0u64;
    for (at_step, status) in &accepted.statuses {
        let due = *at_step as u64 * step;
        if due > elapsed {
            tokio::time::sleep(Duration::from_millis(due - elapsed)).await;
            elapsed = due;
        }
        let body = sandbox::status_webhook(&number, &accepted.wa_message_id, status, &accepted.customer, accepted.callback.as_deref());
        post_webhook(&state, body).await;
    }
}

/// Delivers a webhook body to this server's `/webhooks/whatsapp`, signed with the app
/// secret.
pub async fn post_webhook(state: &AppState, body: String) {
    match state.whatsapp.app_secret.as_deref() {
        Some(secret) => sandbox::deliver_webhook(&state.sandbox.public_url, secret, body).await,
        None => tracing::error!("the sandbox cannot sign webhooks: WHATSAPP_APP_SECRET is not set"),
    }
}
