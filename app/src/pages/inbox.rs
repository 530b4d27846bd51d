//! The team inbox (INBOX-1…5): the conversation list (tabs, search, paging), the chat
//! (bubbles, day separators, system lines, notes, every message type, status ticks), the
//! composer (Enter sends, Shift+Enter breaks the line, "/" canned responses, notes,
//! templates when the window is closed), assignment, resolve and take over, and the
//! contact panel. Three panels on wide screens, two on medium, one on phones.

use crate::api::contacts::AddContactNote;
use crate::api::inbox::{
    canned_responses, inbox_chat, inbox_list, ChatView, InboxAssign, InboxMarkUnread, InboxNote, InboxResolve, InboxSend, InboxSendTemplate, InboxSetHandler,
};
use crate::components::feedback::StatusBadge;
use crate::components::format::{day_of, initials, now_ms, relative, time_of};
use crate::components::forms::ErrorNotice;
use crate::components::hydration::{adopt_early_input, use_hydrated};
use crate::components::icons::{Icon, IconName};
use crate::components::live::Live;
use crate::components::picker::{Choice, Combobox};
use crate::pages::contacts::TagChips;
use domain::dto::{ContactNoteView, ContactView, InboxItem, MessageView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

/// Whether the page has hydrated (submit buttons wait for it).
#[derive(Clone, Copy)]
struct PageHydrated(ReadSignal<bool>);

fn page_hydrated() -> ReadSignal<bool> {
    expect_context::<PageHydrated>().0
}

/// The inbox page (`/inbox` and `/inbox/{conversation}`).
#[component]
pub fn InboxPage() -> impl IntoView {
    let params = use_params_map();
    let selected = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let live = Live::get();
    let tab = RwSignal::new("all".to_string());
    let search = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let extra: RwSignal<Vec<InboxItem>> = RwSignal::new(Vec::new());
    let next: RwSignal<Option<String>> = RwSignal::new(None);
    let list = Resource::new(move || (tab.get(), search.get(), live.tick.get()), |(t, s, _)| inbox_list(t, s, String::new()));
    let checked: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    Effect::new(move |_| {
        if let Some(Ok(page)) = list.get() {
            extra.set(Vec::new());
            next.set(page.next_cursor.clone());
        }
    });
    let load_more = move |_| {
        let cursor = next.get_untracked().unwrap_or_default();
        leptos::task::spawn_local(async move {
            if let Ok(page) = inbox_list(tab.get_untracked(), search.get_untracked(), cursor).await {
                extra.update(|e| e.extend(page.items));
                next.set(page.next_cursor);
            }
        });
    };
    let search_box = NodeRef::<leptos::html::Input>::new();
    adopt_early_input(search_box, move |v| typed.set(v));
    let hydrated = use_hydrated();
    // One signal for the whole page: components rendered inside a resource's Suspend
    // read it from context (it is created outside, during hydration).
    provide_context(PageHydrated(hydrated));
    view! {
        <Title text="Inbox" />
        <crate::pages::inbox_shortcuts::InboxShortcuts />
        <div class="inbox" class:has-chat=move || !selected.get().is_empty()>
            <section class="inbox-list" aria-label="Conversations">
                <h1 class="sr-only">"Inbox"</h1>
                <div class="tabs" role="tablist" aria-label="Which conversations">
                    {[("all", "All"), ("mine", "Mine"), ("unassigned", "Unassigned"), ("resolved", "Resolved")].into_iter().map(|(key, label)| view! {
                        <button type="button" role="tab" class="tab" aria-selected=move || (tab.get() == key).to_string()
                            disabled=move || !hydrated.get()
                            on:click=move |_| { tab.set(key.to_string()); checked.set(Vec::new()); }>{label}</button>
                    }).collect_view()}
                </div>
                <form class="inbox-search" role="search" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); search.set(typed.get_untracked()); }>
                    <label for="inbox-search" class="sr-only">"Search conversations"</label>
                    <input id="inbox-search" node_ref=search_box type="search" placeholder="Search name, phone or message" maxlength="100"
                        on:input=move |ev| typed.set(event_target_value(&ev)) />
                </form>
                <BulkAssign checked />
                <Transition fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(page) => {
                                let now = now_ms();
                                let rows = move || page.items.clone().into_iter().chain(extra.get()).collect::<Vec<_>>();
                                view! {
                                    <ul class="conversation-list" data-testid="conversation-list">
                                        {move || {
                                            let rows = rows();
                                            if rows.is_empty() {
                                                return view! {
                                                    <li class="empty">
                                                        <crate::components::feedback::EmptyState icon=crate::components::icons::IconName::Inbox title="No conversations here"
                                                            text="New WhatsApp messages land here as they arrive. Try the sandbox to send yourself one." />
                                                    </li>
                                                }.into_any();
                                            }
                                            rows.into_iter().map(|item| view! { <ConversationRow item now selected checked /> }).collect_view().into_any()
                                        }}
                                    </ul>
                                }.into_any()
                            }
                            Err(e) => view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                        }
                    })}
                </Transition>
                <Show when=move || next.get().is_some()>
                    <button type="button" class="button load-more" on:click=load_more>"Load more"</button>
                </Show>
            </section>
            {move || {
                let id = selected.get();
                if id.is_empty() {
                    view! {
                        <section class="inbox-chat inbox-empty">
                            <crate::components::feedback::EmptyState icon=crate::components::icons::IconName::Canned title="Pick a conversation" text="Or press j and k to move through the list, ? for every shortcut." />
                        </section>
                    }.into_any()
                } else {
                    view! { <Chat id /> }.into_any()
                }
            }}
        </div>
    }
}

