//! The dashboard: how the shop did over a period (today, 7, 30 or 90 days, in UTC days)
//! against the period before it, day by day; what sold best; what runs low; what waits
//! for staff. The figures are kept per day by the changes that make them (the
//! `daily_*` tables, written by triggers in the same transaction as a payment, a refund
//! or a new cart), so a view sums at most 180 rows however many orders the shop has.
//!
//! Revenue is what orders paid on the day their payment succeeded (shipping and tax
//! included); refunds count on the day they settled; an order counts on the day it was
//! paid; carts on the day they were started.

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
            Period::Today => "Today",
            Period::Week => "7 days",
            Period::Month => "30 days",
            Period::Quarter => "90 days",
        }
    }

    /// What its figures are compared with, as a sentence ends: "than yesterday".
    pub fn previous(self) -> &'static str {
        match self {
            Period::Today => "yesterday",
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

    /// Orders per hundred carts started; none without carts.
    pub fn conversion(&self) -> Option<Decimal> {
        (self.carts > 0).then(|| {
            (Decimal::from(self.orders) * Decimal::ONE_HUNDRED / Decimal::from(self.carts))
                .round_dp(1)
        })
    }
}

/// How a figure moved against the previous period, in words: "+12.5 %", "−3 %", "same",
/// or "new" (nothing before to compare with); none when both are nothing.
pub fn change(now: Decimal, before: Decimal) -> Option<String> {
    if before.is_zero() {
        return (!now.is_zero()).then(|| "new".to_owned());
    }
    let percent = ((now - before) * Decimal::ONE_HUNDRED / before.abs()).round_dp(1);
    Some(if percent.is_zero() {
        "same".to_owned()
    } else if percent.is_sign_positive() {
        format!("+{} %", percent.normalize())
    } else {
        format!("−{} %", percent.abs().normalize())
    })
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
pub struct TopProduct {
    pub product_id: i64,
    /// None when the product was deleted since.
    pub name: Option<String>,
    pub units: i64,
    /// Its lines' value, before order discounts.
    pub revenue: Money,
}

/// What waits for staff now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// Orders paid but not (or not wholly) shipped.
    pub to_ship: i64,
    /// Returns asked for, not yet answered.
    pub return_requests: i64,
    /// Mail the outbox could not send (it keeps trying).
    pub mail_failing: i64,
}

