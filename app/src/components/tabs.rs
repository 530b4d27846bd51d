//! Tabs that switch a panel in place (the WAI-ARIA tabs pattern: one tab in the Tab
//! order, arrow keys, Home and End move between tabs). Navigation between pages, such as
//! the settings sections, stays a list of links.

use leptos::prelude::*;

/// The tab strip. `tabs` are `(key, label)`; `selected` holds the chosen key. `id`
/// prefixes the tabs' and panels' ids, so [`TabPanel`]s with the same `id` pair up.
/// With `one_panel` every tab controls one [`SharedTabPanel`] whose content follows the
/// choice (a report over another period, say).
#[component]
pub fn Tabs(
    id: &'static str,
    #[prop(into)] label: String,
    tabs: Vec<(&'static str, String)>,
    selected: RwSignal<String>,
    #[prop(optional)] one_panel: bool,
) -> impl IntoView {
    let keys: Vec<&'static str> = tabs.iter().map(|(k, _)| *k).collect();
    let keys = StoredValue::new(keys);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let step: i64 = match ev.key().as_str() {
            "ArrowRight" => 1,
            "ArrowLeft" => -1,
            "Home" => i64::MIN,
            "End" => i64::MAX,
            _ => return,
        };
        ev.prevent_default();
        let next = keys.with_value(|k| {
            let at = k.iter().position(|x| selected.with_untracked(|s| s == x)).unwrap_or(0) as i64;
            let n = k.len() as i64;
            let i = match step {
                i64::MIN => 0,
                i64::MAX => n - 1,
                s => (at + s).rem_euclid(n),
            };
            k[i as usize]
        });
        selected.set(next.to_owned());
        #[cfg(feature = "hydrate")]
        if let Some(el) = document().get_element_by_id(&format!("{id}-tab-{next}")) {
            use wasm_bindgen::JsCast;
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };
    view! {
        <div class="kit-tabs" role="tablist" aria-label=label on:keydown=on_key>
            {tabs.into_iter().map(|(key, text)| {
                let is = move || selected.with(|s| s == key);
                view! {
                    <button type="button" role="tab" class="kit-tab" id=format!("{id}-tab-{key}") aria-controls=if one_panel { format!("{id}-panel") } else { format!("{id}-panel-{key}") }
                        aria-selected=move || is().to_string() tabindex=move || if is() { "0" } else { "-1" }
                        on:click=move |_| selected.set(key.to_owned())>{text}</button>
                }
            }).collect_view()}
        </div>
    }
}

/// The panel of tab `key`, shown while that tab is chosen.
#[component]
pub fn TabPanel(id: &'static str, key: &'static str, selected: RwSignal<String>, children: ChildrenFn) -> impl IntoView {
    view! {
        <div role="tabpanel" id=format!("{id}-panel-{key}") aria-labelledby=format!("{id}-tab-{key}") tabindex="0" hidden=move || selected.with(|s| s != key)>
            {children()}
        </div>
    }
}

/// The one panel of tabs made with `one_panel`, labelled by the chosen tab.
#[component]
pub fn SharedTabPanel(id: &'static str, selected: RwSignal<String>, children: Children) -> impl IntoView {
    view! {
        <div role="tabpanel" id=format!("{id}-panel") aria-labelledby=move || format!("{id}-tab-{}", selected.get()) tabindex="0">
            {children()}
        </div>
    }
}
