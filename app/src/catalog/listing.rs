//! A listing with its controls: facets, sort, result count, grid and pagination.
//!
//! Every control is a link or a GET form: each view of a listing is a page load with
//! its own URL (served from the page cache when it can be). The filters and the sort
//! apply as soon as they change once the page's code runs ([`AutoSubmit`]); before,
//! and without JavaScript, their buttons do.

use super::ProductGrid;
use crate::components::AutoSubmit;
use leptos::prelude::*;
use mercato::catalog::listing::{Listing, ListingQuery, PriceBucket, Sort};
use mercato::{Currency, Money};

/// Where a listing lives, which decides where its links go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// `/c/:slug`; the category facet links to the subcategories' own pages.
    Category(String),
    /// `/search`; the category facet narrows the search.
    Search,
}

impl Place {
    fn path(&self) -> String {
        match self {
            Place::Category(slug) => format!("/c/{slug}"),
            Place::Search => "/search".to_owned(),
        }
    }

    fn category_href(&self, query: &ListingQuery, slug: &str) -> String {
        match self {
            Place::Category(_) => ListingQuery {
                category: None,
                ..query.with_page(1)
            }
            .href(&format!("/c/{slug}")),
            Place::Search => ListingQuery {
                category: Some(slug.to_owned()),
                ..query.with_page(1)
            }
            .href("/search"),
        }
    }
}

/// The id of the filter form; the sort select outside it names it in `form=`.
const FORM_ID: &str = "listing-filters";

