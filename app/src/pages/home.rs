//! Home: where the signed-in person is, and what to do next.

use crate::api::settings::{get_checklist, get_org_profile};
use crate::components::icons::{Icon, IconName};
use crate::components::layout::SignedIn;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The org at a glance: the getting-started checklist (until the dashboard exists),
/// profile facts and the person's role, with links to settings.
#[component]
pub fn HomePage() -> impl IntoView {
    let current = SignedIn::get();
    let profile = Resource::new(|| (), |_| get_org_profile());
    let checklist = Resource::new(|| (), |_| get_checklist());
    view! {
        <Title text="Home" />
        <h1>{move || current.0.with(|s| s.as_ref().map(|s| format!("Welcome, {}", s.name)).unwrap_or_default())}</h1>
        <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
            {move || Suspend::new(async move {
                match checklist.await {
                    Ok(steps) => {
                        let done = steps.iter().filter(|s| s.done).count();
                        let total = steps.len();
                        view! {
                            <section class="card checklist" aria-labelledby="checklist-heading" data-testid="checklist">
                                <h2 id="checklist-heading">"Get started"</h2>
                                <p class="muted" data-testid="checklist-progress">{format!("{done} of {total} done")}</p>
                                <progress max=total.to_string() value=done.to_string() aria-label="Getting started progress"></progress>
                                <ol class="checklist-steps">
                                    {steps.into_iter().map(|s| view! {
                                        <li class:done=s.done data-step=s.key.clone() data-done=s.done.to_string()>
                                            <span class="checklist-mark" role="img" aria-label=if s.done { "Done" } else { "To do" }>
                                                {s.done.then(|| view! { <Icon name=IconName::Sent /> })}
                                            </span>
                                            <span class="checklist-label">{s.label.clone()}</span>
                                            {(!s.done).then(|| view! { <A href=s.href.clone() attr:class="button">{s.action.clone()}</A> })}
                                        </li>
                                    }).collect_view()}
                                </ol>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
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
