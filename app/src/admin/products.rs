//! `/admin/products`: every product, searched, filtered and sorted in the URL, a keyset
//! page at a time, and bulk actions on the chosen ones, confirmed on
//! `/admin/products/bulk` with their count. The rules are `mercato::catalog::staff`.

use super::{select_options, AdminHeader, DataTable, EmptyList, KeysetPager, StockBadge};
use crate::components::form::{action_error, BUTTON, INPUT, LABEL, SECONDARY};
use crate::components::loaded;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use mercato::catalog::staff::{
    stock_param, BulkAction, CategoryChoice, Chosen, ProductPage, ProductQuery, ProductRow,
    ProductSort,
};
use mercato::catalog::ProductStatus;
use mercato::inventory::StockState;
use serde::{Deserialize, Serialize};

/// A page of the list, and the categories to filter by and move to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductList {
    pub page: ProductPage,
    pub categories: Vec<CategoryChoice>,
}

/// The list as the page's URL asks (see [`ProductQuery::from_params`]).
#[server(prefix = "/api", endpoint = "admin/products")]
pub async fn load_products(
    q: Option<String>,
    status: Option<String>,
    category: Option<String>,
    stock: Option<String>,
    sort: Option<String>,
    after: Option<String>,
) -> Result<ProductList, AppError> {
    crate::accounts::require_permission(mercato::admin::Permission::Catalog).await?;
    let query = query_of(&[q, status, category, stock, sort, after]);
    let state = crate::state::state()?;
    let (page, categories) = tokio::try_join!(
        mercato::catalog::staff::list(&state.pool, &query, state.currency),
        mercato::catalog::staff::category_choices(&state.pool),
    )?;
    Ok(ProductList { page, categories })
}

/// The chosen products (`ids`, comma-separated), for the confirm page, and the
/// categories (to name the one they move to).
#[server(prefix = "/api", endpoint = "admin/products/chosen")]
pub async fn load_chosen(ids: String) -> Result<(Vec<Chosen>, Vec<CategoryChoice>), AppError> {
    crate::accounts::require_permission(mercato::admin::Permission::Catalog).await?;
    let ids = mercato::catalog::staff::parse_ids([ids.as_str()])?;
    let pool = crate::state::pool()?;
    Ok(tokio::try_join!(
        mercato::catalog::staff::chosen(&pool, &ids),
        mercato::catalog::staff::category_choices(&pool),
    )?)
}

/// Does `action` (`publish`, `archive`, `move` with `category`) to the products `ids`
/// (comma-separated) in one transaction; without JavaScript, back to `back` (a product
/// list URL) with what was done.
#[server(prefix = "/api", endpoint = "admin/products/bulk")]
pub async fn bulk_products(
    ids: String,
    action: String,
    category: Option<String>,
    back: Option<String>,
) -> Result<String, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Catalog).await?;
    let ids = mercato::catalog::staff::parse_ids([ids.as_str()])?;
    let category = category.and_then(|c| c.parse().ok());
    let action = BulkAction::parse(&action, category).ok_or_else(|| {
        mercato::Error::field("action", "Choose what to do with the chosen products.")
    })?;
    let state = crate::state::state()?;
    let outcome = mercato::catalog::staff::bulk(&state.pool, &staff, &ids, action).await?;
    if outcome.changed > 0 {
        state.catalog_changes.report();
    }
    let message = outcome.describe(action);
    // Back to the list as it was: only a product list's own URL.
    crate::session::flash_and_go(
        message.clone(),
        &mercato::catalog::staff::list_url(back.as_deref()),
    )
    .await?;
    Ok(message)
}

/// The list's URL parameters: q, status, category, stock, sort, after.
type Params = [Option<String>; 6];

fn query_of([q, status, category, stock, sort, after]: &Params) -> ProductQuery {
    ProductQuery::from_params(
        q.as_deref(),
        status.as_deref(),
        category.as_deref(),
        stock.as_deref(),
        sort.as_deref(),
        after.as_deref(),
    )
}

const STATUS_BADGE: &str = "whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold";

fn status_class(status: ProductStatus) -> &'static str {
    match status {
        ProductStatus::Active => "bg-teal-50 text-teal-900",
        ProductStatus::Draft => "bg-amber-100 text-amber-900",
        ProductStatus::Archived => "bg-stone-200 text-stone-700",
    }
}

/// `/admin/products[?q=…&status=…&category=…&stock=…&sort=…&after=…]`
#[component]
pub fn ProductsPage() -> impl IntoView {
    let args = super::url_params(["q", "status", "category", "stock", "sort", "after"]);
    let list = Resource::new(args, |[q, status, category, stock, sort, after]| {
        load_products(q, status, category, stock, sort, after)
    });
    let query = move || query_of(&args());
    view! {
        <AdminHeader title="Products" />
        <p class="mt-3 flex flex-wrap gap-3">
            <a href="/admin/products/new" class=format!("{BUTTON} inline-flex items-center")>"Add a product"</a>
            <a href="/admin/imports" class=format!("{SECONDARY} inline-flex items-center")>"Import or export"</a>
        </p>
        {loaded(list, move |list| {
            let query = query();
            view! {
                <FilterBar query=query.clone() categories=list.categories.clone() />
                <Products page=list.page categories=list.categories query />
            }
        })}
    }
}

