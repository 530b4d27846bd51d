//! Sign-in, sign-out, sign-up, the current session, and switching orgs.

use super::client::CsrfClient;
use domain::dto::SessionInfo;
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// Signs a person in with email and password. `AUTH_001` on a wrong email or password,
/// `AUTH_004` after too many failures.
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
    start_session(&session, &user.id, &first.id).await?;
    tracing::info!(user_id = %user.id, "signed in");
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
        .and_then(|id| orgs.iter().find(|o| o.id == id).cloned())
        .or_else(|| orgs.first().cloned())
        .ok_or_else(|| fail(AppError::new(domain::ErrorCode::Forbidden, "Your account is not a member of any organisation.")))?;
    session.insert(ORG_ID, current.id.as_str()).await.map_err(internal)?;
    let role = current.role.unwrap_or(Role::Owner);
    Ok(SessionInfo { user_id: user.id, email: user.email, name: user.name, is_super_admin: user.is_super_admin, org: current, role, orgs })
}

/// Makes another org of the person's the current one.
#[server(prefix = "/api", endpoint = "auth/switch_org", client = CsrfClient)]
pub async fn switch_org(org_id: String) -> Result<(), AppError> {
    let state = app_state();
    let session = session().await?;
    let (user, _) = signed_in(&state, &session).await?;
    let org = domain::OrgId::from_string(org_id);
    // actor_for refuses orgs the person is not a member of (AUTH_003).
    backend::auth::actor_for(&state.db, &user.id, &org).await.map_err(fail)?;
    session.insert(ORG_ID, org.as_str()).await.map_err(internal)?;
    Ok(())
}
