//! `/admin/orders`: every order, searched, filtered and sorted in the URL, a keyset page
//! at a time, and downloadable as CSV as filtered; `/admin/orders/{number}`: one order
//! whole, with its payments, its history (who moved it) and staff-only notes. The rules
//! are `mercato::orders::staff`.

// The list's server function takes one argument per URL parameter.
#![allow(clippy::too_many_arguments)]

use super::{select_options, AdminHeader, DataTable, EmptyList, KeysetPager, BADGE};
use crate::components::form::{
    action_error, Outcome, TextArea, TextField, BUTTON, INPUT, LABEL, SECONDARY,
};
use crate::components::loaded;
use crate::error::AppError;
use crate::orders::TotalsTable;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use mercato::accounts::address::Address;
use mercato::orders::fulfil::{Carrier, LineToShip, ShipLineForm, Shipment, Shipped};
use mercato::orders::refund::{Cancel, Refund, RefundLineForm, RefundState, Refundable, Refunded};
use mercato::orders::staff::{
    list_url, order_href, OrderPage, OrderQuery, OrderRow, OrderSort, StaffOrder, LIST_PATH, PARAMS,
};
use mercato::orders::{FulfilmentState, OrderStatus, PaymentState};

/// The list as the page's URL asks (see [`OrderQuery::from_params`]).
#[server(prefix = "/api", endpoint = "admin/orders")]
pub async fn load_orders(
    q: Option<String>,
    status: Option<String>,
    payment: Option<String>,
    fulfilment: Option<String>,
    from: Option<String>,
    to: Option<String>,
    sort: Option<String>,
    after: Option<String>,
) -> Result<OrderPage, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Orders).await?;
    let query = query_of(&[q, status, payment, fulfilment, from, to, sort, after]);
    let pool = crate::state::pool()?;
    Ok(mercato::orders::staff::list(&pool, &staff, &query).await?)
}

/// Order `number` whole.
#[server(prefix = "/api", endpoint = "admin/orders/detail")]
pub async fn load_order(number: i64) -> Result<StaffOrder, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Orders).await?;
    let pool = crate::state::pool()?;
    Ok(mercato::orders::staff::order(&pool, &staff, number).await?)
}

/// Adds a staff-only note to order `number`.
#[server(prefix = "/api", endpoint = "admin/orders/note")]
pub async fn add_order_note(number: i64, body: String) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Orders).await?;
    let pool = crate::state::pool()?;
    mercato::orders::staff::add_note(&pool, &staff, number, &body).await?;
    crate::session::flash_if_plain_form("Note added.").await
}

/// Ships the chosen units of order `number` (`lines[i][id]`, `lines[i][quantity]`) with
/// `carrier` and `tracking`; the shopper gets the "on its way" mail.
#[server(prefix = "/api", endpoint = "admin/orders/ship")]
pub async fn ship_order(
    number: i64,
    #[server(default)] lines: Vec<ShipLineForm>,
    #[server(default)] carrier: String,
    #[server(default)] tracking: String,
) -> Result<Shipped, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Orders).await?;
    let request = mercato::orders::fulfil::ShipRequest::parse(&lines, &carrier, &tracking)?;
    let state = crate::state::state()?;
    let shipped =
        mercato::orders::fulfil::ship(&state.pool, &staff, number, &request, &state.public_url)
            .await?;
    crate::session::flash_if_plain_form(match shipped {
        Shipped::All => "Shipped: the order is on its way, and the customer has a mail with the tracking link.",
        Shipped::Partly => "Shipped those items; the rest are still to ship. The customer has a mail with the tracking link.",
    })
    .await?;
    Ok(shipped)
}

/// Marks shipped order `number` delivered.
#[server(prefix = "/api", endpoint = "admin/orders/delivered")]
pub async fn mark_order_delivered(number: i64) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Orders).await?;
    let pool = crate::state::pool()?;
    mercato::orders::fulfil::mark_delivered(&pool, &staff, number).await?;
    crate::session::flash_if_plain_form("Marked delivered.").await
}

/// What the flash says a refund did.
#[cfg(feature = "ssr")]
pub(super) fn refunded_message(refunded: Refunded) -> String {
    match refunded {
        Refunded::Done(m) => format!("Refunded {}. The customer has a mail.", m.format()),
        Refunded::Pending(m) => format!(
            "The payment provider took the refund of {}; the order shows it refunded once the provider confirms.",
            m.format()
        ),
        Refunded::NotConfirmed(m) => format!(
            "The payment provider did not answer, so nothing is refunded yet. The refund of {} is kept as not confirmed: retry it below.",
            m.format()
        ),
    }
}

