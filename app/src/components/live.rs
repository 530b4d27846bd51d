//! Live updates (INBOX-6): one `EventSource` on `/events` per open app. Every event bumps
//! a counter that pages use as a resource source, so they fetch fresh data — the server
//! is the truth, the event is only the nudge. The browser reconnects by itself and sends
//! `Last-Event-ID`; while it is away a "Reconnecting…" notice shows, and a slow poll
//! keeps pages fresh even if events never arrive (a proxy that buffers SSE).

use leptos::prelude::*;

/// How often pages refresh without any event (the polling fallback).
pub const POLL_MS: u64 = 20_000;

/// The live state shared by the shell and the pages.
#[derive(Clone, Copy)]
pub struct Live {
    /// Bumped by every event and by the fallback poll.
    pub tick: RwSignal<u64>,
    /// Bumped by notification events (the bell).
    pub notifications: RwSignal<u64>,
    /// Whether the event stream is connected.
    pub connected: RwSignal<bool>,
}

impl Live {
    /// The live state from context (inside the shell).
    pub fn get() -> Self {
        expect_context::<Live>()
    }
}

/// Opens the event stream (in the browser) and provides [`Live`] to the pages below.
pub fn provide_live() -> Live {
    let live = Live { tick: RwSignal::new(0), notifications: RwSignal::new(0), connected: RwSignal::new(true) };
    provide_context(live);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| connect(live));
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || live.tick.update(|t| *t += 1), std::time::Duration::from_millis(POLL_MS)) {
            on_cleanup(move || handle.clear());
        }
    });
    live
}

#[cfg(feature = "hydrate")]
fn connect(live: Live) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Ok(source) = web_sys::EventSource::new("/events") else {
        live.connected.set(false);
        return;
    };
    let bump = move |kind: &str| {
        live.tick.update(|t| *t += 1);
        if kind == "notification" {
            live.notifications.update(|t| *t += 1);
        }
    };
    for kind in ["message", "status", "conversation", "notification", "template"] {
        let on = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_e: web_sys::MessageEvent| bump(kind));
        let _ = source.add_event_listener_with_callback(kind, on.as_ref().unchecked_ref());
        on.forget();
    }
    // `ready` comes first on every (re)connection: fetch what may have been missed.
    let ready = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_e: web_sys::MessageEvent| {
        live.connected.set(true);
        live.tick.update(|t| *t += 1);
        live.notifications.update(|t| *t += 1);
    });
    let _ = source.add_event_listener_with_callback("ready", ready.as_ref().unchecked_ref());
    ready.forget();
    // The browser retries by itself after a dropped connection, but gives up for good
    // when the server answers with an error (a 503 during a restart): then start over.
    let watched = source.clone();
    let error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
        live.connected.set(false);
        if watched.ready_state() == web_sys::EventSource::CLOSED {
            set_timeout(move || connect(live), std::time::Duration::from_secs(3));
        }
    });
    source.set_onerror(Some(error.as_ref().unchecked_ref()));
    error.forget();
}

/// "Reconnecting…" while the event stream is down.
#[component]
pub fn ConnectionNotice() -> impl IntoView {
    let live = Live::get();
    view! {
        <Show when=move || !live.connected.get()>
            <p class="reconnecting" role="status" data-testid="reconnecting">"Reconnecting…"</p>
        </Show>
    }
}
