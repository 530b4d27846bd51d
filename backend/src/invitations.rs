//! Invitations (ORG-2): the only way into an existing org. An admin invites an e-mail
//! address with a role; the invitation has a single-use token (stored hashed), expires
//! after 7 days and can be revoked. Its holder accepts: a new person by choosing a name
//! and password (the token proves the address, so the account counts as verified), an
//! existing account only while signed in as itself. Nobody is ever added to an org
//! without accepting, so signing up first with someone's address gains nothing.

use crate::accounts::{link_invalid, new_token, token_digest};
use crate::audit;
use crate::auth::{self, Actor, User};
use crate::clock::{new_id, now_ms};
use crate::error::{Result, ServiceError};
use crate::mail::{self, Delivery};
use crate::Db;
use domain::dto::{Invitation, InvitationCreated, InvitationPreview};
use domain::{AppError, EmailAddress, ErrorCode, OrgId, Password, PersonName, Role};
use serde_json::json;

/// How long an invitation link works.
pub const TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// The path of the page that accepts an invitation (the token is a query parameter, so
/// request logs, which record the path only, never hold it).
pub const ACCEPT_PATH: &str = "/invitations/accept";

#[derive(sqlx::FromRow)]
struct ListRow {
    id: String,
    email: String,
    role: String,
    inviter: Option<String>,
    created_at: i64,
    expires_at: i64,
}

impl From<ListRow> for Invitation {
    fn from(r: ListRow) -> Invitation {
        Invitation {
            id: r.id,
            email: r.email,
            role: Role::parse(&r.role).unwrap_or(Role::Viewer),
            invited_by: r.inviter,
            created_at: r.created_at,
            expires_at: r.expires_at,
        }
    }
}

/// Invites `email` to the actor's org with `role` (who may give that role: admins, and
/// only owners for owners). An earlier pending invitation of the same address stops
/// working. With SMTP the invitation is mailed; either way its link is returned to the
/// inviter, once. `CONFLICT_001` when the address is a member already.
pub async fn create(db: &Db, delivery: &Delivery, actor: &Actor, email: &EmailAddress, role: Role) -> Result<InvitationCreated> {
    if !actor.role.may_manage(role) {
        return Err(AppError::forbidden().into());
    }
    let now = now_ms();
    let mut tx = db.pool().begin().await?;
    let member: Option<String> = sqlx::query_scalar("SELECT u.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email = $2")
        .bind(actor.org_id.as_str())
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if member.is_some() {
        return Err(ServiceError::app(ErrorCode::Conflict, format!("{email} is already a member.")));
    }
    sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE org_id = $2 AND email = $3 AND accepted_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(actor.org_id.as_str())
        .bind(email.as_str())
        .execute(&mut *tx)
        .await?;
    let (token, digest) = new_token();
    let id = new_id();
    sqlx::query("INSERT INTO invitations (id, org_id, email, role, invited_by, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(&id)
        .bind(actor.org_id.as_str())
        .bind(email.as_str())
        .bind(role.as_str())
        .bind(actor.user_id().map(|u| u.as_str().to_owned()))
        .bind(digest)
        .bind(now)
        .bind(now + TTL_MS)
        .execute(&mut *tx)
        .await?;
    audit::record_as(&mut tx, actor, "member.invited", json!({ "invitation_id": id, "email": email.as_str(), "role": role.as_str() })).await?;
    let org_name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1").bind(actor.org_id.as_str()).fetch_one(&mut *tx).await?;
    let inviter: Option<String> = match actor.user_id() {
        Some(u) => sqlx::query_scalar("SELECT name FROM users WHERE id = $1").bind(u.as_str()).fetch_optional(&mut *tx).await?,
        None => None,
    };
    tx.commit().await?;
    let link = delivery.link(&format!("{ACCEPT_PATH}?token={token}"));
    let emailed = delivery.send(email, &mail::invitation(&org_name, inviter.as_deref().unwrap_or("An administrator"), role.label(), &link)).await;
    let invitation = Invitation { id, email: email.as_str().to_owned(), role, invited_by: inviter, created_at: now, expires_at: now + TTL_MS };
    Ok(InvitationCreated { invitation, link: Some(link), emailed })
}

/// The actor's org's pending invitations (not accepted, revoked or expired), newest
/// first. Admins only.
pub async fn list_pending(db: &Db, actor: &Actor) -> Result<Vec<Invitation>> {
    actor.require(Role::Admin)?;
    let rows = sqlx::query_as::<_, ListRow>(
        "SELECT i.id, i.email, i.role, u.name AS inviter, i.created_at, i.expires_at FROM invitations i LEFT JOIN users u ON u.id = i.invited_by \
         WHERE i.org_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2 ORDER BY i.created_at DESC",
    )
    .bind(actor.org_id.as_str())
    .bind(now_ms())
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Invitation::from).collect())
}

