//! Server-side helpers shared by every server function: the state, the session, the
//! signed-in person, and turning service errors into `AppError`s with HTTP statuses.

use crate::state::AppState;
use backend::auth::{self, Actor, User};
use backend::ServiceError;
use domain::{AppError, OrgId, UserId};
use leptos::prelude::*;
use tower_sessions::Session;

/// Session key: the signed-in person's id (the session store files the row under it).
pub const USER_ID: &str = backend::session_store::USER_ID_KEY;
/// Session key: a person whose password was right and whose second factor is awaited.
/// It grants nothing: only [`USER_ID`] signs in.
pub const PENDING_USER: &str = "pending_2fa_user";
/// Session key: when the password step of [`PENDING_USER`] passed (epoch ms).
pub const PENDING_AT: &str = "pending_2fa_at";
/// How long the second step may wait after the password: 5 minutes.
pub const PENDING_MS: i64 = 5 * 60 * 1000;
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
/// function starts with. `AUTH_002` when signed out, `AUTH_003` when no longer a member,
/// `AUTH_009` while the person must set up two-factor sign-in first.
pub async fn actor() -> Result<(AppState, Actor), AppError> {
    let state = app_state();
    let session = session().await?;
    let (user, org) = signed_in(&state, &session).await?;
    let org = org.ok_or_else(|| fail(AppError::forbidden()))?;
    let actor = auth::actor_for(&state.db, &user.id, &org).await.map_err(fail)?;
    backend::two_factor::gate(&state.db, &user, Some(&org), Some(actor.role)).await.map_err(fail)?;
    Ok((state, actor))
}

/// The hash the session store files this session under (`None` before it is stored).
pub fn session_hash(session: &Session) -> Option<String> {
    session.id().map(|id| backend::session_store::hash_id(&id))
}

/// The client's address for rate limiting: the socket peer, or behind `MCE_TRUST_PROXY`
/// the right-most `X-Forwarded-For` hop that is not a trusted (loopback or private)
/// proxy ([`backend::rate_limit::client_address`]).
pub async fn client_ip(state: &AppState) -> String {
    let peer = match leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>().await {
        Ok(axum::extract::ConnectInfo(addr)) => Some(addr.ip()),
        Err(_) => None,
    };
    let headers = leptos_axum::extract::<axum::http::HeaderMap>().await.unwrap_or_default();
    let hops: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    backend::rate_limit::client_address(peer, &hops, state.auth.trust_proxy)
}

/// Remembers that `user`'s password was right and the second factor is awaited: a fresh
/// session id that holds no signed-in person (so it grants nothing), with its own CSRF token.
pub async fn start_pending(session: &Session, user: &UserId) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    session.remove_value(USER_ID).await.map_err(internal)?;
    session.remove_value(ORG_ID).await.map_err(internal)?;
    session.insert(PENDING_USER, user.as_str()).await.map_err(internal)?;
    session.insert(PENDING_AT, backend::clock::now_ms()).await.map_err(internal)?;
    session.insert(CSRF_TOKEN, new_csrf_token()).await.map_err(internal)?;
    Ok(())
}

/// The person awaiting their second factor, if the password step passed less than
/// [`PENDING_MS`] ago.
pub async fn pending_user(session: &Session) -> Result<Option<UserId>, AppError> {
    let user: Option<String> = session.get(PENDING_USER).await.map_err(internal)?;
    let at: Option<i64> = session.get(PENDING_AT).await.map_err(internal)?;
    Ok(match (user, at) {
        (Some(u), Some(at)) if backend::clock::now_ms() - at < PENDING_MS => Some(UserId::from_string(u)),
        _ => None,
    })
}

/// Starts a signed-in session for `user` in `org`: a new session id (so a session id
/// planted before sign-in is worthless) and a new CSRF token.
pub async fn start_session(session: &Session, user: &UserId, org: &OrgId) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    session.remove_value(PENDING_USER).await.map_err(internal)?;
    session.remove_value(PENDING_AT).await.map_err(internal)?;
    session.insert(USER_ID, user.as_str()).await.map_err(internal)?;
    session.insert(ORG_ID, org.as_str()).await.map_err(internal)?;
    session.insert(CSRF_TOKEN, new_csrf_token()).await.map_err(internal)?;
    Ok(())
}
