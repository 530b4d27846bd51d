//! An org's CRM settings: how national phone numbers are read (default country), which
//! calling codes contacts may have, the lead scoring rules and the opt-out keywords.

use super::model::CrmSettings;
use crate::error::Result;
use domain::scoring::ScoreRule;
use domain::{AppError, OrgId};
use sqlx::AnyConnection;

/// The JSON columns stay text here: they are parsed leniently below.
#[derive(sqlx::FromRow)]
struct SettingsRow {
    default_country: String,
    allowed_calling_codes: String,
    score_rules: String,
    opt_out_keywords: String,
}

/// Loads the org's settings (inside the caller's transaction).
pub async fn load_in(conn: &mut AnyConnection, org: &OrgId) -> Result<CrmSettings> {
    let row = sqlx::query_as::<_, SettingsRow>("SELECT default_country, allowed_calling_codes, score_rules, opt_out_keywords FROM orgs WHERE id = $1")
        .bind(org.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::not_found("Org"))?;
    // Settings are written only through the checked setters below, so a parse failure
    // means a hand-edited row: fall back to the defaults rather than failing every lead.
    Ok(CrmSettings {
        default_country: row.default_country,
        allowed_calling_codes: serde_json::from_str(&row.allowed_calling_codes).unwrap_or_default(),
        score_rules: serde_json::from_str(&row.score_rules).unwrap_or_default(),
        opt_out_keywords: serde_json::from_str(&row.opt_out_keywords).unwrap_or_default(),
    })
}

/// Loads the org's settings.
pub async fn load(db: &crate::Db, org: &OrgId) -> Result<CrmSettings> {
    let mut conn = db.pool().acquire().await?;
    load_in(&mut conn, org).await
}

/// Saves the org's CRM settings (admins, checked by the caller): scoring rules (each
/// checked), opt-out keywords (1–30 characters each, at most 20) and allowed calling
/// codes (known codes only). Every contact's score is recomputed with the new rules.
pub async fn save(db: &crate::Db, actor: &crate::auth::Actor, rules: &[ScoreRule], keywords: &[String], calling_codes: &[u16]) -> Result<CrmSettings> {
    actor.require(domain::Role::Admin)?;
    let org = &actor.org_id;
    for (row, r) in rules.iter().enumerate() {
        r.validate().map_err(|e| AppError::validation(format!("Rule {}: {}", row + 1, e.0)).with_details(serde_json::json!({"field": "rules", "row": row})))?;
    }
    if rules.len() > domain::scoring::MAX_RULES {
        return Err(AppError::validation(format!("At most {} scoring rules.", domain::scoring::MAX_RULES)).into());
    }
    let keywords: Vec<String> = keywords.iter().map(|k| k.trim().to_uppercase()).filter(|k| !k.is_empty()).collect();
    if keywords.is_empty() || keywords.len() > 20 || keywords.iter().any(|k| k.chars().count() > 30) {
        return Err(AppError::validation("Give 1 to 20 opt-out keywords of at most 30 characters (STOP is the usual one).")
            .with_details(serde_json::json!({"field": "keywords"}))
            .into());
    }
    for c in calling_codes {
        if !domain::countries::COUNTRIES.iter().any(|(_, code, _)| code == c) {
            return Err(AppError::validation(format!("+{c} is not a country calling code."))
                .with_details(serde_json::json!({"field": "calling_codes"}))
                .into());
        }
    }
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE orgs SET score_rules = $1, opt_out_keywords = $2, allowed_calling_codes = $3 WHERE id = $4")
        .bind(serde_json::to_string(rules).expect("rules serialise"))
        .bind(serde_json::to_string(&keywords).expect("strings"))
        .bind(serde_json::to_string(calling_codes).expect("numbers"))
        .bind(org.as_str())
        .execute(&mut *tx)
        .await?;
    crate::audit::record(
        &mut tx,
        Some(org),
        None,
        "contacts.settings_changed",
        serde_json::json!({"rules": rules.len(), "keywords": keywords, "calling_codes": calling_codes}),
    )
    .await?;
    let settings = load_in(&mut tx, org).await?;
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM contacts WHERE org_id = $1 AND deleted_at IS NULL").bind(org.as_str()).fetch_all(&mut *tx).await?;
    super::scoring::recompute_in(&mut tx, org, &settings, &ids).await?;
    tx.commit().await?;
    Ok(settings)
}
