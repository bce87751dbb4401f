//! `/admin/inventory`: what is low or sold out, and `/admin/inventory/{variant}`: one
//! variant's stock, its adjustments and its movement log. The rules (reasons, which way
//! each moves stock, never below zero) are `mercato::inventory`.

use super::{AdminHeader, DataTable, KeysetPager, StockBadge};
use crate::components::form::{
    action_error, Outcome, SelectField, TextField, BUTTON, INPUT, LABEL, SECONDARY,
};
use crate::components::loaded;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
#[cfg(feature = "ssr")]
use mercato::admin::Permission;
use mercato::catalog::ProductStatus;
use mercato::inventory::{Level, LevelPage, LevelQuery, Movement, MovementReason, Show};
use serde::{Deserialize, Serialize};

/// A page of stock levels, as the page's URL asks (see [`LevelQuery::from_params`]).
#[server(prefix = "/api", endpoint = "admin/inventory")]
pub async fn load_levels(
    show: Option<String>,
    q: Option<String>,
    after: Option<String>,
) -> Result<LevelPage, AppError> {
    crate::accounts::require_permission(Permission::Inventory).await?;
    let query = LevelQuery::from_params(show.as_deref(), q.as_deref(), after.as_deref());
    let pool = crate::state::pool()?;
    Ok(mercato::inventory::store::levels(&pool, &query).await?)
}

/// One variant's stock and a page of its movements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantStock {
    pub level: Level,
    pub movements: Vec<Movement>,
    /// Where the next (older) page of movements starts.
    pub next: Option<i64>,
}

#[server(prefix = "/api", endpoint = "admin/inventory/variant")]
pub async fn load_variant_stock(
    variant: i64,
    before: Option<i64>,
) -> Result<VariantStock, AppError> {
    crate::accounts::require_permission(Permission::Inventory).await?;
    let pool = crate::state::pool()?;
    let level = mercato::inventory::store::level(&pool, variant).await?;
    let (movements, next) = mercato::inventory::store::movements(&pool, variant, before).await?;
    Ok(VariantStock {
        level,
        movements,
        next,
    })
}

/// Adds or takes away `quantity` units of `variant` for `reason`, and gives the new
/// level. The shop shows the change at once.
#[server(prefix = "/api", endpoint = "admin/inventory/adjust")]
pub async fn adjust_stock(
    variant: i64,
    quantity: String,
    reason: String,
    note: String,
) -> Result<i32, AppError> {
    let staff = crate::accounts::require_permission(Permission::Inventory).await?;
    let adjustment = mercato::inventory::Adjustment::parse(variant, &quantity, &reason, &note)
        .map_err(mercato::Error::Fields)?;
    let state = crate::state::state()?;
    let on_hand = mercato::inventory::store::adjust(&state.pool, &staff, &adjustment).await?;
    state.catalog_changes.report();
    crate::session::flash_if_plain_form(format!("Stock adjusted: {on_hand} on hand now.")).await?;
    Ok(on_hand)
}

/// Sets `variant`'s own low-stock threshold (empty: the shop's).
#[server(prefix = "/api", endpoint = "admin/inventory/threshold")]
pub async fn set_variant_threshold(variant: i64, threshold: String) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Inventory).await?;
    let threshold =
        mercato::inventory::parse_threshold(&threshold, true).map_err(mercato::Error::Fields)?;
    let pool = crate::state::pool()?;
    mercato::inventory::store::set_threshold(&pool, &staff, variant, threshold).await?;
    crate::session::flash_if_plain_form("Low-stock threshold saved.").await
}

/// Sets the shop's low-stock threshold.
#[server(prefix = "/api", endpoint = "admin/inventory/shop-threshold")]
pub async fn set_shop_threshold(threshold: String) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Inventory).await?;
    let threshold = mercato::inventory::parse_threshold(&threshold, false)
        .map_err(mercato::Error::Fields)?
        .unwrap_or_default();
    let pool = crate::state::pool()?;
    mercato::inventory::store::set_shop_threshold(&pool, &staff, threshold).await?;
    crate::session::flash_if_plain_form("The shop's low-stock threshold is saved.").await
}

