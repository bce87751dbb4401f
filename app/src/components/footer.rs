use super::ShopName;
use leptos::prelude::*;

const COLUMNS: &[(&str, &[(&str, &str)])] = &[
    (
        "Shop",
        &[
            ("All products", "/search"),
            ("New in", "/search?sort=newest"),
            ("Sale", "/search?sale=1"),
        ],
    ),
    (
        "Help",
        &[
            ("Shipping", "/help/shipping"),
            ("Returns", "/help/returns"),
            ("Contact us", "/help/contact"),
        ],
    ),
    (
        "Your account",
        &[
            ("Sign in", "/account"),
            ("Orders", "/account/orders"),
            ("Cart", "/cart"),
        ],
    ),
];

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="mt-16 border-t border-stone-200 bg-white">
            <div class="mx-auto grid max-w-6xl grid-cols-2 gap-8 px-4 py-10 sm:grid-cols-4">
                <div class="col-span-2 sm:col-span-1">
                    <p class="text-lg font-bold tracking-tight"><ShopName /></p>
                    <p class="mt-2 max-w-xs text-sm text-stone-600">
                        "Free returns within 30 days. Secure checkout. Real people answering your mail."
                    </p>
                </div>
                {COLUMNS
                    .iter()
                    .map(|(title, links)| {
                        view! {
                            <nav aria-label=*title>
                                <h2 class="text-sm font-semibold text-stone-900">{*title}</h2>
                                <ul class="mt-3 space-y-2 text-sm">
                                    {links
                                        .iter()
                                        .map(|(label, href)| {
                                            view! {
                                                <li>
                                                    <a href=*href class="text-stone-600 hover:text-teal-800 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">
                                                        {*label}
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </nav>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="border-t border-stone-100">
                <p class="mx-auto max-w-6xl px-4 py-4 text-xs text-stone-500">
                    "Powered by Mercato, the open-source storefront. Prices include VAT where applicable."
                </p>
            </div>
        </footer>
    }
}