/// Refunds chosen units of order `number` (`lines[i][id]`, `lines[i][quantity]`,
/// `lines[i][restock]`), its `shipping`, or an `amount`, in `currency` (the order's).
#[server(prefix = "/api", endpoint = "admin/orders/refund")]
pub async fn refund_order(
    number: i64,
    #[server(default)] lines: Vec<RefundLineForm>,
    #[server(default)] shipping: String,
    #[server(default)] amount: String,
    #[server(default)] currency: String,
    #[server(default)] reason: String,
    #[server(default)] key: String,
) -> Result<Refunded, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Refunds).await?;
    let choice = mercato::orders::refund::RefundChoice::parse(
        &lines, &shipping, &amount, &currency, &reason, &key,
    )?;
    let state = crate::state::state()?;
    let refunded = mercato::orders::refund::refund(
        &state.pool,
        &state.payments,
        &staff,
        number,
        &choice,
        &state.public_url,
    )
    .await?;
    crate::session::flash_if_plain_form(refunded_message(refunded)).await?;
    Ok(refunded)
}

/// Sends refund `refund` of order `number`, which the provider never answered about,
/// again (with its own key: it refunds once).
#[server(prefix = "/api", endpoint = "admin/orders/refund/retry")]
pub async fn retry_refund(number: i64, refund: i64) -> Result<Refunded, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Refunds).await?;
    let state = crate::state::state()?;
    let refunded = mercato::orders::refund::retry(
        &state.pool,
        &state.payments,
        &staff,
        number,
        refund,
        &state.public_url,
    )
    .await?;
    crate::session::flash_if_plain_form(refunded_message(refunded)).await?;
    Ok(refunded)
}

/// Cancels order `number`: unpaid, or paid and not shipped (with a refund of
/// everything, which needs the refunds permission too).
#[server(prefix = "/api", endpoint = "admin/orders/cancel")]
pub async fn cancel_order(
    number: i64,
    #[server(default)] reason: String,
) -> Result<Option<Refunded>, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Orders).await?;
    let state = crate::state::state()?;
    let refunded = mercato::orders::refund::cancel(
        &state.pool,
        &state.payments,
        &staff,
        number,
        &reason,
        &state.public_url,
    )
    .await?;
    crate::session::flash_if_plain_form(match refunded {
        None => "Cancelled: the items are back on sale, and the customer has a mail.".to_owned(),
        Some(Refunded::Done(m)) => format!(
            "Cancelled and refunded {}: the items are back on sale, and the customer has a mail.",
            m.format()
        ),
        Some(other) => refunded_message(other),
    })
    .await?;
    Ok(refunded)
}

/// The list's URL parameters, in the order of [`PARAMS`].
type Params = [Option<String>; 8];

fn query_of(params: &Params) -> OrderQuery {
    OrderQuery::from_params(std::array::from_fn(|i| params[i].as_deref()))
}

/// A badge for an order's status.
#[component]
pub fn OrderStatusBadge(status: OrderStatus) -> impl IntoView {
    let class = match status {
        OrderStatus::PendingPayment => "bg-amber-100 text-amber-900",
        OrderStatus::Paid => "bg-sky-100 text-sky-900",
        OrderStatus::Fulfilled => "bg-indigo-100 text-indigo-900",
        OrderStatus::Delivered => "bg-teal-50 text-teal-900",
        OrderStatus::Cancelled => "bg-stone-200 text-stone-700",
        OrderStatus::Refunded | OrderStatus::PartiallyRefunded => "bg-rose-100 text-rose-900",
    };
    view! { <span class=format!("{BADGE} {class}") data-testid="status">{status.label()}</span> }
}

fn payment_class(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Unpaid => "bg-amber-100 text-amber-900",
        PaymentState::Paid => "bg-teal-50 text-teal-900",
        PaymentState::PartiallyRefunded | PaymentState::Refunded => "bg-rose-100 text-rose-900",
        PaymentState::Void => "bg-stone-200 text-stone-700",
    }
}

fn fulfilment_class(state: FulfilmentState) -> &'static str {
    match state {
        FulfilmentState::Unfulfilled => "bg-amber-100 text-amber-900",
        FulfilmentState::PartiallyShipped => "bg-sky-100 text-sky-900",
        FulfilmentState::Shipped => "bg-indigo-100 text-indigo-900",
        FulfilmentState::Delivered => "bg-teal-50 text-teal-900",
    }
}

/// `/admin/orders[?q=…&status=…&payment=…&fulfilment=…&from=…&to=…&sort=…&after=…]`
#[component]
pub fn OrdersPage() -> impl IntoView {
    let args = super::url_params(PARAMS);
    let list = Resource::new(
        args,
        |[q, status, payment, fulfilment, from, to, sort, after]| {
            load_orders(q, status, payment, fulfilment, from, to, sort, after)
        },
    );
    let query = move || query_of(&args());
    view! {
        <AdminHeader title="Orders" />
        {loaded(list, move |page| {
            let query = query();
            view! {
                <FilterBar query=query.clone() />
                <Orders page query />
            }
        })}
    }
}

