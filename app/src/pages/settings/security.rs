//! The signed-in person's security, on the profile page: password change, sessions
//! ("sign out everywhere else"), two-factor sign-in, and for admins the org's "require
//! 2FA for admins". [`TwoFactorPanel`] is also the `/setup-2fa` page's body.

use crate::api::security::{security_status, BeginTwoFactor, ChangePassword, ConfirmTwoFactor, DisableTwoFactor, EndOtherSessions, SetRequireAdmin2fa};
use crate::components::forms::{ErrorNotice, SavedNotice};
use crate::components::hydration::use_hydrated;
use leptos::prelude::*;

/// Every security section of the profile page.
#[component]
pub fn SecuritySettings() -> impl IntoView {
    view! {
        <PasswordChange />
        <SessionsPanel />
        <TwoFactorPanel />
        <OrgTwoFactorRequirement />
    }
}

/// Changing the password: the current one is required; other sessions are signed out.
#[component]
fn PasswordChange() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let hydrated = use_hydrated();
    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <ActionForm action=change attr:class="form" attr:aria-label="Change password">
                <label for="current-password">"Current password"</label>
                <input id="current-password" name="current_password" type="password" autocomplete="current-password" required maxlength="128" />
                <label for="new-password">"New password"</label>
                <input id="new-password" name="new_password" type="password" autocomplete="new-password" required minlength="10" maxlength="128" />
                <ErrorNotice result=change.value() />
                <SavedNotice result=change.value() text="Password changed. Your other sessions were signed out." />
                <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || change.pending().get()>"Change password"</button>
            </ActionForm>
        </section>
    }
}

/// The person's sessions and "sign out everywhere else".
#[component]
fn SessionsPanel() -> impl IntoView {
    let end = ServerAction::<EndOtherSessions>::new();
    let status = Resource::new(move || end.version().get(), |_| security_status());
    let hydrated = use_hydrated();
    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                {move || Suspend::new(async move {
                    status.await.ok().map(|s| view! {
                        <p id="session-count">{format!("Signed in on {} browser{} (this one included).", s.sessions, if s.sessions == 1 { "" } else { "s" })}</p>
                    })
                })}
            </Suspense>
            <ErrorNotice result=end.value() />
            <SavedNotice result=end.value() text="Your other sessions were signed out." />
            <button
                type="button"
                class="button"
                disabled=move || !hydrated.get() || end.pending().get()
                on:click=move |_| {
                    end.dispatch(EndOtherSessions {});
                }
            >
                "Sign out everywhere else"
            </button>
        </section>
    }
}

/// Two-factor sign-in: set up (QR code, the key as text, a confirmation code, then the
/// recovery codes once), or turn off with the password or a code.
#[component]
pub fn TwoFactorPanel() -> impl IntoView {
    let begin = ServerAction::<BeginTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let status = Resource::new(move || (confirm.version().get(), disable.version().get()), |_| security_status());
    let hydrated = use_hydrated();
    let codes = move || {
        confirm.value().get().and_then(|r| r.ok()).map(|codes| {
            view! {
                <div class="notice notice-ok" role="status">
                    <p>"Two-factor sign-in is on. Keep these recovery codes somewhere safe: each one works once, and they are shown only now."</p>
                    <ol class="recovery-codes" id="recovery-codes">
                        {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                    </ol>
                </div>
            }
        })
    };
    let setup = move || match begin.value().get() {
        Some(Ok(setup)) => view! {
            <div class="qr" role="img" aria-label="QR code of the set-up key" inner_html=setup.qr_svg.clone()></div>
            <p>"Scan the code with an authenticator app, or type this key into it:"</p>
            <p><code id="totp-secret" class="secret">{setup.secret.clone()}</code></p>
            <ActionForm action=confirm attr:class="form" attr:aria-label="Confirm two-factor sign-in">
                <label for="tfa-code">"Code from the app"</label>
                <input id="tfa-code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="6" />
                <ErrorNotice result=confirm.value() />
                <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || confirm.pending().get()>"Turn on"</button>
            </ActionForm>
        }
        .into_any(),
        other => view! {
            <ErrorNotice result=Signal::derive(move || other.clone()) />
            <button
                type="button"
                class="button button-primary"
                disabled=move || !hydrated.get() || begin.pending().get()
                on:click=move |_| {
                    begin.dispatch(BeginTwoFactor {});
                }
            >
                "Set up two-factor sign-in"
            </button>
        }
        .into_any(),
    };
    view! {
        <section class="card" aria-labelledby="tfa-heading">
            <h2 id="tfa-heading">"Two-factor sign-in"</h2>
            {codes}
            <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                {move || Suspend::new(async move {
                    let s = match status.await {
                        Ok(s) => s,
                        Err(e) => return view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                    };
                    if s.two_factor {
                        view! {
                            <p id="tfa-state">{format!("On. {} recovery codes left.", s.recovery_codes_left)}</p>
                            <ActionForm action=disable attr:class="form" attr:aria-label="Turn off two-factor sign-in">
                                <label for="tfa-proof">"Password or a current code"</label>
                                <input id="tfa-proof" name="proof" type="password" autocomplete="current-password" required maxlength="128" />
                                <ErrorNotice result=disable.value() />
                                <button type="submit" class="button" disabled=move || !hydrated.get() || disable.pending().get()>"Turn off"</button>
                            </ActionForm>
                        }
                        .into_any()
                    } else {
                        view! {
                            <p id="tfa-state">"Off. With it on, signing in also asks for a 6-digit code from an app on your phone."</p>
                            {setup}
                        }
                        .into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The org's "require 2FA for admins", for admins and owners.
#[component]
fn OrgTwoFactorRequirement() -> impl IntoView {
    let save = ServerAction::<SetRequireAdmin2fa>::new();
    let status = Resource::new(move || save.version().get(), |_| security_status());
    let hydrated = use_hydrated();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                status.await.ok().filter(|s| s.can_set_org_requirement).map(|s| view! {
                    <section class="card" aria-labelledby="org-2fa-heading">
                        <h2 id="org-2fa-heading">"Two-factor sign-in for admins"</h2>
                        <ActionForm action=save attr:class="form" attr:aria-label="Require two-factor sign-in for admins">
                            <label for="org-2fa">"Admins and owners of this organisation"</label>
                            <select id="org-2fa" name="on">
                                <option value="false" selected=!s.org_requires_2fa>"may sign in with a password only"</option>
                                <option value="true" selected=s.org_requires_2fa>"must use two-factor sign-in"</option>
                            </select>
                            <ErrorNotice result=save.value() />
                            <SavedNotice result=save.value() text="Applied." />
                            <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || save.pending().get()>"Apply"</button>
                        </ActionForm>
                    </section>
                })
            })}
        </Suspense>
    }
}
