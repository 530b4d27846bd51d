//! The audit log (ORG-4): who changed which security or configuration setting, when.

use crate::clock::{new_id, now_ms};
use crate::db::rows::Json;
use crate::error::Result;
use domain::{OrgId, UserId};
use sqlx::AnyConnection;

/// Appends one entry. Called inside the transaction of the change it records, so the
/// log and the change commit together.
pub async fn record(conn: &mut AnyConnection, org: Option<&OrgId>, actor: Option<&UserId>, action: &str, detail: serde_json::Value) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (id, org_id, actor_user_id, action, detail, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id())
        .bind(org.map(|o| o.as_str().to_owned()))
        .bind(actor.map(|a| a.as_str().to_owned()))
        .bind(action)
        .bind(detail.to_string())
        .bind(now_ms())
        .execute(conn)
        .await?;
    Ok(())
}

/// One audit entry, newest first in listings.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub action: String,
    pub actor_user_id: Option<String>,
    pub detail: serde_json::Value,
    pub at: i64,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    action: String,
    actor_user_id: Option<String>,
    detail: Json<serde_json::Value>,
    at: i64,
}

/// The latest entries of an org.
pub async fn list(db: &crate::Db, org: &OrgId, limit: i64) -> Result<Vec<AuditEntry>> {
    let rows = sqlx::query_as::<_, EntryRow>("SELECT action, actor_user_id, detail, at FROM audit_log WHERE org_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
        .bind(org.as_str())
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(|r| AuditEntry { action: r.action, actor_user_id: r.actor_user_id, detail: r.detail.0, at: r.at }).collect())
}

/// Records `action` by `actor`: a member is the entry's actor; an API key or an
/// automation is named in the detail as `by`.
pub async fn record_as(conn: &mut AnyConnection, actor: &crate::auth::Actor, action: &str, mut detail: serde_json::Value) -> Result<()> {
    if actor.user_id().is_none() {
        if let Some(map) = detail.as_object_mut() {
            map.insert("by".into(), serde_json::Value::from(actor.principal.describe()));
        }
    }
    record(conn, Some(&actor.org_id), actor.user_id(), action, detail).await
}
