//! The one writer of `orders.status`. Every move goes through [`transition`]: one guarded
//! `UPDATE … WHERE status = ANY(statuses that may become the new one)`, so two moves
//! racing for one order (two staff cancelling, a cancel against a payment, a cancel
//! against the expiry worker) never both happen: the later finds the order moved and is
//! refused with the status it found. It also writes where the order's money and parcels
//! stand when the move says ([`OrderStatus::payment_state_after`]). The move's `order_events` row, and for staff its
//! audit row, are written in the caller's transaction.

use super::{FulfilmentState, OrderStatus, PaymentState, TransitionError};
use crate::admin::audit::{self, Action, Subject, SubjectKind};
use crate::admin::{Permission, Staff};
use crate::Error;
use sqlx::PgConnection;

/// Who moves an order.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// The shop itself: a payment, the expiry worker, a shopper's checkout.
    Shop,
    /// A staff member, who needs the permission for the move, and whose move is
    /// audited with `reason` (for staff eyes: the order's history, which its customer
    /// reads, gets only the note).
    Staff { staff: &'a Staff, reason: &'a str },
}

/// The permission a staff member needs to move an order to `to`.
fn permission_for(to: OrderStatus) -> Permission {
    match to {
        OrderStatus::Refunded | OrderStatus::PartiallyRefunded => Permission::Refunds,
        _ => Permission::Orders,
    }
}

/// Moves order `order_id` to `to` if its status now is one of `from` (each of which the
/// rules must allow to become `to`); `note` says why, in the order's history (which its
/// customer reads). Returns the status it moved from. An order that is gone is not
/// found; one in another status (perhaps because someone else moved it first) is refused
/// with [`TransitionError`]; a staff member without the move's permission, with
/// [`crate::admin::Missing`]. Crate-private: each kind of move is a function of its own
/// (`lifecycle`), which says who may make it.
pub(crate) async fn transition(
    conn: &mut PgConnection,
    order_id: i64,
    from: &[OrderStatus],
    to: OrderStatus,
    note: &str,
    by: By<'_>,
) -> Result<OrderStatus, Error> {
    if let By::Staff { staff, .. } = by {
        staff.require(permission_for(to))?;
    }
    if let Some(&bad) = from.iter().find(|f| !f.can_become(to)) {
        return Err(TransitionError { from: bad, to }.into());
    }
    // Written in the same statement as the status: a second UPDATE of a row this
    // transaction has just changed re-checks its foreign keys, and that check waits
    // for a payment holding the order's cart (a deadlock).
    let payment = from.first().and_then(|f| to.payment_state_after(*f));
    if from.iter().any(|f| to.payment_state_after(*f) != payment) {
        return Err(Error::internal(format!(
            "a move to {to:?} from {from:?} would leave the payment state unclear"
        )));
    }
    let moved = sqlx::query!(
        r#"WITH old AS (SELECT status, number FROM orders WHERE id = $1 FOR UPDATE)
           UPDATE orders o SET status = $2, updated_at = now(),
                  payment_state = coalesce($4, o.payment_state),
                  fulfilment_state = coalesce($5, o.fulfilment_state)
           FROM old WHERE o.id = $1 AND old.status = ANY($3)
           RETURNING old.status AS "from: OrderStatus", old.number"#,
        order_id,
        to as OrderStatus,
        from as &[OrderStatus],
        payment as Option<PaymentState>,
        to.fulfilment_state() as Option<FulfilmentState>,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(moved) = moved else {
        let now = sqlx::query_scalar!(
            r#"SELECT status AS "status: OrderStatus" FROM orders WHERE id = $1"#,
            order_id,
        )
        .fetch_optional(&mut *conn)
        .await?;
        return Err(match now {
            None => Error::NotFound,
            Some(from) => TransitionError { from, to }.into(),
        });
    };
    let from = moved.from;
    match by {
        By::Shop => event(&mut *conn, order_id, Some(from), to, note, None).await?,
        By::Staff { staff, reason } => {
            event(&mut *conn, order_id, Some(from), to, note, Some(staff)).await?;
            audit::record(
                conn,
                staff,
                Action::OrderStatus,
                Subject {
                    kind: SubjectKind::Order,
                    id: &moved.number.to_string(),
                },
                Some(serde_json::json!({ "status": from.as_str() })),
                Some(serde_json::json!({ "status": to.as_str(), "reason": reason })),
            )
            .await?;
        }
    }
    Ok(from)
}

/// Records something that happened to order `order_id` without moving its status in
/// its history, which its customer reads: another part of a partly refunded order
/// refunded, or the rest of one shipped or delivered.
pub(crate) async fn note(
    conn: &mut PgConnection,
    order_id: i64,
    status: OrderStatus,
    note: &str,
    staff: Option<&Staff>,
) -> Result<(), Error> {
    event(conn, order_id, Some(status), status, note, staff).await
}

/// Moves where order `order_id`'s parcels stand (`state`) without moving its status
/// (the rest of a partly refunded order shipped, or delivered), with `note` in its
/// history.
pub(crate) async fn parcels(
    conn: &mut PgConnection,
    order_id: i64,
    status: OrderStatus,
    state: FulfilmentState,
    note: &str,
    staff: &Staff,
) -> Result<(), Error> {
    sqlx::query!(
        "UPDATE orders SET fulfilment_state = $2, updated_at = now() WHERE id = $1",
        order_id,
        state as FulfilmentState,
    )
    .execute(&mut *conn)
    .await?;
    event(conn, order_id, Some(status), status, note, Some(staff)).await
}

/// An order row locked by its caller's transaction, with where it stands.
pub(crate) struct Locked {
    pub id: i64,
    pub number: i64,
    pub status: OrderStatus,
    pub fulfilment: FulfilmentState,
}

/// Locks order `number` (`FOR UPDATE`) for a move that depends on where it stands.
pub(crate) async fn lock_order(conn: &mut PgConnection, number: i64) -> Result<Locked, Error> {
    let row = sqlx::query!(
        r#"SELECT id, number, status AS "status: OrderStatus",
                  fulfilment_state AS "fulfilment: FulfilmentState"
           FROM orders WHERE number = $1 FOR UPDATE"#,
        number,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(Locked {
        id: row.id,
        number: row.number,
        status: row.status,
        fulfilment: row.fulfilment,
    })
}

/// Records a new order's first status in its history.
pub(crate) async fn placed(conn: &mut PgConnection, order_id: i64) -> Result<(), Error> {
    event(
        conn,
        order_id,
        None,
        OrderStatus::PendingPayment,
        "Order placed",
        None,
    )
    .await
}

async fn event(
    conn: &mut PgConnection,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    note: &str,
    staff: Option<&Staff>,
) -> Result<(), Error> {
    sqlx::query!(
        "INSERT INTO order_events (order_id, from_status, to_status, note, staff_id)
         VALUES ($1, $2, $3, $4, $5)",
        order_id,
        from as Option<OrderStatus>,
        to as OrderStatus,
        note,
        staff.map(Staff::id),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
