//! `/admin/discounts`: coupons, newest first, searched by code or description and
//! filtered by where they stand, each with its uses and the revenue of the orders that
//! used it; `/admin/discounts/new` and `/admin/discounts/{id}`: one coupon's form, its
//! figures and latest orders, pause or resume, delete. The rules are
//! `mercato::cart::discounts`.

use super::{select_options, AdminHeader, DataTable, EmptyList, KeysetPager, BADGE};
use crate::components::form::{
    action_error, Outcome, SelectField, TextField, BUTTON, INPUT, LABEL, SECONDARY,
};
use crate::components::loaded;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use mercato::cart::coupon::DiscountKind;
use mercato::cart::discounts::{
    CouponDetail, CouponForm, CouponList, CouponQuery, CouponRow, CouponState, LIST_PATH,
};
use mercato::Currency;

#[cfg(feature = "ssr")]
use mercato::admin::Permission;

/// The list as `q`, `state` and `after` ask.
#[server(prefix = "/api", endpoint = "admin/discounts")]
pub async fn load_coupons(
    q: Option<String>,
    state: Option<String>,
    after: Option<String>,
) -> Result<CouponList, AppError> {
    let staff = crate::accounts::require_permission(Permission::Discounts).await?;
    let query = CouponQuery::from_params(q.as_deref(), state.as_deref(), after.as_deref());
    let shop = crate::state::state()?;
    Ok(mercato::cart::discounts::list(&shop.pool, &staff, &query, shop.currency).await?)
}

/// Coupon `id` whole.
#[server(prefix = "/api", endpoint = "admin/discounts/detail")]
pub async fn load_coupon(id: i64) -> Result<CouponDetail, AppError> {
    let staff = crate::accounts::require_permission(Permission::Discounts).await?;
    let shop = crate::state::state()?;
    Ok(mercato::cart::discounts::detail(&shop.pool, &staff, id, shop.currency).await?)
}

/// What the new coupon's form needs: the shop's currency, which amounts are typed in.
#[server(prefix = "/api", endpoint = "admin/discounts/new")]
pub async fn load_new_coupon() -> Result<Currency, AppError> {
    crate::accounts::require_permission(Permission::Discounts).await?;
    Ok(crate::state::state()?.currency)
}

/// A new coupon; without JavaScript, on to its page.
#[server(prefix = "/api", endpoint = "admin/discounts/create")]
pub async fn create_coupon(#[server(flatten)] form: CouponForm) -> Result<i64, AppError> {
    let staff = crate::accounts::require_permission(Permission::Discounts).await?;
    let (shop, draft) = parsed(&form)?;
    let id = mercato::cart::discounts::create(&shop.pool, &staff, &draft).await?;
    crate::session::flash_and_go(
        format!("Added the coupon {}.", draft.code),
        &format!("{LIST_PATH}/{id}"),
    )
    .await?;
    Ok(id)
}

/// The shop, and `form` read as a coupon in its currency.
#[cfg(feature = "ssr")]
fn parsed(
    form: &CouponForm,
) -> Result<
    (
        crate::state::AppState,
        mercato::cart::discounts::CouponDraft,
    ),
    AppError,
> {
    let shop = crate::state::state()?;
    let draft = mercato::cart::discounts::CouponDraft::parse(form, shop.currency)
        .map_err(mercato::Error::Fields)?;
    Ok((shop, draft))
}

/// Saves coupon `id`, opened at `version`. (Both are read from text: the form's other
/// fields are flattened in beside them, and so arrive as text.)
#[server(prefix = "/api", endpoint = "admin/discounts/update")]
pub async fn update_coupon(
    #[server(default)] id: String,
    #[server(default)] version: String,
    #[server(flatten)] form: CouponForm,
) -> Result<i32, AppError> {
    let staff = crate::accounts::require_permission(Permission::Discounts).await?;
    let Some((id, version)) = super::opened_record(&id, &version)? else {
        return Err(AppError::BadRequest(
            "The form lacks the coupon's number or version: reload the page.".to_owned(),
        ));
    };
    let (shop, draft) = parsed(&form)?;
    let saved = mercato::cart::discounts::update(&shop.pool, &staff, id, version, &draft).await?;
    crate::session::flash_if_plain_form(format!("Saved the coupon {}.", draft.code)).await?;
    Ok(saved)
}

