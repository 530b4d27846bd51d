//! The sign-up page: a new org and its owner. Hidden when sign-up is switched off.

use crate::api::auth::{signup_enabled, Signup};
use crate::components::forms::ErrorNotice;
use crate::components::hydration::{reload_to, use_hydrated};
use leptos::prelude::*;
use leptos_meta::Title;

/// After a sign-up with SMTP on: the account waits for its address to be confirmed.
#[component]
fn CheckInbox() -> impl IntoView {
    view! {
        <p class="notice notice-ok" role="status">
            "Almost done: we sent a link to your e-mail address. Open it to confirm the address, then sign in."
        </p>
    }
}

/// Creates an org and signs its owner in (or, with SMTP on, mails a link to confirm
/// the address first).
#[component]
pub fn SignupPage() -> impl IntoView {
    let signup = ServerAction::<Signup>::new();
    let hydrated = use_hydrated();
    let open = Resource::new(|| (), |_| signup_enabled());
    Effect::new(move |_| {
        if let Some(Ok(true)) = signup.value().get() {
            reload_to("/");
        }
    });
    view! {
        <Title text="Create an organisation" />
        <main class="auth-page">
            <div class="card auth-card">
                <div class="brand brand-large"><span class="logo" aria-hidden="true">"M"</span><span>"MCE"</span></div>
                <h1>"Create an organisation"</h1>
                <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                    {move || Suspend::new(async move {
                        if matches!(signup.value().get_untracked(), Some(Ok(false))) {
                            return view! { <CheckInbox /> }.into_any();
                        }
                        if !matches!(open.await, Ok(true)) {
                            return view! {
                                <p role="alert">"Sign-up is switched off here. Ask an administrator for an account."</p>
                                <p><a href="/login">"Back to sign in"</a></p>
                            }.into_any();
                        }
                        view! {
                            <Show when=move || !matches!(signup.value().get(), Some(Ok(false))) fallback=|| view! { <CheckInbox /> }>
                                <ActionForm action=signup attr:class="form" attr:aria-label="Create an organisation">
                                    <label for="org_name">"Organisation name"</label>
                                    <input id="org_name" name="org_name" required maxlength="100" />
                                    <label for="name">"Your name"</label>
                                    <input id="name" name="name" autocomplete="name" required maxlength="100" />
                                    <label for="email">"Email"</label>
                                    <input id="email" name="email" type="email" autocomplete="username" required maxlength="254" />
                                    <label for="password">"Password (at least 10 characters)"</label>
                                    <input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="128" />
                                    <ErrorNotice result=signup.value() />
                                    <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || signup.pending().get()>
                                        "Create organisation"
                                    </button>
                                </ActionForm>
                            </Show>
                            <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </main>
    }
}
