//! Orders: their status and the moves allowed between statuses, and how pages see them.

pub mod fulfil;
#[cfg(feature = "server")]
pub mod generate;
#[cfg(feature = "server")]
pub mod lifecycle;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod read;
pub mod refund;
pub mod returns;
pub mod staff;
#[cfg(feature = "server")]
pub mod transition;

use crate::accounts::address::Address;
use crate::checkout::totals::Totals;
use crate::Money;
use serde::{Deserialize, Serialize};
use std::fmt;

crate::text_enum! {
    /// Where an order is in its life.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum OrderStatus {
        PendingPayment = "pending_payment",
        Paid = "paid",
        Fulfilled = "fulfilled",
        Delivered = "delivered",
        Cancelled = "cancelled",
        Refunded = "refunded",
        PartiallyRefunded = "partially_refunded",
    }
}

/// A move the rules do not allow (e.g. shipping an unpaid order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("An order that is {from} cannot become {to}.")]
pub struct TransitionError {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

impl OrderStatus {
    /// Whether the rules allow moving from `self` to `to`:
    /// pending payment → paid → fulfilled → delivered; pending payment → cancelled;
    /// paid → cancelled (with a refund); paid, fulfilled or delivered → refunded or
    /// partially refunded (a return is refunded after delivery); partially refunded →
    /// refunded.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (PendingPayment, Paid)
                | (PendingPayment, Cancelled)
                | (Paid, Fulfilled)
                | (Paid, Cancelled)
                | (Paid, Refunded)
                | (Paid, PartiallyRefunded)
                | (Fulfilled, Delivered)
                | (Fulfilled, Refunded)
                | (Fulfilled, PartiallyRefunded)
                | (Delivered, Refunded)
                | (Delivered, PartiallyRefunded)
                | (PartiallyRefunded, Refunded)
        )
    }

    /// The status as shoppers read it.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "Awaiting payment",
            OrderStatus::Paid => "Paid",
            OrderStatus::Fulfilled => "Shipped",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Refunded => "Refunded",
            OrderStatus::PartiallyRefunded => "Partly refunded",
        }
    }
}

crate::text_enum! {
    /// Where an order's money stands (`orders.payment_state`), apart from its status: a
    /// shipped order that is then partly refunded is both.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum PaymentState {
        Unpaid = "unpaid",
        Paid = "paid",
        PartiallyRefunded = "partially_refunded",
        Refunded = "refunded",
        /// Cancelled before anyone paid: nothing is owed either way.
        Void = "void",
    }
}

impl PaymentState {
    /// Where the money of an order that took `paid` stands once `refunded` of it went
    /// back: refunded when all of it did, partly refunded when some did, paid
    /// otherwise.
    pub fn after_refunds(
        paid: rust_decimal::Decimal,
        refunded: rust_decimal::Decimal,
    ) -> PaymentState {
        if refunded <= rust_decimal::Decimal::ZERO {
            PaymentState::Paid
        } else if refunded >= paid {
            PaymentState::Refunded
        } else {
            PaymentState::PartiallyRefunded
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentState::Unpaid => "Unpaid",
            PaymentState::Paid => "Paid",
            PaymentState::PartiallyRefunded => "Partly refunded",
            PaymentState::Refunded => "Refunded",
            PaymentState::Void => "Void",
        }
    }
}

crate::text_enum! {
    /// Where an order's parcels stand (`orders.fulfilment_state`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum FulfilmentState {
        Unfulfilled = "unfulfilled",
        /// Some lines are on their way, others still to ship.
        PartiallyShipped = "partially_shipped",
        Shipped = "shipped",
        Delivered = "delivered",
    }
}

impl FulfilmentState {
    pub fn label(self) -> &'static str {
        match self {
            FulfilmentState::Unfulfilled => "Not shipped",
            FulfilmentState::PartiallyShipped => "Partly shipped",
            FulfilmentState::Shipped => "Shipped",
            FulfilmentState::Delivered => "Delivered",
        }
    }
}

impl OrderStatus {
    /// Where the money stands once an order has moved from `from` to this status, when
    /// the move says so: a cancellation before payment is void; cancelling a paid order
    /// leaves the money as it is until its refund says otherwise (cancelling and
    /// refunding are separate steps).
    pub fn payment_state_after(self, from: OrderStatus) -> Option<PaymentState> {
        match (from, self) {
            (_, OrderStatus::Paid) => Some(PaymentState::Paid),
            (_, OrderStatus::Refunded) => Some(PaymentState::Refunded),
            (_, OrderStatus::PartiallyRefunded) => Some(PaymentState::PartiallyRefunded),
            (OrderStatus::PendingPayment, OrderStatus::Cancelled) => Some(PaymentState::Void),
            (
                _,
                OrderStatus::Cancelled
                | OrderStatus::PendingPayment
                | OrderStatus::Fulfilled
                | OrderStatus::Delivered,
            ) => None,
        }
    }

    /// Where the parcels stand once an order has moved to this status, when the status
    /// alone says so (shipping some of the lines leaves the status paid).
    pub fn fulfilment_state(self) -> Option<FulfilmentState> {
        match self {
            OrderStatus::Fulfilled => Some(FulfilmentState::Shipped),
            OrderStatus::Delivered => Some(FulfilmentState::Delivered),
            _ => None,
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label().to_lowercase())
    }
}

/// An order to be paid, as a payment provider needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payable {
    pub order_id: i64,
    pub number: i64,
    pub amount: Money,
}

