//! What every part of contacts shares: the writer ([`Who`], with the way in, [`Via`]),
//! the batch size ([`BATCH`]), the org's settings type ([`CrmSettings`]) and the check
//! that a contact belongs to the org ([`require_contact`]).
//!
//! It exists so that contacts' files stand in layers. These names used to live in
//! `store`, `search` and `settings`, which also import the timeline, consent, notes,
//! tags and scoring that needed them back, so the files imported each other in a circle.
//! This file imports nothing else of contacts: anything in contacts may use it, and it
//! uses none of them.

use crate::error::Result;
use crate::Db;
use domain::{AppError, ContactId, ErrorCode, OrgId, UserId};
use sqlx::AnyConnection;

pub use domain::dto::CrmSettings;

/// How a change reached us, recorded on the timeline and in the created event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A member in the app.
    App,
    /// An API key through the REST API.
    Api,
    /// A CSV import.
    Import,
    /// A lead source's form webhook.
    Webhook,
    /// A Google Sheet lead source.
    Sheet,
    /// A WhatsApp message (a new sender, an opt-out keyword).
    WhatsApp,
}

impl Via {
    /// The name stored on the timeline, in events and in `contacts.created_via`.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::App => "app",
            Via::Api => "api",
            Via::Import => "import",
            Via::Webhook => "webhook",
            Via::Sheet => "sheet",
            Via::WhatsApp => "whatsapp",
        }
    }
}

/// Who is writing: the org, the member if a member acts, and the way in.
#[derive(Debug, Clone)]
pub struct Who {
    /// The org whose contacts are written.
    pub org: OrgId,
    /// The member acting, if one is (recorded as the timeline line's actor).
    pub user: Option<UserId>,
    /// The way the change came in.
    pub via: Via,
}

impl Who {
    /// The writer an actor is: a member in the app, an API key through the API, or an
    /// automation by the way it brings leads in.
    pub fn of(actor: &crate::auth::Actor) -> Who {
        use crate::auth::Principal;
        let via = match &actor.principal {
            Principal::Member(_) => Via::App,
            Principal::ApiKey(_) => Via::Api,
            Principal::System("import") => Via::Import,
            Principal::System("webhook") => Via::Webhook,
            Principal::System("sheet") => Via::Sheet,
            Principal::System(_) => Via::WhatsApp,
        };
        Who { org: actor.org_id.clone(), user: actor.user_id().cloned(), via }
    }
}

/// Leads per transaction (each statement inside is cut to [`crate::db::MAX_BIND_PARAMS`]),
/// and contacts per statement where a list of contacts is read or rescored in pieces.
pub const BATCH: usize = 500;

/// `CONTACT_001`: the contact is not one of the org's.
pub(super) fn contact_not_found() -> AppError {
    AppError::new(ErrorCode::ContactNotFound, "No such contact in this organisation.")
}

/// Fails with `CONTACT_001` unless the contact belongs to the org.
pub async fn require_contact(db: &Db, org: &OrgId, id: &ContactId) -> Result<()> {
    let mut conn = db.pool().acquire().await?;
    require_contact_in(&mut conn, org, id).await
}

/// [`require_contact`] inside a transaction.
pub async fn require_contact_in(conn: &mut AnyConnection, org: &OrgId, id: &ContactId) -> Result<()> {
    sqlx::query("SELECT id FROM contacts WHERE org_id = $1 AND id = $2")
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(contact_not_found)?;
    Ok(())
}
