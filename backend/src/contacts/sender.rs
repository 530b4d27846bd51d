//! The contact a WhatsApp sender becomes: one per phone number per org (or per
//! business-scoped user id for username-only senders). Runs inside the webhook's
//! transaction, so it is written by hand rather than through the lead pipeline.

use crate::clock::{new_id, now_ms};
use crate::error::Result;
use domain::{ContactId, OrgId, PhoneE164};
use sqlx::AnyConnection;

/// Who wrote to a business number, as the webhook describes them.
#[derive(Debug, Clone, Default)]
pub struct WhatsAppSender {
    pub phone: Option<PhoneE164>,
    pub wa_id: Option<String>,
    /// Business-scoped user id (`US.123…`), for users who hide their number.
    pub wa_user_id: Option<String>,
    pub profile_name: Option<String>,
    pub username: Option<String>,
}

/// Finds or creates the contact for a sender and refreshes their WhatsApp profile.
/// `None` when the sender has neither a phone number nor a user id. A new contact gets
/// its "created" line and event like every other way in.
pub(crate) async fn upsert_whatsapp_sender(conn: &mut AnyConnection, org: &OrgId, s: &WhatsAppSender, source: &str) -> Result<Option<ContactId>> {
    let now = now_ms();
    let via = if source == "whatsapp" { "whatsapp" } else { "api" };
    let found = upsert(conn, org, s, source, via, now).await?;
    if let Some((id, created_at)) = &found {
        // The insert above keeps an existing row's created_at: equal to now means new.
        if *created_at == now {
            let event = serde_json::json!({"action": "created", "contact_id": id.as_str(), "phone": s.phone.as_ref().map(|p| p.as_str()), "source": source, "via": via});
            crate::events::publish_in(conn, org, "contact", None, None, &event, now).await?;
        }
    }
    Ok(found.map(|(id, _)| id))
}

/// `via` is written only when the contact is created (an existing contact keeps how it
/// came in), so that a new sender costs no second statement.
async fn upsert(conn: &mut AnyConnection, org: &OrgId, s: &WhatsAppSender, source: &str, via: &str, now: i64) -> Result<Option<(ContactId, i64)>> {
    let phone = s.phone.as_ref().map(|p| p.as_str().to_owned());
    if let Some(user_id) = &s.wa_user_id {
        let existing: Option<String> = sqlx::query_scalar("SELECT id FROM contacts WHERE org_id = $1 AND wa_user_id = $2")
            .bind(org.as_str())
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(id) = existing {
            sqlx::query(
                "UPDATE contacts SET profile_name = COALESCE($1, profile_name), username = COALESCE($2, username), wa_id = COALESCE($3, wa_id), updated_at = $4 WHERE id = $5",
            )
            .bind(s.profile_name.clone())
            .bind(s.username.clone())
            .bind(s.wa_id.clone())
            .bind(now)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
            if let Some(p) = &phone {
                // The number became visible: record it unless another contact already has it.
                let taken: Option<String> = sqlx::query_scalar("SELECT id FROM contacts WHERE org_id = $1 AND phone = $2")
                    .bind(org.as_str())
                    .bind(p)
                    .fetch_optional(&mut *conn)
                    .await?;
                if taken.is_none() {
                    sqlx::query("UPDATE contacts SET phone = $1 WHERE id = $2 AND phone IS NULL").bind(p).bind(&id).execute(&mut *conn).await?;
                }
            }
            return Ok(Some((ContactId::from_string(id), 0)));
        }
    }
    let Some(phone) = phone else {
        let Some(user_id) = &s.wa_user_id else { return Ok(None) };
        let id = new_id();
        sqlx::query(
            "INSERT INTO contacts (id, org_id, wa_user_id, profile_name, username, source, created_via, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $7, $8, $6, $6) \
             ON CONFLICT (org_id, wa_user_id) DO NOTHING",
        )
        .bind(&id)
        .bind(org.as_str())
        .bind(user_id)
        .bind(s.profile_name.clone())
        .bind(s.username.clone())
        .bind(now)
        .bind(source)
        .bind(via)
        .execute(&mut *conn)
        .await?;
        let found: (ContactId, i64) = sqlx::query_as("SELECT id, created_at FROM contacts WHERE org_id = $1 AND wa_user_id = $2")
            .bind(org.as_str())
            .bind(user_id)
            .fetch_one(&mut *conn)
            .await?;
        return Ok(Some(found));
    };
    let found: (ContactId, i64) = sqlx::query_as(
        "INSERT INTO contacts (id, org_id, phone, wa_id, wa_user_id, profile_name, username, source, created_via, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $10, $8, $8) \
         ON CONFLICT (org_id, phone) DO UPDATE SET profile_name = COALESCE(excluded.profile_name, contacts.profile_name), \
         wa_id = COALESCE(excluded.wa_id, contacts.wa_id), username = COALESCE(excluded.username, contacts.username), \
         wa_user_id = COALESCE(contacts.wa_user_id, excluded.wa_user_id), updated_at = excluded.updated_at RETURNING id, created_at",
    )
    .bind(new_id())
    .bind(org.as_str())
    .bind(&phone)
    .bind(s.wa_id.clone())
    .bind(s.wa_user_id.clone())
    .bind(s.profile_name.clone())
    .bind(s.username.clone())
    .bind(now)
    .bind(source)
    .bind(via)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(found))
}
