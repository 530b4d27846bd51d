//! A phone-shaped frame around a WhatsApp chat: the chat's name on top, the chat
//! wallpaper with its bubbles, and an optional composer at the bottom. The sandbox phone
//! uses it, and so will the template builder's and the campaign's previews.

use leptos::prelude::*;

/// The frame: `head` is the top bar's content (the business's name as the customer sees
/// it), `children` the chat, `footer` an optional composer.
#[component]
pub fn PhoneFrame(#[prop(into)] label: String, head: Children, children: Children, #[prop(optional)] footer: Option<Children>) -> impl IntoView {
    view! {
        <section class="phone" aria-label=label>
            <header class="phone-header">{head()}</header>
            <div class="phone-body">{children()}</div>
            {footer.map(|f| f())}
        </section>
    }
}
