//! Settings → Canned responses (INBOX-7): saved replies agents insert in the composer by
//! typing "/" and the shortcut; `{contact_name}` and `{agent_name}` are filled in.
//! Managers and above add, edit and delete them; everyone sees the list.

use crate::api::inbox::{canned_responses, DeleteCannedResponse, SaveCannedResponse};
use crate::components::forms::{ErrorNotice, SavedNotice};
use crate::components::hydration::use_hydrated;
use crate::components::layout::SignedIn;
use domain::Role;
use leptos::prelude::*;
use leptos_meta::Title;

/// The list and, for managers and above, the form.
#[component]
pub fn CannedSettings() -> impl IntoView {
    let save = ServerAction::<SaveCannedResponse>::new();
    let delete = ServerAction::<DeleteCannedResponse>::new();
    let list = Resource::new(move || (save.version().get(), delete.version().get()), |_| canned_responses());
    let can_edit = SignedIn::get().role().is_some_and(|r| r.at_least(Role::Manager));
    let hydrated = use_hydrated();
    let editing = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let shortcut = RwSignal::new(String::new());
    let content = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            for s in [editing, title, shortcut, content] {
                s.set(String::new());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveCannedResponse {
            canned_id: editing.get_untracked(),
            title: title.get_untracked(),
            shortcut: shortcut.get_untracked(),
            content: content.get_untracked(),
        });
    };
    view! {
        <Title text="Canned responses" />
        <section class="card" aria-labelledby="canned-heading">
            <h2 id="canned-heading">"Canned responses"</h2>
            <p class="muted">"In the inbox, type / and the shortcut. {contact_name} and {agent_name} are filled in."</p>
            <ErrorNotice result=delete.value() />
            <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(items) if items.is_empty() => view! {
                            <crate::components::feedback::EmptyState icon=crate::components::icons::IconName::Canned title="No canned responses yet"
                                text="Save the answers your team types every day; in the inbox, / and the shortcut inserts one with the customer's name filled in." />
                        }.into_any(),
                        Ok(items) => view! {
                            <table class="table table-cards" data-testid="canned-table">
                                <thead><tr><th scope="col">"Shortcut"</th><th scope="col">"Title"</th><th scope="col">"Content"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {items.into_iter().map(|c| {
                                        let (id, id2) = (c.id.clone(), c.id.clone());
                                        let (t, s, x) = (c.title.clone(), c.shortcut.clone(), c.content.clone());
                                        view! {
                                            <tr data-shortcut=c.shortcut.clone()>
                                                <td class="card-title">{format!("/{}", c.shortcut)}</td>
                                                <td data-label="Title">{c.title.clone()}</td>
                                                <td data-label="Content">{c.content.clone()}</td>
                                                <td class="row-actions">{can_edit.then(|| view! {
                                                    <button type="button" class="button" disabled=move || !hydrated.get() on:click=move |_| {
                                                        editing.set(id.clone()); title.set(t.clone()); shortcut.set(s.clone()); content.set(x.clone());
                                                    }>"Edit"</button>
                                                    <button type="button" class="button button-danger" disabled=move || !hydrated.get() on:click=move |_| {
                                                        delete.dispatch(DeleteCannedResponse { canned_id: id2.clone() });
                                                    }>"Delete"</button>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        {can_edit.then(|| view! {
            <section class="card" aria-labelledby="canned-form-heading">
                <h2 id="canned-form-heading">{move || if editing.get().is_empty() { "Add a canned response" } else { "Edit the canned response" }}</h2>
                <form class="form" aria-label="Canned response" on:submit=submit>
                    <label for="canned-title">"Title"</label>
                    <input id="canned-title" required maxlength="100" bind:value=title />
                    <label for="canned-shortcut">"Shortcut"</label>
                    <input id="canned-shortcut" required maxlength="32" placeholder="greeting" bind:value=shortcut />
                    <label for="canned-content">"Content"</label>
                    <textarea id="canned-content" required maxlength="4096" rows="3" prop:value=move || content.get() on:input=move |ev| content.set(event_target_value(&ev))></textarea>
                    <ErrorNotice result=save.value() />
                    <SavedNotice result=save.value() text="Canned response saved." />
                    <button type="submit" class="button button-primary" disabled=move || !hydrated.get()>"Save"</button>
                </form>
            </section>
        })}
    }
}