/// Pauses (`to` = `pause`) or resumes (`resume`) coupon `id`.
#[server(prefix = "/api", endpoint = "admin/discounts/pause")]
pub async fn pause_coupon(id: i64, #[server(default)] to: String) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Discounts).await?;
    let active = match to.as_str() {
        "pause" => false,
        "resume" => true,
        _ => return Err(AppError::BadRequest("pause or resume a coupon".to_owned())),
    };
    let pool = crate::state::pool()?;
    mercato::cart::discounts::set_active(&pool, &staff, id, active).await?;
    crate::session::flash_if_plain_form(if active {
        "Resumed: shoppers can use it again (within its dates and limits)."
    } else {
        "Paused: shoppers can't use it, and carts holding it lose it when next shown. Resume it any time."
    })
    .await
}

/// Deletes coupon `id`, once `confirm` is ticked; without JavaScript, on to the list.
#[server(prefix = "/api", endpoint = "admin/discounts/delete")]
pub async fn delete_coupon(
    id: i64,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Discounts).await?;
    super::confirmed(&confirm, "shoppers can no longer use this code")?;
    let pool = crate::state::pool()?;
    let code = mercato::cart::discounts::delete(&pool, &staff, id).await?;
    crate::session::flash_and_go(
        format!(
            "Deleted the coupon {code}. Its orders keep their discount; the code is free for a new coupon."
        ),
        LIST_PATH,
    )
    .await
}

use super::CARD;

/// A badge for where a coupon stands.
#[component]
fn StateBadge(state: CouponState) -> impl IntoView {
    let class = match state {
        CouponState::Live => "bg-teal-50 text-teal-900",
        CouponState::Scheduled => "bg-sky-100 text-sky-900",
        CouponState::Paused => "bg-amber-100 text-amber-900",
        CouponState::Ended | CouponState::UsedUp => "bg-stone-200 text-stone-700",
        CouponState::Deleted => "bg-rose-100 text-rose-900",
    };
    view! { <span class=format!("{BADGE} {class}") data-testid="coupon-state">{state.label()}</span> }
}

/// `/admin/discounts[?q=…&state=…&after=…]`
#[component]
pub fn DiscountsPage() -> impl IntoView {
    let args = super::url_params(["q", "state", "after"]);
    let list = Resource::new(args, |[q, state, after]| load_coupons(q, state, after));
    let query = move || {
        let [q, state, after] = args();
        CouponQuery::from_params(q.as_deref(), state.as_deref(), after.as_deref())
    };
    view! {
        <AdminHeader title="Discounts" />
        <p class="mt-2 flex flex-wrap items-center justify-between gap-3">
            <span class="max-w-2xl text-sm text-stone-600">"Coupon codes shoppers type in their cart. A change applies to carts from their next view; orders already placed keep what they were given."</span>
            <a href=format!("{LIST_PATH}/new") class=format!("{BUTTON} inline-flex items-center")>"New coupon"</a>
        </p>
        {loaded(list, move |page| view! { <Coupons page query=query() /> })}
    }
}

#[component]
fn Coupons(page: CouponList, query: CouponQuery) -> impl IntoView {
    let filtered = query.filtered();
    let first = query.after.is_none();
    let table = if page.rows.is_empty() {
        let message = match (first, filtered) {
            (false, _) => "No more coupons.",
            (true, true) if query.state.is_none() => {
                "No coupon matches this search. Deleted coupons are under State: Deleted."
            }
            (true, true) => "No coupon matches these filters.",
            (true, false) => "No coupons yet. Create one with \"New coupon\".",
        };
        view! { <EmptyList message filtered list=LIST_PATH /> }.into_any()
    } else {
        let next = page.next.map(|n| query.href(Some(n)));
        let newest = (!first).then(|| query.href(None));
        view! {
            <div class="mt-4">
                <DataTable min_width="min-w-[56rem]" columns=&["Code", "Gives", "Dates (UTC)", "State", "Uses", "Net paid"]>
                    {page.rows.into_iter().map(|row| view! { <Row row /> }).collect_view()}
                </DataTable>
            </div>
            <KeysetPager label="Coupon pages" first=newest next first_label="Newest" next_label="Older coupons" />
        }
        .into_any()
    };
    let mut states = vec![(String::new(), "All but deleted".to_owned())];
    states.extend(
        CouponState::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), s.label().to_owned())),
    );
    view! {
        <form method="get" action=LIST_PATH role="search" class="mt-5 grid gap-3 rounded-2xl border border-stone-200 bg-white p-4 sm:grid-cols-[minmax(0,1fr)_14rem_auto] sm:items-end">
            <div>
                <label for="coupons-q" class=LABEL>"Code or description"</label>
                <input id="coupons-q" name="q" type="search" value=query.q.clone() maxlength=CouponQuery::MAX_SEARCH class=INPUT />
            </div>
            <div>
                <label for="coupons-state" class=LABEL>"State"</label>
                <select id="coupons-state" name="state" class=INPUT>
                    {select_options(states, query.state.map(|s| s.as_str()).unwrap_or_default())}
                </select>
            </div>
            <button type="submit" class=SECONDARY>"Apply"</button>
        </form>
        {table}
    }
}

