//! Money: an exact decimal amount in one currency. Never `f64`.
//!
//! # The rounding rule
//! Every amount is held at its currency's minor-unit scale (two decimals for EUR, none for
//! JPY). An operation whose exact result has more decimals (a percentage discount, a tax
//! rate) rounds **half away from zero** to that scale, once, at the end of the operation:
//! `€10.005` becomes `€10.01` and `-€10.005` becomes `-€10.01`. Sums of already-rounded
//! amounts are exact, so a total always equals the sum of its parts.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency the shop can sell in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    code: [u8; 3],
    minor_digits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not a currency we sell in")]
    UnknownCurrency(String),
    #[error("cannot combine amounts in {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("the amount is too large")]
    Overflow,
    #[error("{0:?} is not an amount of money")]
    Malformed(String),
}

/// What is wrong with an amount as typed, in the words staff read beside the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    Empty,
    Malformed,
    Negative,
    /// More decimals than the currency has (`typed` as it was typed).
    TooPrecise {
        currency: Currency,
        typed: String,
    },
    TooLarge,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::Empty => f.write_str("Enter an amount, such as 12.50."),
            AmountError::Malformed => {
                f.write_str("Enter a number such as 1234.50 or 1,234.50 (a point before the decimals).")
            }
            AmountError::Negative => f.write_str("An amount can't be negative."),
            AmountError::TooPrecise { currency, typed } => match currency.minor_digits {
                0 => write!(f, "{currency} has no decimals: {typed} would have to be rounded. Enter a whole amount."),
                1 => write!(f, "{currency} has 1 decimal: {typed} would have to be rounded. Round it as you mean it."),
                n => write!(f, "{currency} has {n} decimals: {typed} would have to be rounded. Round it as you mean it."),
            },
            AmountError::TooLarge => f.write_str("That amount is too large."),
        }
    }
}

impl std::error::Error for AmountError {}

/// Currencies with their minor-unit digits (ISO 4217).
const CURRENCIES: &[(&str, u32)] = &[
    ("EUR", 2),
    ("USD", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("JPY", 0),
];

impl Currency {
    pub const EUR: Currency = Currency {
        code: *b"EUR",
        minor_digits: 2,
    };

    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .and_then(|(c, digits)| {
                let code: [u8; 3] = c.as_bytes().try_into().ok()?;
                Some(Currency {
                    code,
                    minor_digits: *digits,
                })
            })
            .ok_or(MoneyError::UnknownCurrency(code.to_owned()))
    }

    pub fn code(&self) -> &str {
        // Always ASCII: only codes from CURRENCIES are ever stored.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Digits after the decimal point (2 for EUR, 0 for JPY).
    pub fn minor_digits(&self) -> u32 {
        self.minor_digits
    }

    /// The symbol written before an amount, where there is a common one.
    fn symbol(&self) -> Option<&'static str> {
        match self.code() {
            "EUR" => Some("€"),
            "USD" => Some("$"),
            "GBP" => Some("£"),
            "JPY" => Some("¥"),
            _ => None,
        }
    }
}

// Stored as its code (`EUR`); a code this shop does not know is an error when read.
#[cfg(feature = "server")]
crate::sql_text!(Currency, code, |s: &str| Currency::parse(s).ok());

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_owned()
    }
}

/// An amount in a currency, always at the currency's minor-unit scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "MoneyRepr")]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

/// The wire form; deserialising goes through [`Money::new`] so that even a hand-made
/// payload cannot produce an amount off the currency's scale.
#[derive(Deserialize)]
struct MoneyRepr {
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

impl From<MoneyRepr> for Money {
    fn from(repr: MoneyRepr) -> Money {
        Money::new(repr.amount, repr.currency)
    }
}

impl Money {
    /// `amount` rounded to the currency's scale by the rounding rule above.
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money {
            amount: round(amount, currency),
            currency,
        }
    }

    pub fn zero(currency: Currency) -> Money {
        Money::new(Decimal::ZERO, currency)
    }

    /// Parses a decimal string such as `"12.50"` (as typed by staff or stored as text).
    pub fn parse(amount: &str, currency: Currency) -> Result<Money, MoneyError> {
        let trimmed = amount.trim();
        let value: Decimal = trimmed
            .parse()
            .map_err(|_| MoneyError::Malformed(amount.to_owned()))?;
        Ok(Money::new(value, currency))
    }