/// `/admin/inventory[?show=needs-stock|sold-out|all&q=…&after=…]`
#[component]
pub fn InventoryPage() -> impl IntoView {
    let params = use_query_map();
    let args = move || {
        let params = params.read();
        (params.get("show"), params.get("q"), params.get("after"))
    };
    let page = Resource::new(args, |(show, q, after)| load_levels(show, q, after));
    let query = move || {
        let (show, q, after) = args();
        LevelQuery::from_params(show.as_deref(), q.as_deref(), after.as_deref())
    };
    view! {
        <AdminHeader title="Inventory" />
        <p class="mt-2 max-w-2xl text-sm text-stone-600">
            "Stock per variant, lowest first. Open a variant to restock it, correct its count or see every movement with who made it and why."
        </p>
        {loaded(page, move |page| {
            view! {
                <FilterBar query=query() />
                <Levels page=page.clone() query=query() />
                <ShopThreshold threshold=page.shop_threshold />
            }
        })}
    }
}

/// Which variants, and a search: a GET form, so the list's state is its URL.
#[component]
fn FilterBar(query: LevelQuery) -> impl IntoView {
    let options = Show::ALL
        .into_iter()
        .map(|show| {
            let selected = show == query.show;
            view! { <option value=show.as_str() selected=selected>{show.label()}</option> }
        })
        .collect_view();
    view! {
        <form method="get" action="/admin/inventory" role="search" class="mt-5 flex flex-wrap items-end gap-3 rounded-2xl border border-stone-200 bg-white p-4">
            <div class="min-w-[12rem] flex-1">
                <label for="inventory-q" class=LABEL>"SKU or product"</label>
                <input id="inventory-q" name="q" type="search" value=query.q.clone() maxlength=100 class=INPUT />
            </div>
            <div>
                <label for="inventory-show" class=LABEL>"Show"</label>
                <select id="inventory-show" name="show" class=INPUT>{options}</select>
            </div>
            <button type="submit" class=SECONDARY>"Filter"</button>
        </form>
    }
}

#[component]
fn Levels(page: LevelPage, query: LevelQuery) -> impl IntoView {
    let first = query.after.is_none();
    if page.levels.is_empty() {
        let message = match (first, query.q.is_empty(), query.show) {
            (false, _, _) => "No more variants.",
            (true, false, _) => "No variant matches this search.",
            (true, true, Show::NeedsStock) => "Nothing is low or sold out.",
            (true, true, Show::SoldOut) => "Nothing is sold out.",
            (true, true, Show::All) => "No variants yet.",
        };
        return view! {
            <p class="mt-6 rounded-2xl border border-dashed border-stone-300 bg-white px-4 py-10 text-center text-stone-600">
                {message}
                {(query != LevelQuery::default()).then(|| view! {
                    " " <a href="/admin/inventory" class="font-semibold text-teal-800 underline">"Clear filters"</a>
                })}
            </p>
        }
        .into_any();
    }
    let next = page.next.map(|cursor| query.starting(Some(cursor)).href());
    let newest = (!first).then(|| query.starting(None).href());
    view! {
        <div class="mt-6">
            <DataTable min_width="min-w-[44rem]" columns=&["Variant", "SKU", "On hand", "Low at", "State"]>
                {page.levels.into_iter().map(|level| view! { <LevelRow level /> }).collect_view()}
            </DataTable>
        </div>
        <KeysetPager label="Inventory pages" first=newest next first_label="Lowest stock" next_label="Next variants" />
    }
    .into_any()
}

fn variant_name(level: &Level) -> String {
    if level.options.is_empty() {
        level.product_name.clone()
    } else {
        format!("{} · {}", level.product_name, level.options)
    }
}

#[component]
fn LevelRow(level: Level) -> impl IntoView {
    let state = level.state();
    let own = level.own_threshold.is_some();
    view! {
        <tr data-testid="stock-row" class="align-middle">
            <th scope="row" class="px-4 py-3 text-left font-medium">
                <a href=format!("/admin/inventory/{}", level.variant_id) class="text-teal-800 underline-offset-4 hover:underline">
                    {variant_name(&level)}
                </a>
                {(level.product_status != ProductStatus::Active).then(|| view! {
                    " " <span class="ml-1 rounded-full bg-stone-200 px-2 py-0.5 text-xs font-semibold text-stone-700">{level.product_status.label()}</span>
                })}
            </th>
            <td class="whitespace-nowrap px-4 py-3 font-mono text-xs">{level.sku.clone()}</td>
            <td class="px-4 py-3 font-semibold tabular-nums">{level.on_hand}</td>
            <td class="px-4 py-3 tabular-nums text-stone-600">
                {level.threshold}
                {(!own).then(|| view! { <span class="text-stone-500">" (shop)"</span> })}
            </td>
            <td class="px-4 py-3"><StockBadge state /></td>
        </tr>
    }
}

