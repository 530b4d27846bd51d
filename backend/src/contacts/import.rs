//! CSV import of contacts (INGEST-1). Three steps: the file is uploaded and kept (with
//! its header, 10 preview rows and a guessed mapping); the person confirms the mapping
//! and the duplicate policy; a background runner stores the rows in batches. Each batch
//! commits together with the progress counters and its error rows, so an import that
//! stops half-way (crash, restart, deploy) loses nothing it stored and resumes after the
//! last committed row — on any instance, as the running import is leased.

use super::fields::{self, LEAD_STATUSES, LIFECYCLE_STAGES};
use super::model::{CrmSettings, Via, Who, BATCH};
use super::store::{apply_leads, ContactFields, Lead, OnDuplicate, Outcome};
use crate::clock::new_id;
use crate::db::rows::Json;
use crate::error::{Result, ServiceError};
use crate::Db;
use domain::csv::{decode_text, Reader, Record, Writer};
use domain::dto::{CustomFieldView, ImportView};
use domain::import::{auto_map, check_mapping, DuplicatePolicy, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS};
use domain::{AppError, ErrorCode, OrgId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::AnyConnection;
use std::collections::HashSet;

/// How long a runner holds an import before another instance may take it over.
pub const LEASE_MS: i64 = 60_000;

fn invalid(msg: impl Into<String>) -> ServiceError {
    ServiceError::app(ErrorCode::ImportInvalid, msg.into())
}

/// Reads the header and the rows of a file, refusing what cannot be imported.
fn parse_file(bytes: &[u8]) -> Result<(Vec<String>, Vec<Record>)> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(invalid("The file is larger than 50 MB; split it into smaller files."));
    }
    let text = decode_text(bytes);
    let mut records = Vec::new();
    let mut header = None;
    for r in Reader::new(&text) {
        let r = r.map_err(|e| invalid(format!("The file cannot be read: {e}.")))?;
        if header.is_none() {
            header = Some(r.fields.iter().map(|h| h.trim().to_owned()).collect::<Vec<_>>());
            continue;
        }
        records.push(r);
        if records.len() > MAX_IMPORT_ROWS {
            return Err(invalid(format!("The file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files.")));
        }
    }
    let header = header.ok_or_else(|| invalid("The file is empty."))?;
    if records.is_empty() {
        return Err(invalid("The file has a header but no rows."));
    }
    Ok((header, records))
}

