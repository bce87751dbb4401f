//! Quoting a checkout (the review step) and placing the order, in one transaction.
//!
//! Placing re-prices the cart from the database, checks the coupon's limits with its row
//! locked, takes the stock with conditional updates, counts the redemption, and writes
//! the order, its lines and its first event. The cart is emptied when the order is
//! paid (`orders::lifecycle`), so a declined card loses nothing. If the total differs from the one the
//! shopper reviewed, or a unit is missing, nothing is written and the error says what
//! changed. The checkout token makes placing idempotent: a second submit gets the order
//! the first one placed.

use super::session::Reviewed;
use super::shipping;
use super::totals::{Totals, TotalsInput};
use super::{CheckoutError, Quote, QuoteLine, Shortage};
use crate::accounts::address::Address;
use crate::accounts::Email;
use crate::cart::coupon::AppliedCoupon;
use crate::cart::coupons::{self, Customer, Lookup};
use crate::catalog::ProductStatus;
use crate::db::constraint::OnConstraint;
use crate::inventory::MovementReason;
use crate::limits::client::ClientKey;
use crate::limits::{Limit, Shape, HOUR};
use crate::orders::{OrderNumber, OrderStatus};
use crate::payments::PaymentError;
use crate::{Currency, Error, Money};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

/// Everything a checkout has gathered, by the time it is quoted or placed.
#[derive(Debug, Clone)]
pub struct Checkout<'a> {
    /// Unique per checkout (kept in the shopper's session).
    pub token: &'a str,
    pub cart: i64,
    pub user: Option<i64>,
    pub email: &'a Email,
    pub shipping_address: &'a Address,
    pub billing_address: &'a Address,
    pub shipping_rate: i64,
    pub currency: Currency,
    /// Who is placing it, for [`PLACE`].
    pub client: ClientKey,
}

/// New orders placed from one client. Each unpaid order holds its stock until it
/// expires, so a script placing orders from fresh carts could hold a shop's whole stock;
/// this keeps one client to a burst of twenty and thirty an hour after it (an office
/// behind one address included). A retry of an order already placed is not counted.
pub const PLACE: Limit = Limit {
    name: "place-order",
    shape: Shape::Bucket {
        burst: 20.0,
        per_sec: 30.0 / HOUR,
    },
};

/// An order that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub id: i64,
    pub number: OrderNumber,
    pub total: Money,
    /// For the link to the order (a guest's way back to it).
    pub access_key: String,
    /// True when this token had placed the order already (a double submit or a retry).
    pub already_placed: bool,
}

impl Placed {
    /// The order as a payment provider needs it.
    pub fn payable(&self) -> crate::orders::Payable {
        crate::orders::Payable {
            order_id: self.id,
            number: self.number.0,
            amount: self.total,
        }
    }
}

/// The cart priced for this checkout: the review step shows it, placing charges it.
/// Re-checks the cart first (stock, prices, availability), like the cart page does.
pub async fn quote(pool: &PgPool, checkout: &Checkout<'_>) -> Result<Quote, Error> {
    let view = crate::cart::store::view(pool, Some(checkout.cart), checkout.currency).await?;
    if let Some(notice) = view.notices.first() {
        return Err(CheckoutError::CartChanged(notice.clone()).into());
    }
    let mut conn = pool.acquire().await?;
    price(&mut conn, checkout).await
}

