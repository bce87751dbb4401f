use super::Price;
use leptos::prelude::*;
use mercato::catalog::view;

/// A product in a grid: picture, name, price, and its sale or sold-out state.
#[component]
pub fn ProductCard(
    product: view::ProductCard,
    /// Loads the picture at once (above the fold) instead of when scrolled near.
    #[prop(optional)]
    eager: bool,
) -> impl IntoView {
    let on_sale = product.on_sale();
    let from = product.price_varies();
    let href = format!("/p/{}", product.slug);
    view! {
        <li class="group relative flex flex-col">
            <div class="relative aspect-square overflow-hidden rounded-2xl bg-stone-100">
                {product
                    .image
                    .map(|img| {
                        view! {
                            <img
                                src=img.url
                                srcset=img.srcset
                                sizes="(min-width: 1152px) 220px, (min-width: 1024px) 18vw, (min-width: 640px) 33vw, 50vw"
                                alt=img.alt
                                loading=if eager { "eager" } else { "lazy" }
                                width=img.width
                                height=img.height
                                class="h-full w-full object-cover transition duration-300 group-hover:scale-105"
                            />
                        }
                    })}
                <div class="absolute left-2 top-2 flex gap-1">
                    {on_sale
                        .then(|| {
                            view! {
                                <span class="rounded-full bg-rose-600 px-2 py-0.5 text-xs font-semibold text-white">"Sale"</span>
                            }
                        })}
                    {(!product.in_stock)
                        .then(|| {
                            view! {
                                <span class="rounded-full bg-stone-800 px-2 py-0.5 text-xs font-semibold text-white">"Sold out"</span>
                            }
                        })}
                </div>
            </div>
            <h3 class="mt-3 text-sm font-medium text-stone-900">
                <a href=href class="focus:outline-none focus-visible:underline">
                    // The whole card is the link's target area.
                    <span aria-hidden="true" class="absolute inset-0"></span>
                    {product.name}
                </a>
            </h3>
            <Price price=product.price compare_at=product.compare_at from />
        </li>
    }
}

/// Products in a responsive grid.
/// The cards of a grid's first row (four on a wide screen, two rows on a phone) load at
/// once: one of them is the largest picture above the fold. The rest wait until
/// scrolled near.
const EAGER: usize = 4;

#[component]
pub fn ProductGrid(products: Vec<view::ProductCard>) -> impl IntoView {
    view! {
        <ul class="grid grid-cols-2 gap-x-4 gap-y-8 sm:grid-cols-3 lg:grid-cols-4">
            {products
                .into_iter()
                .enumerate()
                .map(|(n, product)| view! { <ProductCard product eager={n < EAGER} /> })
                .collect_view()}
        </ul>
    }
}
