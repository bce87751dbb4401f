//! The checkout under way, as the shopper's session keeps it: what the steps gathered,
//! the total the shopper last reviewed (the only total an order is placed at), and the
//! token placing is idempotent on. Its rules, in one place:
//! - a new token whenever the reviewed quote changes (an order placed under the old
//!   token, say with a declined card, is not this checkout), and after the order placed
//!   under it was cancelled (not paid in time);
//! - a different delivery country forgets the chosen rate (it belongs to another zone);
//! - once paid, the next checkout starts afresh, and a repeated submit of the paid
//!   token lands on its order instead of an error.

use super::Details;
use crate::Money;
use serde::{Deserialize, Serialize};

/// The checkout in the session. Kept there, so a post carries only its own step's fields
/// and nothing a shopper could tamper with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutSession {
    /// Placing is idempotent on this; a new one for every new checkout.
    token: String,
    details: Option<Details>,
    rate: Option<i64>,
    /// The total the shopper last reviewed.
    reviewed_total: Option<Money>,
    /// What that review showed ([`super::Quote::digest`]).
    #[serde(default)]
    reviewed_digest: Option<String>,
    /// The checkout paid last (its token, and its order's page).
    #[serde(default)]
    paid: Option<(String, String)>,
}

impl Default for CheckoutSession {
    fn default() -> Self {
        CheckoutSession::new()
    }
}

/// What a token posted with "pay" is to this checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted<'a> {
    /// This checkout's: place it.
    Current,
    /// The checkout paid last: go to its order's page (a repeated submit).
    Paid { page: &'a str },
    /// An older one (another window changed the checkout, or it expired).
    Stale,
}

/// What placing the checkout needs, when every step is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready<'a> {
    pub token: &'a str,
    pub details: &'a Details,
    pub rate: i64,
    pub reviewed: Reviewed,
}

/// The quote the shopper reviewed: an order is placed only if it still comes to this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewed {
    pub total: Money,
    /// [`super::Quote::digest`].
    pub digest: String,
}

impl CheckoutSession {
    pub fn new() -> CheckoutSession {
        CheckoutSession::with_token(crate::token::random_hex())
    }

