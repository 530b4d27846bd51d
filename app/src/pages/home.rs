//! Home: where the signed-in person is, and what to do next.

use crate::api::settings::get_org_profile;
use crate::components::layout::SignedIn;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The org at a glance: profile facts and the person's role, with links to settings.
#[component]
pub fn HomePage() -> impl IntoView {
    let current = SignedIn::get();
    let profile = Resource::new(|| (), |_| get_org_profile());
    view! {
        <Title text="Home" />
        <h1>{move || current.0.with(|s| s.as_ref().map(|s| format!("Welcome, {}", s.name)).unwrap_or_default())}</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(p) => view! {
                        <section class="card" aria-labelledby="org-heading">
                            <h2 id="org-heading">{p.name.clone()}</h2>
                            <dl class="facts">
                                <dt>"Your role"</dt>
                                <dd>{move || current.role().map(|r| r.label()).unwrap_or("")}</dd>
                                <dt>"Time zone"</dt>
                                <dd>{p.time_zone.clone()}</dd>
                                <dt>"Default country"</dt>
                                <dd>{p.default_country.clone()}</dd>
                            </dl>
                            <p class="actions">
                                <A href="/settings/profile" attr:class="button">"Organisation settings"</A>
                                <A href="/settings/members" attr:class="button">"Members"</A>
                            </p>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
