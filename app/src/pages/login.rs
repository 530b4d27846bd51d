//! The sign-in page: email and password, then (with two-factor sign-in on) a code.

use crate::api::auth::{signup_enabled, Login, LoginCode};
use crate::components::forms::ErrorNotice;
use crate::components::hydration::{reload_to, use_hydrated};
use domain::ErrorCode;
use leptos::prelude::*;
use leptos_meta::Title;

/// Email and password sign-in. On success the app opens in the person's first org; when
/// the password is right but a second factor is needed (`AUTH_006`), the page asks for
/// the 6-digit code or a recovery code.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let code = ServerAction::<LoginCode>::new();
    let hydrated = use_hydrated();
    let signup_open = Resource::new(|| (), |_| signup_enabled());
    let needs_code = move || matches!(login.value().get(), Some(Err(e)) if e.code == ErrorCode::SecondFactorRequired);
    Effect::new(move |_| {
        if matches!(login.value().get(), Some(Ok(()))) || matches!(code.value().get(), Some(Ok(()))) {
            reload_to("/");
        }
    });
    view! {
        <Title text="Sign in" />
        <main class="auth-page">
            <div class="card auth-card">
                <div class="brand brand-large"><span class="logo" aria-hidden="true">"M"</span><span>"MCE"</span></div>
                <h1>"Sign in"</h1>
                <Show
                    when=needs_code
                    fallback=move || view! {
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
                    }
                >
                    <ActionForm action=code attr:class="form" attr:aria-label="Two-factor code">
                        <p>"Enter the 6-digit code from your authenticator app, or one of your recovery codes."</p>
                        <label for="code">"Code"</label>
                        <input id="code" name="code" autocomplete="one-time-code" required maxlength="32" autofocus />
                        <ErrorNotice result=code.value() />
                        <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || code.pending().get()>
                            {move || if code.pending().get() { "Checking…" } else { "Continue" }}
                        </button>
                    </ActionForm>
                </Show>
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