/// Places the order, if it still comes to what the shopper `reviewed`. The order this
/// checkout's token placed before, if any, is the answer (a repeated submit); if that
/// order was cancelled meanwhile, [`PaymentError::OrderCancelled`].
pub async fn place(
    pool: &PgPool,
    checkout: &Checkout<'_>,
    reviewed: &Reviewed,
) -> Result<Placed, Error> {
    if !(16..=100).contains(&checkout.token.len()) {
        return Err(CheckoutError::Expired.into());
    }
    let mut tx = pool.begin().await?;
    // Submits with the same token wait for each other here; the second finds the order.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 7270002))",
        checkout.token,
    )
    .execute(&mut *tx)
    .await?;
    if let Some((placed, status)) = find(&mut tx, checkout.token).await? {
        if status == OrderStatus::Cancelled {
            return Err(PaymentError::OrderCancelled.into());
        }
        return Ok(placed);
    }
    PLACE
        .take(&mut *tx, checkout.client.as_str())
        .await?
        .map_err(Error::wait)?;
    sqlx::query_scalar!(
        "SELECT id FROM carts WHERE id = $1 FOR UPDATE",
        checkout.cart
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(empty_cart)?;
    // The cart's coupon is locked before the cart is priced: a staff change to it (an
    // edit, a pause, a deletion) waits for this order, or this order prices what the
    // change left.
    sqlx::query!(
        "SELECT c.id FROM carts JOIN coupons c ON c.id = carts.coupon_id
         WHERE carts.id = $1 FOR UPDATE OF c",
        checkout.cart
    )
    .fetch_optional(&mut *tx)
    .await?;
    // One checkout per cart waits for payment: an earlier unpaid order of this cart
    // (the shopper came back and changed something) gives its stock back first.
    let earlier = sqlx::query_scalar!(
        "SELECT id FROM orders WHERE cart_id = $1 AND status = $2 FOR UPDATE",
        checkout.cart,
        OrderStatus::PendingPayment as OrderStatus,
    )
    .fetch_all(&mut *tx)
    .await?;
    for id in earlier {
        crate::orders::lifecycle::cancel_unpaid(
            &mut tx,
            id,
            "Replaced by a new checkout",
            crate::orders::transition::By::Shop,
        )
        .await?;
    }
    let quote = price(&mut tx, checkout).await?;
    if quote.totals.total != reviewed.total {
        return Err(CheckoutError::TotalChanged {
            reviewed: reviewed.total,
            now: quote.totals.total,
        }
        .into());
    }
    if quote.digest() != reviewed.digest {
        return Err(CheckoutError::QuoteChanged.into());
    }
    let stock_taken = take_stock(&mut tx, &quote.lines).await?;
    let coupon_id = match &quote.coupon {
        Some(applied) => Some(lock_and_recheck_coupon(&mut tx, checkout, applied, &quote).await?),
        None => None,
    };
    let placed = insert_order(&mut tx, checkout, &quote, &stock_taken, coupon_id).await?;
    if let Some(coupon) = coupon_id {
        sqlx::query!(
            "INSERT INTO coupon_redemptions (coupon_id, order_id, user_id, email)
             VALUES ($1, $2, $3, $4)",
            coupon,
            placed.id,
            checkout.user,
            checkout.email.as_str(),
        )
        .execute(&mut *tx)
        .await?;
    }
    // The cart stays as it is until the order is paid: a declined card loses nothing.
    tx.commit().await?;
    tracing::info!(order = placed.number.0, total = %placed.total.format(), "order placed");
    Ok(placed)
}

fn empty_cart() -> Error {
    CheckoutError::EmptyCart.into()
}

/// The order this token placed, if any.
async fn find(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<(Placed, OrderStatus)>, Error> {
    let row = sqlx::query!(
        r#"SELECT id, number, total, currency AS "currency: Currency", access_key,
                  status AS "status: OrderStatus"
           FROM orders WHERE checkout_token = $1"#,
        token,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|row| {
        let placed = Placed {
            id: row.id,
            number: OrderNumber(row.number),
            total: Money::new(row.total, row.currency),
            access_key: row.access_key,
            already_placed: true,
        };
        (placed, row.status)
    }))
}

