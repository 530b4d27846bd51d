//! The sandbox simulator's side of message templates: "Meta's" template store of each
//! sandbox WABA (`sandbox_templates`), its checks, its review (`sandbox_review` says how
//! the next submission ends) and the template webhooks it sends, all in Meta's wire
//! format (WHATSAPP.md §1.8 and §4). MCE reaches it through the ordinary `GraphClient`
//! and hears of reviews through its own signed `/webhooks/whatsapp`, exactly like a real
//! account; the HTTP side lives in the server (`server::sandbox_templates`).
//!
//! The store is the simulator's truth: a review's outcome is written when it is decided
//! (at submission), and the webhook that tells MCE follows a few steps later.

use super::sandbox::{meta_json, random_digits};
use crate::clock::now_ms;
use crate::db::rows::Json;
use crate::error::Result;
use crate::secrets::Cipher;
use crate::Db;
use base64::Engine;
use domain::dto::WaNumber;
use domain::OrgId;
use serde_json::{json, Value};

/// A Meta error answer: the HTTP status and `{"error": {…}}`.
pub type MetaError = (u16, Value);
/// What the simulator answers a Graph call with: Meta's JSON, or Meta's error.
pub type MetaAnswer<T> = std::result::Result<T, MetaError>;

/// The template categories Meta accepts.
pub const CATEGORIES: [&str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];
/// The quality scores a template can be given from the sandbox page.
pub const QUALITY_SCORES: [&str; 3] = ["GREEN", "YELLOW", "RED"];
/// The statuses Meta lets an edit start from.
pub const EDITABLE: [&str; 3] = ["APPROVED", "REJECTED", "PAUSED"];
/// Meta's subcode for a name and language that already exist.
pub const DUPLICATE_SUBCODE: i64 = 2388024;
/// How many simulator steps a review takes before its webhook is sent.
pub const REVIEW_STEPS: u32 = 3;
/// A list page's size when none is asked for.
pub const DEFAULT_LIMIT: i64 = 25;
/// The largest list page.
pub const MAX_LIMIT: i64 = 100;
/// How long Meta announces a category change before applying it.
pub const CATEGORY_NOTICE_SECS: i64 = 24 * 3600;

/// How the simulator reviews the next submission (create or edit) of a WABA; after one
/// submission it goes back to [`ReviewOutcome::Approve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReviewOutcome {
    /// Approved (the default).
    #[default]
    Approve,
    /// Rejected, with the reason set beside it.
    Reject,
    /// Approved, but created as MARKETING whatever was asked (Meta's own categorisation).
    Recategorise,
}

impl ReviewOutcome {
    /// The stored word: `approve`, `reject` or `recategorise`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewOutcome::Approve => "approve",
            ReviewOutcome::Reject => "reject",
            ReviewOutcome::Recategorise => "recategorise",
        }
    }

    /// The outcome a stored or asked-for word names.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(ReviewOutcome::Approve),
            "reject" => Some(ReviewOutcome::Reject),
            "recategorise" | "recategorize" => Some(ReviewOutcome::Recategorise),
            _ => None,
        }
    }
}

/// The webhooks a submission's review sends: `(delay step, webhook body)` in sending
/// order, each posted `step × MCE_SANDBOX_STEP_MS` after the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    pub steps: Vec<(u32, String)>,
}

/// A template in the simulator's store, as Meta holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTemplate {
    /// Meta's template id (digits; `hsm_id` when deleting).
    pub id: String,
    pub waba_id: String,
    pub name: String,
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    /// Meta's status word (`APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, …).
    pub status: String,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    pub quality: String,
    /// As Meta lists it: `POSITIONAL` or `NAMED`.
    pub parameter_format: String,
    /// The components array, in Meta's create shape.
    pub components: Value,
    pub created_at: i64,
}

impl StoredTemplate {
    /// The template object as Meta's list and `GET /{template_id}` give it.
    pub fn to_meta(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "language": self.language, "status": self.status, "category": self.category,
            "parameter_format": self.parameter_format, "components": self.components, "quality_score": {"score": self.quality}
        })
    }
}

#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: String,
    waba_id: String,
    name: String,
    language: String,
    category: String,
    status: String,
    quality: String,
    parameter_format: String,
    components: Json<Value>,
    created_at: i64,
}

impl From<TemplateRow> for StoredTemplate {
    fn from(r: TemplateRow) -> Self {
        StoredTemplate {
            id: r.id,
            waba_id: r.waba_id,
            name: r.name,
            language: r.language,
            category: r.category,
            status: r.status,
            quality: r.quality,
            parameter_format: r.parameter_format,
            components: r.components.0,
            created_at: r.created_at,
        }
    }
}

