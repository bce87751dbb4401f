//! Moving orders along their statuses, each move with its `order_events` row: payment
//! (recorded once, however often a provider reports it), and cancellation of orders left
//! unpaid (their stock and coupon use given back).

use super::transition::{transition, By};
use super::{mail, OrderStatus, PaymentState};
use crate::inventory::MovementReason;
use crate::{Currency, Error, Money};
use sqlx::{PgConnection, PgPool};

crate::text_enum! {
    /// How a recorded attempt to pay ended (`payments.status`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum PaymentStatus {
        Succeeded = "succeeded",
        Declined = "declined",
    }
}

/// What a payment provider says about an attempt to pay.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    /// The money is ours; `reference` is the provider's id for the payment.
    Succeeded { reference: String },
    /// The card was refused; the shopper may try another. `reason` is the provider's
    /// words for the shopper, when it gave any ("Your card has insufficient funds.").
    Declined {
        reference: String,
        reason: Option<String>,
    },
}

/// A provider's report about a payment for an order.
#[derive(Debug, Clone)]
pub struct PaymentReport<'a> {
    pub order_id: i64,
    pub provider: &'static str,
    pub amount: Money,
    pub outcome: Outcome,
    /// The provider's event id, when the report is an event (a webhook); a replay of
    /// the same event changes nothing.
    pub event_id: Option<&'a str>,
}

/// What recording a payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The order is now paid; its confirmation mail is queued.
    Paid,
    /// It was paid already (a second report of the same payment): nothing changed.
    AlreadyPaid,
    /// This event was handled before: nothing changed.
    DuplicateEvent,
    /// The card was refused; the order still waits for payment. `reason` is the
    /// provider's words, when it gave any.
    Declined { reason: Option<String> },
    /// Money arrived for an order cancelled meanwhile: recorded, and logged for a
    /// refund by staff.
    PaidAfterCancel,
}

