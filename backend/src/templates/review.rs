//! Meta's template webhooks (WHATSAPP.md §1.8): `message_template_status_update`,
//! `template_category_update` (the 24-hour notice and the change itself),
//! `message_template_quality_update` and `message_template_components_update`.
//!
//! They are applied in the webhook writer's transaction, after the raw change was kept
//! once (`wa_account_events` deduplicates replays). Status changes are order-safe: a
//! template keeps the webhook time of the status in force (`status_at`), and an older
//! event that arrives later only adds a history line. Every change is a history line; the
//! ones people act on are notifications too.

use super::model::{history_in, TemplateRow};
use crate::error::Result;
use domain::template::{Header, TemplateButton, TemplateContent};
use domain::OrgId;
use serde_json::{json, Value};
use sqlx::AnyConnection;

/// The template fields of a WABA webhook this module applies.
pub const FIELDS: [&str; 4] =
    ["message_template_status_update", "template_category_update", "message_template_quality_update", "message_template_components_update"];

/// Notifies the people who look after templates (owners, admins, managers) about `t`;
/// the notice links to the template's page.
pub(crate) async fn notify_in(conn: &mut AnyConnection, org: &OrgId, t: &TemplateRow, kind: &str, title: &str, body: &str) -> Result<()> {
    let link = format!("/templates/{}", t.id);
    crate::notifications::notify_roles_in(conn, org, &["owner", "admin", "manager"], None, kind, title, body, Some(&link)).await?;
    Ok(())
}

/// Tells open pages that a template changed (the list and the builder refresh).
pub(crate) async fn changed_in(conn: &mut AnyConnection, org: &OrgId, id: &str, now: i64) -> Result<()> {
    crate::events::publish_in(conn, org, "template", None, None, &json!({"template_id": id}), now).await
}

fn id_text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Every org's copy of the template a webhook names: by Meta's id, else by name and
/// language within the WABA.
async fn targets(conn: &mut AnyConnection, waba: &str, v: &Value) -> Result<Vec<(OrgId, TemplateRow)>> {
    #[derive(sqlx::FromRow)]
    struct Found {
        org_id: OrgId,
        id: String,
    }
    let mut found: Vec<Found> = Vec::new();
    if let Some(wa_id) = id_text(v, "message_template_id") {
        found = sqlx::query_as("SELECT org_id, id FROM templates WHERE waba_id = $1 AND wa_template_id = $2 ORDER BY org_id")
            .bind(waba)
            .bind(&wa_id)
            .fetch_all(&mut *conn)
            .await?;
    }
    if found.is_empty() {
        if let (Some(name), Some(lang)) = (text(v, "message_template_name"), text(v, "message_template_language")) {
            found = sqlx::query_as("SELECT org_id, id FROM templates WHERE waba_id = $1 AND name = $2 AND language = $3 AND status <> 'DRAFT' ORDER BY org_id")
                .bind(waba)
                .bind(name)
                .bind(lang)
                .fetch_all(&mut *conn)
                .await?;
        }
    }
    let mut out = Vec::with_capacity(found.len());
    for f in found {
        out.push((f.org_id.clone(), super::model::row_in(conn, &f.org_id, &f.id).await?));
    }
    Ok(out)
}

/// Applies one template change of a webhook from `waba`, sent at `entry_time` (Unix
/// seconds; `now` when absent). Returns how many templates it touched (0 for a template
/// MCE does not know: the next sync brings it).
pub async fn apply_in(conn: &mut AnyConnection, waba: &str, field: &str, entry_time: Option<i64>, value: &Value, now: i64) -> Result<usize> {
    let at = entry_time.map(|s| s * 1000).unwrap_or(now);
    let targets = targets(conn, waba, value).await?;
    for (org, t) in &targets {
        match field {
            "message_template_status_update" => status(conn, org, t, value, at, now).await?,
            "template_category_update" => category(conn, org, t, value, at, now).await?,
            "message_template_quality_update" => quality(conn, org, t, value, at, now).await?,
            "message_template_components_update" => components(conn, org, t, value, at, now).await?,
            _ => {}
        }
    }
    Ok(targets.len())
}

/// The status an event leaves a template in (`None`: the event changes no status).
pub fn status_of_event(event: &str) -> Option<&'static str> {
    Some(match event.to_ascii_uppercase().as_str() {
        "APPROVED" | "REINSTATED" | "UNARCHIVED" => "APPROVED",
        "PENDING" => "PENDING",
        "REJECTED" => "REJECTED",
        "PAUSED" => "PAUSED",
        "DISABLED" => "DISABLED",
        "IN_APPEAL" => "IN_APPEAL",
        "LIMIT_EXCEEDED" => "LIMIT_EXCEEDED",
        "LOCKED" => "LOCKED",
        "ARCHIVED" => "ARCHIVED",
        "DELETED" => "DELETED",
        "PENDING_DELETION" => "PENDING_DELETION",
        _ => return None,
    })
}

