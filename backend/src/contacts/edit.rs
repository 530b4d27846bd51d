//! Changing contacts the way members and API clients do (CRM-2, CRM-3): a new contact
//! from a form or JSON body, field edits (clearing included), tags, opt-in, the trash,
//! and the same in bulk. Every change lands on the contact's timeline.

use super::fields::{self, LEAD_STATUSES, LIFECYCLE_STAGES};
use super::model::{require_contact, require_contact_in, CrmSettings, Who};
use super::store::{apply_one, ContactFields, Lead, OnDuplicate, Outcome};
use crate::error::{Result, ServiceError};
use crate::Db;
use domain::dto::{ContactView, CustomFieldView};
use domain::{AppError, ContactId, ErrorCode, PhoneE164};
use serde_json::{json, Map, Value};

/// Reads a phone as the org reads phones: with its default country, and refused when its
/// calling code is not allowed. Failures are `CONTACT_003`.
pub fn phone(settings: &CrmSettings, raw: &str) -> std::result::Result<PhoneE164, AppError> {
    let p = PhoneE164::parse_with_country(raw, &settings.default_country).map_err(|e| AppError::new(ErrorCode::ContactInvalidPhone, e.0))?;
    if !p.allowed_by(&settings.allowed_calling_codes) {
        let allowed: Vec<String> = settings.allowed_calling_codes.iter().map(|c| format!("+{c}")).collect();
        return Err(AppError::new(
            ErrorCode::ContactInvalidPhone,
            format!("{} is outside the countries this organisation works with ({}).", p.as_str(), allowed.join(", ")),
        ));
    }
    Ok(p)
}

fn str_of<'a>(body: &'a Value, key: &str) -> std::result::Result<Option<&'a str>, AppError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(AppError::validation(format!("{key} must be a string."))),
    }
}

fn tags_of(body: &Value) -> std::result::Result<Option<Vec<String>>, AppError> {
    match body.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|t| t.as_str().ok_or_else(|| AppError::validation("tags must be a list of names.")).and_then(super::tags::clean_name))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Some),
        Some(Value::String(s)) => {
            s.split(',').filter(|t| !t.trim().is_empty()).map(super::tags::clean_name).collect::<std::result::Result<Vec<_>, _>>().map(Some)
        }
        Some(_) => Err(AppError::validation("tags must be a list of names.")),
    }
}

fn custom_of(body: &Value, defs: &[CustomFieldView]) -> std::result::Result<Option<Map<String, Value>>, AppError> {
    match body.get("custom_fields") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => fields::custom_values(defs, m).map(Some),
        Some(_) => Err(AppError::validation("custom_fields must be an object of field key to value.")),
    }
}

/// A new contact from a JSON body (`{phone, name, email, company, tags, custom_fields,
/// opt_in_status, lead_status, lifecycle_stage, birthday}`), checked.
pub fn lead_from_json(settings: &CrmSettings, defs: &[CustomFieldView], body: &Value) -> std::result::Result<Lead, AppError> {
    if !body.is_object() {
        return Err(AppError::validation("The body must be a JSON object."));
    }
    let raw_phone =
        str_of(body, "phone")?.filter(|p| !p.trim().is_empty()).ok_or_else(|| AppError::new(ErrorCode::ContactInvalidPhone, "phone is required."))?;
    let fields = ContactFields {
        name: str_of(body, "name")?.map(fields::name).transpose()?.flatten(),
        email: str_of(body, "email")?.map(fields::email).transpose()?.flatten(),
        company: str_of(body, "company")?.map(fields::company).transpose()?.flatten(),
        lead_status: str_of(body, "lead_status")?.map(|s| fields::one_of("lead_status", s, &LEAD_STATUSES)).transpose()?,
        lifecycle_stage: str_of(body, "lifecycle_stage")?.map(|s| fields::one_of("lifecycle_stage", s, &LIFECYCLE_STAGES)).transpose()?,
        birthday: str_of(body, "birthday")?.map(|s| fields::date("birthday", s)).transpose()?.flatten(),
        opt_in_status: str_of(body, "opt_in_status")?.map(|s| fields::one_of("opt_in_status", s, &super::consent::STATUSES)).transpose()?,
        custom_fields: custom_of(body, defs)?.unwrap_or_default().into_iter().filter(|(_, v)| !v.is_null()).collect(),
        tags: tags_of(body)?.unwrap_or_default(),
        note: str_of(body, "note")?.map(|n| fields::text("note", n, super::notes::MAX_NOTE_CHARS)).transpose()?.flatten(),
    };
    Ok(Lead { phone: phone(settings, raw_phone)?, fields })
}

