//! Hydration-aware helpers.

use leptos::prelude::*;

/// `false` while the page is server-rendered HTML, `true` once the WASM has taken over.
/// Submit buttons stay disabled until then, so a click can never post a form natively
/// (without the CSRF header) before the app is ready.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// Loads `path` as a new document, so the whole app is rendered again for the new
/// session (after sign-in, sign-out or an org switch).
pub fn reload_to(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