#[component]
pub fn ListingView(listing: Listing, place: Place) -> impl IntoView {
    let path = place.path();
    let query = listing.query.clone();
    let pages = listing.page_count();
    let current = query.page.min(pages);
    let empty = listing.products.is_empty();
    let filtered = query.is_filtered();
    let clear_href = query.without_filters().href(&path);
    view! {
        <AutoSubmit>
        <div class="mt-6 lg:grid lg:grid-cols-[15rem_1fr] lg:gap-10">
            // A checkbox opens the filters on small screens: no script needed.
            <input type="checkbox" id="show-filters" class="peer sr-only lg:hidden" />
            <label for="show-filters" class="flex cursor-pointer items-center justify-between rounded-2xl border border-stone-200 bg-white px-4 py-3 text-sm font-semibold peer-focus-visible:ring-2 peer-focus-visible:ring-teal-600 lg:hidden">
                <span>"Filters"</span>
                <span class="text-stone-500">{if filtered { "On" } else { "Show" }}</span>
            </label>
            <aside aria-label="Filters" class="mt-3 hidden rounded-2xl border border-stone-200 bg-white p-4 peer-checked:block lg:mt-0 lg:block lg:border-0 lg:bg-transparent lg:p-0">
                <Facets listing=listing.clone() place=place.clone() />
            </aside>
            <section aria-labelledby="products-heading" class="mt-6 lg:mt-0">
                // The cards' names are h3: this keeps the outline whole while the filters'
                // h2s are folded away on a phone.
                <h2 id="products-heading" class="sr-only">"Products"</h2>
                <div class="flex flex-wrap items-center justify-between gap-3 border-b border-stone-200 pb-3">
                    <p class="text-sm text-stone-600" data-testid="result-count">
                        {match listing.total {
                            0 => "No products".to_owned(),
                            1 => "1 product".to_owned(),
                            n => format!("{n} products"),
                        }}
                    </p>
                    <div class="flex items-center gap-2">
                        <label for="listing-sort" class="text-sm text-stone-600">"Sort by"</label>
                        <select
                            id="listing-sort"
                            name="sort"
                            form=FORM_ID
                            // The choice shown follows the page even after the shopper
                            // changed it (a `selected` attribute alone would not).
                            prop:value=listing.sort.as_str()
                            class="h-9 rounded-full border border-stone-300 bg-white pl-3 pr-8 text-sm focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30"
                        >
                            {Sort::ALL
                                .into_iter()
                                .filter(|s| *s != Sort::Relevance || !query.q.is_empty())
                                .map(|s| {
                                    view! {
                                        <option value=s.as_str() selected=s == listing.sort>{s.label()}</option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <noscript>
                            <button type="submit" form=FORM_ID class="h-9 rounded-full bg-stone-800 px-3 text-sm font-semibold text-white">"Sort"</button>
                        </noscript>
                    </div>
                </div>
                <div class="mt-6">
                    {if empty {
                        leptos::either::Either::Left(view! {
                            <div class="rounded-2xl border border-dashed border-stone-300 bg-white p-10 text-center text-stone-600">
                                {if filtered {
                                    view! {
                                        <p>"No products match these filters."</p>
                                        <a href=clear_href.clone() class="mt-2 inline-block font-semibold text-teal-800 underline">"Clear all filters"</a>
                                    }
                                    .into_any()
                                } else if listing.total > 0 {
                                    view! {
                                        <p>"Nothing here on this page."</p>
                                        <a href=query.with_page(1).href(&path) class="mt-2 inline-block font-semibold text-teal-800 underline">"Back to the first page"</a>
                                    }
                                    .into_any()
                                } else {
                                    view! { <p>"No products here yet."</p> }.into_any()
                                }}
                            </div>
                        })
                    } else {
                        leptos::either::Either::Right(view! { <ProductGrid products=listing.products.clone() /> })
                    }}
                </div>
                <Pagination query=query.clone() path=path.clone() current pages />
            </section>
        </div>
        </AutoSubmit>
    }
}

#[component]
fn Pagination(query: ListingQuery, path: String, current: u32, pages: u32) -> impl IntoView {
    (pages > 1).then(|| {
        let link = |n: u32| query.with_page(n).href(&path);
        view! {
            <nav aria-label="Pagination" class="mt-10 flex items-center justify-between border-t border-stone-200 pt-6 text-sm">
                {(current > 1)
                    .then(|| view! { <a rel="prev" href=link(current - 1) class="rounded-full border border-stone-300 bg-white px-4 py-2 font-medium hover:bg-stone-100">"← Previous"</a> })}
                <span class="mx-auto text-stone-600">{format!("Page {current} of {pages}")}</span>
                {(current < pages)
                    .then(|| view! { <a rel="next" href=link(current + 1) class="rounded-full border border-stone-300 bg-white px-4 py-2 font-medium hover:bg-stone-100">"Next →"</a> })}
            </nav>
        }
    })
}

const SECTION: &str = "border-b border-stone-200 py-4 first:pt-0";
const HEADING: &str = "mb-2 text-xs font-semibold uppercase tracking-wider text-stone-500";
const CHOICE: &str =
    "flex items-center justify-between gap-2 rounded-lg px-2 py-1 text-sm hover:bg-stone-100";

#[component]
fn Facets(listing: Listing, place: Place) -> impl IntoView {
    let query = listing.query.clone();
    let path = place.path();
    let facets = listing.facets.clone();
    let currency = listing.currency;
    let search_scope = match place {
        Place::Search => query.category.clone(),
        Place::Category(_) => None,
    };
    let categories = (!facets.categories.is_empty()).then(|| {
        let title = match place {
            Place::Category(_) => "Categories",
            Place::Search => "Category",
        };
        view! {
            <div class=SECTION>
                <h2 class=HEADING>{title}</h2>
                <ul>
                    {facets
                        .categories
                        .iter()
                        .map(|c| {
                            view! {
                                <li>
                                    <a href=place.category_href(&query, &c.slug) class=CHOICE>
                                        <span class=if c.count == 0 { "text-stone-400" } else { "text-stone-800" }>{c.name.clone()}</span>
                                        <span class="text-xs text-stone-500">{c.count}</span>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        }
    });
    let prices = facets
        .prices
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| {
            let chosen = query.min_price == b.min && query.max_price == b.max;
            let href = if chosen {
                query.with_price(None, None).href(&path)
            } else {
                query.with_price(b.min, b.max).href(&path)
            };
            view! {
                <li>
                    <a href=href class=CHOICE aria-current=chosen.then_some("true")>
                        <span class=if chosen { "font-semibold text-teal-800" } else { "text-stone-800" }>
                            {bucket_label(b, currency)}
                        </span>
                        <span class="text-xs text-stone-500">{b.count}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    let options = facets
        .options
        .iter()
        .map(|option| {
            view! {
                <fieldset class=SECTION>
                    // Floated, so the legend lays out like the other sections' headings.
                    <legend class=format!("{HEADING} float-left w-full")>{option.name.clone()}</legend>
                    <ul class="clear-left max-h-64 overflow-y-auto">
                        {option
                            .values
                            .iter()
                            .filter(|v| v.count > 0 || v.selected)
                            .map(|v| {
                                let id = format!("opt-{}-{}", slugish(&option.name), slugish(&v.value));
                                let label_for = id.clone();
                                view! {
                                    <li>
                                        <label for=label_for class=CHOICE>
                                            <span class="flex items-center gap-2">
                                                <input
                                                    id=id
                                                    type="checkbox"
                                                    name="opt"
                                                    value=format!("{}:{}", option.name, v.value)
                                                    checked=v.selected
                                                    prop:checked=v.selected
                                                    class="h-4 w-4 rounded border-stone-300 text-teal-700 focus:ring-teal-600"
                                                />
                                                <span class="text-stone-800">{v.value.clone()}</span>
                                            </span>
                                            <span class="text-xs text-stone-500">{v.count}</span>
                                        </label>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </fieldset>
            }
        })
        .collect_view();
    let q = query.q.clone();
    let min = query.min_price.map(|d| d.to_string()).unwrap_or_default();
    let max = query.max_price.map(|d| d.to_string()).unwrap_or_default();
    let clear = query.is_filtered().then(|| {
        view! {
            <a href=query.without_filters().href(&path) class="text-sm font-semibold text-teal-800 underline">"Clear all"</a>
        }
    });

    view! {
        {categories}
        <form method="get" action=path.clone() id=FORM_ID>
            {(!q.is_empty()).then(|| view! { <input type="hidden" name="q" value=q.clone() /> })}
            {search_scope.map(|c| view! { <input type="hidden" name="category" value=c /> })}
            <div class=SECTION>
                <h2 class=HEADING>"Availability"</h2>
                <Toggle id="in-stock" name="in_stock" label="In stock only" checked=query.in_stock count=facets.in_stock />
                <Toggle id="on-sale" name="sale" label="On sale" checked=query.on_sale count=facets.on_sale />
            </div>
            <div class=SECTION>
                <h2 class=HEADING>"Price"</h2>
                <ul>{prices}</ul>
                <div class="mt-3 flex items-end gap-2">
                    <label class="flex-1 text-xs text-stone-600">
                        "Min"
                        <input type="number" name="min_price" min="0" step="0.01" inputmode="decimal" value=min.clone() prop:value=min
                            class="mt-1 h-9 w-full rounded-lg border border-stone-300 px-2 text-sm focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30" />
                    </label>
                    <span class="pb-2 text-stone-400">"–"</span>
                    <label class="flex-1 text-xs text-stone-600">
                        "Max"
                        <input type="number" name="max_price" min="0" step="0.01" inputmode="decimal" value=max.clone() prop:value=max
                            class="mt-1 h-9 w-full rounded-lg border border-stone-300 px-2 text-sm focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30" />
                    </label>
                </div>
            </div>
            {options}
            <div class="flex items-center justify-between gap-3 pt-4">
                <button type="submit" class="rounded-full bg-teal-700 px-5 py-2 text-sm font-semibold text-white hover:bg-teal-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600 focus-visible:ring-offset-2">
                    "Apply filters"
                </button>
                {clear}
            </div>
        </form>
    }
}

/// A checkbox filter with the count it would show.
#[component]
fn Toggle(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    checked: bool,
    count: u64,
) -> impl IntoView {
    view! {
        <label for=id class=CHOICE>
            <span class="flex items-center gap-2">
                <input
                    id=id
                    type="checkbox"
                    name=name
                    value="1"
                    checked=checked
                    prop:checked=checked
                    class="h-4 w-4 rounded border-stone-300 text-teal-700 focus:ring-teal-600"
                />
                <span class="text-stone-800">{label}</span>
            </span>
            <span class="text-xs text-stone-500">{count}</span>
        </label>
    }
}

fn bucket_label(bucket: &PriceBucket, currency: Currency) -> String {
    let show = |d| Money::new(d, currency).format();
    match (bucket.min, bucket.max) {
        (None, Some(_)) => format!("Under {}", show(bucket.upper_edge().unwrap_or_default())),
        (Some(min), Some(max)) => format!("{} to {}", show(min), show(max)),
        (Some(min), None) => format!("{} and over", show(min)),
        (None, None) => "Any price".to_owned(),
    }
}

/// A fragment of an element id: letters and digits, the rest as dashes.
fn slugish(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
