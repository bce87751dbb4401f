//! Payments, behind the [`PaymentProvider`] trait: the offline `test` provider (demos
//! and tests) and Stripe. [`Payments`] is the shop's one provider, chosen from its
//! configuration, and the one place that tells them apart: server functions ask it to
//! start, confirm or refund, never which provider it is.
//!
//! Payments depend on orders, never the other way: a payment is recorded through
//! `orders::lifecycle::record_payment`, once, whatever the provider.

#[cfg(feature = "server")]
pub mod signature;
#[cfg(feature = "server")]
pub mod stripe;
#[cfg(feature = "server")]
pub mod test_provider;

use crate::Money;
use serde::{Deserialize, Serialize};

/// Why a payment did not go through. The order and the cart are kept unless it says
/// otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PaymentError {
    /// The card or the bank said no; `reason` is the provider's words, when it gave any.
    #[error("{} Nothing was charged: try again or use another card; your order and cart are kept.", reason.as_deref().unwrap_or("Your card was declined."))]
    Declined { reason: Option<String> },
    /// The order was cancelled (not paid in time, replaced by a newer checkout, or by
    /// the shop) before this payment.
    #[error("This order was cancelled before it was paid, and its items went back on sale. Review your cart and check out again.")]
    OrderCancelled,
    #[error("Your payment arrived after the order was cancelled. We will refund it; please check out again.")]
    PaidAfterCancel,
    #[error("Test cards are not taken here. Reload the page to pay by card.")]
    NotTestCards,
    #[error("Card payments are taken on this page with a test card. Reload the page.")]
    NotStripe,
    #[error("The payment was not completed and nothing was charged. Try again below; your order and cart are kept.")]
    NotCompleted,
    #[error("{0}")]
    Card(CardError),
}

impl PaymentError {
    /// For the shopper: `Ok` when `recorded` left the order paid, or why it is not.
    #[cfg(feature = "server")]
    pub fn from_recorded(recorded: crate::orders::lifecycle::Recorded) -> Result<(), PaymentError> {
        use crate::orders::lifecycle::Recorded;
        match recorded {
            Recorded::Paid | Recorded::AlreadyPaid | Recorded::DuplicateEvent => Ok(()),
            Recorded::Declined { reason } => Err(PaymentError::Declined { reason }),
            Recorded::PaidAfterCancel => Err(PaymentError::PaidAfterCancel),
        }
    }
}

/// Money to give back for an order's payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest<'a> {
    pub order_id: i64,
    /// The shop's refund (`refunds.id`), named in the provider's metadata so that its
    /// webhooks find it even before its reference was recorded.
    pub refund_id: i64,
    /// The provider's reference of the payment to refund (a test reference, a Stripe
    /// PaymentIntent id).
    pub payment: &'a str,
    pub amount: Money,
    /// The same key asks for the same refund: a retry after a timeout refunds once.
    pub key: &'a str,
}

/// What a provider did with a refund request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefundOutcome {
    /// The money is on its way back; `reference` is the provider's id for the refund.
    Succeeded { reference: String },
    /// Accepted, not yet settled (the provider reports the end later).
    Pending { reference: String },
    /// Refused; nothing was refunded.
    Refused(RefundRefusal),
}

/// Why a refund was refused. Asking again the same way would be refused again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RefundRefusal {
    #[error("This order has no such payment to refund.")]
    NoSuchPayment,
    #[error("A refund must be more than nothing and at most what was paid.")]
    AmountOutOfRange,
    /// The provider said no (more than is left to refund, a disputed charge); its words.
    #[error("The payment provider refused the refund: {0}")]
    Provider(String),
}

/// A way to take payments and give money back.
#[cfg(feature = "server")]
pub trait PaymentProvider: Send + Sync {
    /// The name stored with each payment (`test`, `stripe`).
    fn name(&self) -> &'static str;

    /// Gives back `request.amount` of a payment this provider took. A request repeated
    /// with the same key refunds once. An unreachable provider is
    /// [`crate::Error::PaymentService`]: nothing was refunded, and the same request may
    /// be sent again.
    fn refund(
        &self,
        pool: &sqlx::PgPool,
        request: &RefundRequest<'_>,
    ) -> impl std::future::Future<Output = Result<RefundOutcome, crate::Error>> + Send;
}

/// The provider this shop takes payments with, chosen once from its configuration.
#[cfg(feature = "server")]
#[derive(Debug, Clone)]
pub enum Payments {
    /// No Stripe key configured: test cards on our own page.
    Test(test_provider::TestProvider),
    Stripe(std::sync::Arc<stripe::StripeProvider>),
}

/// What the pay button does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Started {
    /// Mount Stripe's Payment Element for this intent, and come back to `return_url`.
    Stripe {
        client_secret: String,
        return_url: String,
    },
    /// Paid already (a repeated submit): go to the order.
    Paid,
}

#[cfg(feature = "server")]
impl Payments {
    /// Pays `order` with a test card typed on our own page (the test provider only).
    /// A declined card is [`PaymentError::Declined`]: the order waits, the cart is kept.
    pub async fn pay_with_test_card(
        &self,
        pool: &sqlx::PgPool,
        order: &crate::orders::Payable,
        card: TestCard,
        public_url: &str,
    ) -> Result<(), crate::Error> {
        match self {
            Payments::Test(provider) => provider.pay(pool, order, card, public_url).await,
            Payments::Stripe(_) => Err(PaymentError::NotTestCards.into()),
        }
    }

    /// Starts paying `order` with Stripe's Payment Element (the Stripe provider only).
    pub async fn start(
        &self,
        pool: &sqlx::PgPool,
        order: &crate::orders::Payable,
        public_url: &str,
    ) -> Result<Started, crate::Error> {
        match self {
            Payments::Stripe(stripe) => Ok(match stripe.start(pool, order).await? {
                Some(intent) => Started::Stripe {
                    client_secret: intent.client_secret,
                    return_url: format!("{public_url}/checkout/return"),
                },
                None => Started::Paid,
            }),
            Payments::Test(_) => Err(PaymentError::NotStripe.into()),
        }
    }

    /// The shopper is back from Stripe with `intent` and its client secret (the Stripe
    /// provider only; for the test provider no such link exists: not found).
    pub async fn finish(
        &self,
        pool: &sqlx::PgPool,
        intent: &str,
        client_secret: &str,
        public_url: &str,
        client: &crate::limits::client::ClientKey,
    ) -> Result<stripe::Returned, crate::Error> {
        match self {
            Payments::Stripe(stripe) => {
                stripe
                    .finish(pool, intent, client_secret, public_url, client)
                    .await
            }
            Payments::Test(_) => Err(crate::Error::NotFound),
        }
    }

    /// Gives money back through whichever provider took it.
    pub async fn refund(
        &self,
        pool: &sqlx::PgPool,
        request: &RefundRequest<'_>,
    ) -> Result<RefundOutcome, crate::Error> {
        match self {
            Payments::Test(p) => p.refund(pool, request).await,
            Payments::Stripe(p) => p.refund(pool, request).await,
        }
    }
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
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
