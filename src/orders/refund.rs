//! Refunds: money given back for an order, in full or in part (chosen units of its
//! lines, each put back in stock or not; its shipping; or an amount), through the
//! provider that took it; and cancelling an order (an unpaid one simply, a paid one
//! that has not shipped with a refund of everything).
//!
//! A refund is asked for in three steps, so that no money moves without a record and no
//! record claims money that did not move:
//! 1. in one transaction, with the order locked, the request is checked against the
//!    order as it is now and written `requested`, with the idempotency key its form
//!    was given (a form sent twice is one refund). Its amount is held on the payment at
//!    once, so of ten requests for the whole amount at once, one is written and the
//!    others find nothing left (or a refund waiting). The database holds the same line
//!    for any writer that forgets the lock: it refuses a payment refunded past its
//!    amount (`payments_refund_ceiling`);
//! 2. the provider is asked, with that key;
//! 3. its answer is recorded: `succeeded` settles the refund (stock back, the order's
//!    status and payment state, the shopper's mail, all in one transaction), `pending`
//!    waits for the provider's webhook, a refusal fails it (releasing what it held). No
//!    answer at all (the provider down) leaves it `requested`: staff retry it, and the
//!    same key makes the provider refund it once.
//!
//! Settling happens once per refund, whoever reports it first (the staff request, or a
//! Stripe webhook, in any order and however often).

use super::OrderStatus;
use crate::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Why a refund or a cancellation was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RefundError {
    #[error("Only a paid order can be refunded; this one is {0}.")]
    NotPaid(OrderStatus),
    #[error("Everything paid for this order has been refunded already.")]
    NothingLeft,
    #[error("That item is not in this order any more: reload the order.")]
    UnknownLine,
    #[error("Someone refunded this order meanwhile: reload it to see what is left.")]
    Changed,
    #[error("This refund was sent already (the form was sent twice): reload the order to see it.")]
    AlreadySent,
    #[error("This refund is over a day old: the payment provider no longer recognises it, so retrying could refund twice. Check the provider's dashboard, then refund again if nothing went back.")]
    TooOldToRetry,
    #[error("The payment provider refused the refund, so the order is not cancelled and nothing was refunded: {0}")]
    CancelRefused(String),
    #[error("Choose items, shipping or an amount to refund.")]
    Nothing,
    #[error("At most {left} is left to refund on this order. Someone may have refunded it meanwhile: reload the order.")]
    TooMuch { left: String },
    #[error("{name}: only {left} left to refund. Someone may have refunded it meanwhile: reload the order.")]
    TooManyUnits { name: String, left: u32 },
    #[error("A return's refund gives back at most what its items (and the shipping chosen) are worth: {most}.")]
    MoreThanReturn { most: String },
    #[error("{name}: {held} of them are in a return. Refund them from the return once its parcel is back (or reject it).")]
    HeldByReturn { name: String, held: u32 },
    #[error("At most {left} of the shipping is left to refund.")]
    TooMuchShipping { left: String },
    #[error("This order was paid in {paid}: refund it in {paid}, not {asked}.")]
    WrongCurrency { paid: String, asked: String },
    /// The order was paid more than once, and one refund goes back to one payment.
    #[error("At most {left} can go back in one refund (this order was paid more than once): refund the rest in a second one.")]
    OnePaymentAtATime { left: String },
    #[error("The payment provider refused the refund, and nothing was refunded: {0}")]
    Refused(String),
    #[error("A refund of this order is still waiting for the payment provider. Retry it, or wait for it to end, before refunding more.")]
    Waiting,
    #[error("This refund is not waiting to be retried: reload the order to see where it stands.")]
    Ended,
    #[error("Items of this order have shipped, so it can no longer be cancelled: refund what comes back instead.")]
    Shipped,
    #[error("An order that is {0} cannot be cancelled.")]
    NotCancellable(OrderStatus),
}

crate::text_enum! {
    /// Where a refund stands (`refunds.state`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RefundState {
        /// Sent to the provider without an answer yet: retried with the same key.
        Requested = "requested",
        /// The provider took it and reports the end later.
        Pending = "pending",
        Succeeded = "succeeded",
        /// Nothing was refunded.
        Failed = "failed",
    }
}

impl RefundState {
    /// Whether the customer is told about a refund in this state: money that is back
    /// or on its way, never one not confirmed or failed.
    pub fn shown_to_customer(self) -> bool {
        matches!(self, RefundState::Succeeded | RefundState::Pending)
    }

    pub fn label(self) -> &'static str {
        match self {
            RefundState::Requested => "Not confirmed",
            RefundState::Pending => "On its way",
            RefundState::Succeeded => "Refunded",
            RefundState::Failed => "Failed",
        }
    }
}

/// A refund as pages show it. `reason`, `by`, `reference` and `failure` are for staff:
/// the customer's view leaves them empty (see [`Refund::for_customer`]), as it leaves
/// out whether units went back in stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: i64,
    pub amount: Money,
    /// Of the amount, the order's shipping.
    pub shipping: Money,
    pub state: RefundState,
    /// `YYYY-MM-DD HH:MM` (UTC).
    pub at: String,
    /// (item name, units, put back in stock)
    pub lines: Vec<(String, u32, bool)>,
    pub cancels_order: bool,
    /// The return it refunds, if any.
    pub return_id: Option<i64>,
    pub reason: String,
    /// Who asked for it; `None`: made in the provider's dashboard.
    pub by: Option<String>,
    pub reference: Option<String>,
    pub failure: Option<String>,
}

impl Refund {
    /// What the customer sees: the money that is (or is on its way) back, never staff's
    /// words, and nothing about refunds that did not happen.
    pub fn for_customer(self) -> Option<Refund> {
        self.state.shown_to_customer().then(|| Refund {
            reason: String::new(),
            by: None,
            reference: None,
            failure: None,
            lines: self
                .lines
                .into_iter()
                .map(|(n, q, _)| (n, q, false))
                .collect(),
            ..self
        })
    }
}

/// A line of an order as the refund form offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundableLine {
    pub line_id: i64,
    pub name: String,
    pub sku: String,
    pub ordered: u32,
    /// Units that left in a parcel.
    pub shipped: u32,
    /// Units refunded already (or on their way back).
    pub refunded: u32,
    /// Of `refunded`, those refunded before they shipped (they need not ship).
    pub refunded_unshipped: u32,
    /// What the customer paid for the whole line: its total with its share of the
    /// coupon (and of tax, when prices did not include it).
    pub paid: Money,
    /// Of `paid`, what was refunded already.
    pub refunded_amount: Money,
    /// Units in returns still open (asked for, approved, or back and not yet
    /// refunded): they are refunded through their return, not the refund form.
    pub held: u32,
}

impl RefundableLine {
    pub fn left(&self) -> u32 {
        self.ordered.saturating_sub(self.refunded)
    }

    /// Of [`Self::left`], the units the refund form may refund: those no open return
    /// holds.
    pub fn free(&self) -> u32 {
        self.left().saturating_sub(self.held)
    }

    /// Of `units` refunded now, those that have not shipped (and so will not): units
    /// neither shipped nor refunded before they shipped are counted first.
    pub fn unshipped_of(&self, units: u32) -> u32 {
        units.min(
            self.ordered
                .saturating_sub(self.shipped)
                .saturating_sub(self.refunded_unshipped),
        )
    }