/// Keeps an uploaded file and answers with its header, preview and guessed mapping.
/// Agents and above.
pub async fn upload(db: &Db, actor: &crate::auth::Actor, filename: &str, bytes: Vec<u8>, now: i64) -> Result<ImportView> {
    actor.require(domain::Role::Agent)?;
    let (org, user) = (&actor.org_id, actor.user_id());
    let (headers, records) = parse_file(&bytes)?;
    let defs = fields::list_for_org(db, org).await?;
    let custom: Vec<(String, String)> = defs.iter().map(|d| (d.key.clone(), d.label.clone())).collect();
    let mapping = auto_map(&headers, &custom);
    let id = new_id();
    let mut tx = db.pool().begin().await?;
    let name: String = filename.chars().filter(|c| !c.is_control()).take(200).collect();
    sqlx::query(
        "INSERT INTO contact_imports (id, org_id, created_by, filename, policy, status, total_rows, headers, mapping, created_at) \
         VALUES ($1, $2, $3, $4, 'skip', 'uploaded', $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(org.as_str())
    .bind(user.map(|u| u.as_str().to_owned()))
    .bind(if name.is_empty() { "contacts.csv".to_owned() } else { name })
    .bind(records.len() as i64)
    .bind(serde_json::to_string(&headers).expect("strings"))
    .bind(serde_json::to_string(&mapping).expect("strings"))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO contact_import_files (import_id, content) VALUES ($1, $2)").bind(&id).bind(bytes).execute(&mut *tx).await?;
    tx.commit().await?;
    get_for_org(db, org, &id).await
}

/// Confirms the mapping and policy and queues the import (it starts within a second).
pub async fn start(db: &Db, actor: &crate::auth::Actor, id: &str, mapping: &[String], policy: &str) -> Result<ImportView> {
    actor.require(domain::Role::Agent)?;
    let org = &actor.org_id;
    let policy = DuplicatePolicy::parse(policy).ok_or_else(|| AppError::validation("The duplicate policy is skip, update or create."))?;
    let view = get_for_org(db, org, id).await?;
    if view.status != "uploaded" {
        return Err(ServiceError::app(ErrorCode::Conflict, "This import has already started."));
    }
    let defs = fields::list_for_org(db, org).await?;
    let keys: Vec<String> = defs.iter().map(|d| d.key.clone()).collect();
    check_mapping(mapping, view.headers.len(), &keys).map_err(invalid)?;
    let mut tx = db.pool().begin().await?;
    let queued = sqlx::query("UPDATE contact_imports SET mapping = $1, policy = $2, status = 'queued' WHERE id = $3 AND org_id = $4 AND status = 'uploaded'")
        .bind(serde_json::to_string(mapping).expect("strings"))
        .bind(policy.as_str())
        .bind(id)
        .bind(org.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if queued == 1 {
        let job = RunImport { import_id: id.to_owned() };
        let now = crate::clock::now_ms();
        crate::jobs::queue::enqueue_in(&mut tx, &job, Some(org), now, Some(&format!("import:{id}")), now).await?;
    }
    tx.commit().await?;
    get_for_org(db, org, id).await
}

/// An import as [`get`] reads it. The JSON lists stay text: they are parsed leniently
/// below, as an empty list when they do not parse.
#[derive(sqlx::FromRow)]
struct ImportRow {
    id: String,
    filename: String,
    status: String,
    policy: String,
    headers: Json<Vec<String>>,
    mapping: Json<Vec<String>>,
    total_rows: i64,
    processed_rows: i64,
    created_count: i64,
    updated_count: i64,
    skipped_count: i64,
    failed_count: i64,
    message: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

/// The uploaded file of an import, while it is kept.
async fn file_content(db: &Db, id: &str) -> Result<Option<Vec<u8>>> {
    Ok(sqlx::query_scalar::<_, Vec<u8>>("SELECT content FROM contact_import_files WHERE import_id = $1").bind(id).fetch_optional(db.pool()).await?)
}

/// An import of the org with its progress.
pub async fn get(db: &Db, actor: &crate::auth::Actor, id: &str) -> Result<ImportView> {
    get_for_org(db, &actor.org_id, id).await
}

/// [`get`] for an org already checked.
async fn get_for_org(db: &Db, org: &OrgId, id: &str) -> Result<ImportView> {
    let r = sqlx::query_as::<_, ImportRow>(
        "SELECT id, filename, status, policy, headers, mapping, total_rows, processed_rows, created_count, updated_count, skipped_count, failed_count, message, created_at, finished_at \
         FROM contact_imports WHERE id = $1 AND org_id = $2",
    )
    .bind(id)
    .bind(org.as_str())
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| AppError::not_found("Import"))?;
    // The preview is read again from the kept file (only while choosing the mapping).
    let preview = if r.status == "uploaded" {
        let bytes = file_content(db, id).await?.unwrap_or_default();
        let text = decode_text(&bytes);
        Reader::new(&text).skip(1).take(10).filter_map(|r| r.ok()).map(|r| r.fields).collect()
    } else {
        Vec::new()
    };
    Ok(ImportView {
        id: r.id,
        filename: r.filename,
        status: r.status,
        policy: r.policy,
        headers: r.headers.0,
        mapping: r.mapping.0,
        preview,
        total_rows: r.total_rows,
        processed_rows: r.processed_rows,
        created: r.created_count,
        updated: r.updated_count,
        skipped: r.skipped_count,
        failed: r.failed_count,
        message: r.message,
        created_at: r.created_at,
        finished_at: r.finished_at,
    })
}

/// A row an import could not store. `row_values` (a JSON list of the row's cells) stays
/// text: it is parsed leniently below.
#[derive(sqlx::FromRow)]
struct ErrorRow {
    line: i64,
    row_values: Json<Vec<String>>,
    message: String,
}

/// The rows an import could not store, as a CSV file: the original columns plus
/// `line` and `error`.
pub async fn error_file(db: &Db, actor: &crate::auth::Actor, id: &str) -> Result<Vec<u8>> {
    let org = &actor.org_id;
    let view = get_for_org(db, org, id).await?;
    let rows = sqlx::query_as::<_, ErrorRow>("SELECT line, row_values, message FROM contact_import_errors WHERE import_id = $1 ORDER BY line")
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    let mut w = Writer::new();
    let mut head = vec!["line".to_owned()];
    head.extend(view.headers.iter().cloned());
    head.push("error".into());
    w.row(&head);
    for r in rows {
        let mut cells = vec![r.line.to_string()];
        cells.extend(r.row_values.0);
        cells.push(r.message);
        w.row(&cells);
    }
    Ok(w.into_bytes())
}

/// One row as a lead, or why it cannot be one: `CONTACT_003` when the phone is missing
/// or unreadable, `VALIDATION_001` for any other field (lead webhooks answer with it).
pub fn lead_of(record: &Record, mapping: &[String], settings: &CrmSettings, defs: &[CustomFieldView]) -> std::result::Result<Lead, AppError> {
    let mut f = ContactFields::default();
    let mut phone = None;
    let (mut first, mut last) = (None, None);
    let mut custom_raw = Map::new();
    for (i, target) in mapping.iter().enumerate() {
        // Our own export prefixes cells such as `+5511…` with `'` so spreadsheets do
        // not read them as formulas; re-importing that file must give the phone back.
        let v = record.fields.get(i).map(|s| domain::csv::strip_formula_guard(s.trim()).trim()).unwrap_or("");
        if v.is_empty() {
            continue;
        }
        match target.as_str() {
            "phone" => phone = Some(super::edit::phone(settings, v)?),
            "name" => f.name = fields::name(v).map_err(err_of_field)?,
            "first_name" => first = fields::name(v).map_err(err_of_field)?,
            "last_name" => last = fields::name(v).map_err(err_of_field)?,
            "email" => f.email = fields::email(v).map_err(err_of_field)?,
            "company" => f.company = fields::company(v).map_err(err_of_field)?,
            "tags" => {
                let mut seen = HashSet::new();
                for t in v.split([',', ';', '|']).map(str::trim).filter(|t| !t.is_empty()) {
                    let t = super::tags::clean_name(t).map_err(err_of_field)?;
                    if seen.insert(t.to_lowercase()) {
                        f.tags.push(t);
                    }
                }
            }
            "lead_status" => f.lead_status = Some(fields::one_of("Lead status", v, &LEAD_STATUSES).map_err(err_of_field)?),
            "lifecycle_stage" => f.lifecycle_stage = Some(fields::one_of("Lifecycle stage", v, &LIFECYCLE_STAGES).map_err(err_of_field)?),
            "opt_in_status" => f.opt_in_status = Some(opt_in_of(v).map_err(AppError::validation)?),
            "birthday" => f.birthday = fields::date("Birthday", v).map_err(err_of_field)?,
            "notes" => f.note = fields::text("Notes", v, super::notes::MAX_NOTE_CHARS).map_err(err_of_field)?,
            t => {
                if let Some(key) = t.strip_prefix("custom:") {
                    custom_raw.insert(key.to_owned(), Value::from(v));
                }
            }
        }
    }
    if f.name.is_none() {
        let joined = [first, last].into_iter().flatten().collect::<Vec<_>>().join(" ");
        f.name = (!joined.is_empty()).then_some(joined);
    }
    f.custom_fields = fields::custom_values(defs, &custom_raw).map_err(err_of_field)?.into_iter().filter(|(_, v)| !v.is_null()).collect();
    let phone = phone.ok_or_else(|| AppError::new(ErrorCode::ContactInvalidPhone, "The phone number is empty."))?;
    Ok(Lead { phone, fields: f })
}

/// Any field's error other than the phone's is a validation error.
fn err_of_field(e: AppError) -> AppError {
    AppError::validation(e.message)
}

/// Opt-in as spreadsheets write it: yes/no/true/1 as well as the status names.
fn opt_in_of(v: &str) -> std::result::Result<String, String> {
    match v.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "sim" | "si" | "sí" | "opted_in" | "opted in" | "subscribed" => Ok("opted_in".into()),
        "no" | "n" | "false" | "0" | "não" | "nao" | "opted_out" | "opted out" | "unsubscribed" => Ok("opted_out".into()),
        "unknown" | "" => Ok("unknown".into()),
        other => Err(format!("Opt-in must be yes, no or unknown (not \u{201c}{other}\u{201d}).")),
    }
}

/// How a run of an import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// Every row is stored (or the import had already ended).
    Finished,
    /// It stopped between batches (shutdown, or `budget_ms` used up): run it again to
    /// go on from the next row.
    Paused,
}

