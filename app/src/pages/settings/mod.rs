//! Settings: the org profile and its members.

pub mod api_keys;
pub mod canned;
pub mod contacts;
pub mod members;
pub mod numbers;
pub mod profile;
pub mod rule_rows;
pub mod security;
pub mod system;

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

/// Settings tabs around the chosen settings page.
#[component]
pub fn SettingsLayout() -> impl IntoView {
    view! {
        <h1>"Settings"</h1>
        <nav class="tabs" aria-label="Settings sections">
            <A href="/settings/profile" attr:class="tab">"Organisation"</A>
            <A href="/settings/members" attr:class="tab">"Members"</A>
            <A href="/settings/numbers" attr:class="tab">"Numbers"</A>
            <A href="/settings/canned" attr:class="tab">"Canned responses"</A>
            <A href="/settings/contacts" attr:class="tab">"Contacts"</A>
            {move || crate::components::layout::SignedIn::get().role().is_some_and(|r| r.at_least(domain::Role::Admin)).then(|| view! {
                <A href="/settings/api-keys" attr:class="tab">"API keys"</A>
                <A href="/settings/system" attr:class="tab">"System"</A>
            })}
        </nav>
        <Outlet />
    }
}
