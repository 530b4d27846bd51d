//! A template as stored, as shown ([`TemplateView`]) and its history.

use crate::auth::Actor;
use crate::clock::new_id;
use crate::db::rows::{Flag, Json};
use crate::error::{Result, ServiceError};
use crate::Db;
use domain::dto::{TemplateHistoryLine, TemplatePage, TemplateView};
use domain::template::{ParameterFormat, TemplateContent};
use domain::{AppError, ErrorCode, NumberId, OrgId};
use serde_json::Value;
use sqlx::AnyConnection;

/// The columns every read of a template names (with its use and read counts).
pub(crate) const COLUMNS: &str = "t.id, t.number_id, t.waba_id, t.wa_template_id, t.name, t.language, t.category, t.status, t.quality, t.quarantined, \
     t.reason, t.parameter_format, t.components, t.correct_category, t.category_change_at, t.created_at, t.updated_at, \
     (SELECT COUNT(*) FROM messages m WHERE m.template_id = t.id) AS use_count, \
     (SELECT COUNT(*) FROM messages m WHERE m.template_id = t.id AND m.status = 'read') AS read_count";

/// A template row as [`COLUMNS`] reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: String,
    pub number_id: NumberId,
    pub waba_id: String,
    pub wa_template_id: Option<String>,
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub quality: String,
    pub quarantined: Flag,
    pub reason: Option<String>,
    pub parameter_format: String,
    pub components: Json<Value>,
    pub correct_category: Option<String>,
    pub category_change_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub use_count: i64,
    pub read_count: i64,
}

impl TemplateRow {
    /// How its variables are written.
    pub fn format(&self) -> ParameterFormat {
        ParameterFormat::parse(&self.parameter_format).unwrap_or_default()
    }

    /// Its content, read from Meta's components.
    pub fn content(&self) -> Result<TemplateContent> {
        TemplateContent::from_components(&self.components.0, self.format()).map_err(|e| invalid(&e).into())
    }

    /// Whether it may be sent: approved by Meta and not quarantined.
    pub fn sendable(&self) -> bool {
        self.status == "APPROVED" && !self.quarantined.0
    }

    /// As the list, the API and the builder show it.
    pub fn view(self) -> TemplateView {
        TemplateView {
            read_rate: (self.use_count > 0).then(|| self.read_count as f64 / self.use_count as f64),
            id: self.id,
            number_id: self.number_id,
            waba_id: self.waba_id,
            wa_template_id: self.wa_template_id,
            name: self.name,
            language: self.language,
            category: self.category,
            status: self.status,
            quality: self.quality,
            quarantined: self.quarantined.0,
            reason: self.reason,
            parameter_format: self.parameter_format,
            components: self.components.0,
            correct_category: self.correct_category,
            category_change_at: self.category_change_at,
            usage: self.use_count,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// `TEMPLATE_001`.
pub fn not_found() -> ServiceError {
    ServiceError::app(ErrorCode::TemplateNotFound, "No template with that id in this organisation.")
}

/// `TEMPLATE_002` for a broken rule, with the field it is about.
pub fn invalid(e: &domain::template::RuleError) -> AppError {
    let mut details = serde_json::json!({ "field": e.field });
    if let Some(i) = e.index {
        details["index"] = i.into();
    }
    AppError::new(ErrorCode::TemplateInvalid, e.message.clone()).with_details(details)
}

/// The org's template `id`, in the caller's transaction.
pub(crate) async fn row_in(conn: &mut AnyConnection, org: &OrgId, id: &str) -> Result<TemplateRow> {
    sqlx::query_as::<_, TemplateRow>(&format!("SELECT {COLUMNS} FROM templates t WHERE t.org_id = $1 AND t.id = $2"))
        .bind(org.as_str())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(not_found)
}

/// One template of the actor's org. Any member.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<TemplateView> {
    let mut conn = db.reader().acquire().await?;
    Ok(row_in(&mut conn, &actor.org_id, id).await?.view())
}

/// Filters and paging of the template list (`GET /api/v1/templates`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ListQuery {
    /// Templates of this number's business account.
    pub number_id: Option<String>,
    /// Meta's status (`APPROVED`, …), `DRAFT`, `DELETED`, or `QUARANTINED`. Without it,
    /// templates deleted at Meta are left out.
    pub status: Option<String>,
    pub category: Option<String>,
    pub language: Option<String>,
    /// Part of the name.
    pub q: Option<String>,
    /// `name` (default), `-updated` (newest change first) or `top` (highest read rate,
    /// at least [`TOP_MIN_SENDS`] sends).
    pub sort: Option<String>,
    /// Only templates that can be sent now (the inbox's picker).
    #[serde(default)]
    pub sendable: Option<bool>,
    /// 1-based.
    pub page: Option<i64>,
    /// 1 to 100 (default 25).
    pub per_page: Option<i64>,
}

/// Sends a template needs before the "top performing" sort ranks it.
pub const TOP_MIN_SENDS: i64 = 50;

/// The actor's org's templates, filtered and paged. Any member.
pub async fn list(db: &Db, actor: &Actor, q: &ListQuery) -> Result<TemplatePage> {
    let mut conds = vec!["t.org_id = $1".to_owned()];
    let mut binds: Vec<String> = vec![actor.org_id.as_str().to_owned()];
    let bind = |v: String, binds: &mut Vec<String>| {
        binds.push(v);
        format!("${}", binds.len())
    };
    if let Some(n) = q.number_id.as_deref().filter(|s| !s.is_empty()) {
        let p = bind(n.to_owned(), &mut binds);
        conds.push(format!("t.waba_id = (SELECT w.waba_id FROM wa_numbers w WHERE w.org_id = $1 AND w.id = {p})"));
    }
    match q.status.as_deref().map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()) {
        Some(s) if s == "QUARANTINED" => conds.push("t.quarantined = 1".into()),
        Some(s) => {
            let p = bind(s, &mut binds);
            conds.push(format!("t.status = {p}"));
        }
        None => conds.push("t.status <> 'DELETED'".into()),
    }
    if let Some(c) = q.category.as_deref().map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()) {
        let p = bind(c, &mut binds);
        conds.push(format!("t.category = {p}"));
    }
    if let Some(l) = q.language.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let p = bind(l.to_owned(), &mut binds);
        conds.push(format!("t.language = {p}"));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let escaped: String = text.to_lowercase().chars().take(100).flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
        let p = bind(format!("%{escaped}%"), &mut binds);
        conds.push(format!("LOWER(t.name) LIKE {p} ESCAPE '\\'"));
    }
    if q.sendable == Some(true) {
        conds.push("t.status = 'APPROVED' AND t.quarantined = 0".into());
    }
    let top = q.sort.as_deref() == Some("top");
    if top {
        conds.push(format!("(SELECT COUNT(*) FROM messages m WHERE m.template_id = t.id) >= {TOP_MIN_SENDS}"));
    }
    let filter = conds.join(" AND ");
    let order = match q.sort.as_deref() {
        Some("top") => "(SELECT COUNT(*) FROM messages m WHERE m.template_id = t.id AND m.status = 'read') * 1.0 / (SELECT COUNT(*) FROM messages m WHERE m.template_id = t.id) DESC, t.name, t.id",
        Some("-updated") => "t.updated_at DESC, t.id",
        _ => "t.name, t.language, t.id",
    };
    let per_page = q.per_page.unwrap_or(25).clamp(1, 100);
    let page = q.page.unwrap_or(1).max(1);
    let mut conn = db.reader().acquire().await?;
    let count_sql = format!("SELECT COUNT(*) FROM templates t WHERE {filter}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql).persistent(false);
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total = count.fetch_one(&mut *conn).await?;
    let sql = format!("SELECT {COLUMNS} FROM templates t WHERE {filter} ORDER BY {order} LIMIT {per_page} OFFSET {}", (page - 1) * per_page);
    let mut rows = sqlx::query_as::<_, TemplateRow>(&sql).persistent(false);
    for b in &binds {
        rows = rows.bind(b.clone());
    }
    let data = rows.fetch_all(&mut *conn).await?.into_iter().map(TemplateRow::view).collect();
    Ok(TemplatePage { data, total })
}

