//! Buttons: primary, secondary, danger and quiet, icon-only, and a busy state.
//!
//! Every kit button stays disabled until the page has hydrated (a click on server-rendered
//! HTML would post a form natively, without the CSRF header) and while `busy` is true,
//! when it also shows a spinner and says so to assistive tech (`aria-busy`).

use crate::components::hydration::use_hydrated;
use crate::components::icons::{Icon, IconName};
use leptos::prelude::*;

/// How much a button stands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Variant {
    /// The one main action of a form or page.
    Primary,
    /// Everything else.
    #[default]
    Secondary,
    /// Deletes or removes something.
    Danger,
    /// A low-key action next to others (Cancel, Edit).
    Quiet,
}

impl Variant {
    /// The CSS classes of the variant.
    pub fn class(self) -> &'static str {
        match self {
            Variant::Primary => "button button-primary",
            Variant::Secondary => "button",
            Variant::Danger => "button button-danger",
            Variant::Quiet => "button button-quiet",
        }
    }
}

/// A text button. `submit` makes it the form's submit button; otherwise `on_click` runs.
#[component]
pub fn Button(
    children: Children,
    #[prop(optional)] variant: Variant,
    #[prop(optional)] submit: bool,
    #[prop(optional, into)] busy: Signal<bool>,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional, into)] on_click: Option<Callback<()>>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    view! {
        <button
            type=if submit { "submit" } else { "button" }
            class=variant.class()
            class:busy=move || busy.get()
            aria-busy=move || busy.get().then_some("true")
            disabled=move || !hydrated.get() || busy.get() || disabled.get()
            on:click=move |_| {
                if let Some(f) = on_click {
                    f.run(())
                }
            }
        >
            <Show when=move || busy.get()>
                <span class="spinner" aria-hidden="true"></span>
            </Show>
            {children()}
        </button>
    }
}

/// A button that shows only an icon; `label` is its accessible name and tooltip.
#[component]
pub fn IconButton(
    icon: IconName,
    #[prop(into)] label: Signal<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional, into)] pressed: Option<Signal<bool>>,
    #[prop(into)] on_click: Callback<()>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    view! {
        <button
            type="button"
            class="icon-button"
            title=move || label.get()
            aria-label=move || label.get()
            aria-pressed=move || pressed.map(|p| p.get().to_string())
            disabled=move || !hydrated.get() || disabled.get()
            on:click=move |_| on_click.run(())
        >
            <Icon name=icon />
        </button>
    }
}