/// Search, filters and the sort: a GET form, so the list's state is its URL.
#[component]
fn FilterBar(query: OrderQuery) -> impl IntoView {
    let any = || std::iter::once((String::new(), "Any".to_owned()));
    let statuses = any().chain(
        OrderStatus::ALL
            .into_iter()
            .map(|s| (s.as_str().to_owned(), s.label().to_owned())),
    );
    let payments = any().chain(
        PaymentState::ALL
            .into_iter()
            .map(|s| (s.as_str().to_owned(), s.label().to_owned())),
    );
    let fulfilments = any().chain(
        FulfilmentState::ALL
            .into_iter()
            .map(|s| (s.as_str().to_owned(), s.label().to_owned())),
    );
    let sorts = OrderSort::ALL
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
    let day = |d: Option<mercato::orders::staff::Day>| d.map(|d| d.to_string()).unwrap_or_default();
    view! {
        <form method="get" action="/admin/orders" role="search" class="mt-5 grid gap-3 rounded-2xl border border-stone-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-4 lg:items-end">
            <div class="sm:col-span-2">
                <label for="orders-q" class=LABEL>"Number, email or name"</label>
                <input id="orders-q" name="q" type="search" value=query.q.clone() maxlength=100 class=INPUT />
            </div>
            {field("orders-status", "Status", "status", select_options(statuses, query.status.map(|s| s.as_str()).unwrap_or_default()).into_any())}
            {field("orders-payment", "Payment", "payment", select_options(payments, query.payment.map(|s| s.as_str()).unwrap_or_default()).into_any())}
            {field("orders-fulfilment", "Fulfilment", "fulfilment", select_options(fulfilments, query.fulfilment.map(|s| s.as_str()).unwrap_or_default()).into_any())}
            <div>
                <label for="orders-from" class=LABEL>"Placed from"</label>
                <input id="orders-from" name="from" type="date" value=day(query.from) class=INPUT />
            </div>
            <div>
                <label for="orders-to" class=LABEL>"Placed until"</label>
                <input id="orders-to" name="to" type="date" value=day(query.to) class=INPUT />
            </div>
            {field("orders-sort", "Sort by", "sort", select_options(sorts, query.sort.as_str()).into_any())}
            <button type="submit" class=SECONDARY>"Apply"</button>
        </form>
    }
}

#[component]
fn Orders(page: OrderPage, query: OrderQuery) -> impl IntoView {
    let first = query.after.is_none();
    let export = view! {
        <p class="mt-3 text-sm">
            <a href=query.export_href() download="orders.csv" class="font-semibold text-teal-800 underline">
                {if query.is_filtered() { "Download these orders as CSV" } else { "Download all orders as CSV" }}
            </a>
        </p>
    };
    if page.rows.is_empty() {
        let message = match (first, query.is_filtered()) {
            (false, _) => "No more orders.",
            (true, true) => "No order matches these filters.",
            (true, false) => "No orders yet. They appear here as shoppers check out.",
        };
        return view! { <EmptyList message filtered=query.is_filtered() list=LIST_PATH /> }
            .into_any();
    }
    let next = page.next.map(|after| query.starting(Some(after)).href());
    let newest = (!first).then(|| query.starting(None).href());
    let back = query.href();
    view! {
        {export}
        <div class="mt-3">
            <DataTable min_width="min-w-[50rem]" columns=&["Order", "Placed (UTC)", "Customer", "Status", "Payment · parcels", "Items", "Total"]>
                {page.rows.into_iter().map(|row| view! { <Row row back=back.clone() /> }).collect_view()}
            </DataTable>
        </div>
        <KeysetPager label="Order pages" first=newest next first_label="First page" next_label="Next orders" />
    }
    .into_any()
}

#[component]
fn Row(row: OrderRow, back: String) -> impl IntoView {
    let href = order_href(row.number, &back);
    view! {
        <tr data-testid="order-row" class="align-middle">
            <th scope="row" class="whitespace-nowrap px-4 py-3 text-left font-semibold">
                <a href=href class="text-teal-800 underline-offset-4 hover:underline">{format!("#{}", row.number)}</a>
            </th>
            <td class="whitespace-nowrap px-4 py-3 text-stone-600">{row.placed}</td>
            <td class="px-4 py-3">
                <span class="block font-medium text-stone-900">{row.customer}</span>
                <span class="block text-xs text-stone-600">{row.email}</span>
            </td>
            <td class="px-4 py-3"><OrderStatusBadge status=row.status /></td>
            <td class="px-4 py-3">
                <span class="flex flex-col items-start gap-1">
                    <span class=format!("{BADGE} {}", payment_class(row.payment))>{row.payment.label()}</span>
                    <span class=format!("{BADGE} {}", fulfilment_class(row.fulfilment))>{row.fulfilment.label()}</span>
                </span>
            </td>
            <td class="px-4 py-3 tabular-nums">{row.items}</td>
            <td class="whitespace-nowrap px-4 py-3 text-right font-semibold tabular-nums">{row.total.format()}</td>
        </tr>
    }
}