#[component]
fn Row(row: CouponRow) -> impl IntoView {
    let uses = match row.max_uses {
        Some(max) => format!("{} of {max}", row.uses),
        None => row.uses.to_string(),
    };
    view! {
        <tr data-testid="coupon-row" class="align-middle">
            <th scope="row" class="px-4 py-3 text-left font-semibold">
                <a href=format!("{LIST_PATH}/{}", row.id) class="font-mono text-teal-800 underline-offset-4 hover:underline">{row.code}</a>
                {(!row.description.is_empty()).then(|| view! {
                    <span class="block text-xs font-normal text-stone-500">{row.description}</span>
                })}
            </th>
            <td class="px-4 py-3">
                {row.gives}
                {(!row.conditions.is_empty()).then(|| view! { <span class="block text-xs text-stone-500">{row.conditions}</span> })}
            </td>
            <td class="px-4 py-3 text-stone-600">{if row.dates.is_empty() { "Always".to_owned() } else { row.dates }}</td>
            <td class="px-4 py-3"><StateBadge state=row.state /></td>
            <td class="whitespace-nowrap px-4 py-3 tabular-nums" data-testid="coupon-uses">{uses}</td>
            <td class="whitespace-nowrap px-4 py-3 font-semibold tabular-nums" data-testid="coupon-revenue">{super::amounts(&row.revenue)}</td>
        </tr>
    }
}

/// `/admin/discounts/new`
#[component]
pub fn NewCouponPage() -> impl IntoView {
    let currency = Resource::new(|| (), |_| load_new_coupon());
    view! {
        {loaded(currency, |currency| {
            let create = ServerAction::<CreateCoupon>::new();
            let outcome: Signal<Outcome<i64>> = create.value().into();
            view! {
                <AdminHeader crumbs=vec![("Discounts", LIST_PATH)] title="New coupon" />
                <ActionForm action=create attr:class=format!("mt-5 max-w-3xl {CARD}") attr:novalidate=true>
                    <div class="mb-4">{action_error(create.value())}</div>
                    <CouponFields form=CouponForm::default() currency outcome />
                    <div class="mt-5"><button type="submit" class=BUTTON>"Create coupon"</button></div>
                </ActionForm>
            }
        })}
    }
}

