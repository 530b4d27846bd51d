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

/// Text typed into a box before hydration is in the DOM but never reached the app's
/// signals (the `input` events fired before any handler existed). Once the app has
/// hydrated, hand such text over, so a search typed while the page was loading applies.
/// The box must not have a `prop:value`: hydration sets properties, which would wipe the
/// typed text before this runs.
pub fn adopt_early_input(input: NodeRef<leptos::html::Input>, apply: impl Fn(String) + 'static) {
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let typed = el.value();
            if !typed.is_empty() {
                apply(typed);
            }
        }
    });
}