    fn with_token(token: String) -> CheckoutSession {
        CheckoutSession {
            token,
            details: None,
            rate: None,
            reviewed_total: None,
            reviewed_digest: None,
            paid: None,
        }
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn details(&self) -> Option<&Details> {
        self.details.as_ref()
    }

    pub fn rate(&self) -> Option<i64> {
        self.rate
    }

    /// The first step is done. A new country forgets the delivery option chosen for the
    /// old one.
    pub fn set_details(&mut self, details: Details) {
        if self.details.as_ref().map(|d| &d.shipping.country) != Some(&details.shipping.country) {
            self.rate = None;
        }
        self.details = Some(details);
    }

    /// The second step is done.
    pub fn choose_rate(&mut self, rate: i64) {
        self.rate = Some(rate);
    }

    /// The shopper reviewed `quote`. A quote other than the one reviewed before makes
    /// this a new checkout (a new token).
    pub fn reviewed(&mut self, quote: &super::Quote) {
        let Reviewed { total, digest } = quote.reviewed();
        if self.reviewed_digest.is_some() && self.reviewed_digest.as_ref() != Some(&digest) {
            self.token = crate::token::random_hex();
        }
        self.reviewed_total = Some(total);
        self.reviewed_digest = Some(digest);
    }

    /// The order placed under this checkout's token was cancelled before it was paid:
    /// the next review starts a new checkout (the steps' answers are kept).
    pub fn order_cancelled(&mut self) {
        self.token = crate::token::random_hex();
        self.reviewed_total = None;
        self.reviewed_digest = None;
    }

    /// What `token`, posted with "pay", is to this checkout.
    pub fn posted<'a>(&'a self, token: &str) -> Posted<'a> {
        match &self.paid {
            Some((paid, page)) if paid == token => Posted::Paid { page },
            _ if token == self.token => Posted::Current,
            _ => Posted::Stale,
        }
    }

    /// Everything placing needs, or `None` while a step is missing (an expired session).
    pub fn ready(&self) -> Option<Ready<'_>> {
        Some(Ready {
            token: &self.token,
            details: self.details.as_ref()?,
            rate: self.rate?,
            reviewed: Reviewed {
                total: self.reviewed_total?,
                digest: self.reviewed_digest.clone()?,
            },
        })
    }

    /// The checkout with `token` was paid; its order is at `page`. When it is this
    /// checkout, what the session keeps next: a fresh checkout, with a repeated submit of
    /// this one sent to `page`. `None` when it is an older checkout of this session (a
    /// late return from the payment page): this one goes on.
    pub fn paid(&self, token: &str, page: &str) -> Option<CheckoutSession> {
        (token == self.token).then(|| {
            let mut next = CheckoutSession::new();
            next.paid = Some((token.to_owned(), page.to_owned()));
            next
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::address::AddressInput;
    use crate::Currency;

    fn details(country: &str) -> Details {
        let address = AddressInput {
            name: "Ada Lovelace".into(),
            line1: "1 Main Street".into(),
            city: "Town".into(),
            postal_code: "12345".into(),
            country: country.into(),
            ..AddressInput::default()
        };
        Details::parse("ada@example.com", &address, None).expect("details")
    }

    fn eur(s: &str) -> Money {
        Money::parse(s, Currency::EUR).expect("amount")
    }

    #[test]
    fn a_checkout_is_ready_once_every_step_is_done() {
        let mut c = CheckoutSession::with_token("t1".into());
        assert_eq!(c.ready(), None);
        c.set_details(details("NL"));
        c.choose_rate(7);
        assert_eq!(c.ready(), None, "not reviewed yet");
        let q = quote(&[(11, 2, "10.00")], 7);
        c.reviewed(&q);
        let ready = c.ready().expect("ready");
        assert_eq!(
            (ready.token, ready.rate, ready.reviewed.total),
            ("t1", 7, eur("20.00"))
        );
        assert_eq!(ready.reviewed.digest, q.digest());
    }

    #[test]
    fn a_new_country_forgets_the_rate_the_same_one_keeps_it() {
        let mut c = CheckoutSession::with_token("t1".into());
        c.set_details(details("NL"));
        c.choose_rate(7);
        c.set_details(details("NL"));
        assert_eq!(c.rate(), Some(7));
        c.set_details(details("DE"));
        assert_eq!(c.rate(), None);
    }

    /// A quote of `lines` (variant, quantity, unit price) with delivery `rate`.
    fn quote(lines: &[(i64, u32, &str)], rate: i64) -> super::super::Quote {
        use super::super::{Quote, QuoteLine, ShippingOption};
        use crate::checkout::totals::{ShippingCharge, Totals, TotalsInput};
        let lines: Vec<QuoteLine> = lines
            .iter()
            .map(|&(variant_id, quantity, price)| QuoteLine {
                variant_id,
                sku: format!("SKU-{variant_id}"),
                name: format!("Product {variant_id}"),
                unit_price: eur(price),
                quantity,
                line_total: eur(price).times(quantity).expect("line"),
            })
            .collect();
        let subtotal = lines
            .iter()
            .fold(eur("0"), |s, l| s.checked_add(l.line_total).expect("sum"));
        Quote {
            lines,
            coupon: None,
            shipping: ShippingOption {
                id: rate,
                name: "Standard".into(),
                price: eur("0"),
                free_over: None,
                min_days: 2,
                max_days: 4,
            },
            tax_name: None,
            totals: Totals::compute(TotalsInput {
                subtotal,
                discount: eur("0"),
                shipping: Some(ShippingCharge {
                    price: eur("0"),
                    free_over: None,
                }),
                free_shipping: false,
                tax_rate: rust_decimal::Decimal::ZERO,
                prices_include_tax: true,
            }),
        }
    }

    #[test]
    fn a_changed_quote_is_a_new_checkout_the_same_quote_is_not() {
        let mut c = CheckoutSession::with_token("t1".into());
        c.reviewed(&quote(&[(11, 2, "10.00")], 7));
        assert_eq!(c.token(), "t1", "the first review keeps the token");
        c.reviewed(&quote(&[(11, 2, "10.00")], 7));
        assert_eq!(c.token(), "t1");
        c.reviewed(&quote(&[(11, 2, "12.50")], 7));
        assert_ne!(c.token(), "t1", "another total, another checkout");
        assert_eq!(c.posted("t1"), Posted::Stale);
        // The same total for other things (two of one item instead of another).
        let before = c.token().to_owned();
        c.reviewed(&quote(&[(12, 2, "12.50")], 7));
        assert_ne!(c.token(), before, "the same total for other things");
    }

    #[test]
    fn a_cancelled_order_starts_a_new_checkout_with_the_same_answers() {
        let mut c = CheckoutSession::with_token("t1".into());
        c.set_details(details("NL"));
        c.choose_rate(7);
        c.reviewed(&quote(&[(11, 2, "10.00")], 7));
        c.order_cancelled();
        assert_ne!(c.token(), "t1");
        assert_eq!(c.ready(), None, "to be reviewed again");
        assert_eq!((c.details(), c.rate()), (Some(&details("NL")), Some(7)));
    }

    #[test]
    fn a_paid_checkout_sends_a_repeated_submit_to_its_order() {
        let c = CheckoutSession::with_token("t1".into());
        assert_eq!(c.posted("t1"), Posted::Current);
        assert_eq!(c.posted("other"), Posted::Stale);
        assert_eq!(
            c.paid("t0", "/orders/10000?key=k"),
            None,
            "an older checkout's payment leaves this one alone"
        );
        let c = c.paid("t1", "/orders/10001?key=k").expect("this checkout");
        assert_eq!(
            c.posted("t1"),
            Posted::Paid {
                page: "/orders/10001?key=k"
            }
        );
        assert_ne!(c.token(), "t1", "the next checkout is a new one");
        assert_eq!(c.ready(), None);
    }

    #[test]
    fn a_session_written_by_the_earlier_code_still_reads() {
        // Field names are the session's format: sessions outlive releases.
        let stored = serde_json::json!({
            "token": "t1", "details": null, "rate": 3, "reviewed_total": null
        });
        let c: CheckoutSession = serde_json::from_value(stored).expect("reads");
        assert_eq!((c.token(), c.rate()), ("t1", Some(3)));
    }
}
