//! A searchable picker (the WAI-ARIA combobox pattern with a list box): type to narrow
//! the choices, arrow keys to move, Enter to pick, Escape to close. Used for tags,
//! members and templates. With `allow_new` the typed text itself can be picked (a new
//! tag).

use leptos::prelude::*;

/// One choice: the value picked and the text shown and searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

impl Choice {
    /// A choice whose value is its label.
    pub fn same(text: impl Into<String>) -> Self {
        let text = text.into();
        Choice { value: text.clone(), label: text }
    }
}

/// The choices shown for `query`: those whose label contains it (ignoring case), the
/// ones that start with it first, at most `limit`.
pub fn matching(choices: &[Choice], query: &str, limit: usize) -> Vec<Choice> {
    let q = query.trim().to_lowercase();
    let mut found: Vec<(bool, &Choice)> = choices
        .iter()
        .filter_map(|c| {
            let l = c.label.to_lowercase();
            l.contains(&q).then(|| (!l.starts_with(&q), c))
        })
        .collect();
    // Stable: within each group the caller's order stays.
    found.sort_by_key(|(later, _)| *later);
    found.into_iter().take(limit).map(|(_, c)| c.clone()).collect()
}

/// How many choices the list shows at most.
const SHOWN: usize = 8;

/// The picker. `id` is the input's id (its `label` names it); `on_pick` gets the value.
/// With `selected` it picks one value and shows its label while not being typed in
/// (a searchable select: an assignee, a template); without, the box empties after each
/// pick (adding tags). `label_hidden` keeps the label for assistive tech only.
#[component]
pub fn Combobox(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into)] choices: Signal<Vec<Choice>>,
    #[prop(into)] on_pick: Callback<String>,
    #[prop(optional)] allow_new: bool,
    #[prop(optional, into)] selected: Option<Signal<String>>,
    #[prop(optional)] label_hidden: bool,
    #[prop(optional)] testid: Option<&'static str>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional)] maxlength: Option<u32>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    // Whether the person is typing (the box shows the query) or not (the chosen label).
    let editing = RwSignal::new(false);
    let selected_label = move || {
        selected.map(|v| {
            let v = v.get();
            choices.with(|c| c.iter().find(|c| c.value == v).map(|c| c.label.clone()).unwrap_or_default())
        })
    };
    let input = NodeRef::<leptos::html::Input>::new();
    let open = RwSignal::new(false);
    let active = RwSignal::new(0usize);
    let list_id = format!("{id}-list");
    let shown = Memo::new(move |_| choices.with(|c| matching(c, &query.get(), SHOWN)));
    // The typed text as an extra last option when new values are allowed and it is not
    // already one of the choices.
    let new_option = move || {
        let q = query.get().trim().to_owned();
        (allow_new && !q.is_empty() && !choices.with(|c| c.iter().any(|c| c.label.eq_ignore_ascii_case(&q)))).then_some(q)
    };
    let count = move || shown.with(Vec::len) + usize::from(new_option().is_some());
    let pick = move |value: String| {
        on_pick.run(value);
        query.set(String::new());
        editing.set(false);
        open.set(false);
        active.set(0);
    };
    let pick_active = move || {
        let i = active.get_untracked();
        let from_list = shown.with_untracked(|s| s.get(i).map(|c| c.value.clone()));
        if let Some(v) = from_list.or_else(|| new_option().filter(|_| i == shown.with_untracked(Vec::len))) {
            pick(v);
        }
    };
    let option_id = {
        let list_id = list_id.clone();
        move |i: usize| format!("{list_id}-{i}")
    };
    let option_id2 = option_id.clone();
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" => {
            ev.prevent_default();
            open.set(true);
            let n = count();
            if n > 0 {
                active.update(|a| *a = (*a + 1).min(n - 1));
            }
        }
        "ArrowUp" => {
            ev.prevent_default();
            active.update(|a| *a = a.saturating_sub(1));
        }
        "Enter" if open.get_untracked() && count() > 0 => {
            ev.prevent_default();
            pick_active();
        }
        "Escape" if open.get_untracked() => {
            ev.prevent_default();
            ev.stop_propagation();
            open.set(false);
        }
        _ => {}
    };
    let expanded = move || open.get() && count() > 0;
    view! {
        <div class="combobox">
            <label for=id.clone() class:sr-only=label_hidden>{label}</label>
            <input
                id=id
                node_ref=input
                data-testid=testid
                type="text"
                role="combobox"
                autocomplete="off"
                aria-autocomplete="list"
                aria-controls=list_id.clone()
                aria-expanded=move || expanded().to_string()
                aria-activedescendant=move || expanded().then(|| option_id(active.get()))
                placeholder=placeholder
                maxlength=maxlength
                disabled=move || disabled.get()
                prop:value=move || if editing.get() { query.get() } else { selected_label().unwrap_or_else(|| query.get()) }
                on:input=move |ev| { query.set(event_target_value(&ev)); editing.set(true); open.set(true); active.set(0); }
                on:focus=move |_| {
                    open.set(true);
                    // A chosen label is selected, so typing replaces it.
                    if let Some(el) = input.get_untracked() {
                        el.select();
                    }
                }
                // Later than a click on an option (which uses mousedown), so the click lands.
                on:blur=move |_| {
                    open.set(false);
                    // A single pick goes back to showing its choice; a half-typed tag stays.
                    if selected.is_some() {
                        editing.set(false);
                        query.set(String::new());
                    }
                }
                on:keydown=on_key
            />
            <ul class="combobox-list" id=list_id role="listbox" aria-label="Choices" hidden=move || !expanded()>
                {move || {
                    let option_id = option_id2.clone();
                    let mut items: Vec<AnyView> = shown.get().into_iter().enumerate().map(|(i, c)| {
                        let v = c.value.clone();
                        view! {
                            <li role="option" id=option_id(i) class:active=move || active.get() == i aria-selected=move || (active.get() == i).to_string()
                                on:mousedown=move |ev| { ev.prevent_default(); pick(v.clone()); }>{c.label.clone()}</li>
                        }.into_any()
                    }).collect();
                    if let Some(q) = new_option() {
                        let i = items.len();
                        let v = q.clone();
                        items.push(view! {
                            <li role="option" id=option_id(i) class="combobox-new" class:active=move || active.get() == i aria-selected=move || (active.get() == i).to_string()
                                on:mousedown=move |ev| { ev.prevent_default(); pick(v.clone()); }>{format!("Add \u{201c}{q}\u{201d}")}</li>
                        }.into_any());
                    }
                    items
                }}
            </ul>
        </div>
    }
}

