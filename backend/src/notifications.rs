//! In-app notifications (NOTIFY): stored per person and org, each also an event on the
//! org's log for that person only (the bell updates live). Kept 30 days.

use crate::auth::Actor;
use crate::clock::{new_id, now_ms};
use crate::error::Result;
use crate::Db;
use domain::OrgId;
use sqlx::AnyConnection;

/// How long notifications are kept.
pub const RETENTION_MS: i64 = 30 * 24 * 3600 * 1000;

/// Notifies one member, inside the caller's transaction.
pub async fn notify_in(conn: &mut AnyConnection, org: &OrgId, user: &str, kind: &str, title: &str, body: &str, link: Option<&str>) -> Result<()> {
    let (id, now) = (new_id(), now_ms());
    sqlx::query("INSERT INTO notifications (id, org_id, user_id, kind, title, body, link, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(&id)
        .bind(org.as_str())
        .bind(user)
        .bind(kind)
        .bind(title)
        .bind(body)
        .bind(link.map(str::to_owned))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let event = serde_json::json!({"notification_id": id, "kind": kind, "title": title, "body": body, "link": link});
    crate::events::publish_in(conn, org, "notification", None, Some(user), &event, now).await
}

/// Notifies every member of the org whose role is one of `roles`, except `except`.
#[allow(clippy::too_many_arguments)] // one call site per kind of notice; a struct would only rename the arguments
pub async fn notify_roles_in(
    conn: &mut AnyConnection,
    org: &OrgId,
    roles: &[&str],
    except: Option<&str>,
    kind: &str,
    title: &str,
    body: &str,
    link: Option<&str>,
) -> Result<usize> {
    let list = roles.iter().map(|r| format!("'{r}'")).collect::<Vec<_>>().join(", ");
    let users: Vec<String> =
        sqlx::query_scalar::<_, String>(&format!("SELECT user_id FROM memberships WHERE org_id = $1 AND role IN ({list}) ORDER BY user_id"))
            .bind(org.as_str())
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .filter(|u| Some(u.as_str()) != except)
            .collect();
    for user in &users {
        notify_in(conn, org, user, kind, title, body, link).await?;
    }
    Ok(users.len())
}

/// Notifies every owner and admin of an org.
pub async fn notify_admins(conn: &mut AnyConnection, org: &OrgId, kind: &str, title: &str, body: &str, link: Option<&str>) -> Result<usize> {
    notify_roles_in(conn, org, &["owner", "admin"], None, kind, title, body, link).await
}

pub use domain::dto::Notification;

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: String,
    kind: String,
    title: String,
    body: String,
    link: Option<String>,
    read_at: Option<i64>,
    created_at: i64,
}

/// The latest notifications of the member acting (`AUTH_003` for API keys and automations).
pub async fn list_for(db: &Db, actor: &Actor, limit: i64) -> Result<Vec<Notification>> {
    let (org, user) = (&actor.org_id, actor.member_id()?);
    let rows = sqlx::query_as::<_, NotificationRow>("SELECT id, kind, title, body, link, read_at, created_at FROM notifications WHERE org_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3")
        .bind(org.as_str())
        .bind(user.as_str())
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Notification { id: r.id, kind: r.kind, title: r.title, body: r.body, link: r.link, read: r.read_at.is_some(), created_at: r.created_at })
        .collect())
}

/// How many unread notifications the member acting has (the bell's count).
pub async fn unread_count(db: &Db, actor: &Actor) -> Result<i64> {
    let (org, user) = (&actor.org_id, actor.member_id()?);
    Ok(sqlx::query_scalar("SELECT COUNT(*) AS n FROM notifications WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL")
        .bind(org.as_str())
        .bind(user.as_str())
        .fetch_one(db.pool())
        .await?)
}

/// Marks one notification (`Some(id)`) or all of them read, for their owner (the member
/// acting) only.
pub async fn mark_read(db: &Db, actor: &Actor, id: Option<&str>) -> Result<u64> {
    let (org, user) = (&actor.org_id, actor.member_id()?);
    let now = now_ms();
    let done = match id {
        Some(id) => {
            sqlx::query("UPDATE notifications SET read_at = $1 WHERE org_id = $2 AND user_id = $3 AND id = $4 AND read_at IS NULL")
                .bind(now)
                .bind(org.as_str())
                .bind(user.as_str())
                .bind(id)
                .execute(db.pool())
                .await?
        }
        None => {
            sqlx::query("UPDATE notifications SET read_at = $1 WHERE org_id = $2 AND user_id = $3 AND read_at IS NULL")
                .bind(now)
                .bind(org.as_str())
                .bind(user.as_str())
                .execute(db.pool())
                .await?
        }
    };
    Ok(done.rows_affected())
}

/// Deletes notifications older than [`RETENTION_MS`].
pub async fn prune(db: &Db) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM notifications WHERE created_at < $1").bind(now_ms() - RETENTION_MS).execute(db.pool()).await?.rows_affected())
}
