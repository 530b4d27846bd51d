//! The signed-in person's own security: password change, sessions, two-factor sign-in,
//! and the org setting that requires it of admins.
//!
//! The two-factor enrolment functions work for a person whom the gate holds back
//! (`AUTH_009`: a super admin, or an admin of an org that requires it, without two-factor
//! sign-in yet), since enrolling is the one thing they may do; everything else goes
//! through `actor()`, which applies the gate.

use super::client::CsrfClient;
use domain::dto::{SecurityOverview, TwoFactorSetup};
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// What the security section shows. Any signed-in person, the gated ones included.
#[server(prefix = "/api", endpoint = "security/status", client = CsrfClient)]
pub async fn security_status() -> Result<SecurityOverview, AppError> {
    use domain::Role;
    let state = app_state();
    let session = session().await?;
    let (user, org) = signed_in(&state, &session).await?;
    let role = match &org {
        Some(org) => backend::auth::role_in(&state.db, &user, org).await.map_err(fail)?,
        None => None,
    };
    let org_requires_2fa = match &org {
        Some(org) if role.is_some() => backend::two_factor::required_for_admins(&state.db, org).await.map_err(fail)?,
        _ => false,
    };
    let must_enrol = backend::two_factor::gate(&state.db, &user, org.as_ref(), role).await.is_err();
    Ok(SecurityOverview {
        two_factor: backend::two_factor::is_enrolled(&state.db, &user.id).await.map_err(fail)?,
        recovery_codes_left: backend::two_factor::recovery_codes_left(&state.db, &user.id).await.map_err(fail)?,
        sessions: backend::session_store::count_sessions(&state.db, &user.id).await.map_err(fail)?,
        org_requires_2fa,
        can_set_org_requirement: role.is_some_and(|r| r.at_least(Role::Admin)),
        must_enrol,
    })
}

/// Starts setting up two-factor sign-in: a new secret, shown as text and as a QR code.
#[server(prefix = "/api", endpoint = "security/two_factor_begin", client = CsrfClient)]
pub async fn begin_two_factor() -> Result<TwoFactorSetup, AppError> {
    let state = app_state();
    let session = session().await?;
    let (user, _) = signed_in(&state, &session).await?;
    let e = backend::two_factor::begin_enrolment(&state.db, &state.cipher, &user).await.map_err(fail)?;
    Ok(TwoFactorSetup { secret: e.secret, otpauth_url: e.otpauth_url, qr_svg: e.qr_svg })
}

/// Confirms the set-up with a code from the app; returns the 10 recovery codes, once.
#[server(prefix = "/api", endpoint = "security/two_factor_confirm", client = CsrfClient)]
pub async fn confirm_two_factor(code: String) -> Result<Vec<String>, AppError> {
    let state = app_state();
    let session = session().await?;
    let (user, _) = signed_in(&state, &session).await?;
    backend::two_factor::confirm_enrolment(&state.db, &state.cipher, &user.id, &code, backend::clock::now_ms()).await.map_err(fail)
}

/// Turns two-factor sign-in off; `proof` is the password or a current code.
#[server(prefix = "/api", endpoint = "security/two_factor_disable", client = CsrfClient)]
pub async fn disable_two_factor(proof: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    let user = backend::auth::find_user(&state.db, actor.member_id().map_err(fail)?).await.map_err(fail)?.ok_or_else(|| fail(AppError::not_authenticated()))?;
    let ip = client_ip(&state).await;
    backend::two_factor::disable(&state.db, &state.cipher, &user, &proof, &ip, state.auth.login_limits, backend::clock::now_ms()).await.map_err(fail)
}

/// Changes the password (the current one is required) and signs out every other session
/// of the person; this one stays, under a new id.
#[server(prefix = "/api", endpoint = "security/change_password", client = CsrfClient)]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    use domain::Password;
    let (state, actor) = actor().await?;
    let new = Password::parse_new(&new_password).map_err(fail)?;
    let user = backend::auth::find_user(&state.db, actor.member_id().map_err(fail)?).await.map_err(fail)?.ok_or_else(|| fail(AppError::not_authenticated()))?;
    let ip = client_ip(&state).await;
    backend::auth::change_password(&state.db, &user, &Password::for_login(&current_password), &new, &ip, state.auth.login_limits).await.map_err(fail)?;
    let session = session().await?;
    let keep = session_hash(&session).unwrap_or_default();
    backend::session_store::end_other_sessions(&state.db, &user.id, &keep).await.map_err(fail)?;
    session.cycle_id().await.map_err(internal)?;
    Ok(())
}

/// Signs the person out of every session but this one; returns how many ended.
#[server(prefix = "/api", endpoint = "security/end_other_sessions", client = CsrfClient)]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    let (state, actor) = actor().await?;
    let session = session().await?;
    let keep = session_hash(&session).unwrap_or_default();
    backend::session_store::end_other_sessions(&state.db, actor.member_id().map_err(fail)?, &keep).await.map_err(fail)
}

/// Sets the org's "require 2FA for admins" (`on` is `true` or `false`). Admins only.
#[server(prefix = "/api", endpoint = "security/require_admin_2fa", client = CsrfClient)]
pub async fn set_require_admin_2fa(on: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    let on = match on.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(fail(AppError::validation("Choose whether admins need two-factor sign-in."))),
    };
    backend::two_factor::set_org_requirement(&state.db, &actor, on).await.map_err(fail)
}
