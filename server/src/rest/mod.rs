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
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;

pub use crate::api_error::ApiError;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Json, Router};
use backend::api_keys::ApiCaller;
use domain::AppError;
use serde::Serialize;

/// One documented route of the API: the router is built from this table, and the OpenAPI
/// document and the tenant isolation test read it, so a route cannot be added without them.
pub struct RouteDoc {
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// The path, with `{name}` parameters.
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// Whether the route needs an API key.
    pub authenticated: bool,
    /// The handler on the row's method, with the route's own layers (given the method, so
    /// the method is written once, in `method`).
    pub handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

impl RouteDoc {
    /// The row's method as axum's filter.
    pub fn method_filter(&self) -> MethodFilter {
        match self.method {
            "get" => MethodFilter::GET,
            "post" => MethodFilter::POST,
            "put" => MethodFilter::PUT,
            "patch" => MethodFilter::PATCH,
            "delete" => MethodFilter::DELETE,
            other => panic!("ROUTES: unknown method {other:?} for {}", self.path),
        }
    }
}

/// Every route of the API.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "get",
        path: "/api/v1/me",
        operation_id: "getMe",
        summary: "The organisation that owns the API key",
        authenticated: true,
        handler: |m| on(m, me::get_me),
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/openapi.json",
        operation_id: "getOpenApi",
        summary: "This OpenAPI document",
        authenticated: false,
        handler: |m| on(m, openapi::get_document),
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/numbers",
        operation_id: "createNumber",
        summary: "Connect a WhatsApp number (tests the connection with Meta first)",
        authenticated: true,
        handler: |m| on(m, numbers::create),
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/numbers",
        operation_id: "listNumbers",
        summary: "The org's WhatsApp numbers",
        authenticated: true,
        handler: |m| on(m, numbers::list),
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/numbers/{id}",
        operation_id: "getNumber",
        summary: "One WhatsApp number",
        authenticated: true,
        handler: |m| on(m, numbers::get),
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/contacts",
        operation_id: "listContacts",
        summary: "Search the org's contacts (?q=, phone=, tag=, opt_in_status=, lead_status=, source=, sort=, page=, per_page=)",
        authenticated: true,
        handler: |m| on(m, contacts::list),
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/contacts",
        operation_id: "createContact",
        summary: "Create a contact (409 CONTACT_002 if the phone is taken, 422 CONTACT_003 if it is not a phone)",
        authenticated: true,
        handler: |m| on(m, contacts::create),
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/contacts/{id}",
        operation_id: "getContact",
        summary: "One contact",
        authenticated: true,
        handler: |m| on(m, contacts::get),
    },
    RouteDoc {
        method: "patch",
        path: "/api/v1/contacts/{id}",
        operation_id: "updateContact",
        summary: "Change a contact's fields (null clears one; tags replace)",
        authenticated: true,
        handler: |m| on(m, contacts::update),
    },
    RouteDoc {
        method: "delete",
        path: "/api/v1/contacts/{id}",
        operation_id: "deleteContact",
        summary: "Move a contact to the trash",
        authenticated: true,
        handler: |m| on(m, contacts::delete),
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/conversations",
        operation_id: "listConversations",
        summary: "A contact's conversations (?contact_id=)",
        authenticated: true,
        handler: |m| on(m, conversations::list),
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/conversations/{id}/messages",
        operation_id: "listMessages",
        summary: "The messages of a conversation, oldest first",
        authenticated: true,
        handler: |m| on(m, conversations::messages),
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/media",
        operation_id: "uploadMedia",
        summary: "Upload a file for a media message (multipart: number_id, file); checked against Meta's type and size limits",
        authenticated: true,
        handler: |m| on(m, media::upload).layer(DefaultBodyLimit::max(domain::whatsapp::media::MAX_UPLOAD_BODY_BYTES)),
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/media/{id}",
        operation_id: "getMedia",
        summary: "A file's facts (uploads and customers' files)",
        authenticated: true,
        handler: |m| on(m, media::get),
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/media/{id}/content",
        operation_id: "getMediaContent",
        summary: "A file's bytes",
        authenticated: true,
        handler: |m| on(m, media::content),
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/messages",
        operation_id: "sendMessage",
        summary: "Queue a message (text, template, media, interactive, reaction, location or contacts)",
        authenticated: true,
        handler: |m| on(m, messages::send),
    },
];

/// The API's routes, to be nested under `/api/v1`: exactly the rows of [`ROUTES`], so a
/// route is served if and only if it is documented and walked by the isolation test.
pub fn router() -> Router<AppState> {
    ROUTES
        .iter()
        .fold(Router::new(), |router, r| {
            let path = r.path.strip_prefix("/api/v1").unwrap_or_else(|| panic!("ROUTES: {} is not under /api/v1", r.path));
            // Rows with the same path merge into one method router (axum panics on a method
            // listed twice for a path).
            router.route(path, (r.handler)(r.method_filter()))
        })
        .fallback(|| async { ApiError(AppError::not_found("Route")) })
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
    /// The key as a service actor: it acts for its org with its role, and audit entries
    /// name the key.
    pub fn actor(&self) -> backend::auth::Actor {
        backend::auth::Actor::api_key_with(&self.0.org_id, &self.0.key_id.to_string(), self.0.role)
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
