//! Checking contact values (the built-in fields and the org's custom fields, CRM-1) and
//! managing the custom field definitions.

use crate::clock::new_id;
use crate::db::rows::Json;
use crate::error::{Result, ServiceError};
use crate::Db;
use domain::dto::CustomFieldView;
use domain::{AppError, EmailAddress, ErrorCode, OrgId};
use serde_json::{Map, Value};
use sqlx::AnyConnection;

/// Lead statuses, in funnel order.
pub const LEAD_STATUSES: [&str; 5] = ["new", "engaged", "qualified", "converted", "lost"];
/// Lifecycle stages: a lead, then a prospect talking to sales, then a customer, and a
/// customer who left.
pub const LIFECYCLE_STAGES: [&str; 4] = ["lead", "prospect", "customer", "churned"];
/// Kinds of custom field.
pub const FIELD_KINDS: [&str; 4] = ["text", "number", "date", "choice"];

const MAX_NAME: usize = 200;
const MAX_TEXT: usize = 1_000;

fn invalid(msg: String) -> AppError {
    AppError::validation(msg)
}

/// A trimmed optional text of at most `max` characters; empty becomes `None`.
pub fn text(field: &str, v: &str, max: usize) -> std::result::Result<Option<String>, AppError> {
    let t = v.trim();
    if t.chars().count() > max {
        return Err(invalid(format!("{field} can be at most {max} characters.")));
    }
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

/// A contact's name.
pub fn name(v: &str) -> std::result::Result<Option<String>, AppError> {
    text("Name", v, MAX_NAME)
}

/// A company name.
pub fn company(v: &str) -> std::result::Result<Option<String>, AppError> {
    text("Company", v, MAX_NAME)
}

/// An email address, lower-cased; empty becomes `None`.
pub fn email(v: &str) -> std::result::Result<Option<String>, AppError> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    EmailAddress::parse(v).map(|e| Some(e.as_str().to_owned())).map_err(|e| invalid(e.0))
}

/// One of `allowed`, given as `field`.
pub fn one_of(field: &str, v: &str, allowed: &[&str]) -> std::result::Result<String, AppError> {
    let t = v.trim().to_lowercase().replace([' ', '-'], "_");
    if allowed.contains(&t.as_str()) {
        Ok(t)
    } else {
        Err(invalid(format!("{field} must be one of {} (not \u{201c}{}\u{201d}).", allowed.join(", "), v.trim())))
    }
}

/// A calendar date written `YYYY-MM-DD`.
pub fn date(field: &str, v: &str) -> std::result::Result<Option<String>, AppError> {
    let t = v.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || invalid(format!("{field} must be a date written YYYY-MM-DD (not \u{201c}{t}\u{201d})."));
    let parts: Vec<&str> = t.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return Err(bad()) };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else { return Err(bad()) };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if !(1000..=9999).contains(&y) || d == 0 || d > days || t.len() != 10 {
        return Err(bad());
    }
    Ok(Some(t.to_owned()))
}

#[derive(sqlx::FromRow)]
struct FieldRow {
    id: String,
    key: String,
    label: String,
    kind: String,
    choices: Json<Vec<String>>,
}

/// The org's custom field definitions.
pub async fn list(db: &Db, actor: &crate::auth::Actor) -> Result<Vec<CustomFieldView>> {
    list_for_org(db, &actor.org_id).await
}

/// [`list`] for an org already checked (imports, sources, exports).
pub(crate) async fn list_for_org(db: &Db, org: &OrgId) -> Result<Vec<CustomFieldView>> {
    let mut conn = db.pool().acquire().await?;
    list_in(&mut conn, org).await
}

/// [`list`] inside a transaction.
pub async fn list_in(conn: &mut AnyConnection, org: &OrgId) -> Result<Vec<CustomFieldView>> {
    let rows = sqlx::query_as::<_, FieldRow>("SELECT id, key, label, kind, choices FROM custom_fields WHERE org_id = $1 ORDER BY created_at, key")
        .bind(org.as_str())
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|r| CustomFieldView { id: r.id, key: r.key, label: r.label, kind: r.kind, choices: r.choices.0 }).collect())
}

/// A raw value for a custom field, checked and normalised: numbers become JSON numbers,
/// dates `YYYY-MM-DD`, choices one of the field's choices. Empty means "no value".
pub fn custom_value(def: &CustomFieldView, raw: &Value) -> std::result::Result<Value, AppError> {
    let s = match raw {
        Value::Null => return Ok(Value::Null),
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(invalid(format!("{} takes a single value.", def.label))),
    };
    if s.is_empty() {
        return Ok(Value::Null);
    }
    match def.kind.as_str() {
        "number" => s
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| invalid(format!("{} must be a number (not \u{201c}{s}\u{201d}).", def.label))),
        "date" => Ok(Value::from(date(&def.label, &s)?)),
        "choice" => def
            .choices
            .iter()
            .find(|c| c.to_lowercase() == s.to_lowercase())
            .map(|c| Value::from(c.clone()))
            .ok_or_else(|| invalid(format!("{} must be one of {} (not \u{201c}{s}\u{201d}).", def.label, def.choices.join(", ")))),
        _ => Ok(Value::from(text(&def.label, &s, MAX_TEXT)?)),
    }
}

