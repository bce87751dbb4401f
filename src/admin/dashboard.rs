//! The dashboard: how the shop did over a period (today so far, the last 7, 30 or 90
//! days, in UTC days) against the period before it, day by day; what sold best; what
//! runs low; what waits for staff.
//!
//! The figures are kept per day by the changes that make them, not counted from orders
//! per view: triggers in the same transaction as a payment, an order's move to paid, a
//! refund settling or a new cart add to `daily_sales`, `daily_product_sales` and
//! `daily_carts` (migration 20261212000001). Why in the transaction rather than by the
//! worker: the figures are never behind (a refund shows the moment it settles), nothing
//! can be counted twice or lost between a change and a worker's pass, and the generator's
//! bulk inserts are counted by the same code (statement-level triggers, one upsert per
//! statement). The cost: a day's row is locked by each payment and each new cart until
//! its short transaction ends. A view then reads at most 180 days' rows of `daily_sales`
//! and the period's rows of `daily_product_sales` (about 2,000 a day on the 1M-order
//! bench), whatever the shop's size.
//!
//! Revenue is what payments took (shipping and tax included; refunds are their own
//! figure), on the day they were recorded; an order counts on the day it moved to paid;
//! refunds on the day they settled; carts on the day they were started. Best sellers
//! are ranked by their lines' value before order discounts.

use crate::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

crate::text_enum! {
    /// How far back the dashboard looks.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
    pub enum Period {
        Today = "today",
        #[default]
        Week = "7d",
        Month = "30d",
        Quarter = "90d",
    }
}

impl Period {
    /// Days it covers, today included.
    pub fn days(self) -> i32 {
        match self {
            Period::Today => 1,
            Period::Week => 7,
            Period::Month => 30,
            Period::Quarter => 90,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Today => "Today so far",
            Period::Week => "7 days",
            Period::Month => "30 days",
            Period::Quarter => "90 days",
        }
    }

    /// What its figures are compared with: "all of yesterday", "the 7 days before".
    /// (Today so far is compared with the whole of yesterday: the figures are kept by
    /// day, not by hour.)
    pub fn previous(self) -> &'static str {
        match self {
            Period::Today => "all of yesterday",
            Period::Week => "the 7 days before",
            Period::Month => "the 30 days before",
            Period::Quarter => "the 90 days before",
        }
    }
}

/// A period's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// What paid orders paid.
    pub revenue: Money,
    /// Orders paid.
    pub orders: i64,
    /// Refunds settled.
    pub refunds: Money,
    /// Carts started.
    pub carts: i64,
}

impl Figures {
    /// Revenue per order; none without orders.
    pub fn average(&self) -> Option<Money> {
        (self.orders > 0).then(|| {
            Money::new(
                self.revenue.amount() / Decimal::from(self.orders),
                self.revenue.currency(),
            )
        })
    }

    /// Orders per hundred carts started; none without carts. (A signed-in customer's
    /// cart lives on after an order, so repeat orders can take it past 100.)
    pub fn orders_per_100_carts(&self) -> Option<Decimal> {
        (self.carts > 0).then(|| {
            (Decimal::from(self.orders) * Decimal::ONE_HUNDRED / Decimal::from(self.carts))
                .round_dp(1)
        })
    }
}

/// How a figure moved against the previous period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// By this percentage of what it was (or, for a ratio, by these points).
    Up(Decimal),
    Down(Decimal),
    Same,
    /// Something now, nothing before.
    New,
    /// Nothing now, nothing before.
    Nothing,
    /// One side has no such figure (an average without orders).
    NotComparable,
}

impl Change {
    /// The relative change of an amount or a count.
    pub fn of(now: Decimal, before: Decimal) -> Change {
        if before.is_zero() {
            return if now.is_zero() {
                Change::Nothing
            } else {
                Change::New
            };
        }
        Change::signed(((now - before) * Decimal::ONE_HUNDRED / before.abs()).round_dp(1))
    }

    /// The change of a figure that may be missing on either side.
    pub fn of_optional(now: Option<Decimal>, before: Option<Decimal>) -> Change {
        match (now, before) {
            (Some(now), Some(before)) => Change::of(now, before),
            (None, None) => Change::Nothing,
            _ => Change::NotComparable,
        }
    }

