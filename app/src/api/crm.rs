//! Settings → Contacts: custom fields and tags (managers and up), lead sources, scoring
//! rules, opt-out keywords and allowed countries (admins and up). Every member reads.

// A server function takes its form's fields as arguments (`create_source` has eight), and
// the client stub `#[server]` generates for the hydrate build does not carry an allow on
// the function itself.
#![allow(clippy::too_many_arguments)]

use super::client::CsrfClient;
pub use domain::dto::CrmSettingsPage;
use domain::dto::{CrmSettings, CustomFieldView, LeadSource, TagView};
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// The page's data.
#[server(prefix = "/api", endpoint = "crm/settings", client = CsrfClient)]
pub async fn get_crm_settings() -> Result<CrmSettingsPage, AppError> {
    let (state, actor) = actor().await?;
    backend::contacts::views::crm_settings_page(&state.db, &actor).await.map_err(fail)
}

/// Saves scoring rules (a JSON list of `{trigger, value, points}`), opt-out keywords and
/// allowed calling codes (both comma-separated). Admins.
#[server(prefix = "/api", endpoint = "crm/save", client = CsrfClient)]
pub async fn save_crm_settings(rules: String, keywords: String, calling_codes: String) -> Result<CrmSettings, AppError> {
    let (state, actor) = actor().await?;
    let rules = domain::scoring::parse_rules(&rules)
        .map_err(|e| fail(AppError::validation(e.message).with_details(serde_json::json!({"field": "rules", "row": e.row}))))?;
    let keywords: Vec<String> = keywords.split([',', '\n']).map(str::to_owned).collect();
    let codes: Vec<u16> = calling_codes
        .split(',')
        .map(|c| c.trim().trim_start_matches('+'))
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<u16>().map_err(|_| {
                fail(
                    AppError::validation(format!("\u{201c}{c}\u{201d} is not a calling code (such as 55 or +44)."))
                        .with_details(serde_json::json!({"field": "calling_codes"})),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    backend::contacts::settings::save(&state.db, &actor, &rules, &keywords, &codes).await.map_err(fail)
}

/// Adds a custom field (`choices` comma-separated for a choice field). Managers.
#[server(prefix = "/api", endpoint = "crm/field_create", client = CsrfClient)]
pub async fn create_field(key: String, label: String, kind: String, choices: String) -> Result<CustomFieldView, AppError> {
    let (state, actor) = actor().await?;
    let choices: Vec<String> = choices.split(',').map(str::to_owned).collect();
    backend::contacts::fields::create(&state.db, &actor, &key, &label, &kind, &choices, backend::clock::now_ms()).await.map_err(fail)
}

/// Deletes a custom field. Managers.
#[server(prefix = "/api", endpoint = "crm/field_delete", client = CsrfClient)]
pub async fn delete_field(field_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::contacts::fields::delete(&state.db, &actor, &field_id).await.map_err(fail)
}

/// Adds (empty `tag_id`) or renames/recolours a tag. Managers.
#[server(prefix = "/api", endpoint = "crm/tag_save", client = CsrfClient)]
pub async fn save_tag(tag_id: String, name: String, colour: String) -> Result<TagView, AppError> {
    let (state, actor) = actor().await?;
    let id = Some(tag_id.as_str()).filter(|s| !s.is_empty());
    backend::contacts::tags::save(&state.db, &actor, id, &name, &colour, backend::clock::now_ms()).await.map_err(fail)
}

/// Deletes a tag (it leaves every contact). Managers.
#[server(prefix = "/api", endpoint = "crm/tag_delete", client = CsrfClient)]
pub async fn delete_tag(tag_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::contacts::tags::delete(&state.db, &actor, &tag_id).await.map_err(fail)
}

/// Adds a lead source. `mapping` is one `field = contact field` per line (empty: match
/// by name). Admins.
#[server(prefix = "/api", endpoint = "crm/source_create", client = CsrfClient)]
pub async fn create_source(
    kind: String,
    name: String,
    mapping: String,
    spreadsheet_id: String,
    range: String,
    csv_url: String,
    api_key: String,
    poll_minutes: i64,
    require_signature: bool,
) -> Result<LeadSource, AppError> {
    let (state, actor) = actor().await?;
    let mut map = serde_json::Map::new();
    for line in mapping.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (field, target) = line.split_once('=').ok_or_else(|| {
            fail(
                AppError::validation(format!("Write each mapping line as field = contact field (\u{201c}{line}\u{201d})."))
                    .with_details(serde_json::json!({"field": "mapping"})),
            )
        })?;
        map.insert(field.trim().to_owned(), serde_json::Value::from(target.trim()));
    }
    let some = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let input = backend::contacts::sources::SourceInput {
        kind,
        name,
        mapping: map,
        spreadsheet_id: some(spreadsheet_id),
        range: some(range),
        csv_url: some(csv_url),
        api_key: some(api_key),
        poll_minutes,
        require_signature,
    };
    backend::contacts::sources::create(&state.db, &state.cipher, &actor, &input, backend::clock::now_ms()).await.map_err(fail)
}

/// Deletes a lead source (its URL stops working). Admins.
#[server(prefix = "/api", endpoint = "crm/source_delete", client = CsrfClient)]
pub async fn delete_source(source_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::contacts::sources::delete(&state.db, &actor, &source_id).await.map_err(fail)
}

/// Polls a sheet source at the next round (within a second or two). Managers.
#[server(prefix = "/api", endpoint = "crm/source_poll", client = CsrfClient)]
pub async fn poll_source(source_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::contacts::sheets::poll_soon(&state.db, &actor, &source_id).await.map_err(fail)
}