/// Appends a line to a template's history, in the change's transaction.
pub(crate) async fn history_in(conn: &mut AnyConnection, org: &OrgId, template: &str, kind: &str, detail: Value, by: Option<&str>, at: i64) -> Result<()> {
    sqlx::query("INSERT INTO template_history (id, org_id, template_id, kind, detail, actor_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(new_id())
        .bind(org.as_str())
        .bind(template)
        .bind(kind)
        .bind(detail.to_string())
        .bind(by.map(str::to_owned))
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    kind: String,
    detail: Json<Value>,
    by_name: Option<String>,
    at: i64,
}

/// A template's history, newest first (the latest 200 lines). Any member.
pub async fn history(db: &Db, actor: &Actor, id: &str) -> Result<Vec<TemplateHistoryLine>> {
    let mut conn = db.reader().acquire().await?;
    row_in(&mut conn, &actor.org_id, id).await?;
    let rows = sqlx::query_as::<_, HistoryRow>(
        "SELECT h.kind, h.detail, u.name AS by_name, h.at FROM template_history h LEFT JOIN users u ON u.id = h.actor_user_id \
         WHERE h.org_id = $1 AND h.template_id = $2 ORDER BY h.at DESC, h.id DESC LIMIT 200",
    )
    .bind(actor.org_id.as_str())
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|r| TemplateHistoryLine { summary: summary(&r.kind, &r.detail.0), kind: r.kind, by: r.by_name, at: r.at }).collect())
}

fn title_case(s: &str) -> String {
    let lower = s.replace('_', " ").to_lowercase();
    let mut c = lower.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// A history line for people.
fn summary(kind: &str, d: &Value) -> String {
    let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    match kind {
        "created" => "Draft created".into(),
        "submitted" => format!("Submitted to Meta as {}", s("category")),
        "edited" => "Edited and sent back to review".into(),
        "status" => {
            let mut line = title_case(&s("status"));
            let reason = s("reason");
            if !reason.is_empty() && reason != "NONE" {
                line.push_str(&format!(": {}", title_case(&reason)));
            }
            line
        }
        "category" if !s("correct_category").is_empty() => format!("Meta will change the category to {}", s("correct_category")),
        "category" => format!("Category {} → {}", s("from"), s("to")),
        "quality" => format!("Quality {} → {}", s("from"), s("to")),
        "components" => "Content changed at Meta".into(),
        "quarantined" => format!("Quarantined: {}", s("why")),
        "released" => "Quarantine lifted".into(),
        "deleted" => "Deleted at Meta".into(),
        "synced" => "Found at Meta by a sync".into(),
        other => title_case(other),
    }
}