/// One row of the list.
#[component]
fn ConversationRow(item: InboxItem, now: i64, selected: Memo<String>, checked: RwSignal<Vec<String>>) -> impl IntoView {
    let id = item.conversation_id.clone();
    let href = format!("/inbox/{id}");
    let is_selected = {
        let id = id.clone();
        move || selected.get() == id
    };
    let check_id = id.clone();
    let is_checked = {
        let id = id.clone();
        move || checked.with(|c| c.contains(&id))
    };
    let when = item.last_message_at.map(|t| relative(t, now)).unwrap_or_default();
    let window = item.window.as_str();
    view! {
        <li class="conversation" class:selected=is_selected data-testid="conversation" data-unread=item.unread_count.to_string()>
            <input type="checkbox" class="row-check" aria-label=format!("Select {}", item.display_name)
                prop:checked=is_checked
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    let id = check_id.clone();
                    checked.update(|c| if on { if !c.contains(&id) { c.push(id) } } else { c.retain(|x| *x != id) });
                } />
            <A href=href attr:class="conversation-link">
                <span class=format!("avatar window-{window}") title=format!("24-hour window: {window}")>{initials(&item.display_name)}</span>
                <span class="conversation-main">
                    <span class="conversation-top">
                        <strong class="conversation-name">{item.display_name.clone()}</strong>
                        <span class="muted conversation-time">{when}</span>
                    </span>
                    <span class="conversation-preview">{item.preview.clone()}</span>
                    <span class="conversation-meta">
                        <span class=format!("window-dot window-{window}") aria-label=format!("Window {window}")></span>
                        {item.assignee_name.clone().map(|n| view! { <span class="muted">{format!("→ {n}")}</span> })}
                        {(item.unread_count > 0).then(|| view! { <span class="badge" aria-label=format!("{} unread", item.unread_count)>{item.unread_count}</span> })}
                    </span>
                </span>
            </A>
        </li>
    }
}

/// Assigns the checked conversations at once.
#[component]
fn BulkAssign(checked: RwSignal<Vec<String>>) -> impl IntoView {
    let assign = ServerAction::<InboxAssign>::new();
    let members = LocalResource::new(crate::api::inbox::inbox_members);
    let to = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = assign.value().get() {
            checked.set(Vec::new());
        }
    });
    view! {
        <Show when=move || !checked.with(Vec::is_empty)>
            <form class="bulk-assign" aria-label="Assign selected" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                assign.dispatch(InboxAssign { conversation_ids: checked.get_untracked().join(","), user_id: to.get_untracked() });
            }>
                <span>{move || format!("{} selected", checked.with(Vec::len))}</span>
                <label for="bulk-assignee" class="sr-only">"Assign to"</label>
                <select id="bulk-assignee" on:change=move |ev| to.set(event_target_value(&ev))>
                    <option value="">"Nobody"</option>
                    {move || members.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
                <button type="submit" class="button">"Assign"</button>
            </form>
        </Show>
    }
}

