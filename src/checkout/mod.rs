//! Checkout: where an order ships and how, what it costs, and placing it.

#[cfg(feature = "server")]
pub mod place;
#[cfg(feature = "server")]
pub mod shipping;
pub mod totals;

use crate::cart::coupon::AppliedCoupon;
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
        match (self.min_days, self.max_days) {
            (0, 0) => "Arrives today".to_owned(),
            (1, 1) => "Arrives in 1 working day".to_owned(),
            (a, b) if a == b => format!("Arrives in {a} working days"),
            (a, b) => format!("Arrives in {a}–{b} working days"),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

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
