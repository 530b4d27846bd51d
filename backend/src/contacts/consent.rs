//! Consent (CRM-6): every opt-in change is kept with who, when, how and the evidence, and
//! an inbound STOP (or the org's other keywords) opts the sender out.

use super::model::{Via, Who};
use crate::error::Result;
use domain::AppError;
use serde_json::json;
use sqlx::AnyConnection;

/// The opt-in states a contact can be in.
pub const STATUSES: [&str; 3] = ["unknown", "opted_in", "opted_out"];

/// Sets a contact's opt-in status and records the change (no line when nothing changes).
/// `evidence` says how consent was given or withdrawn ("checked the box on the form",
/// the inbound message's text…).
pub async fn set_in(conn: &mut AnyConnection, who: &Who, contact: &str, status: &str, evidence: Option<&str>, now: i64) -> Result<bool> {
    if !STATUSES.contains(&status) {
        return Err(AppError::validation(format!("Opt-in status must be unknown, opted_in or opted_out (not \u{201c}{status}\u{201d}).")).into());
    }
    let from: Option<String> = sqlx::query_scalar("SELECT opt_in_status FROM contacts WHERE id = $1 AND org_id = $2")
        .bind(contact)
        .bind(who.org.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(from) = from else { return Err(AppError::not_found("Contact").into()) };
    if from == status {
        return Ok(false);
    }
    sqlx::query("UPDATE contacts SET opt_in_status = $1, updated_at = $2 WHERE id = $3").bind(status).bind(now).bind(contact).execute(&mut *conn).await?;
    let detail = json!({"from": from, "to": status, "via": who.via.as_str(), "evidence": evidence});
    super::activity::record_in(conn, &who.org, who.user.as_ref(), contact, "opt_in", &detail, now).await?;
    Ok(true)
}

/// Words that opt a contact back in after an opt-out.
pub const OPT_IN_KEYWORDS: [&str; 2] = ["START", "SUBSCRIBE"];

/// The confirmation sent after an opt-out keyword.
pub const OPTED_OUT_REPLY: &str = "You are unsubscribed and will not get more messages from us. Reply START to subscribe again.";
/// The confirmation sent after an opt-in keyword.
pub const OPTED_IN_REPLY: &str = "You are subscribed again. Reply STOP at any time to unsubscribe.";

/// Whether the whole message is one of the keywords: case, spaces and trailing
/// punctuation do not matter, but "please don't stop" is not an opt-out.
pub fn is_keyword(text: &str, keywords: &[String]) -> bool {
    let t: String = text.trim().trim_end_matches(|c: char| c.is_ascii_punctuation()).trim().to_uppercase();
    !t.is_empty() && keywords.iter().any(|k| k.trim().to_uppercase() == t)
}

/// Acts on an inbound text that is an opt-out (the org's keywords) or opt-in keyword:
/// records the consent change with the message as evidence, in the caller's transaction.
/// Returns the confirmation to send the customer when the status changed (the inbound
/// pipeline, `conversations::inbound`, sends it).
pub async fn on_inbound_text_in(
    conn: &mut AnyConnection,
    org: &domain::OrgId,
    contact: &domain::ContactId,
    text: &str,
    now: i64,
) -> Result<Option<&'static str>> {
    let settings = super::settings::load_in(conn, org).await?;
    let opt_in: Vec<String> = OPT_IN_KEYWORDS.iter().map(|k| k.to_string()).collect();
    let (status, reply) = if is_keyword(text, &settings.opt_out_keywords) {
        ("opted_out", OPTED_OUT_REPLY)
    } else if is_keyword(text, &opt_in) {
        ("opted_in", OPTED_IN_REPLY)
    } else {
        return Ok(None);
    };
    let who = Who { org: org.clone(), user: None, via: Via::WhatsApp };
    let evidence = format!("WhatsApp message \u{201c}{}\u{201d}", text.trim());
    if !set_in(conn, &who, contact.as_str(), status, Some(&evidence), now).await? {
        return Ok(None);
    }
    Ok(Some(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_message_that_is_the_keyword_counts() {
        let k = vec!["STOP".to_string(), "Unsubscribe".to_string()];
        for yes in ["STOP", " stop ", "Stop!", "unsubscribe."] {
            assert!(is_keyword(yes, &k), "{yes}");
        }
        for no in ["please don't stop", "stopped", "", "!"] {
            assert!(!is_keyword(no, &k), "{no}");
        }
    }
}