const COLUMNS: &str = "id, waba_id, name, language, category, status, quality, parameter_format, components, created_at";

// ---------------------------------------------------------------------------------------
// Meta's errors and checks (pure)
// ---------------------------------------------------------------------------------------

/// Meta's "invalid parameter" error (code 100) with `details` saying what was wrong.
pub fn invalid(details: &str) -> MetaError {
    (
        400,
        json!({"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
            "error_data": {"messaging_product": "whatsapp", "details": details}, "fbtrace_id": "SBX"}}),
    )
}

/// Meta's answer for an id that names nothing the token may see (100, subcode 33).
pub fn unknown_object(id: &str) -> MetaError {
    (
        400,
        json!({"error": {"message": format!("Unsupported post request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation"),
            "type": "GraphMethodException", "code": 100, "error_subcode": 33, "fbtrace_id": "SBX"}}),
    )
}

/// Meta's answer for a name and language that already exist (100 / 2388024).
pub fn duplicate(language: &str) -> MetaError {
    (
        400,
        json!({"error": {"message": "Content in This Language Already Exists", "type": "OAuthException", "code": 100, "error_subcode": DUPLICATE_SUBCODE,
            "is_transient": false, "error_user_title": "Content in This Language Already Exists",
            "error_user_msg": format!("There is already {language} content for this template. You can create a new template and try again."),
            "fbtrace_id": "SBX"}}),
    )
}

/// A submission that passed Meta's checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub name: String,
    pub language: String,
    /// Upper case.
    pub category: String,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: String,
    pub components: Value,
}

