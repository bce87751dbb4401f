//! Orders as their pages show them.

use super::{OrderEvent, OrderLine, OrderNumber, OrderStatus, OrderSummary, OrderView};
use crate::accounts::address::Address;
use crate::checkout::totals::Totals;
use crate::{Currency, Error, Money};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

/// What orders are grouped by when their takings are summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakenBy {
    /// The account that placed them.
    Customer,
    /// The coupon they used.
    Coupon,
}

/// What the orders of each of `keys` (accounts or coupons) brought in: their payments
/// that went through, less what was refunded or is on its way back; per currency.
/// The one definition of a customer's spend and a coupon's takings.
pub async fn taken(
    conn: &mut PgConnection,
    by: TakenBy,
    keys: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Money>>, Error> {
    // A column of our choosing, never input: the rest is bound.
    let column = match by {
        TakenBy::Customer => "user_id",
        TakenBy::Coupon => "coupon_id",
    };
    let rows: Vec<(i64, String, Decimal)> = sqlx::query_as(&format!(
        "SELECT o.{column}, p.currency, sum(p.amount - p.refunded)
         FROM orders o JOIN payments p ON p.order_id = o.id
         WHERE o.{column} = ANY($1) AND p.status = 'succeeded'
         GROUP BY o.{column}, p.currency ORDER BY p.currency"
    ))
    .bind(keys)
    .fetch_all(&mut *conn)
    .await?;
    Ok(crate::money::per_key(rows))
}

/// Who is asking to see an order.
#[derive(Debug, Clone, Copy)]
pub enum Viewer<'a> {
    /// A signed-in account: its own orders only.
    User(i64),
    /// Whoever holds the order's key (the link in the confirmation mail).
    Key(&'a str),
    /// A staff member with the orders permission: any order.
    Staff(&'a crate::admin::Staff),
}

struct OrderRow {
    id: i64,
    number: i64,
    status: OrderStatus,
    user_id: Option<i64>,
    email: String,
    currency: Currency,
    subtotal: Decimal,
    discount: Decimal,
    shipping: Decimal,
    tax: Decimal,
    tax_included: bool,
    total: Decimal,
    coupon_code: Option<String>,
    shipping_method: String,
    shipping_address: serde_json::Value,
    placed_label: String,
    access_key: String,
}

/// The order `number`, if `viewer` may see it; "not found" otherwise (never "forbidden":
/// that would say the number exists). Its customer is also told what they may return
/// now ([`OrderView::return_offer`]: only the order page asks that).
pub async fn order(pool: &PgPool, number: i64, viewer: Viewer<'_>) -> Result<OrderView, Error> {
    let mut conn = pool.acquire().await?;
    let mut view = order_on_conn(&mut conn, number, viewer).await?;
    if !matches!(viewer, Viewer::Staff(_)) {
        view.return_offer = Some(super::returns::offer(&mut conn, view.id).await?);
    }
    Ok(view)
}

/// [`order`] on a connection the caller holds (inside its transaction).
pub async fn order_on_conn(
    conn: &mut PgConnection,
    number: i64,
    viewer: Viewer<'_>,
) -> Result<OrderView, Error> {
    if let Viewer::Staff(staff) = viewer {
        staff.require(crate::admin::Permission::Orders)?;
    }
    let row = sqlx::query_as!(
        OrderRow,
        r#"SELECT id, number, status AS "status: OrderStatus", user_id, email,
                  currency AS "currency: Currency", subtotal, discount, shipping, tax,
                  tax_included, total, coupon_code, shipping_method, shipping_address,
                  to_char(placed_at AT TIME ZONE 'UTC', 'FMDD FMMonth YYYY, HH24:MI "UTC"')
                      AS "placed_label!",
                  access_key
           FROM orders WHERE number = $1"#,
        number,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    if !allows(viewer, row.user_id, &row.access_key) {
        return Err(Error::NotFound);
    }
    view(conn, row, matches!(viewer, Viewer::Staff(_))).await
}

/// Whether `viewer` may see an order of account `user_id` (if any) whose key is
/// `access_key`. Staff's permission is checked before the order is read.
pub(crate) fn allows(viewer: Viewer<'_>, user_id: Option<i64>, access_key: &str) -> bool {
    match viewer {
        Viewer::User(user) => user_id == Some(user),
        Viewer::Key(key) => constant_time_eq(key.as_bytes(), access_key.as_bytes()),
        Viewer::Staff(_) => true,
    }
}

/// Compares without stopping at the first difference, so timing says nothing about how
/// much of a guessed key was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The order as its viewer sees it: staff see every refund and return whole, customers
/// only the money back ([`super::refund::Refund::for_customer`]) and what they may
/// return.
async fn view(conn: &mut PgConnection, row: OrderRow, staff: bool) -> Result<OrderView, Error> {
    let m = |d: Decimal| Money::new(d, row.currency);
    let lines = sqlx::query!(
        "SELECT name, sku, unit_price, quantity, line_total FROM order_lines
         WHERE order_id = $1 ORDER BY id",
        row.id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let events = sqlx::query_as!(
        OrderEvent,
        r#"SELECT to_status AS "status: OrderStatus", note,
                  to_char(at AT TIME ZONE 'UTC', 'FMDD FMMonth YYYY, HH24:MI "UTC"') AS "at!"
           FROM order_events WHERE order_id = $1 ORDER BY id"#,
        row.id,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(OrderView {
        id: row.id,
        number: OrderNumber(row.number),
        status: row.status,
        email: row.email,
        placed: row.placed_label,
        lines: lines
            .into_iter()
            .map(|line| OrderLine {
                name: line.name,
                sku: line.sku,
                unit_price: m(line.unit_price),
                quantity: u32::try_from(line.quantity).unwrap_or(0),
                line_total: m(line.line_total),
            })
            .collect(),
        totals: Totals {
            subtotal: m(row.subtotal),
            discount: m(row.discount),
            shipping: m(row.shipping),
            tax: m(row.tax),
            tax_included: row.tax_included,
            total: m(row.total),
        },
        coupon_code: row.coupon_code,
        shipping_method: row.shipping_method,
        shipping_address: serde_json::from_value::<Address>(row.shipping_address).ok(),
        events,
        shipments: super::fulfil::shipments(conn, row.id).await?,
        refunds: super::refund::refunds(conn, row.id)
            .await?
            .into_iter()
            .filter_map(|r| if staff { Some(r) } else { r.for_customer() })
            .collect(),
        returns: super::returns::returns(conn, row.id)
            .await?
            .into_iter()
            .map(|r| if staff { r } else { r.for_customer() })
            .collect(),
        return_offer: None,
        access_key: row.access_key,
    })
}

/// Whether a placed order can still be paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// It waits for payment; `attempts` were made before (for the next one's reference).
    Open { attempts: i64 },
    /// Paid already (or further along): a repeated submit, nothing to charge.
    Paid,
    /// Cancelled while unpaid (not paid in time, replaced by a newer checkout, or by
    /// the shop): it cannot be paid any more.
    Cancelled,
}

/// Where `order_id` stands for paying, in one query.
pub async fn due(pool: &PgPool, order_id: i64) -> Result<Due, Error> {
    let order = sqlx::query!(
        r#"SELECT status AS "status: OrderStatus",
                  (SELECT count(*) FROM payments WHERE order_id = $1) AS "attempts!"
           FROM orders WHERE id = $1"#,
        order_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(match order.status {
        OrderStatus::PendingPayment => Due::Open {
            attempts: order.attempts,
        },
        OrderStatus::Cancelled => Due::Cancelled,
        _ => Due::Paid,
    })
}

/// The account's orders, newest first.
pub async fn orders_of(pool: &PgPool, user: i64) -> Result<Vec<OrderSummary>, Error> {
    let rows = sqlx::query!(
        r#"SELECT o.number, o.status AS "status: OrderStatus",
                  to_char(o.placed_at, 'FMDD FMMonth YYYY') AS "placed!", o.total,
                  o.currency AS "currency: Currency",
                  (SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE order_id = o.id)
                      AS "items!"
           FROM orders o WHERE o.user_id = $1 ORDER BY o.placed_at DESC, o.id DESC LIMIT 200"#,
        user,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| OrderSummary {
            number: OrderNumber(row.number),
            status: row.status,
            placed: row.placed,
            total: Money::new(row.total, row.currency),
            items: u32::try_from(row.items).unwrap_or(0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn keys_match_only_when_equal() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }
}
