//! Contact export (INGEST-5): the current view or everything, as CSV for spreadsheets —
//! UTF-8 with a BOM, tags comma-separated in one cell, custom fields as columns, and
//! cells that would run as formulas neutralised.

use super::model::BATCH;
use super::search;
use crate::error::Result;
use crate::Db;
use domain::contacts::ContactFilters;
use domain::csv::Writer;
use domain::time::iso_time;
use serde_json::Value;

/// The most contacts one export holds.
pub const MAX_EXPORT_ROWS: usize = 1_000_000;

/// An export being written: the header, then the contacts a batch at a time, so a large
/// org's export never holds every contact (only their ids) and the database is free
/// between batches for everyone else.
pub struct Export {
    db: Db,
    org: domain::OrgId,
    defs: Vec<domain::dto::CustomFieldView>,
    ids: std::vec::IntoIter<String>,
    header_done: bool,
}

/// Starts the CSV of the actor's org's contacts matching the list's filters `f` (all of
/// them without any): the list's current view. Any member.
pub async fn start(db: &Db, actor: &crate::auth::Actor, f: &ContactFilters) -> Result<Export> {
    let org = &actor.org_id;
    // The export reads the list's filters through the same parser; its paging is unused.
    let query = &super::filters::query(db, org, f, 1, search::MAX_PER_PAGE).await?;
    let defs = super::fields::list_for_org(db, org).await?;
    let mut ids = search::ids(db, org, query).await?;
    ids.truncate(MAX_EXPORT_ROWS);
    Ok(Export { db: db.clone(), org: org.clone(), defs, ids: ids.into_iter(), header_done: false })
}

impl Export {
    /// The next piece of the file (the header first, with the BOM), or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        if !self.header_done {
            self.header_done = true;
            let mut w = Writer::new();
            w.row(&header(&self.defs));
            return Ok(Some(w.into_bytes()));
        }
        let mut w = Writer::continuation();
        let batch: Vec<String> = self.ids.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            return Ok(None);
        }
        for c in search::by_ids(&self.db, &self.org, &batch).await? {
            w.row(&row(&c, &self.defs));
        }
        Ok(Some(w.into_bytes()))
    }
}

/// The whole CSV in memory (tests and small exports; the download route streams).
pub async fn csv(db: &Db, actor: &crate::auth::Actor, f: &ContactFilters) -> Result<Vec<u8>> {
    let mut export = start(db, actor, f).await?;
    let mut out = Vec::new();
    while let Some(chunk) = export.next_chunk().await? {
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn header(defs: &[domain::dto::CustomFieldView]) -> Vec<String> {
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
    head
}

fn row(c: &domain::dto::ContactView, defs: &[domain::dto::CustomFieldView]) -> Vec<String> {
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
    row
}
