//! `/account/orders`: the order history (orders arrive with checkout).

use super::load_user;
use super::password::SignInFirst;
use crate::components::loaded;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

#[component]
pub fn OrdersPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| load_user());
    view! {
        <Title text="Your orders" />
        <Meta name="robots" content="noindex" />
        <div class="mx-auto max-w-3xl px-4 py-12">
            <p><a href="/account" class="text-sm font-semibold text-teal-800 underline">"← Your account"</a></p>
            <h1 class="mt-2 text-3xl font-bold tracking-tight">"Your orders"</h1>
            {loaded(user, |user| match user {
                Some(_) => view! {
                    <div class="mt-8 rounded-2xl border border-dashed border-stone-300 bg-white p-10 text-center">
                        <p class="text-lg font-semibold text-stone-800">"No orders yet."</p>
                        <p class="mt-2 text-stone-600">"When you place one, it appears here with its status, from paid to delivered."</p>
                        <a href="/search" class="mt-6 inline-block rounded-full bg-teal-700 px-6 py-3 text-sm font-semibold text-white hover:bg-teal-800">"Browse the shop"</a>
                    </div>
                }.into_any(),
                None => view! { <SignInFirst /> }.into_any(),
            })}
        </div>
    }
}
