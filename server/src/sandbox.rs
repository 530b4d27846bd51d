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

/// The bearer token of a Graph request.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
}

/// Meta's error JSON with its HTTP status.
pub(crate) fn meta_error((status, body): (u16, Value)) -> Response {
    (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), Json(body)).into_response()
}

/// The sandbox number for `pnid` when the bearer token is its own; else Meta's errors.
async fn authorise(state: &AppState, pnid: &str, headers: &HeaderMap) -> Result<WaNumber, Response> {
    let found = sandbox::find_by_phone_number_id(&state.db, &state.cipher, pnid).await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
    let Some((number, _org, token)) = found else {
        return Err(meta_error((
            400,
            json!({"error": {"message": format!("Unsupported post request. Object with ID '{pnid}' does not exist"), "type": "GraphMethodException", "code": 100, "error_subcode": 33, "fbtrace_id": "SBX"}}),
        )));
    };
    match bearer(headers) {
        Some(t) if backend::secrets::constant_time_eq(t.as_bytes(), token.as_bytes()) => Ok(number),
        _ => Err(meta_error(sandbox::graph_error(190))),
    }
}

fn graph_param_error(message: &str) -> Response {
    meta_error((400, json!({"error": {"message": format!("(#100) {message}"), "type": "OAuthException", "code": 100, "fbtrace_id": "SBX"}})))
}

/// `GET /sandbox/graph/{version}/{id}`: a media id answers with its download URL (valid
/// five minutes) like Meta's media API; a template id with the template; a phone number
/// id answers the connection test.
pub async fn get_object(State(state): State<AppState>, Path((_version, id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    match sandbox::media_file(&state.db, &id, false).await {
        Ok(Some((file, _))) => {
            if let Err(r) = authorise(&state, &file.phone_number_id, &headers).await {
                return r;
            }
            let expires = backend::clock::now_ms() + sandbox::MEDIA_URL_TTL_MS;
            Json(json!({
                "messaging_product": "whatsapp",
                "url": format!("{}/sandbox/media/{}?exp={expires}", state.sandbox.public_url, file.id),
                "mime_type": file.mime_type, "sha256": file.sha256, "file_size": file.file_size, "id": file.id
            }))
            .into_response()
        }
        Ok(None) => match crate::sandbox_templates::get_object(&state, &id, &headers).await {
            Some(template) => template,
            None => phone_number(&state, &id, &headers).await,
        },
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `DELETE /sandbox/graph/{version}/{media_id}`.
pub async fn delete_object(State(state): State<AppState>, Path((_version, id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Ok(Some((file, _))) = sandbox::media_file(&state.db, &id, false).await else {
        return graph_param_error(&format!("Object with ID '{id}' does not exist"));
    };
    if let Err(r) = authorise(&state, &file.phone_number_id, &headers).await {
        return r;
    }
    match sandbox::delete_media(&state.db, &id).await {
        Ok(_) => Json(json!({"success": true})).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `POST /sandbox/graph/{version}/{pnid}/media` (multipart: `messaging_product`, `type`,
/// `file`): stores the file and answers `{"id": …}`, refusing what Meta refuses (131053).
pub async fn upload_media(
    State(state): State<AppState>,
    Path((_version, pnid)): Path<(String, String)>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Response {
    let number = match authorise(&state, &pnid, &headers).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let (mut product, mut declared, mut file) = (None, None, None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name().unwrap_or_default() {
                "messaging_product" => product = field.text().await.ok(),
                "type" => declared = field.text().await.ok(),
                "file" => {
                    let (name, mime) = (field.file_name().map(str::to_owned), field.content_type().map(str::to_owned));
                    match field.bytes().await {
                        Ok(bytes) => file = Some((name, mime, bytes)),
                        Err(_) => return graph_param_error("The file could not be read."),
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return graph_param_error("The request is not valid multipart/form-data."),
        }
    }
    if product.as_deref() != Some("whatsapp") {
        return graph_param_error("The parameter messaging_product is required.");
    }
    let Some((name, part_mime, bytes)) = file else { return graph_param_error("The parameter file is required.") };
    let mime = domain::whatsapp::media::essence(&declared.or(part_mime).unwrap_or_default());
    if let Err(e) = domain::whatsapp::media::check_upload(&mime, bytes.len() as u64) {
        return meta_error((
            400,
            json!({"error": {"message": "(#131053) Media upload error", "type": "OAuthException", "code": 131053, "error_data": {"messaging_product": "whatsapp", "details": e.to_string()}, "fbtrace_id": "SBX"}}),
        ));
    }
    match sandbox::store_media(&state.db, &number.id, &mime, name.as_deref(), &bytes).await {
        Ok(f) => Json(json!({"id": f.id})).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Query of a simulator download URL.
#[derive(serde::Deserialize)]
pub struct DownloadQuery {
    exp: i64,
}

/// `GET /sandbox/media/{id}?exp=…`: the bytes, with the owning number's bearer token,
/// until the URL expires (then 404, like Meta's lookaside URLs).
pub async fn download_media(
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DownloadQuery>,
    headers: HeaderMap,
) -> Response {
    if q.exp < backend::clock::now_ms() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Ok(Some((file, Some(bytes)))) = sandbox::media_file(&state.db, &id, true).await else { return StatusCode::NOT_FOUND.into_response() };
    if let Err(r) = authorise(&state, &file.phone_number_id, &headers).await {
        return r;
    }
    ([(axum::http::header::CONTENT_TYPE, file.mime_type)], bytes).into_response()
}

/// `GET /sandbox/phone/media/{id}`: a file of the org's sandbox number for the signed-in
/// member's customer phone page (what the business sent, or the customer's photo).
pub async fn phone_media(State(state): State<AppState>, Path(id): Path<String>, session: tower_sessions::Session) -> Response {
    let Some(actor) = crate::signed_in::actor(&state, &session).await else { return StatusCode::UNAUTHORIZED.into_response() };
    match sandbox::phone_file(&state.db, &state.cipher, &actor, &id).await {
        Ok(Some((file, bytes))) => {
            ([(axum::http::header::CONTENT_TYPE, file.mime_type), (axum::http::header::CACHE_CONTROL, "private, max-age=3600".to_owned())], bytes)
                .into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The connection test's answer for a sandbox number.
async fn phone_number(state: &AppState, pnid: &str, headers: &HeaderMap) -> Response {
    match authorise(state, pnid, headers).await {
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
