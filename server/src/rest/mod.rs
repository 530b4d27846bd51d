//! The REST API v1 (`/api/v1/*`): JSON in snake_case, authenticated by an org's API key
//! (`Authorization: Bearer mce_…`), every answer scoped to that key's org. A fetched or
//! created object is the top-level JSON object with its `id`; a list is `{"data": [...]}`;
//! an error is `{"code": "...", "message": "..."}` with a matching status.

pub mod contacts;
pub mod conversations;
pub mod me;
pub mod media;
pub mod messages;
pub mod numbers;
pub mod openapi;

use app::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::api_keys::ApiCaller;
use domain::AppError;
use serde::Serialize;

/// One documented route of the API: the router, the OpenAPI document and the tenant
/// isolation test all read this table, so a route cannot be added without them.
pub struct RouteDoc {
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// The path, with `{name}` parameters.
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// Whether the route needs an API key.
    pub authenticated: bool,
}

/// Every route of the API.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc { method: "get", path: "/api/v1/me", operation_id: "getMe", summary: "The organisation that owns the API key", authenticated: true },
    RouteDoc { method: "get", path: "/api/v1/openapi.json", operation_id: "getOpenApi", summary: "This OpenAPI document", authenticated: false },
    RouteDoc {
        method: "post",
        path: "/api/v1/numbers",
        operation_id: "createNumber",
        summary: "Connect a WhatsApp number (tests the connection with Meta first)",
        authenticated: true,
    },
    RouteDoc { method: "get", path: "/api/v1/numbers", operation_id: "listNumbers", summary: "The org's WhatsApp numbers", authenticated: true },
    RouteDoc { method: "get", path: "/api/v1/numbers/{id}", operation_id: "getNumber", summary: "One WhatsApp number", authenticated: true },
    RouteDoc {
        method: "get",
        path: "/api/v1/contacts",
        operation_id: "listContacts",
        summary: "Search the org's contacts (?q=, phone=, tag=, opt_in_status=, lead_status=, source=, sort=, page=, per_page=)",
        authenticated: true,
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/contacts",
        operation_id: "createContact",
        summary: "Create a contact (409 CONTACT_002 if the phone is taken, 422 CONTACT_003 if it is not a phone)",
        authenticated: true,
    },
    RouteDoc { method: "get", path: "/api/v1/contacts/{id}", operation_id: "getContact", summary: "One contact", authenticated: true },
    RouteDoc {
        method: "patch",
        path: "/api/v1/contacts/{id}",
        operation_id: "updateContact",
        summary: "Change a contact's fields (null clears one; tags replace)",
        authenticated: true,
    },
    RouteDoc { method: "delete", path: "/api/v1/contacts/{id}", operation_id: "deleteContact", summary: "Move a contact to the trash", authenticated: true },
    RouteDoc {
        method: "get",
        path: "/api/v1/conversations",
        operation_id: "listConversations",
        summary: "A contact's conversations (?contact_id=)",
        authenticated: true,
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/conversations/{id}/messages",
        operation_id: "listMessages",
        summary: "The messages of a conversation, oldest first",
        authenticated: true,
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/media",
        operation_id: "uploadMedia",
        summary: "Upload a file for a media message (multipart: number_id, file); checked against Meta's type and size limits",
        authenticated: true,
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/media/{id}",
        operation_id: "getMedia",
        summary: "A file's facts (uploads and customers' files)",
        authenticated: true,
    },
    RouteDoc { method: "get", path: "/api/v1/media/{id}/content", operation_id: "getMediaContent", summary: "A file's bytes", authenticated: true },
    RouteDoc {
        method: "post",
        path: "/api/v1/messages",
        operation_id: "sendMessage",
        summary: "Queue a message (text, template, media, interactive, reaction, location or contacts)",
        authenticated: true,
    },
];

/// The API's routes, to be nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me::get_me))
        .route("/openapi.json", get(openapi::get_document))
        .route("/numbers", post(numbers::create).get(numbers::list))
        .route("/numbers/{id}", get(numbers::get))
        .route("/contacts", get(contacts::list).post(contacts::create))
        .route("/contacts/{id}", get(contacts::get).patch(contacts::update).delete(contacts::delete))
        .route("/conversations", get(conversations::list))
        .route("/conversations/{id}/messages", get(conversations::messages))
        .route("/messages", post(messages::send))
        .route("/media", post(media::upload).layer(axum::extract::DefaultBodyLimit::max(domain::whatsapp::media::MAX_UPLOAD_BODY_BYTES)))
        .route("/media/{id}", get(media::get))
        .route("/media/{id}/content", get(media::content))
        .fallback(|| async { ApiError(AppError::not_found("Route")) })
}

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

/// A list answer: `{"data": [...]}`.
#[derive(Debug, Serialize)]
pub struct List<T: Serialize> {
    pub data: Vec<T>,
}

impl<T: Serialize> List<T> {
    /// Wraps items.
    pub fn of(data: Vec<T>) -> Self {
        Self { data }
    }
}

/// A JSON body whose rejection (wrong content type, bad JSON, missing field) is a
/// `422 VALIDATION_001` in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(ApiError(AppError::validation(format!("The request body is not valid: {}", e.body_text())))),
        }
    }
}

/// The caller of an API route, from the `Authorization: Bearer` key. Missing, malformed,
/// unknown and revoked keys are all `401 AUTH_002`.
pub struct ApiKeyAuth(pub ApiCaller);

impl ApiKeyAuth {
    /// The key as a service actor: it acts for its org with admin powers, and audit
    /// entries name the key.
    pub fn actor(&self) -> backend::auth::Actor {
        backend::auth::Actor::api_key(&self.0.org_id, &self.0.key_id.to_string())
    }
}

impl FromRequestParts<AppState> for ApiKeyAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let unauthenticated = || ApiError(AppError::new(domain::ErrorCode::NotAuthenticated, "A valid API key is required: send Authorization: Bearer <key>."));
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(unauthenticated)?;
        let caller = backend::api_keys::authenticate(&state.db, token).await?.ok_or_else(unauthenticated)?;
        tracing::Span::current().record("org_id", caller.org_id.as_str());
        Ok(ApiKeyAuth(caller))
    }
}
