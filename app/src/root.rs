//! The HTML document and the route table: every page of the app is declared here once.

use crate::components::layout::AppShell;
use crate::pages::{
    contact::ContactPage, contact_import::ContactImportPage, contacts::ContactsPage, home::HomePage, inbox::InboxPage, login::LoginPage, not_found::NotFound,
    sandbox::SandboxPage, settings, signup::SignupPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// Sets the saved colour theme before the first paint, so a dark-theme user never sees
/// a white flash.
const THEME_BOOT: &str = "try{var t=localStorage.getItem('mce-theme');if(t==='dark'||t==='light'){document.documentElement.dataset.theme=t}}catch(e){}";

/// The document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
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
                <Route path=path!("/setup-2fa") view=crate::pages::two_factor_setup::TwoFactorSetupPage />
                // The shell waits for the session on the server, so a signed-out visitor
                // gets a real 302 to /login instead of a flash of the app.
                <ParentRoute path=path!("") view=AppShell ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage />
                    <Route path=path!("sandbox") view=SandboxPage />
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
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