/// Whether `name` is a template name Meta accepts: `^[a-z0-9_]+$`, at most 512.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 512 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Whether `code` is shaped like one of Meta's language codes (`en`, `en_US`, `fil`,
/// `es_419`): two or three lower-case letters and an optional upper-case region.
pub fn valid_language(code: &str) -> bool {
    let (lang, region) = match code.split_once('_') {
        Some((l, r)) => (l, Some(r)),
        None => (code, None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = region.is_none_or(|r| (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    lang_ok && region_ok
}

/// The category in Meta's upper case, when it is one Meta accepts (any case).
pub fn category_of(v: &Value) -> Option<String> {
    let c = v.as_str()?.to_ascii_uppercase();
    CATEGORIES.contains(&c.as_str()).then_some(c)
}

/// The components when they are an array of typed objects with a BODY.
fn components_of(v: Option<&Value>) -> MetaAnswer<Value> {
    let Some(list) = v.and_then(Value::as_array) else { return Err(invalid("components must be an array.")) };
    let types: Vec<Option<&str>> = list.iter().map(|c| c.get("type").and_then(Value::as_str)).collect();
    if types.iter().any(Option::is_none) {
        return Err(invalid("Every component needs a type."));
    }
    if !types.iter().flatten().any(|t| t.eq_ignore_ascii_case("BODY")) {
        return Err(invalid("A template needs a BODY component."));
    }
    Ok(Value::Array(list.clone()))
}

/// Meta's checks of a create body, in Meta's order (name, language, category, format,
/// components).
pub fn check_submission(body: &Value) -> MetaAnswer<Submission> {
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    if !valid_name(name) {
        return Err(invalid("The template name may only contain lowercase letters, digits and underscores, up to 512 characters."));
    }
    let language = body.get("language").and_then(Value::as_str).unwrap_or_default();
    if !valid_language(language) {
        return Err(invalid("The parameter language is required and must be a supported language code."));
    }
    let Some(category) = body.get("category").and_then(category_of) else {
        return Err(invalid("The parameter category is required and must be MARKETING, UTILITY or AUTHENTICATION."));
    };
    let parameter_format = match body.get("parameter_format") {
        None | Some(Value::Null) => "POSITIONAL".to_owned(),
        Some(v) => match v.as_str().map(str::to_ascii_uppercase).as_deref() {
            Some(f @ ("POSITIONAL" | "NAMED")) => f.to_owned(),
            _ => return Err(invalid("parameter_format must be positional or named.")),
        },
    };
    let components = components_of(body.get("components"))?;
    Ok(Submission { name: name.to_owned(), language: language.to_owned(), category, parameter_format, components })
}

/// What a review decided: the stored status, the webhook's `reason` and, for a
/// rejection, its `rejection_info`.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: &'static str,
    pub reason: String,
    pub rejection_info: Option<Value>,
}

/// The verdict of an outcome. A rejection's reason may be one of Meta's words
/// (`PROMOTIONAL`, `INVALID_FORMAT`, …), used as it is, or free text, which Meta would
/// file as `INVALID_FORMAT` with the text as its `rejection_info`.
pub fn verdict(outcome: ReviewOutcome, reason: Option<&str>) -> Verdict {
    match outcome {
        ReviewOutcome::Approve | ReviewOutcome::Recategorise => Verdict { status: "APPROVED", reason: "NONE".into(), rejection_info: None },
        ReviewOutcome::Reject => {
            let given = reason.map(str::trim).filter(|r| !r.is_empty()).unwrap_or("INVALID_FORMAT");
            let is_word = given.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
            let code = if is_word { given } else { "INVALID_FORMAT" };
            let recommendation =
                "Check the template against Meta's guidelines: every variable needs an example, and the body must not start or end with a variable.";
            Verdict { status: "REJECTED", reason: code.to_owned(), rejection_info: Some(json!({"reason": given, "recommendation": recommendation})) }
        }
    }
}

/// A list cursor: the last row's sort key, opaque to the client.
pub fn encode_cursor(name: &str, language: &str, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json!([name, language, id]).to_string())
}

/// The sort key a cursor carries; `None` when it is not one of ours.
pub fn decode_cursor(cursor: &str) -> Option<(String, String, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let (name, language, id): (String, String, String) = serde_json::from_slice(&bytes).ok()?;
    Some((name, language, id))
}

// ---------------------------------------------------------------------------------------
// Webhook bodies
// ---------------------------------------------------------------------------------------

fn now_secs() -> i64 {
    now_ms() / 1000
}

/// A fresh template id shaped like Meta's: 16 digits starting with 1, so the integer in
/// webhooks stays below 2^53 and survives any JSON reader.
fn new_template_id() -> String {
    format!("1{}", random_digits(15))
}

/// `message_template_id` is an integer in Meta's webhooks.
fn id_number(id: &str) -> Value {
    id.parse::<u64>().map(Value::from).unwrap_or_else(|_| json!(id))
}

/// A WABA webhook (template fields carry `entry.time`), serialised like Meta's.
pub fn envelope(waba: &str, field: &str, value: Value) -> String {
    meta_json(&json!({"object": "whatsapp_business_account", "entry": [{"id": waba, "time": now_secs(), "changes": [{"field": field, "value": value}]}]}))
}

/// The `message_template_status_update` webhook for `t` with `event`, `reason` and any
/// extra keys (`rejection_info`, `other_info`, `disable_info`).
pub fn status_update(t: &StoredTemplate, event: &str, reason: &str, extra: Option<(&str, Value)>) -> String {
    let mut value = json!({
        "event": event, "message_template_id": id_number(&t.id), "message_template_name": t.name,
        "message_template_language": t.language, "reason": reason, "message_template_category": t.category
    });
    if let Some((key, v)) = extra {
        value[key] = v;
    }
    envelope(&t.waba_id, "message_template_status_update", value)
}

fn review_of(t: &StoredTemplate, v: &Verdict) -> Review {
    let extra = v.rejection_info.clone().map(|info| ("rejection_info", info));
    Review { steps: vec![(REVIEW_STEPS, status_update(t, v.status, &v.reason, extra))] }
}

// ---------------------------------------------------------------------------------------
// The store, as the Graph endpoints use it
// ---------------------------------------------------------------------------------------

/// Takes the WABA's next outcome (back to approve afterwards), in the submission's
/// transaction so two submissions never both take one rejection.
async fn take_outcome(conn: &mut sqlx::AnyConnection, waba: &str) -> Result<(ReviewOutcome, Option<String>)> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("DELETE FROM sandbox_review WHERE waba_id = $1 RETURNING next_outcome, reason").bind(waba).fetch_optional(&mut *conn).await?;
    Ok(row.map(|(o, r)| (ReviewOutcome::parse(&o).unwrap_or_default(), r)).unwrap_or_default())
}

/// `POST /{waba}/message_templates`: Meta's checks, then the template is stored with its
/// review's outcome and answered `{"id", "status": "PENDING", "category"}` (MARKETING
/// when the review recategorises it); the [`Review`] holds the status webhook to send.
pub async fn create(db: &Db, waba: &str, body: &Value) -> Result<MetaAnswer<(Value, Review)>> {
    let s = match check_submission(body) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let mut tx = db.pool().begin().await?;
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM sandbox_templates WHERE waba_id = $1 AND name = $2 AND language = $3")
        .bind(waba)
        .bind(&s.name)
        .bind(&s.language)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Ok(Err(duplicate(&s.language)));
    }
    let (outcome, reason) = take_outcome(&mut tx, waba).await?;
    let v = verdict(outcome, reason.as_deref());
    let category = if outcome == ReviewOutcome::Recategorise { "MARKETING".to_owned() } else { s.category };
    let t = StoredTemplate {
        id: new_template_id(),
        waba_id: waba.to_owned(),
        name: s.name,
        language: s.language,
        category,
        // Decided now: the webhook only brings the news.
        status: v.status.to_owned(),
        quality: "UNKNOWN".into(),
        parameter_format: s.parameter_format,
        components: s.components,
        created_at: now_ms(),
    };
    if !insert(&mut tx, &t).await? {
        // A concurrent create of the same name and language won.
        return Ok(Err(duplicate(&t.language)));
    }
    tx.commit().await?;
    let answer = json!({"id": t.id, "status": "PENDING", "category": t.category});
    Ok(Ok((answer, review_of(&t, &v))))
}

