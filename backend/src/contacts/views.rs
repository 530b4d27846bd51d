//! What the app's contact pages read, each in one call, so a server function parses,
//! calls one service and maps the error: the contact page, Settings → Contacts and the
//! import page. Any member reads; what the member may change comes with the data.

use super::{activity, fields, import, notes, search, settings, sources, tags};
use crate::auth::Actor;
use crate::error::Result;
use crate::Db;
use domain::dto::{ContactDetail, CrmSettingsPage, CustomFieldView, ImportView};
use domain::{ContactId, Role};

/// The timeline lines a contact page shows (the newest).
pub const TIMELINE_LINES: i64 = 200;
/// The latest imports the import page lists.
pub const RECENT_IMPORTS: i64 = 10;

/// One contact of the actor's org with its notes, timeline, the org's custom fields and
/// the contact's conversations; `NOT_FOUND_001` for another org's contact.
pub async fn contact_page(db: &Db, actor: &Actor, id: &ContactId) -> Result<ContactDetail> {
    let contact = search::get(db, actor, id).await?;
    Ok(ContactDetail {
        notes: notes::list(db, actor, id).await?,
        timeline: activity::timeline(db, actor, id, TIMELINE_LINES).await?,
        fields: fields::list(db, actor).await?,
        conversations: crate::conversations::for_contact(db, actor, id).await?,
        can_edit: actor.role.at_least(Role::Agent),
        can_delete: actor.role.at_least(Role::Manager),
        contact,
    })
}

/// Settings → Contacts: the org's CRM settings, custom fields, tags and lead sources.
pub async fn crm_settings_page(db: &Db, actor: &Actor) -> Result<CrmSettingsPage> {
    Ok(CrmSettingsPage {
        settings: settings::load(db, &actor.org_id).await?,
        fields: fields::list(db, actor).await?,
        tags: tags::list(db, actor).await?,
        sources: sources::list(db, actor).await?,
        can_manage: actor.role.at_least(Role::Manager),
        can_admin: actor.role.at_least(Role::Admin),
    })
}

/// The import page: the org's latest imports and its custom fields (the mapping's
/// choices).
pub async fn imports_page(db: &Db, actor: &Actor) -> Result<(Vec<ImportView>, Vec<CustomFieldView>)> {
    Ok((import::list(db, actor, RECENT_IMPORTS).await?, fields::list(db, actor).await?))
}
