//! Form helpers: showing an error with its stable code.

use crate::components::overlay::ConfirmDialog;
use domain::AppError;
use leptos::prelude::*;

/// The error of the latest submission, if it failed, as an alert with its code.
#[component]
pub fn ErrorNotice<T>(#[prop(into)] result: Signal<Option<Result<T, AppError>>>) -> impl IntoView
where
    T: Send + Sync + Clone + 'static,
{
    move || {
        result.get().and_then(|r| r.err()).map(|e| {
            view! {
                <p class="notice notice-error" role="alert" data-code=e.code.as_str()>
                    {e.message.clone()}
                    " "
                    <span class="code">"(" {e.code.as_str()} ")"</span>
                </p>
            }
        })
    }
}

/// A short confirmation after a successful submission.
#[component]
pub fn SavedNotice<T>(#[prop(into)] result: Signal<Option<Result<T, AppError>>>, #[prop(into)] text: String) -> impl IntoView
where
    T: Send + Sync + Clone + 'static,
{
    move || matches!(result.get(), Some(Ok(_))).then(|| view! { <p class="notice notice-ok" role="status">{text.clone()}</p> })
}

/// A "Remove" button that asks first, in a confirm dialog (browser dialogs are easy to
/// click through and invisible to some assistive tech). `what` names the thing removed;
/// `id` must be unique on the page.
#[component]
pub fn ConfirmRemove(
    #[prop(into)] id: String,
    #[prop(into)] what: String,
    #[prop(into)] on_confirm: Callback<()>,
    hydrated: ReadSignal<bool>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <button type="button" class="button button-quiet" disabled=move || !hydrated.get() on:click=move |_| open.set(true)>"Remove"</button>
        <ConfirmDialog open id title=format!("Remove {what}?") text="This cannot be undone." confirm_label="Confirm removal" on_confirm />
    }
}
