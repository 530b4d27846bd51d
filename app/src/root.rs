//! The HTML document and the route table: every page of the app is declared here once.

use crate::components::layout::AppShell;
use crate::pages::{
    accounts, contact::ContactPage, contact_import::ContactImportPage, contacts::ContactsPage, home::HomePage, inbox::InboxPage, login::LoginPage,
    not_found::NotFound, sandbox::SandboxPage, settings, signup::SignupPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// Sets the saved colour theme before the first paint, so a dark-theme user never sees
/// a white flash.
pub const THEME_BOOT: &str = "try{var t=localStorage.getItem('mce-theme');if(t==='dark'||t==='light'){document.documentElement.dataset.theme=t}}catch(e){}";

/// The page's Content-Security-Policy: scripts only from this site, Leptos' own inline
/// scripts (hydration, streamed resources) by this render's nonce, the theme script by
/// its hash, and WebAssembly; styles from this site and inline (tag colours are style
/// attributes); nothing may frame the page.
#[cfg(feature = "ssr")]
pub fn content_security_policy(nonce: &str) -> String {
    // base64(SHA-256) of the script's text, as CSP spells a hash.
    let theme = backend::whatsapp::media::sha256_b64(THEME_BOOT.as_bytes());
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'sha256-{theme}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(value) = axum::http::HeaderValue::from_str(&content_security_policy(&nonce)) {
            res.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <script inner_html=THEME_BOOT></script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The app: routes and their pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/mce.css" />
        <Title formatter=|text: String| if text.is_empty() { "MCE".to_string() } else { format!("{text} · MCE") } />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/signup") view=SignupPage />
                <Route path=path!("/invitations/accept") view=accounts::InvitationPage />
                <Route path=path!("/verify-email") view=accounts::VerifyEmailPage />
                <Route path=path!("/forgot-password") view=accounts::ForgotPasswordPage />
                <Route path=path!("/reset-password") view=accounts::ResetPasswordPage />
                <Route path=path!("/setup-2fa") view=crate::pages::two_factor_setup::TwoFactorSetupPage />
                // The shell waits for the session on the server, so a signed-out visitor
                // gets a real 302 to /login instead of a flash of the app.
                <ParentRoute path=path!("") view=AppShell ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage />
                    <Route path=path!("sandbox") view=SandboxPage />
                    <Route path=path!("reports") view=crate::pages::reports::ReportsPage />
                    <Route path=path!("contacts") view=ContactsPage />
                    <Route path=path!("contacts/import") view=ContactImportPage />
                    <Route path=path!("contacts/:id") view=ContactPage />
                    <Route path=path!("inbox") view=InboxPage />
                    <Route path=path!("inbox/:id") view=InboxPage />
                    <ParentRoute path=path!("settings") view=settings::SettingsLayout>
                        <Route path=path!("") view=|| view! { <Redirect path="/settings/profile" /> } />
                        <Route path=path!("profile") view=settings::profile::ProfileSettings />
                        <Route path=path!("members") view=settings::members::MembersSettings />
                        <Route path=path!("numbers") view=settings::numbers::NumbersSettings />
                        <Route path=path!("canned") view=settings::canned::CannedSettings />
                        <Route path=path!("contacts") view=settings::contacts::ContactSettings />
                        <Route path=path!("system") view=settings::system::SystemSettings />
                        <Route path=path!("api-keys") view=settings::api_keys::ApiKeysSettings />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