/// Search, filters and the sort: a GET form, so the list's state is its URL.
#[component]
fn FilterBar(query: ProductQuery, categories: Vec<CategoryChoice>) -> impl IntoView {
    let any = || std::iter::once((String::new(), "Any".to_owned()));
    let statuses = any().chain(
        ProductStatus::ALL
            .into_iter()
            .map(|s| (s.as_str().to_owned(), s.label().to_owned())),
    );
    let stocks = any().chain(
        [StockState::InStock, StockState::Low, StockState::SoldOut]
            .into_iter()
            .map(|s| (stock_param(s).to_owned(), s.label().to_owned())),
    );
    let category_options = any().chain(categories.into_iter().map(|c| (c.id.to_string(), c.path)));
    let sorts = ProductSort::ALL
        .into_iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()));
    let field = |id: &'static str, label: &'static str, name: &'static str, options: AnyView| {
        view! {
            <div>
                <label for=id class=LABEL>{label}</label>
                <select id=id name=name class=INPUT>{options}</select>
            </div>
        }
    };
    view! {
        <form method="get" action="/admin/products" role="search" class="mt-5 grid gap-3 rounded-2xl border border-stone-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-[2fr_1fr_1.5fr_1fr_1.3fr_auto] lg:items-end">
            <div class="sm:col-span-2 lg:col-span-1">
                <label for="products-q" class=LABEL>"Name or SKU"</label>
                <input id="products-q" name="q" type="search" value=query.q.clone() maxlength=100 class=INPUT />
            </div>
            {field("products-status", "Status", "status", select_options(statuses, query.status.map(|s| s.as_str()).unwrap_or_default()).into_any())}
            {field("products-category", "Category", "category", select_options(category_options, &query.category.map(|c| c.to_string()).unwrap_or_default()).into_any())}
            {field("products-stock", "Stock", "stock", select_options(stocks, query.stock.map(stock_param).unwrap_or_default()).into_any())}
            {field("products-sort", "Sort by", "sort", select_options(sorts, query.sort.as_str()).into_any())}
            <button type="submit" class=SECONDARY>"Apply"</button>
        </form>
    }
}

#[component]
fn Products(
    page: ProductPage,
    categories: Vec<CategoryChoice>,
    query: ProductQuery,
) -> impl IntoView {
    let first = query.after.is_none();
    if page.rows.is_empty() {
        let message = match (first, query.is_filtered()) {
            (false, _) => "No more products.",
            (true, true) => "No product matches these filters.",
            (true, false) => "No products yet.",
        };
        return view! { <EmptyList message filtered=query.is_filtered() list="/admin/products" /> }
            .into_any();
    }
    let next = page.next.map(|after| query.starting(Some(after)).href());
    let newest = (!first).then(|| query.starting(None).href());
    let back = query.href();
    let moves = categories.into_iter().map(|c| (c.id.to_string(), c.path));
    view! {
        // The bulk bar and the rows' checkboxes are one GET form: its confirm page says
        // how many products the action changes before anything does.
        <form method="get" action="/admin/products/bulk" class="mt-6">
            <input type="hidden" name="back" value=back />
            <div role="toolbar" aria-label="Bulk actions" class="mb-3 flex flex-wrap items-end gap-3 rounded-2xl border border-stone-200 bg-white p-3">
                <div>
                    <label for="bulk-action" class=LABEL>"With the chosen products"</label>
                    <select id="bulk-action" name="action" class=INPUT>
                        <option value="publish">"Publish"</option>
                        <option value="archive">"Archive"</option>
                        <option value="move">"Move to the category…"</option>
                    </select>
                </div>
                <div class="min-w-[12rem] flex-1 sm:flex-none">
                    <label for="bulk-category" class=LABEL>"Category " <span class="font-normal text-stone-500">"(for a move)"</span></label>
                    <select id="bulk-category" name="category" class=INPUT>{select_options(moves, "")}</select>
                </div>
                <button type="submit" class=SECONDARY>"Continue"</button>
            </div>
            <DataTable min_width="min-w-[60rem]" columns=&["sr:Choose", "Product", "Status", "Category", "Price", "Variants", "Stock", "Updated (UTC)"]>
                {page.rows.into_iter().map(|row| view! { <Row row /> }).collect_view()}
            </DataTable>
        </form>
        <KeysetPager label="Product pages" first=newest next first_label="First page" next_label="Next products" />
    }
    .into_any()
}