/// Runs the import with this id (queued when its mapping is confirmed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunImport {
    pub import_id: String,
}

/// Runs an import (the `run_import` job's work) from its next unstored row, batch by
/// batch, until it ends, `stop` says to stop, or `budget_ms` has passed. A failure marks
/// the import failed with the reason (shown on the import page) and ends it.
pub async fn run_job(db: &Db, id: &str, now: i64, budget_ms: i64, stop: impl Fn() -> bool + Send + Sync) -> Result<RunEnd> {
    let claimed = sqlx::query("UPDATE contact_imports SET status = 'running', locked_until = $1 WHERE id = $2 AND status IN ('queued', 'running')")
        .bind(now + LEASE_MS)
        .bind(id)
        .execute(db.pool())
        .await?
        .rows_affected();
    if claimed == 0 {
        return Ok(RunEnd::Finished);
    }
    let deadline = crate::clock::now_ms() + budget_ms;
    match run(db, id, &|| stop() || crate::clock::now_ms() >= deadline).await {
        Ok(end) => Ok(end),
        Err(e) => {
            let message = e.into_app_error().message;
            sqlx::query("UPDATE contact_imports SET status = 'failed', message = $1, locked_until = NULL, finished_at = $2 WHERE id = $3")
                .bind(&message)
                .bind(crate::clock::now_ms())
                .bind(id)
                .execute(db.pool())
                .await?;
            Ok(RunEnd::Finished)
        }
    }
}

