//! Payments, behind the [`PaymentProvider`] trait: the offline `test` provider (demos
//! and tests) and Stripe. Whatever the provider, a payment is recorded through
//! `orders::lifecycle::record_payment`, once.

#[cfg(feature = "server")]
pub mod signature;
#[cfg(feature = "server")]
pub mod stripe;
#[cfg(feature = "server")]
pub mod test_provider;

use crate::Money;
use serde::{Deserialize, Serialize};

/// What a provider says about an attempt to pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The money is ours; `reference` is the provider's id for the payment.
    Succeeded { reference: String },
    /// The card was refused; the shopper may try another.
    Declined { reference: String, reason: String },
    /// The provider could not answer; nothing was charged.
    Failed { reason: String },
}

/// An order to be paid, as a provider needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payable {
    pub order_id: i64,
    pub number: i64,
    pub amount: Money,
}

/// Said when paying an order that expired meanwhile.
pub const ORDER_EXPIRED: &str = "This order expired before it was paid, and its items went back on sale. Review your cart and check out again.";
/// Said when money arrived for an order cancelled meanwhile.
pub const PAID_AFTER_CANCEL: &str =
    "Your payment arrived after the order had expired. We will refund it; please check out again.";

/// A way to take payments.
pub trait PaymentProvider: Send + Sync {
    /// The name stored with each payment (`test`, `stripe`).
    fn name(&self) -> &'static str;
}

/// The provider this shop takes payments with, chosen once from its configuration.
#[cfg(feature = "server")]
#[derive(Debug, Clone)]
pub enum Payments {
    /// No Stripe key configured: test cards on our own page.
    Test(test_provider::TestProvider),
    Stripe(std::sync::Arc<stripe::StripeProvider>),
}

/// How the pay page collects the payment: what the browser needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayWith {
    /// A test card number typed into our own form.
    TestCard,
    /// Stripe's Payment Element.
    Stripe {
        publishable_key: String,
        js_url: String,
    },
}

#[cfg(feature = "server")]
impl Payments {
    pub fn pay_with(&self) -> PayWith {
        match self {
            Payments::Test(_) => PayWith::TestCard,
            Payments::Stripe(s) => PayWith::Stripe {
                publishable_key: s.publishable_key().to_owned(),
                js_url: s.js_url().to_owned(),
            },
        }
    }

    /// Stripe.js's URL and Stripe's API base, when Stripe takes the payments (the
    /// page's security policy must allow them).
    pub fn stripe_urls(&self) -> Option<(&str, &str)> {
        match self {
            Payments::Test(_) => None,
            Payments::Stripe(s) => Some((s.js_url(), s.api_base())),
        }
    }
}

/// The test provider's cards. For demos and tests only: nothing is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestCard {
    /// 4242 4242 4242 4242
    Succeeds,
    /// 4000 0000 0000 0002
    Declines,
    /// 4000 0000 0000 0119: the provider fails with an error.
    Errors,
}

/// The numbers a demo may use, as shown on the pay page.
pub const TEST_CARDS: [(&str, &str); 3] = [
    ("4242 4242 4242 4242", "pays"),
    ("4000 0000 0000 0002", "is declined"),
    ("4000 0000 0000 0119", "fails with an error"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("Enter the card number.")]
    Missing,
    #[error("That isn't one of the test card numbers. Use 4242 4242 4242 4242 to pay.")]
    Unknown,
}

impl TestCard {
    /// Reads a typed card number; spaces and dashes are ignored.
    pub fn parse(typed: &str) -> Result<TestCard, CardError> {
        let digits: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .take(40)
            .collect();
        match digits.as_str() {
            "" => Err(CardError::Missing),
            "4242424242424242" => Ok(TestCard::Succeeds),
            "4000000000000002" => Ok(TestCard::Declines),
            "4000000000000119" => Ok(TestCard::Errors),
            _ => Err(CardError::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards_are_read_with_or_without_spaces() {
        assert_eq!(
            TestCard::parse("4242 4242 4242 4242"),
            Ok(TestCard::Succeeds)
        );
        assert_eq!(
            TestCard::parse("4000-0000-0000-0002"),
            Ok(TestCard::Declines)
        );
        assert_eq!(TestCard::parse(" 4000000000000119 "), Ok(TestCard::Errors));
        assert_eq!(TestCard::parse(""), Err(CardError::Missing));
        assert_eq!(
            TestCard::parse("5555 5555 5555 4444"),
            Err(CardError::Unknown)
        );
        assert_eq!(
            TestCard::parse(&"4".repeat(10_000)),
            Err(CardError::Unknown)
        );
        for (number, _) in TEST_CARDS {
            assert!(TestCard::parse(number).is_ok(), "{number}");
        }
    }
}
