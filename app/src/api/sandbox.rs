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
    let number = backend::whatsapp::sandbox::ensure_number(&state.db, &state.cipher, &actor.org_id).await.map_err(fail)?;
    let messages = backend::whatsapp::sandbox::phone(&state.db, &number.id, customer.digits(), 200).await.map_err(fail)?;
    Ok(SandboxPhone { number, customer: customer.as_str().to_owned(), messages })
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
    let number = sandbox::ensure_number(&state.db, &state.cipher, &actor.org_id).await.map_err(fail)?;
    sandbox::customer_acts(&state.db, &number, &customer, name.as_str(), &action, &state.sandbox.public_url, &secret).await.map_err(fail)?;
    Ok(())
}