    /// The change of a ratio, in its own points (37.5 to 40 is up 2.5).
    pub fn in_points(now: Option<Decimal>, before: Option<Decimal>) -> Change {
        match (now, before) {
            (Some(now), Some(before)) => Change::signed((now - before).round_dp(1)),
            (None, None) => Change::Nothing,
            _ => Change::NotComparable,
        }
    }

    fn signed(by: Decimal) -> Change {
        if by.is_zero() {
            Change::Same
        } else if by.is_sign_positive() {
            Change::Up(by.normalize())
        } else {
            Change::Down(by.abs().normalize())
        }
    }

    /// In words, against `previous` ("yesterday"); `unit` is "%" or "points".
    pub fn describe(self, previous: &str, unit: &str) -> String {
        match self {
            Change::Up(by) => format!("Up {by} {unit} on {previous}"),
            Change::Down(by) => format!("Down {by} {unit} on {previous}"),
            Change::Same => format!("Same as {previous}"),
            Change::New => format!("None {previous}"),
            Change::Nothing => format!("None {previous} either"),
            Change::NotComparable => format!("No figure for {previous}"),
        }
    }
}

/// One day of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub orders: i64,
    pub revenue: Money,
}

/// A product among the period's best sellers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BestSeller {
    pub product_id: i64,
    /// None when the product was deleted since.
    pub name: Option<String>,
    pub units: i64,
    /// Its lines' value, before order discounts.
    pub line_sales: Money,
}

/// What waits for staff now; `None` for what the staff member may not act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// Orders paid (partly refunded ones too) with items not yet shipped.
    pub to_ship: Option<i64>,
    /// Returns asked for, not yet answered.
    pub return_requests: Option<i64>,
    /// Mail the outbox has not managed to send: still retrying, and given up.
    pub mail_retrying: i64,
    pub mail_given_up: i64,
    /// How often the outbox tries a mail before it gives up.
    pub mail_attempts: i32,
}

/// A period's sales, for staff who may see money (the orders permission).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sales {
    pub now: Figures,
    pub before: Figures,
    /// Each day of the period, oldest first.
    pub days: Vec<DayFigures>,
    /// Best sellers by their lines' value, at most five.
    pub best_sellers: Vec<BestSeller>,
}

