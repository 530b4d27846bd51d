//! Members of an org and their roles (ORG-1). Admins re-role and remove members (people
//! join only by accepting an invitation, see `invitations`); only owners touch owners; an
//! org always keeps at least one owner.

use crate::audit;
use crate::auth::Actor;
use crate::clock::now_ms;
use crate::error::{Result, ServiceError};
use crate::Db;
use domain::dto::Member;
use domain::{AppError, ErrorCode, Role, UserId};
use serde_json::json;

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: UserId,
    email: String,
    name: String,
    role: String,
    created_at: i64,
}

/// Every member of the actor's org, by name. Any member may list them.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<Member>> {
    let rows = sqlx::query_as::<_, MemberRow>(
        "SELECT u.id, u.email, u.name, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 ORDER BY u.name, u.email",
    )
    .bind(actor.org_id.as_str())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Member { user_id: r.id, email: r.email, name: r.name, role: Role::parse(&r.role).unwrap_or(Role::Viewer), joined_at: r.created_at })
        .collect())
}

/// The member's role in the actor's org, or `NOT_FOUND_001`.
async fn role_of(conn: &mut sqlx::AnyConnection, actor: &Actor, user: &UserId) -> Result<Role> {
    let role: String = sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(actor.org_id.as_str())
        .bind(user.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::not_found("Member"))?;
    Ok(Role::parse(&role).unwrap_or(Role::Viewer))
}

async fn owner_count(conn: &mut sqlx::AnyConnection, actor: &Actor) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) AS n FROM memberships WHERE org_id = $1 AND role = 'owner'")
        .bind(actor.org_id.as_str())
        .fetch_one(&mut *conn)
        .await?)
}

fn may_manage(actor: &Actor, target: Role) -> Result<()> {
    if actor.role.may_manage(target) {
        Ok(())
    } else {
        Err(AppError::forbidden().into())
    }
}

/// Gives a member of the actor's org another role.
pub async fn change_role(db: &Db, actor: &Actor, user: &UserId, role: Role) -> Result<()> {
    actor.require(Role::Admin)?;
    let mut tx = db.pool().begin().await?;
    let current = role_of(&mut tx, actor, user).await?;
    may_manage(actor, current)?;
    may_manage(actor, role)?;
    if current == Role::Owner && role != Role::Owner && owner_count(&mut tx, actor).await? <= 1 {
        return Err(ServiceError::app(ErrorCode::Conflict, "An organisation needs at least one owner."));
    }
    sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
        .bind(role.as_str())
        .bind(actor.org_id.as_str())
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    audit::record_as(&mut tx, actor, "member.role_changed", json!({ "user_id": user.as_str(), "from": current.as_str(), "to": role.as_str() })).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member from the actor's org (their account stays for other orgs).
pub async fn remove(db: &Db, actor: &Actor, user: &UserId) -> Result<()> {
    actor.require(Role::Admin)?;
    let mut tx = db.pool().begin().await?;
    let current = role_of(&mut tx, actor, user).await?;
    may_manage(actor, current)?;
    if current == Role::Owner && owner_count(&mut tx, actor).await? <= 1 {
        return Err(ServiceError::app(ErrorCode::Conflict, "An organisation needs at least one owner."));
    }
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2").bind(actor.org_id.as_str()).bind(user.as_str()).execute(&mut *tx).await?;
    audit::record_as(&mut tx, actor, "member.removed", json!({ "user_id": user.as_str() })).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds an existing person to an org without an actor: used by the CLI and sign-up,
/// which are trusted. Does nothing when they are already a member.
pub async fn add_unchecked(db: &Db, org: &domain::OrgId, user: &UserId, role: Role) -> Result<()> {
    sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(org.as_str())
        .bind(user.as_str())
        .bind(role.as_str())
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    Ok(())
}
