//! Server-side helpers shared by every server function: the state, the session, the
//! signed-in person, and turning service errors into `AppError`s with HTTP statuses.

use crate::state::AppState;
use backend::auth::{self, Actor, User};
use backend::ServiceError;
use domain::{AppError, OrgId, UserId};
use leptos::prelude::*;
use tower_sessions::Session;

/// Session key: the signed-in person's id.
pub const USER_ID: &str = "user_id";
/// Session key: the org the person is working in.
pub const ORG_ID: &str = "org_id";
/// Session key: the CSRF token that state-changing requests must echo.
pub const CSRF_TOKEN: &str = "csrf";

/// The app state provided by the server.
pub fn app_state() -> AppState {
    expect_context::<AppState>()
}

/// Reports `err` as the server function's error and sets the matching HTTP status.
pub fn fail(err: impl Into<ServiceError>) -> AppError {
    let e = err.into().into_app_error();
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = axum::http::StatusCode::from_u16(e.code.http_status()) {
            res.set_status(status);
        }
    }
    e
}

/// An unexpected failure outside the services (session storage), logged and reported.
pub fn internal(err: impl std::fmt::Display) -> AppError {
    fail(ServiceError::Unexpected(anyhow_like(err)))
}

fn anyhow_like(err: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{err}")
}

/// The request's session.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(internal)
}

/// A new random CSRF token.
pub fn new_csrf_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The signed-in person and the org id in their session, or `AUTH_002`.
pub async fn signed_in(state: &AppState, session: &Session) -> Result<(User, Option<OrgId>), AppError> {
    let user_id: Option<String> = session.get(USER_ID).await.map_err(internal)?;
    let Some(user_id) = user_id else { return Err(fail(AppError::not_authenticated())) };
    let user = auth::find_user(&state.db, &UserId::from_string(user_id)).await.map_err(fail)?;
    let Some(user) = user else {
        // The account is gone: end the session.
        session.flush().await.map_err(internal)?;
        return Err(fail(AppError::not_authenticated()));
    };
    let org: Option<String> = session.get(ORG_ID).await.map_err(internal)?;
    Ok((user, org.map(OrgId::from_string)))
}

/// The signed-in member acting in their current org: what every org-scoped server
/// function starts with. `AUTH_002` when signed out, `AUTH_003` when no longer a member.
pub async fn actor() -> Result<(AppState, Actor), AppError> {
    let state = app_state();
    let session = session().await?;
    let (user, org) = signed_in(&state, &session).await?;
    let org = org.ok_or_else(|| fail(AppError::forbidden()))?;
    let actor = auth::actor_for(&state.db, &user.id, &org).await.map_err(fail)?;
    Ok((state, actor))
}

/// The client's address for rate limiting: the socket peer, or the first
/// `X-Forwarded-For` hop when the server is configured to trust its proxy.
pub async fn client_ip(state: &AppState) -> String {
    if state.auth.trust_proxy {
        if let Ok(headers) = leptos_axum::extract::<axum::http::HeaderMap>().await {
            if let Some(first) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()) {
                return first.trim().chars().take(64).collect();
            }
        }
    }
    match leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>().await {
        Ok(axum::extract::ConnectInfo(addr)) => addr.ip().to_string(),
        Err(_) => "unknown".into(),
    }
}

/// Starts a signed-in session for `user` in `org`: a new session id (so a session id
/// planted before sign-in is worthless) and a new CSRF token.
pub async fn start_session(session: &Session, user: &UserId, org: &OrgId) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    session.insert(USER_ID, user.as_str()).await.map_err(internal)?;
    session.insert(ORG_ID, org.as_str()).await.map_err(internal)?;
    session.insert(CSRF_TOKEN, new_csrf_token()).await.map_err(internal)?;
    Ok(())
}
