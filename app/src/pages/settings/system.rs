//! Settings → System (admins): the org's background jobs by kind — queued, running and
//! dead — and the dead ones with their last error, a page at a time, each with Retry.

use crate::api::system::{system_jobs, RetryJob};
use crate::components::format::{date_time_of, now_ms, relative};
use crate::components::forms::ErrorNotice;
use crate::components::hydration::use_hydrated;
use leptos::prelude::*;
use leptos_meta::Title;

/// Job kinds as people read them.
fn kind_label(kind: &str) -> String {
    match kind {
        "send_message" => "Sending messages".into(),
        "mark_read" => "Read receipts".into(),
        "download_media" => "Downloading media".into(),
        "run_import" => "CSV imports".into(),
        "poll_sheet" => "Google Sheets schedule".into(),
        "poll_source" => "Google Sheets polling".into(),
        "prune" => "Upkeep".into(),
        other => other.replace('_', " "),
    }
}

/// The jobs overview and the dead-job list.
#[component]
pub fn SystemSettings() -> impl IntoView {
    let retry = ServerAction::<RetryJob>::new();
    let page = RwSignal::new(0_i64);
    let view_data = Resource::new(move || (page.get(), retry.version().get()), |(p, _)| system_jobs(p));
    let hydrated = use_hydrated();
    view! {
        <Title text="System" />
        <section class="card" aria-labelledby="jobs-heading">
            <h2 id="jobs-heading">"Background jobs"</h2>
            <p class="muted">"Work MCE does in the background for this organisation. A job that keeps failing is kept here as failed, with its last error, until you retry it."</p>
            <ErrorNotice result=retry.value() />
            <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                {move || Suspend::new(async move {
                    match view_data.await {
                        Ok(v) => {
                            let kinds = if v.kinds.is_empty() {
                                view! { <p class="muted" data-testid="jobs-empty">"No background jobs right now."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap"><table class="table" data-testid="jobs-table">
                                        <thead><tr><th scope="col">"Kind"</th><th scope="col">"Queued"</th><th scope="col">"Running"</th><th scope="col">"Failed"</th></tr></thead>
                                        <tbody>
                                            {v.kinds.into_iter().map(|k| view! {
                                                <tr data-kind=k.kind.clone()>
                                                    <td>{kind_label(&k.kind)}</td>
                                                    <td>{k.queued}</td>
                                                    <td>{k.running}</td>
                                                    <td>{k.dead}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table></div>
                                }.into_any()
                            };
                            let total = v.dead_total;
                            let shown = v.dead.len() as i64;
                            let first = page.get_untracked() * v.page_size + 1;
                            let dead = (total > 0).then(|| view! {
                                <h3>"Failed jobs"</h3>
                                <ul class="list-rows" data-testid="dead-jobs">
                                    {v.dead.into_iter().map(|d| {
                                        let id = d.id.clone();
                                        view! {
                                            <li data-job=d.id.clone()>
                                                <div>
                                                    <strong>{kind_label(&d.kind)}</strong>
                                                    <span class="muted">{format!(" · {} attempts · ", d.attempts)}</span>
                                                    <time title=date_time_of(d.failed_at)>{relative(d.failed_at, now_ms())}</time>
                                                </div>
                                                <p class="notice notice-error">{d.last_error.clone().unwrap_or_else(|| "No error was recorded.".into())}</p>
                                                <button type="button" class="button" disabled=move || !hydrated.get()
                                                    on:click=move |_| { retry.dispatch(RetryJob { job_id: id.clone() }); }>"Retry"</button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                <nav class="pager" aria-label="Failed jobs pages">
                                    <span class="muted">{format!("{first}–{} of {total}", first + shown - 1)}</span>
                                    <button type="button" class="button" disabled={move || !hydrated.get() || page.get() == 0}
                                        on:click={move |_| page.update(|p| *p = (*p - 1).max(0))}>"Previous"</button>
                                    <button type="button" class="button" disabled={move || !hydrated.get() || first + shown > total}
                                        on:click={move |_| page.update(|p| *p += 1)}>"Next"</button>
                                </nav>
                            });
                            view! { {kinds} {dead} }.into_any()
                        }
                        Err(e) => view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
