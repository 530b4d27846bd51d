//! The page for unknown addresses.

use leptos::prelude::*;
use leptos_meta::Title;

/// 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="auth-page">
            <div class="card">
                <h1>"Page not found"</h1>
                <p><a href="/">"Go to MCE"</a></p>
            </div>
        </main>
    }
}
