//! Contacts (CRM-2): search, filters, sort, 25/50/100 per page with the total, bulk
//! actions on the chosen rows, the trash, a "New contact" form, export of the current
//! view, and the way to the CSV import.

use crate::api::contacts::{contact_tags, contacts_list, BulkContacts, ContactFilters, CreateContact};
use crate::components::format::utc_date;
use crate::components::forms::ErrorNotice;
use crate::components::hydration::{adopt_early_input, use_hydrated};
use crate::components::layout::SignedIn;
use crate::components::live::Live;
use domain::dto::ContactView;
use domain::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use std::collections::HashSet;

/// The query string of an export of the current view.
fn export_href(f: &ContactFilters, all: bool) -> String {
    let q = if all { String::new() } else { f.to_query_string() };
    if q.is_empty() {
        "/contacts/export.csv".into()
    } else {
        format!("/contacts/export.csv?{q}")
    }
}

/// The tag chips of a contact.
#[component]
pub fn TagChips(tags: Vec<domain::dto::TagView>) -> impl IntoView {
    view! {
        <span class="tag-chips">
            {tags.into_iter().map(|t| view! { <span class="tag" style=format!("--tag: {}", t.colour)>{t.name}</span> }).collect_view()}
        </span>
    }
}

/// `/contacts`.
#[component]
pub fn ContactsPage() -> impl IntoView {
    let hydrated = use_hydrated();
    let role = SignedIn::get().role();
    let can_edit = role.is_some_and(|r| r.at_least(Role::Agent));
    let can_delete = role.is_some_and(|r| r.at_least(Role::Manager));
    let filters = RwSignal::new(ContactFilters::default());
    let filters_open = RwSignal::new(false);
    let page = RwSignal::new(1i64);
    let per_page = RwSignal::new(25i64);
    let selected = RwSignal::new(HashSet::<String>::new());
    let bulk = ServerAction::<BulkContacts>::new();
    let create = ServerAction::<CreateContact>::new();
    let live = Live::get();
    let list = Resource::new(
        move || (filters.get(), page.get(), per_page.get(), bulk.version().get(), create.version().get(), live.tick.get()),
        |(f, p, n, _, _, _)| contacts_list(f, p, n),
    );
    let tags = Resource::new(move || bulk.version().get(), |_| contact_tags());
    // Any filter change starts again at page 1 with nothing selected.
    let set_filter = move |f: &dyn Fn(&mut ContactFilters)| {
        filters.update(|x| f(x));
        page.set(1);
        selected.set(HashSet::new());
    };
    let search_box = NodeRef::<leptos::html::Input>::new();
    adopt_early_input(search_box, move |q| set_filter(&|f| f.q = q.clone()));
    let bulk_tag = RwSignal::new(String::new());
    let bulk_do = move |action: &str, value: String| {
        let ids: Vec<String> = selected.get_untracked().into_iter().collect();
        if ids.is_empty() {
            return;
        }
        bulk.dispatch(BulkContacts { contact_ids: ids.join(","), action: action.to_owned(), value });
        selected.set(HashSet::new());
    };
    let (new_phone, new_name, new_email, new_company) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            for s in [new_phone, new_name, new_email, new_company] {
                s.set(String::new());
            }
        }
    });

    view! {
        <Title text="Contacts" />
        <div class="page-head">
            <h1>"Contacts"</h1>
            <div class="actions">
                {can_edit.then(|| view! { <A href="/contacts/import" attr:class="button">"Import CSV"</A> })}
                <a class="button" href=move || export_href(&filters.get(), false) data-testid="export-view" download>"Export this view"</a>
                <a class="button" href=move || export_href(&ContactFilters::default(), true) download>"Export all"</a>
            </div>
        </div>

        <form class="filters card" role="search" aria-label="Find contacts" on:submit=move |ev: leptos::ev::SubmitEvent| ev.prevent_default()>
            <label for="contact-search">"Search"</label>
            <input id="contact-search" node_ref=search_box type="search" placeholder="Name, phone, email or company" data-testid="contact-search"
                on:input=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.q = v.clone()) } />
            // On a phone the filters fold behind one button that counts those in use.
            <button type="button" class="button filter-toggle" data-testid="filter-toggle" aria-controls="filter-more"
                aria-expanded=move || filters_open.get().to_string() on:click=move |_| filters_open.update(|o| *o = !*o)>
                {move || match filters.with(ContactFilters::active) { 0 => "Filters".to_string(), n => format!("Filters ({n})") }}
            </button>
            <div id="filter-more" class="filter-more" class:open=move || filters_open.get()>
            <label for="filter-tag">"Tag"</label>
            <select id="filter-tag" data-testid="filter-tag" on:change=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.tag = v.clone()) }>
                <option value="">"Any tag"</option>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        tags.await.unwrap_or_default().into_iter().map(|t| view! { <option value=t.name.clone()>{format!("{} ({})", t.name, t.contacts)}</option> }).collect_view()
                    })}
                </Suspense>
            </select>
            <label for="filter-opt-in">"Opt-in"</label>
            <select id="filter-opt-in" on:change=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.opt_in_status = v.clone()) }>
                <option value="">"Any"</option>
                <option value="opted_in">"Opted in"</option>
                <option value="opted_out">"Opted out"</option>
                <option value="unknown">"Unknown"</option>
            </select>
            <label for="filter-status">"Status"</label>
            <select id="filter-status" on:change=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.lead_status = v.clone()) }>
                <option value="">"Any"</option>
                {["new", "engaged", "qualified", "converted", "lost"].into_iter().map(|s| view! { <option value=s>{s}</option> }).collect_view()}
            </select>
            <label for="filter-source">"Source"</label>
            <input id="filter-source" placeholder="csv, api, whatsapp…" on:change=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.source = v.clone()) } />
            <label for="filter-created-from">"Created from"</label>
            <input id="filter-created-from" type="date" on:change=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.created_from = v.clone()) } />
            <label for="filter-created-to">"to"</label>
            <input id="filter-created-to" type="date" on:change=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.created_to = v.clone()) } />
            <label for="filter-last-from">"Last message from"</label>
            <input id="filter-last-from" type="date" on:change=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.last_message_from = v.clone()) } />
            <label for="filter-last-to">"to"</label>
            <input id="filter-last-to" type="date" on:change=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.last_message_to = v.clone()) } />
            <label for="sort">"Sort"</label>
            <select id="sort" on:change=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.sort = v.clone()) }>
                <option value="newest">"Newest"</option>
                <option value="oldest">"Oldest"</option>
                <option value="name">"Name A–Z"</option>
                <option value="-name">"Name Z–A"</option>
                <option value="score">"Score"</option>
                <option value="last_message">"Last message"</option>
            </select>
            <label class="check"><input type="checkbox" on:change=move |ev| { let v = event_target_checked(&ev); set_filter(&|f| f.trash = v) } />"Trash"</label>
            </div>
        </form>

        {can_edit.then(|| view! {
            <div class="bulk-bar card" role="group" aria-label="Bulk actions" class:hidden=move || selected.get().is_empty()>
                <span data-testid="selected-count">{move || format!("{} selected", selected.get().len())}</span>
                <label for="bulk-tag" class="sr-only">"Tag for the chosen contacts"</label>
                <input id="bulk-tag" placeholder="Tag" maxlength="40" bind:value=bulk_tag />
                <button type="button" class="button" on:click=move |_| bulk_do("add_tag", bulk_tag.get_untracked())>"Add tag"</button>
                <button type="button" class="button" on:click=move |_| bulk_do("remove_tag", bulk_tag.get_untracked())>"Remove tag"</button>
                <button type="button" class="button" on:click=move |_| bulk_do("opt_in", "opted_in".into())>"Opt in"</button>
                <button type="button" class="button" on:click=move |_| bulk_do("opt_in", "opted_out".into())>"Opt out"</button>
                {can_delete.then(|| view! {
                    <button type="button" class="button button-danger" on:click=move |_| {
                        let action = if filters.get_untracked().trash { "restore" } else { "delete" };
                        bulk_do(action, String::new())
                    }>{move || if filters.get().trash { "Restore" } else { "Delete" }}</button>
                })}
            </div>
        })}
        <ErrorNotice result=bulk.value() />

        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(p) => {
                        let (total, shown) = (p.total, p.data.len() as i64);
                        let first = (page.get_untracked() - 1) * per_page.get_untracked();
                        let ids: Vec<String> = p.data.iter().map(|c| c.id.to_string()).collect();
                        view! {
                            <p class="muted" data-testid="contact-total">{if total == 0 { "No contacts match.".to_string() } else { format!("{}–{} of {}", first + 1, first + shown, total) }}</p>
                            <div class="table-wrap">
                                <table class="table table-cards" data-testid="contact-table">
                                    <thead><tr>
                                        <th scope="col"><input type="checkbox" aria-label="Choose all on this page" disabled=move || !hydrated.get()
                                            on:change=move |ev| { let on = event_target_checked(&ev); let ids = ids.clone(); selected.update(|s| for id in ids { if on { s.insert(id); } else { s.remove(&id); } }) } /></th>
                                        <th scope="col">"Name"</th><th scope="col">"Phone"</th><th scope="col">"Tags"</th><th scope="col">"Status"</th><th scope="col">"Score"</th><th scope="col">"Opt-in"</th><th scope="col">"Created"</th>
                                    </tr></thead>
                                    <tbody>
                                        {p.data.into_iter().map(|c| view! { <ContactRow c selected /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="pager" aria-label="Pages">
                                <button type="button" class="button" disabled=move || { page.get() <= 1 || !hydrated.get() } on:click=move |_| page.update(|p| *p -= 1)>"Previous"</button>
                                <button type="button" class="button" disabled=move || { page.get() * per_page.get() >= total || !hydrated.get() } on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                                <label for="per-page">"Per page"</label>
                                <select id="per-page" on:change=move |ev| { per_page.set(event_target_value(&ev).parse().unwrap_or(25)); page.set(1); }>
                                    {[25, 50, 100].into_iter().map(|n| view! { <option value=n.to_string() selected=move || per_page.get() == n>{n.to_string()}</option> }).collect_view()}
                                </select>
                            </nav>
                        }.into_any()
                    }
                    Err(e) => view! { <p role="alert" class="notice notice-error">{e.message.clone()}</p> }.into_any(),
                }
            })}
        </Suspense>

        {can_edit.then(|| view! {
            <section class="card" aria-labelledby="new-contact-heading">
                <h2 id="new-contact-heading">"New contact"</h2>
                <form class="form-inline" aria-label="New contact" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    create.dispatch(CreateContact { phone: new_phone.get_untracked(), name: new_name.get_untracked(), email: new_email.get_untracked(), company: new_company.get_untracked() });
                }>
                    <label for="new-phone">"Phone"</label>
                    <input id="new-phone" required maxlength="32" placeholder="+55 11 99999-0000" bind:value=new_phone />
                    <label for="new-name">"Name"</label>
                    <input id="new-name" maxlength="200" bind:value=new_name />
                    <label for="new-email">"Email"</label>
                    <input id="new-email" type="email" maxlength="254" bind:value=new_email />
                    <label for="new-company">"Company"</label>
                    <input id="new-company" maxlength="200" bind:value=new_company />
                    <button type="submit" class="button button-primary" disabled=move || !hydrated.get()>"Add contact"</button>
                </form>
                <ErrorNotice result=create.value() />
            </section>
        })}
    }
}

