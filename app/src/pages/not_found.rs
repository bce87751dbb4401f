use super::home::DepartmentTiles;
use crate::catalog::load_departments;
use crate::components::PageTitle;
use crate::components::{set_status, SearchBox};
use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_status(404);
    view! {
        <PageTitle text="Page not found" />
        <section class="mx-auto max-w-2xl px-4 py-20 text-center" aria-labelledby="not-found-heading">
            <p class="text-sm font-semibold uppercase tracking-wider text-teal-700">"Error 404"</p>
            <h1 id="not-found-heading" class="mt-2 text-3xl font-bold tracking-tight sm:text-4xl">
                "We couldn't find that page"
            </h1>
            <p class="mt-4 text-stone-600">
                "The link may be old, or the product may no longer be sold. Try a search instead:"
            </p>
            <div class="mx-auto mt-6 max-w-md">
                <SearchBox id="not-found-search" large=true value=String::new() />
            </div>
            <PopularCategories />
            <p class="mt-8">
                <a href="/" class="font-semibold text-teal-800 underline-offset-4 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">
                    "Back to the shop"
                </a>
            </p>
        </section>
    }
}

/// Somewhere to go next. If even this cannot be loaded, the page simply goes without it.
#[component]
fn PopularCategories() -> impl IntoView {
    let departments = Resource::new(|| (), |_| load_departments());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                departments
                    .await
                    .ok()
                    .filter(|d| !d.is_empty())
                    .map(|departments| {
                        view! {
                            <section aria-labelledby="popular-heading" class="mt-10">
                                <h2 id="popular-heading" class="text-lg font-semibold">"Popular categories"</h2>
                                <DepartmentTiles departments />
                            </section>
                        }
                    })
            })}
        </Suspense>
    }
}