/// The coupon's fields, for creating one and for editing it.
#[component]
fn CouponFields<T: Clone + Send + Sync + 'static>(
    form: CouponForm,
    currency: Currency,
    outcome: Signal<Outcome<T>>,
) -> impl IntoView {
    let kinds = vec![
        (
            DiscountKind::Percent.as_str().to_owned(),
            "A percentage off the subtotal".to_owned(),
        ),
        (
            DiscountKind::Fixed.as_str().to_owned(),
            format!("An amount off the subtotal ({})", currency.code()),
        ),
        (
            DiscountKind::FreeShipping.as_str().to_owned(),
            "Free shipping".to_owned(),
        ),
    ];
    let kind = if form.kind.is_empty() {
        DiscountKind::Percent.as_str().to_owned()
    } else {
        form.kind
    };
    view! {
        <div class="grid gap-4 sm:grid-cols-2">
            <TextField name="code" label="Code" value=form.code required=true maxlength=40 outcome
                hint="What shoppers type: letters, digits, - and _. Stored in capitals; shoppers may type any case." />
            <TextField name="description" label="Description" value=form.description maxlength=200 outcome
                hint="For staff, and shown in the shopper's cart." />
            <SelectField name="kind" label="It gives" options=kinds selected=kind outcome />
            <TextField name="value" label="Percentage or amount off" value=form.value maxlength=20 outcome
                hint="10 for 10 % off, or 5.00 off. Not used for free shipping." />
            <TextField name="min_subtotal" label="Minimum subtotal" value=form.min_subtotal maxlength=20 outcome
                hint=format!("In {}: the cart's subtotal before the discount. Empty: any.", currency.code()) />
            <div class="hidden sm:block"></div>
            <TextField name="starts" label="Starts (UTC)" kind="datetime-local" value=form.starts maxlength=20 outcome
                hint="Empty: now." />
            <TextField name="ends" label="Ends (UTC)" kind="datetime-local" value=form.ends maxlength=20 outcome
                hint="It stops at this minute. Empty: never." />
            <TextField name="max_uses" label="Uses in all" kind="number" value=form.max_uses maxlength=12 outcome
                hint="Orders placed with it, cancelled ones not counted. Empty: no limit." />
            <TextField name="max_uses_per_customer" label="Uses per customer" kind="number" value=form.max_uses_per_customer maxlength=12 outcome
                hint="Then only signed-in shoppers with a confirmed email can use it. Empty: no limit." />
        </div>
    }
}

/// `/admin/discounts/{id}`
#[component]
pub fn CouponPage() -> impl IntoView {
    let coupon = super::record_resource("id", load_coupon);
    view! { {loaded(coupon, |coupon| view! { <Coupon coupon /> })} }
}

