//! Writing contacts. Every way a lead arrives — the app, the REST API, a CSV import, a
//! form webhook, a Google Sheet — calls [`apply_leads`] with parsed leads, inside one
//! transaction per batch: existing phones are found in one query, new contacts written
//! in one multi-row insert, and the timeline, tags, notes, scores and the "contact
//! created" events go in the same transaction, so a batch is stored whole or not at all.

use super::activity;
use super::model::{CrmSettings, BATCH};
use crate::clock::new_id;
use crate::db::placeholders;
use crate::db::rows::Json;
use crate::error::{Result, ServiceError};
use domain::{ContactId, ErrorCode, OrgId, PhoneE164};
use serde_json::{json, Map, Value};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The writer that [`apply_leads`] and [`apply_one`] take, re-exported for their callers;
/// it is defined in [`super::model`] so that the files this one uses can share it.
pub use super::model::{Via, Who};

/// Contact fields a lead or an edit sets. Empty means "leave as it is" for leads; edits
/// use [`ContactEdit`] to clear fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactFields {
    pub name: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub lead_status: Option<String>,
    pub lifecycle_stage: Option<String>,
    pub birthday: Option<String>,
    pub opt_in_status: Option<String>,
    /// Custom field values by key (already checked against the org's definitions).
    pub custom_fields: Map<String, Value>,
    pub tags: Vec<String>,
    /// A note to add with the lead (a form's message, an import's notes column).
    pub note: Option<String>,
}

/// A parsed lead: its phone and what is known about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    pub phone: PhoneE164,
    pub fields: ContactFields,
}

/// What to do when the phone is already a contact of the org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Leave the contact as it is.
    Skip,
    /// Fill in the lead's non-empty fields and add its tags.
    Update,
    /// Only fill fields that are empty on the contact, add its tags, and leave its
    /// opt-in status alone: for leads from outside (a webhook anyone with its URL can
    /// post to), which must never rewrite what the team knows about a customer.
    FillEmpty,
    /// Report it (`CONTACT_002` for the API; an error row for imports).
    Refuse,
}

/// What happened to one lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created(ContactId),
    Updated(ContactId),
    Skipped(ContactId),
    /// The phone belongs to an existing contact and the policy refuses duplicates.
    Duplicate(ContactId),
}

impl Outcome {
    pub fn contact_id(&self) -> &ContactId {
        match self {
            Outcome::Created(id) | Outcome::Updated(id) | Outcome::Skipped(id) | Outcome::Duplicate(id) => id,
        }
    }
}

const NEW_COLUMNS: usize = 16;

struct Existing {
    id: String,
    deleted: bool,
    custom_fields: Map<String, Value>,
}

#[derive(sqlx::FromRow)]
struct ExistingRow {
    id: String,
    phone: String,
    deleted_at: Option<i64>,
    custom_fields: Json<Map<String, Value>>,
}

/// The fields of a stored contact that a lead may fill in.
#[derive(sqlx::FromRow)]
struct StoredRow {
    name: Option<String>,
    email: Option<String>,
    company: Option<String>,
    lead_status: Option<String>,
    lifecycle_stage: Option<String>,
    birthday: Option<String>,
    opt_in_status: String,
    custom_fields: Json<Map<String, Value>>,
    /// The same column as stored, written back as it is when no custom field changes.
    #[sqlx(rename = "custom_fields")]
    custom_fields_text: String,
}

