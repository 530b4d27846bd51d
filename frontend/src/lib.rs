//! The browser entry point: hydrates the server-rendered page into the live app.
#![recursion_limit = "256"]

/// Called by the generated JS once the WASM has loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
