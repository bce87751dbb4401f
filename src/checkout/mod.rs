//! Checkout: where an order ships and how, what it costs, and placing it.

#[cfg(feature = "server")]
pub mod place;
pub mod rates;
#[cfg(feature = "server")]
pub mod session;
#[cfg(feature = "server")]
pub mod shipping;
pub mod totals;

use crate::accounts::address::{Address, AddressInput};
use crate::accounts::Email;
use crate::cart::coupon::AppliedCoupon;
use crate::error::FieldErrors;
use crate::Money;
use serde::{Deserialize, Serialize};
use totals::{ShippingCharge, Totals};

/// A way to ship to the shopper's country, with its price and how long it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOption {
    pub id: i64,
    pub name: String,
    pub price: Money,
    /// Free when the discounted subtotal reaches this.
    pub free_over: Option<Money>,
    pub min_days: u32,
    pub max_days: u32,
}

impl ShippingOption {
    pub fn charge(&self) -> ShippingCharge {
        ShippingCharge {
            price: self.price,
            free_over: self.free_over,
        }
    }

    /// "Arrives in 2–4 working days".
    pub fn estimate(&self) -> String {
        rates::estimate(self.min_days, self.max_days)
    }
}

/// One line as it will be ordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub variant_id: i64,
    pub sku: String,
    /// "Product (M / Sage)".
    pub name: String,
    pub unit_price: Money,
    pub quantity: u32,
    pub line_total: Money,
}

/// What the shopper reviews before paying: exactly what placing the order will charge,
/// unless something changes in between (then placing refuses and says what).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub lines: Vec<QuoteLine>,
    pub coupon: Option<AppliedCoupon>,
    pub shipping: ShippingOption,
    /// The tax's name at the destination ("VAT", "GST"), if any.
    pub tax_name: Option<String>,
    pub totals: Totals,
}

impl Quote {
    /// This quote, as the shopper reviewed it: what placing the order must still come to.
    #[cfg(feature = "server")]
    pub fn reviewed(&self) -> session::Reviewed {
        session::Reviewed {
            total: self.totals.total,
            digest: self.digest(),
        }
    }

    /// What the shopper agrees to when reviewing this quote, as one string: each line's
    /// variant, quantity and price, the delivery option, the coupon and the total. Two
    /// quotes with the same digest charge the same for the same things.
    #[cfg(feature = "server")]
    pub fn digest(&self) -> String {
        let mut digest = String::new();
        for l in &self.lines {
            digest.push_str(&format!(
                "{}x{}@{};",
                l.variant_id,
                l.quantity,
                l.unit_price.amount()
            ));
        }
        // Everything else the review page shows: a staff change to the delivery option
        // or the tax that leaves the total alone still needs the shopper's new look.
        digest.push_str(&format!(
            "|rate {} {} {}-{} {}|coupon {}|tax {} {} {}|total {}",
            self.shipping.id,
            self.shipping.name,
            self.shipping.min_days,
            self.shipping.max_days,
            self.totals.shipping.format(),
            self.coupon.as_ref().map_or("", |c| c.code.as_str()),
            self.tax_name.as_deref().unwrap_or(""),
            self.totals.tax.format(),
            self.totals.tax_included,
            self.totals.total.format()
        ));
        digest
    }
}

/// Why a checkout cannot go on. Nothing was charged in any of these; each says what to
/// do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CheckoutError {
    #[error("This checkout has expired. Start it again from your cart.")]
    Expired,
    #[error("Your checkout details are missing (the session may have expired). Start again from the first step.")]
    StartAgain,
    #[error("This checkout was changed in another window, or has expired. Review your order again below.")]
    Stale,
    #[error("Your cart is empty, so there is nothing to order.")]
    EmptyCart,
    #[error("{0} Check your cart, then continue to checkout.")]
    CartChanged(crate::cart::Notice),
    #[error("{name} is no longer sold. Check your cart, then continue to checkout.")]
    NoLongerSold { name: String },
    /// A made-up rate, one switched off since, or one for another country.
    #[error(
        "That delivery option isn't available to your address. Choose one of the options shown."
    )]
    RateNotForCountry,
    #[error("Your order's total changed from {} to {} since you reviewed it (a price, the stock or the coupon changed). Nothing was charged: review it again.", reviewed.format(), now.format())]
    TotalChanged { reviewed: Money, now: Money },
    /// The total is the same, but not what it buys (the cart changed in another tab).
    #[error("Your order changed since you reviewed it (your cart changed). Nothing was charged: review it again.")]
    QuoteChanged,
    #[error("{0} Remove the coupon from your cart to order without it.")]
    Coupon(crate::cart::coupon::CouponError),
    #[error("That coupon no longer exists. Remove it from your cart to order without it.")]
    CouponGone,
    #[error(
        "Sorry: {} Nothing was charged; your cart shows what is left.",
        Shortage::list(short)
    )]
    StockShort { short: Vec<Shortage> },
}

