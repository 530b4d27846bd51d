//! Contacts (CRM-2): search, filters, sort, 25/50/100 per page with the total, bulk
//! actions on the chosen rows, the trash, a "New contact" form, export of the current
//! view, and the way to the CSV import.

use crate::api::contacts::{contact_tags, contacts_list, BulkContacts, ContactFilters, CreateContact};
use crate::components::button::{Button, Variant};
use crate::components::feedback::{EmptyState, Skeleton, StatusBadge, Toasts};
use crate::components::format::utc_date;
use crate::components::forms::ErrorNotice;
use crate::components::hydration::{adopt_early_input, use_hydrated};
use crate::components::icons::IconName;
use crate::components::layout::SignedIn;
use crate::components::live::Live;
use crate::components::table::{BulkBar, FilterBar, Pager, SelectAll, SelectRow, Sort, SortHeader};
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

/// The header order of a list sort (`name`, `-name`, `newest`…).
fn header_sort(sort: &str) -> Sort {
    let (key, descending) = match sort {
        "name" => ("name", false),
        "-name" => ("name", true),
        "score" => ("score", true),
        "-score" => ("score", false),
        "oldest" => ("created", false),
        "last_message" => ("", false),
        _ => ("created", true),
    };
    Sort { key: key.into(), descending }
}

