//! Coloured tags (CRM-1): at most [`MAX_TAGS_PER_ORG`] per org, names unique regardless
//! of case, attached to contacts in bulk.

use super::model::Who;
use crate::clock::new_id;
use crate::db::placeholders;
use crate::error::{Result, ServiceError};
use crate::Db;
use domain::dto::TagView;
use domain::{AppError, ErrorCode, OrgId};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The most tags an org may have.
pub const MAX_TAGS_PER_ORG: usize = 50;

/// The colours new tags get in turn when none is given.
const PALETTE: [&str; 8] = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

/// A tag name as stored: trimmed, 1–40 characters.
pub fn clean_name(name: &str) -> std::result::Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 40 {
        return Err(AppError::validation(format!("A tag name must be 1 to 40 characters (\u{201c}{n}\u{201d}).")));
    }
    Ok(n.to_owned())
}

/// A colour as stored: `#rrggbb`, lower-case.
pub fn clean_colour(colour: &str) -> std::result::Result<String, AppError> {
    let c = colour.trim().to_ascii_lowercase();
    if c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(c)
    } else {
        Err(AppError::validation(format!("A tag colour is written #rrggbb (\u{201c}{}\u{201d}).", colour.trim())))
    }
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The id of the org's tag with this name (any case), if it has one.
pub async fn id_by_name(db: &Db, org: &OrgId, name: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM tags WHERE org_id = $1 AND name_key = $2").bind(org.as_str()).bind(key(name)).fetch_optional(db.pool()).await?)
}

#[derive(sqlx::FromRow)]
struct TagRow {
    id: String,
    name: String,
    colour: String,
    n: i64,
}

/// The org's tags with how many live contacts carry each, by name.
pub async fn list(db: &Db, actor: &crate::auth::Actor) -> Result<Vec<TagView>> {
    let org = &actor.org_id;
    let rows = sqlx::query_as::<_, TagRow>(
        "SELECT t.id, t.name, t.colour, (SELECT COUNT(*) FROM contact_tags ct JOIN contacts c ON c.id = ct.contact_id WHERE ct.tag_id = t.id AND c.deleted_at IS NULL) AS n \
         FROM tags t WHERE t.org_id = $1 ORDER BY t.name_key",
    )
    .bind(org.as_str())
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| TagView { id: r.id, name: r.name, colour: r.colour, contacts: r.n }).collect())
}

/// Finds the tags by name, creating missing ones (refused past the org's limit).
/// Returns name key → tag id.
pub async fn ensure_in(conn: &mut AnyConnection, org: &OrgId, names: &[String], now: i64) -> Result<HashMap<String, String>> {
    let mut wanted: Vec<String> = names.iter().map(|n| clean_name(n)).collect::<std::result::Result<_, _>>()?;
    wanted.sort_by_key(|n| key(n));
    wanted.dedup_by_key(|n| key(n));
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, name_key FROM tags WHERE org_id = $1").bind(org.as_str()).fetch_all(&mut *conn).await?;
    let mut known: HashMap<String, String> = rows.into_iter().map(|(id, name_key)| (name_key, id)).collect();
    let missing: Vec<&String> = wanted.iter().filter(|n| !known.contains_key(&key(n))).collect();
    if known.len() + missing.len() > MAX_TAGS_PER_ORG {
        return Err(ServiceError::app(ErrorCode::Validation, format!("An org can have at most {MAX_TAGS_PER_ORG} tags; remove unused tags first.")));
    }
    for (i, name) in missing.into_iter().enumerate() {
        let id = new_id();
        let colour = PALETTE[(known.len() + i) % PALETTE.len()];
        sqlx::query(
            "INSERT INTO tags (id, org_id, name, name_key, colour, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, name_key) DO NOTHING",
        )
        .bind(&id)
        .bind(org.as_str())
        .bind(name)
        .bind(key(name))
        .bind(colour)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let id: String =
            sqlx::query_scalar("SELECT id FROM tags WHERE org_id = $1 AND name_key = $2").bind(org.as_str()).bind(key(name)).fetch_one(&mut *conn).await?;
        known.insert(key(name), id);
    }
    Ok(known)
}

