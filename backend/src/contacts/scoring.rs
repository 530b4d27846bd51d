//! Lead scores (CRM-4), recomputed from scratch from the org's rules and the contact's
//! facts whenever something that rules look at changes, so a score never drifts.

use super::model::{CrmSettings, BATCH};
use crate::db::placeholders;
use crate::db::rows::Flag;
use crate::error::Result;
use domain::scoring::{score, ContactFacts};
use domain::OrgId;
use sqlx::AnyConnection;
use std::collections::HashMap;

#[derive(sqlx::FromRow)]
struct FactsRow {
    id: String,
    source: String,
    score: i64,
    replied: Flag,
}

/// Recomputes the scores of `contacts` and stores the ones that changed.
pub async fn recompute_in(conn: &mut AnyConnection, org: &OrgId, settings: &CrmSettings, contacts: &[String]) -> Result<()> {
    for chunk in contacts.chunks(BATCH) {
        if chunk.is_empty() {
            continue;
        }
        let list = placeholders(2, chunk.len());
        if settings.score_rules.is_empty() {
            // No rules: every score is 0 (one statement, the common case for imports).
            let sql = format!("UPDATE contacts SET score = 0 WHERE org_id = $1 AND id IN ({list}) AND score <> 0");
            let mut q = sqlx::query(&sql).bind(org.as_str());
            for id in chunk {
                q = q.bind(id.clone());
            }
            q.execute(&mut *conn).await?;
            continue;
        }
        let sql = format!(
            "SELECT c.id, c.source, c.score, EXISTS (SELECT 1 FROM conversations v JOIN messages m ON m.conversation_id = v.id WHERE v.contact_id = c.id AND m.direction = 'inbound') AS replied \
             FROM contacts c WHERE c.org_id = $1 AND c.id IN ({list})"
        );
        let mut q = sqlx::query_as::<_, FactsRow>(&sql).bind(org.as_str());
        for id in chunk {
            q = q.bind(id.clone());
        }
        let rows = q.fetch_all(&mut *conn).await?;
        let sql = format!(
            "SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for id in chunk {
            q = q.bind(id.clone());
        }
        let mut tags: HashMap<String, Vec<String>> = HashMap::new();
        for (contact, name) in q.fetch_all(&mut *conn).await? {
            tags.entry(contact).or_default().push(name);
        }
        for r in rows {
            let facts = ContactFacts { source: r.source, has_replied: r.replied.0, tags: tags.remove(&r.id).unwrap_or_default(), clicks: 0 };
            let new = i64::from(score(&settings.score_rules, &facts));
            if new != r.score {
                sqlx::query("UPDATE contacts SET score = $1 WHERE id = $2").bind(new).bind(&r.id).execute(&mut *conn).await?;
            }
        }
    }
    Ok(())
}
