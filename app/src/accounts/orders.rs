//! `/account/orders`: the order history.

use super::addresses::signed_in;
use crate::components::loaded;
use crate::components::PageTitle;
use crate::error::AppError;
use crate::orders::{load_my_orders, OrderList};
use leptos::prelude::*;
use leptos_meta::Meta;

#[component]
pub fn OrdersPage() -> impl IntoView {
    let orders = Resource::new(
        || (),
        |_| async { Ok::<_, AppError>(load_my_orders().await) },
    );
    view! {
        <PageTitle text="Your orders" />
        <Meta name="robots" content="noindex" />
        <div class="mx-auto max-w-3xl px-4 py-12">
            <p><a href="/account" class="text-sm font-semibold text-teal-800 underline">"← Your account"</a></p>
            <h1 class="mt-2 text-3xl font-bold tracking-tight">"Your orders"</h1>
            {loaded(orders, |orders| signed_in(orders, |orders| view! { <OrderList orders /> }))}
        </div>
    }
}
