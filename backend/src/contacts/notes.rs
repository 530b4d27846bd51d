//! Notes on a contact (CRM-3): written by members, or arriving with a lead.

use super::model::{require_contact, require_contact_in, Who};
use crate::clock::new_id;
use crate::error::Result;
use crate::Db;
use domain::dto::ContactNoteView;
use domain::{AppError, ContactId};
use serde_json::json;
use sqlx::AnyConnection;

/// The longest note kept.
pub const MAX_NOTE_CHARS: usize = 5_000;

/// Adds a note (and a timeline line) inside the caller's transaction.
pub async fn add_in(conn: &mut AnyConnection, who: &Who, contact: &str, body: &str, now: i64) -> Result<String> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::validation("A note cannot be empty.").into());
    }
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::validation("A note can be at most 5,000 characters.").into());
    }
    let id = new_id();
    sqlx::query("INSERT INTO contact_notes (id, org_id, contact_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(who.org.as_str())
        .bind(contact)
        .bind(who.user.as_ref().map(|u| u.as_str().to_owned()))
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let preview: String = body.chars().take(140).collect();
    super::activity::record_in(conn, &who.org, who.user.as_ref(), contact, "note", &json!({"note_id": id, "text": preview, "via": who.via.as_str()}), now)
        .await?;
    Ok(id)
}

/// Adds a note to a contact of the org.
pub async fn add(db: &Db, actor: &crate::auth::Actor, contact: &ContactId, body: &str, now: i64) -> Result<String> {
    actor.require(domain::Role::Agent)?;
    let who = &Who::of(actor);
    let mut tx = db.pool().begin().await?;
    require_contact_in(&mut tx, &who.org, contact).await?;
    let id = add_in(&mut tx, who, contact.as_str(), body, now).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: String,
    body: String,
    author_name: Option<String>,
    created_at: i64,
}

/// The contact's notes, newest first.
pub async fn list(db: &Db, actor: &crate::auth::Actor, contact: &ContactId) -> Result<Vec<ContactNoteView>> {
    let org = &actor.org_id;
    require_contact(db, org, contact).await?;
    let rows = sqlx::query_as::<_, NoteRow>(
        "SELECT n.id, n.body, u.name AS author_name, n.created_at FROM contact_notes n LEFT JOIN users u ON u.id = n.author_id \
         WHERE n.org_id = $1 AND n.contact_id = $2 ORDER BY n.created_at DESC, n.id DESC",
    )
    .bind(org.as_str())
    .bind(contact.as_str())
    .fetch_all(db.reader())
    .await?;
    Ok(rows.into_iter().map(|r| ContactNoteView { id: r.id, body: r.body, author_name: r.author_name, at: r.created_at }).collect())
}
