//! Sign-in, sign-out, sign-up, the current session, and switching orgs.

use super::client::CsrfClient;
use domain::dto::SessionInfo;
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// Signs a person in with email and password. `AUTH_001` on a wrong email or password,
/// `AUTH_004` after too many failures. With two-factor sign-in on, a right password
/// answers `AUTH_006` and signs nobody in: [`login_code`] finishes the sign-in.
#[server(prefix = "/api", endpoint = "auth/login", client = CsrfClient)]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use domain::Password;
    let state = app_state();
    let ip = client_ip(&state).await;
    let user = backend::auth::authenticate(&state.db, &email, &Password::for_login(&password), &ip, state.auth.login_limits).await.map_err(fail)?;
    let orgs = backend::orgs::list_for_user(&state.db, &user).await.map_err(fail)?;
    let Some(first) = orgs.first() else {
        return Err(fail(AppError::new(domain::ErrorCode::Forbidden, "Your account is not a member of any organisation.")));
    };
    let session = session().await?;
    if backend::two_factor::is_enrolled(&state.db, &user.id).await.map_err(fail)? {
        start_pending(&session, &user.id).await?;
        return Err(fail(AppError::new(
            domain::ErrorCode::SecondFactorRequired,
            "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
        )));
    }
    start_session(&session, &user.id, &first.id).await?;
    tracing::info!(user_id = %user.id, "signed in");
    Ok(())
}

/// The second step of signing in (after `AUTH_006`): a 6-digit code from the app or a
/// recovery code. `AUTH_001` on a wrong or used code (counted toward `AUTH_004`),
/// `AUTH_002` when no password step is waiting (or it was more than 5 minutes ago).
#[server(prefix = "/api", endpoint = "auth/login_code", client = CsrfClient)]
pub async fn login_code(code: String) -> Result<(), AppError> {
    let state = app_state();
    let session = session().await?;
    let Some(user_id) = pending_user(&session).await? else {
        return Err(fail(AppError::new(domain::ErrorCode::NotAuthenticated, "Sign in with your password again.")));
    };
    let user = backend::auth::find_user(&state.db, &user_id).await.map_err(fail)?.ok_or_else(|| fail(AppError::not_authenticated()))?;
    let ip = client_ip(&state).await;
    backend::two_factor::sign_in_second_step(&state.db, &state.cipher, &user, &code, &ip, state.auth.login_limits, backend::clock::now_ms())
        .await
        .map_err(fail)?;
    let orgs = backend::orgs::list_for_user(&state.db, &user).await.map_err(fail)?;
    let Some(first) = orgs.first() else {
        return Err(fail(AppError::new(domain::ErrorCode::Forbidden, "Your account is not a member of any organisation.")));
    };
    start_session(&session, &user.id, &first.id).await?;
    tracing::info!(user_id = %user.id, "signed in with a second factor");
    Ok(())
}

/// Ends the session: it is deleted from the database and its cookie cleared.
#[server(prefix = "/api", endpoint = "auth/logout", client = CsrfClient)]
pub async fn logout() -> Result<(), AppError> {
    let session = session().await?;
    session.flush().await.map_err(internal)?;
    Ok(())
}

/// Whether the sign-up page is open (`MCE_SIGNUP_ENABLED`).
#[server(prefix = "/api", endpoint = "auth/signup_enabled", client = CsrfClient)]
pub async fn signup_enabled() -> Result<bool, AppError> {
    Ok(app_state().auth.signup_enabled)
}

/// Creates an org and its owner. Without SMTP the owner is signed in at once (`true`);
/// with SMTP a verification mail goes out and the owner signs in after opening its link
/// (`false`). Refused when sign-up is off.
#[server(prefix = "/api", endpoint = "auth/signup", client = CsrfClient)]
pub async fn signup(org_name: String, name: String, email: String, password: String) -> Result<bool, AppError> {
    use domain::{EmailAddress, OrgName, Password, PersonName};
    let state = app_state();
    if !state.auth.signup_enabled {
        return Err(fail(AppError::new(domain::ErrorCode::Forbidden, "Sign-up is switched off here. Ask an administrator for an account.")));
    }
    // Counted before anything else, so that bad input does not help either.
    backend::rate_limit::signup(&state.db, &client_ip(&state).await).await.map_err(fail)?;
    let org_name = OrgName::parse(&org_name).map_err(fail)?;
    let name = PersonName::parse(&name).map_err(fail)?;
    let email = EmailAddress::parse(&email).map_err(fail)?;
    let password = Password::parse_new(&password).map_err(fail)?;
    let made = backend::accounts::sign_up(&state.db, &state.auth.delivery, &org_name, &name, &email, &password).await.map_err(fail)?;
    if made.verification_sent {
        tracing::info!(user_id = %made.user.id, org_id = %made.org, "signed up; waiting for the address to be verified");
        return Ok(false);
    }
    let session = session().await?;
    start_session(&session, &made.user.id, &made.org).await?;
    tracing::info!(user_id = %made.user.id, org_id = %made.org, "signed up");
    Ok(true)
}

/// Who is signed in, in which org, with which role, and the orgs they can switch to.
/// `AUTH_002` when nobody is signed in.
#[server(prefix = "/api", endpoint = "auth/session", client = CsrfClient)]
pub async fn current_session() -> Result<SessionInfo, AppError> {
    use domain::Role;
    let state = app_state();
    let session = session().await?;
    let (user, org) = signed_in(&state, &session).await?;
    let orgs = backend::orgs::list_for_user(&state.db, &user).await.map_err(fail)?;
    // The current org, or the first one left if the person was removed from it.
    let current = org
        .clone()
        .and_then(|id| orgs.iter().find(|o| o.id == id).cloned())
        .or_else(|| orgs.first().cloned())
        .ok_or_else(|| fail(AppError::new(domain::ErrorCode::Forbidden, "Your account is not a member of any organisation.")))?;
    let role = current.role.unwrap_or(Role::Owner);
    // Someone who must set up two-factor sign-in first sees nothing else (`AUTH_009`);
    // the shell sends them to the set-up page.
    backend::two_factor::gate(&state.db, &user, Some(&current.id), Some(role)).await.map_err(fail)?;
    if org.as_ref() != Some(&current.id) {
        session.insert(ORG_ID, current.id.as_str()).await.map_err(internal)?;
    }
    Ok(SessionInfo { user_id: user.id, email: user.email, name: user.name, is_super_admin: user.is_super_admin, org: current, role, orgs })
}

/// Makes another org of the person's the current one.
#[server(prefix = "/api", endpoint = "auth/switch_org", client = CsrfClient)]
pub async fn switch_org(org_id: String) -> Result<(), AppError> {
    let state = app_state();
    let session = session().await?;
    let (user, _) = signed_in(&state, &session).await?;
    let org = domain::OrgId::from_string(org_id);
    // actor_for refuses orgs the person is not a member of (AUTH_003); the gate, an org
    // whose admins must use two-factor sign-in while this one has not (AUTH_009).
    let actor = backend::auth::actor_for(&state.db, &user.id, &org).await.map_err(fail)?;
    backend::two_factor::gate(&state.db, &user, Some(&org), Some(actor.role)).await.map_err(fail)?;
    session.insert(ORG_ID, org.as_str()).await.map_err(internal)?;
    Ok(())
}
