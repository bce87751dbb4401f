//! The offline provider: a card number decides the outcome. Labelled as a test on every
//! page that uses it.

use super::{Outcome, Payable, PaymentProvider, TestCard, ORDER_EXPIRED};
use crate::checkout::place::Placed;
use crate::orders::lifecycle::{record_payment, PaymentReport};
use crate::orders::read::{due, Due};
use crate::Error;
use sqlx::PgPool;

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

impl TestProvider {
    /// Pays the placed order with `card`, once: an order already paid is not charged
    /// again (a repeated submit), an expired one cannot be paid. `Ok(Err(message))`
    /// says, for the shopper, why the order is still unpaid.
    pub async fn pay(
        &self,
        pool: &PgPool,
        placed: &Placed,
        card: TestCard,
        public_url: &str,
    ) -> Result<Result<(), String>, Error> {
        let attempts = match due(pool, placed.id).await? {
            Due::Open { attempts } => attempts,
            Due::Expired => return Ok(Err(ORDER_EXPIRED.to_owned())),
            Due::Paid => return Ok(Ok(())),
        };
        let payable = Payable {
            order_id: placed.id,
            number: placed.number.0,
            amount: placed.total,
        };
        let report = PaymentReport {
            order_id: placed.id,
            provider: self.name(),
            amount: placed.total,
            outcome: self.charge(&payable, card, attempts + 1),
            event_id: None,
        };
        Ok(record_payment(pool, &report, public_url)
            .await?
            .for_shopper())
    }
}
