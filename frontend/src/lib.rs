//! The wasm entry point. The shop is rendered on the server; only its islands (the
//! `#[island]` components in `app`, listed in the README's "Pages and islands") come
//! alive in the browser. Everything else is plain HTML: links and forms are ordinary
//! page loads and posts.

// Links `app`, whose every `#[island]` exports its own hydration function; nothing here
// names them.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