async fn insert(conn: &mut sqlx::AnyConnection, t: &StoredTemplate) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO sandbox_templates (id, waba_id, name, language, category, status, quality, parameter_format, components, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
    )
    .bind(&t.id)
    .bind(&t.waba_id)
    .bind(&t.name)
    .bind(&t.language)
    .bind(&t.category)
    .bind(&t.status)
    .bind(&t.quality)
    .bind(&t.parameter_format)
    .bind(t.components.to_string())
    .bind(t.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// `GET /{waba}/message_templates`: one page of Meta's list, ordered by name, language
/// and id. `limit` defaults to 25 (at most 100); `after` is a cursor from an earlier
/// page; `base` is this list's URL, which `paging.next` extends (present only when more
/// remain). A cursor that is not ours is Meta's error 100.
pub async fn list(db: &Db, waba: &str, limit: Option<i64>, after: Option<&str>, base: &str) -> Result<MetaAnswer<Value>> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let rows = match after {
        None => {
            sqlx::query_as::<_, TemplateRow>(&format!("SELECT {COLUMNS} FROM sandbox_templates WHERE waba_id = $1 ORDER BY name, language, id LIMIT $2"))
                .bind(waba)
                .bind(limit + 1)
                .fetch_all(db.reader())
                .await?
        }
        Some(cursor) => {
            let Some((name, language, id)) = decode_cursor(cursor) else { return Ok(Err(invalid("The after cursor is not valid."))) };
            sqlx::query_as::<_, TemplateRow>(&format!(
                "SELECT {COLUMNS} FROM sandbox_templates WHERE waba_id = $1 \
                 AND (name > $2 OR (name = $2 AND language > $3) OR (name = $2 AND language = $3 AND id > $4)) \
                 ORDER BY name, language, id LIMIT $5"
            ))
            .bind(waba)
            .bind(name)
            .bind(language)
            .bind(id)
            .bind(limit + 1)
            .fetch_all(db.reader())
            .await?
        }
    };
    let more = rows.len() as i64 > limit;
    let page: Vec<StoredTemplate> = rows.into_iter().take(limit as usize).map(StoredTemplate::from).collect();
    let (Some(first), Some(last)) = (page.first(), page.last()) else { return Ok(Ok(json!({"data": []}))) };
    let (before, after) = (encode_cursor(&first.name, &first.language, &first.id), encode_cursor(&last.name, &last.language, &last.id));
    let mut paging = json!({"cursors": {"before": before, "after": after}});
    if more {
        paging["next"] = json!(format!("{base}?limit={limit}&after={after}"));
    }
    Ok(Ok(json!({"data": page.iter().map(StoredTemplate::to_meta).collect::<Vec<_>>(), "paging": paging})))
}

/// The template with Meta id `template_id`, of any WABA (the caller checks the token
/// against its `waba_id`).
pub async fn get(db: &Db, template_id: &str) -> Result<Option<StoredTemplate>> {
    let row =
        sqlx::query_as::<_, TemplateRow>(&format!("SELECT {COLUMNS} FROM sandbox_templates WHERE id = $1")).bind(template_id).fetch_optional(db.pool()).await?;
    Ok(row.map(StoredTemplate::from))
}

