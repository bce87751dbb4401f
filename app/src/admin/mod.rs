//! `/admin`: the staff's pages. Every server function here starts with its role check.

use crate::components::loaded;
use crate::components::PageTitle;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Meta;
use mercato::admin::Overview;

/// The shop at a glance. Staff and admins only.
#[server(prefix = "/api", endpoint = "admin/overview")]
pub async fn load_overview() -> Result<Overview, AppError> {
    crate::accounts::require_staff().await?;
    let pool = crate::state::pool()?;
    Ok(mercato::admin::overview(&pool).await?)
}

/// Whether stock adds up (for staff, and for the checkout benchmark's oversell check).
#[server(prefix = "/api", endpoint = "admin/stock-audit")]
pub async fn stock_audit() -> Result<mercato::admin::StockAudit, AppError> {
    crate::accounts::require_staff().await?;
    let pool = crate::state::pool()?;
    Ok(mercato::admin::stock_audit(&pool).await?)
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let overview = Resource::new(
        || (),
        |_| async { Ok::<_, AppError>(load_overview().await) },
    );
    view! {
        <PageTitle text="Admin" />
        <Meta name="robots" content="noindex" />
        <div class="mx-auto max-w-5xl px-4 py-12">
            <h1 class="text-3xl font-bold tracking-tight">"Admin"</h1>
            {loaded(overview, |result| match result {
                Ok(o) => view! { <Tiles overview=o /> }.into_any(),
                Err(AppError::SignInRequired) => view! {
                    <p class="mt-6 text-stone-700">"Staff only. "
                        <a href="/account" class="font-semibold text-teal-800 underline">"Sign in"</a>
                        " with a staff account."</p>
                }.into_any(),
                Err(e) => view! {
                    <p role="alert" class="mt-6 rounded-xl bg-rose-50 px-4 py-3 text-sm font-medium text-rose-800">{e.to_string()}</p>
                }.into_any(),
            })}
        </div>
    }
}

#[component]
fn Tiles(overview: Overview) -> impl IntoView {
    let tiles = [
        ("Active products", overview.active_products),
        ("Draft products", overview.draft_products),
        ("Variants sold out", overview.variants_sold_out),
        ("Customers", overview.customers),
        ("Staff accounts", overview.staff),
        ("Carts with items", overview.carts_with_items),
        ("Coupons live or upcoming", overview.live_coupons),
        ("Mail waiting to send", overview.mail_waiting),
    ];
    view! {
        <dl class="mt-8 grid grid-cols-2 gap-4 md:grid-cols-4">
            {tiles.into_iter().map(|(label, n)| view! {
                <div class="rounded-2xl border border-stone-200 bg-white p-5">
                    <dt class="text-sm text-stone-600">{label}</dt>
                    <dd class="mt-1 text-2xl font-bold">{n}</dd>
                </div>
            }).collect_view()}
        </dl>
        <p class="mt-8 text-sm text-stone-500">"Products, orders and coupons get their own admin pages next."</p>
    }
}
