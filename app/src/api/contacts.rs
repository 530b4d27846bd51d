//! Contacts (CRM): the list with search, filters and bulk actions; one contact with its
//! notes, timeline and conversations; edits. Every member reads; agents and above change
//! contacts; managers and above delete, restore and manage tags and fields.

use super::client::CsrfClient;
pub use domain::dto::ContactDetail;
use domain::dto::{ContactPage, ContactView, CustomFieldView, TagView};
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

pub use domain::contacts::ContactFilters;

/// A page of contacts (`per_page` 25, 50 or 100).
#[server(prefix = "/api", endpoint = "contacts/list", client = CsrfClient)]
pub async fn contacts_list(filters: ContactFilters, page: i64, per_page: i64) -> Result<ContactPage, AppError> {
    let (state, actor) = actor().await?;
    let per_page = if [25, 50, 100].contains(&per_page) { per_page } else { 25 };
    backend::contacts::filters::list(&state.db, &actor, &filters, page, per_page).await.map_err(fail)
}

/// The org's tags with their counts (filters, bulk actions, Settings).
#[server(prefix = "/api", endpoint = "contacts/tags", client = CsrfClient)]
pub async fn contact_tags() -> Result<Vec<TagView>, AppError> {
    let (state, actor) = actor().await?;
    backend::contacts::tags::list(&state.db, &actor).await.map_err(fail)
}

/// One contact's page.
#[server(prefix = "/api", endpoint = "contacts/get", client = CsrfClient)]
pub async fn get_contact(contact_id: String) -> Result<ContactDetail, AppError> {
    let (state, actor) = actor().await?;
    backend::contacts::views::contact_page(&state.db, &actor, &domain::ContactId::from_string(contact_id)).await.map_err(fail)
}

/// Adds a contact by hand (agents and up). `CONTACT_002` if the phone is taken.
#[server(prefix = "/api", endpoint = "contacts/create", client = CsrfClient)]
pub async fn create_contact(phone: String, name: String, email: String, company: String) -> Result<ContactView, AppError> {
    let (state, actor) = actor().await?;
    let body = serde_json::json!({"phone": phone, "name": name, "email": email, "company": company});
    backend::contacts::edit::create(&state.db, &actor, "app", &body, backend::clock::now_ms()).await.map_err(fail)
}

/// Changes a contact (agents and up). `changes` is a JSON object as `PATCH
/// /api/v1/contacts/{id}` takes it.
#[server(prefix = "/api", endpoint = "contacts/update", client = CsrfClient)]
pub async fn update_contact(contact_id: String, changes: String) -> Result<ContactView, AppError> {
    let (state, actor) = actor().await?;
    if changes.len() > 64 * 1024 {
        return Err(fail(AppError::validation("Too many changes at once.")));
    }
    let body: serde_json::Value = serde_json::from_str(&changes).map_err(|_| fail(AppError::validation("The changes are not valid JSON.")))?;
    backend::contacts::edit::update(&state.db, &actor, &domain::ContactId::from_string(contact_id), &body, backend::clock::now_ms()).await.map_err(fail)
}

/// Adds a note to a contact (agents and up).
#[server(prefix = "/api", endpoint = "contacts/note", client = CsrfClient)]
pub async fn add_contact_note(contact_id: String, text: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::contacts::notes::add(&state.db, &actor, &domain::ContactId::from_string(contact_id), &text, backend::clock::now_ms()).await.map_err(fail)?;
    Ok(())
}

/// A bulk action on chosen contacts: `action` is `add_tag`, `remove_tag` (agents and
/// up; `value` is the tag), `opt_in` (`value` is the status), `delete` or `restore`
/// (managers and up). `contact_ids` is comma-separated. Returns how many changed.
#[server(prefix = "/api", endpoint = "contacts/bulk", client = CsrfClient)]
pub async fn bulk_contacts(contact_ids: String, action: String, value: String) -> Result<u64, AppError> {
    use backend::contacts::edit::Bulk;
    let (state, actor) = actor().await?;
    let bulk = match action.as_str() {
        "add_tag" => Bulk::AddTag(value),
        "remove_tag" => Bulk::RemoveTag(value),
        "opt_in" => Bulk::OptIn(value),
        "delete" => Bulk::Delete,
        "restore" => Bulk::Restore,
        _ => return Err(fail(AppError::validation("Unknown bulk action."))),
    };
    let ids: Vec<domain::ContactId> =
        contact_ids.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| domain::ContactId::from_string(s.to_owned())).collect();
    backend::contacts::edit::bulk(&state.db, &actor, &ids, &bulk, backend::clock::now_ms()).await.map_err(fail)
}

/// An import of the org with its progress (the import page polls it).
#[server(prefix = "/api", endpoint = "contacts/import_get", client = CsrfClient)]
pub async fn get_import(import_id: String) -> Result<domain::dto::ImportView, AppError> {
    let (state, actor) = actor().await?;
    backend::contacts::import::get(&state.db, &actor, &import_id).await.map_err(fail)
}

/// Starts an uploaded import with the chosen mapping (one target per column, joined with
/// `|`) and duplicate policy (`skip`, `update`, `create`). Agents and up.
#[server(prefix = "/api", endpoint = "contacts/import_start", client = CsrfClient)]
pub async fn start_import(import_id: String, mapping: String, policy: String) -> Result<domain::dto::ImportView, AppError> {
    let (state, actor) = actor().await?;
    let mapping: Vec<String> = mapping.split('|').map(|s| s.trim().to_owned()).collect();
    backend::contacts::import::start(&state.db, &actor, &import_id, &mapping, &policy).await.map_err(fail)
}

/// The org's latest imports and its custom fields (for the mapping's choices).
#[server(prefix = "/api", endpoint = "contacts/imports", client = CsrfClient)]
pub async fn recent_imports() -> Result<(Vec<domain::dto::ImportView>, Vec<CustomFieldView>), AppError> {
    let (state, actor) = actor().await?;
    backend::contacts::views::imports_page(&state.db, &actor).await.map_err(fail)
}