/// The path of an order's page that shows it to whoever holds its key (the link in the
/// confirmation mail, and where checkout lands).
pub fn keyed_page(number: i64, access_key: &str) -> String {
    format!("/orders/{number}?key={access_key}")
}

/// The number shoppers and staff quote ("order 10042"), from a sequence; never the
/// internal id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrderNumber(pub i64);

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An order as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: i64,
    pub number: OrderNumber,
    pub status: OrderStatus,
    pub email: String,
    /// When it was placed ("23 November 2026, 14:05").
    pub placed: String,
    pub lines: Vec<OrderLine>,
    pub totals: Totals,
    pub coupon_code: Option<String>,
    pub shipping_method: String,
    pub shipping_address: Option<Address>,
    /// The status history, oldest first.
    pub events: Vec<OrderEvent>,
    /// The parcels that left, oldest first.
    pub shipments: Vec<fulfil::Shipment>,
    /// Money given back (or on its way back), oldest first.
    pub refunds: Vec<refund::Refund>,
    /// Returns asked for, oldest first.
    pub returns: Vec<returns::Return>,
    /// What the customer may return now: filled in for the customer's order page
    /// (`read::order`), `None` elsewhere (staff's pages, mails).
    pub return_offer: Option<returns::ReturnOffer>,
    /// For the guest's link; shown only to whoever may see the order anyway.
    pub access_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub name: String,
    pub sku: String,
    pub unit_price: Money,
    pub quantity: u32,
    pub line_total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub status: OrderStatus,
    pub note: String,
    pub at: String,
}

/// A line of the order history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub number: OrderNumber,
    pub status: OrderStatus,
    pub placed: String,
    pub total: Money,
    pub items: u32,
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn orders_move_only_along_the_allowed_edges() {
        let allowed = [
            (PendingPayment, Paid),
            (PendingPayment, Cancelled),
            (Paid, Fulfilled),
            (Paid, Cancelled),
            (Paid, Refunded),
            (Paid, PartiallyRefunded),
            (Fulfilled, Delivered),
            (Fulfilled, Refunded),
            (Fulfilled, PartiallyRefunded),
            (Delivered, Refunded),
            (Delivered, PartiallyRefunded),
            (PartiallyRefunded, Refunded),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
        assert_eq!(
            TransitionError {
                from: Fulfilled,
                to: PendingPayment
            }
            .to_string(),
            "An order that is shipped cannot become awaiting payment."
        );
    }

    #[test]
    fn the_money_is_refunded_when_all_of_it_went_back() {
        use rust_decimal::Decimal;
        let d = |s: &str| s.parse::<Decimal>().expect("a decimal");
        assert_eq!(
            PaymentState::after_refunds(d("10"), d("0")),
            PaymentState::Paid
        );
        assert_eq!(
            PaymentState::after_refunds(d("10"), d("0.01")),
            PaymentState::PartiallyRefunded
        );
        assert_eq!(
            PaymentState::after_refunds(d("10"), d("10")),
            PaymentState::Refunded
        );
    }

    #[test]
    fn ended_orders_go_nowhere_and_nothing_stays_in_place() {
        // A delivered order may still be refunded (a return), and nothing else.
        assert!(OrderStatus::ALL
            .iter()
            .all(|to| !Delivered.can_become(*to) || matches!(to, Refunded | PartiallyRefunded)));
        for end in [Cancelled, Refunded] {
            assert!(
                OrderStatus::ALL.iter().all(|to| !end.can_become(*to)),
                "{end:?}"
            );
        }
        assert!(OrderStatus::ALL.iter().all(|s| !s.can_become(*s)));
    }

    #[test]
    fn each_move_says_where_the_money_and_the_parcels_stand() {
        use super::{FulfilmentState as F, PaymentState as P};
        assert_eq!(Paid.payment_state_after(PendingPayment), Some(P::Paid));
        assert_eq!(Cancelled.payment_state_after(PendingPayment), Some(P::Void));
        assert_eq!(Cancelled.payment_state_after(Paid), None);
        assert_eq!(Refunded.payment_state_after(Fulfilled), Some(P::Refunded));
        assert_eq!(
            PartiallyRefunded.payment_state_after(Paid),
            Some(P::PartiallyRefunded)
        );
        // Every allowed move into a paid or refunded status says so; none says void but
        // a cancel before payment.
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL
                .into_iter()
                .filter(|to| from.can_become(*to))
            {
                let after = to.payment_state_after(from);
                match to {
                    Paid => assert_eq!(after, Some(P::Paid)),
                    Refunded => assert_eq!(after, Some(P::Refunded)),
                    PartiallyRefunded => assert_eq!(after, Some(P::PartiallyRefunded)),
                    Cancelled if from == PendingPayment => assert_eq!(after, Some(P::Void)),
                    _ => assert_eq!(after, None, "{from:?} → {to:?}"),
                }
            }
        }
        // Shipping and delivery leave the money as it was.
        assert_eq!(Fulfilled.payment_state_after(Paid), None);
        assert_eq!(Delivered.payment_state_after(Fulfilled), None);
        assert_eq!(Fulfilled.fulfilment_state(), Some(F::Shipped));
        assert_eq!(Delivered.fulfilment_state(), Some(F::Delivered));
        assert_eq!(Refunded.fulfilment_state(), None);
    }

    #[test]
    fn statuses_round_trip_through_their_database_spelling() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("shipped"), None);
    }
}