    /// Parses an amount as staff type it: `1234.5`, `1,234.50` (commas only between
    /// groups of three digits), `.5`. Never rounds: more decimals than the currency has
    /// is an error unless they are zeros (`12.500` is €12.50), and so is a negative
    /// amount or one too large for a price column (ten digits before the point).
    pub fn parse_typed(input: &str, currency: Currency) -> Result<Money, AmountError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(AmountError::Empty);
        }
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        let digits_only = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        let grouped_ok = {
            let mut groups = whole.split(',');
            let first = groups.next().unwrap_or_default();
            (1..=3).contains(&first.len()) || !whole.contains(',')
        } && whole.split(',').skip(1).all(|g| g.len() == 3);
        let whole_digits: String = whole.chars().filter(|c| *c != ',').collect();
        if !grouped_ok
            || !digits_only(&whole_digits)
            || !digits_only(fraction)
            || (whole_digits.is_empty() && fraction.is_empty())
        {
            return Err(AmountError::Malformed);
        }
        if negative {
            return Err(AmountError::Negative);
        }
        let scale = currency.minor_digits as usize;
        if fraction.len() > scale && fraction[scale..].bytes().any(|b| b != b'0') {
            return Err(AmountError::TooPrecise {
                currency,
                typed: s.to_owned(),
            });
        }
        let whole_digits = whole_digits.trim_start_matches('0');
        if whole_digits.len() > 10 {
            return Err(AmountError::TooLarge);
        }
        let fraction = &fraction[..fraction.len().min(scale)];
        let number = format!(
            "{}.{fraction:0<scale$}",
            if whole_digits.is_empty() {
                "0"
            } else {
                whole_digits
            }
        );
        let amount = Decimal::from_str_exact(number.trim_end_matches('.'))
            .map_err(|_| AmountError::Malformed)?;
        Ok(Money::new(amount, currency))
    }

    /// The amount as staff type it, the inverse of [`Money::parse_typed`]: at the
    /// currency's scale, without symbol or separators (`12.50`; `1250` in yen).
    pub fn typed(&self) -> String {
        self.amount.to_string()
    }

    /// An optional amount as staff would type it: empty for none.
    pub fn typed_or_empty(amount: Option<Decimal>, currency: Currency) -> String {
        amount
            .map(|a| Money::new(a, currency).typed())
            .unwrap_or_default()
    }

    /// From minor units (cents): `Money::from_minor(1250, EUR)` is €12.50.
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money {
            amount: Decimal::new(minor, currency.minor_digits),
            currency,
        }
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// The amount in minor units, as payment providers want it (€12.50 → 1250).
    pub fn minor_units(&self) -> Result<i64, MoneyError> {
        let scaled = self
            .amount
            .checked_mul(Decimal::from(10_i64.pow(self.currency.minor_digits)))
            .ok_or(MoneyError::Overflow)?;
        i64::try_from(scaled.trunc()).map_err(|_| MoneyError::Overflow)
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(sum, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let difference = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(difference, self.currency))
    }

    /// The price of `quantity` items at this unit price.
    pub fn times(self, quantity: u32) -> Result<Money, MoneyError> {
        let product = self
            .amount
            .checked_mul(Decimal::from(quantity))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(product, self.currency))
    }

    /// `percent` % of this amount, rounded by the rounding rule (e.g. 15 % off, 21 % tax).
    pub fn percent(self, percent: Decimal) -> Result<Money, MoneyError> {
        let part = self
            .amount
            .checked_mul(percent)
            .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(part, self.currency))
    }

    /// The smaller of two amounts in the same currency.
    pub fn min(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(if other.amount < self.amount {
            other
        } else {
            self
        })
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// The one way amounts are written for shoppers: symbol, thousands separators, and
    /// the currency's decimals (`€1,234.50`, `-€3.00`, `CHF 12.00`, `¥1,250`).
    pub fn format(&self) -> String {
        let digits = self.currency.minor_digits as usize;
        let abs = self.amount.abs();
        let text = format!("{abs:.digits$}");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let number = if fraction.is_empty() {
            grouped
        } else {
            format!("{grouped}.{fraction}")
        };
        let sign = if self.is_negative() { "-" } else { "" };
        match self.currency.symbol() {
            Some(symbol) => format!("{sign}{symbol}{number}"),
            None => format!("{sign}{} {number}", self.currency.code()),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format())
    }
}

fn round(amount: Decimal, currency: Currency) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(
        currency.minor_digits,
        RoundingStrategy::MidpointAwayFromZero,
    );
    // Keep the scale fixed so that 12.5 and 12.50 compare and hash alike.
    rounded.rescale(currency.minor_digits);
    rounded
}