/// `/admin/orders/{number}[?back=…]`: one order whole.
#[component]
pub fn OrderDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = move || {
        params
            .read()
            .get("number")
            .and_then(|n| n.trim_start_matches('#').parse::<i64>().ok())
    };
    let order = Resource::new(number, |number| async move {
        match number {
            Some(number) => load_order(number).await,
            None => Err(AppError::NotFound),
        }
    });
    let back = move || list_url(query.read_untracked().get_str("back"));
    view! {
        {loaded(order, move |order| view! { <OrderDetail order back=back() /> })}
    }
}

fn address_block(address: Option<&Address>) -> impl IntoView {
    match address {
        Some(a) => view! {
            <address class="mt-1 not-italic text-stone-700">
                {a.lines().into_iter().map(|l| view! { <span class="block">{l}</span> }).collect_view()}
                {(!a.phone.is_empty()).then(|| view! { <span class="block">{a.phone.clone()}</span> })}
            </address>
        }
        .into_any(),
        None => view! { <p class="mt-1 text-stone-500">"None given"</p> }.into_any(),
    }
}

use super::CARD;

#[component]
fn OrderDetail(order: StaffOrder, back: String) -> impl IntoView {
    let StaffOrder {
        order,
        payment,
        fulfilment,
        billing_address,
        customer,
        payments,
        history,
        notes,
        to_ship,
        carriers,
        refundable,
        cancel,
        has_refunds_permission,
        refund_key,
        return_refund_key,
    } = order;
    let may_refund = has_refunds_permission;
    let can_ship = mercato::orders::fulfil::may_ship_more(order.status, &to_ship);
    let deliverable = mercato::orders::fulfil::may_mark_delivered(order.status, fulfilment);
    let can_refund = refundable.offered();
    let refunds = order.refunds.clone();
    let shipments = order.shipments.clone();
    let number = order.number.0;
    let same_address = billing_address == order.shipping_address;
    view! {
        <AdminHeader crumbs=vec![("Orders", "/admin/orders")] title=format!("Order {number}") />
        <p class="mt-1 text-sm"><a href=back class="font-semibold text-teal-800 underline">"← Back to the orders"</a></p>
        <dl class="mt-3 flex flex-wrap items-center gap-x-5 gap-y-2 text-sm">
            <div class="flex items-center gap-2"><dt class="text-stone-600">"Order"</dt><dd><OrderStatusBadge status=order.status /></dd></div>
            <div class="flex items-center gap-2"><dt class="text-stone-600">"Payment"</dt><dd><span class=format!("{BADGE} {}", payment_class(payment)) data-testid="payment-state">{payment.label()}</span></dd></div>
            <div class="flex items-center gap-2"><dt class="text-stone-600">"Parcels"</dt><dd><span class=format!("{BADGE} {}", fulfilment_class(fulfilment)) data-testid="fulfilment-state">{fulfilment.label()}</span></dd></div>
            <div class="flex items-center gap-2"><dt class="sr-only">"Placed"</dt><dd class="text-stone-600">{format!("Placed {}", order.placed)}</dd></div>
        </dl>
        <div class="mt-5 grid gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
            <div class="space-y-4 min-w-0">
                <section aria-labelledby="lines-heading" class=CARD>
                    <h2 id="lines-heading" class="text-lg font-bold">"Items"</h2>
                    <div class="relative mt-3">
                        <table class="w-full text-left text-sm">
                            <thead class="border-b border-stone-200 text-xs uppercase tracking-wide text-stone-600">
                                <tr>
                                    <th scope="col" class="py-2 pr-3 font-semibold">"Item"</th>
                                    <th scope="col" class="hidden px-3 py-2 text-right font-semibold sm:table-cell">"Price"</th>
                                    <th scope="col" class="px-3 py-2 text-right font-semibold">"Qty"</th>
                                    <th scope="col" class="py-2 pl-3 text-right font-semibold">"Total"</th>
                                </tr>
                            </thead>
                            <tbody class="divide-y divide-stone-100">
                                {order.lines.iter().map(|l| view! {
                                    <tr data-testid="order-line">
                                        <td class="py-2 pr-3">{l.name.clone()}<span class="block font-mono text-xs text-stone-500">{l.sku.clone()}</span></td>
                                        <td class="hidden whitespace-nowrap px-3 py-2 text-right tabular-nums sm:table-cell">{l.unit_price.format()}</td>
                                        <td class="px-3 py-2 text-right tabular-nums">{l.quantity}</td>
                                        <td class="whitespace-nowrap py-2 pl-3 text-right font-semibold tabular-nums">{l.line_total.format()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <div class="mt-4 border-t border-stone-200 pt-3 sm:ml-auto sm:max-w-xs">
                        <TotalsTable totals=order.totals coupon=order.coupon_code.clone() shipping=order.shipping_method.clone() tax_name=None />
                    </div>
                </section>
                {can_ship.then(|| view! { <ShipForm number lines=to_ship.clone() carriers=carriers.clone() /> })}
                <Shipments shipments deliverable=deliverable.then_some(number) />
                <Refunds number refunds may_refund />
                <super::returns::OrderReturns number returns=order.returns.clone() refundable=refundable.clone() may_refund refund_key=return_refund_key />
                {can_refund.then(|| if refundable.waiting {
                    view! {
                        <p class=format!("{CARD} text-sm text-amber-900") data-testid="refund-waiting">
                            "A refund waits for the payment provider: more can be refunded (and shipped) once it ends. Retry it above, or wait for the provider."
                        </p>
                    }.into_any()
                } else if may_refund {
                    view! { <RefundForm number refundable=refundable.clone() key=refund_key.clone() /> }.into_any()
                } else {
                    view! {
                        <p class=format!("{CARD} text-sm text-stone-600") data-testid="refund-not-permitted">
                            {format!("{} is left to refund. Refunds need the refunds permission: ask an administrator if you need it.", refundable.left.format())}
                        </p>
                    }.into_any()
                })}
                {cancel.map(|cancel| view! { <CancelForm number cancel may_refund /> })}
                <section aria-labelledby="payments-heading" class=CARD>
                    <h2 id="payments-heading" class="text-lg font-bold">"Payments"</h2>
                    {if payments.is_empty() {
                        view! { <p class="mt-2 text-sm text-stone-600">"No payment attempts yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="mt-2 divide-y divide-stone-100 text-sm">
                                {payments.into_iter().map(|p| view! {
                                    <li class="flex flex-wrap items-baseline justify-between gap-2 py-2" data-testid="payment">
                                        <span>
                                            <span class="font-semibold">{p.outcome()}</span>
                                            {format!(" · {} · {} UTC", p.provider, p.at)}
                                            <span class="block break-all font-mono text-xs text-stone-500">{p.reference}</span>
                                            {(!p.message.is_empty()).then(|| view! { <span class="block text-xs text-stone-600">{p.message}</span> })}
                                        </span>
                                        <span class="font-semibold tabular-nums">{p.amount.format()}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
                <section aria-labelledby="history-heading" class=CARD>
                    <h2 id="history-heading" class="text-lg font-bold">"History"</h2>
                    <ol class="mt-3 space-y-3 border-l-2 border-teal-600 pl-4">
                        {history.into_iter().map(|e| view! {
                            <li data-testid="history-event">
                                <p class="font-semibold">{e.status.label()}</p>
                                <p class="text-sm text-stone-600">
                                    {format!("{} UTC · {}", e.at, e.note)}
                                    {e.by.map(|by| view! { <span class="block text-xs">{format!("by {by}")}</span> })}
                                </p>
                            </li>
                        }).collect_view()}
                    </ol>
                </section>
            </div>
            <div class="space-y-4 min-w-0">
                <section aria-labelledby="customer-heading" class=CARD>
                    <h2 id="customer-heading" class="text-lg font-bold">"Customer"</h2>
                    <p class="mt-2 break-all text-sm" data-testid="order-email">{order.email.clone()}</p>
                    <p class="mt-1 text-sm text-stone-600" data-testid="customer-account">
                        {match customer {
                            Some(c) => {
                                let text = if c.email.eq_ignore_ascii_case(&order.email) {
                                    format!("Placed from their account (no. {})", c.id)
                                } else {
                                    format!("Placed from the account {} (no. {})", c.email, c.id)
                                };
                                view! { <a href=format!("{}/{}", mercato::accounts::customers::LIST_PATH, c.id) class="font-semibold text-teal-800 underline">{text}</a> }.into_any()
                            }
                            None => "Placed as a guest".into_any(),
                        }}
                    </p>
                </section>
                <section aria-labelledby="addresses-heading" class=format!("{CARD} text-sm")>
                    <h2 id="addresses-heading" class="text-lg font-bold">"Addresses"</h2>
                    <h3 class="mt-3 font-semibold">"Ship to"</h3>
                    {address_block(order.shipping_address.as_ref())}
                    <p class="mt-1 text-stone-600">{format!("Method: {}", order.shipping_method)}</p>
                    <h3 class="mt-4 font-semibold">"Bill to"</h3>
                    {if same_address {
                        view! { <p class="mt-1 text-stone-700">"Same as shipping"</p> }.into_any()
                    } else {
                        address_block(billing_address.as_ref()).into_any()
                    }}
                </section>
                <Notes number notes />
            </div>
        </div>
    }
}

#[component]
fn Notes(number: i64, notes: Vec<mercato::admin::StaffNote>) -> impl IntoView {
    let add = ServerAction::<AddOrderNote>::new();
    let outcome: Signal<Outcome<()>> = add.value().into();
    view! {
        <section aria-labelledby="notes-heading" class=CARD>
            <h2 id="notes-heading" class="text-lg font-bold">"Staff notes"</h2>
            <p class="mt-1 text-xs text-stone-600">"Only staff see these; the customer never does."</p>
            {super::note_list(notes, "order-note")}
            <ActionForm action=add attr:class="mt-4 space-y-3" attr:novalidate=true>
                {action_error(add.value())}
                <input type="hidden" name="number" value=number />
                <TextArea name="body" label="Add a note" rows=3 maxlength=mercato::admin::MAX_NOTE required=true outcome />
                <button type="submit" class=BUTTON>"Add note"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn ShipForm(number: i64, lines: Vec<LineToShip>, carriers: Vec<Carrier>) -> impl IntoView {
    let ship = ServerAction::<ShipOrder>::new();
    let outcome: Signal<Outcome<Shipped>> = ship.value().into();
    let carrier_options = carriers
        .into_iter()
        .map(|c| {
            let label = if c.links {
                c.name
            } else {
                format!("{} (no tracking link)", c.name)
            };
            view! { <option value=c.id>{label}</option> }
        })
        .collect_view();
    let rows = lines
        .into_iter()
        .filter(|l| l.left() > 0)
        .enumerate()
        .map(|(i, l)| {
            let field = format!("lines[{i}][quantity]");
            let id = format!("ship-{i}");
            let left = l.left();
            let kept = crate::form_errors::kept(&field).unwrap_or_else(|| left.to_string());
            let error = {
                let field = field.clone();
                move || outcome.get().and_then(Result::err).and_then(|e| e.field(&field))
            };
            view! {
                <tr data-testid="ship-line">
                    <td class="py-2 pr-3">
                        <label for=id.clone()>{l.name.clone()}</label>
                        <span class="block font-mono text-xs text-stone-500">{l.sku.clone()}</span>
                        {(l.shipped > 0).then(|| view! { <span class="block text-xs text-stone-600">{format!("{} of {} shipped already", l.shipped, l.ordered)}</span> })}
                    </td>
                    <td class="py-2 pl-3 text-right">
                        <input type="hidden" name=format!("lines[{i}][id]") value=l.line_id />
                        <input id=id name=field type="number" min="0" max=left value=kept inputmode="numeric" class="h-10 w-20 rounded-xl border border-stone-300 px-2 text-right tabular-nums focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30" />
                        <span class="ml-1 text-xs text-stone-600">{format!("of {left}")}</span>
                        {move || error().map(|e| view! { <span role="alert" class="block text-xs font-medium text-rose-800">{e}</span> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="ship-heading" class=CARD>
            <h2 id="ship-heading" class="text-lg font-bold">"Ship items"</h2>
            <p class="mt-1 text-sm text-stone-600">"Units to put in this parcel; set a line to 0 to ship it later."</p>
            <ActionForm action=ship attr:class="mt-3 space-y-4" attr:novalidate=true>
                {action_error(ship.value())}
                <input type="hidden" name="number" value=number />
                <table class="w-full text-sm">
                    <thead class="sr-only"><tr><th scope="col">"Item"</th><th scope="col">"Units to ship"</th></tr></thead>
                    <tbody class="divide-y divide-stone-100">{rows}</tbody>
                </table>
                <div class="grid gap-3 sm:grid-cols-2">
                    <div>
                        <label for="ship-carrier" class=LABEL>"Carrier"</label>
                        <select id="ship-carrier" name="carrier" class=INPUT>{carrier_options}</select>
                    </div>
                    <TextField name="tracking" label="Tracking number" maxlength=80 outcome hint="As on the label; spaces are left out." />
                </div>
                <button type="submit" class=BUTTON>"Ship"</button>
            </ActionForm>
        </section>
    }
}

/// The parcels that left, and for a shipped order (`deliverable`: its number), "mark
/// delivered".
#[component]
fn Shipments(shipments: Vec<Shipment>, deliverable: Option<i64>) -> impl IntoView {
    if shipments.is_empty() && deliverable.is_none() {
        return ().into_any();
    }
    let deliver = ServerAction::<MarkOrderDelivered>::new();
    view! {
        <section aria-labelledby="shipments-heading" class=CARD>
            <h2 id="shipments-heading" class="text-lg font-bold">"Shipments"</h2>
            {if shipments.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"Shipped before parcels were recorded here."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 divide-y divide-stone-100 text-sm">
                        {shipments.into_iter().map(|s| view! { <li class="py-3"><crate::orders::Parcel parcel=s /></li> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {deliverable.map(|number| view! {
                <ActionForm action=deliver attr:class="mt-3 flex flex-wrap items-center gap-3">
                    {action_error(deliver.value())}
                    <input type="hidden" name="number" value=number />
                    <button type="submit" class=SECONDARY>"Mark delivered"</button>
                </ActionForm>
            })}
        </section>
    }
    .into_any()
}

/// A refund's state as a badge.
fn refund_class(state: RefundState) -> &'static str {
    match state {
        RefundState::Succeeded => "bg-teal-100 text-teal-900",
        RefundState::Pending => "bg-sky-100 text-sky-900",
        RefundState::Requested => "bg-amber-100 text-amber-900",
        RefundState::Failed => "bg-rose-100 text-rose-900",
    }
}

/// The order's refunds, each with what it gave back and who asked; one the provider
/// never answered about can be retried.
#[component]
fn Refunds(number: i64, refunds: Vec<Refund>, may_refund: bool) -> impl IntoView {
    if refunds.is_empty() {
        return ().into_any();
    }
    let retry = ServerAction::<RetryRefund>::new();
    view! {
        <section aria-labelledby="refunds-heading" class=CARD>
            <h2 id="refunds-heading" class="text-lg font-bold">"Refunds"</h2>
            {action_error(retry.value())}
            <ul class="mt-2 divide-y divide-stone-100 text-sm">
                {refunds.into_iter().map(|r| {
                    let waiting = r.state == RefundState::Requested && may_refund;
                    view! {
                        <li class="py-3" data-testid="refund">
                            <p class="flex flex-wrap items-baseline justify-between gap-2">
                                <span class="flex items-center gap-2">
                                    <span class="font-semibold tabular-nums">{r.amount.format()}</span>
                                    <span class=format!("{BADGE} {}", refund_class(r.state))>{r.state.label()}</span>
                                    {r.cancels_order.then(|| view! { <span class="text-xs text-stone-600">"cancels the order"</span> })}
                                </span>
                                <span class="text-xs text-stone-600">
                                    {format!("{} UTC · {}", r.at, r.by.clone().unwrap_or_else(|| "in the payment provider's dashboard".to_owned()))}
                                </span>
                            </p>
                            <p class="mt-1 break-words text-stone-700">{r.reason.clone()}</p>
                            {(!r.lines.is_empty() || !r.shipping.is_zero()).then(|| view! {
                                <ul class="mt-1 text-xs text-stone-600">
                                    {r.lines.iter().map(|(name, units, restocked)| view! {
                                        <li>{format!("{units} × {name}{}", if *restocked { " · back in stock" } else { "" })}</li>
                                    }).collect_view()}
                                    {(!r.shipping.is_zero()).then(|| view! { <li>{format!("Shipping {}", r.shipping.format())}</li> })}
                                </ul>
                            })}
                            {r.failure.clone().map(|f| view! { <p class="mt-1 text-xs font-medium text-rose-800">{f}</p> })}
                            {waiting.then(|| view! {
                                <ActionForm action=retry attr:class="mt-2 flex flex-wrap items-center gap-3">
                                    <input type="hidden" name="number" value=number />
                                    <input type="hidden" name="refund" value=r.id />
                                    <p class="text-xs text-amber-900">"The payment provider has not confirmed this refund. Retrying refunds it once, never twice."</p>
                                    <button type="submit" class=SECONDARY>"Retry the refund"</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// Money back: units of each line (put back in stock unless unticked), shipping, or an
/// amount, with a reason; at most what is left, which it says.
#[component]
fn RefundForm(number: i64, refundable: Refundable, key: String) -> impl IntoView {
    let refund = ServerAction::<RefundOrder>::new();
    let outcome: Signal<Outcome<Refunded>> = refund.value().into();
    let currency = refundable.left.currency();
    let rows = refundable
        .lines
        .iter()
        .filter(|l| l.free() > 0)
        .enumerate()
        .map(|(i, l)| {
            let field = format!("lines[{i}][quantity]");
            let id = format!("refund-{i}");
            let left = l.free();
            let kept = crate::form_errors::kept(&field).unwrap_or_else(|| "0".to_owned());
            // What each number of units would give back, for the button's amount.
            let values = (0..=left)
                .map(|k| l.value(k).amount().to_string())
                .collect::<Vec<_>>()
                .join(" ");
            let error = {
                let field = field.clone();
                move || outcome.get().and_then(Result::err).and_then(|e| e.field(&field))
            };
            view! {
                <tr data-testid="refund-line">
                    <td class="py-2 pr-3">
                        <label for=id.clone()>{l.name.clone()}</label>
                        <span class="block font-mono text-xs text-stone-500">{l.sku.clone()}</span>
                        <span class="block text-xs text-stone-600">
                            {format!("{} paid for {}", l.paid.format(), l.ordered)}
                            {(l.refunded > 0).then(|| format!(" · {} refunded already", l.refunded))}
                            {(l.held > 0).then(|| format!(" · {} in a return (refund it there)", l.held))}
                        </span>
                    </td>
                    <td class="py-2 pl-3 text-right align-top">
                        <input type="hidden" name=format!("lines[{i}][id]") value=l.line_id />
                        <input id=id name=field type="number" min="0" max=left value=kept inputmode="numeric" data-refund-values=values class="h-10 w-20 rounded-xl border border-stone-300 px-2 text-right tabular-nums focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30" />
                        <span class="ml-1 text-xs text-stone-600">{format!("of {left}")}</span>
                        <label class="mt-1 flex items-center justify-end gap-1 text-xs text-stone-700">
                            <input type="checkbox" name=format!("lines[{i}][restock]") checked=true class="h-4 w-4 accent-teal-700" />
                            "Back in stock"
                        </label>
                        {move || error().map(|e| view! { <span role="alert" class="block text-xs font-medium text-rose-800">{e}</span> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let shipping_left = refundable.shipping_left;
    let left = refundable.left;
    view! {
        <section aria-labelledby="refund-heading" class=CARD>
            <details open=outcome.get_untracked().is_some_and(|o| o.is_err())>
                <summary id="refund-heading" class="cursor-pointer text-lg font-bold">"Refund"</summary>
                <p class="mt-1 text-sm text-stone-600" data-testid="refund-left">
                    {format!("{} is left to refund. It goes back the way the customer paid, and they get a mail.", left.format())}
                </p>
                <ActionForm action=refund attr:class="mt-3 space-y-4" attr:novalidate=true attr:data-refund-form=left.amount().to_string() attr:data-refund-shipping=shipping_left.amount().to_string()>
                    {action_error(refund.value())}
                    <input type="hidden" name="number" value=number />
                    <input type="hidden" name="currency" value=currency.code().to_owned() />
                    // This form's own key: sent twice, it refunds once.
                    <input type="hidden" name="key" value=key />
                    <table class="w-full text-sm">
                        <thead class="sr-only"><tr><th scope="col">"Item"</th><th scope="col">"Units to refund"</th></tr></thead>
                        <tbody class="divide-y divide-stone-100">{rows}</tbody>
                    </table>
                    <div class="grid gap-3 sm:grid-cols-2">
                        {(!shipping_left.is_zero()).then(|| view! {
                            <TextField name="shipping" label="Shipping to refund" maxlength=20 outcome hint=format!("At most {}; empty for none.", shipping_left.format()) />
                        })}
                        <TextField name="amount" label="Or an amount" maxlength=20 outcome hint="Instead of the value of the items and shipping chosen: a goodwill refund, say." />
                    </div>
                    <TextField name="reason" label="Reason (for staff)" maxlength=mercato::orders::refund::MAX_REASON outcome hint="Damaged in transit, returned, out of stock…" />
                    <p class="text-xs text-stone-600">{format!("Amounts in {}.", currency.code())}</p>
                    <button type="submit" class=BUTTON>"Refund"</button>
                </ActionForm>
            </details>
        </section>
    }
}

/// Cancelling the order, with what it does said before it is done.
#[component]
fn CancelForm(number: i64, cancel: Cancel, may_refund: bool) -> impl IntoView {
    let action = ServerAction::<CancelOrder>::new();
    let outcome: Signal<Outcome<Option<Refunded>>> = action.value().into();
    let (consequence, button) = match cancel {
        Cancel::Unpaid => (
            "Nothing was paid. The items go back on sale, the coupon use is released, and the customer gets a mail.".to_owned(),
            "Cancel the order".to_owned(),
        ),
        Cancel::Refund { refund } => (
            format!(
                "Refunds {} to the customer, puts every item back in stock and releases the coupon use; the customer gets a mail.",
                refund.format()
            ),
            format!("Cancel and refund {}", refund.format()),
        ),
    };
    let permitted = !cancel.needs_refunds() || may_refund;
    view! {
        <section aria-labelledby="cancel-heading" class=CARD>
            <details open=outcome.get_untracked().is_some_and(|o| o.is_err())>
                <summary id="cancel-heading" class="cursor-pointer text-lg font-bold">"Cancel the order"</summary>
                <p class="mt-1 text-sm text-stone-600" data-testid="cancel-consequence">{consequence}</p>
                {if permitted {
                    view! {
                        <ActionForm action attr:class="mt-3 space-y-3" attr:novalidate=true>
                            {action_error(action.value())}
                            <input type="hidden" name="number" value=number />
                            <TextField name="reason" label="Why (for staff)" maxlength=mercato::orders::refund::MAX_REASON required=true outcome />
                            <button type="submit" class="h-11 rounded-full bg-rose-700 px-6 font-semibold text-white hover:bg-rose-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-rose-600 focus-visible:ring-offset-2">{button}</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! { <p class="mt-2 text-sm text-stone-600">"Cancelling a paid order refunds it, which needs the refunds permission: ask an administrator if you need it."</p> }.into_any()
                }}
            </details>
        </section>
    }
}