    /// What refunding `units` more gives back: their share of what was paid, and for
    /// the line's last units exactly what is left of it (so a line refunded unit by
    /// unit gives back what it cost, to the cent), but never more than their share and
    /// a cent for each unit refunded before (what an earlier refund kept back, a
    /// restocking fee, stays kept).
    pub fn value(&self, units: u32) -> Money {
        let currency = self.paid.currency();
        if units == 0 || self.ordered == 0 {
            return Money::zero(currency);
        }
        let share = Money::new(
            self.paid.amount() * Decimal::from(units) / Decimal::from(self.ordered),
            currency,
        );
        if units < self.left() {
            return share;
        }
        let rest = self
            .paid
            .checked_sub(self.refunded_amount)
            .unwrap_or(self.paid);
        let rounding = Decimal::new(
            i64::from(self.refunded.saturating_add(1)),
            currency.minor_digits(),
        );
        if rest.amount() > share.amount() + rounding {
            share
        } else {
            rest
        }
    }
}

/// What of an order may still be refunded, as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refundable {
    pub status: OrderStatus,
    pub lines: Vec<RefundableLine>,
    /// The order's shipping not refunded yet.
    pub shipping_left: Money,
    /// What was paid and not refunded (nor held by a refund on its way).
    pub left: Money,
    /// Whether a refund still waits for the provider's answer.
    pub waiting: bool,
}

impl Refundable {
    /// Whether the refund form has anything to offer: the order took money and some
    /// of it is left.
    pub fn offered(&self) -> bool {
        gives_back(self.status, !self.left.is_zero())
    }
}

/// A refund form's line, as posted: `lines[i][id]`, `lines[i][quantity]`,
/// `lines[i][restock]` (a checkbox: present when ticked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLineForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub restock: Option<String>,
}

/// What staff asked to refund, checked for form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundChoice {
    /// (line, units, put back in stock)
    pub lines: Vec<(i64, u32, bool)>,
    pub shipping: Option<Money>,
    /// The amount typed, instead of the value of the lines and shipping.
    pub amount: Option<Money>,
    /// The form's own idempotency key (made when the form was shown), so that a form
    /// sent twice refunds once; `None`: a fresh one.
    pub key: Option<String>,
    /// The currency the form was in (the order's, unless it is stale or made up).
    pub currency: Currency,
    pub reason: String,
}

/// The longest reason, in characters.
pub const MAX_REASON: usize = 500;

/// A refund worked out against the order: what goes back and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub lines: Vec<PlanLine>,
    /// Of the amount, the shipping's part.
    pub shipping: Money,
    pub amount: Money,
}

/// Units of one line in a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLine {
    pub line: i64,
    pub units: u32,
    pub restock: bool,
    /// Its part of the refund's amount.
    pub amount: Money,
    /// Of `units`, those that had not shipped.
    pub unshipped: u32,
}

impl RefundChoice {
    /// From the form, whose amounts are in `currency` (the order's, which the form
    /// names; [`Refundable::plan`] refuses another, never converts). Rows with 0 (or
    /// nothing) are left out; a quantity that is not a whole number from 0 to 99, or an
    /// amount that is not one, is refused beside its field.
    pub fn parse(
        lines: &[RefundLineForm],
        shipping: &str,
        amount: &str,
        currency: &str,
        reason: &str,
        key: &str,
    ) -> Result<RefundChoice, crate::Error> {
        let mut choice =
            RefundChoice::parse_without_lines(shipping, amount, currency, reason, key)?;
        choice.lines =
            super::fulfil::units_chosen("lines", lines.iter().map(|l| (&*l.id, &*l.quantity)))?
                .into_iter()
                .map(|(row, id, units)| {
                    let restock = lines.get(row).is_some_and(|l| l.restock.is_some());
                    (id, units, restock)
                })
                .collect();
        if choice.lines.is_empty() && choice.shipping.is_none() && choice.amount.is_none() {
            return Err(RefundError::Nothing.into());
        }
        Ok(choice)
    }

    /// Return `return_id`'s refund: its `units` (line, units), put back in stock when
    /// the parcel came (so not again), with this choice's shipping or amount.
    pub fn for_return(&self, return_id: i64, units: &[(i64, u32)]) -> RefundChoice {
        RefundChoice {
            lines: units.iter().map(|&(line, n)| (line, n, false)).collect(),
            reason: format!("Return {return_id}"),
            ..self.clone()
        }
    }

    /// The form's shipping, amount, currency, reason and key, with no lines (a return's
    /// refund takes the return's); both amounts may be empty.
    pub fn parse_without_lines(
        shipping: &str,
        amount: &str,
        currency: &str,
        reason: &str,
        key: &str,
    ) -> Result<RefundChoice, crate::Error> {
        let key = key.trim();
        if !key.is_empty() && !crate::token::plausible(key) {
            return Err(crate::Error::field(
                "amount",
                "Reload the order: the form is damaged.",
            ));
        }
        let paid_in = Currency::parse(currency.trim()).map_err(|_| {
            crate::Error::field("amount", "Reload the order: the form lost its currency.")
        })?;
        let money = |field: &str, typed: &str| -> Result<Option<Money>, crate::Error> {
            if typed.trim().is_empty() {
                return Ok(None);
            }
            Money::parse_typed(typed, paid_in)
                .map(|m| (!m.is_zero()).then_some(m))
                .map_err(|e| crate::Error::field(field, e.to_string()))
        };
        let shipping = money("shipping", shipping)?;
        let amount = money("amount", amount)?;
        let reason: String = reason.chars().filter(|c| !c.is_control()).collect();
        let reason = reason.trim();
        if reason.chars().count() > MAX_REASON {
            return Err(crate::Error::field(
                "reason",
                format!("Say it in at most {MAX_REASON} characters."),
            ));
        }
        Ok(RefundChoice {
            lines: Vec::new(),
            shipping,
            amount,
            key: (!key.is_empty()).then(|| key.to_owned()),
            currency: paid_in,
            reason: if reason.is_empty() {
                "Refund".to_owned()
            } else {
                reason.to_owned()
            },
        })
    }
}

impl Refundable {
    /// Works `choice` out against the order as it is now: never more units than a line
    /// has left, more shipping than is left, or more money than was paid and not yet
    /// refunded. Without a typed amount, the refund is the value of the chosen units
    /// and shipping; when that takes everything still refundable, it is exactly what is
    /// left (no cent lost to rounding).
    pub fn plan(&self, choice: &RefundChoice) -> Result<Plan, RefundError> {
        self.plan_units(choice, false)
    }

    /// [`Self::plan`] for a return's refund: its units are the ones the return holds,
    /// and it gives back at most their value (and the shipping chosen).
    pub fn plan_return(&self, choice: &RefundChoice) -> Result<Plan, RefundError> {
        self.plan_units(choice, true)
    }

