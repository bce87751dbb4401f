//! `/admin[?period=today|7d|30d|90d]`: how the shop did over the period against the one
//! before, revenue and paid orders per day as charts drawn on the server (an SVG, and
//! the same figures as a table for screen readers), best sellers, what runs low and
//! what needs action. The figures and who sees which are `mercato::admin::dashboard`.

use super::{AdminHeader, StockBadge, CARD};
use crate::components::loaded;
use crate::error::AppError;
use leptos::prelude::*;
use mercato::admin::dashboard::{
    BestSeller, Change, Dashboard, DayFigures, Figures, Period, Waiting,
};
use mercato::inventory::{LevelQuery, Show};
use mercato::orders::returns::ReturnFilter;
use mercato::orders::staff::OrderQuery;
use mercato::orders::OrderStatus;
use mercato::Money;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// The dashboard for `period` (7 days when absent or unknown). Any staff member.
#[server(prefix = "/api", endpoint = "admin/dashboard")]
pub async fn load_dashboard(period: Option<String>) -> Result<Dashboard, AppError> {
    let staff = crate::accounts::require_staff().await?;
    let period = period
        .as_deref()
        .and_then(Period::parse)
        .unwrap_or_default();
    let shop = crate::state::state()?;
    Ok(mercato::admin::dashboard::load(&shop.pool, &staff, period, shop.currency).await?)
}

/// `/admin`
#[component]
pub fn DashboardPage() -> impl IntoView {
    let args = super::url_params(["period"]);
    let dashboard = Resource::new(args, |[period]| load_dashboard(period));
    view! {
        <AdminHeader title="Dashboard" />
        {loaded(dashboard, |d| view! { <Board d /> })}
    }
}

#[component]
fn Board(d: Dashboard) -> impl IntoView {
    let tabs = Period::ALL
        .iter()
        .map(|p| {
            let current = *p == d.period;
            view! {
                <a href=format!("/admin?period={}", p.as_str()) aria-current=current.then_some("page")
                    class="rounded-full px-4 py-1.5 text-sm font-semibold text-stone-700 hover:bg-stone-200 aria-[current=page]:bg-stone-900 aria-[current=page]:text-white">
                    {p.label()}
                </a>
            }
        })
        .collect_view();
    let span = if d.first_day == d.last_day {
        format!("{} (UTC)", d.last_day)
    } else {
        format!("{} to {} (UTC)", d.first_day, d.last_day)
    };
    let previous = d.period.previous();
    let may_open_products = d.may_open_products;
    let sales = match d.sales {
        Some(sales) => view! {
            <h2 class="sr-only">"Sales"</h2>
            <FigureTiles now=sales.now before=sales.before previous />
            <div class="mt-4 grid gap-4 xl:grid-cols-2">
                <Chart title="Revenue per day" id="revenue-chart" days=sales.days.clone() value=|day: &DayFigures| day.revenue.amount() shown=|day: &DayFigures| day.revenue.format() />
                <Chart title="Paid orders per day" id="orders-chart" days=sales.days value=|day: &DayFigures| Decimal::from(day.orders) shown=|day: &DayFigures| day.orders.to_string() />
            </div>
            <BestSellers best=sales.best_sellers may_open_products />
        }.into_any(),
        None => view! {
            <p class=format!("mt-4 {CARD} text-sm text-stone-600")>"Sales figures are for staff with the orders permission."</p>
        }.into_any(),
    };
    view! {
        <div class="mt-3 flex flex-wrap items-center justify-between gap-3">
            <nav aria-label="Period" class="flex flex-wrap gap-2">{tabs}</nav>
            <p class="text-sm text-stone-600" data-testid="dashboard-span">{span}</p>
        </div>
        {sales}
        <div class="mt-4 grid gap-4 lg:grid-cols-2">
            <WaitingCard waiting=d.waiting />
            {d.low_stock.map(|levels| view! { <LowStock levels more=d.more_low_stock /> })}
        </div>
    }
}