/// Stores a batch of leads (at most [`BATCH`]) in the caller's transaction. `source` is
/// recorded on new contacts ("csv", a lead source's name, "api"…). A phone that appears
/// twice in the batch is one contact: the later lead is treated as a duplicate of the
/// earlier one. A lead whose phone is in the trash brings the contact back.
pub async fn apply_leads(
    conn: &mut AnyConnection,
    who: &Who,
    settings: &CrmSettings,
    source: &str,
    leads: &[Lead],
    on_duplicate: OnDuplicate,
    now: i64,
) -> Result<Vec<Outcome>> {
    assert!(leads.len() <= BATCH, "apply_leads takes at most {BATCH} leads");
    if leads.is_empty() {
        return Ok(Vec::new());
    }
    let mut existing = find_existing(conn, &who.org, leads).await?;
    // Which leads are new (first time their phone appears, not stored yet).
    let mut first_new: HashMap<&str, usize> = HashMap::new();
    for (i, lead) in leads.iter().enumerate() {
        if !existing.contains_key(lead.phone.as_str()) {
            first_new.entry(lead.phone.as_str()).or_insert(i);
        }
    }
    let mut new_idx: Vec<usize> = first_new.values().copied().collect();
    new_idx.sort_unstable();
    let ids: Vec<String> = new_idx.iter().map(|_| new_id()).collect();
    let inserted = insert_new(conn, who, source, leads, &new_idx, &ids, now).await?;
    // A concurrent writer may have created some of these phones first: read them back as
    // existing contacts so the policy applies to them like any other duplicate.
    let lost: Vec<&Lead> = new_idx.iter().filter(|&&i| !inserted.contains_key(leads[i].phone.as_str())).map(|&i| &leads[i]).collect();
    if !lost.is_empty() {
        let raced: Vec<Lead> = lost.into_iter().cloned().collect();
        existing.extend(find_existing(conn, &who.org, &raced).await?);
    }

    let mut outcomes = Vec::with_capacity(leads.len());
    let mut created = Vec::new();
    let mut touched: Vec<(String, &Lead, bool)> = Vec::new();
    for (i, lead) in leads.iter().enumerate() {
        let phone = lead.phone.as_str();
        if let Some(id) = inserted.get(phone).filter(|_| first_new.get(phone) == Some(&i)) {
            outcomes.push(Outcome::Created(ContactId::from_string(id.clone())));
            created.push((id.clone(), lead));
            continue;
        }
        // A duplicate: of a stored contact, or of an earlier lead of this batch.
        let (id, deleted) = match existing.get(phone) {
            Some(e) => (e.id.clone(), e.deleted),
            None => (inserted.get(phone).cloned().expect("a phone is either stored or inserted"), false),
        };
        if deleted {
            // A lead for a trashed contact brings it back, whatever the policy.
            restore_in(conn, who, &id, now).await?;
            if let Some(e) = existing.get_mut(phone) {
                e.deleted = false;
            }
            let mode = if on_duplicate == OnDuplicate::FillEmpty { Fill::EmptyOnly } else { Fill::Overwrite };
            update_fields(conn, who, &id, &lead.fields, existing.get(phone).map(|e| &e.custom_fields), mode, now).await?;
            touched.push((id.clone(), lead, true));
            outcomes.push(Outcome::Updated(ContactId::from_string(id)));
            continue;
        }
        match on_duplicate {
            OnDuplicate::Skip => outcomes.push(Outcome::Skipped(ContactId::from_string(id))),
            OnDuplicate::Refuse => outcomes.push(Outcome::Duplicate(ContactId::from_string(id))),
            OnDuplicate::Update | OnDuplicate::FillEmpty => {
                let mode = if on_duplicate == OnDuplicate::FillEmpty { Fill::EmptyOnly } else { Fill::Overwrite };
                let changed = update_fields(conn, who, &id, &lead.fields, existing.get(phone).map(|e| &e.custom_fields), mode, now).await?;
                if let Some(e) = existing.get_mut(phone) {
                    for (k, v) in &lead.fields.custom_fields {
                        if mode == Fill::Overwrite || e.custom_fields.get(k).is_none_or(is_blank) {
                            e.custom_fields.insert(k.clone(), v.clone());
                        }
                    }
                }
                touched.push((id.clone(), lead, changed));
                outcomes.push(Outcome::Updated(ContactId::from_string(id)));
            }
        }
    }

    // Events for the new contacts, in bulk (their "created" timeline line is read from
    // the contact row: no line is stored per new contact).
    let events: Vec<Value> = created
        .iter()
        .map(|(id, lead)| json!({"action": "created", "contact_id": id, "phone": lead.phone.as_str(), "source": source, "via": who.via.as_str()}))
        .collect();
    crate::events::publish_many_in(conn, &who.org, "contact", &events, now).await?;
    // A new contact's consent came with the lead: keep where it came from as evidence.
    for (id, lead) in created.iter().filter(|(_, l)| l.fields.opt_in_status.as_deref().is_some_and(|s| s != "unknown")) {
        let status = lead.fields.opt_in_status.as_deref().unwrap_or_default();
        let detail = json!({"from": "unknown", "to": status, "via": who.via.as_str(), "evidence": format!("lead from {source}")});
        activity::record_in(conn, &who.org, who.user.as_ref(), id, "opt_in", &detail, now).await?;
    }

    // Tags and notes of every lead that was stored or updated.
    let new_tags: Vec<(String, &Vec<String>)> = created.iter().map(|(id, l)| (id.clone(), &l.fields.tags)).filter(|(_, t)| !t.is_empty()).collect();
    if !new_tags.is_empty() {
        super::tags::attach_many_in(conn, who, &new_tags, now, true).await?;
    }
    let more_tags: Vec<(String, &Vec<String>)> = touched.iter().map(|(id, l, _)| (id.clone(), &l.fields.tags)).filter(|(_, t)| !t.is_empty()).collect();
    if !more_tags.is_empty() {
        super::tags::attach_many_in(conn, who, &more_tags, now, false).await?;
    }
    for (id, lead) in created.iter().map(|(id, l)| (id, *l)).chain(touched.iter().map(|(id, l, _)| (id, *l))) {
        if let Some(note) = lead.fields.note.as_deref().filter(|n| !n.trim().is_empty()) {
            super::notes::add_in(conn, who, id, note, now).await?;
        }
    }
    // New contacts start at 0, which is their score when the org has no rules.
    let affected: Vec<String> = if settings.score_rules.is_empty() {
        touched.iter().map(|(id, _, _)| id.clone()).collect()
    } else {
        created.iter().map(|(id, _)| id.clone()).chain(touched.iter().map(|(id, _, _)| id.clone())).collect()
    };
    super::scoring::recompute_in(conn, &who.org, settings, &affected).await?;
    Ok(outcomes)
}

