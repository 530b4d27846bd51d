//! Settings: the org profile and its members.

use super::client::CsrfClient;
use domain::dto::{Member, OrgProfile};
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// The current org's profile. Any member.
#[server(prefix = "/api", endpoint = "settings/org_profile", client = CsrfClient)]
pub async fn get_org_profile() -> Result<OrgProfile, AppError> {
    let (state, actor) = actor().await?;
    backend::orgs::profile(&state.db, &actor).await.map_err(fail)
}

/// Changes the current org's name, time zone and default country. Admins only.
#[server(prefix = "/api", endpoint = "settings/update_org_profile", client = CsrfClient)]
pub async fn update_org_profile(name: String, time_zone: String, default_country: String) -> Result<OrgProfile, AppError> {
    use domain::{CountryCode, OrgName, TimeZoneName};
    let (state, actor) = actor().await?;
    let update = backend::orgs::ProfileUpdate {
        name: OrgName::parse(&name).map_err(fail)?,
        time_zone: TimeZoneName::parse(&time_zone).map_err(fail)?,
        default_country: CountryCode::parse(&default_country).map_err(fail)?,
    };
    backend::orgs::update_profile(&state.db, &actor, &update).await.map_err(fail)
}

/// The current org's members. Any member.
#[server(prefix = "/api", endpoint = "settings/members", client = CsrfClient)]
pub async fn list_members() -> Result<Vec<Member>, AppError> {
    let (state, actor) = actor().await?;
    backend::members::list(&state.db, &actor).await.map_err(fail)
}

/// Adds a member with a role. `password` is the first password of a new account and may
/// be empty when the email already has one. Admins only.
#[server(prefix = "/api", endpoint = "settings/add_member", client = CsrfClient)]
pub async fn add_member(email: String, name: String, role: String, password: String) -> Result<Member, AppError> {
    use domain::{EmailAddress, Password, PersonName, Role};
    let (state, actor) = actor().await?;
    let email = EmailAddress::parse(&email).map_err(fail)?;
    let name = if name.trim().is_empty() { email.as_str().split('@').next().unwrap_or("Member").to_owned() } else { name };
    let new = backend::members::NewMember {
        name: PersonName::parse(&name).map_err(fail)?,
        role: Role::parse(&role).ok_or_else(|| fail(AppError::validation("Choose a role.")))?,
        password: if password.is_empty() { None } else { Some(Password::parse_new(&password).map_err(fail)?) },
        email,
    };
    backend::members::add(&state.db, &actor, &new).await.map_err(fail)
}

/// Gives a member another role. Admins only; only owners touch owners.
#[server(prefix = "/api", endpoint = "settings/change_member_role", client = CsrfClient)]
pub async fn change_member_role(user_id: String, role: String) -> Result<(), AppError> {
    use domain::{Role, UserId};
    let (state, actor) = actor().await?;
    let role = Role::parse(&role).ok_or_else(|| fail(AppError::validation("Choose a role.")))?;
    backend::members::change_role(&state.db, &actor, &UserId::from_string(user_id), role).await.map_err(fail)
}

/// Removes a member from the org. Admins only.
#[server(prefix = "/api", endpoint = "settings/remove_member", client = CsrfClient)]
pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::members::remove(&state.db, &actor, &domain::UserId::from_string(user_id)).await.map_err(fail)
}