#[component]
fn BestSellers(best: Vec<BestSeller>, may_open_products: bool) -> impl IntoView {
    view! {
        <section aria-labelledby="best-heading" class=format!("mt-4 {CARD}")>
            <h2 id="best-heading" class="text-lg font-bold">"Best sellers"</h2>
            <p class="text-xs text-stone-500">"By their lines' value before order discounts."</p>
            {if best.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"No paid orders in this period."</p> }.into_any()
            } else {
                view! {
                    <ol class="mt-2 divide-y divide-stone-100 text-sm">
                        {best.into_iter().map(|b| view! {
                            <li class="flex items-baseline justify-between gap-3 py-2" data-testid="best-seller">
                                <span class="min-w-0">
                                    {match b.name {
                                        Some(name) if may_open_products => view! { <a href=format!("/admin/products/{}", b.product_id) class="font-semibold text-teal-800 underline-offset-4 hover:underline">{name}</a> }.into_any(),
                                        Some(name) => view! { <span class="font-semibold">{name}</span> }.into_any(),
                                        None => view! { <span class="text-stone-500">"A deleted product"</span> }.into_any(),
                                    }}
                                    <span class="block text-xs text-stone-500">{format!("{} sold", b.units)}</span>
                                </span>
                                <span class="whitespace-nowrap font-semibold tabular-nums">{b.line_sales.format()}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

/// The period's figures, each with its change against the period before.
#[component]
fn FigureTiles(now: Figures, before: Figures, previous: &'static str) -> impl IntoView {
    let amount = |m: Option<Money>| m.map_or_else(|| "—".to_owned(), |m| m.format());
    let average = |f: &Figures| f.average().map(|m| m.amount());
    let tiles = [
        (
            "Revenue",
            now.revenue.format(),
            Change::of(now.revenue.amount(), before.revenue.amount()).describe(previous, "%"),
            "dashboard-revenue",
        ),
        (
            "Paid orders",
            now.orders.to_string(),
            Change::of(now.orders.into(), before.orders.into()).describe(previous, "%"),
            "dashboard-orders",
        ),
        (
            "Average order",
            amount(now.average()),
            Change::of_optional(average(&now), average(&before)).describe(previous, "%"),
            "dashboard-average",
        ),
        (
            "Refunds",
            now.refunds.format(),
            Change::of(now.refunds.amount(), before.refunds.amount()).describe(previous, "%"),
            "dashboard-refunds",
        ),
        (
            "Orders per 100 carts",
            now.orders_per_100_carts()
                .map_or_else(|| "—".to_owned(), |r| r.normalize().to_string()),
            Change::in_points(now.orders_per_100_carts(), before.orders_per_100_carts())
                .describe(previous, "points"),
            "dashboard-conversion",
        ),
    ];
    view! {
        <dl class="mt-4 grid grid-cols-2 gap-3 sm:grid-cols-3 xl:grid-cols-5">
            {tiles.into_iter().map(|(label, value, moved, testid)| view! {
                <div class="rounded-2xl border border-stone-200 bg-white p-4">
                    <dt class="text-sm text-stone-600">{label}</dt>
                    <dd class="mt-1 text-2xl font-bold tabular-nums" data-testid=testid>{value}</dd>
                    <dd class="mt-1 text-xs text-stone-500">{moved}</dd>
                </div>
            }).collect_view()}
        </dl>
        <p class="mt-2 text-xs text-stone-600">"Revenue: what payments took, shipping and tax included, before refunds. Orders count on the day they were paid; carts on the day they were started."</p>
    }
}

/// A bar per day, drawn on the server: an image for the eye, and the same figures as a
/// table for screen readers. (Bar heights are drawing, not money: `f64` is fine there.)
#[component]
fn Chart(
    title: &'static str,
    id: &'static str,
    days: Vec<DayFigures>,
    value: fn(&DayFigures) -> Decimal,
    shown: fn(&DayFigures) -> String,
) -> impl IntoView {
    const WIDTH: f64 = 600.0;
    const HEIGHT: f64 = 160.0;
    let values: Vec<f64> = days
        .iter()
        .map(|d| value(d).to_f64().unwrap_or(0.0).max(0.0))
        .collect();
    let top = values.iter().copied().fold(0.0_f64, f64::max);
    let slot = WIDTH / values.len().max(1) as f64;
    let gap = (slot * 0.2).min(4.0);
    let bars = days
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, (day, v))| {
            let h = if top > 0.0 { v / top * HEIGHT } else { 0.0 };
            let h = if *v > 0.0 { h.max(1.0) } else { 0.0 };
            view! {
                <rect x=format!("{:.1}", i as f64 * slot + gap / 2.0) y=format!("{:.1}", HEIGHT - h)
                    width=format!("{:.1}", (slot - gap).max(1.0)) height=format!("{h:.1}") class="fill-teal-600">
                    <title>{format!("{}: {}", day.day, shown(day))}</title>
                </rect>
            }
        })
        .collect_view();
    let highest = days
        .iter()
        .zip(&values)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .filter(|(_, v)| **v > 0.0)
        .map(|(d, _)| (shown(d), d.day.clone()));
    let (first, last) = (
        days.first().map(|d| d.day.clone()).unwrap_or_default(),
        days.last().map(|d| d.day.clone()).unwrap_or_default(),
    );
    let heading = format!("{id}-heading");
    view! {
        <figure class=CARD data-testid=id>
            <figcaption class="flex flex-wrap items-baseline justify-between gap-2">
                <h2 id=heading class="text-lg font-bold">{title}</h2>
                <span class="text-xs text-stone-500">{match highest {
                    Some((value, day)) => format!("Highest: {value} on {day}"),
                    None => "No paid orders in this period".to_owned(),
                }}</span>
            </figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="mt-3 h-40 w-full" preserveAspectRatio="none" aria-hidden="true">
                <line x1="0" y1=HEIGHT x2=WIDTH y2=HEIGHT class="stroke-stone-300" stroke-width="1" />
                {bars}
            </svg>
            <div class="mt-1 flex justify-between text-xs text-stone-500" aria-hidden="true">
                <span>{first}</span><span>{last}</span>
            </div>
            <table class="sr-only">
                <caption>{title}</caption>
                <thead><tr><th scope="col">"Day (UTC)"</th><th scope="col">{title}</th></tr></thead>
                <tbody>
                    {days.iter().map(|d| view! { <tr><th scope="row">{d.day.clone()}</th><td>{shown(d)}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}

/// What waits for staff, each a link to where it is done.
#[component]
fn WaitingCard(waiting: Waiting) -> impl IntoView {
    let rows = [
        waiting.to_ship.map(|n| {
            (
                "Paid, waiting to ship",
                n,
                Some(
                    OrderQuery {
                        status: Some(OrderStatus::Paid),
                        ..OrderQuery::default()
                    }
                    .href(),
                ),
                "waiting-to-ship",
            )
        }),
        waiting.return_requests.map(|n| {
            (
                "Return requests to answer",
                n,
                Some(format!(
                    "/admin/returns?show={}",
                    ReturnFilter::Requested.as_str()
                )),
                "waiting-returns",
            )
        }),
        Some((
            "Mail being retried",
            waiting.mail_retrying,
            None,
            "waiting-mail-retrying",
        )),
        Some((
            "Mail given up on",
            waiting.mail_given_up,
            None,
            "waiting-mail-given-up",
        )),
    ];
    let mail_trouble = waiting.mail_retrying + waiting.mail_given_up > 0;
    view! {
        <section aria-labelledby="waiting-heading" class=CARD>
            <h2 id="waiting-heading" class="text-lg font-bold">"Needs action"</h2>
            <ul class="mt-2 divide-y divide-stone-100 text-sm">
                {rows.into_iter().flatten().map(|(label, n, href, testid)| {
                    let text = view! { <span>{label}</span><span class="font-bold tabular-nums" data-testid=testid>{n}</span> };
                    view! {
                        <li class="py-2">
                            {match href.filter(|_| n > 0) {
                                Some(href) => view! { <a href=href class="flex justify-between gap-3 font-semibold text-teal-800 underline-offset-4 hover:underline">{text}</a> }.into_any(),
                                None => view! { <span class="flex justify-between gap-3">{text}</span> }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {mail_trouble.then(|| view! { <p class="mt-2 text-xs text-stone-500">{format!("The outbox retries a mail up to {} times, waiting longer each time, then gives up. Check the mail server's settings (MERCATO_SMTP_URL) and its log.", waiting.mail_attempts)}</p> })}
        </section>
    }
}

#[component]
fn LowStock(levels: Vec<mercato::inventory::Level>, more: bool) -> impl IntoView {
    view! {
        <section aria-labelledby="low-heading" class=CARD>
            <h2 id="low-heading" class="text-lg font-bold">"Low stock"</h2>
            {if levels.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"Nothing runs low."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 divide-y divide-stone-100 text-sm">
                        {levels.into_iter().map(|l| view! {
                            <li class="flex items-baseline justify-between gap-3 py-2" data-testid="low-stock">
                                <a href=format!("/admin/inventory/{}", l.variant_id) class="min-w-0 font-semibold text-teal-800 underline-offset-4 hover:underline">
                                    {l.product_name.clone()}
                                    {(!l.options.is_empty()).then(|| view! { <span class="font-normal text-stone-600">{format!(" · {}", l.options)}</span> })}
                                </a>
                                <span class="flex shrink-0 items-center gap-2 whitespace-nowrap tabular-nums">{format!("{} on hand", l.on_hand)}<StockBadge state=l.state() /></span>
                            </li>
                        }).collect_view()}
                    </ul>
                    {more.then(|| view! { <a href=LevelQuery { show: Show::NeedsStock, ..LevelQuery::default() }.href() class="mt-2 inline-block text-sm font-semibold text-teal-800 underline-offset-4 hover:underline">"All low or sold out"</a> })}
                }.into_any()
            }}
        </section>
    }
}