/// Adds tags to contacts (`(contact id, tag names)`), recording each new tag on the
/// contact's timeline — unless `new_contacts`: contacts created in this transaction have
/// no tags yet, and their "created" line already lists them (an import of 100,000 rows
/// would otherwise write 100,000s of lines).
pub async fn attach_many_in(conn: &mut AnyConnection, who: &Who, pairs: &[(String, &Vec<String>)], now: i64, new_contacts: bool) -> Result<()> {
    let names: Vec<String> = pairs.iter().flat_map(|(_, t)| t.iter().cloned()).collect();
    let ids = ensure_in(conn, &who.org, &names, now).await?;
    let mut links: Vec<(String, String, String)> = Vec::new();
    for (contact, tags) in pairs {
        for t in tags.iter() {
            if let Some(tag) = ids.get(&key(t)) {
                links.push((contact.clone(), tag.clone(), t.trim().to_owned()));
            }
        }
    }
    links.sort();
    links.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    // Which links exist already, so only new ones reach the timeline.
    let mut lines = Vec::new();
    for chunk in links.chunks(crate::db::rows_per_statement(2)) {
        let contacts: Vec<&String> = chunk.iter().map(|l| &l.0).collect();
        let sql = format!("SELECT contact_id, tag_id FROM contact_tags WHERE contact_id IN ({})", placeholders(1, contacts.len()));
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for c in &contacts {
            q = q.bind((*c).clone());
        }
        let have: std::collections::HashSet<(String, String)> =
            if new_contacts { Default::default() } else { q.fetch_all(&mut *conn).await?.into_iter().collect() };
        let new: Vec<&(String, String, String)> = chunk.iter().filter(|l| !have.contains(&(l.0.clone(), l.1.clone()))).collect();
        if new.is_empty() {
            continue;
        }
        let values: Vec<String> = (0..new.len()).map(|n| format!("(${}, ${}, $1)", n * 2 + 2, n * 2 + 3)).collect();
        let sql = format!("INSERT INTO contact_tags (contact_id, tag_id, created_at) VALUES {} ON CONFLICT (contact_id, tag_id) DO NOTHING", values.join(", "));
        let mut q = sqlx::query(&sql).bind(now);
        for l in &new {
            q = q.bind(l.0.clone()).bind(l.1.clone());
        }
        q.execute(&mut *conn).await?;
        if new_contacts {
            continue;
        }
        lines.extend(new.iter().map(|l| (l.0.clone(), "tag_added".to_owned(), json!({"tag": l.2, "via": who.via.as_str()}))));
    }
    super::activity::record_many_in(conn, &who.org, who.user.as_ref(), &lines, now).await?;
    Ok(())
}

/// Removes a tag (by name) from contacts; records it on their timelines.
pub async fn detach_in(conn: &mut AnyConnection, who: &Who, contacts: &[String], name: &str, now: i64) -> Result<u64> {
    let Some((tag, tag_name)) = sqlx::query_as::<_, (String, String)>("SELECT id, name FROM tags WHERE org_id = $1 AND name_key = $2")
        .bind(who.org.as_str())
        .bind(key(name))
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(0);
    };
    let mut removed = 0;
    let mut lines = Vec::new();
    for c in contacts {
        let n = sqlx::query("DELETE FROM contact_tags WHERE contact_id = $1 AND tag_id = $2").bind(c).bind(&tag).execute(&mut *conn).await?.rows_affected();
        if n > 0 {
            removed += n;
            lines.push((c.clone(), "tag_removed".to_owned(), json!({"tag": tag_name, "via": who.via.as_str()})));
        }
    }
    super::activity::record_many_in(conn, &who.org, who.user.as_ref(), &lines, now).await?;
    Ok(removed)
}

/// Creates or recolours/renames a tag (managers and up, checked by the caller).
pub async fn save(db: &Db, actor: &crate::auth::Actor, id: Option<&str>, name: &str, colour: &str, now: i64) -> Result<TagView> {
    actor.require(domain::Role::Manager)?;
    let org = &actor.org_id;
    let (name, colour) = (clean_name(name)?, clean_colour(colour)?);
    let mut tx = db.pool().begin().await?;
    let clash: Option<String> =
        sqlx::query_scalar("SELECT id FROM tags WHERE org_id = $1 AND name_key = $2").bind(org.as_str()).bind(key(&name)).fetch_optional(&mut *tx).await?;
    if clash.is_some_and(|c| Some(c.as_str()) != id) {
        return Err(ServiceError::app(ErrorCode::Conflict, format!("There is already a tag called \u{201c}{name}\u{201d}.")));
    }
    let id = match id {
        Some(id) => {
            let n = sqlx::query("UPDATE tags SET name = $1, name_key = $2, colour = $3 WHERE id = $4 AND org_id = $5")
                .bind(&name)
                .bind(key(&name))
                .bind(&colour)
                .bind(id)
                .bind(org.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(AppError::not_found("Tag").into());
            }
            id.to_owned()
        }
        None => {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) AS n FROM tags WHERE org_id = $1").bind(org.as_str()).fetch_one(&mut *tx).await?;
            if count as usize >= MAX_TAGS_PER_ORG {
                return Err(ServiceError::app(ErrorCode::Validation, format!("An org can have at most {MAX_TAGS_PER_ORG} tags; remove unused tags first.")));
            }
            let id = new_id();
            sqlx::query("INSERT INTO tags (id, org_id, name, name_key, colour, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&id)
                .bind(org.as_str())
                .bind(&name)
                .bind(key(&name))
                .bind(&colour)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            id
        }
    };
    tx.commit().await?;
    Ok(TagView { id, name, colour, contacts: 0 })
}

/// Deletes a tag of the org (it disappears from every contact).
pub async fn delete(db: &Db, actor: &crate::auth::Actor, id: &str) -> Result<()> {
    actor.require(domain::Role::Manager)?;
    let org = &actor.org_id;
    let n = sqlx::query("DELETE FROM tags WHERE id = $1 AND org_id = $2").bind(id).bind(org.as_str()).execute(db.pool()).await?.rows_affected();
    if n == 0 {
        return Err(AppError::not_found("Tag").into());
    }
    Ok(())
}
