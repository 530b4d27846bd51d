//! Modal dialogs, drawers and the confirm dialog.
//!
//! They are the browser's own `<dialog>` opened with `showModal()`: the rest of the page
//! becomes inert (focus cannot leave the dialog, screen readers see only it), Escape
//! closes it, and focus goes back to whatever opened it. A click on the backdrop closes
//! it too. Their content is rendered only while open, so a form inside starts afresh.

use crate::components::button::{Button, IconButton, Variant};
use crate::components::icons::IconName;
use leptos::prelude::*;

/// Opens and closes the `<dialog>` behind `node` as `open` changes.
fn follow_open(node: NodeRef<leptos::html::Dialog>, open: RwSignal<bool>) {
    Effect::new(move |_| {
        let on = open.get();
        if let Some(d) = node.get() {
            if on && !d.open() {
                let _ = d.show_modal();
            } else if !on && d.open() {
                d.close();
            }
        }
    });
}

/// Keeps Tab inside the dialog: from its last control to its first and back. (A modal
/// `<dialog>` already makes the page inert, but Tab past its end would leave for the
/// browser's own controls.)
#[cfg(feature = "hydrate")]
fn trap_tab(ev: &leptos::ev::KeyboardEvent, node: NodeRef<leptos::html::Dialog>) {
    use wasm_bindgen::JsCast;
    if ev.key() != "Tab" {
        return;
    }
    let Some(d) = node.get_untracked() else { return };
    let Ok(list) = d.query_selector_all("button:not([disabled]), [href], input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])") else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.dyn_into().ok()).collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
    let active = document().active_element();
    let at = |e: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a.is_same_node(Some(e)));
    if ev.shift_key() && at(first) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && at(last) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

/// The frame shared by [`Modal`] and [`Drawer`].
#[component]
fn DialogFrame(open: RwSignal<bool>, id: String, title: String, class: &'static str, children: ChildrenFn) -> impl IntoView {
    let node = NodeRef::<leptos::html::Dialog>::new();
    follow_open(node, open);
    let (title_id, labelled_by) = (format!("{id}-title"), format!("{id}-title"));
    let children = StoredValue::new(children);
    view! {
        <dialog
            node_ref=node
            id=id
            class=class
            aria-labelledby=labelled_by
            // Escape fires `cancel` and then `close`; `close` also follows `close()`.
            on:close=move |_| open.set(false)
            on:keydown=move |ev| {
                #[cfg(feature = "hydrate")]
                trap_tab(&ev, node);
                #[cfg(not(feature = "hydrate"))]
                let _ = ev;
            }
            // A click whose target is the dialog itself landed on the backdrop (the
            // content fills the dialog's box).
            on:click=move |ev| {
                #[cfg(feature = "hydrate")]
                {
                    use wasm_bindgen::JsCast;
                    let on_backdrop = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlDialogElement>().ok()).is_some();
                    if on_backdrop {
                        open.set(false);
                    }
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = ev;
            }
        >
            <div class="dialog-box">
                <header class="dialog-head">
                    <h2 id=title_id>{title}</h2>
                    <IconButton icon=IconName::Close label="Close" on_click=move |_| open.set(false) />
                </header>
                <div class="dialog-body">
                    <Show when=move || open.get()>{children.with_value(|c| c())}</Show>
                </div>
            </div>
        </dialog>
    }
}

/// A centred modal dialog titled `title`; `id` must be unique on the page.
#[component]
pub fn Modal(open: RwSignal<bool>, #[prop(into)] id: String, #[prop(into)] title: String, children: ChildrenFn) -> impl IntoView {
    view! { <DialogFrame open id title class="modal-dialog" children /> }
}

/// A panel that slides in from the right edge (full width on a phone).
#[component]
pub fn Drawer(open: RwSignal<bool>, #[prop(into)] id: String, #[prop(into)] title: String, children: ChildrenFn) -> impl IntoView {
    view! { <DialogFrame open id title class="drawer" children /> }
}

/// Asks before something that cannot be undone. Cancel has the focus when it opens, so
/// an accidental Enter does nothing harmful.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    #[prop(into)] id: String,
    #[prop(into)] title: String,
    #[prop(into)] text: String,
    #[prop(into)] confirm_label: String,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let text = StoredValue::new(text);
    let confirm_label = StoredValue::new(confirm_label);
    view! {
        <Modal open id title>
            <p>{text.get_value()}</p>
            <div class="dialog-actions">
                <button type="button" class="button button-quiet" autofocus on:click=move |_| open.set(false)>"Cancel"</button>
                <Button variant=Variant::Danger on_click=move |_| { open.set(false); on_confirm.run(()); }>{confirm_label.get_value()}</Button>
            </div>
        </Modal>
    }
}