/// One row of the list.
#[component]
fn ContactRow(c: ContactView, selected: RwSignal<HashSet<String>>) -> impl IntoView {
    let id = c.id.to_string();
    let (id_check, id_toggle) = (id.clone(), id.clone());
    let name = c.display_name();
    view! {
        <tr data-testid="contact-row" data-phone=c.phone.clone().unwrap_or_default()>
            <td><input type="checkbox" aria-label=format!("Choose {name}") prop:checked=move || selected.get().contains(&id_check)
                on:change=move |ev| { let on = event_target_checked(&ev); let id = id_toggle.clone(); selected.update(|s| { if on { s.insert(id); } else { s.remove(&id); } }) } /></td>
            <td class="card-title"><A href=format!("/contacts/{id}")>{name.clone()}</A></td>
            <td data-label="Phone">{c.phone.clone().unwrap_or_else(|| "—".into())}</td>
            <td data-label="Tags"><TagChips tags=c.tags.clone() /></td>
            <td data-label="Status">{c.lead_status.clone()}</td>
            <td data-label="Score">{c.score}</td>
            <td data-label="Opt-in">{c.opt_in_status.replace('_', " ")}</td>
            <td data-label="Created">{utc_date(c.created_at)}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_link_carries_the_current_filters() {
        let f = ContactFilters { q: "ana lima".into(), tag: "vip".into(), trash: true, ..Default::default() };
        assert_eq!(export_href(&f, false), "/contacts/export.csv?q=ana%20lima&tag=vip&trash=true");
        assert_eq!(export_href(&f, true), "/contacts/export.csv");
        let dated = ContactFilters { last_message_from: "2026-11-01".into(), ..Default::default() };
        assert_eq!(export_href(&dated, false), "/contacts/export.csv?last_message_from=2026-11-01", "the last-message dates are part of the view");
    }
}
