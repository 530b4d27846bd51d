//! Settings: the org profile, its members and their invitations.

use super::client::CsrfClient;
use domain::dto::{Invitation, InvitationCreated, Member, OrgProfile};
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

/// The getting-started checklist of the current org, ticked from its real state. Any
/// member.
#[server(prefix = "/api", endpoint = "home/checklist", client = CsrfClient)]
pub async fn get_checklist() -> Result<Vec<domain::dto::ChecklistStep>, AppError> {
    let (state, actor) = actor().await?;
    backend::onboarding::checklist(&state.db, &actor).await.map_err(fail)
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

/// Invites an address to the org with a role (admins; only owners invite owners). The
/// answer carries the invitation link, for the inviter only: they copy it to the invitee
/// when no mail went out.
#[server(prefix = "/api", endpoint = "settings/invite_member", client = CsrfClient)]
pub async fn invite_member(email: String, role: String) -> Result<InvitationCreated, AppError> {
    use domain::{EmailAddress, Role};
    let (state, actor) = actor().await?;
    let email = EmailAddress::parse(&email).map_err(fail)?;
    let role = Role::parse(&role).ok_or_else(|| fail(AppError::validation("Choose a role.")))?;
    backend::invitations::create(&state.db, &state.auth.delivery, &actor, &email, role).await.map_err(fail)
}

/// The org's pending invitations. Admins only.
#[server(prefix = "/api", endpoint = "settings/invitations", client = CsrfClient)]
pub async fn list_invitations() -> Result<Vec<Invitation>, AppError> {
    let (state, actor) = actor().await?;
    backend::invitations::list_pending(&state.db, &actor).await.map_err(fail)
}

/// Withdraws a pending invitation: its link stops working. Admins only.
#[server(prefix = "/api", endpoint = "settings/revoke_invitation", client = CsrfClient)]
pub async fn revoke_invitation(invitation_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::invitations::revoke(&state.db, &actor, &invitation_id).await.map_err(fail)
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
