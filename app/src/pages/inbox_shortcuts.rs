//! The inbox's keyboard shortcuts (issue 13), as in Chatwoot and Gmail: `j`/`k` the next
//! or previous conversation, `e` resolve or reopen, `a` assign to me, `/` canned
//! responses, `?` this list. They act through the page's own controls (found by their
//! `data-shortcut`), so a shortcut can never do what the visible button would not, and
//! they are off while typing in a field.

use crate::components::overlay::Modal;
use leptos::prelude::*;

const KEYS: &[(&str, &str)] = &[
    ("j", "Next conversation"),
    ("k", "Previous conversation"),
    ("e", "Resolve or reopen the conversation"),
    ("a", "Assign the conversation to me"),
    ("/", "Canned responses"),
    ("?", "Show or hide these shortcuts"),
    ("Esc", "Close this list"),
];

/// Listens for the shortcuts while the inbox is open and shows the list on `?`.
#[component]
pub fn InboxShortcuts() -> impl IntoView {
    let help = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| on_key(&ev, help));
        on_cleanup(move || handle.remove());
    }
    view! {
        <Modal open=help id="shortcuts" title="Keyboard shortcuts">
            <dl class="shortcut-list" data-testid="shortcuts">
                {KEYS.iter().map(|(k, what)| view! { <dt><kbd>{*k}</kbd></dt><dd>{*what}</dd> }).collect_view()}
            </dl>
        </Modal>
    }
}

#[cfg(feature = "hydrate")]
fn on_key(ev: &web_sys::KeyboardEvent, help: RwSignal<bool>) {
    if ev.key() == "Escape" {
        help.set(false);
        return;
    }
    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || typing() {
        return;
    }
    let handled = match ev.key().as_str() {
        "j" => step(true),
        "k" => step(false),
        "e" => click("[data-shortcut=resolve]"),
        "a" => click("[data-shortcut=assign-me]"),
        "/" => click("[data-shortcut=canned]"),
        "?" => {
            help.update(|h| *h = !*h);
            true
        }
        _ => false,
    };
    if handled {
        ev.prevent_default();
    }
}

/// Whether the focus is in a field, where keys are text.
#[cfg(feature = "hydrate")]
fn typing() -> bool {
    document()
        .active_element()
        .is_some_and(|e| matches!(e.tag_name().to_ascii_lowercase().as_str(), "input" | "textarea" | "select") || e.has_attribute("contenteditable"))
}

/// Clicks the enabled control matching `selector`; false when there is none.
#[cfg(feature = "hydrate")]
fn click(selector: &str) -> bool {
    use wasm_bindgen::JsCast;
    match document().query_selector(selector).ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        Some(el) if !el.has_attribute("disabled") => {
            el.click();
            true
        }
        _ => false,
    }
}

/// Opens the conversation after (or before) the selected one in the list, or the first.
#[cfg(feature = "hydrate")]
fn step(forward: bool) -> bool {
    let doc = document();
    let current = doc.query_selector("[data-testid=conversation].selected").ok().flatten();
    let target = match current {
        Some(row) if forward => row.next_element_sibling(),
        Some(row) => row.previous_element_sibling(),
        None => doc.query_selector("[data-testid=conversation]").ok().flatten(),
    };
    let Some(link) = target.and_then(|row| row.query_selector("a.conversation-link").ok().flatten()) else { return false };
    use wasm_bindgen::JsCast;
    match link.dyn_into::<web_sys::HtmlElement>() {
        Ok(a) => {
            a.click();
            true
        }
        Err(_) => false,
    }
}
