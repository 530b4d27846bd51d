//! Settings → Numbers: the org's WhatsApp numbers.

use super::client::CsrfClient;
use domain::dto::WaNumber;
use domain::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::*;

/// What Meta reported in a connection test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionReport {
    pub verified_name: Option<String>,
    pub display_phone_number: Option<String>,
    pub quality_rating: Option<String>,
}

/// The org's numbers, its sandbox number first (created on first use). Any member.
#[server(prefix = "/api", endpoint = "numbers/list", client = CsrfClient)]
pub async fn list_numbers() -> Result<Vec<WaNumber>, AppError> {
    let (state, actor) = actor().await?;
    backend::whatsapp::sandbox::numbers(&state.db, &state.cipher, &actor).await.map_err(fail)
}

/// Asks Meta about a number before it is saved. Admins only; `WA_001` with Meta's error.
#[server(prefix = "/api", endpoint = "numbers/test_connection", client = CsrfClient)]
pub async fn test_number_connection(
    display_name: String,
    phone_number_id: String,
    waba_id: String,
    access_token: String,
    system_prompt: String,
) -> Result<ConnectionReport, AppError> {
    use backend::whatsapp::numbers::{self, NewNumber};
    let (state, actor) = actor().await?;
    let new = NewNumber::parse(&display_name, &phone_number_id, &waba_id, &access_token, &system_prompt).map_err(fail)?;
    let v = numbers::probe(state.graph.as_ref(), &actor, &new).await.map_err(fail)?;
    Ok(ConnectionReport { verified_name: v.verified_name, display_phone_number: v.display_phone_number, quality_rating: v.quality_rating })
}

/// Tests the connection, then saves the number with its token encrypted. Admins only.
#[server(prefix = "/api", endpoint = "numbers/add", client = CsrfClient)]
pub async fn add_number(
    display_name: String,
    phone_number_id: String,
    waba_id: String,
    access_token: String,
    system_prompt: String,
) -> Result<WaNumber, AppError> {
    use backend::whatsapp::numbers::{self, NewNumber};
    let (state, actor) = actor().await?;
    let new = NewNumber::parse(&display_name, &phone_number_id, &waba_id, &access_token, &system_prompt).map_err(fail)?;
    numbers::connect(&state.db, &state.cipher, state.graph.as_ref(), &actor, &new).await.map_err(fail)
}

/// Removes a number and its conversations. Admins only.
#[server(prefix = "/api", endpoint = "numbers/delete", client = CsrfClient)]
pub async fn delete_number(number_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::whatsapp::numbers::delete(&state.db, &actor, &domain::NumberId::from_string(number_id)).await.map_err(fail)
}

/// Replaces a number's token after testing it with Meta; reactivates the number.
#[server(prefix = "/api", endpoint = "numbers/replace_token", client = CsrfClient)]
pub async fn replace_number_token(number_id: String, access_token: String) -> Result<WaNumber, AppError> {
    let (state, actor) = actor().await?;
    let id = domain::NumberId::from_string(number_id);
    backend::whatsapp::numbers::rotate_token(&state.db, &state.cipher, state.graph.as_ref(), &actor, &id, &access_token).await.map_err(fail)
}

/// Sets how a number's new conversations are assigned: `off`, `round_robin` or
/// `least_busy` (among agents who are online). Admins.
#[server(prefix = "/api", endpoint = "numbers/auto_assign", client = CsrfClient)]
pub async fn set_number_auto_assign(number_id: String, mode: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::inbox::set_auto_assign(&state.db, &actor, &domain::NumberId::from_string(number_id), &mode).await.map_err(fail)
}
