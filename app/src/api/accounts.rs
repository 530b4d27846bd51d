//! The account links that work without being signed in: accepting an invitation,
//! verifying a sign-up's address, and resetting a forgotten password. Tokens travel in
//! the request body (never in a logged path).

use super::client::CsrfClient;
use domain::dto::InvitationPreview;
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// Who is signed in on this browser, if anyone, without failing the request when
/// nobody is (the invitation page works for both).
#[cfg(feature = "ssr")]
async fn viewer(state: &crate::state::AppState) -> Result<Option<backend::auth::User>, AppError> {
    let session = session().await?;
    let user_id: Option<String> = session.get(USER_ID).await.map_err(internal)?;
    match user_id {
        Some(id) => backend::auth::find_user(&state.db, &domain::UserId::from_string(id)).await.map_err(fail),
        None => Ok(None),
    }
}

/// What an invitation link offers: the org, the address, the role, whether that
/// address has an account. `AUTH_008` for a link that does not work.
#[server(prefix = "/api", endpoint = "accounts/invitation", client = CsrfClient)]
pub async fn open_invitation(token: String) -> Result<InvitationPreview, AppError> {
    let state = app_state();
    let viewer = viewer(&state).await?;
    backend::invitations::preview(&state.db, &token, viewer.as_ref()).await.map_err(fail)
}

/// Accepts an invitation as a new person (a name and a password) and signs them in to
/// the org. `CONFLICT_001` when the address has an account (sign in, then accept).
#[server(prefix = "/api", endpoint = "accounts/accept_invitation", client = CsrfClient)]
pub async fn accept_invitation(token: String, name: String, password: String) -> Result<(), AppError> {
    use domain::{Password, PersonName};
    let state = app_state();
    let name = PersonName::parse(&name).map_err(fail)?;
    let password = Password::parse_new(&password).map_err(fail)?;
    let (user, org) = backend::invitations::accept_new(&state.db, &token, &name, &password).await.map_err(fail)?;
    start_session(&session().await?, &user.id, &org).await?;
    tracing::info!(user_id = %user.id, org_id = %org, "accepted an invitation as a new account");
    Ok(())
}

/// Accepts an invitation as the signed-in person (whose address must be the invited
/// one) and switches to the org. `AUTH_002` when signed out.
#[server(prefix = "/api", endpoint = "accounts/join_invited_org", client = CsrfClient)]
pub async fn join_invited_org(token: String) -> Result<(), AppError> {
    let state = app_state();
    let session = session().await?;
    let (user, _) = signed_in(&state, &session).await?;
    let org = backend::invitations::accept_as(&state.db, &user, &token).await.map_err(fail)?;
    session.insert(ORG_ID, org.as_str()).await.map_err(internal)?;
    tracing::info!(user_id = %user.id, org_id = %org, "accepted an invitation");
    Ok(())
}

/// Confirms a sign-up's address from the link in its verification mail.
#[server(prefix = "/api", endpoint = "accounts/verify_email", client = CsrfClient)]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    let state = app_state();
    backend::accounts::verify_email(&state.db, &token).await.map_err(fail)?;
    Ok(())
}

/// "Forgot password?": mails a reset link if the address has an account. Answers the
/// same either way.
#[server(prefix = "/api", endpoint = "accounts/request_password_reset", client = CsrfClient)]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let state = app_state();
    // Counted before anything else (AUTH_004 past the limit), like sign-up.
    backend::rate_limit::password_reset_request(&state.db, &client_ip(&state).await).await.map_err(fail)?;
    backend::accounts::request_reset(&state.db, &state.auth.delivery, &email).await.map_err(fail)
}

/// Sets a new password with a reset link's token (single use, one hour); every session
/// of the account ends, so the person signs in again with the new password.
#[server(prefix = "/api", endpoint = "accounts/reset_password", client = CsrfClient)]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use domain::Password;
    let state = app_state();
    let password = Password::parse_new(&password).map_err(fail)?;
    let user = backend::accounts::reset_password(&state.db, &token, &password).await.map_err(fail)?;
    tracing::info!(user_id = %user, "password reset");
    Ok(())
}