async fn find_existing(conn: &mut AnyConnection, org: &OrgId, leads: &[Lead]) -> Result<HashMap<String, Existing>> {
    let mut phones: Vec<&str> = leads.iter().map(|l| l.phone.as_str()).collect();
    phones.sort_unstable();
    phones.dedup();
    let mut out = HashMap::new();
    for chunk in phones.chunks(crate::db::MAX_BIND_PARAMS - 1) {
        let sql = format!("SELECT id, phone, deleted_at, custom_fields FROM contacts WHERE org_id = $1 AND phone IN ({})", placeholders(2, chunk.len()));
        // Planned with these values each time: a plan cached while the org had few
        // contacts would scan them all once it has many (PostgreSQL).
        let mut q = sqlx::query_as::<_, ExistingRow>(&sql).persistent(false).bind(org.as_str());
        for p in chunk {
            q = q.bind(*p);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(r.phone, Existing { id: r.id, deleted: r.deleted_at.is_some(), custom_fields: r.custom_fields.0 });
        }
    }
    Ok(out)
}

/// Inserts the new leads; returns phone → id for the rows these statements created.
async fn insert_new(
    conn: &mut AnyConnection,
    who: &Who,
    source: &str,
    leads: &[Lead],
    idx: &[usize],
    ids: &[String],
    now: i64,
) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let per = crate::db::rows_per_statement(NEW_COLUMNS);
    for (chunk_no, chunk) in idx.chunks(per).enumerate() {
        // Each row binds NEW_COLUMNS values; updated_at reuses created_at's parameter.
        let values: Vec<String> = (0..chunk.len())
            .map(|n| {
                let first = n * NEW_COLUMNS + 1;
                format!("({}, ${})", placeholders(first, NEW_COLUMNS), first + NEW_COLUMNS - 1)
            })
            .collect();
        let sql = format!(
            "INSERT INTO contacts (id, org_id, phone, wa_id, name, email, company, source, lead_status, lifecycle_stage, opt_in_status, birthday, custom_fields, created_via, created_by, created_at, updated_at) \
             VALUES {} ON CONFLICT (org_id, phone) DO NOTHING RETURNING id, phone",
            values.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for (n, &i) in chunk.iter().enumerate() {
            let f = &leads[i].fields;
            q = q
                .bind(ids[chunk_no * per + n].clone())
                .bind(who.org.as_str().to_owned())
                .bind(leads[i].phone.as_str().to_owned())
                .bind(leads[i].phone.digits().to_owned())
                .bind(f.name.clone())
                .bind(f.email.clone())
                .bind(f.company.clone())
                .bind(source.to_owned())
                .bind(f.lead_status.clone().unwrap_or_else(|| "new".into()))
                .bind(f.lifecycle_stage.clone().unwrap_or_else(|| "lead".into()))
                .bind(f.opt_in_status.clone().unwrap_or_else(|| "unknown".into()))
                .bind(f.birthday.clone())
                .bind(Value::Object(f.custom_fields.clone()).to_string())
                .bind(who.via.as_str())
                .bind(who.user.as_ref().map(|u| u.as_str().to_owned()))
                .bind(now);
        }
        for (id, phone) in q.fetch_all(&mut *conn).await? {
            out.insert(phone, id);
        }
    }
    Ok(out)
}

