//! Small islands shared by every page: the marker that says the browser's code is
//! running, and the wrapper that applies a form as soon as one of its controls changes.

use leptos::prelude::*;

/// Sets `data-hydrated` on `<body>` once the browser's code runs, so that tests (and
/// curious developers) can tell a page whose islands are live from plain HTML. Placed
/// last in the page: islands hydrate in document order, so every island before it is
/// live by then.
#[island]
pub fn HydratedMarker() -> impl IntoView {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// Submits the form a control belongs to as soon as the control changes (a filter
/// ticked, a sort chosen), as if its button were pressed: the page loads with the new
/// choice. Without JavaScript, the form's own button does the same. The controls are
/// the server-rendered `children`; one listener here sees their changes bubble up.
#[island]
pub fn AutoSubmit(children: Children) -> impl IntoView {
    view! { <div on:change=submit_form_of_target>{children()}</div> }
}

/// A ticked box or a chosen option submits its form (which a control names with
/// `form=` when it stands outside it). Typed fields (a price) wait for the button: their
/// change fires when the shopper leaves them, often for the next field.
fn submit_form_of_target(ev: leptos::ev::Event) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::{HtmlInputElement, HtmlSelectElement};
        let Some(target) = ev.target() else { return };
        let form = if let Some(input) = target.dyn_ref::<HtmlInputElement>() {
            (input.type_() == "checkbox" || input.type_() == "radio")
                .then(|| input.form())
                .flatten()
        } else {
            target.dyn_ref::<HtmlSelectElement>().and_then(|s| s.form())
        };
        if let Some(form) = form {
            let _ = form.request_submit();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}
