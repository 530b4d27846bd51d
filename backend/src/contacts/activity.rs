//! A contact's timeline (CRM-3): what happened to it, when, and who did it.

use crate::clock::new_id;
use crate::db::placeholders;
use crate::error::Result;
use crate::Db;
use domain::dto::ContactActivityView;
use domain::{OrgId, UserId};
use serde_json::Value;
use sqlx::AnyConnection;

/// Appends one line to a contact's timeline.
pub async fn record_in(conn: &mut AnyConnection, org: &OrgId, actor: Option<&UserId>, contact: &str, kind: &str, detail: &Value, now: i64) -> Result<()> {
    record_many_in(conn, org, actor, &[(contact.to_owned(), kind.to_owned(), detail.clone())], now).await
}

/// Appends lines `(contact id, kind, detail)` in one statement (imports write thousands).
pub async fn record_many_in(conn: &mut AnyConnection, org: &OrgId, actor: Option<&UserId>, lines: &[(String, String, Value)], now: i64) -> Result<()> {
    const COLS: usize = 7;
    for chunk in lines.chunks(crate::db::rows_per_statement(COLS)) {
        let values: Vec<String> = (0..chunk.len()).map(|n| format!("({})", placeholders(n * COLS + 1, COLS))).collect();
        let sql = format!("INSERT INTO contact_activity (id, org_id, contact_id, kind, detail, actor_id, created_at) VALUES {}", values.join(", "));
        let mut q = sqlx::query(&sql);
        for (contact, kind, detail) in chunk {
            q = q
                .bind(new_id())
                .bind(org.as_str().to_owned())
                .bind(contact.clone())
                .bind(kind.clone())
                .bind(detail.to_string())
                .bind(actor.map(|a| a.as_str().to_owned()))
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: String,
    kind: String,
    /// JSON for the contact's own lines, the direction for messages: parsed per kind.
    detail: String,
    actor_name: Option<String>,
    at: i64,
}

#[derive(sqlx::FromRow)]
struct CreatedRow {
    source: String,
    created_via: Option<String>,
    created_at: i64,
    phone: Option<String>,
    actor_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MessageTextRow {
    id: String,
    #[sqlx(rename = "type")]
    kind: String,
    text: Option<String>,
}

/// The contact's timeline, newest first: its own lines and its WhatsApp messages.
pub async fn timeline(db: &Db, actor: &crate::auth::Actor, contact: &domain::ContactId, limit: i64) -> Result<Vec<ContactActivityView>> {
    let org = &actor.org_id;
    super::model::require_contact(db, org, contact).await?;
    let rows = sqlx::query_as::<_, LineRow>(
        "SELECT a.id AS id, a.kind AS kind, a.detail AS detail, u.name AS actor_name, a.created_at AS at FROM contact_activity a LEFT JOIN users u ON u.id = a.actor_id \
         WHERE a.org_id = $1 AND a.contact_id = $2 \
         UNION ALL \
         SELECT m.id AS id, 'message' AS kind, m.direction AS detail, u.name AS actor_name, m.created_at AS at FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         LEFT JOIN users u ON u.id = m.author_id WHERE c.org_id = $1 AND c.contact_id = $2 AND m.direction IN ('inbound', 'outbound') \
         ORDER BY at DESC, id DESC LIMIT $3",
    )
    .bind(org.as_str())
    .bind(contact.as_str())
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    // Message lines carry only the direction here; their text is read below in one go.
    let mut out: Vec<ContactActivityView> = rows
        .into_iter()
        .map(|r| {
            let detail =
                if r.kind == "message" { serde_json::json!({ "direction": r.detail }) } else { serde_json::from_str(&r.detail).unwrap_or(Value::Null) };
            ContactActivityView { id: r.id, kind: r.kind, detail, actor_name: r.actor_name, at: r.at }
        })
        .collect();
    // The first line, from the contact row: when, by which way in, from which source, by
    // whom, with the tags it came with (linked in the same instant).
    let c = sqlx::query_as::<_, CreatedRow>("SELECT c.source, c.created_via, c.created_at, c.phone, u.name AS actor_name FROM contacts c LEFT JOIN users u ON u.id = c.created_by WHERE c.org_id = $1 AND c.id = $2")
        .bind(org.as_str())
        .bind(contact.as_str())
        .fetch_one(db.reader())
        .await?;
    let created_at = c.created_at;
    let tags: Vec<String> = sqlx::query_scalar(
        "SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = $1 AND ct.created_at = $2 ORDER BY t.name_key",
    )
    .bind(contact.as_str())
    .bind(created_at)
    .fetch_all(db.reader())
    .await?;
    if (out.len() as i64) < limit {
        let detail = serde_json::json!({"source": c.source, "via": c.created_via.unwrap_or_else(|| "whatsapp".into()), "phone": c.phone, "tags": tags});
        out.push(ContactActivityView { id: format!("created-{}", contact.as_str()), kind: "created".into(), detail, actor_name: c.actor_name, at: created_at });
    }
    let message_ids: Vec<String> = out.iter().filter(|a| a.kind == "message").map(|a| a.id.clone()).collect();
    if !message_ids.is_empty() {
        let sql = format!("SELECT id, type, text FROM messages WHERE org_id = $1 AND id IN ({})", placeholders(2, message_ids.len()));
        let mut q = sqlx::query_as::<_, MessageTextRow>(&sql).bind(org.as_str());
        for id in &message_ids {
            q = q.bind(id.clone());
        }
        for r in q.fetch_all(db.reader()).await? {
            if let Some(a) = out.iter_mut().find(|a| a.id == r.id) {
                a.detail["type"] = Value::from(r.kind);
                a.detail["text"] = Value::from(r.text);
            }
        }
    }
    Ok(out)
}