/// The dashboard whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub period: Period,
    /// The period's first and last day, `YYYY-MM-DD` (UTC).
    pub first_day: String,
    pub last_day: String,
    pub now: Figures,
    pub before: Figures,
    /// Each day of the period, oldest first.
    pub days: Vec<DayFigures>,
    /// Best sellers by revenue, at most five.
    pub top: Vec<TopProduct>,
    /// Variants low or sold out, lowest first (at most five), and whether there are more;
    /// none for staff who may not see stock.
    pub low_stock: Option<Vec<crate::inventory::Level>>,
    pub more_low_stock: bool,
    /// Shown only to staff who may act on it (`None` otherwise).
    pub to_ship: Option<i64>,
    pub return_requests: Option<i64>,
    pub mail_failing: i64,
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::{Permission, Staff};
    use crate::inventory::{LevelQuery, Show};
    use crate::{Currency, Error};
    use sqlx::PgPool;

    /// The dashboard for `period`, in the shop's `currency`. Any staff member may see
    /// the figures; what waits for action is counted for those who may act on it.
    pub async fn load(
        pool: &PgPool,
        staff: &Staff,
        period: Period,
        currency: Currency,
    ) -> Result<Dashboard, Error> {
        let mut conn = pool.acquire().await?;
        let days = period.days();
        let code = currency.code();
        let totals = sqlx::query!(
            r#"WITH bounds AS (
                   SELECT (now() AT TIME ZONE 'UTC')::date AS today,
                          (now() AT TIME ZONE 'UTC')::date - ($1::int - 1) AS first)
               SELECT to_char(b.first, 'YYYY-MM-DD') AS "first_day!",
                      to_char(b.today, 'YYYY-MM-DD') AS "last_day!",
                      coalesce(sum(s.orders) FILTER (WHERE s.day >= b.first), 0)::bigint
                          AS "orders!",
                      coalesce(sum(s.revenue) FILTER (WHERE s.day >= b.first), 0) AS "revenue!",
                      coalesce(sum(s.refunds) FILTER (WHERE s.day >= b.first), 0) AS "refunds!",
                      coalesce(sum(s.orders) FILTER (WHERE s.day < b.first), 0)::bigint
                          AS "orders_before!",
                      coalesce(sum(s.revenue) FILTER (WHERE s.day < b.first), 0)
                          AS "revenue_before!",
                      coalesce(sum(s.refunds) FILTER (WHERE s.day < b.first), 0)
                          AS "refunds_before!",
                      (SELECT coalesce(sum(c.carts) FILTER (WHERE c.day >= b.first), 0)
                       FROM daily_carts c WHERE c.day >= b.first - $1::int)::bigint AS "carts!",
                      (SELECT coalesce(sum(c.carts) FILTER (WHERE c.day < b.first), 0)
                       FROM daily_carts c WHERE c.day >= b.first - $1::int)::bigint
                          AS "carts_before!"
               FROM bounds b
               LEFT JOIN daily_sales s
                      ON s.currency = $2 AND s.day >= b.first - $1::int AND s.day <= b.today
               GROUP BY b.first, b.today"#,
            days,
            code,
        )
        .fetch_one(&mut *conn)
        .await?;
        let money = |amount: Decimal| Money::new(amount, currency);
        let series = sqlx::query!(
            r#"SELECT to_char(g.day, 'YYYY-MM-DD') AS "day!",
                      coalesce(s.orders, 0)::bigint AS "orders!",
                      coalesce(s.revenue, 0) AS "revenue!"
               FROM (SELECT generate_series((now() AT TIME ZONE 'UTC')::date - ($1::int - 1),
                                            (now() AT TIME ZONE 'UTC')::date,
                                            interval '1 day')::date AS day) AS g
               LEFT JOIN daily_sales s ON s.day = g.day AND s.currency = $2
               ORDER BY g.day"#,
            days,
            code,
        )
        .fetch_all(&mut *conn)
        .await?;
        let top = sqlx::query!(
            r#"SELECT s.product_id, p.name AS "name?", sum(s.units)::bigint AS "units!",
                      sum(s.revenue) AS "revenue!"
               FROM daily_product_sales s
               LEFT JOIN products p ON p.id = s.product_id
               WHERE s.currency = $2
                 AND s.day >= (now() AT TIME ZONE 'UTC')::date - ($1::int - 1)
               GROUP BY s.product_id, p.name
               ORDER BY 4 DESC, 1 LIMIT 5"#,
            days,
            code,
        )
        .fetch_all(&mut *conn)
        .await?;
        let waiting = sqlx::query!(
            r#"SELECT (SELECT count(*) FROM orders WHERE status = 'paid') AS "to_ship!",
                      (SELECT count(*) FROM returns WHERE state = 'requested')
                          AS "return_requests!",
                      (SELECT count(*) FROM outbox
                       WHERE sent_at IS NULL AND last_error IS NOT NULL) AS "mail_failing!""#
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
        Ok(Dashboard {
            period,
            first_day: totals.first_day,
            last_day: totals.last_day,
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
            top: top
                .into_iter()
                .map(|t| TopProduct {
                    product_id: t.product_id,
                    name: t.name,
                    units: t.units,
                    revenue: money(t.revenue),
                })
                .collect(),
            low_stock,
            more_low_stock,
            to_ship: staff.may(Permission::Orders).then_some(waiting.to_ship),
            return_requests: staff
                .may(Permission::Orders)
                .then_some(waiting.return_requests),
            mail_failing: waiting.mail_failing,
        })
    }

    /// Low-stock variants the dashboard names.
    const LOW_STOCK_SHOWN: usize = 5;
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
        assert_eq!(change(d("150"), d("100")).as_deref(), Some("+50 %"));
        assert_eq!(change(d("75"), d("100")).as_deref(), Some("−25 %"));
        assert_eq!(change(d("1"), d("3")).as_deref(), Some("−66.7 %"));
        assert_eq!(change(d("100"), d("100")).as_deref(), Some("same"));
        assert_eq!(change(d("5"), d("0")).as_deref(), Some("new"));
        assert_eq!(change(d("0"), d("0")), None);
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
        assert_eq!(figures.conversion(), Some("37.5".parse().expect("n")));
        let none = Figures {
            orders: 0,
            carts: 0,
            ..figures
        };
        assert_eq!(none.average(), None);
        assert_eq!(none.conversion(), None);
        assert_eq!(Period::parse("90d"), Some(Period::Quarter));
        assert_eq!(Period::default().days(), 7);
    }
}