/// The chat with one conversation, with its header, messages, composer and contact panel.
#[component]
fn Chat(id: String) -> impl IntoView {
    let live = Live::get();
    let send = ServerAction::<InboxSend>::new();
    let note = ServerAction::<InboxNote>::new();
    let template = ServerAction::<InboxSendTemplate>::new();
    let assign = ServerAction::<InboxAssign>::new();
    let resolve = ServerAction::<InboxResolve>::new();
    let unread = ServerAction::<InboxMarkUnread>::new();
    let handler = ServerAction::<InboxSetHandler>::new();
    let cid = id.clone();
    let chat = Resource::new(
        move || {
            (
                live.tick.get(),
                send.version().get(),
                note.version().get(),
                template.version().get(),
                assign.version().get(),
                resolve.version().get(),
                handler.version().get(),
            )
        },
        move |_| inbox_chat(cid.clone()),
    );
    let show_contact = RwSignal::new(false);
    view! {
        <section class="inbox-chat" aria-label="Chat">
            <Transition fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                {move || Suspend::new(async move {
                    match chat.await {
                        Ok(c) => view! { <ChatBody c=c.clone() send note template assign resolve unread handler show_contact /> }.into_any(),
                        Err(e) => view! { <p role="alert">{e.message.clone()} " (" {e.code.as_str()} ")"</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
fn ChatBody(
    c: ChatView,
    send: ServerAction<InboxSend>,
    note: ServerAction<InboxNote>,
    template: ServerAction<InboxSendTemplate>,
    assign: ServerAction<InboxAssign>,
    resolve: ServerAction<InboxResolve>,
    unread: ServerAction<InboxMarkUnread>,
    handler: ServerAction<InboxSetHandler>,
    show_contact: RwSignal<bool>,
) -> impl IntoView {
    let hydrated = page_hydrated();
    let item = c.item.clone();
    let id = item.conversation_id.clone();
    let open = item.window_expires_at.is_some_and(|w| w > now_ms());
    let resolved = item.status == "resolved";
    let bot = item.handled_by != "human";
    let (id1, id1b, id2, id3, id4) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    let mut last_day = String::new();
    let bubbles: Vec<_> = c
        .messages
        .iter()
        .cloned()
        .map(|m| {
            let day = day_of(m.at);
            let separator = (day != last_day).then(|| view! { <li class="day-separator">{day.clone()}</li> });
            last_day = day;
            view! { {separator} <Bubble m /> }
        })
        .collect();
    view! {
        <header class="chat-header">
            <A href="/inbox" attr:class="button back-link" attr:aria-label="Back to the list"><Icon name=IconName::Back /></A>
            <div class="chat-title">
                <h2 data-testid="chat-name">{item.display_name.clone()}</h2>
                <span class="muted">{item.phone.clone().unwrap_or_default()}</span>
                <span class=format!("window-badge window-{}", item.window.as_str())>{if open { "Window open" } else { "Window closed" }}</span>
                {bot.then(|| view! { <span class="badge bot-badge">"Bot is handling this chat"</span> })}
            </div>
            <div class="chat-actions">
                {
                    // A searchable list of the members (with "Unassigned" first): teams of fifty scroll no select.
                    let choices: Vec<Choice> = std::iter::once(Choice { value: String::new(), label: "Unassigned".into() })
                        .chain(c.members.iter().map(|(uid, name)| Choice { value: uid.clone(), label: name.clone() }))
                        .collect();
                    let current = item.assignee_id.clone().unwrap_or_default();
                    let can_act = c.can_act;
                    view! {
                        <Combobox id="chat-assignee" label="Assigned to" label_hidden=true testid="assignee" choices=Signal::stored(choices)
                            selected=Signal::stored(current) disabled=Signal::derive(move || !hydrated.get() || !can_act)
                            on_pick=move |uid: String| { assign.dispatch(InboxAssign { conversation_ids: id1.clone(), user_id: uid }); } />
                    }
                }
                {(item.assignee_id.as_deref() != Some(c.me.as_str())).then(|| {
                    let (id, me) = (id1b.clone(), c.me.clone());
                    view! {
                        <button type="button" class="button" data-shortcut="assign-me" title="Assign to me (a)" disabled=move || !hydrated.get() || !c.can_act
                            on:click=move |_| { assign.dispatch(InboxAssign { conversation_ids: id.clone(), user_id: me.clone() }); }>"Assign to me"</button>
                    }
                })}
                <button type="button" class="button" data-shortcut="resolve" title=if resolved { "Reopen (e)" } else { "Resolve (e)" } disabled=move || !hydrated.get() || !c.can_act
                    on:click=move |_| { resolve.dispatch(InboxResolve { conversation_id: id2.clone(), resolved: !resolved }); }>{if resolved { "Reopen" } else { "Resolve" }}</button>
                <button type="button" class="button" disabled=move || !hydrated.get() || !c.can_act
                    on:click=move |_| { unread.dispatch(InboxMarkUnread { conversation_id: id3.clone() }); }>"Mark unread"</button>
                <button type="button" class="button" disabled=move || !hydrated.get() || !c.can_act
                    on:click=move |_| { handler.dispatch(InboxSetHandler { conversation_id: id4.clone(), handled_by: if bot { "human".into() } else { "ai".into() } }); }>{if bot { "Take over" } else { "Return to bot" }}</button>
                <button type="button" class="button contact-toggle" aria-expanded=move || show_contact.get().to_string() on:click=move |_| show_contact.update(|s| *s = !*s)>"Contact"</button>
            </div>
        </header>
        <div class="chat-columns">
            <div class="chat-main">
                <ol class="chat-messages" aria-live="polite" data-testid="chat-messages">{bubbles}</ol>
                <ErrorNotice result=assign.value() />
                <ErrorNotice result=resolve.value() />
                <Composer id=id.clone() open can_act=c.can_act contact_name=item.display_name.clone() agent_name=c.my_name.clone() window_expires_at=item.window_expires_at send note template />
            </div>
            <ContactPanel item=c.item.clone() others=c.others.clone() contact=c.contact.clone() notes=c.contact_notes.clone() can_act=c.can_act open=show_contact />
        </div>
    }
}

/// A status tick: a clock pending, ✓ sent, ✓✓ delivered, blue ✓✓ read, an alert failed
/// (with why); SVG, named by its label.
fn ticks(m: &MessageView) -> impl IntoView {
    let (symbol, label) = match m.status.as_str() {
        "pending" => (Some(IconName::Pending), "Pending".to_string()),
        "sent" => (Some(IconName::Sent), "Sent".to_string()),
        "delivered" => (Some(IconName::Delivered), "Delivered".to_string()),
        "read" | "played" => (Some(IconName::Delivered), "Read".to_string()),
        "failed" => (
            Some(IconName::Alert),
            format!(
                "Failed: {}{}",
                m.error_title.clone().unwrap_or_else(|| "unknown reason".into()),
                m.error_code.map(|c| format!(" ({c})")).unwrap_or_default()
            ),
        ),
        _ => (None, String::new()),
    };
    view! { <span class=format!("tick tick-{}", m.status) title=label.clone() role="img" aria-label=label data-testid="tick">{symbol.map(|name| view! { <Icon name /> })}</span> }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |acc, k| acc.get(*k)).and_then(Value::as_str)
}

/// One message, rendered by type.
#[component]
fn Bubble(m: MessageView) -> impl IntoView {
    if m.direction == "system" {
        return view! { <li class="system-line" data-direction="system">{m.text.clone().unwrap_or_default()}</li> }.into_any();
    }
    let c = m.content.clone();
    let media_src = m.media_id.clone().map(|id| format!("/media/{id}"));
    let body = match m.kind.as_str() {
        "image" | "sticker" => {
            let caption = m.text.clone().unwrap_or_default();
            match media_src.clone() {
                Some(src) => view! { <a href=src.clone() target="_blank" rel="noopener" class="lightbox-link"><img class="chat-media" src=src.clone() alt=if caption.is_empty() { "Image".to_string() } else { caption.clone() } loading="lazy" /></a> <p>{caption}</p> }.into_any(),
                None => view! { <p>{format!("📷 {caption}")}</p> }.into_any(),
            }
        }
        "video" => match media_src.clone() {
            Some(src) => {
                view! { <video class="chat-media" src=src controls=true preload="metadata"></video> <p>{m.text.clone().unwrap_or_default()}</p> }.into_any()
            }
            None => view! { <p>{format!("🎬 {}", m.text.clone().unwrap_or_default())}</p> }.into_any(),
        },
        "audio" => match media_src.clone() {
            Some(src) => view! { <audio src=src controls=true preload="metadata"></audio> }.into_any(),
            None => view! { <p>"🎤 Voice message"</p> }.into_any(),
        },
        "document" => {
            let name = s(&c, &["document", "filename"]).unwrap_or("Document").to_string();
            view! { <a class="document" href=media_src.clone().unwrap_or_default() target="_blank" rel="noopener">{format!("📄 {name}")}</a> }.into_any()
        }
        "location" => {
            let loc = &c["location"];
            let (lat, lon) = (loc["latitude"].as_f64().unwrap_or_default(), loc["longitude"].as_f64().unwrap_or_default());
            let label = s(&c, &["location", "name"]).or(s(&c, &["location", "address"])).unwrap_or("Location").to_string();
            view! { <a href=format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}") target="_blank" rel="noopener noreferrer">{format!("📍 {label}")}</a> }.into_any()
        }
        "contacts" => view! { <p>{format!("👤 {}", m.text.clone().unwrap_or_default())}</p> }.into_any(),
        "reaction" => view! { <p class="reaction">{format!("Reacted {}", s(&c, &["reaction", "emoji"]).unwrap_or_default())}</p> }.into_any(),
        "template" => view! { <div class="template-card"><p class="muted">"Template"</p><p>{m.text.clone().unwrap_or_default()}</p></div> }.into_any(),
        _ => view! { <p class="message-text">{m.text.clone().unwrap_or_default()}</p> }.into_any(),
    };
    let class = match m.direction.as_str() {
        "inbound" => "bubble bubble-in",
        "note" => "bubble bubble-note",
        _ => "bubble bubble-out",
    };
    let outbound = m.direction == "outbound";
    view! {
        <li class=class data-direction=m.direction.clone()>
            {(m.direction == "note").then(|| view! { <span class="note-label">"Internal note"</span> })}
            {body}
            <span class="bubble-meta">
                {m.author_name.clone().map(|n| view! { <span class="muted author">{n}</span> })}
                <span class="muted">{time_of(m.at)}</span>
                {outbound.then(|| ticks(&m))}
            </span>
        </li>
    }
    .into_any()
}

/// The composer: text (Enter sends, Shift+Enter breaks the line), "/" canned responses,
/// internal notes, and the template picker when the 24-hour window is closed.
#[component]
#[allow(clippy::too_many_arguments)]
fn Composer(
    id: String,
    open: bool,
    can_act: bool,
    contact_name: String,
    agent_name: String,
    window_expires_at: Option<i64>,
    send: ServerAction<InboxSend>,
    note: ServerAction<InboxNote>,
    template: ServerAction<InboxSendTemplate>,
) -> impl IntoView {
    let hydrated = page_hydrated();
    let draft = RwSignal::new(String::new());
    let as_note = RwSignal::new(false);
    // The template picker: open by itself when only a template can go out.
    let templates_open = RwSignal::new(false);
    let text_box = NodeRef::<leptos::html::Textarea>::new();
    let closed_while_typing = RwSignal::new(false);
    let canned = LocalResource::new(canned_responses);
    // Tell the agent if the window closes while they type.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if window_expires_at.is_some_and(|w| w <= now_ms()) && open && !draft.get_untracked().trim().is_empty() {
                    closed_while_typing.set(true);
                }
            },
            std::time::Duration::from_secs(15),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let sid = id.clone();
    let submit = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        if as_note.get_untracked() {
            note.dispatch(InboxNote { conversation_id: sid.clone(), text });
        } else {
            send.dispatch(InboxSend { conversation_id: sid.clone(), text });
        }
        draft.set(String::new());
    };
    let submit2 = submit.clone();
    let text_disabled = move || !hydrated.get() || !can_act || (!open && !as_note.get());
    let suggestions = move || {
        let d = draft.get();
        let Some(q) = d.strip_prefix('/') else { return Vec::new() };
        canned.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().filter(|c| c.shortcut.starts_with(&q.to_lowercase())).collect::<Vec<_>>()
    };
    let (cn, an) = (contact_name.clone(), agent_name.clone());
    let tname = RwSignal::new("hello_world".to_string());
    let tlang = RwSignal::new("en_US".to_string());
    let tvars = RwSignal::new(String::new());
    let tid = id.clone();
    // Attachments: the text typed so far goes as the file's caption.
    let uploading = RwSignal::new(false);
    // A refused file is said in a toast: it outlives the chat's re-render when the
    // message before it changes status.
    let toasts = crate::components::feedback::Toasts::get();
    let attach_disabled = move || text_disabled() || as_note.get() || uploading.get();
    let aid = id.clone();
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            input.set_value("");
            let (url, caption) = (format!("/inbox/{}/attachments", aid), draft.get_untracked());
            uploading.set(true);
            leptos::task::spawn_local(async move {
                match crate::components::upload::post_file(&url, file, &[("caption", caption.trim())]).await {
                    Ok(_) => draft.set(String::new()),
                    Err(e) => toasts.error(&e),
                }
                uploading.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, &aid, toasts);
    };
    view! {
        <div class="composer-wrap">
            <Show when=move || closed_while_typing.get()>
                <p role="alert" class="notice">"The 24-hour window closed while you were typing: send a template instead."</p>
            </Show>
            <Show when=move || !open>
                <p class="notice" data-testid="window-closed">"The 24-hour window is closed: the customer has not written in the last 24 hours. Only an approved template can be sent."</p>
            </Show>
            <ul class="canned-suggestions" aria-label="Canned responses">
                {move || suggestions().into_iter().map(|c| {
                    let filled = domain::inbox::fill_canned(&c.content, &cn, &an);
                    view! { <li><button type="button" class="link-button" on:click=move |_| draft.set(filled.clone())>{format!("/{} — {}", c.shortcut, c.title)}</button></li> }
                }).collect_view()}
            </ul>
            <form class="composer" aria-label="Reply" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); submit(); }>
                <label for="composer-text" class="sr-only">"Message"</label>
                // Spans the chat's width and grows with its text up to a limit (CSS
                // `field-sizing`), like WhatsApp's own composer.
                <textarea id="composer-text" class="composer-text" rows="1" title="Enter sends, Shift+Enter starts a new line" maxlength="4096" data-testid="composer" node_ref=text_box
                    placeholder=move || if as_note.get() { "Internal note (only your team sees it)" } else if open { "Type a reply, / for canned responses" } else { "Window closed: send a template" }
                    disabled=text_disabled
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            submit2();
                        }
                    }></textarea>
                <div class="composer-bar" role="toolbar" aria-label="Composer tools">
                    <input type="file" id="composer-file" class="file-input" data-testid="attach" disabled=attach_disabled on:change=on_file
                        accept="image/jpeg,image/png,video/mp4,video/3gpp,audio/aac,audio/amr,audio/mpeg,audio/mp4,audio/ogg,application/pdf,text/plain,application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/vnd.ms-excel,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-powerpoint,application/vnd.openxmlformats-officedocument.presentationml.presentation" />
                    <label for="composer-file" class="icon-button file-button" class:disabled=attach_disabled title="Attach a file (the text becomes its caption)">
                        <Icon name=IconName::Attach />
                        <span class=move || if uploading.get() { "" } else { "sr-only" }>{move || if uploading.get() { "Sending…" } else { "Attach a file" }}</span>
                    </label>
                    <button type="button" class="icon-button" title="Send a template" aria-label="Templates" aria-expanded=move || templates_open.get().to_string()
                        disabled=move || !hydrated.get() on:click=move |_| templates_open.update(|o| *o = !*o)>
                        <Icon name=IconName::Template />
                    </button>
                    <button type="button" class="icon-button" data-shortcut="canned" title="Canned responses (type /)" aria-label="Canned responses" disabled=text_disabled
                        on:click=move |_| {
                            if !draft.get_untracked().starts_with('/') {
                                draft.set("/".into());
                            }
                            if let Some(t) = text_box.get_untracked() {
                                let _ = t.focus();
                            }
                        }>
                        <Icon name=IconName::Canned />
                    </button>
                    <label class="note-toggle" class:on=move || as_note.get() title="An internal note: only your team sees it">
                        <input type="checkbox" prop:checked=move || as_note.get() on:change=move |ev| as_note.set(event_target_checked(&ev)) />
                        <Icon name=IconName::Note />"Note"
                    </label>
                    <span class="composer-spacer"></span>
                    <button type="submit" class="button button-primary" disabled=text_disabled>
                        <Icon name=IconName::Send />{move || if as_note.get() { "Add note" } else { "Send" }}
                    </button>
                </div>
            </form>
            <ErrorNotice result=send.value() />
            <ErrorNotice result=note.value() />
            <details class="template-picker" prop:open=move || !open || templates_open.get()
                on:toggle=move |ev| {
                    #[cfg(feature = "hydrate")]
                    {
                        use wasm_bindgen::JsCast;
                        if let Some(d) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                            templates_open.set(d.has_attribute("open"));
                        }
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                }>
                <summary>"Send a template"</summary>
                <form class="form-inline" aria-label="Send a template" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    template.dispatch(InboxSendTemplate { conversation_id: tid.clone(), name: tname.get_untracked(), language: tlang.get_untracked(), variables: tvars.get_untracked() });
                }>
                    <label for="template-name">"Template"</label>
                    <input id="template-name" prop:value=move || tname.get() on:input=move |ev| tname.set(event_target_value(&ev)) maxlength="512" />
                    <label for="template-language">"Language"</label>
                    <input id="template-language" prop:value=move || tlang.get() on:input=move |ev| tlang.set(event_target_value(&ev)) maxlength="15" />
                    <label for="template-variables">"Variables ({{1}}, {{2}}… one per line)"</label>
                    <textarea id="template-variables" rows="2" maxlength="4096" prop:value=move || tvars.get() on:input=move |ev| tvars.set(event_target_value(&ev))></textarea>
                    <button type="submit" class="button" disabled=move || !hydrated.get() || !can_act>"Send template"</button>
                </form>
                <ErrorNotice result=template.value() />
            </details>
        </div>
    }
}

