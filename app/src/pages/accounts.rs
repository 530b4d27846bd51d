//! The pages of account links, outside the signed-in shell: accepting an invitation
//! (`/invitations/accept?token=…`), confirming a sign-up's address
//! (`/verify-email?token=…`), asking for a password reset (`/forgot-password`) and
//! choosing the new password (`/reset-password?token=…`). Opening a link changes
//! nothing by itself (mail scanners open links too): a button does.

use crate::api::accounts::{open_invitation, AcceptInvitation, JoinInvitedOrg, RequestPasswordReset, ResetPassword, VerifyEmail};
use crate::components::forms::ErrorNotice;
use crate::components::hydration::{reload_to, use_hydrated};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The token in the page's query.
fn token() -> String {
    use_query_map().get_untracked().get("token").unwrap_or_default()
}

/// The brand above every account card.
#[component]
fn Brand() -> impl IntoView {
    view! { <div class="brand brand-large"><span class="logo" aria-hidden="true">"M"</span><span>"MCE"</span></div> }
}

/// An invitation: what it offers, then a name and password for a new person, or
/// "accept" for the signed-in holder of the invited address.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let token = token();
    let preview = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        open_invitation,
    );
    view! {
        <Title text="Accept an invitation" />
        <main class="auth-page">
            <div class="card auth-card">
                <Brand />
                <h1>"Accept an invitation"</h1>
                <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                    {move || {
                        let token = token.clone();
                        Suspend::new(async move {
                            match preview.await {
                                Err(e) => view! {
                                    <p class="notice notice-error" role="alert" data-code=e.code.as_str()>{e.message.clone()} " " <span class="code">"(" {e.code.as_str()} ")"</span></p>
                                    <p><a href="/login">"Go to sign in"</a></p>
                                }.into_any(),
                                Ok(p) => {
                                    let offer = format!("You are invited to join {} as {}.", p.org_name, p.role.label());
                                    let body = match (p.signed_in_as.clone(), p.has_account) {
                                        (Some(me), _) if me.eq_ignore_ascii_case(&p.email) => view! { <JoinForm token /> }.into_any(),
                                        (Some(me), _) => view! {
                                            <p role="alert" class="notice notice-error">{format!("You are signed in as {me}, but this invitation is for {}. Sign out and sign in with that address to accept it.", p.email)}</p>
                                        }.into_any(),
                                        (None, true) => view! {
                                            <p>{format!("{} already has an account. Sign in with it, then open this link again to accept.", p.email)}</p>
                                            <p><a class="button button-primary" href="/login">"Sign in"</a></p>
                                        }.into_any(),
                                        (None, false) => view! { <NewAccountForm token email=p.email.clone() /> }.into_any(),
                                    };
                                    view! { <p>{offer}</p> {body} }.into_any()
                                }
                            }
                        })
                    }}
                </Suspense>
            </div>
        </main>
    }
}

/// A new person chooses a name and a password.
#[component]
fn NewAccountForm(token: String, email: String) -> impl IntoView {
    let accept = ServerAction::<AcceptInvitation>::new();
    let hydrated = use_hydrated();
    Effect::new(move |_| {
        if let Some(Ok(())) = accept.value().get() {
            reload_to("/");
        }
    });
    view! {
        <ActionForm action=accept attr:class="form" attr:aria-label="Create your account">
            <input type="hidden" name="token" value=token />
            <label for="invite-email">"Email"</label>
            <input id="invite-email" type="email" autocomplete="username" readonly value=email />
            <label for="invite-name">"Your name"</label>
            <input id="invite-name" name="name" autocomplete="name" required maxlength="100" />
            <label for="invite-password">"Password (at least 10 characters)"</label>
            <input id="invite-password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="128" />
            <ErrorNotice result=accept.value() />
            <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || accept.pending().get()>"Join"</button>
        </ActionForm>
    }
}