/// Records a provider's report, once: the payment row, the move to paid with its event,
/// the cart emptied, and the confirmation mail queued, all in one transaction.
pub async fn record_payment(
    pool: &PgPool,
    report: &PaymentReport<'_>,
    public_url: &str,
) -> Result<Recorded, Error> {
    let mut tx = pool.begin().await?;
    if let Some(event) = report.event_id {
        let fresh = sqlx::query!(
            "INSERT INTO webhook_events (provider, event_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            report.provider,
            event,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if fresh == 0 {
            return Ok(Recorded::DuplicateEvent);
        }
    }
    lock_cart_of(&mut tx, report.order_id).await?;
    let order = sqlx::query!(
        r#"SELECT status AS "status: OrderStatus", total, currency AS "currency: Currency"
           FROM orders WHERE id = $1 FOR UPDATE"#,
        report.order_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    let (reference, payment_status, reason) = match &report.outcome {
        Outcome::Succeeded { reference } => (reference, PaymentStatus::Succeeded, None),
        Outcome::Declined { reference, reason } => {
            (reference, PaymentStatus::Declined, reason.clone())
        }
    };
    let expected = Money::new(order.total, order.currency);
    if payment_status == PaymentStatus::Succeeded && report.amount != expected {
        // A provider's fault or ours, never the shopper's: nothing is recorded, and
        // someone must look.
        return Err(Error::internal(format!(
            "order {}: {} paid {}, the order's total is {}",
            report.order_id,
            report.provider,
            report.amount.format(),
            expected.format()
        )));
    }
    // (The ON CONFLICT names the partial unique index by its predicate.)
    let inserted = sqlx::query!(
        "INSERT INTO payments (order_id, provider, reference, amount, currency, status, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (provider, reference) WHERE status = 'succeeded' DO NOTHING",
        report.order_id,
        report.provider,
        reference,
        report.amount.amount(),
        report.amount.currency() as Currency,
        payment_status as PaymentStatus,
        reason.as_deref().unwrap_or_default(),
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let recorded = match (payment_status, order.status) {
        (PaymentStatus::Declined, _) => Recorded::Declined { reason },
        _ if inserted == 0 => Recorded::AlreadyPaid,
        (_, OrderStatus::PendingPayment) => {
            transition(
                &mut tx,
                report.order_id,
                &[OrderStatus::PendingPayment],
                OrderStatus::Paid,
                "Payment received",
                By::Shop,
            )
            .await?;
            sqlx::query!(
                "DELETE FROM cart_lines WHERE cart_id = (SELECT cart_id FROM orders WHERE id = $1)",
                report.order_id,
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE carts SET coupon_id = NULL
                 WHERE id = (SELECT cart_id FROM orders WHERE id = $1)",
                report.order_id,
            )
            .execute(&mut *tx)
            .await?;
            mail::queue_confirmation(&mut tx, report.order_id, public_url).await?;
            Recorded::Paid
        }
        (_, OrderStatus::Cancelled) => {
            // The shop holds the money now: the order is paid (and cancelled) until
            // staff refund it.
            sqlx::query!(
                "UPDATE orders SET payment_state = $2, updated_at = now() WHERE id = $1",
                report.order_id,
                PaymentState::Paid as PaymentState,
            )
            .execute(&mut *tx)
            .await?;
            tracing::error!(order = report.order_id, reference = %reference,
                "payment received for a cancelled order: refund it");
            Recorded::PaidAfterCancel
        }
        _ => {
            // A second, different successful payment for one order: money taken twice.
            tracing::error!(order = report.order_id, reference = %reference,
                "a second payment for an order already paid: refund it");
            Recorded::AlreadyPaid
        }
    };
    tx.commit().await?;
    Ok(recorded)
}

/// Cancels an order still waiting for payment, in the caller's transaction: the stock
/// its lines took goes back with a movement per variant (a line of a variant whose
/// stock was not tracked took none), and its coupon use is released. An order that
/// is no longer unpaid (paid meanwhile, or cancelled by someone else) is refused and
/// nothing changes.
pub(crate) async fn cancel_unpaid(
    conn: &mut PgConnection,
    order_id: i64,
    note: &str,
    by: By<'_>,
) -> Result<(), Error> {
    transition(
        conn,
        order_id,
        &[OrderStatus::PendingPayment],
        OrderStatus::Cancelled,
        note,
        by,
    )
    .await?;
    // The lines' stock is back: they hold none any more (so a refund of money that
    // arrives later puts nothing back a second time).
    let units = sqlx::query!(
        r#"WITH given AS (
               UPDATE order_lines SET stock_taken = false
               WHERE order_id = $1 AND stock_taken AND variant_id IS NOT NULL
               RETURNING variant_id, quantity
           )
           SELECT variant_id AS "variant_id!", sum(quantity)::int AS "units!"
           FROM given GROUP BY variant_id"#,
        order_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let number = sqlx::query_scalar!("SELECT number FROM orders WHERE id = $1", order_id)
        .fetch_one(&mut *conn)
        .await?;
    let units: Vec<(i64, i32)> = units.into_iter().map(|u| (u.variant_id, u.units)).collect();
    let staff = match by {
        By::Staff { staff, .. } => Some(staff),
        By::Shop => None,
    };
    crate::inventory::store::put_back(
        conn,
        &units,
        MovementReason::Cancel,
        &format!("Order {number}"),
        staff,
    )
    .await?;
    release_coupon(conn, order_id).await
}

/// Gives back the coupon use of an order that will not happen after all.
pub(crate) async fn release_coupon(conn: &mut PgConnection, order_id: i64) -> Result<(), Error> {
    sqlx::query!(
        "DELETE FROM coupon_redemptions WHERE order_id = $1",
        order_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Locks the cart order `order_id` was placed from, in the caller's transaction: money
/// moves (a payment, a refund) lock the cart first, then the order, as placing an order
/// takes them; the other way round, two of them could deadlock.
pub(crate) async fn lock_cart_of(conn: &mut PgConnection, order_id: i64) -> Result<(), Error> {
    sqlx::query!(
        "SELECT c.id FROM carts c JOIN orders o ON o.cart_id = c.id
         WHERE o.id = $1 FOR UPDATE OF c",
        order_id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(())
}

/// Cancels orders still unpaid `minutes` after they were placed, returning their stock.
/// Several workers may run this at once: each order is taken by one.
pub async fn expire_unpaid(pool: &PgPool, minutes: i32) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let ids = sqlx::query_scalar!(
        "SELECT id FROM orders
         WHERE status = $2 AND placed_at < now() - make_interval(mins => $1)
         ORDER BY placed_at LIMIT 100
         FOR UPDATE SKIP LOCKED",
        minutes,
        OrderStatus::PendingPayment as OrderStatus,
    )
    .fetch_all(&mut *tx)
    .await?;
    for id in &ids {
        cancel_unpaid(
            &mut tx,
            *id,
            "Not paid in time; the stock went back on sale",
            By::Shop,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ids.len())
}

/// Why staff cancel an order, as typed: trimmed, not empty, at most
/// [`super::refund::MAX_REASON`] characters.
pub fn staff_reason(reason: &str) -> Result<&str, Error> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > super::refund::MAX_REASON {
        return Err(Error::field(
            "reason",
            "Say in a few words why the order is cancelled (at most 500 characters).",
        ));
    }
    Ok(reason)
}

/// A staff member cancels an order that is still waiting for payment: the stock its
/// lines took goes back on sale and its coupon use is released, with the move in its
/// history (which says only that the shop cancelled it) and the audit log (which keeps
/// `reason`), and the customer's mail queued. Needs the orders permission. A paid
/// order is cancelled by refunding it (`refund::cancel`, which calls this for an
/// unpaid one).
pub async fn cancel_unpaid_by_staff(
    pool: &PgPool,
    staff: &crate::admin::Staff,
    order_id: i64,
    reason: &str,
    public_url: &str,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    cancel_unpaid_by_staff_in(&mut tx, staff, order_id, reason, public_url).await?;
    tx.commit().await?;
    Ok(())
}

/// [`cancel_unpaid_by_staff`] in the caller's transaction.
pub(crate) async fn cancel_unpaid_by_staff_in(
    conn: &mut PgConnection,
    staff: &crate::admin::Staff,
    order_id: i64,
    reason: &str,
    public_url: &str,
) -> Result<(), Error> {
    let reason = staff_reason(reason)?;
    cancel_unpaid(
        conn,
        order_id,
        "Cancelled by the shop",
        By::Staff { staff, reason },
    )
    .await?;
    mail::queue_cancelled(conn, order_id, None, public_url).await
}
