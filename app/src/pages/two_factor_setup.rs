//! `/setup-2fa`: where a person who must use two-factor sign-in (a super admin, or an
//! admin of an org that requires it) is sent before anything else.

use crate::components::layout::SignOutButton;
use crate::pages::settings::security::TwoFactorPanel;
use leptos::prelude::*;
use leptos_meta::Title;

/// Two-factor set-up outside the app shell (which the person may not open yet).
#[component]
pub fn TwoFactorSetupPage() -> impl IntoView {
    view! {
        <Title text="Set up two-factor sign-in" />
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand brand-large"><span class="logo" aria-hidden="true">"M"</span><span>"MCE"</span></div>
                <h1>"Set up two-factor sign-in"</h1>
                <p>"Your account must use two-factor sign-in before you can go on."</p>
                <TwoFactorPanel />
                <p><a href="/">"Continue to MCE"</a></p>
                <SignOutButton />
            </div>
        </main>
    }
}