/// Prices the cart for `checkout` from the database: lines at today's prices, the
/// coupon, the chosen shipping to the destination, and its tax.
async fn price(conn: &mut PgConnection, checkout: &Checkout<'_>) -> Result<Quote, Error> {
    // A line whose variant was deleted, or whose product is no longer active, has no
    // price: it cannot be ordered.
    let rows = sqlx::query!(
        r#"SELECT l.variant_id, v.sku AS "sku?", l.name,
                  CASE WHEN p.id IS NOT NULL THEN v.price END AS price, l.quantity
           FROM cart_lines l
           LEFT JOIN variants v ON v.id = l.variant_id
           LEFT JOIN products p ON p.id = v.product_id AND p.status = $2
           WHERE l.cart_id = $1
           ORDER BY l.variant_id"#,
        checkout.cart,
        ProductStatus::Active as ProductStatus,
    )
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Err(empty_cart());
    }
    let currency = checkout.currency;
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(variant_id), Some(sku), Some(price)) = (row.variant_id, row.sku, row.price)
        else {
            return Err(CheckoutError::NoLongerSold { name: row.name }.into());
        };
        let unit_price = Money::new(price, currency);
        let quantity = u32::try_from(row.quantity).unwrap_or(1);
        lines.push(QuoteLine {
            variant_id,
            sku,
            name: row.name,
            unit_price,
            quantity,
            line_total: unit_price.times(quantity).map_err(money)?,
        });
    }
    let subtotal = lines
        .iter()
        .try_fold(Money::zero(currency), |sum, l| {
            sum.checked_add(l.line_total)
        })
        .map_err(money)?;
    let coupon = cart_coupon(conn, checkout, subtotal).await?;
    let destination = checkout.shipping_address;
    let shipping =
        shipping::choose(conn, checkout.shipping_rate, &destination.country, currency).await?;
    let tax = shipping::tax_rate(conn, &destination.country, &destination.region).await?;
    let totals = Totals::compute(TotalsInput {
        subtotal,
        discount: coupon
            .as_ref()
            .map(|c| c.discount)
            .unwrap_or(Money::zero(currency)),
        shipping: Some(shipping.charge()),
        free_shipping: coupon.as_ref().is_some_and(|c| c.free_shipping),
        tax_rate: tax.as_ref().map_or(Decimal::ZERO, |t| t.rate),
        // The shop's setting as this quote is priced: a change reaches checkouts
        // priced after it (a reviewed one whose total it moves is reviewed again).
        prices_include_tax: shipping::prices_include_tax(conn).await?,
    });
    Ok(Quote {
        lines,
        coupon,
        shipping,
        tax_name: tax.map(|t| t.name),
        totals,
    })
}

fn money(e: crate::money::MoneyError) -> Error {
    Error::internal(format!("the order's amounts are out of range: {e}"))
}

/// The cart's coupon, applied to `subtotal` for this customer; a coupon that no longer
/// applies refuses the checkout with its reason (the shopper can remove it).
async fn cart_coupon(
    conn: &mut PgConnection,
    checkout: &Checkout<'_>,
    subtotal: Money,
) -> Result<Option<AppliedCoupon>, Error> {
    let id = sqlx::query_scalar!("SELECT coupon_id FROM carts WHERE id = $1", checkout.cart)
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
    let Some(id) = id else { return Ok(None) };
    let customer = Customer {
        user: checkout.user,
    };
    let Some(found) = coupons::load(conn, Lookup::Id(id), customer, checkout.currency).await?
    else {
        return Ok(None);
    };
    found
        .coupon
        .apply(subtotal, found.now, found.usage)
        .map(Some)
        .map_err(|e| CheckoutError::Coupon(e).into())
}

