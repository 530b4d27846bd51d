//! The signed-in member for plain axum handlers (files served to the app's pages), read
//! from the same session the server functions use.

use app::api::ssr::{ORG_ID, USER_ID};
use app::state::AppState;
use backend::auth::Actor;
use domain::{OrgId, UserId};
use tower_sessions::Session;

/// The member acting in the session's current org; `None` when signed out, no longer a
/// member, or held back until they set up two-factor sign-in (the caller answers 401 or 404).
pub async fn actor(state: &AppState, session: &Session) -> Option<Actor> {
    let user: String = session.get(USER_ID).await.ok()??;
    let org: String = session.get(ORG_ID).await.ok()??;
    let org = OrgId::from_string(org);
    let user = backend::auth::find_user(&state.db, &UserId::from_string(user)).await.ok()??;
    let actor = backend::auth::actor_for(&state.db, &user.id, &org).await.ok()?;
    backend::two_factor::gate(&state.db, &user, Some(&org), Some(actor.role)).await.ok()?;
    Some(actor)
}

/// The signed-in member, for the app's own routes outside server functions (file
/// uploads and downloads): `401 AUTH_002` when signed out; the services they call check
/// the role.
pub async fn member(state: &AppState, session: &Session) -> Result<Actor, crate::api_error::ApiError> {
    actor(state, session).await.ok_or_else(|| crate::api_error::ApiError(domain::AppError::new(domain::ErrorCode::NotAuthenticated, "Sign in first.")))
}