/// The shop's threshold: a variant without its own is low at or below it.
#[component]
fn ShopThreshold(threshold: i32) -> impl IntoView {
    let save = ServerAction::<SetShopThreshold>::new();
    let outcome: Signal<Outcome<()>> = save.value().into();
    view! {
        <section aria-labelledby="shop-threshold-heading" class="mt-10 max-w-xl rounded-2xl border border-stone-200 bg-white p-5">
            <h2 id="shop-threshold-heading" class="text-lg font-bold">"The shop's low-stock threshold"</h2>
            <p class="mt-1 text-sm text-stone-600">"A variant is low at or below this many units, unless it has a threshold of its own."</p>
            <ActionForm action=save attr:class="mt-4 flex flex-wrap items-end gap-3" attr:novalidate=true>
                <div class="w-40">
                    <TextField name="threshold" label="Units" kind="number" value=threshold.to_string() required=true maxlength=7 outcome />
                </div>
                <button type="submit" class=SECONDARY>"Save threshold"</button>
            </ActionForm>
        </section>
    }
}

/// `/admin/inventory/{variant}[?before=…]`
#[component]
pub fn VariantStockPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let args = move || {
        (
            params
                .read()
                .get("variant")
                .and_then(|v| v.parse::<i64>().ok()),
            query
                .read()
                .get("before")
                .and_then(|b| b.parse::<i64>().ok()),
        )
    };
    let page = Resource::new(args, |(variant, before)| async move {
        match variant {
            Some(variant) => load_variant_stock(variant, before).await,
            None => Err(AppError::NotFound),
        }
    });
    let first = move || query.read_untracked().get("before").is_none();
    view! {
        <AdminHeader crumbs=vec![("Inventory", "/admin/inventory")] title="Variant stock" />
        {loaded(page, move |stock| view! { <VariantStockView stock first=first() /> })}
    }
}

#[component]
fn VariantStockView(stock: VariantStock, first: bool) -> impl IntoView {
    let VariantStock {
        level,
        movements,
        next,
    } = stock;
    let id = level.variant_id;
    let next = next.map(|before| format!("/admin/inventory/{id}?before={before}"));
    let newest = (!first).then(|| format!("/admin/inventory/{id}"));
    view! {
        <p class="mt-1 flex flex-wrap items-baseline gap-x-3 gap-y-1 text-lg text-stone-800">
            <span data-testid="variant-name">{variant_name(&level)}</span>
            <span data-testid="variant-sku" class="font-mono text-sm">{level.sku.clone()}</span>
            <a href=format!("/admin/products/{}", level.product_id) class="text-sm font-semibold text-teal-800 underline">"Edit product"</a>
            {if level.product_status == ProductStatus::Active {
                view! {
                    <a href=format!("/p/{}?variant={id}", level.product_slug) class="text-sm font-semibold text-teal-800 underline">"View in the shop"</a>
                }.into_any()
            } else {
                view! {
                    <span class="rounded-full bg-stone-200 px-2 py-0.5 text-xs font-semibold text-stone-700">{format!("{}: not in the shop", level.product_status.label())}</span>
                }.into_any()
            }}
        </p>
        <div class="mt-5 grid gap-4 lg:grid-cols-[16rem_1fr]">
            <div class="rounded-2xl border border-stone-200 bg-white p-5">
                <p class="text-sm text-stone-600">"On hand"</p>
                <p data-testid="on-hand" class="mt-1 text-4xl font-bold tabular-nums">{level.on_hand}</p>
                <p class="mt-2"><StockBadge state=level.state() /></p>
                {(!level.tracked).then(|| view! {
                    <p data-testid="not-tracked" class="mt-3 text-sm text-stone-600">
                        "Orders take none of this variant's stock: it is always for sale. Tracking is switched in "
                        <a href=format!("/admin/products/{}", level.product_id) class="font-semibold text-teal-800 underline">"the product editor"</a>
                        " (catalog and inventory permissions)."
                    </p>
                })}
                <p class="mt-3 text-sm text-stone-600">
                    {format!("Low at {} or fewer", level.threshold)}
                    {level.own_threshold.is_none().then_some(" (the shop's threshold)")}
                </p>
            </div>
            <AdjustForm variant=id />
        </div>
        <ThresholdForm variant=id own=level.own_threshold />
        <section aria-labelledby="movements-heading" class="mt-10">
            <h2 id="movements-heading" class="text-lg font-bold">"Movements"</h2>
            <div class="mt-3">
                {if movements.is_empty() {
                    view! {
                        <p class="rounded-2xl border border-dashed border-stone-300 bg-white px-4 py-8 text-center text-stone-600">
                            "No movements yet: this variant's stock hasn't changed since it was added."
                        </p>
                    }.into_any()
                } else {
                    view! {
                        <DataTable min_width="min-w-[40rem]" columns=&["When (UTC)", "Change", "Reason", "Who", "Note"]>
                            {movements.into_iter().map(|m| view! { <MovementRow movement=m /> }).collect_view()}
                        </DataTable>
                    }.into_any()
                }}
            </div>
            <KeysetPager label="Movement pages" first=newest next first_label="Newest" next_label="Older movements" />
        </section>
    }
}

