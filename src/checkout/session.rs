//! The checkout under way, as the shopper's session keeps it: what the steps gathered,
//! the total the shopper last reviewed (the only total an order is placed at), and the
//! token placing is idempotent on. Its rules, in one place:
//! - a new token whenever the reviewed total changes (an order placed under the old
//!   token, say with a declined card, is not this checkout);
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
    pub reviewed_total: Money,
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

    /// The shopper reviewed a quote of `total`. A total other than the one reviewed
    /// before makes this a new checkout (a new token).
    pub fn reviewed(&mut self, total: Money) {
        if self.reviewed_total.is_some_and(|before| before != total) {
            self.token = crate::token::random_hex();
        }
        self.reviewed_total = Some(total);
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
            reviewed_total: self.reviewed_total?,
        })
    }

    /// The checkout with `token` was paid; its order is at `page`. The next checkout
    /// starts afresh, and a repeated submit of this one goes to `page`.
    pub fn paid(token: &str, page: &str) -> CheckoutSession {
        let mut next = CheckoutSession::new();
        next.paid = Some((token.to_owned(), page.to_owned()));
        next
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
        c.reviewed(eur("20.00"));
        let ready = c.ready().expect("ready");
        assert_eq!(
            (ready.token, ready.rate, ready.reviewed_total),
            ("t1", 7, eur("20.00"))
        );
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

    #[test]
    fn a_changed_total_is_a_new_checkout_the_same_total_is_not() {
        let mut c = CheckoutSession::with_token("t1".into());
        c.reviewed(eur("20.00"));
        assert_eq!(c.token(), "t1", "the first review keeps the token");
        c.reviewed(eur("20.00"));
        assert_eq!(c.token(), "t1");
        c.reviewed(eur("25.00"));
        assert_ne!(c.token(), "t1", "another total, another checkout");
        assert_eq!(c.posted("t1"), Posted::Stale);
    }

    #[test]
    fn a_paid_checkout_sends_a_repeated_submit_to_its_order() {
        let mut c = CheckoutSession::with_token("t1".into());
        assert_eq!(c.posted("t1"), Posted::Current);
        assert_eq!(c.posted("other"), Posted::Stale);
        c = CheckoutSession::paid("t1", "/orders/10001?key=k");
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