/// Why, for people: Meta's reason and what it adds (rejection info, pause info, the
/// date a template is disabled).
fn reason_of(v: &Value) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(r) = text(v, "reason").filter(|r| r != "NONE") {
        parts.push(r);
    }
    if let Some(info) = v.get("rejection_info") {
        for k in ["reason", "recommendation"] {
            if let Some(t) = text(info, k) {
                parts.push(t);
            }
        }
    }
    if let Some(info) = v.get("other_info") {
        for k in ["title", "description"] {
            if let Some(t) = text(info, k) {
                parts.push(t);
            }
        }
    }
    if let Some(d) = v.pointer("/disable_info/disable_date").and_then(Value::as_i64) {
        parts.push(format!("disabled on {}", domain::time::utc_date(d * 1000)));
    }
    (!parts.is_empty()).then(|| parts.join(" — "))
}

async fn status(conn: &mut AnyConnection, org: &OrgId, t: &TemplateRow, v: &Value, at: i64, now: i64) -> Result<()> {
    let event = text(v, "event").unwrap_or_default().to_ascii_uppercase();
    let reason = reason_of(v);
    let rejection = v.get("rejection_info").map(Value::to_string);
    let Some(new) = status_of_event(&event) else {
        // FLAGGED and other notices change no status: a history line (and, for a flag, a
        // heads-up) only.
        history_in(conn, org, &t.id, "status", json!({"status": event, "reason": reason}), None, at).await?;
        return Ok(());
    };
    if new == t.status && reason == t.reason {
        return Ok(()); // a replay with a new envelope time
    }
    // Order-safe: a status older than the one in force is history, not state.
    let applied = sqlx::query(
        "UPDATE templates SET status = $1, reason = $2, rejection_info = COALESCE($3, rejection_info), status_at = $4, updated_at = $5 \
         WHERE org_id = $6 AND id = $7 AND status_at <= $4",
    )
    .bind(new)
    .bind(reason.clone())
    .bind(rejection)
    .bind(at)
    .bind(now)
    .bind(org.as_str())
    .bind(&t.id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    history_in(conn, org, &t.id, "status", json!({"status": new, "event": event, "reason": reason, "late": !applied}), None, at).await?;
    if !applied {
        return Ok(());
    }
    if let Some(cat) = text(v, "message_template_category").filter(|c| *c != t.category) {
        set_category(conn, org, t, &cat, at, now).await?;
    }
    let verb = match new {
        "APPROVED" => Some("approved"),
        "REJECTED" => Some("rejected"),
        "PAUSED" => Some("paused"),
        "DISABLED" => Some("disabled"),
        _ => None,
    };
    if let Some(verb) = verb {
        let link = format!("/templates/{}", t.id);
        let body = reason.clone().unwrap_or_else(|| if verb == "approved" { "It can be sent now.".into() } else { String::new() });
        crate::notifications::notify_roles_in(
            conn,
            org,
            &["owner", "admin", "manager"],
            None,
            &format!("template_{verb}"),
            &format!("Template {} {verb}", t.name),
            &body,
            Some(&link),
        )
        .await?;
    }
    changed_in(conn, org, &t.id, now).await
}

/// Records a category Meta gave the template (audited), then checks the policy.
pub(crate) async fn set_category(conn: &mut AnyConnection, org: &OrgId, t: &TemplateRow, new: &str, at: i64, now: i64) -> Result<()> {
    let new = new.to_ascii_uppercase();
    if new == t.category {
        return Ok(());
    }
    sqlx::query("UPDATE templates SET category = $1, correct_category = NULL, category_change_at = NULL, updated_at = $2 WHERE org_id = $3 AND id = $4")
        .bind(&new)
        .bind(now)
        .bind(org.as_str())
        .bind(&t.id)
        .execute(&mut *conn)
        .await?;
    history_in(conn, org, &t.id, "category", json!({"from": t.category, "to": new}), None, at).await?;
    crate::audit::record(
        conn,
        Some(org),
        None,
        "template.category_changed",
        json!({"template_id": t.id, "name": t.name, "language": t.language, "from": t.category, "to": new}),
    )
    .await?;
    super::quarantine::check_in(conn, org, t, &new, false, now).await?;
    changed_in(conn, org, &t.id, now).await
}

async fn category(conn: &mut AnyConnection, org: &OrgId, t: &TemplateRow, v: &Value, at: i64, now: i64) -> Result<()> {
    let new = text(v, "new_category").map(|c| c.to_ascii_uppercase());
    if let Some(correct) = text(v, "correct_category").map(|c| c.to_ascii_uppercase()) {
        // The 24-hour notice: the change is not made yet, but the policy acts on it now.
        let when = v.get("category_update_timestamp").and_then(Value::as_i64).map(|s| s * 1000);
        if t.correct_category.as_deref() == Some(correct.as_str()) && t.category_change_at == when {
            return Ok(());
        }
        sqlx::query("UPDATE templates SET correct_category = $1, category_change_at = $2, updated_at = $3 WHERE org_id = $4 AND id = $5")
            .bind(&correct)
            .bind(when)
            .bind(now)
            .bind(org.as_str())
            .bind(&t.id)
            .execute(&mut *conn)
            .await?;
        history_in(conn, org, &t.id, "category", json!({"from": t.category, "correct_category": correct, "at": when}), None, at).await?;
        crate::audit::record(
            conn,
            Some(org),
            None,
            "template.category_announced",
            json!({"template_id": t.id, "name": t.name, "language": t.language, "from": t.category, "to": correct, "at": when}),
        )
        .await?;
        super::quarantine::check_in(conn, org, t, &correct, true, now).await?;
        return changed_in(conn, org, &t.id, now).await;
    }
    match new {
        Some(new) => set_category(conn, org, t, &new, at, now).await,
        None => Ok(()),
    }
}

async fn quality(conn: &mut AnyConnection, org: &OrgId, t: &TemplateRow, v: &Value, at: i64, now: i64) -> Result<()> {
    let Some(new) = text(v, "new_quality_score").map(|s| s.to_ascii_uppercase()) else { return Ok(()) };
    if new == t.quality {
        return Ok(());
    }
    sqlx::query("UPDATE templates SET quality = $1, updated_at = $2 WHERE org_id = $3 AND id = $4")
        .bind(&new)
        .bind(now)
        .bind(org.as_str())
        .bind(&t.id)
        .execute(&mut *conn)
        .await?;
    history_in(conn, org, &t.id, "quality", json!({"from": t.quality, "to": new}), None, at).await?;
    notify_in(
        conn,
        org,
        t,
        "template_quality",
        &format!("Template {} quality {}", t.name, new.to_lowercase()),
        &format!("Its quality rating changed from {} to {new}.", t.quality),
    )
    .await?;
    changed_in(conn, org, &t.id, now).await
}

/// Meta edited the template's texts (after an approved edit): the body, title, footer
/// and buttons take the new texts; examples stay.
async fn components(conn: &mut AnyConnection, org: &OrgId, t: &TemplateRow, v: &Value, at: i64, now: i64) -> Result<()> {
    let format = t.format();
    let mut content: TemplateContent = t.content().unwrap_or_default();
    if let Some(body) = text(v, "message_template_element") {
        content.body = body;
    }
    if let Some(title) = text(v, "message_template_title") {
        if let Header::Text { text, .. } = &mut content.header {
            *text = title;
        }
    }
    if let Some(footer) = v.get("message_template_footer").and_then(Value::as_str) {
        content.footer = footer.to_owned();
    }
    if let Some(buttons) = v.get("message_template_buttons").and_then(Value::as_array) {
        let mut next = Vec::new();
        for (i, b) in buttons.iter().enumerate() {
            let label = text(b, "message_template_button_text").unwrap_or_default();
            let old = content.buttons.get(i).cloned();
            next.push(match text(b, "message_template_button_type").unwrap_or_default().to_ascii_uppercase().as_str() {
                "URL" => TemplateButton::Url {
                    text: label,
                    url: text(b, "message_template_button_url").unwrap_or_default(),
                    example: match old {
                        Some(TemplateButton::Url { example, .. }) => example,
                        _ => String::new(),
                    },
                },
                "PHONE_NUMBER" => TemplateButton::Phone { text: label, phone_number: text(b, "message_template_button_phone_number").unwrap_or_default() },
                "COPY_CODE" => TemplateButton::CopyCode {
                    example: match old {
                        Some(TemplateButton::CopyCode { example }) => example,
                        _ => String::new(),
                    },
                },
                _ => TemplateButton::QuickReply { text: label },
            });
        }
        content.buttons = next;
    }
    let components = content.to_components(format);
    if components == t.components.0 {
        return Ok(());
    }
    sqlx::query("UPDATE templates SET components = $1, updated_at = $2 WHERE org_id = $3 AND id = $4")
        .bind(components.to_string())
        .bind(now)
        .bind(org.as_str())
        .bind(&t.id)
        .execute(&mut *conn)
        .await?;
    history_in(conn, org, &t.id, "components", json!({"body": content.body}), None, at).await?;
    changed_in(conn, org, &t.id, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reinstated_and_unarchived_templates_are_approved_again_and_flags_change_no_status() {
        assert_eq!(status_of_event("REINSTATED"), Some("APPROVED"));
        assert_eq!(status_of_event("unarchived"), Some("APPROVED"));
        assert_eq!(status_of_event("FLAGGED"), None);
        assert_eq!(status_of_event("PENDING_DELETION"), Some("PENDING_DELETION"));
    }

    #[test]
    fn a_rejection_reason_carries_metas_recommendation() {
        let v = json!({"reason": "INVALID_FORMAT", "rejection_info": {"reason": "Variables at the end", "recommendation": "Add text after {{2}}"}});
        assert_eq!(reason_of(&v).unwrap(), "INVALID_FORMAT — Variables at the end — Add text after {{2}}");
        assert_eq!(reason_of(&json!({"reason": "NONE"})), None);
        assert_eq!(reason_of(&json!({"reason": null})), None);
    }

    #[test]
    fn a_disable_date_is_shown_as_a_day() {
        assert!(reason_of(&json!({"disable_info": {"disable_date": 1_751_234_563}})).unwrap().ends_with("disabled on 2025-06-29"));
    }
}
