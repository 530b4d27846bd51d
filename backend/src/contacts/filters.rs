//! The one parser of contact-list filters ([`ContactFilters`]) into a [`ContactQuery`]:
//! the list page, `GET /api/v1/contacts` and the export all go through [`query`], so
//! they read the same filters the same way (and the export of the current view is the
//! view).

use super::search::{ContactQuery, Sort, MAX_PAGE, MAX_PER_PAGE};
use crate::error::Result;
use crate::Db;
use domain::contacts::ContactFilters;
use domain::dto::ContactPage;
use domain::{AppError, OrgId};

/// Midnight UTC starting a `YYYY-MM-DD` day in epoch ms (`end`: the next midnight, so a
/// "to" day includes the whole day). Empty is no bound; anything else is refused.
fn day_ms(field: &str, day: &str, end: bool) -> std::result::Result<Option<i64>, AppError> {
    let Some(d) = super::fields::date(field, day)? else { return Ok(None) };
    let start = domain::time::midnight_of(&d).ok_or_else(|| AppError::validation(format!("{field}: unknown day {d}.")))?;
    Ok(Some(start + if end { 86_400_000 } else { 0 }))
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned()).filter(|s| !s.trim().is_empty())
}

/// A page of the actor's org's contacts matching `f` (the list page, `GET
/// /api/v1/contacts`). Any member, and API keys.
pub async fn list(db: &Db, actor: &crate::auth::Actor, f: &ContactFilters, page: i64, per_page: i64) -> Result<ContactPage> {
    let query = query(db, &actor.org_id, f, page, per_page).await?;
    super::search::list(db, actor, &query).await
}

/// The search query for `f` in the org, page `page` (from 1) of `per_page` (1 to 100).
/// A phone is read with the org's country and calling codes; bad days, sorts, pages and
/// phones are `VALIDATION_001` / `CONTACT_003` saying which.
pub async fn query(db: &Db, org: &OrgId, f: &ContactFilters, page: i64, per_page: i64) -> Result<ContactQuery> {
    if !(1..=MAX_PER_PAGE).contains(&per_page) || !(1..=MAX_PAGE).contains(&page) {
        return Err(AppError::validation(format!("per_page must be 1 to {MAX_PER_PAGE} and page 1 to {MAX_PAGE}.")).into());
    }
    let phone = match some(&f.phone) {
        Some(p) => Some(super::edit::phone(&super::settings::load(db, org).await?, &p)?.as_str().to_owned()),
        None => None,
    };
    Ok(ContactQuery {
        q: some(&f.q),
        phone,
        tags: f.tag.split(',').map(str::trim).filter_map(some).collect(),
        opt_in_status: some(&f.opt_in_status),
        source: some(&f.source),
        lead_status: some(&f.lead_status),
        created_from: day_ms("Created from", &f.created_from, false)?,
        created_to: day_ms("Created to", &f.created_to, true)?,
        last_message_from: day_ms("Last message from", &f.last_message_from, false)?,
        last_message_to: day_ms("Last message to", &f.last_message_to, true)?,
        trash: f.trash,
        sort: Sort::parse(&f.sort)?,
        page,
        per_page,
    })
}