/// Creates a contact (the app's "New contact", `POST /api/v1/contacts`): `CONTACT_002`
/// when the phone is already a live contact; a contact in the trash comes back.
pub async fn create(db: &Db, actor: &crate::auth::Actor, source: &str, body: &Value, now: i64) -> Result<ContactView> {
    actor.require(domain::Role::Agent)?;
    let who = &Who::of(actor);
    let (settings, defs) = settings_and_fields(db, who).await?;
    let lead = lead_from_json(&settings, &defs, body)?;
    let outcome = apply_one(db, who, source, lead, OnDuplicate::Refuse, now).await?;
    super::search::get_for_org(db, &who.org, outcome.contact_id()).await
}

async fn settings_and_fields(db: &Db, who: &Who) -> Result<(CrmSettings, Vec<CustomFieldView>)> {
    let mut conn = db.pool().acquire().await?;
    Ok((super::settings::load_in(&mut conn, &who.org).await?, fields::list_in(&mut conn, &who.org).await?))
}

/// Changes fields of a contact from a JSON body: a field present with `null` or `""` is
/// cleared, absent fields stay; `tags` replaces the tags; `custom_fields` changes only the
/// keys it names. `phone` moves the contact to another number (`CONTACT_002` if taken).
pub async fn update(db: &Db, actor: &crate::auth::Actor, id: &ContactId, body: &Value, now: i64) -> Result<ContactView> {
    actor.require(domain::Role::Agent)?;
    let who = &Who::of(actor);
    if !body.is_object() {
        return Err(AppError::validation("The body must be a JSON object.").into());
    }
    let (settings, defs) = settings_and_fields(db, who).await?;
    let mut tx = db.pool().begin().await?;
    let before = super::search::get_in(&mut tx, &who.org, id).await?;
    let mut sets: Vec<(&str, Option<String>)> = Vec::new();
    let mut changes = Map::new();
    let mut note_change = |field: &str, from: &Option<String>, to: &Option<String>| {
        if from != to {
            changes.insert(field.to_owned(), json!({"from": from, "to": to}));
            true
        } else {
            false
        }
    };
    type Check = fn(&str) -> std::result::Result<Option<String>, AppError>;
    let simple: [(&str, &Option<String>, Check); 3] =
        [("name", &before.name, fields::name), ("email", &before.email, fields::email), ("company", &before.company, fields::company)];
    for (field, old, check) in simple {
        if body.get(field).is_some() {
            let new = match str_of(body, field)? {
                Some(s) => check(s)?,
                None => None,
            };
            if note_change(field, old, &new) {
                sets.push((field, new));
            }
        }
    }
    if body.get("birthday").is_some() {
        let new = str_of(body, "birthday")?.map(|s| fields::date("birthday", s)).transpose()?.flatten();
        if note_change("birthday", &before.birthday, &new) {
            sets.push(("birthday", new));
        }
    }
    for (field, old, allowed) in [("lead_status", &before.lead_status, &LEAD_STATUSES[..]), ("lifecycle_stage", &before.lifecycle_stage, &LIFECYCLE_STAGES[..])]
    {
        if let Some(s) = str_of(body, field)? {
            let new = fields::one_of(field, s, allowed)?;
            if note_change(field, &Some(old.clone()), &Some(new.clone())) {
                sets.push((field, Some(new)));
            }
        }
    }
    if let Some(raw) = str_of(body, "phone")? {
        let new = phone(&settings, raw)?;
        if before.phone.as_deref() != Some(new.as_str()) {
            let taken = sqlx::query("SELECT id FROM contacts WHERE org_id = $1 AND phone = $2")
                .bind(who.org.as_str())
                .bind(new.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_some() {
                return Err(ServiceError::app(ErrorCode::ContactDuplicate, format!("Another contact already has the phone number {}.", new.as_str())));
            }
            note_change("phone", &before.phone, &Some(new.as_str().to_owned()));
            sets.push(("phone", Some(new.as_str().to_owned())));
            sets.push(("wa_id", Some(new.digits().to_owned())));
        }
    }
    let mut custom = before.custom_fields.clone();
    if let Some(m) = custom_of(body, &defs)? {
        for (k, v) in m {
            if custom.get(&k).cloned().unwrap_or(Value::Null) != v {
                changes.insert(format!("custom_fields.{k}"), json!({"from": custom.get(&k), "to": v}));
                if v.is_null() {
                    custom.remove(&k);
                } else {
                    custom.insert(k, v);
                }
            }
        }
    }
    if custom != before.custom_fields {
        sets.push(("custom_fields", Some(Value::Object(custom).to_string())));
    }
    if !sets.is_empty() {
        let assignments: Vec<String> = sets.iter().enumerate().map(|(i, (col, _))| format!("{col} = ${}", i + 1)).collect();
        let n = sets.len();
        let sql = format!("UPDATE contacts SET {}, updated_at = ${} WHERE id = ${} AND org_id = ${}", assignments.join(", "), n + 1, n + 2, n + 3);
        let mut q = sqlx::query(&sql);
        for (_, v) in &sets {
            q = q.bind(v.clone());
        }
        q.bind(now).bind(id.as_str()).bind(who.org.as_str()).execute(&mut *tx).await?;
    }
    if !changes.is_empty() {
        super::activity::record_in(&mut tx, &who.org, who.user.as_ref(), id.as_str(), "updated", &json!({"via": who.via.as_str(), "changes": changes}), now)
            .await?;
    }
    if let Some(s) = str_of(body, "opt_in_status")? {
        let status = fields::one_of("opt_in_status", s, &super::consent::STATUSES)?;
        let evidence = str_of(body, "opt_in_evidence")?.map(|e| e.chars().take(500).collect::<String>());
        super::consent::set_in(&mut tx, who, id.as_str(), &status, evidence.as_deref(), now).await?;
    }
    if let Some(tags) = tags_of(body)? {
        let keep: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
        for old in before.tags.iter().filter(|t| !keep.contains(&t.name.to_lowercase())) {
            super::tags::detach_in(&mut tx, who, &[id.as_str().to_owned()], &old.name, now).await?;
        }
        super::tags::attach_many_in(&mut tx, who, &[(id.as_str().to_owned(), &tags)], now, false).await?;
    }
    super::scoring::recompute_in(&mut tx, &who.org, &settings, &[id.as_str().to_owned()]).await?;
    tx.commit().await?;
    super::search::get_for_org(db, &who.org, id).await
}

/// What a bulk action does to the chosen contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bulk {
    AddTag(String),
    RemoveTag(String),
    OptIn(String),
    Delete,
    Restore,
}

