//! The sandbox simulator's template endpoints, Meta's shapes under
//! `/sandbox/graph/{version}/…`: create, list and delete on `/{waba}/message_templates`,
//! read and edit on `/{template_id}`. The bearer must be the token of the sandbox number
//! whose WABA it is; a review's status webhook follows, signed, through this server's
//! `/webhooks/whatsapp` (decisions and JSON in `backend::whatsapp::sandbox_templates`).

use crate::sandbox::{bearer, meta_error, post_webhook};
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use backend::whatsapp::sandbox_templates::{self as store, MetaAnswer, Review};
use serde_json::Value;
use std::time::Duration;

fn internal() -> Response {
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// Checks that the bearer is the token of the sandbox number of `waba`; else Meta's
/// errors (100/33 for a WABA nobody has, 190 for a wrong token).
async fn authorise(state: &AppState, waba: &str, headers: &HeaderMap) -> Result<(), Response> {
    let found = store::find_by_waba_id(&state.db, &state.cipher, waba).await.map_err(|_| internal())?;
    let Some((_number, _org, token)) = found else { return Err(meta_error(store::unknown_object(waba))) };
    match bearer(headers) {
        Some(t) if backend::secrets::constant_time_eq(t.as_bytes(), token.as_bytes()) => Ok(()),
        _ => Err(meta_error(backend::whatsapp::sandbox::graph_error(190))),
    }
}

fn json_body(body: &Bytes) -> Result<Value, store::MetaError> {
    serde_json::from_slice(body).map_err(|_| store::invalid("The request body is not valid JSON."))
}

/// Answers a store decision: Meta's JSON (and its review's webhooks, posted later) or
/// Meta's error.
fn answer(state: &AppState, decided: backend::error::Result<MetaAnswer<(Value, Review)>>) -> Response {
    match decided {
        Ok(Ok((answer, review))) => {
            tokio::spawn(emit_review(state.clone(), review));
            Json(answer).into_response()
        }
        Ok(Err(refusal)) => meta_error(refusal),
        Err(_) => internal(),
    }
}

/// Posts a review's webhooks at the simulator's pace, like Meta's review taking a while.
async fn emit_review(state: AppState, review: Review) {
    let step = state.sandbox.step_ms;
    let mut elapsed = 0u64;
    for (at_step, body) in review.steps {
        let due = at_step as u64 * step;
        if due > elapsed {
            tokio::time::sleep(Duration::from_millis(due - elapsed)).await;
            elapsed = due;
        }
        post_webhook(&state, body).await;
    }
}

/// `POST /sandbox/graph/{version}/{waba}/message_templates`: submits a template.
pub async fn create(State(state): State<AppState>, Path((_version, waba)): Path<(String, String)>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = authorise(&state, &waba, &headers).await {
        return r;
    }
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(e) => return meta_error(e),
    };
    let decided = store::create(&state.db, &waba, &body).await;
    answer(&state, decided)
}

/// Query of the list (`fields` is accepted and ignored: every field is given).
#[derive(serde::Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
    after: Option<String>,
}

/// `GET /sandbox/graph/{version}/{waba}/message_templates?limit=…&after=…`.
pub async fn list(State(state): State<AppState>, Path((version, waba)): Path<(String, String)>, headers: HeaderMap, Query(q): Query<ListQuery>) -> Response {
    if let Err(r) = authorise(&state, &waba, &headers).await {
        return r;
    }
    let base = format!("{}/sandbox/graph/{version}/{waba}/message_templates", state.sandbox.public_url);
    match store::list(&state.db, &waba, q.limit, q.after.as_deref(), &base).await {
        Ok(Ok(page)) => Json(page).into_response(),
        Ok(Err(refusal)) => meta_error(refusal),
        Err(_) => internal(),
    }
}

/// Query of a delete.
#[derive(serde::Deserialize)]
pub struct DeleteQuery {
    name: Option<String>,
    hsm_id: Option<String>,
}

/// `DELETE /sandbox/graph/{version}/{waba}/message_templates?name=…[&hsm_id=…]`.
pub async fn delete(
    State(state): State<AppState>,
    Path((_version, waba)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<DeleteQuery>,
) -> Response {
    if let Err(r) = authorise(&state, &waba, &headers).await {
        return r;
    }
    let Some(name) = q.name.filter(|n| !n.is_empty()) else { return meta_error(store::invalid("The parameter name is required.")) };
    match store::delete(&state.db, &waba, &name, q.hsm_id.as_deref().filter(|h| !h.is_empty())).await {
        Ok(Ok(done)) => Json(done).into_response(),
        Ok(Err(refusal)) => meta_error(refusal),
        Err(_) => internal(),
    }
}

/// `GET /sandbox/graph/{version}/{id}` for a template id: the template object, or
/// `None` when `id` is no template (the caller tries a phone number next).
pub async fn get_object(state: &AppState, id: &str, headers: &HeaderMap) -> Option<Response> {
    let t = match store::get(&state.db, id).await {
        Ok(Some(t)) => t,
        Ok(None) => return None,
        Err(_) => return Some(internal()),
    };
    Some(match authorise(state, &t.waba_id, headers).await {
        Ok(()) => Json(t.to_meta()).into_response(),
        Err(r) => r,
    })
}

/// `POST /sandbox/graph/{version}/{template_id}`: edits a template (`components` or
/// `category`), which goes to review again.
pub async fn edit(State(state): State<AppState>, Path((_version, id)): Path<(String, String)>, headers: HeaderMap, body: Bytes) -> Response {
    let t = match store::get(&state.db, &id).await {
        Ok(Some(t)) => t,
        Ok(None) => return meta_error(store::unknown_object(&id)),
        Err(_) => return internal(),
    };
    if let Err(r) = authorise(&state, &t.waba_id, &headers).await {
        return r;
    }
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(e) => return meta_error(e),
    };
    let decided = store::edit(&state.db, &id, &body).await;
    answer(&state, decided)
}
