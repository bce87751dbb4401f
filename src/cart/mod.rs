//! The cart: what a shopper means to buy, re-checked against the catalog every time it
//! is shown. Totals are computed here, from database prices, never taken from a request.

pub mod coupon;
#[cfg(feature = "server")]
pub mod coupons;
pub mod discounts;
#[cfg(feature = "server")]
pub mod store;

use coupon::AppliedCoupon;

use crate::catalog::view::Image;
use crate::{Currency, Money};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How many of one variant a cart line may hold, whatever the stock.
pub const MAX_PER_LINE: u32 = 99;

/// How many different variants one cart may hold: far more than a shopper fills, few
/// enough that a script cannot make every cart view and checkout price thousands of
/// lines.
pub const MAX_LINES: u32 = 50;

/// A quantity a shopper asked for: a whole number from 1 to [`MAX_PER_LINE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Quantity(u32);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum QuantityError {
    #[error("Enter the quantity as a whole number, such as 1 or 2.")]
    NotANumber,
    #[error("The quantity must be at least 1. To take an item out, use Remove.")]
    TooFew,
    #[error("You can buy at most 99 of one item at a time.")]
    TooMany,
}

impl Quantity {
    pub fn new(n: u32) -> Result<Quantity, QuantityError> {
        match n {
            0 => Err(QuantityError::TooFew),
            n if n > MAX_PER_LINE => Err(QuantityError::TooMany),
            n => Ok(Quantity(n)),
        }
    }

    /// Reads a form field: surrounding spaces are fine, anything but digits (and a sign)
    /// is not a number.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        let s = s.trim();
        if s.is_empty() || s.len() > 20 {
            return Err(if s.is_empty() {
                QuantityError::NotANumber
            } else if s.starts_with('-') {
                QuantityError::TooFew
            } else if s.bytes().all(|b| b.is_ascii_digit()) {
                QuantityError::TooMany
            } else {
                QuantityError::NotANumber
            });
        }
        match s.parse::<i64>() {
            Ok(n) if n < 1 => Err(QuantityError::TooFew),
            Ok(n) => Quantity::new(u32::try_from(n).unwrap_or(u32::MAX)),
            Err(_) => Err(QuantityError::NotANumber),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// One line of the cart as shown: a variant, how many, and at what price now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub id: i64,
    pub product_slug: String,
    pub variant_id: i64,
    pub name: String,
    /// The variant's option values ("M / Sage"); empty for a product without options.
    pub variant_label: String,
    pub sku: String,
    pub image: Option<Image>,
    pub unit_price: Money,
    pub quantity: u32,
    /// Units that can be bought now (the most the quantity can be raised to).
    pub available: u32,
}

impl CartLine {
    pub fn total(&self) -> Money {
        // A line holds at most 99 units of a numeric(12,2) price: this cannot overflow.
        self.unit_price
            .times(self.quantity)
            .unwrap_or_else(|_| Money::zero(self.unit_price.currency()))
    }
}

/// Why an item could not go into the cart, or change there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CartError {
    #[error("That product is no longer sold, so it could not be added.")]
    NoLongerSold,
    #[error("{name} has just sold out, so it could not be added.")]
    SoldOut { name: String },
    #[error("{name} is no longer available, so its quantity cannot change.")]
    Unavailable { name: String },
    #[error("A cart holds at most {max} different items. Check out or remove one first.", max = MAX_LINES)]
    TooManyLines,
}

/// What changed in a cart since the shopper last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    PriceChanged {
        name: String,
        was: Money,
        now: Money,
    },
    QuantityLowered {
        name: String,
        to: u32,
    },
    SoldOut {
        name: String,
    },
    NoLongerSold {
        name: String,
    },
    /// The coupon no longer applies (ended, used up) and was taken off; says why.
    CouponRemoved {
        reason: coupon::CouponError,
    },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::PriceChanged { name, was, now } if now.amount() > was.amount() => write!(
                f,
                "The price of {name} went up from {} to {}.",
                was.format(),
                now.format()
            ),
            Notice::PriceChanged { name, was, now } => write!(
                f,
                "Good news: the price of {name} went down from {} to {}.",
                was.format(),
                now.format()
            ),
            Notice::QuantityLowered { name, to } => {
                write!(f, "Only {to} of {name} left, so your cart now holds {to}.")
            }
            Notice::SoldOut { name } => {
                write!(f, "{name} has sold out and was taken out of your cart.")
            }
            Notice::NoLongerSold { name } => {
                write!(
                    f,
                    "{name} is no longer sold and was taken out of your cart."
                )
            }
            Notice::CouponRemoved { reason } => {
                write!(f, "{reason} It was taken off your cart.")
            }
        }
    }
}

/// The cart as shown, after re-checking every line against the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    /// What changed since the shopper last saw the cart; each is said once.
    pub notices: Vec<Notice>,
    pub currency: Currency,
    /// The coupon on the cart, when it applies.
    pub coupon: Option<AppliedCoupon>,
    /// A coupon kept on the cart that does not apply yet (the subtotal is below its
    /// minimum).
    pub coupon_waiting: Option<WaitingCoupon>,
}

