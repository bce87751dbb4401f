use super::listing::{ListingView, Place};
use super::{load_search, ProductGrid};
use crate::components::{loaded, PageMeta, SearchBox};
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::use_location;
use mercato::catalog::listing::ListingQuery;
use mercato::catalog::view;

/// `/search?q=…`: products ranked by how well they match, with the same facets as a
/// category; a near spelling still finds them, and an empty result offers a way on.
#[component]
pub fn SearchPage() -> impl IntoView {
    let location = use_location();
    let data = Resource::new(move || location.search.get(), load_search);
    loaded(data, |page| view! { <SearchView page /> })
}

#[component]
fn SearchView(page: view::SearchPage) -> impl IntoView {
    let query = page.listing.query.clone();
    let q = query.q.clone();
    let heading = match (&page.within, q.is_empty()) {
        (None, true) if query.on_sale => "On sale".to_owned(),
        (None, true) => "All products".to_owned(),
        (Some(c), true) => c.name.clone(),
        (None, false) => format!("Results for “{q}”"),
        (Some(c), false) => format!("Results for “{q}” in {}", c.name),
    };
    let canonical = ListingQuery {
        q: q.clone(),
        category: query.category.clone(),
        page: query.page,
        ..ListingQuery::default()
    }
    .href("/search");
    let suggestion_link = |s: &String| {
        ListingQuery {
            q: s.clone(),
            ..query.without_filters()
        }
        .href("/search")
    };
    let notice = match (&page.listing.suggestion, page.listing.spelled_differently) {
        (Some(s), true) => Some(view! {
            <p class="mt-3 rounded-xl bg-amber-50 px-4 py-3 text-sm text-amber-900" role="status">
                "Nothing is spelled exactly “" {q.clone()} "”, so these are close matches. Did you mean "
                <a href=suggestion_link(s) class="font-semibold underline">{s.clone()}</a> "?"
            </p>
        }
        .into_any()),
        (None, true) => Some(view! {
            <p class="mt-3 rounded-xl bg-amber-50 px-4 py-3 text-sm text-amber-900" role="status">
                "Nothing is spelled exactly “" {q.clone()} "”, so these are close matches."
            </p>
        }
        .into_any()),
        _ => None,
    };
    let nothing = (page.listing.total == 0 && !q.is_empty()).then(|| {
        let suggestion = page.listing.suggestion.as_ref().map(|s| {
            view! {
                <p class="mt-2">"Did you mean " <a href=suggestion_link(s) class="font-semibold text-teal-800 underline">{s.clone()}</a> "?"</p>
            }
        });
        let fallback = page.fallback.clone();
        view! {
            <div class="mt-6 rounded-2xl border border-dashed border-stone-300 bg-white p-8 text-center text-stone-600" role="status">
                <p class="text-lg font-semibold text-stone-800">"No products match “" {q.clone()} "”"</p>
                {suggestion}
                <p class="mt-2">"Check the spelling, use fewer words, or browse the products below."</p>
            </div>
            {(!fallback.is_empty()).then(|| view! {
                <section aria-labelledby="fallback-heading" class="mt-10">
                    <h2 id="fallback-heading" class="text-xl font-bold tracking-tight">"Popular right now"</h2>
                    <div class="mt-4"><ProductGrid products=fallback /></div>
                </section>
            })}
        }
    });
    let show_listing = nothing.is_none();
    let description = format!("{heading} at Mercato.");
    view! {
        <PageMeta title=heading.clone() description path=canonical />
        // Result pages are for shoppers, not search engines.
        <Meta name="robots" content="noindex, follow" />
        <div class="mx-auto max-w-6xl px-4 py-8">
            <div class="max-w-xl">
                <SearchBox id="search-page-q" large=true value=q.clone() />
            </div>
            <h1 class="mt-6 text-3xl font-bold tracking-tight">{heading}</h1>
            {notice}
            {nothing}
            {show_listing.then(|| view! { <ListingView listing=page.listing place=Place::Search /> })}
        </div>
    }
}
