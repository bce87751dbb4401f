//! Coupons: what a code takes off, and every reason it may not apply.
//!
//! The maths is pure and lives here; the store reads the coupon and its usage, and
//! checkout counts the redemption inside the order's transaction.

use crate::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest code a shopper can type that could be a code at all.
pub const MAX_CODE_CHARS: usize = 40;

/// What a coupon gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponKind {
    /// A percentage of the subtotal (0.01–100).
    Percent(Decimal),
    /// A fixed amount off the subtotal, never more than the subtotal.
    Fixed(Money),
    /// Shipping costs nothing; the subtotal is unchanged.
    FreeShipping,
}

crate::text_enum! {
    /// A coupon's kind as stored (`coupons.kind`); its `value` column says how much.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DiscountKind {
        Percent = "percent",
        Fixed = "fixed",
        FreeShipping = "free_shipping",
    }
}

impl CouponKind {
    /// The kind stored with `value` in the currency `currency`.
    pub fn stored(kind: DiscountKind, value: Decimal, currency: crate::Currency) -> CouponKind {
        match kind {
            DiscountKind::Percent => CouponKind::Percent(value),
            DiscountKind::Fixed => CouponKind::Fixed(Money::new(value, currency)),
            DiscountKind::FreeShipping => CouponKind::FreeShipping,
        }
    }
}

/// A coupon as stored, with the times as Unix seconds (they are compared, not shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coupon {
    pub code: String,
    pub description: String,
    pub kind: CouponKind,
    pub min_subtotal: Money,
    pub starts_at: Option<i64>,
    /// When it starts, written for shoppers ("1 December 2026").
    pub starts_label: Option<String>,
    pub ends_at: Option<i64>,
    pub max_uses: Option<u32>,
    pub max_uses_per_customer: Option<u32>,
    /// Paused by staff.
    pub active: bool,
    /// Deleted by staff: it never applies again.
    pub deleted: bool,
}

crate::text_enum! {
    /// Where a coupon stands at a moment, given its uses ([`Coupon::state`]).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CouponState {
        /// Shoppers can use it now.
        Live = "live",
        /// It starts later.
        Scheduled = "scheduled",
        /// Staff paused it.
        Paused = "paused",
        /// Its end has passed.
        Ended = "ended",
        /// It has been used as often as it may be.
        UsedUp = "used_up",
        /// Staff deleted it: its figures stay.
        Deleted = "deleted",
    }
}

impl CouponState {
    pub fn label(self) -> &'static str {
        match self {
            CouponState::Live => "Live",
            CouponState::Scheduled => "Scheduled",
            CouponState::Paused => "Paused",
            CouponState::Ended => "Ended",
            CouponState::UsedUp => "Used up",
            CouponState::Deleted => "Deleted",
        }
    }
}

/// How often a coupon has been used: by everyone, and by this shopper when the shopper
/// is a customer the shop can tell apart from others.
///
/// The rule for coupons limited per customer: a customer is an account with a
/// confirmed email address. A guest, or an account that has not confirmed its address,
/// cannot use them: anyone can type a new email at checkout, or register one they do
/// not own, so neither tells customers apart. A confirmed account's uses are counted by
/// the account and by its address (earlier guest orders to that address count too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub total: u32,
    /// `None`: not a confirmed account.
    pub by_customer: Option<u32>,
}

/// Why a code does not apply. Each message says what happened and what the shopper can
/// do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CouponError {
    #[error("Enter a coupon code.")]
    Empty,
    #[error("We don't know the code {0}. Check its spelling; codes are letters and numbers.")]
    Unknown(String),
    #[error("The code {code} can be used from {starts}. Keep it until then!")]
    NotYetValid { code: String, starts: String },
    #[error("The code {0} has expired.")]
    Expired(String),
    #[error("The code {0} can't be used at the moment. Try it again later.")]
    Paused(String),
    #[error("The code {0} is no longer offered.")]
    Withdrawn(String),
    #[error(
        "The code {code} needs a subtotal of at least {}. Add {} more to use it.",
        minimum.format(),
        short_by.format()
    )]
    BelowMinimum {
        code: String,
        minimum: Money,
        short_by: Money,
    },
    #[error("The code {0} has been used as many times as it can be.")]
    UsedUp(String),
    #[error("You have already used the code {0} as many times as it allows.")]
    UsedByYou(String),
    #[error("The code {0} is limited per customer, so it needs an account with a confirmed email. Sign in (or create an account and open the link we mail you), then apply it again.")]
    NeedsAccount(String),
    #[error("Your cart is empty. Add something to it first, then apply the code.")]
    CartEmpty,
}

