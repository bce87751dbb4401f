//! An order's totals, from one pure function.
//!
//! # The rule
//! - `subtotal` is the sum of the lines (unit price × quantity, exact).
//! - `discount` is what the coupon takes off the subtotal, at most the subtotal.
//! - `shipping` is the chosen rate's price, or zero when the coupon gives free shipping
//!   or the discounted subtotal reaches the rate's "free over" threshold.
//! - `tax` is worked out once, on the whole taxable amount (discounted subtotal plus
//!   shipping), and rounded once, half away from zero, to the currency's minor unit (the
//!   rule of [`Money`]). When prices include tax, it is the part of that amount that is
//!   tax (`amount × rate / (100 + rate)`); otherwise it is added (`amount × rate / 100`).
//! - `total` = subtotal − discount + shipping, plus tax when prices exclude it. It is
//!   never negative, and it is always exactly the sum of its parts.

use crate::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What the totals are worked out from. Every amount in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotalsInput {
    pub subtotal: Money,
    /// The coupon's discount (capped here at the subtotal).
    pub discount: Money,
    /// The chosen shipping rate, if one is chosen yet.
    pub shipping: Option<ShippingCharge>,
    /// The coupon makes shipping free.
    pub free_shipping: bool,
    /// The tax rate of the destination, in percent (e.g. 21 for 21 %).
    pub tax_rate: Decimal,
    pub prices_include_tax: bool,
}

/// A shipping rate's price, and the discounted subtotal from which it is free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingCharge {
    pub price: Money,
    pub free_over: Option<Money>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal: Money,
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    /// True when `tax` is already inside the prices (shown as "incl. tax").
    pub tax_included: bool,
    pub total: Money,
}

impl Totals {
    /// The totals by the rule in this module's documentation.
    pub fn compute(input: TotalsInput) -> Totals {
        let currency = input.subtotal.currency();
        let zero = Money::zero(currency);
        let clamp = |m: Money| if m.is_negative() { zero } else { m };
        let subtotal = clamp(input.subtotal);
        let discount = clamp(input.discount).min(subtotal).unwrap_or(zero);
        let goods = subtotal.checked_sub(discount).unwrap_or(zero);
        let shipping = match input.shipping {
            None => zero,
            Some(_) if input.free_shipping => zero,
            Some(ShippingCharge {
                free_over: Some(threshold),
                ..
            }) if goods.amount() >= threshold.amount() => zero,
            Some(charge) => clamp(charge.price),
        };
        let taxable = goods.checked_add(shipping).unwrap_or(goods);
        let rate = input.tax_rate.max(Decimal::ZERO);
        let tax = tax_on(taxable, rate, input.prices_include_tax, currency);
        let total = if input.prices_include_tax {
            taxable
        } else {
            taxable.checked_add(tax).unwrap_or(taxable)
        };
        Totals {
            subtotal,
            discount,
            shipping,
            tax,
            tax_included: input.prices_include_tax,
            total,
        }
    }
}

fn tax_on(amount: Money, rate: Decimal, included: bool, currency: Currency) -> Money {
    let share = if included {
        amount
            .amount()
            .checked_mul(rate)
            .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED + rate))
    } else {
        amount
            .amount()
            .checked_mul(rate)
            .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
    };
    Money::new(share.unwrap_or(Decimal::ZERO), currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur(s: &str) -> Money {
        Money::parse(s, Currency::EUR).expect("amount")
    }

    fn input(subtotal: &str) -> TotalsInput {
        TotalsInput {
            subtotal: eur(subtotal),
            discount: eur("0"),
            shipping: Some(ShippingCharge {
                price: eur("4.95"),
                free_over: Some(eur("50")),
            }),
            free_shipping: false,
            tax_rate: Decimal::from(21),
            prices_include_tax: true,
        }
    }

    #[test]
    fn tax_included_in_prices_is_the_share_of_the_total() {
        let t = Totals::compute(input("30.00"));
        assert_eq!(t.shipping, eur("4.95"));
        assert_eq!(t.total, eur("34.95"));
        // 34.95 × 21 / 121 = 6.0657… → 6.07
        assert_eq!(t.tax, eur("6.07"));
        assert!(t.tax_included);
    }

    #[test]
    fn tax_on_top_is_added_to_the_total() {
        let t = Totals::compute(TotalsInput {
            prices_include_tax: false,
            tax_rate: Decimal::new(825, 2),
            ..input("30.00")
        });
        // (30.00 + 4.95) × 8.25 % = 2.8833… → 2.88
        assert_eq!(t.tax, eur("2.88"));
        assert_eq!(t.total, eur("37.83"));
    }

    #[test]
    fn shipping_is_free_over_the_threshold_after_the_discount_or_by_coupon() {
        assert!(Totals::compute(input("50.00")).shipping.is_zero());
        let discounted = Totals::compute(TotalsInput {
            discount: eur("5.00"),
            ..input("50.00")
        });
        assert_eq!(discounted.shipping, eur("4.95"), "45.00 after the discount");
        assert_eq!(discounted.total, eur("49.95"));
        let coupon = Totals::compute(TotalsInput {
            free_shipping: true,
            ..input("10.00")
        });
        assert!(coupon.shipping.is_zero());
        let not_chosen = Totals::compute(TotalsInput {
            shipping: None,
            ..input("10.00")
        });
        assert!(not_chosen.shipping.is_zero());
    }

    #[test]
    fn a_discount_larger_than_the_subtotal_leaves_only_shipping() {
        let t = Totals::compute(TotalsInput {
            discount: eur("100.00"),
            ..input("20.00")
        });
        assert_eq!(t.discount, eur("20.00"));
        assert_eq!(t.total, eur("4.95"));
    }

    fn money() -> impl Strategy<Value = Money> {
        (0_i64..100_000_000).prop_map(|c| Money::from_minor(c, Currency::EUR))
    }

    proptest! {
        #[test]
        fn the_total_is_the_sum_of_its_parts_and_never_negative(
            subtotal in money(),
            discount in money(),
            price in money(),
            free_over in proptest::option::of(money()),
            free_shipping in any::<bool>(),
            rate_hundredths in 0_i64..3_000,
            included in any::<bool>(),
        ) {
            let t = Totals::compute(TotalsInput {
                subtotal,
                discount,
                shipping: Some(ShippingCharge { price, free_over }),
                free_shipping,
                tax_rate: Decimal::new(rate_hundredths, 2),
                prices_include_tax: included,
            });
            let zero = Money::zero(Currency::EUR);
            for part in [t.subtotal, t.discount, t.shipping, t.tax, t.total] {
                prop_assert!(!part.is_negative());
                prop_assert_eq!(part, Money::new(part.amount(), Currency::EUR), "at the cent");
            }
            prop_assert!(t.discount.amount() <= t.subtotal.amount());
            let mut sum = t.subtotal.checked_sub(t.discount).unwrap_or(zero)
                .checked_add(t.shipping).unwrap_or(zero);
            if !included {
                sum = sum.checked_add(t.tax).unwrap_or(zero);
            }
            prop_assert_eq!(t.total, sum);
            if included {
                prop_assert!(t.tax.amount() <= t.total.amount());
            }
        }
    }
}