/// `POST /{template_id}`: `components` replaces them all, `category` changes it (not on
/// an approved template). Only APPROVED, REJECTED and PAUSED templates can be edited;
/// an edit goes to review again, with the WABA's next outcome like a submission, and
/// answers `{"success": true}`.
pub async fn edit(db: &Db, template_id: &str, body: &Value) -> Result<MetaAnswer<(Value, Review)>> {
    let Some(mut t) = get(db, template_id).await? else { return Ok(Err(unknown_object(template_id))) };
    if !EDITABLE.contains(&t.status.as_str()) {
        return Ok(Err(invalid(&format!("A template with status {} can't be edited.", t.status))));
    }
    let components = match body.get("components") {
        None => None,
        Some(v) => match components_of(Some(v)) {
            Ok(c) => Some(c),
            Err(e) => return Ok(Err(e)),
        },
    };
    let category = match body.get("category") {
        None => None,
        Some(v) => match category_of(v) {
            Some(c) if c != t.category && t.status == "APPROVED" => return Ok(Err(invalid("The category of an approved template can't be changed."))),
            Some(c) => Some(c),
            None => return Ok(Err(invalid("category must be MARKETING, UTILITY or AUTHENTICATION."))),
        },
    };
    if components.is_none() && category.is_none() {
        return Ok(Err(invalid("Give components or category to edit.")));
    }
    let mut tx = db.pool().begin().await?;
    let (outcome, reason) = take_outcome(&mut tx, &t.waba_id).await?;
    let v = verdict(outcome, reason.as_deref());
    if let Some(c) = components {
        t.components = c;
    }
    if let Some(c) = category {
        t.category = c;
    }
    if outcome == ReviewOutcome::Recategorise {
        t.category = "MARKETING".into();
    }
    t.status = v.status.to_owned();
    sqlx::query("UPDATE sandbox_templates SET components = $1, category = $2, status = $3 WHERE id = $4")
        .bind(t.components.to_string())
        .bind(&t.category)
        .bind(&t.status)
        .bind(&t.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Ok((json!({"success": true}), review_of(&t, &v))))
}

/// `DELETE /{waba}/message_templates?name=…[&hsm_id=…]`: every language of the name, or
/// the one template `hsm_id`. An unknown name or id is Meta's error 100, and so is a
/// DISABLED template among them (Meta keeps those): then nothing is deleted.
pub async fn delete(db: &Db, waba: &str, name: &str, hsm_id: Option<&str>) -> Result<MetaAnswer<Value>> {
    let rows = sqlx::query_as::<_, TemplateRow>(&format!(
        "SELECT {COLUMNS} FROM sandbox_templates WHERE waba_id = $1 AND name = $2 AND ($3 = '' OR id = $3) ORDER BY language"
    ))
    .bind(waba)
    .bind(name)
    .bind(hsm_id.unwrap_or_default())
    .fetch_all(db.pool())
    .await?;
    if rows.is_empty() {
        return Ok(Err(invalid(&format!("Message template \"{name}\" not found."))));
    }
    if rows.iter().any(|r| r.status == "DISABLED") {
        return Ok(Err(invalid("A disabled template can't be deleted.")));
    }
    sqlx::query("DELETE FROM sandbox_templates WHERE waba_id = $1 AND name = $2 AND ($3 = '' OR id = $3)")
        .bind(waba)
        .bind(name)
        .bind(hsm_id.unwrap_or_default())
        .execute(db.pool())
        .await?;
    Ok(Ok(json!({"success": true})))
}

/// The sandbox number whose WABA is `waba`, with its decrypted token (what a bearer on
/// the WABA's endpoints must be).
pub async fn find_by_waba_id(db: &Db, cipher: &Cipher, waba: &str) -> Result<Option<(WaNumber, OrgId, String)>> {
    super::sandbox::find_sandbox_by(db, cipher, "waba_id", waba).await
}

// ---------------------------------------------------------------------------------------
// The sandbox page's controls (the caller has checked the member and the org)
// ---------------------------------------------------------------------------------------

fn require_sandbox(number: &WaNumber) -> Result<()> {
    if number.is_sandbox {
        Ok(())
    } else {
        Err(domain::AppError::not_found("Sandbox number").into())
    }
}

/// Sets how the sandbox number's next template submission is reviewed; `reason` is a
/// rejection's (one of Meta's words or free text; at most 512 characters).
pub async fn set_next_review(db: &Db, number: &WaNumber, outcome: ReviewOutcome, reason: Option<String>) -> Result<()> {
    require_sandbox(number)?;
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 512) {
        return Err(domain::AppError::validation("A rejection reason must be at most 512 characters.").into());
    }
    sqlx::query(
        "INSERT INTO sandbox_review (waba_id, next_outcome, reason) VALUES ($1, $2, $3) \
         ON CONFLICT (waba_id) DO UPDATE SET next_outcome = excluded.next_outcome, reason = excluded.reason",
    )
    .bind(&number.waba_id)
    .bind(outcome.as_str())
    .bind(reason)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// How the sandbox number's next template submission will be reviewed, and the reason.
