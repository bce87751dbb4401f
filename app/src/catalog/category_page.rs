use super::listing::{ListingView, Place};
use super::load_category;
use crate::components::{breadcrumb_list, loaded, JsonLd, PageMeta};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};
use mercato::catalog::listing::ListingQuery;
use mercato::catalog::view;

/// `/c/:slug`: a category's products, with facets, sort and pages in the query string.
#[component]
pub fn CategoryPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let data = Resource::new(
        move || {
            (
                params.read().get("slug").unwrap_or_default(),
                location.search.get(),
            )
        },
        |(slug, query)| load_category(slug, query),
    );
    loaded(data, |page| view! { <CategoryView page /> })
}

#[component]
fn CategoryView(page: view::CategoryPage) -> impl IntoView {
    let slug = page.category.slug.clone();
    let description = if page.category.description.is_empty() {
        format!("Shop {} at Mercato.", page.category.name)
    } else {
        page.category.description.clone()
    };
    // Filtered and sorted views are the same page to a search engine; pages are not.
    let canonical = ListingQuery::default()
        .with_page(page.listing.query.page)
        .href(&format!("/c/{slug}"));
    let mut trail: Vec<(String, String)> = vec![("Home".to_owned(), "/".to_owned())];
    trail.extend(
        page.ancestors
            .iter()
            .map(|c| (c.name.clone(), format!("/c/{}", c.slug))),
    );
    trail.push((page.category.name.clone(), format!("/c/{slug}")));
    let title = match page.listing.query.page {
        1 => page.category.name.clone(),
        n => format!("{}, page {n}", page.category.name),
    };
    view! {
        <PageMeta title description=description.clone() path=canonical />
        <JsonLd doc=breadcrumb_list(&trail) />
        <div class="mx-auto max-w-6xl px-4 py-8">
            <Breadcrumbs ancestors=page.ancestors.clone() current=page.category.name.clone() />
            <header class="mt-4">
                <h1 class="text-3xl font-bold tracking-tight">{page.category.name.clone()}</h1>
                <p class="mt-1 max-w-2xl text-stone-600">{description}</p>
            </header>
            <ListingView listing=page.listing place=Place::Category(slug) />
        </div>
    }
}

/// Where a page sits in the category tree.
#[component]
pub fn Breadcrumbs(ancestors: Vec<view::CategoryLink>, current: String) -> impl IntoView {
    view! {
        <nav aria-label="Breadcrumb">
            <ol class="flex flex-wrap items-center gap-1 text-sm text-stone-500">
                <li><a href="/" class="hover:text-teal-800 hover:underline">"Home"</a></li>
                {ancestors
                    .into_iter()
                    .map(|c| {
                        view! {
                            <li aria-hidden="true">"/"</li>
                            <li><a href=format!("/c/{}", c.slug) class="hover:text-teal-800 hover:underline">{c.name}</a></li>
                        }
                    })
                    .collect_view()}
                <li aria-hidden="true">"/"</li>
                <li aria-current="page" class="font-medium text-stone-800">{current}</li>
            </ol>
        </nav>
    }
}
