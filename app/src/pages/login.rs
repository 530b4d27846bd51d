//! The sign-in page.

use crate::api::auth::{signup_enabled, Login};
use crate::components::forms::ErrorNotice;
use crate::components::hydration::{reload_to, use_hydrated};
use leptos::prelude::*;
use leptos_meta::Title;

/// Email and password sign-in. On success the app opens in the person's first org.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let hydrated = use_hydrated();
    let signup_open = Resource::new(|| (), |_| signup_enabled());
    Effect::new(move |_| {
        if let Some(Ok(())) = login.value().get() {
            reload_to("/");
        }
    });
    view! {
        <Title text="Sign in" />
        <main class="auth-page">
            <div class="card auth-card">
                <div class="brand brand-large"><span class="logo" aria-hidden="true">"M"</span><span>"MCE"</span></div>
                <h1>"Sign in"</h1>
                <ActionForm action=login attr:class="form" attr:aria-label="Sign in">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required maxlength="254" />
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="128" />
                    <ErrorNotice result=login.value() />
                    <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || login.pending().get()>
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="muted"><a href="/forgot-password">"Forgot password?"</a></p>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        matches!(signup_open.await, Ok(true)).then(|| view! {
                            <p class="muted">"New here? " <a href="/signup">"Create an organisation"</a></p>
                        })
                    })}
                </Suspense>
            </div>
        </main>
    }
}