pub async fn next_review(db: &Db, number: &WaNumber) -> Result<(ReviewOutcome, Option<String>)> {
    require_sandbox(number)?;
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT next_outcome, reason FROM sandbox_review WHERE waba_id = $1").bind(&number.waba_id).fetch_optional(db.pool()).await?;
    Ok(row.map(|(o, r)| (ReviewOutcome::parse(&o).unwrap_or_default(), r)).unwrap_or_default())
}

/// The template `template_id` of the sandbox number's WABA.
async fn template_of(db: &Db, number: &WaNumber, template_id: &str) -> Result<StoredTemplate> {
    require_sandbox(number)?;
    match get(db, template_id).await? {
        Some(t) if t.waba_id == number.waba_id => Ok(t),
        _ => Err(domain::AppError::not_found("Template").into()),
    }
}

fn conflict(message: String) -> crate::ServiceError {
    crate::ServiceError::app(domain::ErrorCode::Conflict, message)
}

async fn set_column(db: &Db, id: &str, column: &str, value: &str) -> Result<()> {
    // `column` is one of ours, never input.
    sqlx::query(&format!("UPDATE sandbox_templates SET {column} = $1 WHERE id = $2")).bind(value).bind(id).execute(db.pool()).await?;
    Ok(())
}

/// Meta pauses an approved template for low quality: stored PAUSED; returns the
/// `message_template_status_update` webhook (PAUSED, `other_info` FIRST_PAUSE).
pub async fn pause(db: &Db, number: &WaNumber, template_id: &str) -> Result<String> {
    let t = template_of(db, number, template_id).await?;
    if t.status != "APPROVED" {
        return Err(conflict(format!("Only an approved template can be paused; this one is {}.", t.status)));
    }
    set_column(db, &t.id, "status", "PAUSED").await?;
    let info = json!({"title": "FIRST_PAUSE", "description": format!("Your {} template has been paused for 3 hours because of low quality.", t.name)});
    Ok(status_update(&t, "PAUSED", "NONE", Some(("other_info", info))))
}

/// Meta disables a template: stored DISABLED; returns the status webhook with
/// `disable_info`.
pub async fn disable(db: &Db, number: &WaNumber, template_id: &str) -> Result<String> {
    let t = template_of(db, number, template_id).await?;
    if t.status == "DISABLED" {
        return Err(conflict("The template is already disabled.".into()));
    }
    set_column(db, &t.id, "status", "DISABLED").await?;
    Ok(status_update(&t, "DISABLED", "NONE", Some(("disable_info", json!({"disable_date": now_secs()})))))
}

/// Meta reinstates a paused or disabled template: stored APPROVED; returns the
/// REINSTATED status webhook.
pub async fn reinstate(db: &Db, number: &WaNumber, template_id: &str) -> Result<String> {
    let t = template_of(db, number, template_id).await?;
    if t.status != "PAUSED" && t.status != "DISABLED" {
        return Err(conflict(format!("Only a paused or disabled template can be reinstated; this one is {}.", t.status)));
    }
    set_column(db, &t.id, "status", "APPROVED").await?;
    Ok(status_update(&t, "REINSTATED", "NONE", None))
}

/// Meta rates a template's quality (`GREEN`, `YELLOW`, `RED`): stored; returns the
/// `message_template_quality_update` webhook with the previous and new scores.
pub async fn set_quality(db: &Db, number: &WaNumber, template_id: &str, score: &str) -> Result<String> {
    let score = score.to_ascii_uppercase();
    if !QUALITY_SCORES.contains(&score.as_str()) {
        return Err(domain::AppError::validation("A quality score is GREEN, YELLOW or RED.").into());
    }
    let t = template_of(db, number, template_id).await?;
    set_column(db, &t.id, "quality", &score).await?;
    Ok(envelope(
        &t.waba_id,
        "message_template_quality_update",
        json!({"previous_quality_score": t.quality, "new_quality_score": score, "message_template_id": id_number(&t.id),
            "message_template_name": t.name, "message_template_language": t.language}),
    ))
}

fn check_category(t: &StoredTemplate, category: &str) -> Result<String> {
    let Some(c) = category_of(&json!(category)) else {
        return Err(domain::AppError::validation("A category is MARKETING, UTILITY or AUTHENTICATION.").into());
    };
    if c == t.category {
        return Err(domain::AppError::validation(format!("The template is already {c}.")).into());
    }
    Ok(c)
}