/// The contact: name, phone, CRM fields and tags, the latest notes (agents add one
/// here), the assignee, and their other conversations.
#[component]
fn ContactPanel(
    item: InboxItem,
    others: Vec<InboxItem>,
    contact: Option<ContactView>,
    notes: Vec<ContactNoteView>,
    can_act: bool,
    open: RwSignal<bool>,
) -> impl IntoView {
    let hydrated = page_hydrated();
    let add_note = ServerAction::<AddContactNote>::new();
    let text = RwSignal::new(String::new());
    let contact_id = item.contact_id.clone();
    // Notes added here show at once; older ones come with the chat.
    let added = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        if let Some(Ok(())) = add_note.value().get() {
            let t = text.get_untracked();
            added.update(|a| a.insert(0, t));
            text.set(String::new());
        }
    });
    view! {
        <aside class="contact-panel" class:open=move || open.get() aria-label="Contact" data-testid="contact-panel">
            <span class="avatar avatar-large">{initials(&item.display_name)}</span>
            <h3>{item.display_name.clone()}</h3>
            <dl>
                <dt>"Phone"</dt><dd>{item.phone.clone().unwrap_or_else(|| "—".into())}</dd>
                {contact.clone().map(|c| view! {
                    <dt>"Email"</dt><dd>{c.email.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Company"</dt><dd>{c.company.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Lead"</dt><dd><StatusBadge status=c.lead_status.clone() />{format!(" · score {}", c.score)}</dd>
                    <dt>"Opt-in"</dt><dd><StatusBadge status=c.opt_in_status.clone() /></dd>
                })}
                <dt>"Assigned to"</dt><dd>{item.assignee_name.clone().unwrap_or_else(|| "Nobody".into())}</dd>
                <dt>"Status"</dt><dd><StatusBadge status=item.status.clone() /></dd>
            </dl>
            {contact.map(|c| view! {
                <TagChips tags=c.tags.clone() />
                <p><A href=format!("/contacts/{}", c.id)>"Open contact"</A></p>
            })}
            <h4>"Notes"</h4>
            <ul class="notes" data-testid="panel-notes">
                {move || added.get().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                {notes.into_iter().map(|n| view! { <li>{n.body}</li> }).collect_view()}
            </ul>
            {can_act.then(|| view! {
                <form class="form" aria-label="Add a contact note" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    add_note.dispatch(AddContactNote { contact_id: contact_id.clone(), text: text.get_untracked() });
                }>
                    <label for="panel-note" class="sr-only">"Contact note"</label>
                    <textarea id="panel-note" rows="2" maxlength="5000" placeholder="A note on this contact" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    <ErrorNotice result=add_note.value() />
                    <button type="submit" class="button" disabled=move || !hydrated.get()>"Add note"</button>
                </form>
            })}
            <h4>"Other conversations"</h4>
            <ul>
                {if others.is_empty() { view! { <li class="muted">"None"</li> }.into_any() } else {
                    others.into_iter().map(|o| view! { <li><A href=format!("/inbox/{}", o.conversation_id)>{o.preview.clone()}</A></li> }).collect_view().into_any()
                }}
            </ul>
        </aside>
    }
}
