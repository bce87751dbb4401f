use super::icons::{CloseIcon, SearchIcon};
use leptos::prelude::*;

/// The product search form. A plain GET form, so it works before (or without) the
/// page's code; once that runs, this island offers a button that clears what was typed.
#[island]
pub fn SearchBox(
    /// The input's id, unique on the page (the header and a page body may both have one).
    #[prop(into)]
    id: String,
    large: bool,
    /// What the box shows at first (the search being shown, on the results page).
    value: String,
) -> impl IntoView {
    // Reference-counted, as in every island (see the product panel): an island rendered
    // inside a page's suspense must not hold state the arena may free first.
    let query = ArcRwSignal::new(value.clone());
    let input = NodeRef::<leptos::html::Input>::new();
    let clear = {
        let query = query.clone();
        move |_| {
            query.set(String::new());
            if let Some(el) = input.get() {
                el.set_value("");
                let _ = el.focus();
            }
        }
    };
    let typed = query.clone();
    let has_text = move || !query.get().is_empty();
    let height = if large {
        "h-12 text-base"
    } else {
        "h-10 text-sm"
    };

    view! {
        <form action="/search" method="get" role="search" class="relative w-full">
            <label for=id.clone() class="sr-only">"Search products"</label>
            <span class="pointer-events-none absolute inset-y-0 left-3 flex items-center text-stone-400">
                <SearchIcon />
            </span>
            <input
                id=id
                node_ref=input
                type="search"
                name="q"
                value=value.clone()
                prop:value=value
                maxlength="100"
                autocomplete="off"
                placeholder="Search products"
                on:input=move |ev| typed.set(event_target_value(&ev))
                class=format!(
                    "{height} w-full rounded-full border border-stone-300 bg-white pl-10 pr-10 \
                     text-stone-900 placeholder:text-stone-500 shadow-sm \
                     focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30 \
                     [&::-webkit-search-cancel-button]:hidden",
                )
            />
            <Show when=has_text>
                <button
                    type="button"
                    on:click=clear.clone()
                    aria-label="Clear search"
                    class="absolute inset-y-0 right-2 my-auto flex h-7 w-7 items-center justify-center rounded-full text-stone-500 hover:bg-stone-100 hover:text-stone-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600"
                >
                    <CloseIcon />
                </button>
            </Show>
        </form>
    }
}
