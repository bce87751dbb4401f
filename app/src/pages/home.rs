use super::ErrorPage;
use crate::catalog::{load_home_sections, HomeSections, ProductGrid};
use crate::components::loaded;
use crate::components::PageTitle;
use crate::shop::use_shop_info;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Meta;
use mercato::catalog::view::Category;
use mercato::shop::ShopInfo;

#[component]
pub fn HomePage() -> impl IntoView {
    let info = use_shop_info();
    view! {
        <Suspense fallback=|| view! { <HeroSkeleton /> }>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(info) => Either::Left(view! { <Home info /> }),
                    Err(error) => Either::Right(view! { <ErrorPage error /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Home(info: ShopInfo) -> impl IntoView {
    let description = if info.tagline.is_empty() {
        info.name.clone()
    } else {
        format!("{}: {}", info.name, info.tagline)
    };
    view! {
        <PageTitle text=info.name.clone() />
        <Meta name="description" content=description />
        <section class="bg-gradient-to-br from-teal-800 via-teal-700 to-emerald-600 text-white">
            <div class="mx-auto grid max-w-6xl gap-10 px-4 py-16 sm:py-24 md:grid-cols-2 md:items-center">
                <div>
                    <p class="text-sm font-semibold uppercase tracking-wider text-teal-100">"Welcome to " {info.name.clone()}</p>
                    <h1 class="mt-3 text-4xl font-extrabold tracking-tight sm:text-5xl">{info.tagline.clone()}</h1>
                    <p class="mt-4 max-w-md text-lg text-teal-50">
                        "Hand-picked products from makers we trust, with honest prices and free returns."
                    </p>
                    <div class="mt-8 flex flex-wrap gap-3">
                        <a href="/search" class="rounded-full bg-white px-6 py-3 text-sm font-semibold text-teal-900 shadow hover:bg-teal-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-white focus-visible:ring-offset-2 focus-visible:ring-offset-teal-700">
                            "Shop all products"
                        </a>
                        <a href="/search?sort=newest" class="rounded-full border border-white/60 px-6 py-3 text-sm font-semibold text-white hover:bg-white/10 focus:outline-none focus-visible:ring-2 focus-visible:ring-white">
                            "See what's new"
                        </a>
                    </div>
                </div>
                <div aria-hidden="true" class="hidden md:block">
                    <div class="grid grid-cols-2 gap-4">
                        <div class="aspect-square rounded-2xl bg-white/15 shadow-inner"></div>
                        <div class="mt-8 aspect-square rounded-2xl bg-amber-300/80"></div>
                        <div class="-mt-8 aspect-square rounded-2xl bg-emerald-300/70"></div>
                        <div class="aspect-square rounded-2xl bg-white/25"></div>
                    </div>
                </div>
            </div>
        </section>
        <Promises />
        <CatalogSections />
    }
}

/// Departments and featured products, loaded with the page.
#[component]
fn CatalogSections() -> impl IntoView {
    let sections = Resource::new(|| (), |_| load_home_sections());
    loaded(sections, |sections| view! { <Sections sections /> })
}

#[component]
fn Sections(sections: HomeSections) -> impl IntoView {
    view! {
        <section aria-labelledby="departments-heading" class="mx-auto max-w-6xl px-4 py-6">
            <h2 id="departments-heading" class="text-2xl font-bold tracking-tight">"Shop by department"</h2>
            <DepartmentTiles departments=sections.departments />
        </section>
        <section aria-labelledby="featured-heading" class="mx-auto max-w-6xl px-4 py-10">
            <h2 id="featured-heading" class="text-2xl font-bold tracking-tight">"Featured"</h2>
            <div class="mt-5">
                <ProductGrid products=sections.featured />
            </div>
        </section>
    }
}

/// The top-level categories as coloured tiles.
#[component]
pub fn DepartmentTiles(departments: Vec<Category>) -> impl IntoView {
    view! {
        <ul class="mt-5 grid grid-cols-2 gap-4 md:grid-cols-4">
            {departments
                .into_iter()
                .map(|d| {
                    view! {
                        <li>
                            <a
                                href=format!("/c/{}", d.slug)
                                class="relative flex h-32 flex-col justify-end overflow-hidden rounded-2xl p-4 text-left text-white shadow-sm transition hover:brightness-110 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600 focus-visible:ring-offset-2"
                            >
                                // The department's own colour, painted by SVG: a `style`
                                // attribute would need 'unsafe-inline' in the page's CSP.
                                <svg aria-hidden="true" class="absolute inset-0 h-full w-full" viewBox="0 0 1 1" preserveAspectRatio="none">
                                    <rect width="1" height="1" fill=d.colour />
                                </svg>
                                <span class="relative text-lg font-semibold">{d.name}</span>
                                <span class="relative line-clamp-2 text-xs text-white/85">{d.description}</span>
                            </a>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// What every order comes with, in three short lines.
#[component]
fn Promises() -> impl IntoView {
    const PROMISES: &[(&str, &str)] = &[
        (
            "Free returns",
            "Changed your mind? Send it back within 30 days, on us.",
        ),
        (
            "Secure checkout",
            "Card payments are processed by a PCI-certified provider.",
        ),
        (
            "Fast dispatch",
            "Orders placed before 2 pm leave our warehouse the same day.",
        ),
    ];
    view! {
        <section aria-label="Why shop with us" class="mx-auto max-w-6xl px-4 py-12">
            <ul class="grid gap-4 sm:grid-cols-3">
                {PROMISES
                    .iter()
                    .map(|(title, text)| {
                        view! {
                            <li class="rounded-2xl border border-stone-200 bg-white p-6 shadow-sm">
                                <h2 class="font-semibold text-stone-900">{*title}</h2>
                                <p class="mt-2 text-sm text-stone-600">{*text}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn HeroSkeleton() -> impl IntoView {
    view! {
        <section aria-busy="true" class="bg-teal-700">
            <div class="mx-auto h-80 max-w-6xl px-4 py-16">
                <span class="sr-only">"Loading"</span>
            </div>
        </section>
    }
}