    fn plan_units(&self, choice: &RefundChoice, for_return: bool) -> Result<Plan, RefundError> {
        if self.status == OrderStatus::Refunded {
            return Err(RefundError::NothingLeft);
        }
        if !may_refund(self.status) {
            return Err(RefundError::NotPaid(self.status));
        }
        if self.waiting {
            return Err(RefundError::Waiting);
        }
        if self.left.is_zero() {
            return Err(RefundError::NothingLeft);
        }
        let currency = self.left.currency();
        if choice.currency != currency {
            return Err(RefundError::WrongCurrency {
                paid: currency.code().to_owned(),
                asked: choice.currency.code().to_owned(),
            });
        }
        let too_much = || RefundError::TooMuch {
            left: self.left.format(),
        };
        let mut lines = Vec::new();
        let mut value = Money::zero(currency);
        for &(id, units, restock) in &choice.lines {
            let Some(line) = self.lines.iter().find(|l| l.line_id == id) else {
                return Err(RefundError::UnknownLine);
            };
            if units > line.left() {
                return Err(RefundError::TooManyUnits {
                    name: line.name.clone(),
                    left: line.left(),
                });
            }
            if !for_return && units > line.free() {
                return Err(RefundError::HeldByReturn {
                    name: line.name.clone(),
                    held: line.held,
                });
            }
            let part = line.value(units);
            value = value.checked_add(part).map_err(|_| too_much())?;
            lines.push(PlanLine {
                line: id,
                units,
                restock,
                amount: part,
                unshipped: line.unshipped_of(units),
            });
        }
        let shipping = choice.shipping.unwrap_or(Money::zero(currency));
        if shipping.amount() > self.shipping_left.amount() {
            return Err(RefundError::TooMuchShipping {
                left: self.shipping_left.format(),
            });
        }
        value = value.checked_add(shipping).map_err(|_| too_much())?;
        let everything = self.lines.iter().all(|l| {
            l.left() == 0
                || choice
                    .lines
                    .iter()
                    .any(|&(id, units, _)| id == l.line_id && units == l.left())
        }) && shipping == self.shipping_left;
        // Everything chosen gives back exactly what is left, when that is the value
        // chosen give or take the rounding of each line (a cent each); a typed amount
        // earlier may have made them differ more, and then the value is what goes back.
        let slack = Decimal::new(
            i64::try_from(self.lines.len())
                .unwrap_or(i64::MAX)
                .saturating_add(1),
            currency.minor_digits(),
        );
        let close = (self.left.amount() - value.amount()).abs() <= slack;
        let amount = match choice.amount {
            Some(typed) => typed,
            None if everything && close => self.left,
            None => value,
        };
        if amount.is_zero() {
            return Err(RefundError::Nothing);
        }
        if for_return && amount.amount() > value.amount() {
            return Err(RefundError::MoreThanReturn {
                most: value.format(),
            });
        }
        if amount.amount() > self.left.amount() {
            return Err(too_much());
        }
        // A typed amount below the value chosen gives back that share of each part.
        let (lines, shipping) = if amount.amount() < value.amount() && !value.is_zero() {
            let share = amount.amount() / value.amount();
            let scaled = |m: Money| Money::new(m.amount() * share, currency);
            (
                lines
                    .into_iter()
                    .map(|l| PlanLine {
                        amount: scaled(l.amount),
                        ..l
                    })
                    .collect(),
                scaled(shipping).min(amount).unwrap_or(amount),
            )
        } else {
            (lines, shipping)
        };
        Ok(Plan {
            lines,
            shipping,
            amount,
        })
    }

    /// Everything still refundable: every unit left (put back in stock) and the
    /// shipping left. What cancelling a paid order refunds.
    pub fn everything(&self, reason: &str) -> RefundChoice {
        RefundChoice {
            lines: self
                .lines
                .iter()
                .filter(|l| l.left() > 0)
                .map(|l| (l.line_id, l.left(), true))
                .collect(),
            shipping: (!self.shipping_left.is_zero()).then_some(self.shipping_left),
            amount: None,
            key: None,
            currency: self.left.currency(),
            reason: reason.to_owned(),
        }
    }
}

/// Whether an order in `status` may have money given back: once paid, also after it
/// shipped, was delivered, partly refunded, or cancelled after the money arrived.
pub fn may_refund(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Paid
            | OrderStatus::Fulfilled
            | OrderStatus::Delivered
            | OrderStatus::PartiallyRefunded
            | OrderStatus::Cancelled
    )
}

/// Whether an order in `status` with money paid and not refunded (`money_left`) can
/// give some of it back: what the refund form and a return both need.
pub fn gives_back(status: OrderStatus, money_left: bool) -> bool {
    may_refund(status) && money_left
}

/// What "Cancel the order" does for an order, if it may be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cancel {
    /// Not paid: the stock goes back and the coupon use is released.
    Unpaid,
    /// Paid, nothing shipped: the same, and `refund` goes back to the customer.
    Refund { refund: Money },
}

impl Cancel {
    /// What cancelling an order in `status` with `fulfilment` and `refundable` does;
    /// `None` when it cannot be cancelled.
    pub fn offered(
        status: OrderStatus,
        fulfilment: super::FulfilmentState,
        refundable: &Refundable,
    ) -> Option<Cancel> {
        match status {
            OrderStatus::PendingPayment => Some(Cancel::Unpaid),
            OrderStatus::Paid
                if fulfilment == super::FulfilmentState::Unfulfilled
                    && !refundable.waiting
                    && !refundable.left.is_zero() =>
            {
                Some(Cancel::Refund {
                    refund: refundable.left,
                })
            }
            _ => None,
        }
    }
}

impl Cancel {
    /// Whether cancelling this way needs the refunds permission (it moves money).
    pub fn needs_refunds(self) -> bool {
        matches!(self, Cancel::Refund { .. })
    }
}

