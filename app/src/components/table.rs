//! The pieces of a data table: sortable headers, row selection with a bulk-action bar,
//! the pager ("1–25 of 1,234", previous/next, rows per page) and the filter bar.
//!
//! The table itself is plain markup, `<table class="table table-cards">`: under 768 px
//! its rows become stacked cards, the cell with class `card-title` as the card's heading
//! and every cell with `data-label` labelled by it (see `style/main.css`).

use crate::components::format::range_label;
use crate::components::hydration::use_hydrated;
use crate::components::icons::{Icon, IconName};
use leptos::prelude::*;
use std::collections::HashSet;

/// Which column a list is sorted by, and which way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sort {
    /// The column's key (`name`, `created`…); empty for the list's default order.
    pub key: String,
    pub descending: bool,
}

impl Sort {
    /// The order after a click on `key`'s header: that column in its first direction
    /// (`first_descending` for newest-first or highest-first columns), or flipped if it
    /// already was the sort column.
    pub fn clicked(&self, key: &str, first_descending: bool) -> Sort {
        if self.key == key {
            Sort { key: key.to_owned(), descending: !self.descending }
        } else {
            Sort { key: key.to_owned(), descending: first_descending }
        }
    }

    /// `aria-sort` of `key`'s header.
    pub fn aria(&self, key: &str) -> &'static str {
        match (self.key == key, self.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }
}

/// A column header that sorts the list by `key` when clicked: `sort` is the current
/// order, `on_sort` gets the new one.
#[component]
pub fn SortHeader(
    #[prop(into)] label: String,
    key: &'static str,
    #[prop(into)] sort: Signal<Sort>,
    #[prop(into)] on_sort: Callback<Sort>,
    #[prop(optional)] first_descending: bool,
) -> impl IntoView {
    let hydrated = use_hydrated();
    view! {
        <th scope="col" aria-sort=move || sort.with(|s| s.aria(key))>
            <button type="button" class="sort-button" disabled=move || !hydrated.get() on:click=move |_| on_sort.run(sort.with_untracked(|s| s.clicked(key, first_descending)))>
                {label}
                <span class="sort-mark" aria-hidden="true">
                    {move || match sort.with(|s| s.aria(key)) {
                        "ascending" => view! { <Icon name=IconName::ChevronUp /> }.into_any(),
                        "descending" => view! { <Icon name=IconName::ChevronDown /> }.into_any(),
                        _ => view! { <Icon name=IconName::ChevronsUpDown /> }.into_any(),
                    }}
                </span>
            </button>
        </th>
    }
}

/// The "choose all on this page" checkbox of a header row.
#[component]
pub fn SelectAll(ids: Vec<String>, selected: RwSignal<HashSet<String>>) -> impl IntoView {
    let hydrated = use_hydrated();
    let ids = StoredValue::new(ids);
    let all = move || ids.with_value(|ids| !ids.is_empty() && selected.with(|s| ids.iter().all(|i| s.contains(i))));
    view! {
        <input type="checkbox" aria-label="Choose all on this page" disabled=move || !hydrated.get() prop:checked=all
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                ids.with_value(|ids| selected.update(|s| for id in ids { if on { s.insert(id.clone()); } else { s.remove(id); } }));
            } />
    }
}

/// The checkbox choosing one row; `name` says which in its accessible name.
#[component]
pub fn SelectRow(id: String, #[prop(into)] name: String, selected: RwSignal<HashSet<String>>) -> impl IntoView {
    let id = StoredValue::new(id);
    view! {
        <input type="checkbox" aria-label=format!("Choose {name}") prop:checked=move || id.with_value(|id| selected.with(|s| s.contains(id)))
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                id.with_value(|id| selected.update(|s| { if on { s.insert(id.clone()); } else { s.remove(id); } }));
            } />
    }
}

/// The actions on the chosen rows; shown only while some are chosen.
#[component]
pub fn BulkBar(selected: RwSignal<HashSet<String>>, children: Children) -> impl IntoView {
    let hydrated = use_hydrated();
    view! {
        <div class="bulk-bar card" role="group" aria-label="Bulk actions" class:hidden=move || selected.with(HashSet::is_empty)>
            <span data-testid="selected-count">{move || format!("{} selected", selected.with(HashSet::len))}</span>
            {children()}
            <button type="button" class="button button-quiet" disabled=move || !hydrated.get() on:click=move |_| selected.set(HashSet::new())>"Clear"</button>
        </div>
    }
}

/// The rows-per-page choices.
pub const PAGE_SIZES: [i64; 3] = [25, 50, 100];

/// "1–25 of 1,234" with previous and next and the page size. Changing the size goes
/// back to page 1. `id` makes the size select's id unique on the page.
#[component]
pub fn Pager(
    page: RwSignal<i64>,
    per_page: RwSignal<i64>,
    #[prop(into)] total: Signal<i64>,
    #[prop(into)] shown: Signal<i64>,
    #[prop(default = "per-page")] id: &'static str,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let first = move || (page.get() - 1) * per_page.get();
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="pager-range" data-testid="pager-range">{move || range_label(first(), shown.get(), total.get())}</span>
            <button type="button" class="button" disabled=move || { page.get() <= 1 || !hydrated.get() } on:click=move |_| page.update(|p| *p -= 1)>
                <Icon name=IconName::ChevronLeft />
                "Previous"
            </button>
            <button type="button" class="button" disabled=move || { first() + shown.get() >= total.get() || !hydrated.get() } on:click=move |_| page.update(|p| *p += 1)>
                "Next"
                <Icon name=IconName::ChevronRight />
            </button>
            <label for=id>"Per page"</label>
            <select id=id on:change=move |ev| { per_page.set(event_target_value(&ev).parse().unwrap_or(PAGE_SIZES[0])); page.set(1); }>
                {PAGE_SIZES.into_iter().map(|n| view! { <option value=n.to_string() selected=move || per_page.get() == n>{n.to_string()}</option> }).collect_view()}
            </select>
        </nav>
    }
}

/// A search box with the other filters beside it; on a phone those fold behind one
/// "Filters (n)" button that counts how many are in use.
#[component]
pub fn FilterBar(#[prop(into)] label: String, #[prop(into)] active: Signal<usize>, search: Children, children: Children) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <form class="filters card" role="search" aria-label=label on:submit=move |ev: leptos::ev::SubmitEvent| ev.prevent_default()>
            {search()}
            <button type="button" class="button filter-toggle" data-testid="filter-toggle" aria-controls="filter-more"
                aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                <Icon name=IconName::Filter />
                {move || match active.get() { 0 => "Filters".to_string(), n => format!("Filters ({n})") }}
            </button>
            <div id="filter-more" class="filter-more" class:open=move || open.get()>{children()}</div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_click_sorts_by_its_column_then_flips_the_order() {
        let s = Sort::default().clicked("name", false);
        assert_eq!((s.key.as_str(), s.descending, s.aria("name"), s.aria("score")), ("name", false, "ascending", "none"));
        let s = s.clicked("name", false);
        assert_eq!((s.descending, s.aria("name")), (true, "descending"));
        let s = s.clicked("score", true);
        assert_eq!((s.key.as_str(), s.descending), ("score", true), "a highest-first column starts descending");
    }
}