/// A line the stock could not cover when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortage {
    pub name: String,
    /// Units left (fewer than the line asked for).
    pub left: i32,
}

impl Shortage {
    fn list(short: &[Shortage]) -> String {
        short
            .iter()
            .map(Shortage::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl std::fmt::Display for Shortage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.left {
            0 => write!(f, "{} has just sold out.", self.name),
            n => write!(f, "Only {n} of {} are left.", self.name),
        }
    }
}

/// Who orders and where it goes: the first checkout step, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    pub email: Email,
    pub shipping: Address,
    /// `None`: the billing address is the shipping address.
    pub billing: Option<Address>,
}

impl Details {
    /// Checks the first step's form. Billing fields are named `billing_<field>`, and are
    /// read only when the billing address differs.
    pub fn parse(
        email: &str,
        shipping: &AddressInput,
        billing: Option<&AddressInput>,
    ) -> Result<Details, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = Email::parse(email).map_err(|e| errors.add("email", e.to_string()));
        let shipping = shipping.validate().map_err(|e| {
            for f in e.0 {
                errors.add(&f.field, f.message);
            }
        });
        let billing = billing.map(|b| {
            b.validate().map_err(|e| {
                for f in e.0 {
                    errors.add(&format!("billing_{}", f.field), f.message);
                }
            })
        });
        match (email, shipping, billing.transpose()) {
            (Ok(email), Ok(shipping), Ok(billing)) if errors.is_empty() => Ok(Details {
                email,
                shipping,
                billing,
            }),
            _ => Err(errors),
        }
    }

    pub fn billing_address(&self) -> &Address {
        self.billing.as_ref().unwrap_or(&self.shipping)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    #[test]
    fn a_stock_shortage_names_every_short_line() {
        let short = CheckoutError::StockShort {
            short: vec![
                Shortage {
                    name: "Linen shirt".into(),
                    left: 0,
                },
                Shortage {
                    name: "Wool socks".into(),
                    left: 2,
                },
            ],
        };
        assert_eq!(
            short.to_string(),
            "Sorry: Linen shirt has just sold out. Only 2 of Wool socks are left. \
             Nothing was charged; your cart shows what is left."
        );
    }

    #[test]
    fn details_report_every_field_with_billing_fields_prefixed() {
        let good = AddressInput {
            name: "Ada".into(),
            line1: "1 Rue".into(),
            city: "Paris".into(),
            postal_code: "75001".into(),
            country: "FR".into(),
            ..AddressInput::default()
        };
        let d = Details::parse("ada@example.com", &good, None).expect("valid");
        assert_eq!(d.billing_address(), &d.shipping);
        let bad_billing = AddressInput {
            city: String::new(),
            ..good.clone()
        };
        let e = Details::parse("nope", &good, Some(&bad_billing)).expect_err("invalid");
        assert!(e.get("email").is_some());
        assert_eq!(e.get("billing_city"), Some("Enter the town or city."));
        assert_eq!(e.get("city"), None);
    }

    #[test]
    fn delivery_estimates_read_naturally() {
        let option = |min_days, max_days| ShippingOption {
            id: 1,
            name: "Standard".into(),
            price: Money::zero(Currency::EUR),
            free_over: None,
            min_days,
            max_days,
        };
        assert_eq!(option(2, 4).estimate(), "Arrives in 2–4 working days");
        assert_eq!(option(1, 1).estimate(), "Arrives in 1 working day");
        assert_eq!(option(3, 3).estimate(), "Arrives in 3 working days");
    }
}