/// What asking for a refund did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refunded {
    /// The money is on its way back; the order shows it.
    Done(Money),
    /// The provider took it and reports the end later.
    Pending(Money),
    /// The provider could not be reached: nothing is refunded yet; retry it.
    NotConfirmed(Money),
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, Subject, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::inventory::MovementReason;
    use crate::orders::lifecycle;
    use crate::orders::transition::{self, transition, By};
    use crate::orders::transition::{lock_order, Locked};
    use crate::orders::{FulfilmentState, PaymentState};
    use crate::payments::{Payments, RefundOutcome, RefundRequest};
    use crate::Error;
    use sqlx::{PgConnection, PgPool};

    /// Order `number`, locked for a refund: its cart first, then the order, as a
    /// payment takes them (the other way round the two could deadlock).
    async fn lock(conn: &mut PgConnection, number: i64) -> Result<Locked, Error> {
        let id = sqlx::query_scalar!("SELECT id FROM orders WHERE number = $1", number)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(Error::NotFound)?;
        lifecycle::lock_cart_of(conn, id).await?;
        lock_order(conn, number).await
    }

    /// What of order `order_id` may still be refunded.
    pub async fn refundable(conn: &mut PgConnection, order_id: i64) -> Result<Refundable, Error> {
        let order = sqlx::query!(
            r#"SELECT status AS "status: OrderStatus", currency AS "currency: Currency",
                      subtotal, shipping, total,
                      (SELECT coalesce(sum(r.shipping), 0) FROM refunds r
                       WHERE r.order_id = o.id AND r.state <> 'failed') AS "shipping_refunded!",
                      (SELECT coalesce(sum(p.amount - p.refunded), 0) FROM payments p
                       WHERE p.order_id = o.id AND p.status = 'succeeded') AS "left!",
                      EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id
                              AND r.state IN ('requested', 'pending')) AS "waiting!"
               FROM orders o WHERE o.id = $1"#,
            order_id,
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
        let m = |d: Decimal| Money::new(d, order.currency);
        // What the goods cost the customer: the total less shipping (so with the
        // coupon taken off, and tax added when prices left it out).
        let goods = order.total - order.shipping;
        let lines = sqlx::query!(
            r#"SELECT l.id, l.name, l.sku, l.quantity, l.line_total,
                      (SELECT coalesce(sum(s.quantity), 0) FROM shipment_lines s
                       WHERE s.order_line_id = l.id)::int AS "shipped!",
                      coalesce(sum(rl.quantity) FILTER (WHERE r.state <> 'failed'), 0)::int
                          AS "refunded!",
                      coalesce(sum(rl.unshipped) FILTER (WHERE r.state <> 'failed'), 0)::int
                          AS "refunded_unshipped!",
                      coalesce(sum(rl.amount) FILTER (WHERE r.state <> 'failed'), 0)
                          AS "refunded_amount!",
                      (SELECT coalesce(sum(xl.quantity), 0) FROM return_lines xl
                       JOIN returns x ON x.id = xl.return_id
                       WHERE xl.order_line_id = l.id
                         AND x.state = ANY($2)
                         -- A return whose refund is on its way counts in "refunded".
                         AND NOT EXISTS (SELECT 1 FROM refunds f
                                         WHERE f.return_id = x.id AND f.state <> 'failed'))::int
                          AS "held!"
               FROM order_lines l
               LEFT JOIN refund_lines rl ON rl.order_line_id = l.id
               LEFT JOIN refunds r ON r.id = rl.refund_id
               WHERE l.order_id = $1 GROUP BY l.id ORDER BY l.id"#,
            order_id,
            &crate::orders::returns::open_states(),
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|l| RefundableLine {
            line_id: l.id,
            name: l.name,
            sku: l.sku,
            ordered: u32::try_from(l.quantity).unwrap_or(0),
            shipped: u32::try_from(l.shipped).unwrap_or(0),
            refunded: u32::try_from(l.refunded).unwrap_or(0),
            refunded_unshipped: u32::try_from(l.refunded_unshipped).unwrap_or(0),
            paid: if order.subtotal.is_zero() {
                m(Decimal::ZERO)
            } else {
                m(l.line_total * goods / order.subtotal)
            },
            refunded_amount: m(l.refunded_amount),
            held: u32::try_from(l.held).unwrap_or(0),
        })
        .collect();
        Ok(Refundable {
            status: order.status,
            lines,
            shipping_left: m((order.shipping - order.shipping_refunded).max(Decimal::ZERO)),
            left: m(order.left),
            waiting: order.waiting,
        })
    }

    /// Order `order_id`'s refunds, oldest first, for staff (see [`Refund::for_customer`]).
    pub async fn refunds(conn: &mut PgConnection, order_id: i64) -> Result<Vec<Refund>, Error> {
        let rows = sqlx::query!(
            r#"SELECT r.id, r.amount, r.shipping, r.currency AS "currency: Currency",
                      r.state AS "state: RefundState", r.cancels_order, r.return_id, r.reason,
                      r.reference,
                      r.failure, u.email AS "by?",
                      to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "at!",
                      coalesce(array_agg(l.name ORDER BY l.id) FILTER (WHERE l.id IS NOT NULL), '{}')
                          AS "names!",
                      coalesce(array_agg(rl.quantity ORDER BY l.id) FILTER (WHERE l.id IS NOT NULL), '{}')
                          AS "units!",
                      coalesce(array_agg(rl.restock ORDER BY l.id) FILTER (WHERE l.id IS NOT NULL), '{}')
                          AS "restocked!"
               FROM refunds r
               LEFT JOIN users u ON u.id = r.staff_id
               LEFT JOIN refund_lines rl ON rl.refund_id = r.id
               LEFT JOIN order_lines l ON l.id = rl.order_line_id
               WHERE r.order_id = $1 GROUP BY r.id, u.email ORDER BY r.id"#,
            order_id,
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Refund {
                id: r.id,
                amount: Money::new(r.amount, r.currency),
                shipping: Money::new(r.shipping, r.currency),
                state: r.state,
                at: r.at,
                lines: r
                    .names
                    .into_iter()
                    .zip(r.units)
                    .zip(r.restocked)
                    .map(|((n, u), s)| (n, u32::try_from(u).unwrap_or(0), s))
                    .collect(),
                cancels_order: r.cancels_order,
                return_id: r.return_id,
                reason: r.reason,
                by: r.by,
                reference: r.reference,
                failure: r.failure,
            })
            .collect())
    }

    /// A refund written and waiting for the provider.
    struct Asked {
        id: i64,
        order_id: i64,
        payment: String,
        amount: Money,
        key: String,
        cancels_order: bool,
    }

    /// What a refund is for, besides giving money back.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Purpose {
        /// Staff's choice of units, shipping or an amount.
        Refund,
        /// Cancelling a paid order that has not shipped: settling it cancels the order.
        Cancel,
        /// Return `0`, received: settling it refunds the return.
        Return(i64),
    }

    /// Writes `plan` as a `requested` refund of order `order` (locked by the caller),
    /// against the payment with the most left, with its lines and audit entry.
    async fn write(
        conn: &mut PgConnection,
        staff: &Staff,
        order: &Locked,
        plan: &Plan,
        reason: &str,
        key: Option<&str>,
        purpose: Purpose,
    ) -> Result<Asked, Error> {
        let cancels_order = purpose == Purpose::Cancel;
        let return_id = match purpose {
            Purpose::Return(id) => Some(id),
            Purpose::Refund | Purpose::Cancel => None,
        };
        let payment = sqlx::query!(
            r#"SELECT id, reference, amount - refunded AS "left!" FROM payments
               WHERE order_id = $1 AND status = 'succeeded'
               ORDER BY amount - refunded DESC, id LIMIT 1"#,
            order.id,
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(RefundError::NotPaid(order.status))?;
        let currency = plan.amount.currency();
        if plan.amount.amount() > payment.left {
            return Err(RefundError::OnePaymentAtATime {
                left: Money::new(payment.left, currency).format(),
            }
            .into());
        }
        let key = key.map_or_else(crate::token::random_hex, str::to_owned);
        let id = sqlx::query_scalar!(
            "INSERT INTO refunds (order_id, payment_id, amount, currency, shipping,
                                  idempotency_key, cancels_order, reason, staff_id, return_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            order.id,
            payment.id,
            plan.amount.amount(),
            currency as Currency,
            plan.shipping.amount(),
            key,
            cancels_order,
            reason,
            staff.id(),
            return_id,
        )
        .fetch_one(&mut *conn)
        .await
        .map_err(refused_by_database)?;
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        let ids: Vec<i64> = plan.lines.iter().map(|l| l.line).collect();
        let units: Vec<i32> = plan.lines.iter().map(|l| count(l.units)).collect();
        let restock: Vec<bool> = plan.lines.iter().map(|l| l.restock).collect();
        let amounts: Vec<Decimal> = plan.lines.iter().map(|l| l.amount.amount()).collect();
        let unshipped: Vec<i32> = plan.lines.iter().map(|l| count(l.unshipped)).collect();
        sqlx::query!(
            "INSERT INTO refund_lines (refund_id, order_line_id, quantity, restock, amount, unshipped)
             SELECT $1, * FROM unnest($2::bigint[], $3::int[], $4::bool[], $5::numeric[], $6::int[])",
            id,
            &ids,
            &units,
            &restock,
            &amounts,
            &unshipped,
        )
        .execute(&mut *conn)
        .await
        .map_err(refused_by_database)?;
        audit::record(
            conn,
            staff,
            Action::OrderRefund,
            Subject {
                kind: SubjectKind::Order,
                id: &order.number.to_string(),
            },
            None,
            Some(serde_json::json!({
                "refund": id,
                "amount": plan.amount.amount().to_string(),
                "currency": currency.code(),
                "shipping": plan.shipping.amount().to_string(),
                "cancels_order": cancels_order,
                "return": return_id,
                "reason": reason,
                "lines": plan.lines.iter().map(|l| serde_json::json!({"line": l.line, "quantity": l.units, "restock": l.restock})).collect::<Vec<_>>(),
            })),
        )
        .await?;
        Ok(Asked {
            id,
            order_id: order.id,
            payment: payment.reference,
            amount: plan.amount,
            key,
            cancels_order,
        })
    }

    /// What the database refused, in words. The order is locked while a refund is
    /// worked out, so its ceilings are reached only by a writer that forgets the lock;
    /// a key already used is a form sent twice.
    fn refused_by_database(e: sqlx::Error) -> Error {
        match e.as_database_error().and_then(|d| d.constraint()) {
            Some("payments_refund_ceiling" | "refund_lines_within_order") => {
                RefundError::Changed.into()
            }
            Some("refunds_idempotency_key_key") => RefundError::AlreadySent.into(),
            Some("refunds_one_per_return" | "refunds_of_own_return") => {
                crate::orders::returns::ReturnError::Refunded.into()
            }
            _ => Error::from(e),
        }
    }

    /// Refunds `choice` of order `number`: checked against the order as it is now,
    /// written, sent to the provider, and recorded as it answered (see the module's
    /// documentation). Needs the refunds permission.
    pub async fn refund(
        pool: &PgPool,
        payments: &Payments,
        staff: &Staff,
        number: i64,
        choice: &RefundChoice,
        public_url: &str,
    ) -> Result<Refunded, Error> {
        request(
            pool,
            payments,
            staff,
            number,
            choice,
            Purpose::Refund,
            public_url,
        )
        .await
    }

    /// Refunds received return `return_id` of order `number`: its units (already back
    /// in stock as staff chose when it came back, so none go back again), with the
    /// shipping or the amount `extra` asks for instead of their value. Needs the refunds
    /// permission.
    pub async fn refund_return(
        pool: &PgPool,
        payments: &Payments,
        staff: &Staff,
        number: i64,
        return_id: i64,
        extra: &RefundChoice,
        public_url: &str,
    ) -> Result<Refunded, Error> {
        let purpose = Purpose::Return(return_id);
        request(pool, payments, staff, number, extra, purpose, public_url).await
    }

    /// A refund staff asked for (`purpose`: their choice, or a return's, whose units
    /// the return names and `choice` adds to): checked against the order as it is now
    /// with the order locked, written, sent to the provider, and recorded as it
    /// answered. Needs the refunds permission.
    async fn request(
        pool: &PgPool,
        payments: &Payments,
        staff: &Staff,
        number: i64,
        choice: &RefundChoice,
        purpose: Purpose,
        public_url: &str,
    ) -> Result<Refunded, Error> {
        staff.require(Permission::Refunds)?;
        let mut tx = pool.begin().await?;
        let order = lock(&mut tx, number).await?;
        let (choice, plan) = match purpose {
            Purpose::Return(return_id) => {
                let units = crate::orders::returns::to_refund(&mut tx, order.id, return_id).await?;
                let choice = choice.for_return(return_id, &units);
                let plan = refundable(&mut tx, order.id).await?.plan_return(&choice)?;
                (std::borrow::Cow::Owned(choice), plan)
            }
            Purpose::Refund | Purpose::Cancel => {
                let plan = refundable(&mut tx, order.id).await?.plan(choice)?;
                (std::borrow::Cow::Borrowed(choice), plan)
            }
        };
        let asked = write(
            &mut tx,
            staff,
            &order,
            &plan,
            &choice.reason,
            choice.key.as_deref(),
            purpose,
        )
        .await?;
        tx.commit().await?;
        send(pool, payments, &asked, Some(staff), public_url).await
    }

    /// Sends refund `asked` to the provider and records its answer.
    async fn send(
        pool: &PgPool,
        payments: &Payments,
        asked: &Asked,
        staff: Option<&Staff>,
        public_url: &str,
    ) -> Result<Refunded, Error> {
        let outcome = payments
            .refund(
                pool,
                &RefundRequest {
                    order_id: asked.order_id,
                    refund_id: asked.id,
                    payment: &asked.payment,
                    amount: asked.amount,
                    key: &asked.key,
                },
            )
            .await;
        match outcome {
            Ok(RefundOutcome::Succeeded { reference }) => {
                // The money moved: if recording it fails, the refund stays requested,
                // and a retry (same key) or the provider's webhook settles it.
                let settled = async {
                    let mut tx = pool.begin().await?;
                    settle(&mut tx, asked.id, Some(&reference), staff, public_url).await?;
                    tx.commit().await?;
                    Ok::<(), Error>(())
                }
                .await;
                match settled {
                    Ok(()) => Ok(Refunded::Done(asked.amount)),
                    Err(e) => {
                        tracing::error!(refund = asked.id, error = %e, "the provider refunded, recording it failed: retry it");
                        Ok(Refunded::NotConfirmed(asked.amount))
                    }
                }
            }
            Ok(RefundOutcome::Pending { reference }) => {
                let mut tx = pool.begin().await?;
                pending(&mut tx, asked.id, &reference).await?;
                tx.commit().await?;
                Ok(Refunded::Pending(asked.amount))
            }
            Ok(RefundOutcome::Refused(why)) => {
                let mut tx = pool.begin().await?;
                fail(&mut tx, asked.id, &why.to_string()).await?;
                tx.commit().await?;
                Err(if asked.cancels_order {
                    RefundError::CancelRefused(why.to_string())
                } else {
                    RefundError::Refused(why.to_string())
                }
                .into())
            }
            Err(Error::PaymentService(detail)) => {
                tracing::warn!(refund = asked.id, %detail, "refund not confirmed: the provider did not answer");
                Ok(Refunded::NotConfirmed(asked.amount))
            }
            Err(e) => Err(e),
        }
    }

    /// Sends refund `refund_id` of order `number` again, with its own key: a refund the
    /// provider never answered about is made once, however often it is retried.
    pub async fn retry(
        pool: &PgPool,
        payments: &Payments,
        staff: &Staff,
        number: i64,
        refund_id: i64,
        public_url: &str,
    ) -> Result<Refunded, Error> {
        staff.require(Permission::Refunds)?;
        let row = sqlx::query!(
            r#"SELECT r.id, r.order_id, r.amount, r.currency AS "currency: Currency",
                      r.idempotency_key, r.state AS "state: RefundState", p.reference,
                      r.cancels_order,
                      r.created_at > now() - interval '23 hours' AS "recent!"
               FROM refunds r JOIN orders o ON o.id = r.order_id
               JOIN payments p ON p.id = r.payment_id
               WHERE r.id = $1 AND o.number = $2"#,
            refund_id,
            number,
        )
        .fetch_optional(pool)
        .await?
        .ok_or(Error::NotFound)?;
        if row.state != RefundState::Requested {
            return Err(RefundError::Ended.into());
        }
        // Stripe keeps an idempotency key for 24 hours: after that, the same key could
        // make a second refund.
        if !row.recent {
            return Err(RefundError::TooOldToRetry.into());
        }
        let asked = Asked {
            id: row.id,
            order_id: row.order_id,
            payment: row.reference,
            amount: Money::new(row.amount, row.currency),
            key: row.idempotency_key,
            cancels_order: row.cancels_order,
        };
        let mut tx = pool.begin().await?;
        audit::record(
            &mut tx,
            staff,
            Action::OrderRefund,
            Subject {
                kind: SubjectKind::Order,
                id: &number.to_string(),
            },
            None,
            Some(serde_json::json!({ "refund": row.id, "retry": true })),
        )
        .await?;
        tx.commit().await?;
        send(pool, payments, &asked, Some(staff), public_url).await
    }

    /// Cancels order `number`: one awaiting payment at once (stock back, coupon use
    /// released); a paid one that has not shipped by refunding everything, put back in
    /// stock, which cancels it when the refund succeeds. The customer gets a mail
    /// either way. Needs the orders permission, and for a paid order the refunds one.
    pub async fn cancel(
        pool: &PgPool,
        payments: &Payments,
        staff: &Staff,
        number: i64,
        reason: &str,
        public_url: &str,
    ) -> Result<Option<Refunded>, Error> {
        staff.require(Permission::Orders)?;
        let reason = lifecycle::staff_reason(reason)?;
        let mut tx = pool.begin().await?;
        let order = lock(&mut tx, number).await?;
        let refundable = refundable(&mut tx, order.id).await?;
        match Cancel::offered(order.status, order.fulfilment, &refundable) {
            Some(Cancel::Unpaid) => {
                lifecycle::cancel_unpaid_by_staff_in(&mut tx, staff, order.id, reason, public_url)
                    .await?;
                tx.commit().await?;
                Ok(None)
            }
            Some(Cancel::Refund { .. }) => {
                staff.require(Permission::Refunds)?;
                let plan = refundable.plan(&refundable.everything(reason))?;
                let asked =
                    write(&mut tx, staff, &order, &plan, reason, None, Purpose::Cancel).await?;
                tx.commit().await?;
                send(pool, payments, &asked, Some(staff), public_url)
                    .await
                    .map(Some)
            }
            None if order.fulfilment != FulfilmentState::Unfulfilled => {
                Err(RefundError::Shipped.into())
            }
            None if refundable.waiting => Err(RefundError::Waiting.into()),
            None => Err(RefundError::NotCancellable(order.status).into()),
        }
    }

    /// The provider took refund `refund_id` and will report the end.
    pub(crate) async fn pending(
        conn: &mut PgConnection,
        refund_id: i64,
        reference: &str,
    ) -> Result<(), Error> {
        sqlx::query!(
            "UPDATE refunds SET state = 'pending', reference = coalesce(reference, $2)
             WHERE id = $1 AND state = 'requested'",
            refund_id,
            reference,
        )
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Refund `refund_id` did not happen: it releases what it held. One that had
    /// already ended is left as it is (a late or repeated report).
    pub(crate) async fn fail(
        conn: &mut PgConnection,
        refund_id: i64,
        why: &str,
    ) -> Result<bool, Error> {
        let why: String = why.chars().take(500).collect();
        Ok(sqlx::query!(
            "UPDATE refunds SET state = 'failed', failure = $2, settled_at = now()
             WHERE id = $1 AND state IN ('requested', 'pending')",
            refund_id,
            why,
        )
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1)
    }

    /// Refund `refund_id` succeeded: once, whoever reports it, in the caller's
    /// transaction: the units it puts back go back in stock with their movements, the
    /// order's status and payment state follow (cancelled, for a cancelling refund,
    /// with its coupon use released), its history says so, and the customer's mail is
    /// queued. A refund already settled or failed changes nothing (false).
    pub(crate) async fn settle(
        conn: &mut PgConnection,
        refund_id: i64,
        reference: Option<&str>,
        staff: Option<&Staff>,
        public_url: &str,
    ) -> Result<bool, Error> {
        let number = sqlx::query_scalar!(
            "SELECT o.number FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1",
            refund_id,
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
        let order = lock(conn, number).await?;
        let settled = sqlx::query!(
            r#"UPDATE refunds SET state = 'succeeded', settled_at = now(),
                      reference = coalesce(reference, $2)
               WHERE id = $1 AND state IN ('requested', 'pending')
               RETURNING amount, currency AS "currency: Currency", cancels_order"#,
            refund_id,
            reference,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some(settled) = settled else {
            return Ok(false);
        };
        let amount = Money::new(settled.amount, settled.currency);
        // A cancelling refund cancels an order still paid and unshipped (nothing ships
        // while it waits); anything else it finds, it refunds like any other.
        let cancels = settled.cancels_order && order.status == OrderStatus::Paid;
        restock(conn, refund_id, order.number, staff, cancels).await?;
        crate::orders::returns::refunded(conn, refund_id).await?;
        let totals = sqlx::query!(
            r#"SELECT coalesce(sum(amount), 0) AS "paid!",
                      (SELECT coalesce(sum(amount), 0) FROM refunds
                       WHERE order_id = $1 AND state = 'succeeded') AS "refunded!"
               FROM payments WHERE order_id = $1 AND status = 'succeeded'"#,
            order.id,
        )
        .fetch_one(&mut *conn)
        .await?;
        let state = PaymentState::after_refunds(totals.paid, totals.refunded);
        let whole = state == PaymentState::Refunded;
        let note = format!("Refunded {}", amount.format());
        // Moved as the shop: whoever asked had the permission when they asked (the
        // refund row and the audit log say who), and the money has moved since.
        if cancels {
            transition(
                conn,
                order.id,
                &[OrderStatus::Paid],
                OrderStatus::Cancelled,
                &format!("Cancelled by the shop; {}", note.to_lowercase()),
                By::Shop,
            )
            .await?;
            lifecycle::release_coupon(conn, order.id).await?;
            set_payment_state(conn, order.id, state).await?;
        } else {
            let to = if whole {
                OrderStatus::Refunded
            } else {
                OrderStatus::PartiallyRefunded
            };
            if order.status != to && order.status.can_become(to) {
                transition(conn, order.id, &[order.status], to, &note, By::Shop).await?;
            } else {
                // Money back without a move: another part of a partly refunded order,
                // or money that arrived after the order was cancelled.
                set_payment_state(conn, order.id, state).await?;
                transition::note(conn, order.id, order.status, &note, staff).await?;
            }
        }
        // Units refunded before they shipped need not ship: when the rest has
        // left, the order's parcels are all out.
        sqlx::query!(
            "UPDATE orders o SET fulfilment_state = 'shipped'
             WHERE o.id = $1 AND o.fulfilment_state = 'partially_shipped'
               AND NOT EXISTS (
                   SELECT 1 FROM order_lines l WHERE l.order_id = o.id
                   AND l.quantity > (SELECT coalesce(sum(quantity), 0) FROM shipment_lines
                                     WHERE order_line_id = l.id)
                                  + (SELECT coalesce(sum(rl.unshipped), 0) FROM refund_lines rl
                                     JOIN refunds r ON r.id = rl.refund_id
                                     WHERE rl.order_line_id = l.id AND r.state = 'succeeded'))",
            order.id,
        )
        .execute(&mut *conn)
        .await?;
        if cancels {
            crate::orders::mail::queue_cancelled(conn, order.id, Some(refund_id), public_url)
                .await?;
        } else {
            crate::orders::mail::queue_refunded(conn, order.id, refund_id, public_url).await?;
        }
        Ok(true)
    }

    async fn set_payment_state(
        conn: &mut PgConnection,
        order_id: i64,
        state: PaymentState,
    ) -> Result<(), Error> {
        sqlx::query!(
            "UPDATE orders SET payment_state = $2, updated_at = now() WHERE id = $1",
            order_id,
            state as PaymentState,
        )
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Puts refund `refund_id`'s units marked for it back in stock, a movement per
    /// variant (lines whose stock was not tracked, or whose variant is gone, took
    /// none). Stock rows are locked in variant order, as placing an order takes them.
    async fn restock(
        conn: &mut PgConnection,
        refund_id: i64,
        number: i64,
        staff: Option<&Staff>,
        cancels_order: bool,
    ) -> Result<(), Error> {
        let units = sqlx::query!(
            r#"SELECT l.variant_id AS "variant_id!", sum(rl.quantity)::int AS "units!"
               FROM refund_lines rl JOIN order_lines l ON l.id = rl.order_line_id
               WHERE rl.refund_id = $1 AND rl.restock AND l.stock_taken
                 AND l.variant_id IS NOT NULL
               GROUP BY l.variant_id"#,
            refund_id,
        )
        .fetch_all(&mut *conn)
        .await?;
        let units: Vec<(i64, i32)> = units.into_iter().map(|u| (u.variant_id, u.units)).collect();
        let reason = if cancels_order {
            MovementReason::Cancel
        } else {
            MovementReason::Return
        };
        crate::inventory::store::put_back(
            conn,
            &units,
            reason,
            &format!("Order {number}, refunded"),
            staff,
        )
        .await
    }

    /// A provider's report about a refund (a Stripe webhook).
    #[derive(Debug, Clone)]
    pub struct RefundReport<'a> {
        pub provider: &'static str,
        /// The provider's id for the refund.
        pub reference: &'a str,
        /// The payment it refunds (the provider's reference).
        pub payment: &'a str,
        pub amount: Money,
        pub state: RefundState,
        /// The refund this shop asked for, from the provider's metadata.
        pub refund_id: Option<i64>,
        pub failure: Option<String>,
        pub event_id: &'a str,
    }

    /// What a report did.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Reconciled {
        /// The refund moved (settled, pending, failed).
        Moved(RefundState),
        /// Known, and nothing to change (a replay, a report older than what we know).
        Unchanged,
        /// This event was handled before.
        DuplicateEvent,
        /// A refund made outside the shop (in the provider's dashboard), now recorded.
        Recorded(RefundState),
        /// About no payment of ours.
        Unknown,
    }

    /// Records what a provider says about a refund, once per event: a refund we asked
    /// for settles, waits or fails; one made in the provider's dashboard is recorded
    /// (and settled) as if staff had made it, within the same ceiling. Reports may come
    /// in any order: a refund that ended stays as it ended.
    pub async fn reconcile(
        pool: &PgPool,
        report: &RefundReport<'_>,
        public_url: &str,
    ) -> Result<Reconciled, Error> {
        let mut tx = pool.begin().await?;
        let fresh = sqlx::query!(
            "INSERT INTO webhook_events (provider, event_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            report.provider,
            report.event_id,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if fresh == 0 {
            return Ok(Reconciled::DuplicateEvent);
        }
        let known = sqlx::query!(
            r#"SELECT r.id, r.state AS "state: RefundState" FROM refunds r
               JOIN payments p ON p.id = r.payment_id
               WHERE p.provider = $1 AND (r.reference = $2
                     OR (r.id = $3 AND r.reference IS NULL AND p.reference = $4))
               ORDER BY r.reference IS NULL LIMIT 1"#,
            report.provider,
            report.reference,
            report.refund_id,
            report.payment,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match known {
            Some(known) => {
                let moved = match report.state {
                    RefundState::Succeeded => {
                        settle(&mut tx, known.id, Some(report.reference), None, public_url).await?
                    }
                    RefundState::Pending if known.state == RefundState::Requested => {
                        pending(&mut tx, known.id, report.reference).await?;
                        true
                    }
                    RefundState::Failed => {
                        let failed = fail(
                            &mut tx,
                            known.id,
                            report
                                .failure
                                .as_deref()
                                .unwrap_or("the provider failed it"),
                        )
                        .await?;
                        if !failed && known.state == RefundState::Succeeded {
                            tracing::error!(refund = known.id, reference = report.reference,
                                "the provider failed a refund after it succeeded: the money did not go back; look at it in the provider's dashboard");
                        }
                        failed
                    }
                    _ => false,
                };
                if moved {
                    Reconciled::Moved(report.state)
                } else {
                    Reconciled::Unchanged
                }
            }
            None => record_outside(&mut tx, report, public_url).await?,
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// A refund made in the provider's dashboard, of a payment of ours.
    async fn record_outside(
        conn: &mut PgConnection,
        report: &RefundReport<'_>,
        public_url: &str,
    ) -> Result<Reconciled, Error> {
        let payment = sqlx::query!(
            r#"SELECT p.id, p.order_id, o.number FROM payments p JOIN orders o ON o.id = p.order_id
               WHERE p.provider = $1 AND p.reference = $2 AND p.status = 'succeeded'"#,
            report.provider,
            report.payment,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some(payment) = payment else {
            return Ok(Reconciled::Unknown);
        };
        if report.state == RefundState::Failed || report.amount.is_zero() {
            return Ok(Reconciled::Unchanged);
        }
        lock(conn, payment.number).await?;
        let inserted = sqlx::query_scalar!(
            "INSERT INTO refunds (order_id, payment_id, amount, currency, idempotency_key,
                                  reference, reason)
             VALUES ($1, $2, $3, $4, $5, $6, 'Refunded in the payment provider''s dashboard')
             RETURNING id",
            payment.order_id,
            payment.id,
            report.amount.amount(),
            report.amount.currency() as Currency,
            format!("outside-{}", crate::token::random_hex()),
            report.reference,
        )
        .fetch_one(&mut *conn)
        .await;
        let id = match inserted {
            Ok(id) => id,
            Err(e)
                if matches!(
                    e.as_database_error().and_then(|d| d.constraint()),
                    Some("payments_refund_ceiling" | "refunds_of_payment")
                ) =>
            {
                tracing::error!(reference = report.reference, order = payment.number, error = %e,
                    "the provider reports a refund past what this shop says is left, or in another currency: look at the order");
                return Ok(Reconciled::Unchanged);
            }
            Err(e) => return Err(e.into()),
        };
        if report.state == RefundState::Succeeded {
            settle(conn, id, None, None, public_url).await?;
        } else {
            pending(conn, id, report.reference).await?;
        }
        Ok(Reconciled::Recorded(report.state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("a decimal")
    }

    fn eur(d: Decimal) -> Money {
        Money::new(d, Currency::EUR)
    }

    fn line(id: i64, ordered: u32, paid: Decimal) -> RefundableLine {
        RefundableLine {
            line_id: id,
            name: format!("Item {id}"),
            sku: format!("SKU-{id}"),
            ordered,
            shipped: 0,
            refunded: 0,
            refunded_unshipped: 0,
            paid: eur(paid),
            refunded_amount: eur(Decimal::ZERO),
            held: 0,
        }
    }

    /// Two lines (3 × €10 with a 10 % coupon: €27 paid; 1 × €5: €4.50) and €4.95
    /// shipping: €36.45 paid.
    fn order() -> Refundable {
        Refundable {
            status: OrderStatus::Paid,
            lines: vec![line(1, 3, d("27.00")), line(2, 1, d("4.50"))],
            shipping_left: eur(d("4.95")),
            left: eur(d("36.45")),
            waiting: false,
        }
    }

    fn choice(
        lines: &[(i64, u32)],
        shipping: Option<Decimal>,
        amount: Option<Decimal>,
    ) -> RefundChoice {
        RefundChoice {
            lines: lines.iter().map(|&(l, q)| (l, q, true)).collect(),
            shipping: shipping.map(eur),
            amount: amount.map(eur),
            key: None,
            currency: Currency::EUR,
            reason: "Damaged".to_owned(),
        }
    }

    #[test]
    fn a_line_refunds_its_share_of_what_was_paid_and_its_last_unit_the_rest() {
        let mut l = line(1, 3, d("10.00"));
        assert_eq!(l.value(1), eur(d("3.33")));
        assert_eq!(l.value(2), eur(d("6.67")));
        assert_eq!(l.value(3), eur(d("10.00")));
        l.refunded = 2;
        l.refunded_amount = eur(d("6.66"));
        // The last unit gives back what is left of the line, to the cent.
        assert_eq!(l.value(1), eur(d("3.34")));
        assert_eq!(l.value(0), eur(Decimal::ZERO));
        // Two units refunded for €5 (a €1.66 fee kept): the last unit gives back its
        // share, not the fee.
        l.refunded_amount = eur(d("5.00"));
        assert_eq!(l.value(1), eur(d("3.33")));
    }

    #[test]
    fn a_plan_adds_up_lines_and_shipping_within_what_is_left() {
        let o = order();
        let plan = o.plan(&choice(&[(1, 1)], None, None)).expect("a plan");
        assert_eq!(plan.amount, eur(d("9.00")));
        assert_eq!(
            plan.lines,
            vec![PlanLine {
                line: 1,
                units: 1,
                restock: true,
                amount: eur(d("9.00")),
                unshipped: 1
            }]
        );
        let plan = o
            .plan(&choice(&[(2, 1)], Some(d("4.95")), None))
            .expect("a plan");
        assert_eq!(plan.amount, eur(d("9.45")));
        assert_eq!(plan.shipping, eur(d("4.95")));
        // An amount alone, or a typed amount for chosen units (a goodwill part).
        assert_eq!(
            o.plan(&choice(&[], None, Some(d("5"))))
                .expect("a plan")
                .amount,
            eur(d("5.00"))
        );
        assert_eq!(
            o.plan(&choice(&[(1, 1)], None, Some(d("2"))))
                .expect("a plan")
                .amount,
            eur(d("2.00"))
        );
        // A typed amount below the shipping chosen: the shipping's part is that amount.
        let small = o
            .plan(&choice(&[], Some(d("4.95")), Some(d("2.00"))))
            .expect("a plan");
        assert_eq!(
            (small.amount, small.shipping),
            (eur(d("2.00")), eur(d("2.00")))
        );
        // Below the value of units and shipping: each part gives back its share.
        let half = o
            .plan(&choice(&[(2, 1)], Some(d("4.95")), Some(d("4.70"))))
            .expect("a plan");
        assert_eq!(half.amount, eur(d("4.70")));
        assert_eq!(half.lines[0].amount, eur(d("2.24")));
        assert_eq!(half.shipping, eur(d("2.46")));
        // Everything: exactly what is left.
        let all = o.plan(&o.everything("Cancelled")).expect("a plan");
        assert_eq!(all.amount, eur(d("36.45")));
        assert_eq!(all.lines.len(), 2);
    }

    #[test]
    fn a_plan_refuses_more_than_is_left_in_units_shipping_or_money() {
        let mut o = order();
        assert_eq!(
            o.plan(&choice(&[(1, 4)], None, None)),
            Err(RefundError::TooManyUnits {
                name: "Item 1".into(),
                left: 3
            })
        );
        assert!(matches!(
            o.plan(&choice(&[], Some(d("5.00")), None)),
            Err(RefundError::TooMuchShipping { .. })
        ));
        assert!(matches!(
            o.plan(&choice(&[], None, Some(d("36.46")))),
            Err(RefundError::TooMuch { .. })
        ));
        assert_eq!(
            o.plan(&choice(&[(99, 1)], None, None)),
            Err(RefundError::UnknownLine)
        );
        o.waiting = true;
        assert_eq!(
            o.plan(&choice(&[(1, 1)], None, None)),
            Err(RefundError::Waiting)
        );
        o.waiting = false;
        o.left = eur(Decimal::ZERO);
        assert_eq!(
            o.plan(&choice(&[(1, 1)], None, None)),
            Err(RefundError::NothingLeft)
        );
        o.left = eur(d("1"));
        o.status = OrderStatus::PendingPayment;
        assert_eq!(
            o.plan(&choice(&[(1, 1)], None, None)),
            Err(RefundError::NotPaid(OrderStatus::PendingPayment))
        );
        // The "everything" rule: units and shipping all chosen after a typed amount
        // took less than their value refund their value, not all that is left.
        let mut after_goodwill = order();
        after_goodwill.lines[0].refunded = 3;
        after_goodwill.lines[0].refunded_amount = eur(d("1.00"));
        after_goodwill.left = eur(d("35.45"));
        let rest = after_goodwill
            .plan(&choice(&[(2, 1)], Some(d("4.95")), None))
            .expect("a plan");
        assert_eq!(rest.amount, eur(d("9.45")));
    }

    fn row(id: &str, quantity: &str, restock: bool) -> RefundLineForm {
        RefundLineForm {
            id: id.into(),
            quantity: quantity.into(),
            restock: restock.then(|| "on".into()),
        }
    }

    #[test]
    fn a_refund_form_reads_units_restock_shipping_amount_and_currency() {
        let parsed = RefundChoice::parse(
            &[
                row("7", "2", true),
                row("8", "0", true),
                row("9", "", false),
                row("10", "1", false),
            ],
            "4.95",
            "",
            "EUR",
            "  Broken in transit ",
            "",
        )
        .expect("parsed");
        assert_eq!(parsed.lines, vec![(7, 2, true), (10, 1, false)]);
        assert_eq!(parsed.shipping, Some(eur(d("4.95"))));
        assert_eq!(parsed.amount, None);
        assert_eq!(parsed.reason, "Broken in transit");
        // Nothing, or only zeros: refused, never a refund of nothing.
        for (lines, shipping, amount) in
            [(vec![], "", ""), (vec![row("7", "0", true)], "0", "0.00")]
        {
            assert!(matches!(
                RefundChoice::parse(&lines, shipping, amount, "EUR", "", ""),
                Err(crate::Error::Rule(crate::error::Rule::Refund(
                    RefundError::Nothing
                )))
            ));
        }
        // Another currency is refused, not converted; a made-up one is no currency.
        let dollars = RefundChoice::parse(&[], "", "5", "USD", "", "").expect("parsed");
        assert_eq!(
            order().plan(&dollars),
            Err(RefundError::WrongCurrency {
                paid: "EUR".into(),
                asked: "USD".into()
            })
        );
        assert!(RefundChoice::parse(&[], "", "5", "XXX", "", "").is_err());
        for bad in ["-1", "1.555", "abc", "1e3"] {
            assert!(
                matches!(
                    RefundChoice::parse(&[], "", bad, "EUR", "", ""),
                    Err(crate::Error::Fields(_))
                ),
                "{bad}"
            );
        }
        for bad in ["-1", "1.5", "100", "x"] {
            assert!(
                matches!(
                    RefundChoice::parse(&[row("7", bad, true)], "", "", "EUR", "", ""),
                    Err(crate::Error::Fields(_))
                ),
                "{bad}"
            );
        }
        assert!(RefundChoice::parse(
            &[row("7", "1", true), row("7", "1", true)],
            "",
            "",
            "EUR",
            "",
            ""
        )
        .is_err());
        assert!(RefundChoice::parse(&[], "", "1", "EUR", &"x".repeat(501), "").is_err());
    }

    #[test]
    fn cancelling_is_offered_before_anything_shipped() {
        use crate::orders::FulfilmentState as F;
        let o = order();
        assert_eq!(
            Cancel::offered(OrderStatus::PendingPayment, F::Unfulfilled, &o),
            Some(Cancel::Unpaid)
        );
        assert_eq!(
            Cancel::offered(OrderStatus::Paid, F::Unfulfilled, &o),
            Some(Cancel::Refund {
                refund: eur(d("36.45"))
            })
        );
        assert_eq!(
            Cancel::offered(OrderStatus::Paid, F::PartiallyShipped, &o),
            None
        );
        assert_eq!(
            Cancel::offered(OrderStatus::Fulfilled, F::Shipped, &o),
            None
        );
        assert_eq!(
            Cancel::offered(OrderStatus::Cancelled, F::Unfulfilled, &o),
            None
        );
        let waiting = Refundable {
            waiting: true,
            ..order()
        };
        assert_eq!(
            Cancel::offered(OrderStatus::Paid, F::Unfulfilled, &waiting),
            None
        );
    }

    #[test]
    fn units_a_return_holds_are_refunded_only_through_the_return() {
        let mut o = order();
        if let Some(l) = o.lines.first_mut() {
            l.held = 2;
        }
        assert_eq!(
            o.plan(&choice(&[(1, 2)], None, None)),
            Err(RefundError::HeldByReturn {
                name: "Item 1".to_owned(),
                held: 2
            })
        );
        // The one unit no return holds may be refunded by the form.
        assert_eq!(
            o.plan(&choice(&[(1, 1)], None, None)).map(|p| p.amount),
            Ok(eur(d("9.00")))
        );
        // The return's own refund takes its units.
        assert_eq!(
            o.plan_return(&choice(&[(1, 2)], None, None))
                .map(|p| p.amount),
            Ok(eur(d("18.00")))
        );
    }
}
