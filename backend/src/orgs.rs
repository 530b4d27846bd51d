//! Orgs (tenants): creation, the profile shown in Settings, and which orgs a person
//! can switch to.

use crate::audit;
use crate::auth::{Actor, User};
use crate::clock::{new_id, now_ms};
use crate::error::Result;
use crate::Db;
use domain::dto::{OrgProfile, OrgSummary};
use domain::{AppError, CountryCode, OrgId, OrgName, Role, TimeZoneName};
use serde_json::json;

/// The editable part of an org's profile, already parsed.
#[derive(Debug, Clone)]
pub struct ProfileUpdate {
    pub name: OrgName,
    pub time_zone: TimeZoneName,
    pub default_country: CountryCode,
}

/// Creates an org with the given profile.
pub async fn create(db: &Db, name: &OrgName, time_zone: &TimeZoneName, default_country: CountryCode) -> Result<OrgId> {
    let mut conn = db.pool().acquire().await?;
    create_in(&mut conn, name, time_zone, default_country).await
}

pub(crate) async fn create_in(conn: &mut sqlx::AnyConnection, name: &OrgName, time_zone: &TimeZoneName, default_country: CountryCode) -> Result<OrgId> {
    let id = new_id();
    sqlx::query("INSERT INTO orgs (id, name, time_zone, default_country, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(name.as_str())
        .bind(time_zone.as_str())
        .bind(default_country.as_str())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    let org = OrgId::from_string(id);
    audit::record(conn, Some(&org), None, "org.created", json!({ "name": name.as_str() })).await?;
    Ok(org)
}

/// Whether an org with this id exists.
pub async fn exists(db: &Db, org: &OrgId) -> Result<bool> {
    Ok(sqlx::query("SELECT id FROM orgs WHERE id = $1").bind(org.as_str()).fetch_optional(db.pool()).await?.is_some())
}

/// The oldest org with exactly this name, if any (the CLI adds admins to orgs by name).
pub async fn find_by_name(db: &Db, name: &OrgName) -> Result<Option<OrgId>> {
    Ok(sqlx::query_scalar("SELECT id FROM orgs WHERE name = $1 ORDER BY created_at, id LIMIT 1").bind(name.as_str()).fetch_optional(db.pool()).await?)
}

#[derive(sqlx::FromRow)]
struct ProfileRow {
    id: OrgId,
    name: String,
    time_zone: String,
    default_country: String,
    created_at: i64,
}

impl From<ProfileRow> for OrgProfile {
    fn from(r: ProfileRow) -> OrgProfile {
        OrgProfile { id: r.id, name: r.name, time_zone: r.time_zone, default_country: r.default_country, created_at: r.created_at }
    }
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: OrgId,
    name: String,
    time_zone: String,
    role: Option<String>,
}

/// Reads an org's profile without an actor: for API-key callers, whose key is already
/// bound to the org.
pub async fn profile_by_id(db: &Db, org: &OrgId) -> Result<OrgProfile> {
    let row = sqlx::query_as::<_, ProfileRow>("SELECT id, name, time_zone, default_country, created_at FROM orgs WHERE id = $1")
        .bind(org.as_str())
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("Organisation"))?;
    Ok(row.into())
}

/// The profile of the actor's org. Every member may read it.
pub async fn profile(db: &Db, actor: &Actor) -> Result<OrgProfile> {
    profile_by_id(db, &actor.org_id).await
}

/// Changes the actor's org profile. Admins only; audited.
pub async fn update_profile(db: &Db, actor: &Actor, update: &ProfileUpdate) -> Result<OrgProfile> {
    actor.require(Role::Admin)?;
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE orgs SET name = $1, time_zone = $2, default_country = $3 WHERE id = $4")
        .bind(update.name.as_str())
        .bind(update.time_zone.as_str())
        .bind(update.default_country.as_str())
        .bind(actor.org_id.as_str())
        .execute(&mut *tx)
        .await?;
    audit::record_as(
        &mut tx,
        actor,
        "org.profile_updated",
        json!({ "name": update.name.as_str(), "time_zone": update.time_zone.as_str(), "default_country": update.default_country.as_str() }),
    )
    .await?;
    tx.commit().await?;
    profile(db, actor).await
}

/// The orgs a person can work in, by name: their memberships, or every org for a
/// super admin.
pub async fn list_for_user(db: &Db, user: &User) -> Result<Vec<OrgSummary>> {
    let rows = if user.is_super_admin {
        sqlx::query_as::<_, SummaryRow>(
            "SELECT o.id, o.name, o.time_zone, m.role FROM orgs o LEFT JOIN memberships m ON m.org_id = o.id AND m.user_id = $1 ORDER BY o.name, o.id",
        )
        .bind(user.id.as_str())
        .fetch_all(db.reader())
        .await?
    } else {
        sqlx::query_as::<_, SummaryRow>(
            "SELECT o.id, o.name, o.time_zone, m.role FROM orgs o JOIN memberships m ON m.org_id = o.id WHERE m.user_id = $1 ORDER BY o.name, o.id",
        )
        .bind(user.id.as_str())
        .fetch_all(db.reader())
        .await?
    };
    Ok(rows.into_iter().map(|r| OrgSummary { id: r.id, name: r.name, time_zone: r.time_zone, role: r.role.and_then(|s| Role::parse(&s)) }).collect())
}

/// Creates an org and its first owner in one transaction (sign-up): either both exist
/// afterwards or neither does. `CONFLICT_001` when the email already has an account.
pub async fn create_with_owner(
    db: &Db,
    org_name: &OrgName,
    owner_name: &domain::PersonName,
    email: &domain::EmailAddress,
    password: &domain::Password,
) -> Result<(User, OrgId)> {
    let mut tx = db.pool().begin().await?;
    let org = create_in(&mut tx, org_name, &TimeZoneName::utc(), CountryCode::parse("US")?).await?;
    let user = crate::auth::create_user_in(&mut tx, email, owner_name, password, false).await?;
    sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(org.as_str())
        .bind(user.id.as_str())
        .bind(Role::Owner.as_str())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((user, org))
}
