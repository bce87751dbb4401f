//! The offline provider: a card number decides the outcome. Labelled as a test on every
//! page that uses it. Refunds always go through (for amounts it took).

use super::{PaymentError, PaymentProvider, RefundOutcome, RefundRefusal, RefundRequest, TestCard};
use crate::orders::lifecycle::{record_payment, Outcome, PaymentReport, PaymentStatus};
use crate::orders::read::{due, Due};
use crate::orders::Payable;
use crate::Error;
use rust_decimal::Decimal;
use sqlx::PgPool;

#[derive(Debug, Clone, Copy, Default)]
pub struct TestProvider;

impl PaymentProvider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }

    /// Refunds a payment this provider took, up to its amount; the reference comes from
    /// the key, so asking twice with one key refunds once.
    async fn refund(
        &self,
        pool: &PgPool,
        request: &RefundRequest<'_>,
    ) -> Result<RefundOutcome, Error> {
        let paid = sqlx::query_scalar!(
            "SELECT amount FROM payments
             WHERE provider = $3 AND order_id = $1 AND reference = $2 AND status = $4",
            request.order_id,
            request.payment,
            self.name(),
            PaymentStatus::Succeeded as PaymentStatus,
        )
        .fetch_optional(pool)
        .await?;
        let Some(paid) = paid else {
            return Ok(RefundOutcome::Refused(RefundRefusal::NoSuchPayment));
        };
        if request.amount.amount() <= Decimal::ZERO || request.amount.amount() > paid {
            return Ok(RefundOutcome::Refused(RefundRefusal::AmountOutOfRange));
        }
        Ok(RefundOutcome::Succeeded {
            reference: format!("test_re_{}", request.key),
        })
    }
}

impl TestProvider {
    /// Charges `payable` to `card`. Each attempt gets its own reference. The card that
    /// errors plays the provider failing: [`Error::PaymentService`], nothing charged.
    pub fn charge(
        &self,
        payable: &Payable,
        card: TestCard,
        attempt: i64,
    ) -> Result<Outcome, Error> {
        let reference = format!("test_{}_{attempt}", payable.number);
        match card {
            TestCard::Succeeds => Ok(Outcome::Succeeded { reference }),
            TestCard::Declines => Ok(Outcome::Declined {
                reference,
                reason: None,
            }),
            TestCard::Errors => Err(Error::PaymentService(format!(
                "the test card that errors, for order {}",
                payable.number
            ))),
        }
    }

    /// Pays the placed order with `card`, once: an order already paid is not charged
    /// again (a repeated submit), an expired one cannot be paid. A [`PaymentError`]
    /// says, for the shopper, why the order is still unpaid.
    pub async fn pay(
        &self,
        pool: &PgPool,
        order: &Payable,
        card: TestCard,
        public_url: &str,
    ) -> Result<(), Error> {
        let attempts = match due(pool, order.order_id).await? {
            Due::Open { attempts } => attempts,
            Due::Cancelled => return Err(PaymentError::OrderCancelled.into()),
            Due::Paid => return Ok(()),
        };
        let report = PaymentReport {
            order_id: order.order_id,
            provider: self.name(),
            amount: order.amount,
            outcome: self.charge(order, card, attempts + 1)?,
            event_id: None,
        };
        let recorded = record_payment(pool, &report, public_url).await?;
        Ok(PaymentError::from_recorded(recorded)?)
    }
}