/// Meta announces, 24 hours ahead, that it will recategorise a template as `correct`:
/// nothing changes yet; returns the impending `template_category_update` webhook.
pub async fn announce_category(db: &Db, number: &WaNumber, template_id: &str, correct: &str) -> Result<String> {
    let t = template_of(db, number, template_id).await?;
    let correct = check_category(&t, correct)?;
    Ok(envelope(
        &t.waba_id,
        "template_category_update",
        json!({"message_template_id": id_number(&t.id), "message_template_name": t.name, "message_template_language": t.language,
            "new_category": t.category, "correct_category": correct, "category_update_timestamp": now_secs() + CATEGORY_NOTICE_SECS}),
    ))
}

/// Meta recategorises a template as `new`: stored; returns the completed
/// `template_category_update` webhook with the previous and new categories.
pub async fn apply_category(db: &Db, number: &WaNumber, template_id: &str, new: &str) -> Result<String> {
    let t = template_of(db, number, template_id).await?;
    let new = check_category(&t, new)?;
    set_column(db, &t.id, "category", &new).await?;
    Ok(envelope(
        &t.waba_id,
        "template_category_update",
        json!({"message_template_id": id_number(&t.id), "message_template_name": t.name, "message_template_language": t.language,
            "previous_category": t.category, "new_category": new}),
    ))
}

// ---------------------------------------------------------------------------------------
// Demo templates
// ---------------------------------------------------------------------------------------

/// The three demo templates a new sandbox WABA starts with: `(name, category,
/// components)`, all `en_US` and positional, in Meta's create shape (§4.2).
pub fn demo_templates() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "welcome",
            "UTILITY",
            json!([
                {"type": "BODY", "text": "Hi {{1}}, thanks for getting in touch with us! Reply to this message and we will help you right away.",
                 "example": {"body_text": [["Ana"]]}},
                {"type": "FOOTER", "text": "Sent from the MCE sandbox"},
                {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Talk to someone"}]}
            ]),
        ),
        (
            "appointment_reminder",
            "UTILITY",
            json!([
                {"type": "HEADER", "format": "TEXT", "text": "Appointment reminder"},
                {"type": "BODY", "text": "Hi {{1}}, this is a reminder of your appointment on {{2}}. Reply YES to confirm or NO to reschedule.",
                 "example": {"body_text": [["Ana", "May 1 at 10:00"]]}},
                {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Yes"}, {"type": "QUICK_REPLY", "text": "No"}]}
            ]),
        ),
        (
            "special_offer",
            "MARKETING",
            json!([
                {"type": "BODY", "text": "Hi {{1}}, enjoy {{2}} off your next order this week only.", "example": {"body_text": [["Ana", "20%"]]}},
                {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "See the offer", "url": "https://example.com/offer/{{1}}", "example": ["spring"]}]}
            ]),
        ),
    ]
}