/// The signed-in holder of the invited address accepts.
#[component]
fn JoinForm(token: String) -> impl IntoView {
    let join = ServerAction::<JoinInvitedOrg>::new();
    let hydrated = use_hydrated();
    Effect::new(move |_| {
        if let Some(Ok(())) = join.value().get() {
            reload_to("/");
        }
    });
    view! {
        <ActionForm action=join attr:class="form" attr:aria-label="Accept the invitation">
            <input type="hidden" name="token" value=token />
            <ErrorNotice result=join.value() />
            <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || join.pending().get()>"Accept the invitation"</button>
        </ActionForm>
    }
}

/// Confirms a sign-up's address with the token of its mail.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let verify = ServerAction::<VerifyEmail>::new();
    let hydrated = use_hydrated();
    let token = StoredValue::new(token());
    view! {
        <Title text="Confirm your e-mail address" />
        <main class="auth-page">
            <div class="card auth-card">
                <Brand />
                <h1>"Confirm your e-mail address"</h1>
                <Show
                    when=move || matches!(verify.value().get(), Some(Ok(())))
                    fallback=move || view! {
                        <ActionForm action=verify attr:class="form" attr:aria-label="Confirm your e-mail address">
                            <input type="hidden" name="token" value=token.get_value() />
                            <ErrorNotice result=verify.value() />
                            <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || verify.pending().get()>"Confirm my address"</button>
                        </ActionForm>
                    }
                >
                    <p class="notice notice-ok" role="status">"Your address is confirmed. You can sign in now."</p>
                    <p><a class="button button-primary" href="/login">"Sign in"</a></p>
                </Show>
            </div>
        </main>
    }
}

/// "Forgot password?": asks for the address and always answers the same.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let hydrated = use_hydrated();
    view! {
        <Title text="Forgot password" />
        <main class="auth-page">
            <div class="card auth-card">
                <Brand />
                <h1>"Forgot your password?"</h1>
                <Show
                    when=move || matches!(request.value().get(), Some(Ok(())))
                    fallback=move || view! {
                        <p class="muted">"Enter the address you sign in with. If it has an account, a link to choose a new password is on its way."</p>
                        <ActionForm action=request attr:class="form" attr:aria-label="Ask for a reset link">
                            <label for="reset-email">"Email"</label>
                            <input id="reset-email" name="email" type="email" autocomplete="username" required maxlength="254" />
                            <ErrorNotice result=request.value() />
                            <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || request.pending().get()>"Send me a link"</button>
                        </ActionForm>
                    }
                >
                    <p class="notice notice-ok" role="status">"If that address has an account, a reset link is on its way. It works once, for 1 hour."</p>
                </Show>
                <p class="muted"><a href="/login">"Back to sign in"</a></p>
            </div>
        </main>
    }
}

/// Chooses a new password with the token of a reset mail.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    let hydrated = use_hydrated();
    let token = StoredValue::new(token());
    view! {
        <Title text="Choose a new password" />
        <main class="auth-page">
            <div class="card auth-card">
                <Brand />
                <h1>"Choose a new password"</h1>
                <Show
                    when=move || matches!(reset.value().get(), Some(Ok(())))
                    fallback=move || view! {
                        <ActionForm action=reset attr:class="form" attr:aria-label="Choose a new password">
                            <input type="hidden" name="token" value=token.get_value() />
                            <label for="new-password">"New password (at least 10 characters)"</label>
                            <input id="new-password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="128" />
                            <ErrorNotice result=reset.value() />
                            <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || reset.pending().get()>"Set password"</button>
                        </ActionForm>
                        <p class="muted"><a href="/forgot-password">"Ask for a new link"</a></p>
                    }
                >
                    <p class="notice notice-ok" role="status">"Your password is changed. Sign in with it now."</p>
                    <p><a class="button button-primary" href="/login">"Sign in"</a></p>
                </Show>
            </div>
        </main>
    }
}