/// A coupon kept on a cart that does not apply yet, and why (what to add).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingCoupon {
    pub code: String,
    pub why: coupon::CouponError,
}

impl CartView {
    pub fn empty(currency: Currency) -> CartView {
        CartView {
            lines: Vec::new(),
            notices: Vec::new(),
            currency,
            coupon: None,
            coupon_waiting: None,
        }
    }

    /// The sum of the lines.
    pub fn subtotal(&self) -> Money {
        self.lines
            .iter()
            .map(CartLine::total)
            .try_fold(Money::zero(self.currency), Money::checked_add)
            .unwrap_or_else(|_| Money::zero(self.currency))
    }

    /// What the coupon takes off the subtotal (zero without one).
    pub fn discount(&self) -> Money {
        self.coupon
            .as_ref()
            .map(|c| c.discount)
            .unwrap_or_else(|| Money::zero(self.currency))
    }

    /// The subtotal less the discount, before shipping and tax; never negative.
    pub fn total(&self) -> Money {
        let subtotal = self.subtotal();
        subtotal
            .checked_sub(self.discount().min(subtotal).unwrap_or(subtotal))
            .unwrap_or(subtotal)
    }

    /// Units in the cart, for the header's badge.
    pub fn item_count(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
}

/// The result of adding to the cart, for the message under the button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Added {
    pub name: String,
    /// Units of this variant now in the cart.
    pub in_cart: u32,
    /// True when fewer were added than asked, because of the stock or the line limit.
    pub capped: bool,
    pub item_count: u32,
}

impl fmt::Display for Added {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.capped {
            write!(
                f,
                "Your cart now holds {} of {}, as many as we can sell you.",
                self.in_cart, self.name
            )
        } else {
            write!(f, "Added {} to your cart.", self.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_whole_numbers_from_1_to_99() {
        assert_eq!(Quantity::parse(" 3 ").map(Quantity::get), Ok(3));
        assert_eq!(Quantity::parse("99").map(Quantity::get), Ok(99));
        assert_eq!(Quantity::parse("0"), Err(QuantityError::TooFew));
        assert_eq!(Quantity::parse("-2"), Err(QuantityError::TooFew));
        assert_eq!(Quantity::parse("100"), Err(QuantityError::TooMany));
        assert_eq!(
            Quantity::parse("99999999999999999999999"),
            Err(QuantityError::TooMany)
        );
        assert_eq!(
            Quantity::parse("-99999999999999999999999"),
            Err(QuantityError::TooFew)
        );
        for bad in ["", "abc", "1.5", "2e3", "½", "1 2", "0x10"] {
            assert_eq!(
                Quantity::parse(bad),
                Err(QuantityError::NotANumber),
                "{bad}"
            );
        }
    }

    fn line(price: i64, quantity: u32) -> CartLine {
        CartLine {
            id: 1,
            product_slug: "tee".into(),
            variant_id: 1,
            name: "Tee".into(),
            variant_label: String::new(),
            sku: "TEE".into(),
            image: None,
            unit_price: Money::from_minor(price, Currency::EUR),
            quantity,
            available: 10,
        }
    }

    #[test]
    fn the_subtotal_is_the_sum_of_unit_price_times_quantity() {
        let mut cart = CartView {
            lines: vec![line(1999, 3), line(500, 1)],
            ..CartView::empty(Currency::EUR)
        };
        assert_eq!(cart.subtotal(), Money::from_minor(6497, Currency::EUR));
        assert_eq!(cart.total(), Money::from_minor(6497, Currency::EUR));
        assert_eq!(cart.item_count(), 4);
        assert!(CartView::empty(Currency::EUR).subtotal().is_zero());

        // A coupon's discount comes off the total, which never goes below zero.
        let applied = |cents| coupon::AppliedCoupon {
            code: "SAVE".into(),
            label: "€5.00 off".into(),
            discount: Money::from_minor(cents, Currency::EUR),
            free_shipping: false,
        };
        cart.coupon = Some(applied(500));
        assert_eq!(cart.discount(), Money::from_minor(500, Currency::EUR));
        assert_eq!(cart.total(), Money::from_minor(5997, Currency::EUR));
        cart.coupon = Some(applied(1_000_000));
        assert!(cart.total().is_zero());
    }

    #[test]
    fn notices_say_what_changed() {
        let eur = |c| Money::from_minor(c, Currency::EUR);
        let up = Notice::PriceChanged {
            name: "Tee".into(),
            was: eur(1000),
            now: eur(1200),
        };
        assert_eq!(
            up.to_string(),
            "The price of Tee went up from €10.00 to €12.00."
        );
        let down = Notice::PriceChanged {
            name: "Tee".into(),
            was: eur(1200),
            now: eur(1000),
        };
        assert!(down.to_string().contains("went down"));
        assert_eq!(
            Notice::QuantityLowered {
                name: "Tee".into(),
                to: 2
            }
            .to_string(),
            "Only 2 of Tee left, so your cart now holds 2."
        );
    }
}