/// Revokes a pending invitation of the actor's org: its link stops working.
/// `NOT_FOUND_001` for another org's or a settled one.
pub async fn revoke(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    actor.require(Role::Admin)?;
    let mut tx = db.pool().begin().await?;
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM invitations WHERE id = $1 AND org_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL")
        .bind(id)
        .bind(actor.org_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let role = role.ok_or_else(|| AppError::not_found("Invitation"))?;
    if !actor.role.may_manage(Role::parse(&role).unwrap_or(Role::Owner)) {
        return Err(AppError::forbidden().into());
    }
    sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND org_id = $3")
        .bind(now_ms())
        .bind(id)
        .bind(actor.org_id.as_str())
        .execute(&mut *tx)
        .await?;
    audit::record_as(&mut tx, actor, "member.invitation_revoked", json!({ "invitation_id": id })).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Pending {
    id: String,
    org_id: OrgId,
    org_name: String,
    email: String,
    role: String,
    expires_at: i64,
    accepted_at: Option<i64>,
    revoked_at: Option<i64>,
}

/// The invitation a token opens, or `AUTH_008` saying why it does not.
async fn open(conn: &mut sqlx::AnyConnection, token: &str, now: i64) -> Result<Pending> {
    let row = sqlx::query_as::<_, Pending>(
        "SELECT i.id, i.org_id, o.name AS org_name, i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at \
         FROM invitations i JOIN orgs o ON o.id = i.org_id WHERE i.token_hash = $1",
    )
    .bind(token_digest(token))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Err(link_invalid("This invitation link is not valid. Ask for a new invitation.")) };
    if row.accepted_at.is_some() {
        return Err(link_invalid("This invitation was already accepted."));
    }
    if row.revoked_at.is_some() {
        return Err(link_invalid("This invitation was withdrawn. Ask for a new invitation."));
    }
    if row.expires_at <= now {
        return Err(link_invalid("This invitation has expired. Ask for a new invitation."));
    }
    Ok(row)
}

/// Marks the invitation accepted by `user` and makes them a member: the conditional
/// update lets one of two concurrent acceptances win.
async fn settle(conn: &mut sqlx::AnyConnection, inv: &Pending, user: &User, now: i64) -> Result<()> {
    let claimed = sqlx::query("UPDATE invitations SET accepted_at = $1, accepted_by = $2 WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(user.id.as_str())
        .bind(&inv.id)
        .execute(&mut *conn)
        .await?;
    if claimed.rows_affected() != 1 {
        return Err(link_invalid("This invitation was already accepted."));
    }
    let role = Role::parse(&inv.role).unwrap_or(Role::Viewer);
    sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(inv.org_id.as_str())
        .bind(user.id.as_str())
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    audit::record(&mut *conn, Some(&inv.org_id), Some(&user.id), "member.joined", json!({ "invitation_id": inv.id, "role": role.as_str() })).await?;
    Ok(())
}

/// What the invitation page shows for `token`: the org, the address, the role, and
/// whether that address has an account (which then signs in to accept). `viewer` is
/// whoever is signed in on the browser. `AUTH_008` for a link that does not work.
pub async fn preview(db: &Db, token: &str, viewer: Option<&User>) -> Result<InvitationPreview> {
    let mut conn = db.pool().acquire().await?;
    let inv = open(&mut conn, token, now_ms()).await?;
    let has_account: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(&inv.email).fetch_optional(&mut *conn).await?;
    Ok(InvitationPreview {
        org_name: inv.org_name,
        email: inv.email,
        role: Role::parse(&inv.role).unwrap_or(Role::Viewer),
        has_account: has_account.is_some(),
        signed_in_as: viewer.map(|u| u.email.clone()),
    })
}

/// Accepts an invitation as a new person: creates their account (verified: the token
/// came through the address) and membership. `CONFLICT_001` when the address has an
/// account already (it signs in and accepts instead), `AUTH_008` for a link that does not
/// work. Returns the new account and the org.
pub async fn accept_new(db: &Db, token: &str, name: &PersonName, password: &Password) -> Result<(User, OrgId)> {
    let now = now_ms();
    let mut tx = db.pool().begin().await?;
    let inv = open(&mut tx, token, now).await?;
    let email = EmailAddress::parse(&inv.email)?;
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email.as_str()).fetch_optional(&mut *tx).await?;
    if taken.is_some() {
        return Err(ServiceError::app(ErrorCode::Conflict, format!("{email} already has an account: sign in with it, then open this link again to accept.")));
    }
    let user = auth::create_user_in(&mut tx, &email, name, password, false).await?;
    settle(&mut tx, &inv, &user, now).await?;
    tx.commit().await?;
    Ok((user, inv.org_id))
}

/// Accepts an invitation as the signed-in `user`, whose address must be the invited
/// one (`AUTH_003` otherwise). `AUTH_008` for a link that does not work. Returns the org.
pub async fn accept_as(db: &Db, user: &User, token: &str) -> Result<OrgId> {
    let now = now_ms();
    let mut tx = db.pool().begin().await?;
    let inv = open(&mut tx, token, now).await?;
    if !inv.email.eq_ignore_ascii_case(&user.email) {
        return Err(ServiceError::app(ErrorCode::Forbidden, format!("This invitation is for {}: sign in with that address to accept it.", inv.email)));
    }
    settle(&mut tx, &inv, user, now).await?;
    tx.commit().await?;
    Ok(inv.org_id)
}