#[component]
fn AdjustForm(variant: i64) -> impl IntoView {
    let adjust = ServerAction::<AdjustStock>::new();
    let outcome: Signal<Outcome<i32>> = adjust.value().into();
    let reasons = MovementReason::ADJUSTMENTS
        .into_iter()
        .map(|r| (r.as_str().to_owned(), r.label().to_owned()))
        .collect::<Vec<_>>();
    view! {
        <section aria-labelledby="adjust-heading" class="rounded-2xl border border-stone-200 bg-white p-5">
            <h2 id="adjust-heading" class="text-lg font-bold">"Adjust stock"</h2>
            <p class="mt-1 text-sm text-stone-600">
                "A restock or a return adds units; damage takes them out; a correction does either (type -3 to take three out)."
            </p>
            <ActionForm action=adjust attr:class="mt-4 grid gap-4 sm:grid-cols-2" attr:novalidate=true>
                <div class="sm:col-span-2">{action_error(adjust.value())}</div>
                <input type="hidden" name="variant" value=variant />
                <TextField name="quantity" label="Units" kind="text" required=true maxlength=12 outcome hint="Such as 24, or -3 for a correction." />
                <SelectField name="reason" label="Reason" options=reasons selected="restock" outcome />
                <div class="sm:col-span-2">
                    <TextField name="note" label="Note" maxlength=500 outcome hint="A delivery number, what was damaged…" />
                </div>
                <div class="sm:col-span-2">
                    <button type="submit" class=BUTTON>"Adjust stock"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn ThresholdForm(variant: i64, own: Option<i32>) -> impl IntoView {
    let save = ServerAction::<SetVariantThreshold>::new();
    let outcome: Signal<Outcome<()>> = save.value().into();
    view! {
        <section aria-labelledby="threshold-heading" class="mt-4 rounded-2xl border border-stone-200 bg-white p-5">
            <h2 id="threshold-heading" class="text-lg font-bold">"Low-stock threshold"</h2>
            <ActionForm action=save attr:class="mt-3 flex flex-wrap items-end gap-3" attr:novalidate=true>
                <input type="hidden" name="variant" value=variant />
                <div class="w-64">
                    <TextField name="threshold" label="Low at or below" kind="number" value=own.map(|t| t.to_string()).unwrap_or_default() maxlength=7 outcome hint="Empty: the shop's threshold." />
                </div>
                <button type="submit" class=SECONDARY>"Save threshold"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn MovementRow(movement: Movement) -> impl IntoView {
    let change = if movement.delta > 0 {
        format!("+{}", movement.delta)
    } else {
        movement.delta.to_string()
    };
    let colour = if movement.delta > 0 {
        "text-teal-800"
    } else {
        "text-rose-800"
    };
    view! {
        <tr data-testid="movement">
            <td class="whitespace-nowrap px-4 py-3 text-stone-600">{movement.at}</td>
            <td class=format!("px-4 py-3 font-semibold tabular-nums {colour}")>{change}</td>
            <td class="px-4 py-3">{movement.reason.label()}</td>
            <td class="px-4 py-3">{movement.by.unwrap_or_else(|| "—".to_owned())}</td>
            <td class="px-4 py-3 text-stone-700">{movement.note.unwrap_or_default()}</td>
        </tr>
    }
}