/// Locks the coupon's row, so concurrent checkouts count its uses one at a time, and
/// checks its limits again with every earlier redemption visible. Returns its id.
async fn lock_and_recheck_coupon(
    conn: &mut PgConnection,
    checkout: &Checkout<'_>,
    applied: &AppliedCoupon,
    quote: &Quote,
) -> Result<i64, Error> {
    // The cart's own coupon (the cart is locked): a code may have been deleted and
    // given to a new coupon since the quote, and that one is not the one quoted.
    let id = sqlx::query_scalar!(
        "SELECT c.id FROM carts JOIN coupons c ON c.id = carts.coupon_id
         WHERE carts.id = $1 AND c.code = $2 FOR UPDATE OF c",
        checkout.cart,
        applied.code,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(CheckoutError::CouponGone)?;
    let customer = Customer {
        user: checkout.user,
    };
    let found = coupons::load(conn, Lookup::Id(id), customer, checkout.currency)
        .await?
        .ok_or(CheckoutError::CouponGone)?;
    found
        .coupon
        .apply(quote.totals.subtotal, found.now, found.usage)
        .map_err(CheckoutError::Coupon)?;
    Ok(id)
}

/// Takes every line's units from the stock, never below zero, where its variant's stock
/// is tracked (a variant that is not tracked is always available and gives nothing).
/// Lines go in variant order, so two checkouts never wait for each other in a circle.
/// Any line short of stock fails the whole order, with every shortage named. Returns,
/// line by line, whether its units were taken: the order keeps that, so a cancellation
/// gives back exactly what was taken whatever the variant says by then.
async fn take_stock(conn: &mut PgConnection, lines: &[QuoteLine]) -> Result<Vec<bool>, Error> {
    let mut short = Vec::new();
    let mut taken = Vec::with_capacity(lines.len());
    for line in lines {
        // One statement: whether the variant is tracked and whether its units were
        // taken are read together, so a staff change in between cannot split them.
        let row = sqlx::query!(
            r#"WITH v AS (SELECT track_stock FROM variants WHERE id = $1),
                    took AS (UPDATE inventory SET on_hand = on_hand - $2
                             WHERE variant_id = $1 AND on_hand >= $2
                               AND (SELECT track_stock FROM v)
                             RETURNING 1)
               SELECT (SELECT track_stock FROM v) AS "tracked?",
                      EXISTS (SELECT 1 FROM took) AS "took!""#,
            line.variant_id,
            line.quantity as i32,
        )
        .fetch_one(&mut *conn)
        .await?;
        if row.tracked != Some(false) && !row.took {
            let left = sqlx::query_scalar!(
                "SELECT on_hand FROM inventory WHERE variant_id = $1",
                line.variant_id,
            )
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(0);
            short.push(Shortage {
                name: line.name.clone(),
                left,
            });
        }
        taken.push(row.took);
    }
    if !short.is_empty() {
        return Err(CheckoutError::StockShort { short }.into());
    }
    let taken_lines = || {
        lines
            .iter()
            .zip(&taken)
            .filter(|(_, t)| **t)
            .map(|(l, _)| l)
    };
    sqlx::query!(
        "INSERT INTO inventory_movements (variant_id, delta, reason)
         SELECT v, -q, $3 FROM UNNEST($1::bigint[], $2::int[]) AS t(v, q)",
        &taken_lines().map(|l| l.variant_id).collect::<Vec<_>>(),
        &taken_lines().map(|l| l.quantity as i32).collect::<Vec<_>>(),
        MovementReason::Order as MovementReason,
    )
    .execute(&mut *conn)
    .await?;
    Ok(taken)
}

async fn insert_order(
    conn: &mut PgConnection,
    checkout: &Checkout<'_>,
    quote: &Quote,
    stock_taken: &[bool],
    coupon_id: Option<i64>,
) -> Result<Placed, Error> {
    let t = &quote.totals;
    let json = |a: &Address| serde_json::to_value(a).map_err(|e| Error::internal(e.to_string()));
    let order = sqlx::query!(
        "INSERT INTO orders (checkout_token, user_id, email, currency, subtotal, discount,
             shipping, tax, tax_included, total, coupon_id, coupon_code, shipping_rate_id,
             shipping_method, shipping_address, billing_address, cart_id, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18)
         RETURNING id, number, access_key",
        checkout.token,
        checkout.user,
        checkout.email.as_str(),
        checkout.currency as Currency,
        t.subtotal.amount(),
        t.discount.amount(),
        t.shipping.amount(),
        t.tax.amount(),
        t.tax_included,
        t.total.amount(),
        coupon_id,
        quote.coupon.as_ref().map(|c| c.code.as_str()),
        quote.shipping.id,
        quote.shipping.name,
        json(checkout.shipping_address)?,
        json(checkout.billing_address)?,
        checkout.cart,
        OrderStatus::PendingPayment as OrderStatus,
    )
    .fetch_one(&mut *conn)
    .await
    // Staff deleted the rate while this order was being placed.
    .on_constraint("orders_shipping_rate_id_fkey", || {
        CheckoutError::RateNotForCountry.into()
    })?;
    let lines = &quote.lines;
    sqlx::query!(
        "INSERT INTO order_lines (order_id, variant_id, sku, name, unit_price, quantity,
                                  line_total, stock_taken)
         SELECT $1, v, s, n, p, q, p * q, st
         FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::numeric[], $6::int[],
                     $7::bool[])
              AS t(v, s, n, p, q, st)",
        order.id,
        &lines.iter().map(|l| l.variant_id).collect::<Vec<_>>(),
        &lines.iter().map(|l| l.sku.clone()).collect::<Vec<_>>(),
        &lines.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
        &lines
            .iter()
            .map(|l| l.unit_price.amount())
            .collect::<Vec<_>>(),
        &lines.iter().map(|l| l.quantity as i32).collect::<Vec<_>>(),
        stock_taken,
    )
    .execute(&mut *conn)
    .await?;
    crate::orders::transition::placed(conn, order.id).await?;
    Ok(Placed {
        id: order.id,
        number: OrderNumber(order.number),
        total: t.total,
        access_key: order.access_key,
        already_placed: false,
    })
}