/// The dashboard whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub period: Period,
    /// The period's first and last day, `YYYY-MM-DD` (UTC).
    pub first_day: String,
    pub last_day: String,
    /// None for staff without the orders permission.
    pub sales: Option<Sales>,
    /// Whether the reader may open products (the links go to the editor).
    pub may_open_products: bool,
    /// Variants low or sold out, lowest first (at most five), and whether there are more;
    /// none for staff who may not see stock.
    pub low_stock: Option<Vec<crate::inventory::Level>>,
    pub more_low_stock: bool,
    pub waiting: Waiting,
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::{Permission, Staff};
    use crate::inventory::{LevelQuery, Show};
    use crate::orders::{fulfil, FulfilmentState, OrderStatus};
    use crate::{Currency, Error};
    use sqlx::{PgConnection, PgPool};

    /// Low-stock variants the dashboard names.
    const LOW_STOCK_SHOWN: usize = 5;

    /// The dashboard for `period`, in the shop's `currency`. Any staff member may open
    /// it; sales need the orders permission, stock the inventory one, and what waits is
    /// counted for those who may act on it.
    pub async fn load(
        pool: &PgPool,
        staff: &Staff,
        period: Period,
        currency: Currency,
    ) -> Result<Dashboard, Error> {
        let mut conn = pool.acquire().await?;
        // One "today" for every figure of the view, even across midnight.
        let bounds = sqlx::query!(
            r#"SELECT to_char((now() AT TIME ZONE 'UTC')::date - ($1::int - 1), 'YYYY-MM-DD')
                          AS "first_day!",
                      to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "last_day!""#,
            period.days(),
        )
        .fetch_one(&mut *conn)
        .await?;
        let sales = if staff.may(Permission::Orders) {
            Some(sales(&mut conn, &bounds.last_day, period.days(), currency).await?)
        } else {
            None
        };
        let waiting = sqlx::query!(
            r#"SELECT (SELECT count(*) FROM orders
                       WHERE status = ANY($2) AND fulfilment_state = ANY($3)) AS "to_ship!",
                      (SELECT count(*) FROM returns WHERE state = 'requested')
                          AS "return_requests!",
                      (SELECT count(*) FROM outbox
                       WHERE sent_at IS NULL AND attempts > 0 AND attempts < $1)
                          AS "mail_retrying!",
                      (SELECT count(*) FROM outbox WHERE sent_at IS NULL AND attempts >= $1)
                          AS "mail_given_up!""#,
            crate::mail::MAX_ATTEMPTS,
            &fulfil::SHIPPABLE as &[OrderStatus],
            &fulfil::LEFT_TO_SHIP as &[FulfilmentState],
        )
        .fetch_one(&mut *conn)
        .await?;
        drop(conn);
        let (low_stock, more_low_stock) = if staff.may(Permission::Inventory) {
            let page = crate::inventory::store::levels(
                pool,
                &LevelQuery {
                    show: Show::NeedsStock,
                    q: String::new(),
                    after: None,
                },
            )
            .await?;
            let more = page.levels.len() > LOW_STOCK_SHOWN || page.next.is_some();
            let mut levels = page.levels;
            levels.truncate(LOW_STOCK_SHOWN);
            (Some(levels), more)
        } else {
            (None, false)
        };
        let orders = staff.may(Permission::Orders);
        Ok(Dashboard {
            period,
            first_day: bounds.first_day,
            last_day: bounds.last_day,
            sales,
            may_open_products: staff.may(Permission::Catalog),
            low_stock,
            more_low_stock,
            waiting: Waiting {
                to_ship: orders.then_some(waiting.to_ship),
                return_requests: orders.then_some(waiting.return_requests),
                mail_retrying: waiting.mail_retrying,
                mail_given_up: waiting.mail_given_up,
                mail_attempts: crate::mail::MAX_ATTEMPTS,
            },
        })
    }

    /// The `days` up to `today` (`YYYY-MM-DD`) and the `days` before them.
    async fn sales(
        conn: &mut PgConnection,
        today: &str,
        days: i32,
        currency: Currency,
    ) -> Result<Sales, Error> {
        let code = currency.code();
        let money = |amount: Decimal| Money::new(amount, currency);
        let totals = sqlx::query!(
            r#"WITH b AS (SELECT $3::text::date - ($1::int - 1) AS first)
               SELECT coalesce(sum(s.orders) FILTER (WHERE s.day >= b.first), 0)::bigint
                          AS "orders!",
                      coalesce(sum(s.revenue) FILTER (WHERE s.day >= b.first), 0) AS "revenue!",
                      coalesce(sum(s.refunds) FILTER (WHERE s.day >= b.first), 0) AS "refunds!",
                      coalesce(sum(s.orders) FILTER (WHERE s.day < b.first), 0)::bigint
                          AS "orders_before!",
                      coalesce(sum(s.revenue) FILTER (WHERE s.day < b.first), 0)
                          AS "revenue_before!",
                      coalesce(sum(s.refunds) FILTER (WHERE s.day < b.first), 0)
                          AS "refunds_before!",
                      (SELECT coalesce(sum(c.carts), 0) FROM daily_carts c
                       WHERE c.day >= b.first AND c.day <= $3::text::date)::bigint AS "carts!",
                      (SELECT coalesce(sum(c.carts), 0) FROM daily_carts c
                       WHERE c.day >= b.first - $1::int AND c.day < b.first)::bigint
                          AS "carts_before!"
               FROM b
               LEFT JOIN daily_sales s
                      ON s.currency = $2 AND s.day >= b.first - $1::int AND s.day <= $3::text::date
               GROUP BY b.first"#,
            days,
            code,
            today,
        )
        .fetch_one(&mut *conn)
        .await?;
        let series = sqlx::query!(
            r#"SELECT to_char(g.day, 'YYYY-MM-DD') AS "day!",
                      coalesce(sum(s.orders), 0)::bigint AS "orders!",
                      coalesce(sum(s.revenue), 0) AS "revenue!"
               FROM (SELECT generate_series($3::text::date - ($1::int - 1), $3::text::date,
                                            interval '1 day')::date AS day) AS g
               LEFT JOIN daily_sales s ON s.day = g.day AND s.currency = $2
               GROUP BY g.day ORDER BY g.day"#,
            days,
            code,
            today,
        )
        .fetch_all(&mut *conn)
        .await?;
        // Ranked by product first; only the five are then named.
        let best = sqlx::query!(
            r#"WITH ranked AS (
                   SELECT product_id, sum(units)::bigint AS units, sum(revenue) AS sales
                   FROM daily_product_sales
                   WHERE currency = $2 AND day >= $3::text::date - ($1::int - 1) AND day <= $3::text::date
                   GROUP BY product_id ORDER BY 3 DESC, 1 LIMIT 5)
               SELECT r.product_id AS "product_id!", p.name AS "name?", r.units AS "units!",
                      r.sales AS "sales!"
               FROM ranked r LEFT JOIN products p ON p.id = r.product_id
               ORDER BY r.sales DESC, r.product_id"#,
            days,
            code,
            today,
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok(Sales {
            now: Figures {
                revenue: money(totals.revenue),
                orders: totals.orders,
                refunds: money(totals.refunds),
                carts: totals.carts,
            },
            before: Figures {
                revenue: money(totals.revenue_before),
                orders: totals.orders_before,
                refunds: money(totals.refunds_before),
                carts: totals.carts_before,
            },
            days: series
                .into_iter()
                .map(|d| DayFigures {
                    day: d.day,
                    orders: d.orders,
                    revenue: money(d.revenue),
                })
                .collect(),
            best_sellers: best
                .into_iter()
                .map(|b| BestSeller {
                    product_id: b.product_id,
                    name: b.name,
                    units: b.units,
                    line_sales: money(b.sales),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn eur(s: &str) -> Money {
        Money::parse(s, Currency::EUR).expect("amount")
    }

    #[test]
    fn a_change_reads_as_a_signed_percentage_or_says_why_not() {
        let d = |s: &str| s.parse::<Decimal>().expect("number");
        let said = |c: Change| c.describe("yesterday", "%");
        assert_eq!(said(Change::of(d("150"), d("100"))), "Up 50 % on yesterday");
        assert_eq!(
            said(Change::of(d("75"), d("100"))),
            "Down 25 % on yesterday"
        );
        assert_eq!(said(Change::of(d("1"), d("3"))), "Down 66.7 % on yesterday");
        assert_eq!(said(Change::of(d("100"), d("100"))), "Same as yesterday");
        assert_eq!(said(Change::of(d("5"), d("0"))), "None yesterday");
        assert_eq!(said(Change::of(d("0"), d("0"))), "None yesterday either");
        // An average without orders on one side is not a fall to nothing.
        assert_eq!(
            Change::of_optional(Some(d("30")), None),
            Change::NotComparable
        );
        // A ratio moves in its own points.
        assert_eq!(
            Change::in_points(Some(d("40")), Some(d("37.5"))).describe("yesterday", "points"),
            "Up 2.5 points on yesterday"
        );
    }

    #[test]
    fn periods_are_read_from_the_address_with_a_default() {
        assert_eq!(Period::parse("90d"), Some(Period::Quarter));
        assert_eq!(Period::parse("forever"), None);
        assert_eq!(Period::default().days(), 7);
    }

    #[test]
    fn averages_and_conversion_need_something_to_divide_by() {
        let figures = Figures {
            revenue: eur("100.00"),
            orders: 3,
            refunds: eur("0"),
            carts: 8,
        };
        assert_eq!(figures.average(), Some(eur("33.33")));
        assert_eq!(
            figures.orders_per_100_carts(),
            Some("37.5".parse().expect("n"))
        );
        let none = Figures {
            orders: 0,
            carts: 0,
            ..figures
        };
        assert_eq!(none.average(), None);
        assert_eq!(none.orders_per_100_carts(), None);
    }
}
