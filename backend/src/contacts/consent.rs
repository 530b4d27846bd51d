//! Consent (CRM-6): every opt-in change is kept with who, when, how and the evidence, and
//! an inbound STOP (or the org's other keywords) opts the sender out.

use super::store::Who;
use crate::error::Result;
use domain::AppError;
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// The opt-in states a contact can be in.
pub const STATUSES: [&str; 3] = ["unknown", "opted_in", "opted_out"];

/// Sets a contact's opt-in status and records the change (no line when nothing changes).
/// `evidence` says how consent was given or withdrawn ("checked the box on the form",
/// the inbound message's text…).
pub async fn set_in(conn: &mut AnyConnection, who: &Who, contact: &str, status: &str, evidence: Option<&str>, now: i64) -> Result<bool> {
    if !STATUSES.contains(&status) {
        return Err(AppError::validation(format!("Opt-in status must be unknown, opted_in or opted_out (not \u{201c}{status}\u{201d}).")).into());
    }
    let row = sqlx::query("SELECT opt_in_status FROM contacts WHERE id = $1 AND org_id = $2").bind(contact).bind(who.org.as_str()).fetch_optional(&mut *conn).await?;
    let Some(row) = row else { return Err(AppError::not_found("Contact").into()) };
    let from: String = row.get("opt_in_status");
    if from == status {
        return Ok(false);
    }
    sqlx::query("UPDATE contacts SET opt_in_status = $1, updated_at = $2 WHERE id = $3").bind(status).bind(now).bind(contact).execute(&mut *conn).await?;
    let detail = json!({"from": from, "to": status, "via": who.via.as_str(), "evidence": evidence});
    super::activity::record_in(conn, &who.org, who.user.as_ref(), contact, "opt_in", &detail, now).await?;
    Ok(true)
}