/// What a run needs of its import. The mapping stays text: it is parsed leniently below.
#[derive(sqlx::FromRow)]
struct RunRow {
    org_id: OrgId,
    created_by: Option<UserId>,
    mapping: Json<Vec<String>>,
    policy: String,
    processed_rows: i64,
}

/// The counts of a finished import, for the audit entry.
#[derive(sqlx::FromRow)]
struct CountsRow {
    created_count: i64,
    updated_count: i64,
    skipped_count: i64,
    failed_count: i64,
    filename: String,
}

async fn run(db: &Db, id: &str, pause: &(dyn Fn() -> bool + Sync)) -> Result<RunEnd> {
    let r = sqlx::query_as::<_, RunRow>("SELECT org_id, created_by, mapping, policy, processed_rows, filename FROM contact_imports WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    let org = r.org_id;
    let who = Who { org: org.clone(), user: r.created_by, via: Via::Import };
    let bytes = file_content(db, id).await?.unwrap_or_default();
    let mapping: Vec<String> = r.mapping.0;
    let policy = DuplicatePolicy::parse(&r.policy).unwrap_or(DuplicatePolicy::Skip);
    let done = r.processed_rows;
    let (_, records) = parse_file(&bytes)?;
    let settings = super::settings::load(db, &org).await?;
    let defs = fields::list_for_org(db, &org).await?;
    let on_duplicate = match policy {
        DuplicatePolicy::Skip => OnDuplicate::Skip,
        DuplicatePolicy::Update => OnDuplicate::Update,
        DuplicatePolicy::Create => OnDuplicate::Refuse,
    };
    for chunk in records[(done as usize).min(records.len())..].chunks(BATCH) {
        if pause() {
            return Ok(RunEnd::Paused);
        }
        let now = crate::clock::now_ms();
        let mut leads = Vec::with_capacity(chunk.len());
        let mut rows_of_leads = Vec::with_capacity(chunk.len());
        let mut errors: Vec<(i64, &Record, String)> = Vec::new();
        for rec in chunk {
            match lead_of(rec, &mapping, &settings, &defs) {
                Ok(lead) => {
                    leads.push(lead);
                    rows_of_leads.push(rec);
                }
                Err(e) => errors.push((rec.line as i64, rec, e.message)),
            }
        }
        let mut tx = db.pool().begin().await?;
        if db.kind() == crate::DbKind::Postgres {
            // A batch and its progress commit together, and a batch lost to a crash is
            // simply stored again on resume, so the import need not wait for each commit
            // to reach the disk (PostgreSQL; SQLite already runs with synchronous=NORMAL).
            sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        }
        let outcomes = apply_leads(&mut tx, &who, &settings, "csv", &leads, on_duplicate, now).await?;
        let (mut created, mut updated, mut skipped) = (0i64, 0i64, 0i64);
        for (o, rec) in outcomes.iter().zip(&rows_of_leads) {
            match o {
                Outcome::Created(_) => created += 1,
                Outcome::Updated(_) => updated += 1,
                Outcome::Skipped(_) => skipped += 1,
                Outcome::Duplicate(_) => errors.push((rec.line as i64, rec, "This phone is already a contact (the policy only creates new contacts).".into())),
            }
        }
        insert_errors(&mut tx, id, &errors).await?;
        sqlx::query(
            "UPDATE contact_imports SET processed_rows = processed_rows + $1, created_count = created_count + $2, updated_count = updated_count + $3, \
             skipped_count = skipped_count + $4, failed_count = failed_count + $5, locked_until = $6 WHERE id = $7",
        )
        .bind(chunk.len() as i64)
        .bind(created)
        .bind(updated)
        .bind(skipped)
        .bind(errors.len() as i64)
        .bind(now + LEASE_MS)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    let now = crate::clock::now_ms();
    let mut tx = db.pool().begin().await?;
    // The file is not needed once every row is stored (the error file keeps the bad rows).
    sqlx::query("DELETE FROM contact_import_files WHERE import_id = $1").bind(id).execute(&mut *tx).await?;
    let counts = sqlx::query_as::<_, CountsRow>("UPDATE contact_imports SET status = 'done', locked_until = NULL, finished_at = $1 WHERE id = $2 RETURNING created_count, updated_count, skipped_count, failed_count, filename")
        .bind(now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let detail = json!({
        "import_id": id, "filename": counts.filename,
        "created": counts.created_count, "updated": counts.updated_count,
        "skipped": counts.skipped_count, "failed": counts.failed_count,
    });
    crate::audit::record(&mut tx, Some(&org), who.user.as_ref(), "contacts.imported", detail).await?;
    tx.commit().await?;
    Ok(RunEnd::Finished)
}

async fn insert_errors(conn: &mut AnyConnection, id: &str, errors: &[(i64, &Record, String)]) -> Result<()> {
    for chunk in errors.chunks(crate::db::rows_per_statement(3)) {
        let values: Vec<String> = (0..chunk.len()).map(|n| format!("($1, ${}, ${}, ${})", n * 3 + 2, n * 3 + 3, n * 3 + 4)).collect();
        let sql = format!(
            "INSERT INTO contact_import_errors (import_id, line, row_values, message) VALUES {} ON CONFLICT (import_id, line) DO NOTHING",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(id.to_owned());
        for (line, rec, message) in chunk {
            q = q.bind(*line).bind(serde_json::to_string(&rec.fields).expect("strings")).bind(message.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The org's latest imports, newest first.
pub async fn list(db: &Db, actor: &crate::auth::Actor, limit: i64) -> Result<Vec<ImportView>> {
    let org = &actor.org_id;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM contact_imports WHERE org_id = $1 ORDER BY created_at DESC LIMIT $2")
        .bind(org.as_str())
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    let mut out = Vec::new();
    for id in ids {
        out.push(get_for_org(db, org, &id).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mapping: &[&str], cells: &[&str]) -> std::result::Result<Lead, AppError> {
        let settings = CrmSettings { default_country: "US".into(), allowed_calling_codes: vec![], score_rules: vec![], opt_out_keywords: vec![] };
        let record = Record { line: 2, fields: cells.iter().map(|c| c.to_string()).collect() };
        lead_of(&record, &mapping.iter().map(|m| m.to_string()).collect::<Vec<_>>(), &settings, &[])
    }

    #[test]
    fn a_rows_error_says_whether_the_phone_or_another_field_is_at_fault() {
        // The codes are what lead webhooks answer with, whatever the message's wording.
        assert_eq!(row(&["phone", "name"], &["12", "Ana"]).unwrap_err().code, ErrorCode::ContactInvalidPhone);
        assert_eq!(row(&["name"], &["Ana"]).unwrap_err().code, ErrorCode::ContactInvalidPhone);
        assert_eq!(row(&["phone", "email"], &["+14155550100", "not-an-email"]).unwrap_err().code, ErrorCode::Validation);
        assert_eq!(row(&["phone", "opt_in_status"], &["+14155550100", "maybe"]).unwrap_err().code, ErrorCode::Validation);
        assert_eq!(row(&["phone", "name"], &["'+14155550100", "Ana"]).unwrap().phone.as_str(), "+14155550100");
    }

    /// A stored value of the wrong type fails the call with `INTERNAL_001` (it used to
    /// panic in `Row::get`). SQLite only: PostgreSQL's column types refuse such values.
    #[tokio::test]
    async fn a_corrupt_import_row_is_an_internal_error_not_a_panic() {
        let t = crate::testing::sqlite().await;
        let s = crate::testing::seed_org_with(&t.db, "Org", "admin@x.test", domain::Role::Admin).await;
        let up = upload(&t.db, &s.actor, "leads.csv", b"phone\n+14155550100\n".to_vec(), 1).await.unwrap();
        sqlx::query("INSERT INTO contact_import_errors (import_id, line, row_values, message) VALUES ($1, 'two', '[]', 'bad')")
            .bind(&up.id)
            .execute(t.db.pool())
            .await
            .unwrap();
        assert_eq!(error_file(&t.db, &s.actor, &up.id).await.unwrap_err().code(), ErrorCode::Internal);
        sqlx::query("UPDATE contact_imports SET total_rows = 'many' WHERE id = $1").bind(&up.id).execute(t.db.pool()).await.unwrap();
        assert_eq!(get(&t.db, &s.actor, &up.id).await.unwrap_err().code(), ErrorCode::Internal);
        assert_eq!(list(&t.db, &s.actor, 10).await.unwrap_err().code(), ErrorCode::Internal);
    }
}
