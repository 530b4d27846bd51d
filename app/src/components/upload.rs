//! Sending a file from the browser to a session route (`multipart/form-data` with the
//! CSRF header). Server functions take form fields, not files, so uploads use `fetch`
//! directly.

/// Posts `file` (and the text `fields`) to `url`; the answer's body, or the server's
/// error (with its code) on failure.
#[cfg(feature = "hydrate")]
pub async fn post_file(url: &str, file: web_sys::File, fields: &[(&str, &str)]) -> Result<String, domain::AppError> {
    use domain::{AppError, ErrorCode};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let broken = |_| AppError::new(ErrorCode::Internal, "The file could not be sent: check your connection and try again.");
    let form = web_sys::FormData::new().map_err(broken)?;
    form.append_with_blob_and_filename("file", &file, &file.name()).map_err(broken)?;
    for (name, value) in fields {
        form.append_with_str(name, value).map_err(broken)?;
    }
    let headers = web_sys::Headers::new().map_err(broken)?;
    if let Some(token) = crate::api::client::csrf_token() {
        headers.append(crate::api::CSRF_HEADER, &token).map_err(broken)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&form);
    init.set_headers(&headers);
    let window = web_sys::window().ok_or_else(|| AppError::new(ErrorCode::Internal, "No window."))?;
    let res: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(broken)?.dyn_into().map_err(broken)?;
    let body = JsFuture::from(res.text().map_err(broken)?).await.map_err(broken)?.as_string().unwrap_or_default();
    if res.ok() {
        return Ok(body);
    }
    Err(serde_json::from_str::<AppError>(&body).unwrap_or_else(|_| AppError::new(ErrorCode::Internal, format!("The file was refused ({}).", res.status()))))
}
