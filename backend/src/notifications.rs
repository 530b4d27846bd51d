//! In-app notifications (NOTIFY): stored per person; the bell and live delivery come with
//! the inbox issue.

use crate::clock::{new_id, now_ms};
use crate::error::Result;
use crate::Db;
use domain::OrgId;
use sqlx::{AnyConnection, Row};

/// Notifies every owner and admin of an org.
pub async fn notify_admins(conn: &mut AnyConnection, org: &OrgId, kind: &str, title: &str, body: &str, link: Option<&str>) -> Result<usize> {
    let admins: Vec<String> = sqlx::query("SELECT user_id FROM memberships WHERE org_id = $1 AND role IN ('owner', 'admin')")
        .bind(org.as_str())
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| r.get("user_id"))
        .collect();
    let now = now_ms();
    for user in &admins {
        let id = new_id();
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
        crate::events::publish_in(conn, org, "notification", None, Some(user), &event, now).await?;
    }
    Ok(admins.len())
}

/// A person's notification, newest first in listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub read: bool,
}

/// The latest notifications of a person in an org.
pub async fn list_for(db: &Db, org: &OrgId, user: &domain::UserId, limit: i64) -> Result<Vec<Notification>> {
    let rows = sqlx::query("SELECT kind, title, body, read_at FROM notifications WHERE org_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3")
        .bind(org.as_str())
        .bind(user.as_str())
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Notification { kind: r.get("kind"), title: r.get("title"), body: r.get("body"), read: r.get::<Option<i64>, _>("read_at").is_some() })
        .collect())
}