/// How a duplicate lead changes the stored contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// The lead's non-empty fields replace the stored ones, opt-in included.
    Overwrite,
    /// Only empty stored fields are filled; the opt-in status is never changed.
    EmptyOnly,
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Fills in the non-empty fields of `f` on a stored contact; records what changed.
/// Returns whether anything changed.
async fn update_fields(
    conn: &mut AnyConnection,
    who: &Who,
    id: &str,
    f: &ContactFields,
    stored_custom: Option<&Map<String, Value>>,
    mode: Fill,
    now: i64,
) -> Result<bool> {
    let row = sqlx::query_as::<_, StoredRow>(
        "SELECT name, email, company, lead_status, lifecycle_stage, birthday, opt_in_status, custom_fields FROM contacts WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let mut changes = Map::new();
    let mut check = |field: &str, old: &Option<String>, new: &Option<String>| -> Option<String> {
        let writable = mode == Fill::Overwrite || old.as_deref().is_none_or(|o| o.trim().is_empty());
        match new {
            Some(v) if writable && old.as_deref() != Some(v.as_str()) => {
                changes.insert(field.to_owned(), json!({"from": old, "to": v}));
                Some(v.clone())
            }
            _ => None,
        }
    };
    let name = check("name", &row.name, &f.name);
    let email = check("email", &row.email, &f.email);
    let company = check("company", &row.company, &f.company);
    let status = check("lead_status", &row.lead_status, &f.lead_status);
    let stage = check("lifecycle_stage", &row.lifecycle_stage, &f.lifecycle_stage);
    let birthday = check("birthday", &row.birthday, &f.birthday);
    let mut custom: Map<String, Value> = stored_custom.cloned().unwrap_or(row.custom_fields.0);
    let mut custom_changed = false;
    for (k, v) in &f.custom_fields {
        let writable = mode == Fill::Overwrite || custom.get(k).is_none_or(is_blank);
        if writable && custom.get(k) != Some(v) {
            changes.insert(format!("custom_fields.{k}"), json!({"from": custom.get(k), "to": v}));
            custom.insert(k.clone(), v.clone());
            custom_changed = true;
        }
    }
    let opt_in_changed = match &f.opt_in_status {
        Some(s) if mode == Fill::Overwrite && row.opt_in_status != *s => Some(s.clone()),
        _ => None,
    };
    if changes.is_empty() && opt_in_changed.is_none() {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE contacts SET name = COALESCE($1, name), email = COALESCE($2, email), company = COALESCE($3, company), lead_status = COALESCE($4, lead_status), \
         lifecycle_stage = COALESCE($5, lifecycle_stage), birthday = COALESCE($6, birthday), custom_fields = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(name)
    .bind(email)
    .bind(company)
    .bind(status)
    .bind(stage)
    .bind(birthday)
    .bind(if custom_changed { Value::Object(custom).to_string() } else { row.custom_fields_text })
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if !changes.is_empty() {
        activity::record_in(conn, &who.org, who.user.as_ref(), id, "updated", &json!({"via": who.via.as_str(), "changes": changes}), now).await?;
    }
    if let Some(status) = opt_in_changed {
        super::consent::set_in(conn, who, id, &status, None, now).await?;
    }
    Ok(true)
}

/// Takes a contact out of the trash.
pub(crate) async fn restore_in(conn: &mut AnyConnection, who: &Who, id: &str, now: i64) -> Result<()> {
    let done = sqlx::query("UPDATE contacts SET deleted_at = NULL, updated_at = $1 WHERE id = $2 AND org_id = $3 AND deleted_at IS NOT NULL")
        .bind(now)
        .bind(id)
        .bind(who.org.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if done > 0 {
        activity::record_in(conn, &who.org, who.user.as_ref(), id, "restored", &json!({"via": who.via.as_str()}), now).await?;
    }
    Ok(())
}

/// One lead through the pipeline in its own transaction (the app, the REST API and the
/// webhooks). `Refuse` turns a duplicate into `CONTACT_002`.
pub async fn apply_one(db: &crate::Db, who: &Who, source: &str, lead: Lead, on_duplicate: OnDuplicate, now: i64) -> Result<Outcome> {
    let mut tx = db.pool().begin().await?;
    let settings = super::settings::load_in(&mut tx, &who.org).await?;
    let outcome = apply_leads(&mut tx, who, &settings, source, std::slice::from_ref(&lead), on_duplicate, now).await?.remove(0);
    if let Outcome::Duplicate(_) = outcome {
        return Err(ServiceError::app(ErrorCode::ContactDuplicate, format!("Another contact already has the phone number {}.", lead.phone.as_str())));
    }
    tx.commit().await?;
    Ok(outcome)
}