/// A coupon that applies to a cart, with what it takes off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedCoupon {
    pub code: String,
    /// What it gives, for shoppers ("10% off", "€5.00 off", "Free shipping").
    pub label: String,
    pub discount: Money,
    pub free_shipping: bool,
}

impl fmt::Display for CouponKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CouponKind::Percent(p) => write!(f, "{}% off", p.normalize()),
            CouponKind::Fixed(m) => write!(f, "{} off", m.format()),
            CouponKind::FreeShipping => f.write_str("Free shipping"),
        }
    }
}

/// Normalises what a shopper typed: trimmed, in capitals. `None` for nothing, or for
/// text that cannot be a code (too long, or characters no code has).
pub fn normalize_code(typed: &str) -> Result<Option<String>, CouponError> {
    let code = typed.trim().to_uppercase();
    if code.is_empty() {
        return Err(CouponError::Empty);
    }
    let plausible = code.chars().count() <= MAX_CODE_CHARS
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    Ok(plausible.then_some(code))
}

/// The amount `kind` takes off `subtotal`: a percentage rounded half away from zero to
/// the currency's minor unit (by [`Money::percent`]), a fixed amount as it is; either
/// capped at the subtotal, so a total is never negative.
pub fn discount(kind: CouponKind, subtotal: Money) -> Money {
    let zero = Money::zero(subtotal.currency());
    let off = match kind {
        CouponKind::Percent(p) => subtotal.percent(p).unwrap_or(zero),
        CouponKind::Fixed(m) => m,
        CouponKind::FreeShipping => zero,
    };
    if off.is_negative() {
        return zero;
    }
    off.min(subtotal).unwrap_or(zero)
}

impl Coupon {
    /// Where the coupon stands at `now` (Unix seconds) after `used` uses. Staff's doing
    /// comes first (deleted, paused), then an end that has passed, the uses running
    /// out, and a start still to come. The one rule: the staff list's filter has it in
    /// SQL (`coupon_state()`), which a test holds to this.
    pub fn state(&self, now: i64, used: u32) -> CouponState {
        if self.deleted {
            CouponState::Deleted
        } else if !self.active {
            CouponState::Paused
        } else if self.ends_at.is_some_and(|e| now >= e) {
            CouponState::Ended
        } else if self.max_uses.is_some_and(|max| used >= max) {
            CouponState::UsedUp
        } else if self.starts_at.is_some_and(|s| now < s) {
            CouponState::Scheduled
        } else {
            CouponState::Live
        }
    }