/// Puts the demo templates, APPROVED, in a sandbox WABA's store where they are absent,
/// and returns the three as stored (for MCE to mirror into its own templates).
pub async fn seed(db: &Db, waba: &str) -> Result<Vec<StoredTemplate>> {
    let demos = demo_templates();
    let mut tx = db.pool().begin().await?;
    for (name, category, components) in &demos {
        let t = StoredTemplate {
            id: new_template_id(),
            waba_id: waba.to_owned(),
            name: (*name).to_owned(),
            language: "en_US".into(),
            category: (*category).to_owned(),
            status: "APPROVED".into(),
            quality: "GREEN".into(),
            parameter_format: "POSITIONAL".into(),
            components: components.clone(),
            created_at: now_ms(),
        };
        insert(&mut tx, &t).await?;
    }
    tx.commit().await?;
    let mut out = Vec::with_capacity(demos.len());
    for (name, _, _) in &demos {
        let row = sqlx::query_as::<_, TemplateRow>(&format!("SELECT {COLUMNS} FROM sandbox_templates WHERE waba_id = $1 AND name = $2 AND language = 'en_US'"))
            .bind(waba)
            .bind(*name)
            .fetch_one(db.pool())
            .await?;
        out.push(row.into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(name: &str, language: &str, category: &str) -> Value {
        json!({"name": name, "language": language, "category": category, "components": [{"type": "BODY", "text": "Hi"}]})
    }

    #[test]
    fn submissions_are_checked_like_meta() {
        let ok = check_submission(&body("order_update_2", "en_US", "utility")).unwrap();
        assert_eq!((ok.category.as_str(), ok.parameter_format.as_str()), ("UTILITY", "POSITIONAL"));
        for bad in
            [body("Order", "en_US", "UTILITY"), body("a-b", "en_US", "UTILITY"), body("", "en_US", "UTILITY"), body(&"a".repeat(513), "en_US", "UTILITY")]
        {
            assert_eq!(check_submission(&bad).unwrap_err().1["error"]["code"], 100, "{bad}");
        }
        assert!(check_submission(&body(&"a".repeat(512), "en_US", "UTILITY")).is_ok());
        assert!(check_submission(&body("x", "english", "UTILITY")).is_err());
        assert!(check_submission(&body("x", "en_us", "UTILITY")).is_err());
        assert!(check_submission(&body("x", "fil", "UTILITY")).is_ok());
        assert!(check_submission(&body("x", "es_419", "UTILITY")).is_ok());
        assert!(check_submission(&body("x", "en_US", "SERVICE")).is_err());
        assert!(check_submission(&json!({"name": "x", "language": "en", "category": "UTILITY"})).is_err(), "components are required");
        assert!(check_submission(&json!({"name": "x", "language": "en", "category": "UTILITY", "components": [{"type": "FOOTER", "text": "f"}]})).is_err());
        let named =
            json!({"name": "x", "language": "en", "category": "MARKETING", "parameter_format": "named", "components": [{"type": "body", "text": "Hi"}]});
        assert_eq!(check_submission(&named).unwrap().parameter_format, "NAMED");
        let odd = json!({"name": "x", "language": "en", "category": "MARKETING", "parameter_format": "both", "components": [{"type": "BODY", "text": "Hi"}]});
        assert!(check_submission(&odd).is_err());
    }

    #[test]
    fn a_rejection_keeps_metas_word_or_files_free_text_as_invalid_format() {
        assert_eq!(verdict(ReviewOutcome::Approve, Some("ignored")), Verdict { status: "APPROVED", reason: "NONE".into(), rejection_info: None });
        assert_eq!(verdict(ReviewOutcome::Recategorise, None).status, "APPROVED");
        let word = verdict(ReviewOutcome::Reject, Some("PROMOTIONAL"));
        assert_eq!((word.status, word.reason.as_str()), ("REJECTED", "PROMOTIONAL"));
        let text = verdict(ReviewOutcome::Reject, Some("Too many emoji"));
        assert_eq!(text.reason, "INVALID_FORMAT");
        assert_eq!(text.rejection_info.unwrap()["reason"], "Too many emoji");
        assert_eq!(verdict(ReviewOutcome::Reject, None).reason, "INVALID_FORMAT");
    }

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let c = encode_cursor("welcome", "en_US", "123");
        assert_eq!(decode_cursor(&c), Some(("welcome".into(), "en_US".into(), "123".into())));
        assert_eq!(decode_cursor("not a cursor"), None);
        assert_eq!(decode_cursor(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("[1,2]")), None);
    }

    #[test]
    fn outcomes_read_back_and_status_webhooks_carry_a_numeric_id() {
        for o in [ReviewOutcome::Approve, ReviewOutcome::Reject, ReviewOutcome::Recategorise] {
            assert_eq!(ReviewOutcome::parse(o.as_str()), Some(o));
        }
        let t = StoredTemplate {
            id: "1689556908129832".into(),
            waba_id: "98123".into(),
            name: "welcome".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            status: "APPROVED".into(),
            quality: "UNKNOWN".into(),
            parameter_format: "POSITIONAL".into(),
            components: json!([]),
            created_at: 0,
        };
        let v: Value = serde_json::from_str(&status_update(&t, "APPROVED", "NONE", None)).unwrap();
        assert_eq!(v["entry"][0]["id"], "98123");
        assert!(v["entry"][0]["time"].is_i64());
        let change = &v["entry"][0]["changes"][0];
        assert_eq!(change["field"], "message_template_status_update");
        assert_eq!(change["value"]["message_template_id"], json!(1689556908129832u64));
        assert_eq!(change["value"]["message_template_category"], "UTILITY");
    }

    #[test]
    fn demo_templates_pass_metas_checks_with_an_example_per_parameter() {
        for (name, category, components) in demo_templates() {
            let s = check_submission(&json!({"name": name, "language": "en_US", "category": category, "components": components})).unwrap();
            let body = s.components.as_array().unwrap().iter().find(|c| c["type"] == "BODY").unwrap();
            let params = body["text"].as_str().unwrap().matches("{{").count();
            assert_eq!(body["example"]["body_text"][0].as_array().unwrap().len(), params, "{name}");
        }
    }
}
