//! The org's *campaign categories* policy (PRODUCT.md, "Template categories in
//! campaigns") and the quarantine it drives: a template whose category becomes — or is
//! announced to become — one the policy does not allow is quarantined at once, so no
//! campaign or flow sends it; only an admin lifts it, and only while its category is
//! allowed again. Every category change is audited.

use super::model::{history_in, row_in, TemplateRow};
use crate::auth::Actor;
use crate::error::{Result, ServiceError};
use crate::Db;
use domain::dto::{TemplateSettings, TemplateView};
use domain::template::Category;
use domain::{AppError, ErrorCode, OrgId, Role};
use serde_json::json;
use sqlx::AnyConnection;

/// The policy when an org never set one.
pub const DEFAULT_CATEGORIES: [Category; 2] = [Category::Marketing, Category::Utility];

/// Parses a policy: one or more of MARKETING, UTILITY, AUTHENTICATION.
pub fn parse_categories(list: &[String]) -> std::result::Result<Vec<String>, AppError> {
    let mut out: Vec<Category> = Vec::new();
    for c in list {
        let cat = Category::parse(c).ok_or_else(|| {
            AppError::validation(format!("{c:?} is not a template category: use MARKETING, UTILITY or AUTHENTICATION."))
                .with_details(json!({"field": "campaign_categories"}))
        })?;
        if !out.contains(&cat) {
            out.push(cat);
        }
    }
    if out.is_empty() {
        return Err(
            AppError::validation("Allow at least one category (UTILITY only, or MARKETING and UTILITY).").with_details(json!({"field": "campaign_categories"}))
        );
    }
    out.sort();
    Ok(out.into_iter().map(|c| c.as_str().to_owned()).collect())
}

/// The categories the org's campaigns and flows may send.
pub async fn allowed_in(conn: &mut AnyConnection, org: &OrgId) -> Result<Vec<String>> {
    let raw: Option<String> = sqlx::query_scalar("SELECT campaign_categories FROM orgs WHERE id = $1").bind(org.as_str()).fetch_optional(&mut *conn).await?;
    let list: Vec<String> = raw.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_default();
    Ok(if list.is_empty() { DEFAULT_CATEGORIES.iter().map(|c| c.as_str().to_owned()).collect() } else { list })
}

/// The org's policy. Admins.
pub async fn settings(db: &Db, actor: &Actor) -> Result<TemplateSettings> {
    actor.require(Role::Admin)?;
    let mut conn = db.reader().acquire().await?;
    Ok(TemplateSettings { campaign_categories: allowed_in(&mut conn, &actor.org_id).await? })
}

/// Sets the org's policy (audited). Templates of a category it no longer allows are
/// quarantined at once. Admins.
pub async fn set_settings(db: &Db, actor: &Actor, categories: &[String], now: i64) -> Result<TemplateSettings> {
    actor.require(Role::Admin)?;
    let list = parse_categories(categories)?;
    let mut tx = db.pool().begin().await?;
    let before = allowed_in(&mut tx, &actor.org_id).await?;
    sqlx::query("UPDATE orgs SET campaign_categories = $1 WHERE id = $2")
        .bind(serde_json::to_string(&list).expect("strings"))
        .bind(actor.org_id.as_str())
        .execute(&mut *tx)
        .await?;
    crate::audit::record_as(&mut tx, actor, "templates.campaign_categories", json!({"from": before, "to": list})).await?;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM templates WHERE org_id = $1 AND quarantined = 0 AND status <> 'DELETED' ORDER BY id")
        .bind(actor.org_id.as_str())
        .fetch_all(&mut *tx)
        .await?;
    for id in ids {
        let row = row_in(&mut tx, &actor.org_id, &id).await?;
        if !list.contains(&row.category) {
            let why = format!("the organisation's campaigns no longer allow {}", row.category);
            quarantine_in(&mut tx, &actor.org_id, &row, &why, now).await?;
        }
    }
    tx.commit().await?;
    Ok(TemplateSettings { campaign_categories: list })
}

/// Quarantines a template (if it is not already), with a history line, an audit entry
/// and a notification. Campaigns that send it pause when campaigns exist (issue 16 reads
/// `quarantined` at every batch). Returns whether it changed.
pub(crate) async fn quarantine_in(conn: &mut AnyConnection, org: &OrgId, t: &TemplateRow, why: &str, now: i64) -> Result<bool> {
    let changed = sqlx::query("UPDATE templates SET quarantined = 1, updated_at = $1 WHERE org_id = $2 AND id = $3 AND quarantined = 0")
        .bind(now)
        .bind(org.as_str())
        .bind(&t.id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1;
    if !changed {
        return Ok(false);
    }
    history_in(conn, org, &t.id, "quarantined", json!({"why": why}), None, now).await?;
    crate::audit::record(conn, Some(org), None, "template.quarantined", json!({"template_id": t.id, "name": t.name, "language": t.language, "why": why}))
        .await?;
    super::review::notify_in(
        conn,
        org,
        t,
        "template_quarantined",
        &format!("Template {} quarantined", t.name),
        &format!("No campaign or flow will send it: {why}. An admin can lift the quarantine once its category is allowed."),
    )
    .await?;
    super::review::changed_in(conn, org, &t.id, now).await?;
    Ok(true)
}

/// Quarantines `t` when `category` (its new or announced one) is not allowed by the
/// org's policy.
pub(crate) async fn check_in(conn: &mut AnyConnection, org: &OrgId, t: &TemplateRow, category: &str, announced: bool, now: i64) -> Result<bool> {
    if allowed_in(conn, org).await?.iter().any(|c| c == category) {
        return Ok(false);
    }
    let why = if announced {
        format!("Meta announced its category will change to {category}, which campaigns may not send")
    } else {
        format!("its category became {category}, which campaigns may not send")
    };
    quarantine_in(conn, org, t, &why, now).await
}

/// Whether a quarantine may be lifted now: the category is allowed and no change to a
/// disallowed one is announced.
pub(crate) fn liftable(t: &TemplateRow, allowed: &[String]) -> bool {
    allowed.contains(&t.category) && t.correct_category.as_ref().is_none_or(|c| allowed.contains(c))
}

/// Lifts a template's quarantine. Admins, and only while its category is allowed again
/// (`CONFLICT_001` otherwise).
pub async fn lift(db: &Db, actor: &Actor, id: &str, now: i64) -> Result<TemplateView> {
    actor.require(Role::Admin)?;
    let org = &actor.org_id;
    let mut tx = db.pool().begin().await?;
    let t = row_in(&mut tx, org, id).await?;
    if !t.quarantined.0 {
        return Ok(t.view());
    }
    let allowed = allowed_in(&mut tx, org).await?;
    if !liftable(&t, &allowed) {
        return Err(ServiceError::app(
            ErrorCode::Conflict,
            format!(
                "The quarantine can only be lifted while the template's category is allowed ({}); it is {}.",
                allowed.join(", "),
                t.correct_category.as_deref().unwrap_or(&t.category)
            ),
        ));
    }
    sqlx::query("UPDATE templates SET quarantined = 0, updated_at = $1 WHERE org_id = $2 AND id = $3")
        .bind(now)
        .bind(org.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    history_in(&mut tx, org, id, "released", json!({}), actor.user_id().map(|u| u.as_str()), now).await?;
    crate::audit::record_as(&mut tx, actor, "template.released", json!({"template_id": id, "name": t.name, "category": t.category})).await?;
    super::review::changed_in(&mut tx, org, id, now).await?;
    let t = row_in(&mut tx, org, id).await?;
    tx.commit().await?;
    Ok(t.view())
}