/// Amounts as the database sums them, (key, currency code, amount) per row, gathered per
/// key: a customer's spend, a coupon's revenue, each in every currency it has. A row
/// whose currency the shop does not know is left out.
pub fn per_key<K: std::hash::Hash + Eq>(
    rows: impl IntoIterator<Item = (K, String, Decimal)>,
) -> std::collections::HashMap<K, Vec<Money>> {
    let mut by: std::collections::HashMap<K, Vec<Money>> = Default::default();
    for (key, currency, amount) in rows {
        if let Ok(currency) = Currency::parse(&currency) {
            by.entry(key)
                .or_default()
                .push(Money::new(amount, currency));
        }
    }
    by
}

/// Why a typed percentage is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PercentError {
    Empty,
    /// Not a plain number (a sign, letters, two points).
    Malformed,
    /// More decimals than allowed (trailing zeros aside).
    TooPrecise,
}

/// A percentage as staff type it (`21`, `8.1`, `.5`, `7.25 %`), with at most `decimals`
/// decimals (trailing zeros aside): never rounded. What range is allowed is the caller's
/// rule (a coupon's, a tax rate's).
pub fn parse_percent(typed: &str, decimals: usize) -> Result<Decimal, PercentError> {
    let s = typed.trim().trim_end_matches('%').trim();
    if s.is_empty() {
        return Err(PercentError::Empty);
    }
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return Err(PercentError::Malformed);
    }
    if fraction.trim_end_matches('0').len() > decimals {
        return Err(PercentError::TooPrecise);
    }
    Decimal::from_str_exact(&format!("0{s}"))
        .map(|d| d.normalize())
        .map_err(|_| PercentError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn eur(s: &str) -> Money {
        Money::parse(s, Currency::EUR).expect("valid amount")
    }

    #[test]
    fn typed_amounts_parse_at_the_currency_scale_and_never_round() {
        let typed = |s: &str| Money::parse_typed(s, Currency::EUR);
        assert_eq!(typed("1234.5"), Ok(eur("1234.50")));
        assert_eq!(typed("1,234.50"), Ok(eur("1234.50")));
        assert_eq!(typed(" 12 "), Ok(eur("12.00")));
        assert_eq!(typed(".5"), Ok(eur("0.50")));
        assert_eq!(typed("12."), Ok(eur("12.00")));
        assert_eq!(typed("0"), Ok(eur("0.00")));
        assert_eq!(
            typed("12.500"),
            Ok(eur("12.50")),
            "zeros past the scale round nothing"
        );
        assert_eq!(typed("1,000,000.00"), Ok(eur("1000000.00")));
        assert_eq!(typed("9999999999.99"), Ok(eur("9999999999.99")));
        assert_eq!(
            typed("12.505").map_err(|e| e.to_string()),
            Err(
                "EUR has 2 decimals: 12.505 would have to be rounded. Round it as you mean it."
                    .to_owned()
            )
        );
        assert!(matches!(
            typed("0.001"),
            Err(AmountError::TooPrecise { .. })
        ));
        for malformed in [
            "1,23", "12,34.5", "1,2345", ",123", "1.2.3", "12 50", "12€", "€12", "1e3", ".", "abc",
            "0x10", "+5", "1,234,56",
        ] {
            assert_eq!(typed(malformed), Err(AmountError::Malformed), "{malformed}");
        }
        assert_eq!(typed(""), Err(AmountError::Empty));
        assert_eq!(typed("   "), Err(AmountError::Empty));
        assert_eq!(typed("-3"), Err(AmountError::Negative));
        assert_eq!(typed("10000000000"), Err(AmountError::TooLarge));
        assert_eq!(typed("00000000000012.00"), Ok(eur("12.00")));
        let yen = Currency::parse("JPY").expect("JPY");
        assert_eq!(
            Money::parse_typed("1,250", yen).map(|m| m.format()),
            Ok("¥1,250".to_owned())
        );
        assert!(matches!(
            Money::parse_typed("1250.5", yen),
            Err(AmountError::TooPrecise { .. })
        ));
        assert_eq!(
            Money::parse_typed("1250.0", yen).map(|m| m.format()),
            Ok("¥1,250".to_owned())
        );
        for typed in ["0.00", "12.50", "1234.50", "9999999999.99"] {
            assert_eq!(
                Money::parse_typed(typed, Currency::EUR).map(|m| m.typed()),
                Ok(typed.to_owned()),
                "read back as typed"
            );
        }
        assert_eq!(Money::new(Decimal::new(125000, 2), yen).typed(), "1250");
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn amounts_are_held_at_the_currency_scale() {
        assert_eq!(eur("12.5"), eur("12.50"));
        assert_eq!(eur("12.5").amount().to_string(), "12.50");
        let jpy = Currency::parse("jpy").expect("known");
        assert_eq!(
            Money::parse("1250.4", jpy)
                .expect("valid")
                .amount()
                .to_string(),
            "1250"
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(eur("10.005"), eur("10.01"));
        assert_eq!(eur("10.0049"), eur("10.00"));
        assert_eq!(eur("-10.005"), eur("-10.01"));
    }

    #[test]
    fn percentages_round_once_at_the_end() {
        // 15 % of €19.99 is €2.9985: €3.00.
        assert_eq!(eur("19.99").percent(dec("15")).expect("ok"), eur("3.00"));
        // 21 % of €0.10 is €0.021: €0.02.
        assert_eq!(eur("0.10").percent(dec("21")).expect("ok"), eur("0.02"));
        assert_eq!(eur("8.25").percent(dec("100")).expect("ok"), eur("8.25"));
    }

    #[test]
    fn line_totals_are_exact() {
        assert_eq!(eur("19.99").times(3).expect("ok"), eur("59.97"));
        assert_eq!(
            eur("0.01").times(0).expect("ok"),
            Money::zero(Currency::EUR)
        );
    }

    #[test]
    fn currencies_never_mix() {
        let usd = Money::parse("1", Currency::parse("USD").expect("known")).expect("valid");
        assert!(matches!(
            eur("1").checked_add(usd),
            Err(MoneyError::CurrencyMismatch(_, _))
        ));
    }

    #[test]
    fn minor_units_for_payment_providers() {
        assert_eq!(eur("12.50").minor_units(), Ok(1250));
        assert_eq!(eur("0.01").minor_units(), Ok(1));
        assert_eq!(eur("-3").minor_units(), Ok(-300));
        assert_eq!(Money::from_minor(1250, Currency::EUR), eur("12.50"));
        let jpy = Currency::parse("JPY").expect("known");
        assert_eq!(Money::from_minor(1250, jpy).minor_units(), Ok(1250));
        let huge = Money::new(Decimal::MAX, Currency::EUR);
        assert_eq!(huge.minor_units(), Err(MoneyError::Overflow));
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let huge = Money::new(Decimal::MAX, Currency::EUR);
        assert_eq!(huge.checked_add(eur("1")), Err(MoneyError::Overflow));
        assert_eq!(huge.times(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn formatting_for_shoppers() {
        assert_eq!(eur("1234.5").format(), "€1,234.50");
        assert_eq!(eur("0").format(), "€0.00");
        assert_eq!(eur("999").format(), "€999.00");
        assert_eq!(eur("1000000").format(), "€1,000,000.00");
        assert_eq!(eur("-3").format(), "-€3.00");
        let chf = Currency::parse("CHF").expect("known");
        assert_eq!(
            Money::parse("12", chf).expect("valid").format(),
            "CHF 12.00"
        );
        let jpy = Currency::parse("JPY").expect("known");
        assert_eq!(Money::parse("1250", jpy).expect("valid").format(), "¥1,250");
    }

    #[test]
    fn malformed_input_is_refused() {
        for bad in ["", "abc", "1,50", "12.3.4", "NaN", "€5"] {
            assert!(
                matches!(
                    Money::parse(bad, Currency::EUR),
                    Err(MoneyError::Malformed(_))
                ),
                "{bad:?}"
            );
        }
        assert!(Currency::parse("XYZ").is_err());
    }

    #[test]
    fn serialises_amounts_as_exact_strings() {
        let json = serde_json::to_string(&eur("12.5")).expect("serialise");
        assert_eq!(json, r#"{"amount":"12.50","currency":"EUR"}"#);
        let back: Money = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, eur("12.50"));
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"XYZ"}"#).is_err());
        let crafted: Money =
            serde_json::from_str(r#"{"amount":"1.999","currency":"EUR"}"#).expect("valid");
        assert_eq!(crafted, eur("2.00"));
    }

    #[test]
    fn a_sum_of_parts_equals_the_total() {
        // Property: for many prices and quantities, adding rounded line totals is exact.
        let mut total = Money::zero(Currency::EUR);
        let mut cents: i64 = 0;
        for i in 1..500_i64 {
            let price = Money::from_minor(i * 37 % 10_000, Currency::EUR);
            let qty = (i % 7) as u32;
            total = total
                .checked_add(price.times(qty).expect("ok"))
                .expect("ok");
            cents += (i * 37 % 10_000) * i64::from(qty);
        }
        assert_eq!(total.minor_units(), Ok(cents));
    }
}
