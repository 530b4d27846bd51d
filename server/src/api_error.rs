//! The JSON error every route of the server answers with: `{"code", "message", …}` and
//! the HTTP status of its code. A leaf, so the REST API and the app's own file routes
//! share it without importing each other.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::AppError;

/// An error answered as JSON with the status of its code.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(self.0)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<backend::ServiceError> for ApiError {
    fn from(e: backend::ServiceError) -> Self {
        ApiError(e.into_app_error())
    }
}
