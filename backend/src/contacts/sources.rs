//! Lead sources (INGEST-2, INGEST-3): form and ad webhooks posting to a secret URL
//! (`POST /api/hooks/{source_key}`), and Google Sheets polled on a schedule. Each source
//! has a name (recorded as the contact's source) and a mapping from its field names to
//! contact fields; without a mapping, fields are matched by name like CSV headers.

use super::model::{Via, Who};
use super::store::{apply_one, OnDuplicate, Outcome};
use crate::clock::new_id;
use crate::db::rows::{Flag, Json};
use crate::error::{Result, ServiceError};
use crate::secrets::Cipher;
use crate::Db;
use domain::csv::Record;
use domain::{AppError, ErrorCode, OrgId};
use rand::RngCore;
use serde::Serialize;
use serde_json::{Map, Value};

/// The largest webhook body a source takes.
pub const MAX_HOOK_BYTES: usize = 64 * 1024;

pub use domain::dto::LeadSource;

/// What a new or changed source says.
#[derive(Debug, Clone, Default)]
pub struct SourceInput {
    pub kind: String,
    pub name: String,
    /// `field=target` lines or a JSON object; empty matches fields by name.
    pub mapping: Map<String, Value>,
    pub spreadsheet_id: Option<String>,
    pub range: Option<String>,
    pub csv_url: Option<String>,
    pub api_key: Option<String>,
    pub poll_minutes: i64,
    /// Webhooks: refuse posts without a valid `X-MCE-Signature`.
    pub require_signature: bool,
}

