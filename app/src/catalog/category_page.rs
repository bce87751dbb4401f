use super::{load_category, page_param, ProductGrid};
use crate::components::loaded;
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};
use mercato::catalog::view;

/// `/c/:slug`: a category's subcategories and products, page by page.
#[component]
pub fn CategoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let data = Resource::new(
        move || {
            (
                params.read().get("slug").unwrap_or_default(),
                page_param(query.read().get("page")),
            )
        },
        |(slug, page)| load_category(slug, page),
    );
    loaded(data, |page| view! { <CategoryView page /> })
}

#[component]
fn CategoryView(page: view::CategoryPage) -> impl IntoView {
    let slug = page.category.slug.clone();
    let pages = page.page_count();
    let current = page.page.min(pages);
    let description = if page.category.description.is_empty() {
        format!("Shop {} at Mercato.", page.category.name)
    } else {
        page.category.description.clone()
    };
    let canonical = if current > 1 {
        format!("/c/{slug}?page={current}")
    } else {
        format!("/c/{slug}")
    };
    let page_link = {
        let slug = slug.clone();
        move |n: u32| {
            if n <= 1 {
                format!("/c/{slug}")
            } else {
                format!("/c/{slug}?page={n}")
            }
        }
    };
    let empty = page.products.is_empty();
    view! {
        <Title text=page.category.name.clone() />
        <Meta name="description" content=description.clone() />
        <Link rel="canonical" href=canonical />
        <div class="mx-auto max-w-6xl px-4 py-8">
            <Breadcrumbs ancestors=page.ancestors.clone() current=page.category.name.clone() />
            <header class="mt-4 flex flex-col gap-2 sm:flex-row sm:items-end sm:justify-between">
                <div>
                    <h1 class="text-3xl font-bold tracking-tight">{page.category.name.clone()}</h1>
                    <p class="mt-1 max-w-2xl text-stone-600">{description}</p>
                </div>
                <p class="text-sm text-stone-500">
                    {match page.total {
                        1 => "1 product".to_owned(),
                        n => format!("{n} products"),
                    }}
                </p>
            </header>
            {(!page.children.is_empty())
                .then(|| {
                    view! {
                        <nav aria-label="Subcategories" class="mt-6">
                            <ul class="flex flex-wrap gap-2">
                                {page
                                    .children
                                    .iter()
                                    .map(|c| {
                                        view! {
                                            <li>
                                                <a href=format!("/c/{}", c.slug) class="block rounded-full border border-stone-300 bg-white px-4 py-1.5 text-sm font-medium text-stone-700 hover:border-teal-700 hover:text-teal-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">
                                                    {c.name.clone()}
                                                </a>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </nav>
                    }
                })}
            <section aria-label="Products" class="mt-8">
                {if empty {
                    leptos::either::Either::Left(view! {
                        <p class="rounded-2xl border border-dashed border-stone-300 bg-white p-10 text-center text-stone-600">
                            "Nothing here on this page. "
                            <a href=page_link(1) class="font-semibold text-teal-800 underline">"Back to the first page"</a>
                        </p>
                    })
                } else {
                    leptos::either::Either::Right(view! { <ProductGrid products=page.products.clone() /> })
                }}
            </section>
            {(pages > 1)
                .then(|| {
                    view! {
                        <nav aria-label="Pagination" class="mt-10 flex items-center justify-between border-t border-stone-200 pt-6 text-sm">
                            {(current > 1)
                                .then(|| view! { <a rel="prev" href=page_link(current - 1) class="rounded-full border border-stone-300 bg-white px-4 py-2 font-medium hover:bg-stone-100">"← Previous"</a> })}
                            <span class="mx-auto text-stone-600">{format!("Page {current} of {pages}")}</span>
                            {(current < pages)
                                .then(|| view! { <a rel="next" href=page_link(current + 1) class="rounded-full border border-stone-300 bg-white px-4 py-2 font-medium hover:bg-stone-100">"Next →"</a> })}
                        </nav>
                    }
                })}
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