#[component]
fn Row(row: ProductRow) -> impl IntoView {
    let checkbox = format!("choose-{}", row.id);
    view! {
        <tr data-testid="product-row" class="align-middle">
            <td class="px-4 py-3">
                <input id=checkbox.clone() type="checkbox" name="ids" value=row.id class="h-5 w-5 rounded border-stone-400 text-teal-700 focus:ring-2 focus:ring-teal-600" />
                <label for=checkbox class="sr-only">{format!("Choose {}", row.name)}</label>
            </td>
            <th scope="row" class="min-w-[12rem] px-4 py-3 text-left font-medium text-stone-900">
                <a href=format!("/admin/products/{}", row.id) class="text-teal-800 underline-offset-4 hover:underline">{row.name.clone()}</a>
            </th>
            <td class="px-4 py-3"><span class=format!("{STATUS_BADGE} {}", status_class(row.status))>{row.status.label()}</span></td>
            <td class="px-4 py-3 text-stone-700">{row.category}</td>
            <td class="whitespace-nowrap px-4 py-3 tabular-nums">{row.price.unwrap_or_else(|| "—".to_owned())}</td>
            <td class="px-4 py-3 tabular-nums">{row.variants}</td>
            <td class="whitespace-nowrap px-4 py-3">
                <span class="mr-2 font-semibold tabular-nums">{row.units}</span>
                <StockBadge state=row.stock />
            </td>
            <td class="whitespace-nowrap px-4 py-3 text-stone-600">{row.updated}</td>
        </tr>
    }
}

/// `/admin/products/bulk?ids=…&action=…&category=…&back=…`: what a bulk action will
/// change, before it does.
#[component]
pub fn BulkConfirmPage() -> impl IntoView {
    let params = use_query_map();
    let ids = move || params.read().get_all("ids").unwrap_or_default().join(",");
    // No products chosen: the function says so, beside the list's link back.
    let chosen = Resource::new(ids, load_chosen);
    view! {
        <AdminHeader crumbs=vec![("Products", "/admin/products")] title="Confirm the bulk action" />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let (action, category, back) = {
                    let p = params.read_untracked();
                    (
                        p.get("action").unwrap_or_default(),
                        p.get("category").and_then(|c| c.parse::<i64>().ok()),
                        mercato::catalog::staff::list_url(p.get_str("back")),
                    )
                };
                match chosen.await {
                    Ok((products, categories)) => view! {
                        <Confirm products categories action category back ids=ids() />
                    }.into_any(),
                    Err(error) => view! {
                        <div class="mt-6 max-w-2xl rounded-2xl border border-stone-200 bg-white p-5">
                            <p role="alert" class="text-rose-800">{error.field("ids").unwrap_or_else(|| error.to_string())}</p>
                            <a href=back class="mt-4 inline-block font-semibold text-teal-800 underline">"Back to the products"</a>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Confirm(
    products: Vec<Chosen>,
    categories: Vec<CategoryChoice>,
    action: String,
    category: Option<i64>,
    back: String,
    ids: String,
) -> impl IntoView {
    let bulk = ServerAction::<BulkProducts>::new();
    let Some(parsed) = BulkAction::parse(&action, category) else {
        return view! {
            <div class="mt-6 max-w-2xl rounded-2xl border border-stone-200 bg-white p-5">
                <p role="alert" class="text-rose-800">"Choose what to do, and for a move, the category."</p>
                <a href=back class="mt-4 inline-block font-semibold text-teal-800 underline">"Back to the products"</a>
            </div>
        }
        .into_any();
    };
    let n = products.len();
    let noun = if n == 1 { "product" } else { "products" };
    let consequence = match parsed {
        BulkAction::Publish => "Shoppers will see them at once. Products without a priced variant are left as they are.".to_owned(),
        BulkAction::Archive => "Shoppers won't find them any more; orders that have them keep them.".to_owned(),
        BulkAction::MoveTo(id) => {
            let name = categories
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.path.clone())
                .unwrap_or_else(|| "a category that no longer exists".to_owned());
            format!("They will be listed under {name}.")
        }
    };
    let button = format!("{} {n} {noun}", parsed.verb());
    view! {
        <section class="mt-6 max-w-2xl rounded-2xl border border-stone-200 bg-white p-5">
            <h2 class="text-lg font-bold">{format!("{} {n} {noun}?", parsed.verb())}</h2>
            <p class="mt-1 text-sm text-stone-600">{consequence}</p>
            <ul class="mt-4 max-h-72 divide-y divide-stone-100 overflow-y-auto rounded-xl border border-stone-200 text-sm" data-testid="chosen">
                {products.into_iter().map(|p| view! {
                    <li class="flex items-center justify-between gap-3 px-3 py-2">
                        <span>{p.name}</span>
                        <span class=format!("{STATUS_BADGE} {}", status_class(p.status))>{p.status.label()}</span>
                    </li>
                }).collect_view()}
            </ul>
            <ActionForm action=bulk attr:class="mt-5 flex flex-wrap items-center gap-3">
                <div class="w-full">{action_error(bulk.value())}</div>
                <input type="hidden" name="ids" value=ids />
                <input type="hidden" name="action" value=parsed.as_form_value() />
                <input type="hidden" name="category" value=category.map(|c| c.to_string()).unwrap_or_default() />
                <input type="hidden" name="back" value=back.clone() />
                <button type="submit" class=BUTTON>{button}</button>
                <a href=back class="font-semibold text-teal-800 underline">"Cancel"</a>
            </ActionForm>
        </section>
    }
    .into_any()
}
