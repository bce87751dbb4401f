//! Orders: the confirmation and order page, the account's history, and the totals table
//! checkout shares with them.

use crate::components::form::{action_error, Outcome, TextArea, BUTTON};
use crate::components::loaded;
use crate::components::PageTitle;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::{use_params_map, use_query_map};
use mercato::checkout::totals::Totals;
use mercato::orders::fulfil::ShipLineForm;
use mercato::orders::returns::{Return, ReturnError, ReturnOffer, ReturnState, ReturnableLine};
use mercato::orders::{OrderSummary, OrderView};

/// The order `number`, for its owner (signed in) or whoever has its key (the mail's
/// link); "not found" for anyone else.
#[server(prefix = "/api", endpoint = "order")]
pub async fn load_order(number: i64, key: Option<String>) -> Result<OrderView, AppError> {
    let pool = crate::state::pool()?;
    let key = key.unwrap_or_default();
    let user = asker(&key).await?;
    Ok(mercato::orders::read::order(&pool, number, viewer(&key, user)).await?)
}

/// Who asks about an order: whoever holds its `key` (`None`), or else the signed-in
/// account; "not found" for a guest without a key.
#[cfg(feature = "ssr")]
async fn asker(key: &str) -> Result<Option<i64>, AppError> {
    if !key.is_empty() {
        return Ok(None);
    }
    let user = crate::accounts::current_user()
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Some(user.id))
}

#[cfg(feature = "ssr")]
fn viewer(key: &str, user: Option<i64>) -> mercato::orders::read::Viewer<'_> {
    use mercato::orders::read::Viewer;
    match user {
        Some(id) => Viewer::User(id),
        None => Viewer::Key(key),
    }
}

/// The customer of order `number` (with its `key`, or signed in) asks to return
/// `lines[i][quantity]` of its lines, saying why; `request` is the form's own key.
#[server(prefix = "/api", endpoint = "order/return")]
pub async fn request_return(
    number: i64,
    #[server(default)] key: String,
    #[server(default)] request: String,
    #[server(default)] lines: Vec<ShipLineForm>,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let asked = mercato::orders::returns::ReturnRequest::parse(&lines, &reason, &request)?;
    let state = crate::state::state()?;
    let user = asker(&key).await?;
    mercato::orders::returns::request(
        &state.pool,
        number,
        viewer(&key, user),
        &asked,
        &state.public_url,
    )
    .await?;
    crate::session::flash_if_plain_form(
        "We have your return request. We will answer by mail, and this page shows each step.",
    )
    .await
}

#[server(prefix = "/api", endpoint = "account/orders")]
pub async fn load_my_orders() -> Result<Vec<OrderSummary>, AppError> {
    let user = crate::accounts::require_user().await?;
    let pool = crate::state::pool()?;
    Ok(mercato::orders::read::orders_of(&pool, user.id).await?)
}