fn new_key() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A source as [`COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
struct SourceRow {
    id: String,
    kind: String,
    name: String,
    source_key: String,
    mapping: Json<Map<String, Value>>,
    config: Json<Map<String, Value>>,
    secret_ciphertext: Option<String>,
    require_signature: Flag,
    poll_minutes: i64,
    last_success_at: Option<i64>,
    last_error: Option<String>,
    leads_count: i64,
    created_at: i64,
}

fn view(r: SourceRow) -> LeadSource {
    let config = r.config.0;
    let s = |k: &str| config.get(k).and_then(Value::as_str).map(str::to_owned);
    LeadSource {
        id: r.id,
        kind: r.kind,
        name: r.name,
        source_key: r.source_key,
        require_signature: r.require_signature.0,
        signing_secret: None,
        mapping: r.mapping.0,
        spreadsheet_id: s("spreadsheet_id"),
        range: s("range"),
        csv_url: s("csv_url"),
        has_api_key: r.secret_ciphertext.is_some(),
        poll_minutes: r.poll_minutes,
        last_success_at: r.last_success_at,
        last_error: r.last_error,
        leads_count: r.leads_count,
        created_at: r.created_at,
    }
}

/// The source a webhook posts to.
#[derive(sqlx::FromRow)]
struct HookRow {
    id: String,
    org_id: OrgId,
    name: String,
    mapping: Json<Map<String, Value>>,
    require_signature: Flag,
    signing_secret_enc: Option<String>,
}

const COLUMNS: &str =
    "id, kind, name, source_key, mapping, config, secret_ciphertext, require_signature, poll_minutes, last_success_at, last_error, leads_count, created_at";

/// Checks a mapping's targets against the contact fields and the org's custom fields.
fn check_mapping(mapping: &Map<String, Value>, custom_keys: &[String]) -> Result<()> {
    for (field, target) in mapping {
        let t = target.as_str().unwrap_or_default();
        if field.trim().is_empty() {
            return Err(AppError::validation("Give the posted field's name on every mapping line.")
                .with_details(serde_json::json!({"field": "mapping"}))
                .into());
        }
        let known = domain::import::TARGETS.contains(&t) || t.strip_prefix("custom:").is_some_and(|k| custom_keys.iter().any(|c| c == k));
        if field.trim().is_empty() || !known {
            return Err(AppError::validation(format!("\u{201c}{field}\u{201d} maps to \u{201c}{t}\u{201d}, which is not a contact field."))
                .with_details(serde_json::json!({"field": "mapping"}))
                .into());
        }
    }
    Ok(())
}

/// Adds a source of the org.
pub async fn create(db: &Db, cipher: &Cipher, actor: &crate::auth::Actor, input: &SourceInput, now: i64) -> Result<LeadSource> {
    actor.require(domain::Role::Admin)?;
    let org = &actor.org_id;
    let name = super::fields::text("Name", &input.name, 80)?.ok_or_else(|| AppError::validation("A source needs a name."))?;
    let kind = super::fields::one_of("Kind", &input.kind, &["webhook", "sheet"])?;
    let keys: Vec<String> = super::fields::list_for_org(db, org).await?.into_iter().map(|f| f.key).collect();
    check_mapping(&input.mapping, &keys)?;
    let mut config = Map::new();
    if kind == "sheet" {
        let csv_url = input.csv_url.as_deref().map(str::trim).filter(|u| !u.is_empty());
        let sheet = input.spreadsheet_id.as_deref().map(str::trim).filter(|u| !u.is_empty());
        match (sheet, csv_url) {
            (Some(id), _) => {
                if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || id.len() > 200 {
                    return Err(AppError::validation("The spreadsheet id is the long code in the sheet's address (letters, digits, - and _).").into());
                }
                if input.api_key.as_deref().is_none_or(|k| k.trim().is_empty()) {
                    return Err(AppError::validation("A spreadsheet id needs a Google API key (or give the sheet's published CSV address instead).").into());
                }
                config.insert("spreadsheet_id".into(), Value::from(id));
                config.insert("range".into(), Value::from(input.range.as_deref().map(str::trim).filter(|r| !r.is_empty()).unwrap_or("A:Z")));
            }
            (None, Some(url)) => {
                if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
                    return Err(AppError::validation("The published CSV address must start with https://.").into());
                }
                config.insert("csv_url".into(), Value::from(url));
            }
            (None, None) => return Err(AppError::validation("Give the spreadsheet id and an API key, or the sheet's published CSV address.").into()),
        }
    }
    let id = new_id();
    let secret = input.api_key.as_deref().map(str::trim).filter(|k| !k.is_empty() && kind == "sheet").map(|k| cipher.encrypt(k));
    let signing_secret = (kind == "webhook" && input.require_signature).then(new_key);
    let signing_secret_enc = signing_secret.as_deref().map(|s| seal_signing_secret(cipher, org, &id, s));
    sqlx::query(
        "INSERT INTO lead_sources (id, org_id, kind, name, source_key, mapping, config, secret_ciphertext, poll_minutes, next_poll_at, created_at, \
         require_signature, signing_secret_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)",
    )
    .bind(&id)
    .bind(org.as_str())
    .bind(&kind)
    .bind(&name)
    .bind(new_key())
    .bind(Value::Object(input.mapping.clone()).to_string())
    .bind(Value::Object(config).to_string())
    .bind(secret)
    .bind(input.poll_minutes.clamp(1, 1440))
    .bind(now)
    .bind(signing_secret.is_some() as i64)
    .bind(signing_secret_enc)
    .execute(db.pool())
    .await?;
    Ok(LeadSource { signing_secret, ..get(db, org, &id).await? })
}

fn seal_signing_secret(cipher: &Cipher, org: &OrgId, source: &str, secret: &str) -> String {
    cipher.seal(secret, &["lead_sources", org.as_str(), source])
}

/// One source of the org.
pub async fn get(db: &Db, org: &OrgId, id: &str) -> Result<LeadSource> {
    let r = sqlx::query_as::<_, SourceRow>(&format!("SELECT {COLUMNS} FROM lead_sources WHERE id = $1 AND org_id = $2"))
        .bind(id)
        .bind(org.as_str())
        .fetch_optional(db.pool())
        .await?;
    Ok(view(r.ok_or_else(|| AppError::not_found("Lead source"))?))
}

/// The org's sources, oldest first. Only admins see the source keys (the secret part of
/// a webhook's address).
pub async fn list(db: &Db, actor: &crate::auth::Actor) -> Result<Vec<LeadSource>> {
    let org = &actor.org_id;
    let rows = sqlx::query_as::<_, SourceRow>(&format!("SELECT {COLUMNS} FROM lead_sources WHERE org_id = $1 ORDER BY created_at, id"))
        .bind(org.as_str())
        .fetch_all(db.pool())
        .await?;
    let reveal = actor.role.at_least(domain::Role::Admin);
    Ok(rows.into_iter().map(view).map(|s| if reveal { s } else { LeadSource { source_key: String::new(), ..s } }).collect())
}

/// Deletes a source (its URL stops working at once).
pub async fn delete(db: &Db, actor: &crate::auth::Actor, id: &str) -> Result<()> {
    actor.require(domain::Role::Admin)?;
    let org = &actor.org_id;
    let n = sqlx::query("DELETE FROM lead_sources WHERE id = $1 AND org_id = $2").bind(id).bind(org.as_str()).execute(db.pool()).await?.rows_affected();
    if n == 0 {
        return Err(AppError::not_found("Lead source").into());
    }
    Ok(())
}

/// A webhook's fields flattened to `name → text`: nested objects as `a.b`, arrays of
/// scalars joined with `, `, and the `field_data: [{name, values}]` shape of Meta's lead
/// ads read as plain fields.
pub fn flatten(body: &Value) -> Map<String, Value> {
    fn walk(prefix: &str, v: &Value, out: &mut Map<String, Value>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "field_data" {
                        if let Some(items) = v.as_array() {
                            for item in items {
                                if let (Some(name), Some(values)) = (item["name"].as_str(), item["values"].as_array()) {
                                    let joined: Vec<String> = values.iter().map(scalar).collect();
                                    out.insert(name.to_owned(), Value::from(joined.join(", ")));
                                }
                            }
                            continue;
                        }
                    }
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&key, v, out);
                }
            }
            Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
                out.insert(prefix.to_owned(), Value::from(items.iter().map(scalar).collect::<Vec<_>>().join(", ")));
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(&format!("{prefix}.{i}"), item, out);
                }
            }
            Value::Null => {}
            other => {
                out.insert(prefix.to_owned(), Value::from(scalar(other)));
            }
        }
    }
    fn scalar(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
    let mut out = Map::new();
    walk("", body, &mut out);
    out
}

/// The columns and one record of a lead's fields under a source's mapping (or matched by
/// name when the mapping is empty), ready for the import's row reader.
pub fn as_record(fields: &Map<String, Value>, mapping: &Map<String, Value>, custom: &[(String, String)]) -> (Vec<String>, Record) {
    let names: Vec<String> = fields.keys().cloned().collect();
    let targets: Vec<String> = if mapping.is_empty() {
        // Match by name, as CSV headers are; the last segment of a nested name counts.
        let short: Vec<String> = names.iter().map(|n| n.rsplit('.').next().unwrap_or(n).to_owned()).collect();
        domain::import::auto_map(&short, custom)
    } else {
        names.iter().map(|n| mapping.get(n).and_then(Value::as_str).unwrap_or("ignore").to_owned()).collect()
    };
    let values = names.iter().map(|n| fields[n].as_str().unwrap_or_default().to_owned()).collect();
    (targets, Record { line: 1, fields: values })
}

/// What a webhook post did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookResult {
    pub contact_id: String,
    /// `created` or `updated`.
    pub status: &'static str,
}

/// A post to a source's URL as it arrived.
pub struct HookPost<'a> {
    /// The secret part of the URL.
    pub source_key: &'a str,
    /// The raw body, which a signature covers.
    pub raw: &'a [u8],
    /// The body parsed (JSON, or form fields as strings).
    pub body: &'a Value,
    /// `X-MCE-Signature`, if sent.
    pub signature: Option<&'a str>,
}

/// Stores a lead posted to a source's URL: checked whole first (`422` with the reason and
/// nothing written), deduplicated by phone, the source recorded. Unknown keys are `404`;
/// a source that requires a signature answers `401 AUTH_002` to a post without a valid
/// one. An outsider who knows the URL must not be able to rewrite a customer: a lead for
/// an existing contact only fills in fields that are empty and never changes its opt-in
/// status; a new contact takes the lead's consent, with the source as its evidence.
pub async fn receive_hook(db: &Db, cipher: &Cipher, post: &HookPost<'_>, now: i64) -> Result<HookResult> {
    let row = sqlx::query_as::<_, HookRow>(
        "SELECT id, org_id, name, mapping, require_signature, signing_secret_enc FROM lead_sources WHERE source_key = $1 AND kind = 'webhook'",
    )
    .bind(post.source_key)
    .fetch_optional(db.pool())
    .await?;
    let row = row.ok_or_else(|| AppError::not_found("Lead source"))?;
    let HookRow { id: source_id, org_id: org, name, mapping: Json(mapping), require_signature, signing_secret_enc } = row;
    if require_signature.0 {
        let secret = signing_secret_enc.and_then(|s| cipher.open(&s, &["lead_sources", org.as_str(), &source_id]).ok());
        let signed = secret.is_some_and(|s| crate::whatsapp::signature::verify(s.as_bytes(), post.raw, post.signature));
        if !signed {
            record_outcome(db, &source_id, Some("A post without a valid X-MCE-Signature was refused."), now).await?;
            return Err(ServiceError::app(
                ErrorCode::NotAuthenticated,
                "This source requires an X-MCE-Signature header: sha256= and the HMAC-SHA256 of the body with the source's secret.",
            ));
        }
    }
    let body = post.body;
    let settings = super::settings::load(db, &org).await?;
    let defs = super::fields::list_for_org(db, &org).await?;
    let custom: Vec<(String, String)> = defs.iter().map(|d| (d.key.clone(), d.label.clone())).collect();
    let (targets, record) = as_record(&flatten(body), &mapping, &custom);
    let lead = match super::import::lead_of(&record, &targets, &settings, &defs) {
        Ok(lead) => lead,
        Err(e) => {
            let (code, message) = if targets.iter().any(|t| t == "phone") {
                (e.code, e.message)
            } else {
                (ErrorCode::ContactInvalidPhone, "No field of the lead holds a phone number (map one to phone).".to_owned())
            };
            record_outcome(db, &source_id, Some(&message), now).await?;
            return Err(ServiceError::app(code, message));
        }
    };
    let who = Who { org, user: None, via: Via::Webhook };
    let outcome = apply_one(db, &who, &name, lead, OnDuplicate::FillEmpty, now).await?;
    record_outcome(db, &source_id, None, now).await?;
    Ok(HookResult { contact_id: outcome.contact_id().to_string(), status: if matches!(outcome, Outcome::Created(_)) { "created" } else { "updated" } })
}

/// Notes a source's last success or error (shown in Settings).
pub(crate) async fn record_outcome(db: &Db, source_id: &str, error: Option<&str>, now: i64) -> Result<()> {
    match error {
        None => {
            sqlx::query("UPDATE lead_sources SET last_success_at = $1, last_error = NULL, leads_count = leads_count + 1 WHERE id = $2")
                .bind(now)
                .bind(source_id)
                .execute(db.pool())
                .await?
        }
        Some(e) => sqlx::query("UPDATE lead_sources SET last_error = $1 WHERE id = $2").bind(e).bind(source_id).execute(db.pool()).await?,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_fields_arrays_and_lead_ads_field_data_are_flattened() {
        let body = json!({"contact": {"phone": "+5511", "name": "Ana"}, "tags": ["a", "b"], "field_data": [{"name": "email", "values": ["a@x.test"]}], "n": 3, "skip": null});
        let f = flatten(&body);
        assert_eq!(f["contact.phone"], "+5511");
        assert_eq!(f["tags"], "a, b");
        assert_eq!(f["email"], "a@x.test");
        assert_eq!(f["n"], "3");
        assert!(!f.contains_key("skip"));
    }

    #[test]
    fn without_a_mapping_fields_are_matched_by_their_names() {
        let f = flatten(&json!({"contact": {"phone_number": "+5511"}, "full_name": "Ana", "utm": "x"}));
        let (targets, record) = as_record(&f, &Map::new(), &[]);
        let pairs: Vec<(String, String)> = targets.into_iter().zip(record.fields).collect();
        assert!(
            pairs.contains(&("phone".into(), "+5511".into()))
                && pairs.contains(&("name".into(), "Ana".into()))
                && pairs.contains(&("ignore".into(), "x".into()))
        );
        let mapping: Map<String, Value> = serde_json::from_value(json!({"utm": "phone"})).unwrap();
        let (targets, _) = as_record(&f, &mapping, &[]);
        assert_eq!(targets.iter().filter(|t| *t == "phone").count(), 1);
    }
}
