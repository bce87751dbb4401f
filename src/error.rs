//! The domain's error type. Each area's rule carries its own typed error as a value
//! (an account's, a coupon's, a checkout's, …), with the words a shopper reads; faults
//! that no input explains are [`Error::Internal`], database trouble is
//! [`Error::Database`]. The web layer maps them once to a status and a page.

use crate::accounts::address::AddressError;
use crate::accounts::AccountError;
use crate::cart::coupon::CouponError;
use crate::cart::{CartError, QuantityError};
use crate::checkout::CheckoutError;
use crate::orders::TransitionError;
use crate::payments::PaymentError;

/// Everything a domain service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or is not visible to the asker).
    #[error("not found")]
    NotFound,
    /// A form broke rules field by field; each message belongs next to its field.
    #[error("{0}")]
    Fields(FieldErrors),
    /// Input broke one of the shop's rules; says which, and what to do.
    #[error("{0}")]
    Rule(Rule),
    /// The payment provider could not be reached or failed; nothing was charged. The
    /// detail is for the logs only.
    #[error("payment service: {0}")]
    PaymentService(String),
    /// Too much of the shop's capacity is taken already (password hashing); try again
    /// in a few seconds.
    #[error("busy")]
    Busy,
    /// A staff member's permissions do not cover this.
    #[error("{0}")]
    NotPermitted(crate::admin::Missing),
    /// This client (or account) tried too often; it may try again after the wait.
    #[error("too many attempts; wait {wait_secs} s")]
    TooManyAttempts { wait_secs: u32 },
    /// A fault on our side that no input explains (hashing failed, an amount overflowed).
    /// The detail is for the logs only.
    #[error("internal: {0}")]
    Internal(String),
    /// The database refused or could not be reached. The detail is for the logs only.
    #[cfg(feature = "server")]
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<crate::admin::Missing> for Error {
    fn from(missing: crate::admin::Missing) -> Self {
        Error::NotPermitted(missing)
    }
}

/// A rule of the shop that input broke, by area, with the words a shopper reads. Crosses
/// to the browser as it is: pages match on it (a sold-out line, an expired order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
pub enum Rule {
    #[error("{0}")]
    Account(AccountError),
    #[error("{0}")]
    Address(AddressError),
    #[error("{0}")]
    Cart(CartError),
    #[error("{0}")]
    Quantity(QuantityError),
    #[error("{0}")]
    Coupon(CouponError),
    #[error("{0}")]
    Checkout(CheckoutError),
    #[error("{0}")]
    Payment(PaymentError),
    /// A move of an order's status the rules do not allow, or that someone else made
    /// first (the order is no longer where it was).
    #[error("{0}")]
    Transition(TransitionError),
    #[error("{0}")]
    Staff(crate::accounts::staff::StaffError),
    /// A catalog change the rules refuse (a stale product save, a category in use).
    #[error("{0}")]
    Catalog(crate::catalog::edit::CatalogError),
    /// A shipment the order cannot take (not paid, more units than are left).
    #[error("{0}")]
    Ship(crate::orders::fulfil::ShipError),
    /// A refund or cancellation the order cannot take (more than is left, nothing
    /// chosen, the provider refused).
    #[error("{0}")]
    Refund(crate::orders::refund::RefundError),
    /// A return, or a step of one, the order cannot take (not delivered, outside the
    /// window, already returned).
    #[error("{0}")]
    Return(crate::orders::returns::ReturnError),
    /// A step on a customer's account the rules refuse (not an administrator, an
    /// anonymised account, too many reset mails).
    #[error("{0}")]
    Customer(crate::accounts::customers::CustomerError),
    /// A coupon change staff cannot make (a stale save, a deleted coupon).
    #[error("{0}")]
    Discount(crate::cart::discounts::DiscountError),
    /// A shipping or tax change staff cannot make (a stale save, a row deleted meanwhile).
    #[error("{0}")]
    Settings(crate::checkout::rates::SettingsError),
}

/// Each area's error is a [`Rule`], and so an [`Error`]: `?` lifts it.
macro_rules! rules {
    ($($area:ident($ty:ty)),* $(,)?) => {$(
        impl From<$ty> for Rule {
            fn from(e: $ty) -> Self {
                Rule::$area(e)
            }
        }

        impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Error::Rule(Rule::$area(e))
            }
        }
    )*};
}

rules!(
    Account(AccountError),
    Address(AddressError),
    Cart(CartError),
    Quantity(QuantityError),
    Coupon(CouponError),
    Checkout(CheckoutError),
    Payment(PaymentError),
    Transition(TransitionError),
    Staff(crate::accounts::staff::StaffError),
    Catalog(crate::catalog::edit::CatalogError),
    Ship(crate::orders::fulfil::ShipError),
    Refund(crate::orders::refund::RefundError),
    Return(crate::orders::returns::ReturnError),
    Customer(crate::accounts::customers::CustomerError),
    Discount(crate::cart::discounts::DiscountError),
    Settings(crate::checkout::rates::SettingsError),
);

impl Error {
    pub fn internal(detail: impl Into<String>) -> Error {
        Error::Internal(detail.into())
    }

    /// A form error about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Error {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        Error::Fields(errors)
    }

    /// The answer to an attempt a rate limit refused.
    #[cfg(feature = "server")]
    pub fn wait(wait: crate::limits::Wait) -> Error {
        Error::TooManyAttempts { wait_secs: wait.0 }
    }

    /// True when the fault is passing (the database is down or saturated), so the shopper
    /// should simply try again in a moment.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::NotFound
            | Error::Fields(_)
            | Error::Rule(_)
            | Error::TooManyAttempts { .. }
            | Error::NotPermitted(_)
            | Error::Internal(_) => false,
            Error::PaymentService(_) | Error::Busy => true,
            #[cfg(feature = "server")]
            Error::Database(e) => match e {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed => true,
                // Transient by Postgres's own account: a deadlock or serialization
                // failure (the transaction was rolled back; trying again succeeds), a
                // row another transaction holds (`NOWAIT`), too many connections, or a
                // server shutting down.
                sqlx::Error::Database(db) => matches!(
                    db.code().as_deref(),
                    Some("40P01" | "40001" | "55P03" | "53300" | "57P01" | "57P02" | "57P03")
                ),
                _ => false,
            },
        }
    }
}

/// A wait in words, for messages: "1 second", "40 seconds", "3 minutes".
pub fn wait_in_words(secs: u32) -> String {
    match secs {
        1 => "1 second".to_owned(),
        s if s < 120 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

/// What is wrong with a form, field by field, in the order of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// The form field's `name`.
    pub field: String,
    pub message: String,
}

impl FieldErrors {
    /// Records a problem with `field`; only the first one per field is kept.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push(FieldError {
                field: field.to_owned(),
                message: message.into(),
            });
        }
    }

    /// The message for `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` when nothing was wrong.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Please check the form:")?;
        for e in &self.0 {
            write!(f, " {}", e.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_words() {
        assert_eq!(wait_in_words(1), "1 second");
        assert_eq!(wait_in_words(2), "2 seconds");
        assert_eq!(wait_in_words(119), "119 seconds");
        assert_eq!(wait_in_words(900), "15 minutes");
        assert_eq!(wait_in_words(901), "16 minutes");
    }
}
