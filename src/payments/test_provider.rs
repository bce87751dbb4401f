//! The offline provider: a card number decides the outcome. Labelled as a test on every
//! page that uses it.

use super::{Outcome, Payable, PaymentProvider, TestCard};

#[derive(Debug, Clone, Copy, Default)]
pub struct TestProvider;

impl PaymentProvider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }
}

impl TestProvider {
    /// Charges `payable` to `card`. Each attempt gets its own reference.
    pub fn charge(&self, payable: &Payable, card: TestCard, attempt: i64) -> Outcome {
        let reference = format!("test_{}_{attempt}", payable.number);
        match card {
            TestCard::Succeeds => Outcome::Succeeded { reference },
            TestCard::Declines => Outcome::Declined {
                reference,
                reason: "Your card was declined. Try another card; your order and cart are kept."
                    .to_owned(),
            },
            TestCard::Errors => Outcome::Failed {
                reason:
                    "The payment service had a problem and charged nothing. Try again in a moment."
                        .to_owned(),
            },
        }
    }
}
