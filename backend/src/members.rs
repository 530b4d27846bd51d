//! Members of an org and their roles (ORG-1). Admins add, re-role and remove members;
//! only owners touch owners; an org always keeps at least one owner.

use crate::audit;
use crate::auth::{self, Actor};
use crate::clock::now_ms;
use crate::error::{Result, ServiceError};
use crate::Db;
use domain::dto::Member;
use domain::{AppError, EmailAddress, ErrorCode, Password, PersonName, Role, UserId};
use serde_json::json;

/// A person to add to the actor's org. `password` is needed only when the email has
/// no account yet; it becomes that account's first password.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub email: EmailAddress,
    pub name: PersonName,
    pub role: Role,
    pub password: Option<Password>,
}

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

/// Adds a person to the actor's org with a role, creating their account when the email
/// is new. Fails with `CONFLICT_001` when they are already a member.
pub async fn add(db: &Db, actor: &Actor, new: &NewMember) -> Result<Member> {
    may_manage(actor, new.role)?;
    let mut tx = db.pool().begin().await?;
    let existing: Option<(UserId, String)> =
        sqlx::query_as("SELECT id, name FROM users WHERE email = $1").bind(new.email.as_str()).fetch_optional(&mut *tx).await?;
    let (user_id, name) = match existing {
        Some(found) => found,
        None => {
            let password =
                new.password.as_ref().ok_or_else(|| AppError::validation(format!("{} has no account yet: give them a first password.", new.email)))?;
            let user = auth::create_user_in(&mut tx, &new.email, &new.name, password, false).await?;
            (user.id, user.name)
        }
    };
    let joined_at = now_ms();
    let inserted = sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(actor.org_id.as_str())
        .bind(user_id.as_str())
        .bind(new.role.as_str())
        .bind(joined_at)
        .execute(&mut *tx)
        .await?;
    if inserted.rows_affected() == 0 {
        return Err(ServiceError::app(ErrorCode::Conflict, format!("{} is already a member.", new.email)));
    }
    audit::record_as(&mut tx, actor, "member.added", json!({ "user_id": user_id.as_str(), "role": new.role.as_str() })).await?;
    tx.commit().await?;
    Ok(Member { user_id, email: new.email.as_str().to_owned(), name, role: new.role, joined_at })
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
