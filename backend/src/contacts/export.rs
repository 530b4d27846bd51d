//! Contact export (INGEST-5): the current view or everything, as CSV for spreadsheets —
//! UTF-8 with a BOM, tags comma-separated in one cell, custom fields as columns, and
//! cells that would run as formulas neutralised.

use super::search;
use crate::error::Result;
use crate::Db;
use domain::contacts::ContactFilters;
use domain::csv::Writer;
use domain::time::iso_time;
use serde_json::Value;

/// The most contacts one export holds.
pub const MAX_EXPORT_ROWS: usize = 1_000_000;

/// The CSV of the actor's org's contacts matching the list's filters `f` (all of them
/// without any): the list's current view. Any member.
pub async fn csv(db: &Db, actor: &crate::auth::Actor, f: &ContactFilters) -> Result<Vec<u8>> {
    let org = &actor.org_id;
    // The export reads the list's filters through the same parser; its paging is unused.
    let query = &super::filters::query(db, org, f, 1, search::MAX_PER_PAGE).await?;
    let defs = super::fields::list_for_org(db, org).await?;
    let contacts = search::all(db, org, query).await?;
    let mut w = Writer::new();
    let mut head: Vec<String> = [
        "phone",
        "name",
        "whatsapp_name",
        "email",
        "company",
        "tags",
        "lead_status",
        "lifecycle_stage",
        "score",
        "opt_in_status",
        "birthday",
        "source",
        "created_at",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    head.extend(defs.iter().map(|d| d.key.clone()));
    w.row(&head);
    for c in contacts.iter().take(MAX_EXPORT_ROWS) {
        let mut row = vec![
            c.phone.clone().unwrap_or_default(),
            c.name.clone().unwrap_or_default(),
            c.profile_name.clone().unwrap_or_default(),
            c.email.clone().unwrap_or_default(),
            c.company.clone().unwrap_or_default(),
            c.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", "),
            c.lead_status.clone(),
            c.lifecycle_stage.clone(),
            c.score.to_string(),
            c.opt_in_status.clone(),
            c.birthday.clone().unwrap_or_default(),
            c.source.clone(),
            iso_time(c.created_at),
        ];
        row.extend(defs.iter().map(|d| match c.custom_fields.get(&d.key) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        }));
        w.row(&row);
    }
    Ok(w.into_bytes())
}