/// The list sort of a header order.
fn list_sort(s: &Sort) -> &'static str {
    match (s.key.as_str(), s.descending) {
        ("name", false) => "name",
        ("name", true) => "-name",
        ("score", true) => "score",
        ("score", false) => "-score",
        ("created", false) => "oldest",
        _ => "newest",
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
    let toasts = Toasts::get();
    toasts.follow(bulk.value().into(), "Done.");
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

        <FilterBar label="Find contacts" active=Signal::derive(move || filters.with(ContactFilters::active))
            search=Box::new(move || view! {
                <label for="contact-search">"Search"</label>
                <input id="contact-search" node_ref=search_box type="search" placeholder="Name, phone, email or company" data-testid="contact-search"
                    on:input=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.q = v.clone()) } />
            }.into_any())
        >
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
            <select id="sort" prop:value=move || filters.with(|f| if f.sort.is_empty() { "newest".to_string() } else { f.sort.clone() })
                on:change=move |ev| { let v = event_target_value(&ev); set_filter(&|f| f.sort = v.clone()) }>
                <option value="newest">"Newest"</option>
                <option value="oldest">"Oldest"</option>
                <option value="name">"Name A–Z"</option>
                <option value="-name">"Name Z–A"</option>
                <option value="score">"Score, highest first"</option>
                <option value="-score">"Score, lowest first"</option>
                <option value="last_message">"Last message"</option>
            </select>
            <label class="check"><input type="checkbox" on:change=move |ev| { let v = event_target_checked(&ev); set_filter(&|f| f.trash = v) } />"Trash"</label>
        </FilterBar>

        {can_edit.then(|| view! {
            <BulkBar selected>
                <label for="bulk-tag" class="sr-only">"Tag for the chosen contacts"</label>
                <input id="bulk-tag" placeholder="Tag" maxlength="40" bind:value=bulk_tag />
                <Button on_click=move |_| bulk_do("add_tag", bulk_tag.get_untracked())>"Add tag"</Button>
                <Button on_click=move |_| bulk_do("remove_tag", bulk_tag.get_untracked())>"Remove tag"</Button>
                <Button on_click=move |_| bulk_do("opt_in", "opted_in".into())>"Opt in"</Button>
                <Button on_click=move |_| bulk_do("opt_in", "opted_out".into())>"Opt out"</Button>
                {can_delete.then(|| view! {
                    <Button variant=Variant::Danger on_click=move |_| {
                        let action = if filters.get_untracked().trash { "restore" } else { "delete" };
                        bulk_do(action, String::new())
                    }>{move || if filters.get().trash { "Restore" } else { "Delete" }}</Button>
                })}
            </BulkBar>
        })}

        <Suspense fallback=|| view! { <Skeleton rows=6 /> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(p) if p.total == 0 => {
                        let filtered = filters.with(|f| f.active() > 0 || !f.q.is_empty());
                        view! {
                            <p class="muted" data-testid="contact-total">"No contacts match."</p>
                            {if filtered {
                                view! { <EmptyState icon=IconName::Search title="No contacts match these filters" text="Try fewer filters or another search." /> }.into_any()
                            } else {
                                view! {
                                    <EmptyState icon=IconName::Contacts title="No contacts yet" text="Import a CSV, add one below, or connect a lead source: every lead lands here.">
                                        <A href="/contacts/import" attr:class="button button-primary">"Import CSV"</A>
                                    </EmptyState>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                    Ok(p) => {
                        let (total, shown) = (p.total, p.data.len() as i64);
                        let first = (page.get_untracked() - 1) * per_page.get_untracked();
                        let ids: Vec<String> = p.data.iter().map(|c| c.id.to_string()).collect();
                        let sort = Signal::derive(move || filters.with(|f| header_sort(&f.sort)));
                        let on_sort = Callback::new(move |s: Sort| set_filter(&|f| f.sort = list_sort(&s).to_owned()));
                        view! {
                            <p class="muted" data-testid="contact-total">{crate::components::format::range_label(first, shown, total)}</p>
                            <div class="table-wrap">
                                <table class="table table-cards" data-testid="contact-table">
                                    <thead><tr>
                                        <th scope="col"><SelectAll ids selected /></th>
                                        <SortHeader label="Name" key="name" sort on_sort />
                                        <th scope="col">"Phone"</th><th scope="col">"Tags"</th><th scope="col">"Status"</th>
                                        <SortHeader label="Score" key="score" sort on_sort first_descending=true />
                                        <th scope="col">"Opt-in"</th>
                                        <SortHeader label="Created" key="created" sort on_sort first_descending=true />
                                    </tr></thead>
                                    <tbody>
                                        {p.data.into_iter().map(|c| view! { <ContactRow c selected /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager page per_page total=Signal::stored(total) shown=Signal::stored(shown) />
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
    let name = c.display_name();
    view! {
        <tr data-testid="contact-row" data-phone=c.phone.clone().unwrap_or_default()>
            <td><SelectRow id=id.clone() name=name.clone() selected /></td>
            <td class="card-title"><A href=format!("/contacts/{id}")>{name.clone()}</A></td>
            <td data-label="Phone">{c.phone.clone().unwrap_or_else(|| "—".into())}</td>
            <td data-label="Tags"><TagChips tags=c.tags.clone() /></td>
            <td data-label="Status"><StatusBadge status=c.lead_status.clone() /></td>
            <td data-label="Score">{c.score}</td>
            <td data-label="Opt-in"><StatusBadge status=c.opt_in_status.clone() /></td>
            <td data-label="Created">{utc_date(c.created_at)}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_order_and_a_list_sort_are_the_same_order() {
        for sort in ["name", "-name", "score", "-score", "oldest", "newest"] {
            assert_eq!(list_sort(&header_sort(sort)), sort);
        }
        assert_eq!(header_sort("").key, "created", "the default order is newest first");
        assert!(header_sort("").descending);
    }

    #[test]
    fn the_export_link_carries_the_current_filters() {
        let f = ContactFilters { q: "ana lima".into(), tag: "vip".into(), trash: true, ..Default::default() };
        assert_eq!(export_href(&f, false), "/contacts/export.csv?q=ana%20lima&tag=vip&trash=true");
        assert_eq!(export_href(&f, true), "/contacts/export.csv");
        let dated = ContactFilters { last_message_from: "2026-11-01".into(), ..Default::default() };
        assert_eq!(export_href(&dated, false), "/contacts/export.csv?last_message_from=2026-11-01", "the last-message dates are part of the view");
    }
}