/// Tags as removable chips with a picker to add more: an existing tag, or (typed and
/// Enter) a new one. `known` are the org's tags.
#[component]
pub fn TagPicker(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    tags: RwSignal<Vec<String>>,
    #[prop(into)] known: Signal<Vec<String>>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    // Tags already on the list are not offered again.
    let choices = Signal::derive(move || {
        let chosen = tags.get();
        known.get().into_iter().filter(|k| !chosen.iter().any(|c| c.eq_ignore_ascii_case(k))).map(Choice::same).collect::<Vec<_>>()
    });
    let add = move |t: String| {
        let t = t.trim().to_owned();
        if !t.is_empty() {
            tags.update(|list| {
                if !list.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
                    list.push(t)
                }
            });
        }
    };
    view! {
        <div class="tag-picker">
            <ul class="tag-chips" aria-label=format!("{label} chosen") data-testid="chosen-tags">
                <For each=move || tags.get() key=|t| t.clone() let:t>
                    <li class="tag">
                        {t.clone()}
                        <button type="button" class="chip-remove" aria-label=format!("Remove {t}") disabled=move || disabled.get()
                            on:click={ let t = t.clone(); move |_| tags.update(|l| l.retain(|x| *x != t)) }>
                            <crate::components::icons::Icon name=crate::components::icons::IconName::Close />
                        </button>
                    </li>
                </For>
            </ul>
            <Combobox id label choices on_pick=add allow_new=true maxlength=40 placeholder="Type to find or add a tag" disabled />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(c: &[Choice]) -> Vec<&str> {
        c.iter().map(|c| c.label.as_str()).collect()
    }

    #[test]
    fn typing_narrows_the_choices_with_those_starting_with_it_first() {
        let all: Vec<Choice> = ["Lost lead", "vip", "VIP gold", "new"].into_iter().map(Choice::same).collect();
        assert_eq!(labels(&matching(&all, "vi", 8)), ["vip", "VIP gold"]);
        assert_eq!(labels(&matching(&all, "l", 8)), ["Lost lead", "VIP gold"], "a label starting with the text comes first");
        assert_eq!(matching(&all, "", 2).len(), 2, "the list is capped");
        assert!(matching(&all, "zzz", 8).is_empty());
    }
}
