//! `POST /api/hooks/{source_key}` (INGEST-2): a form or ad platform posts a lead, as JSON
//! or form-encoded fields, to a source's secret URL. `202` with the contact once it is
//! stored; `422` with the reason (nothing written) when the lead has no usable phone or a
//! field does not parse; `404` for an unknown key; `401` when the source requires an
//! `X-MCE-Signature` that is missing or wrong; `413` past 64 KB.

use crate::api_error::ApiError;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use backend::contacts::sources::{self, HookResult};
use domain::{AppError, ErrorCode};
use serde_json::{Map, Value};

/// Reads the body as JSON, or as form fields when the content type says so.
fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json").to_ascii_lowercase();
    if ct.starts_with("application/x-www-form-urlencoded") {
        let text = std::str::from_utf8(body).map_err(|_| ApiError(AppError::validation("The form is not UTF-8.")))?;
        let mut fields = Map::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            fields.insert(decode(k), Value::from(decode(v)));
        }
        return Ok(Value::Object(fields));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| ApiError(AppError::validation(format!("The body is not valid JSON: {e}."))))?;
    if !value.is_object() {
        return Err(ApiError(AppError::validation("The body must be a JSON object of the lead's fields.")));
    }
    Ok(value)
}

/// Percent-decoding of a form field (`+` is a space).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (char::from(bytes[i + 1]).to_digit(16), char::from(bytes[i + 2]).to_digit(16)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The handler.
pub async fn receive(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<HookResult>), ApiError> {
    if body.len() > sources::MAX_HOOK_BYTES {
        return Err(ApiError(AppError::new(ErrorCode::PayloadTooLarge, "A lead can be at most 64 KB.")));
    }
    let value = parse(&headers, &body)?;
    let signature = headers.get("x-mce-signature").and_then(|v| v.to_str().ok());
    let post = sources::HookPost { source_key: &key, raw: &body, body: &value, signature };
    let result = sources::receive_hook(&state.db, &state.cipher, &post, backend::clock::now_ms()).await?;
    Ok((StatusCode::ACCEPTED, Json(result)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_fields_are_percent_decoded() {
        assert_eq!(super::decode("Ana+Lima"), "Ana Lima");
        assert_eq!(super::decode("%2B55%2011"), "+55 11");
        assert_eq!(super::decode("100%"), "100%");
        assert_eq!(super::decode("caf%C3%A9"), "café");
    }
}
