use super::icons::UserIcon;
use super::SearchBox;
use crate::shop::use_shop_info;
use leptos::prelude::*;
use mercato::shop::ShopInfo;

/// Top-level sections of the shop. A fixed list until the catalog provides categories.
const SECTIONS: &[(&str, &str)] = &[
    ("Shop all", "/search"),
    ("New in", "/search?sort=newest"),
    ("Clothing", "/c/clothing"),
    ("Home & living", "/c/home"),
    ("Outdoors", "/c/outdoors"),
    ("Sale", "/search?sale=1"),
];

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:z-50 focus:rounded focus:bg-white focus:px-4 focus:py-2 focus:shadow">
            "Skip to content"
        </a>
        <header class="border-b border-stone-200 bg-white">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-3 px-4 py-3 sm:flex-nowrap sm:py-4">
                <a href="/" class="order-1 flex items-center gap-2 rounded text-xl font-bold tracking-tight text-stone-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">
                    <span aria-hidden="true" class="flex h-8 w-8 items-center justify-center rounded-lg bg-teal-700 text-base font-black text-white">"M"</span>
                    <ShopName />
                </a>
                <div class="order-3 w-full sm:order-2 sm:max-w-md sm:flex-1">
                    <SearchBox id="header-search" large=false value=String::new() />
                </div>
                <nav aria-label="Account and cart" class="order-2 ml-auto flex items-center gap-1 sm:order-3">
                    <AccountLink />
                    <crate::cart::CartCount />
                </nav>
            </div>
            <nav aria-label="Categories" class="border-t border-stone-100">
                <ul class="mx-auto flex max-w-6xl gap-1 overflow-x-auto px-2 py-1 text-sm [scrollbar-width:none]">
                    {SECTIONS
                        .iter()
                        .map(|(label, href)| {
                            view! {
                                <li class="shrink-0">
                                    <a href=*href class="block rounded-full px-3 py-2 font-medium text-stone-600 hover:bg-stone-100 hover:text-stone-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">
                                        {*label}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        </header>
    }
}

/// The shop's name from its settings; the default name while loading or if unavailable.
#[component]
pub fn ShopName() -> impl IntoView {
    let info = use_shop_info();
    view! {
        <Suspense fallback=|| ShopInfo::default().name>
            {move || Suspend::new(async move {
                info.await.map(|i| i.name).unwrap_or_else(|_| ShopInfo::default().name)
            })}
        </Suspense>
    }
}

/// "Sign in" for a guest, "Account" once signed in.
#[component]
fn AccountLink() -> impl IntoView {
    let signed_in = Resource::new(|| (), |_| crate::accounts::signed_in_for_header());
    let link = |signed_in: bool| {
        let label = if signed_in { "Account" } else { "Sign in" };
        view! {
            <a href="/account" data-testid="account-link" class="flex items-center gap-1.5 rounded-full px-3 py-2 text-sm font-medium text-stone-700 hover:bg-stone-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">
                <UserIcon />
                <span class="hidden sm:inline">{label}</span>
                <span class="sr-only sm:hidden">{label}</span>
            </a>
        }
    };
    view! {
        <Transition fallback=move || link(false)>
            {move || Suspend::new(async move { link(signed_in.await.unwrap_or(false)) })}
        </Transition>
    }
}