/// Checks custom values `{key: raw}` against the org's definitions (unknown keys are
/// refused, so a typo is not silently dropped). `null`/empty values clear the field.
pub fn custom_values(defs: &[CustomFieldView], raw: &Map<String, Value>) -> std::result::Result<Map<String, Value>, AppError> {
    let mut out = Map::new();
    for (k, v) in raw {
        let def = defs
            .iter()
            .find(|d| d.key == *k)
            .ok_or_else(|| invalid(format!("There is no custom field \u{201c}{k}\u{201d}; add it in Settings → Contact fields first.")))?;
        out.insert(k.clone(), custom_value(def, v)?);
    }
    Ok(out)
}

/// Adds a custom field (managers and up, checked by the caller).
pub async fn create(db: &Db, actor: &crate::auth::Actor, key: &str, label: &str, kind: &str, choices: &[String], now: i64) -> Result<CustomFieldView> {
    actor.require(domain::Role::Manager)?;
    let org = &actor.org_id;
    let key = key.trim().to_lowercase();
    if key.is_empty() || key.len() > 40 || !key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(invalid("A field key is 1 to 40 lower-case letters, digits or underscores (such as plan_name).".into()).into());
    }
    let label = text("Label", label, 80)?.ok_or_else(|| invalid("A field needs a label.".into()))?;
    let kind = one_of("Kind", kind, &FIELD_KINDS)?;
    let choices: Vec<String> = choices.iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
    if kind == "choice" && choices.is_empty() {
        return Err(invalid("A choice field needs at least one choice.".into()).into());
    }
    let id = new_id();
    let res = sqlx::query("INSERT INTO custom_fields (id, org_id, key, label, kind, choices, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, key) DO NOTHING")
        .bind(&id)
        .bind(org.as_str())
        .bind(&key)
        .bind(&label)
        .bind(&kind)
        .bind(serde_json::to_string(&choices).expect("strings serialise"))
        .bind(now)
        .execute(db.pool())
        .await?;
    if res.rows_affected() == 0 {
        return Err(ServiceError::app(ErrorCode::Conflict, format!("There is already a field with the key \u{201c}{key}\u{201d}.")));
    }
    Ok(CustomFieldView { id, key, label, kind, choices })
}

/// Deletes a custom field definition (values stay on contacts but are no longer shown).
pub async fn delete(db: &Db, actor: &crate::auth::Actor, id: &str) -> Result<()> {
    actor.require(domain::Role::Manager)?;
    let org = &actor.org_id;
    let n = sqlx::query("DELETE FROM custom_fields WHERE id = $1 AND org_id = $2").bind(id).bind(org.as_str()).execute(db.pool()).await?.rows_affected();
    if n == 0 {
        return Err(AppError::not_found("Field").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: &str, choices: &[&str]) -> CustomFieldView {
        CustomFieldView { id: "f".into(), key: "k".into(), label: "Plan".into(), kind: kind.into(), choices: choices.iter().map(|c| c.to_string()).collect() }
    }

    #[test]
    fn custom_values_are_checked_by_kind() {
        assert_eq!(custom_value(&def("number", &[]), &Value::from("12,5")).unwrap(), serde_json::json!(12.5));
        assert!(custom_value(&def("number", &[]), &Value::from("twelve")).is_err());
        assert_eq!(custom_value(&def("date", &[]), &Value::from("2024-02-29")).unwrap(), Value::from("2024-02-29"));
        assert!(custom_value(&def("date", &[]), &Value::from("2023-02-29")).is_err());
        assert_eq!(custom_value(&def("choice", &["Gold", "Silver"]), &Value::from("gold")).unwrap(), Value::from("Gold"));
        assert!(custom_value(&def("choice", &["Gold"]), &Value::from("Bronze")).is_err());
        assert_eq!(custom_value(&def("text", &[]), &Value::from("  ")).unwrap(), Value::Null);
    }

    #[test]
    fn unknown_custom_fields_are_refused_by_name() {
        let raw: Map<String, Value> = serde_json::from_str(r#"{"plann": "x"}"#).unwrap();
        assert!(custom_values(&[def("text", &[])], &raw).unwrap_err().message.contains("plann"));
    }

    #[test]
    fn statuses_accept_spaces_and_case() {
        assert_eq!(one_of("Status", "Qualified", &LEAD_STATUSES).unwrap(), "qualified");
        assert_eq!(one_of("Opt-in", "opted in", &["unknown", "opted_in", "opted_out"]).unwrap(), "opted_in");
        assert!(one_of("Status", "hot", &LEAD_STATUSES).is_err());
    }
}