    /// Whether this coupon applies now (`now` in Unix seconds) to a cart with `subtotal`,
    /// given how often it has been used; the discount if it does. Its [`state`] first
    /// (staff's doing, its dates, its uses), then the per-customer limit, then the
    /// minimum (the one the shopper can fix).
    ///
    /// [`state`]: Coupon::state
    pub fn apply(
        &self,
        subtotal: Money,
        now: i64,
        usage: Usage,
    ) -> Result<AppliedCoupon, CouponError> {
        let code = || self.code.clone();
        match self.state(now, usage.total) {
            CouponState::Live => {}
            CouponState::Scheduled => {
                return Err(CouponError::NotYetValid {
                    code: code(),
                    starts: self
                        .starts_label
                        .clone()
                        .unwrap_or_else(|| "later".to_owned()),
                })
            }
            CouponState::Paused => return Err(CouponError::Paused(code())),
            CouponState::Deleted => return Err(CouponError::Withdrawn(code())),
            CouponState::Ended => return Err(CouponError::Expired(code())),
            CouponState::UsedUp => return Err(CouponError::UsedUp(code())),
        }
        if let Some(max) = self.max_uses_per_customer {
            match usage.by_customer {
                None => return Err(CouponError::NeedsAccount(code())),
                Some(used) if used >= max => return Err(CouponError::UsedByYou(code())),
                Some(_) => {}
            }
        }
        if subtotal.amount() < self.min_subtotal.amount() {
            let short_by = self
                .min_subtotal
                .checked_sub(subtotal)
                .unwrap_or(self.min_subtotal);
            return Err(CouponError::BelowMinimum {
                code: code(),
                minimum: self.min_subtotal,
                short_by,
            });
        }
        Ok(AppliedCoupon {
            code: code(),
            label: self.kind.to_string(),
            discount: discount(self.kind, subtotal),
            free_shipping: self.kind == CouponKind::FreeShipping,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn eur(s: &str) -> Money {
        Money::parse(s, Currency::EUR).expect("amount")
    }

    fn coupon(kind: CouponKind) -> Coupon {
        Coupon {
            code: "SAVE".to_owned(),
            description: String::new(),
            kind,
            min_subtotal: eur("0"),
            starts_at: None,
            starts_label: None,
            ends_at: None,
            max_uses: None,
            max_uses_per_customer: None,
            active: true,
            deleted: false,
        }
    }

    #[test]
    fn staffs_doing_comes_first_then_the_end_the_uses_and_the_start() {
        let base = Coupon {
            starts_at: Some(200),
            ends_at: Some(300),
            max_uses: Some(1),
            ..coupon(CouponKind::Percent(rust_decimal::Decimal::TEN))
        };
        let at = |c: &Coupon, now: i64, used: u32| c.state(now, used);
        assert_eq!(at(&base, 250, 0), CouponState::Live);
        assert_eq!(at(&base, 100, 0), CouponState::Scheduled);
        assert_eq!(at(&base, 100, 1), CouponState::UsedUp);
        assert_eq!(at(&base, 300, 1), CouponState::Ended);
        let paused = Coupon {
            active: false,
            ..base.clone()
        };
        assert_eq!(at(&paused, 100, 1), CouponState::Paused);
        let deleted = Coupon {
            deleted: true,
            ..paused.clone()
        };
        assert_eq!(at(&deleted, 100, 1), CouponState::Deleted);
        // And a shopper hears the same: a paused coupon that starts later is paused.
        let eur = Money::zero(crate::Currency::EUR);
        assert_eq!(
            paused.apply(eur, 100, Usage::default()),
            Err(CouponError::Paused("SAVE".to_owned()))
        );
        assert_eq!(
            deleted.apply(eur, 100, Usage::default()),
            Err(CouponError::Withdrawn("SAVE".to_owned()))
        );
    }

    #[test]
    fn percentages_round_half_away_from_zero_to_the_cent() {
        let ten = CouponKind::Percent(Decimal::from(10));
        assert_eq!(discount(ten, eur("19.99")), eur("2.00")); // 1.999
        assert_eq!(discount(ten, eur("0.05")), eur("0.01")); // 0.005 rounds up
        assert_eq!(discount(ten, eur("0.04")), eur("0.00")); // 0.004 rounds down
        let third = CouponKind::Percent(Decimal::new(3333, 2));
        assert_eq!(discount(third, eur("100.00")), eur("33.33"));
        let all = CouponKind::Percent(Decimal::ONE_HUNDRED);
        assert_eq!(discount(all, eur("42.42")), eur("42.42"));
    }

    #[test]
    fn a_discount_never_exceeds_the_subtotal_nor_goes_below_zero() {
        assert_eq!(
            discount(CouponKind::Fixed(eur("5.00")), eur("3.50")),
            eur("3.50")
        );
        assert_eq!(
            discount(CouponKind::Fixed(eur("5.00")), eur("30.00")),
            eur("5.00")
        );
        assert_eq!(
            discount(CouponKind::Fixed(eur("-5.00")), eur("30.00")),
            eur("0.00")
        );
        assert_eq!(
            discount(CouponKind::FreeShipping, eur("30.00")),
            eur("0.00")
        );
        assert_eq!(
            discount(CouponKind::Percent(Decimal::from(150)), eur("10.00")),
            eur("10.00")
        );
        // Every subtotal from 0 to 100.00 by the cent: 0 <= discount <= subtotal.
        for cents in 0..=10_000 {
            let subtotal = Money::from_minor(cents, Currency::EUR);
            for kind in [
                CouponKind::Percent(Decimal::new(1750, 2)),
                CouponKind::Fixed(eur("7.77")),
            ] {
                let off = discount(kind, subtotal);
                assert!(
                    !off.is_negative() && off.amount() <= subtotal.amount(),
                    "{cents}"
                );
            }
        }
    }

    #[test]
    fn dates_limits_and_minimum_each_say_what_is_wrong() {
        let now = 1_000_000;
        let ok = Usage::default();
        let mut c = coupon(CouponKind::Percent(Decimal::from(10)));
        let applied = c.apply(eur("50.00"), now, ok).expect("applies");
        assert_eq!(applied.discount, eur("5.00"));
        assert_eq!(applied.label, "10% off");

        c.starts_at = Some(now + 1);
        c.starts_label = Some("1 December 2026".to_owned());
        let e = c.apply(eur("50.00"), now, ok).expect_err("early");
        assert_eq!(
            e.to_string(),
            "The code SAVE can be used from 1 December 2026. Keep it until then!"
        );
        c.starts_at = Some(now); // starts exactly now: valid
        assert!(c.apply(eur("50.00"), now, ok).is_ok());

        c.ends_at = Some(now);
        assert_eq!(
            c.apply(eur("50.00"), now, ok),
            Err(CouponError::Expired("SAVE".into()))
        );
        c.ends_at = Some(now + 1);
        assert!(c.apply(eur("50.00"), now, ok).is_ok());
        c.active = false;
        assert_eq!(
            c.apply(eur("50.00"), now, ok),
            Err(CouponError::Paused("SAVE".into()))
        );
        c.active = true;

        c.max_uses = Some(3);
        let used = |total, by_customer| Usage { total, by_customer };
        assert!(c.apply(eur("50.00"), now, used(2, None)).is_ok());
        assert_eq!(
            c.apply(eur("50.00"), now, used(3, None)),
            Err(CouponError::UsedUp("SAVE".into()))
        );
        c.max_uses_per_customer = Some(1);
        assert!(c.apply(eur("50.00"), now, used(0, Some(0))).is_ok());
        assert_eq!(
            c.apply(eur("50.00"), now, used(1, Some(1))),
            Err(CouponError::UsedByYou("SAVE".into()))
        );
        // A guest, or an account without a confirmed address, is no known customer.
        assert_eq!(
            c.apply(eur("50.00"), now, used(0, None)),
            Err(CouponError::NeedsAccount("SAVE".into()))
        );
        c.max_uses_per_customer = None;

        c.min_subtotal = eur("60.00");
        let e = c.apply(eur("50.00"), now, ok).expect_err("below");
        assert_eq!(
            e.to_string(),
            "The code SAVE needs a subtotal of at least €60.00. Add €10.00 more to use it."
        );
        assert!(c.apply(eur("60.00"), now, ok).is_ok());
    }

    #[test]
    fn free_shipping_takes_nothing_off_the_subtotal() {
        let c = coupon(CouponKind::FreeShipping);
        let applied = c.apply(eur("20.00"), 0, Usage::default()).expect("applies");
        assert!(applied.free_shipping);
        assert!(applied.discount.is_zero());
        assert_eq!(applied.label, "Free shipping");
        assert_eq!(CouponKind::Fixed(eur("5")).to_string(), "€5.00 off");
        assert_eq!(
            CouponKind::Percent(Decimal::new(1250, 2)).to_string(),
            "12.5% off"
        );
    }

    #[test]
    fn typed_codes_are_trimmed_and_capitalised() {
        assert_eq!(
            normalize_code("  welcome10 "),
            Ok(Some("WELCOME10".to_owned()))
        );
        assert_eq!(normalize_code("   "), Err(CouponError::Empty));
        assert_eq!(normalize_code("'; DROP TABLE coupons;--"), Ok(None));
        assert_eq!(normalize_code(&"A".repeat(41)), Ok(None));
    }
}