#[component]
fn Coupon(coupon: CouponDetail) -> impl IntoView {
    let id = coupon.id;
    let deleted = coupon.state == CouponState::Deleted;
    let paused = coupon.state == CouponState::Paused;
    // Pausing an ended or used-up coupon would change nothing a shopper sees.
    let pausable = matches!(
        coupon.state,
        CouponState::Live | CouponState::Scheduled | CouponState::Paused
    );
    let update = ServerAction::<UpdateCoupon>::new();
    let outcome: Signal<Outcome<i32>> = update.value().into();
    let pause = ServerAction::<PauseCoupon>::new();
    let figures = [
        ("Uses", coupon.uses.to_string(), "coupon-uses"),
        (
            "Orders paid",
            coupon.paid_orders.to_string(),
            "coupon-paid-orders",
        ),
        (
            "Net paid",
            super::amounts(&coupon.revenue),
            "coupon-revenue",
        ),
        (
            "Taken off subtotals",
            super::amounts(&coupon.discounted),
            "coupon-discounted",
        ),
    ];
    view! {
        <AdminHeader crumbs=vec![("Discounts", LIST_PATH)] title=coupon.form.code.clone() />
        <p class="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-stone-600">
            <StateBadge state=coupon.state />
            <span>{coupon.gives.clone()}</span>
            {(!coupon.conditions.is_empty()).then(|| view! { <span>{format!("· {}", coupon.conditions)}</span> })}
            <span>{format!("· created {} UTC", coupon.created)}</span>
        </p>
        <dl class="mt-5 grid grid-cols-2 gap-3 md:grid-cols-4">
            {figures.into_iter().map(|(label, value, testid)| view! {
                <div class="rounded-2xl border border-stone-200 bg-white p-4">
                    <dt class="text-sm text-stone-600">{label}</dt>
                    <dd class="mt-1 text-xl font-bold tabular-nums" data-testid=testid>{value}</dd>
                </div>
            }).collect_view()}
        </dl>
        <p class="mt-2 text-xs text-stone-600">"Uses: orders placed with it that were not cancelled. Orders paid: those whose payment went through (refunded ones too). Net paid: what they paid, shipping and tax included, less what was refunded. Taken off subtotals: their discount (shipping a free-shipping code waived is not counted)."</p>
        <div class="mt-5 grid gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
            <div class="min-w-0 space-y-4">
                {if deleted {
                    view! {
                        <p class="rounded-2xl border border-rose-200 bg-white p-5 text-sm text-stone-700" data-testid="coupon-deleted">
                            "This coupon was deleted: shoppers can't use it and it can't be changed. Its figures and orders stay here; its code is free for a new coupon."
                        </p>
                    }.into_any()
                } else {
                    view! {
                        <section aria-labelledby="coupon-heading" class=CARD>
                            <h2 id="coupon-heading" class="text-lg font-bold">"Coupon"</h2>
                            <ActionForm action=update attr:class="mt-4" attr:novalidate=true>
                                <div class="mb-4">{action_error(update.value())}</div>
                                <input type="hidden" name="id" value=id />
                                // After a refused save, the version it was opened at: saving
                                // again stays refused until the coupon is opened again.
                                <input type="hidden" name="version" value=crate::form_errors::kept("version").unwrap_or_else(|| coupon.version.to_string()) />
                                <CouponFields form=coupon.form.clone() currency=coupon.currency outcome />
                                <div class="mt-5"><button type="submit" class=BUTTON>"Save coupon"</button></div>
                            </ActionForm>
                        </section>
                    }.into_any()
                }}
                <section aria-labelledby="coupon-orders-heading" class=CARD>
                    <h2 id="coupon-orders-heading" class="text-lg font-bold">"Latest orders with it"</h2>
                    {if coupon.recent.is_empty() {
                        view! { <p class="mt-2 text-sm text-stone-600">"No orders yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="mt-2 divide-y divide-stone-100 text-sm">
                                {coupon.recent.iter().map(|o| view! {
                                    <li class="flex flex-wrap items-center justify-between gap-x-4 gap-y-1 py-2" data-testid="coupon-order">
                                        <a href=format!("/admin/orders/{}", o.number) class="font-semibold text-teal-800 underline-offset-4 hover:underline">{format!("#{}", o.number)}</a>
                                        <span class="text-stone-600">{o.placed.clone()}</span>
                                        <super::orders::OrderStatusBadge status=o.status />
                                        <span class="tabular-nums text-stone-600">{format!("−{}", o.discount.format())}</span>
                                        <span class="font-semibold tabular-nums" data-testid="coupon-order-total">{o.total.format()}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
            </div>
            {(!deleted).then(|| view! {
                <div class="min-w-0 space-y-4">
                    {pausable.then(|| view! {
                    <section aria-labelledby="pause-heading" class=CARD>
                        <h2 id="pause-heading" class="text-lg font-bold">{if paused { "Paused" } else { "Pause" }}</h2>
                        <p class="mt-1 text-sm text-stone-600">{if paused {
                            "Shoppers can't use it now. Resume it to let them again, within its dates and limits."
                        } else {
                            "Stops it at once, without changing anything else: carts holding it lose it when next shown."
                        }}</p>
                        <ActionForm action=pause attr:class="mt-3">
                            {action_error(pause.value())}
                            <input type="hidden" name="id" value=id />
                            <input type="hidden" name="to" value=if paused { "resume" } else { "pause" } />
                            <button type="submit" class=SECONDARY>{if paused { "Resume coupon" } else { "Pause coupon" }}</button>
                        </ActionForm>
                    </section>
                    })}
                    <Delete id />
                </div>
            })}
        </div>
    }
}

#[component]
fn Delete(id: i64) -> impl IntoView {
    let remove = ServerAction::<DeleteCoupon>::new();
    view! {
        <section aria-labelledby="delete-heading" class="rounded-2xl border border-rose-200 bg-white p-5">
            <h2 id="delete-heading" class="text-lg font-bold">"Delete"</h2>
            <p class="mt-1 text-sm text-stone-600">"Shoppers can no longer use the code, and carts holding it lose it. Orders that used it keep their discount, and its figures stay readable under the Deleted filter. A new coupon may take the code later; its uses then start again from none."</p>
            <ActionForm action=remove attr:class="mt-3 space-y-3" attr:novalidate=true>
                {action_error(remove.value())}
                <input type="hidden" name="id" value=id />
                {super::confirm_box(remove.value().into(), "I understand shoppers can no longer use this code.")}
                <button type="submit" class=format!("{SECONDARY} border-rose-300 text-rose-800 hover:bg-rose-50")>"Delete coupon"</button>
            </ActionForm>
        </section>
    }
}