/// `/orders/:number`: the order, its status history and what it cost.
#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let args = move || {
        (
            params
                .read()
                .get("number")
                .and_then(|n| n.parse::<i64>().ok()),
            query.read().get("key"),
        )
    };
    let just_placed = move || query.read().get("placed").is_some();
    let order = Resource::new(args, |(number, key)| async move {
        match number {
            Some(n) => load_order(n, key).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Meta name="robots" content="noindex" />
        {loaded(order, move |o| view! { <Order order=o just_placed=just_placed() /> })}
    }
}

#[component]
fn Order(order: OrderView, just_placed: bool) -> impl IntoView {
    let address = order
        .shipping_address
        .as_ref()
        .map(|a| a.lines())
        .unwrap_or_default();
    view! {
        <PageTitle text=format!("Order {}", order.number) />
        <div class="mx-auto max-w-3xl px-4 py-10">
            {just_placed.then(|| view! {
                <div role="status" class="mb-6 rounded-2xl bg-teal-50 p-5 text-teal-900">
                    <p class="text-xl font-bold">"Thank you! Your order is placed."</p>
                    <p class="mt-1">{format!("A confirmation is on its way to {}. Keep this page's address to come back to your order.", order.email)}</p>
                </div>
            })}
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h1 class="text-3xl font-bold tracking-tight">"Order " <span data-testid="order-number">{order.number.to_string()}</span></h1>
                <span class="rounded-full bg-stone-200 px-3 py-1 text-sm font-semibold" data-testid="order-status">{order.status.label()}</span>
            </div>
            <p class="mt-1 text-stone-600">{format!("Placed {}", order.placed)}</p>
            <ul class="mt-6 divide-y divide-stone-200 rounded-2xl border border-stone-200 bg-white">
                {order.lines.iter().map(|l| view! {
                    <li class="flex justify-between gap-4 p-4 text-sm" data-testid="order-line">
                        <span>{format!("{} × {}", l.quantity, l.name)} <span class="block text-xs text-stone-500">{format!("SKU {}", l.sku)}</span></span>
                        <span class="font-semibold">{l.line_total.format()}</span>
                    </li>
                }).collect_view()}
            </ul>
            <div class="mt-6 grid gap-6 sm:grid-cols-2">
                <div class="rounded-2xl border border-stone-200 bg-white p-4">
                    <TotalsTable totals=order.totals coupon=order.coupon_code.clone() shipping=order.shipping_method.clone() tax_name=None />
                </div>
                <div class="rounded-2xl border border-stone-200 bg-white p-4 text-sm">
                    <h2 class="font-semibold">"Delivery to"</h2>
                    <address class="mt-1 not-italic text-stone-700">
                        {address.into_iter().map(|l| view! { <span class="block">{l}</span> }).collect_view()}
                    </address>
                </div>
            </div>
            {(!order.shipments.is_empty()).then(|| view! {
                <section aria-labelledby="parcels-heading" class="mt-8">
                    <h2 id="parcels-heading" class="text-lg font-bold">"Parcels"</h2>
                    <ul class="mt-3 space-y-3">
                        {order.shipments.iter().cloned().map(|parcel| view! {
                            <li class="rounded-2xl border border-stone-200 bg-white p-4 text-sm"><Parcel parcel /></li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            {(!order.refunds.is_empty()).then(|| view! {
                <section aria-labelledby="refunds-heading" class="mt-8">
                    <h2 id="refunds-heading" class="text-lg font-bold">"Refunds"</h2>
                    <ul class="mt-3 space-y-3">
                        {order.refunds.iter().map(|r| view! {
                            <li class="rounded-2xl border border-stone-200 bg-white p-4 text-sm" data-testid="refund">
                                <p class="flex flex-wrap items-baseline justify-between gap-2">
                                    <span class="font-semibold">{format!("{} · {}", r.amount.format(), r.state.label())}</span>
                                    <span class="text-xs text-stone-600">{format!("{} UTC", r.at)}</span>
                                </p>
                                <ul class="mt-1 text-stone-700">
                                    {r.lines.iter().map(|(name, units, _)| view! { <li>{format!("{units} × {name}")}</li> }).collect_view()}
                                    {(!r.shipping.is_zero()).then(|| view! { <li>{format!("Shipping {}", r.shipping.format())}</li> })}
                                </ul>
                                <p class="mt-1 text-xs text-stone-600">"It goes back the way you paid; your bank may take a few days to show it."</p>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            <CustomerReturns returns=order.returns.clone() />
            {match order.return_offer.clone() {
                Some(ReturnOffer::Open { closes, lines, key }) => view! {
                    <ReturnForm number=order.number.0 access=order.access_key.clone() closes lines key />
                }.into_any(),
                // Before delivery there is nothing to say about returns.
                Some(ReturnOffer::Refused(ReturnError::NotDelivered)) | None => ().into_any(),
                Some(ReturnOffer::Refused(why)) => view! {
                    <p class="mt-8 text-sm text-stone-600" data-testid="return-refused">{why.to_string()}</p>
                }.into_any(),
            }}
            <section aria-labelledby="history-heading" class="mt-8">
                <h2 id="history-heading" class="text-lg font-bold">"History"</h2>
                <ol class="mt-3 space-y-3 border-l-2 border-teal-600 pl-4">
                    {order.events.iter().map(|e| view! {
                        <li>
                            <p class="font-semibold">{e.status.label()}</p>
                            <p class="text-sm text-stone-600">{format!("{} · {}", e.at, e.note)}</p>
                        </li>
                    }).collect_view()}
                </ol>
            </section>
        </div>
    }
}

/// The customer's returns, each with where it stands and what to do next.
#[component]
fn CustomerReturns(returns: Vec<Return>) -> impl IntoView {
    if returns.is_empty() {
        return ().into_any();
    }
    view! {
        <section aria-labelledby="returns-heading" class="mt-8">
            <h2 id="returns-heading" class="text-lg font-bold">"Returns"</h2>
            <ul class="mt-3 space-y-3">
                {returns.into_iter().map(|r| view! {
                    <li class="rounded-2xl border border-stone-200 bg-white p-4 text-sm" data-testid="return">
                        <p class="flex flex-wrap items-baseline justify-between gap-2">
                            <span class="font-semibold" data-testid="return-state">{r.state.label()}</span>
                            <span class="text-xs text-stone-600">{format!("Asked {} UTC", r.requested_at)}</span>
                        </p>
                        <p class="mt-1 text-stone-700">{r.state.for_customer()}</p>
                        <ul class="mt-1 text-stone-700">
                            {r.lines.iter().map(|l| view! { <li>{format!("{} × {}", l.units, l.name)}</li> }).collect_view()}
                        </ul>
                        <p class="mt-1 break-words text-xs text-stone-600">{format!("Your reason: {}", r.reason)}</p>
                        {r.answer.clone().map(|a| view! { <p class="mt-2 break-words text-stone-800">{format!("From us: {a}")}</p> })}
                        {(r.state == ReturnState::Approved).then(|| r.instructions.clone()).flatten().map(|i| view! {
                            <p class="mt-2 whitespace-pre-line rounded-xl bg-teal-50 p-3 text-teal-900" data-testid="return-instructions">{i}</p>
                        })}
                        {r.refund.map(|(amount, state)| view! { <p class="mt-1 font-semibold">{format!("Refund {} · {}", amount.format(), state.label())}</p> })}
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// Asking to return delivered items: how many of each, and why.
#[component]
fn ReturnForm(
    number: i64,
    access: String,
    closes: String,
    lines: Vec<ReturnableLine>,
    key: String,
) -> impl IntoView {
    let ask = ServerAction::<RequestReturn>::new();
    let outcome: Signal<Outcome<()>> = ask.value().into();
    let rows = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let field = format!("lines[{i}][quantity]");
            let id = format!("return-{i}");
            let kept = crate::form_errors::kept(&field).unwrap_or_else(|| "0".to_owned());
            let options = (0..=l.returnable)
                .map(|n| {
                    let chosen = n.to_string() == kept;
                    view! { <option value=n.to_string() selected=chosen>{n.to_string()}</option> }
                })
                .collect_view();
            let error = {
                let field = field.clone();
                move || outcome.get().and_then(Result::err).and_then(|e| e.field(&field))
            };
            let hint_id = format!("{id}-hint");
            let invalid = {
                let error = error.clone();
                move || error().is_some().to_string()
            };
            let hint = if l.returnable == l.delivered {
                format!("{} delivered", l.delivered)
            } else {
                format!("{} delivered, {} can be returned", l.delivered, l.returnable)
            };
            view! {
                <li class="flex flex-wrap items-center justify-between gap-3 py-3" data-testid="return-line">
                    <span>
                        <label for=id.clone() class="font-medium">{l.name.clone()}</label>
                        <span id=hint_id.clone() class="block text-xs text-stone-500">{hint}</span>
                    </span>
                    <span>
                        <input type="hidden" name=format!("lines[{i}][id]") value=l.line_id />
                        <select id=id name=field aria-describedby=hint_id aria-invalid=invalid class="h-11 rounded-xl border border-stone-300 bg-white px-3 focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30">{options}</select>
                        {move || error().map(|e| view! { <span role="alert" class="block text-xs font-medium text-rose-800">{e}</span> })}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="return-heading" class="mt-8 rounded-2xl border border-stone-200 bg-white p-4">
            <details open=outcome.get_untracked().is_some_and(|o| o.is_err())>
                <summary class="cursor-pointer"><h2 id="return-heading" class="inline text-lg font-bold">"Return items"</h2></summary>
                <p class="mt-1 text-sm text-stone-600">{format!("You can ask to return delivered items until {closes}. We answer by mail and here.")}</p>
                <ActionForm action=ask attr:class="mt-3 space-y-4" attr:novalidate=true>
                    {action_error(ask.value())}
                    <input type="hidden" name="number" value=number />
                    <input type="hidden" name="key" value=access />
                    <input type="hidden" name="request" value=key />
                    <ul class="divide-y divide-stone-100 text-sm">{rows}</ul>
                    <TextArea name="reason" label="Why are you returning them?" rows=3 maxlength=mercato::orders::returns::MAX_TEXT required=true outcome hint="Too small, not as pictured, arrived damaged…" />
                    <button type="submit" class=BUTTON>"Ask to return"</button>
                </ActionForm>
            </details>
        </section>
    }
}

/// Subtotal, discount, shipping, tax and total, as checkout and the order page show them.
#[component]
pub fn TotalsTable(
    totals: Totals,
    coupon: Option<String>,
    shipping: String,
    tax_name: Option<String>,
) -> impl IntoView {
    // A named tax ("VAT") reads the same in both places; an unnamed one is "Tax" as a
    // row and "tax" inside a sentence.
    let (tax_label, tax_in_sentence) = match tax_name {
        Some(name) => (name.clone(), name),
        None => ("Tax".to_owned(), "tax".to_owned()),
    };
    let row = |label: String, amount: String, testid: &'static str| {
        view! {
            <div class="flex justify-between gap-3 py-1">
                <dt class="text-stone-600">{label}</dt>
                <dd class="font-semibold" data-testid=testid>{amount}</dd>
            </div>
        }
    };
    // The "includes tax" line is a note under the list, not one of its terms.
    view! {
        <div>
            <dl class="text-sm">
                {row("Subtotal".to_owned(), totals.subtotal.format(), "subtotal")}
                {(!totals.discount.is_zero()).then(|| row(format!("Coupon {}", coupon.unwrap_or_default()), format!("−{}", totals.discount.format()), "discount"))}
                {row(format!("Shipping ({shipping})"), if totals.shipping.is_zero() { "Free".to_owned() } else { totals.shipping.format() }, "shipping")}
                {(!totals.tax_included).then(|| row(tax_label, totals.tax.format(), "tax"))}
                <div class="mt-2 flex justify-between gap-3 border-t border-stone-200 pt-2 text-base">
                    <dt class="font-bold">"Total"</dt>
                    <dd class="font-bold" data-testid="total">{totals.total.format()}</dd>
                </div>
            </dl>
            {totals.tax_included.then(|| view! {
                <p class="mt-1 text-xs text-stone-600">{format!("Includes {} {}", totals.tax.format(), tax_in_sentence)}</p>
            })}
        </div>
    }
}

/// The account's order history, newest first.
#[component]
pub fn OrderList(orders: Vec<OrderSummary>) -> impl IntoView {
    if orders.is_empty() {
        return view! {
            <div class="mt-8 rounded-2xl border border-dashed border-stone-300 bg-white p-10 text-center">
                <p class="text-lg font-semibold text-stone-800">"No orders yet."</p>
                <p class="mt-2 text-stone-600">"When you place one, it appears here with its status, from paid to delivered."</p>
                <a href="/search" class="mt-6 inline-block rounded-full bg-teal-700 px-6 py-3 text-sm font-semibold text-white hover:bg-teal-800">"Browse the shop"</a>
            </div>
        }
        .into_any();
    }
    view! {
        <ul class="mt-8 divide-y divide-stone-200 rounded-2xl border border-stone-200 bg-white">
            {orders.into_iter().map(|o| view! {
                <li data-testid="order-summary">
                    <a href=format!("/orders/{}", o.number) class="flex flex-wrap items-center justify-between gap-3 p-4 hover:bg-stone-50">
                        <span>
                            <span class="block font-semibold">{format!("Order {}", o.number)}</span>
                            <span class="block text-sm text-stone-600">{format!("{} · {} {}", o.placed, o.items, if o.items == 1 { "item" } else { "items" })}</span>
                        </span>
                        <span class="rounded-full bg-stone-100 px-3 py-1 text-sm font-semibold">{o.status.label()}</span>
                        <span class="font-semibold">{o.total.format()}</span>
                    </a>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// One parcel: what is in it, the carrier and its tracking (a link when the carrier has
/// one), and when it left and arrived. Shown to staff and to the shopper alike.
#[component]
pub fn Parcel(parcel: mercato::orders::fulfil::Shipment) -> impl IntoView {
    view! {
        <div data-testid="shipment">
            <p class="font-semibold">
                {format!("{} · shipped {} UTC", parcel.carrier, parcel.shipped_at)}
                {parcel.delivered_at.map(|d| format!(" · delivered {d} UTC"))}
            </p>
            {(!parcel.tracking_number.is_empty()).then(|| match parcel.tracking_url.clone() {
                Some(url) => view! {
                    <p>"Tracking: " <a href=url rel="noopener noreferrer" class="break-all font-semibold text-teal-800 underline" data-testid="tracking-link">{parcel.tracking_number.clone()}</a></p>
                }.into_any(),
                None => view! {
                    <p>"Tracking: " <span class="break-all font-mono" data-testid="tracking-number">{parcel.tracking_number.clone()}</span></p>
                }.into_any(),
            })}
            <ul class="mt-1 text-stone-600">
                {parcel.lines.into_iter().map(|(name, units)| view! { <li>{format!("{units} × {name}")}</li> }).collect_view()}
            </ul>
        </div>
    }
}