/// Applies `action` to the org's contacts among `ids` (others' ids match nothing);
/// returns how many contacts it applied to.
pub async fn bulk(db: &Db, actor: &crate::auth::Actor, ids: &[ContactId], action: &Bulk, now: i64) -> Result<u64> {
    // Deleting and restoring are for managers; tagging and consent for agents.
    actor.require(if matches!(action, Bulk::Delete | Bulk::Restore) { domain::Role::Manager } else { domain::Role::Agent })?;
    let who = &Who::of(actor);
    if ids.len() > 1_000 {
        return Err(AppError::validation("Choose at most 1,000 contacts at a time.").into());
    }
    let settings = super::settings::load(db, &who.org).await?;
    let mut tx = db.pool().begin().await?;
    // Only the org's contacts, whatever ids were sent.
    let mut mine = Vec::new();
    for id in ids {
        if require_contact_in(&mut tx, &who.org, id).await.is_ok() {
            mine.push(id.as_str().to_owned());
        }
    }
    let n = match action {
        Bulk::AddTag(tag) => {
            let tag = super::tags::clean_name(tag)?;
            let list = vec![tag];
            let pairs: Vec<(String, &Vec<String>)> = mine.iter().map(|c| (c.clone(), &list)).collect();
            super::tags::attach_many_in(&mut tx, who, &pairs, now, false).await?;
            mine.len() as u64
        }
        Bulk::RemoveTag(tag) => super::tags::detach_in(&mut tx, who, &mine, tag, now).await?,
        Bulk::OptIn(status) => {
            let status = fields::one_of("opt_in_status", status, &super::consent::STATUSES)?;
            let mut changed = 0;
            for c in &mine {
                changed += u64::from(super::consent::set_in(&mut tx, who, c, &status, Some("bulk change"), now).await?);
            }
            changed
        }
        Bulk::Delete | Bulk::Restore => {
            let (set, guard, kind) =
                if *action == Bulk::Delete { ("$1", "deleted_at IS NULL", "deleted") } else { ("NULL", "deleted_at IS NOT NULL", "restored") };
            let mut changed = 0;
            let mut lines = Vec::new();
            for c in &mine {
                let sql = format!("UPDATE contacts SET deleted_at = {set}, updated_at = $1 WHERE id = $2 AND org_id = $3 AND {guard}");
                let done = sqlx::query(&sql).bind(now).bind(c).bind(who.org.as_str()).execute(&mut *tx).await?.rows_affected();
                if done > 0 {
                    changed += done;
                    lines.push((c.clone(), kind.to_owned(), json!({"via": who.via.as_str()})));
                }
            }
            super::activity::record_many_in(&mut tx, &who.org, who.user.as_ref(), &lines, now).await?;
            changed
        }
    };
    if matches!(action, Bulk::AddTag(_) | Bulk::RemoveTag(_)) {
        super::scoring::recompute_in(&mut tx, &who.org, &settings, &mine).await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Moves one contact to the trash (`CONTACT_001` if it is not the org's).
pub async fn delete(db: &Db, actor: &crate::auth::Actor, id: &ContactId, now: i64) -> Result<()> {
    require_contact(db, &actor.org_id, id).await?;
    bulk(db, actor, std::slice::from_ref(id), &Bulk::Delete, now).await?;
    Ok(())
}

/// Whether an outcome made a new contact (for 201 vs 200 answers).
pub fn created(o: &Outcome) -> bool {
    matches!(o, Outcome::Created(_))
}
