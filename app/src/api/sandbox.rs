//! The sandbox customer phone: any member can play the customer of the org's sandbox
//! number, to try flows, the inbox and campaigns without a Meta account.

use super::client::CsrfClient;
use domain::dto::SandboxPhone;
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// The sandbox number and its chat with `customer` (E.164). Any member.
#[server(prefix = "/api", endpoint = "sandbox/phone", client = CsrfClient)]
pub async fn get_sandbox_phone(customer: String) -> Result<SandboxPhone, AppError> {
    let (state, actor) = actor().await?;
    let customer = domain::PhoneE164::parse(&customer).map_err(fail)?;
    backend::whatsapp::sandbox::open_phone(&state.db, &state.cipher, &actor, &customer).await.map_err(fail)
}

/// The customer acts on the phone: `kind` is `text`, `image`, `button_reply`,
/// `list_reply` or `template_button`; `context` is the business message's wamid for taps.
#[server(prefix = "/api", endpoint = "sandbox/customer_send", client = CsrfClient)]
pub async fn sandbox_customer_send(customer: String, name: String, kind: String, text: String, context: String, reply_id: String) -> Result<(), AppError> {
    use backend::whatsapp::sandbox::{self, CustomerAction};
    let (state, actor) = actor().await?;
    let customer = domain::PhoneE164::parse(&customer).map_err(fail)?;
    let name = domain::PersonName::parse(if name.trim().is_empty() { "Sandbox Customer" } else { &name }).map_err(fail)?;
    let action = match kind.as_str() {
        "text" => CustomerAction::Text(text),
        "image" => CustomerAction::Image { caption: Some(text).filter(|t| !t.trim().is_empty()) },
        "button_reply" => CustomerAction::ButtonReply { context, id: reply_id, title: text },
        "list_reply" => CustomerAction::ListReply { context, id: reply_id, title: text },
        "template_button" => CustomerAction::TemplateButton { context, payload: reply_id, text },
        _ => return Err(fail(AppError::validation("Unknown customer action."))),
    };
    let Some(secret) = state.whatsapp.app_secret.clone() else {
        return Err(fail(AppError::new(domain::ErrorCode::Internal, "The sandbox needs WHATSAPP_APP_SECRET to sign its webhooks.")));
    };
    sandbox::act_as_customer(&state.db, &state.cipher, &actor, &customer, name.as_str(), &action, &state.sandbox.public_url, &secret).await.map_err(fail)?;
    Ok(())
}

/// How the org's sandbox simulator behaves (for tests and demos).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SimulatorBehaviour {
    /// A Meta code every send is answered with: 130429, 131047, 131026 or 190.
    pub fail_code: Option<i64>,
    pub duplicate_webhooks: bool,
    pub reorder_webhooks: bool,
    pub drop_delivered: bool,
    pub drop_all_statuses: bool,
}

/// The simulator's behaviour for the org's sandbox number. Any member.
#[server(prefix = "/api", endpoint = "sandbox/behaviour", client = CsrfClient)]
pub async fn get_simulator_behaviour() -> Result<SimulatorBehaviour, AppError> {
    let (state, actor) = actor().await?;
    let b = backend::whatsapp::sandbox::simulator(&state.db, &state.cipher, &actor).await.map_err(fail)?;
    Ok(SimulatorBehaviour {
        fail_code: b.fail_code,
        duplicate_webhooks: b.duplicate_webhooks,
        reorder_webhooks: b.reorder_webhooks,
        drop_delivered: b.drop_delivered,
        drop_all_statuses: b.drop_all_statuses,
    })
}

/// Makes the simulator fail every send with a Meta code (`fail_code` empty for none), and
/// duplicate, reorder or drop status webhooks (`delivered` only, or all). Managers and admins.
#[server(prefix = "/api", endpoint = "sandbox/set_behaviour", client = CsrfClient)]
pub async fn set_simulator_behaviour(
    fail_code: String,
    duplicate_webhooks: bool,
    reorder_webhooks: bool,
    drop_delivered: bool,
    drop_all_statuses: bool,
) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    let fail_code = match fail_code.trim() {
        "" => None,
        c => Some(c.parse::<i64>().map_err(|_| fail(AppError::validation("Choose one of the listed error codes.")))?),
    };
    let b = backend::whatsapp::sandbox::Behaviour { fail_code, duplicate_webhooks, reorder_webhooks, drop_delivered, drop_all_statuses };
    backend::whatsapp::sandbox::configure_simulator(&state.db, &state.cipher, &actor, &b).await.map_err(fail)
}
