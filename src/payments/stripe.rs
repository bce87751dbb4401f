//! The Stripe provider, through async-stripe.
//!
//! Paying takes three parties: the server creates one PaymentIntent per order (amount in
//! minor units, the order id as idempotency key, so a retry never makes a second one);
//! the shopper's browser confirms it with Stripe's Payment Element; and the order becomes
//! paid when the server hears that the intent succeeded: from a signed webhook
//! ([`StripeProvider::handle_webhook`]) or from retrieving the intent when the shopper
//! comes back ([`StripeProvider::finish`]), whichever comes first. Both go through
//! `record_payment`, which records one successful payment per intent, so the second
//! report changes nothing.
//!
//! Refunds go through the Refund API with the shop's idempotency key and its refund's
//! id in the metadata; Stripe's refund events (`refund.*`, `charge.refund.updated`,
//! `charge.refunded`) are handed to `orders::refund::reconcile`, once per event and
//! refund.

use super::signature::{self, SignatureError};
use super::{PaymentError, PaymentProvider, RefundOutcome, RefundRefusal, RefundRequest};
use crate::orders::lifecycle::{record_payment, Outcome, PaymentReport, Recorded};
use crate::orders::read::{constant_time_eq, due, Due};
use crate::orders::Payable;
use crate::{Currency, Error, Money};
use serde::Deserialize;
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::Duration;
use stripe::{
    Client, CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods, PaymentIntent,
    PaymentIntentId, RequestStrategy, StripeError,
};

/// How long one call to Stripe may take before the shopper is told to try again.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Returns from Stripe looked up per client: a shopper comes back a few times at most.
pub const RETURNS: crate::limits::Limit = crate::limits::Limit {
    name: "stripe-return",
    shape: crate::limits::Shape::Bucket {
        burst: 10.0,
        per_sec: 1.0 / 6.0,
    },
};

/// What the shop needs to know to take payments with Stripe.
#[derive(Clone)]
pub struct StripeSettings {
    /// `sk_live_…` or `sk_test_…`: server side only.
    pub secret_key: String,
    /// `pk_…`: given to the browser for the Payment Element.
    pub publishable_key: String,
    /// `whsec_…`: signs the webhooks sent to `/webhooks/stripe`.
    pub webhook_secret: String,
    /// Stripe's API (`https://api.stripe.com/`), or a local fake in tests.
    pub api_base: String,
    /// Stripe.js, loaded by the pay page.
    pub js_url: String,
}

impl std::fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSettings")
            .field("publishable_key", &self.publishable_key)
            .field("api_base", &self.api_base)
            .field("js_url", &self.js_url)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct StripeProvider {
    client: Client,
    settings: StripeSettings,
}

impl std::fmt::Debug for StripeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StripeProvider")
            .field(&self.settings)
            .finish()
    }
}

impl PaymentProvider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }

    /// Refunds part or all of the intent `request.payment` through Stripe's Refund API,
    /// with the request's key as the idempotency key (a retry refunds once). Stripe
    /// settles some refunds later (`pending`); its `charge.refunded` and
    /// `refund.updated` events tell the end.
    async fn refund(
        &self,
        pool: &PgPool,
        request: &RefundRequest<'_>,
    ) -> Result<RefundOutcome, Error> {
        // Only the intent that paid this order: a mistaken pairing must not refund
        // someone else's payment.
        let ours = sqlx::query_scalar!(
            "SELECT id FROM orders WHERE id = $1 AND payment_intent = $2",
            request.order_id,
            request.payment,
        )
        .fetch_optional(pool)
        .await?;
        let (Some(_), Ok(intent)) = (ours, request.payment.parse::<PaymentIntentId>()) else {
            return Ok(RefundOutcome::Refused(RefundRefusal::NoSuchPayment));
        };
        let mut params = stripe::CreateRefund::new();
        params.payment_intent = Some(intent);
        params.amount = Some(
            request
                .amount
                .minor_units()
                .map_err(|e| Error::internal(e.to_string()))?,
        );
        params.metadata = Some(HashMap::from([
            ("order_id".to_owned(), request.order_id.to_string()),
            ("refund_id".to_owned(), request.refund_id.to_string()),
        ]));
        let client = self
            .client
            .clone()
            .with_strategy(RequestStrategy::Idempotent(format!(
                "mercato-refund-{}",
                request.key
            )));
        let refund = match call(stripe::Refund::create(&client, params)).await? {
            Ok(refund) => refund,
            // Stripe said no (more than what is left, a disputed charge): nothing was
            // refunded, and asking again would not change that.
            Err(refused) => {
                return Ok(RefundOutcome::Refused(RefundRefusal::Provider(
                    refused.message,
                )))
            }
        };
        let reference = refund.id.to_string();
        Ok(match refund.status.as_deref() {
            Some("succeeded") => RefundOutcome::Succeeded { reference },
            Some("pending") | Some("requires_action") | None => {
                RefundOutcome::Pending { reference }
            }
            Some(other) => {
                RefundOutcome::Refused(RefundRefusal::Provider(format!("the refund ended {other}")))
            }
        })
    }
}

/// Stripe's name for the currency of `amount`.
fn stripe_currency(amount: Money) -> Result<stripe::Currency, Error> {
    amount
        .currency()
        .code()
        .to_ascii_lowercase()
        .parse::<stripe::Currency>()
        .map_err(|_| Error::PaymentService("Stripe does not take this currency".into()))
}

/// Where a PaymentIntent stands, as far as the shop cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentStatus {
    Succeeded,
    /// The bank has not answered yet (some payment methods take days).
    Processing,
    /// Waiting for the shopper: a first try, another card after a decline, or 3-D Secure.
    AwaitingShopper,
    Canceled,
}

/// A PaymentIntent, reduced to what the shop reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    /// Given to the shopper's browser only; proves the return page's visitor paid.
    pub client_secret: String,
    pub status: IntentStatus,
    pub amount: Money,
    /// From the intent's metadata: the order it was created for.
    pub order_id: Option<i64>,
    /// Why the last attempt failed, in words for the shopper (Stripe's card messages).
    pub failure: Option<String>,
}

/// What the return page learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    Paid,
    /// Paid but not settled: the order is paid when Stripe tells us.
    Processing,
    /// Not paid; says why and what to do.
    NotPaid(PaymentError),
}

/// The order a returning shopper paid for, and how that went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Returned {
    pub order_id: i64,
    /// The checkout that placed the order, to close it in the shopper's session.
    pub checkout_token: String,
    pub number: i64,
    pub access_key: String,
    pub outcome: Finished,
}

/// What a webhook did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Recorded(Recorded),
    /// What each refund the event is about did.
    Refunds(Vec<crate::orders::refund::Reconciled>),
    /// Believed, and nothing to do (another event type, an intent we didn't create).
    Ignored(&'static str),
}

/// Why a webhook was refused: answered with 400, so Stripe shows it as failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("signature: {0}")]
    Signature(#[from] SignatureError),
    #[error("malformed event: {0}")]
    Malformed(String),
    /// Believed, but not handled: answered with 503 when the shop cannot reach its
    /// database (Stripe sends it again later), otherwise with 400 and logged as an
    /// error for someone to look at (Stripe retries those too, for three days).
    #[error("{0}")]
    Failed(#[from] Error),
}

impl StripeProvider {
    /// Fails when the API address is not a URL.
    pub fn new(settings: StripeSettings) -> Result<StripeProvider, String> {
        url::Url::parse(&settings.api_base)
            .map_err(|e| format!("the Stripe API address {:?}: {e}", settings.api_base))?;
        let client = Client::from_url(settings.api_base.as_str(), settings.secret_key.clone());
        Ok(StripeProvider { client, settings })
    }

    pub fn publishable_key(&self) -> &str {
        &self.settings.publishable_key
    }

    pub fn js_url(&self) -> &str {
        &self.settings.js_url
    }

    pub fn api_base(&self) -> &str {
        &self.settings.api_base
    }

    /// Starts paying `order`: its intent, or `None` when it is paid already (a repeated
    /// submit). An expired order cannot be paid.
    pub async fn start(&self, pool: &PgPool, order: &Payable) -> Result<Option<Intent>, Error> {
        match due(pool, order.order_id).await? {
            Due::Open { .. } => self.intent_for(pool, order).await.map(Some),
            Due::Paid => Ok(None),
            Due::Cancelled => Err(PaymentError::OrderCancelled.into()),
        }
    }

    /// The intent that pays `order`: the one made for it before, or a new one.
    async fn intent_for(&self, pool: &PgPool, order: &Payable) -> Result<Intent, Error> {
        let known = sqlx::query_scalar!(
            "SELECT payment_intent FROM orders WHERE id = $1",
            order.order_id,
        )
        .fetch_optional(pool)
        .await?
        .flatten();
        if let Some(id) = known {
            return self.retrieve(&id).await;
        }
        let intent = self.create(order).await?;
        // Two tabs starting at once get the same intent (same idempotency key); the
        // first to get here records it.
        sqlx::query!(
            "UPDATE orders SET payment_intent = $2 WHERE id = $1 AND payment_intent IS NULL",
            order.order_id,
            intent.id,
        )
        .execute(pool)
        .await?;
        Ok(intent)
    }

    async fn create(&self, order: &Payable) -> Result<Intent, Error> {
        let minor = order
            .amount
            .minor_units()
            .map_err(|e| Error::internal(e.to_string()))?;
        let currency = stripe_currency(order.amount)?;
        let description = format!("Order {}", order.number);
        let mut params = CreatePaymentIntent::new(minor, currency);
        params.automatic_payment_methods = Some(CreatePaymentIntentAutomaticPaymentMethods {
            allow_redirects: None,
            enabled: true,
        });
        params.description = Some(&description);
        params.metadata = Some(HashMap::from([
            ("order_id".to_owned(), order.order_id.to_string()),
            ("order_number".to_owned(), order.number.to_string()),
        ]));
        let client = self
            .client
            .clone()
            .with_strategy(RequestStrategy::Idempotent(format!(
                "mercato-order-{}",
                order.order_id
            )));
        let intent = within_timeout(PaymentIntent::create(&client, params)).await?;
        from_api(intent)
    }

    async fn retrieve(&self, id: &str) -> Result<Intent, Error> {
        let id: PaymentIntentId = id.parse().map_err(|_| Error::NotFound)?;
        from_api(within_timeout(PaymentIntent::retrieve(&self.client, &id, &[])).await?)
    }

    /// The shopper is back from paying (`/checkout/return?payment_intent=…&
    /// payment_intent_client_secret=…`): asks Stripe how it went and records a success.
    /// Only someone holding the intent's client secret learns which order it was.
    pub async fn finish(
        &self,
        pool: &PgPool,
        intent_id: &str,
        client_secret: &str,
        public_url: &str,
        client: &crate::limits::client::ClientKey,
    ) -> Result<Returned, Error> {
        // Only an intent of one of our orders is worth asking Stripe about: anyone can
        // make up a link, and each would otherwise cost a call to Stripe.
        let plausible = intent_id.starts_with("pi_")
            && intent_id.len() <= 255
            && intent_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !plausible {
            return Err(Error::NotFound);
        }
        let ours =
            sqlx::query_scalar!("SELECT id FROM orders WHERE payment_intent = $1", intent_id,)
                .fetch_optional(pool)
                .await?;
        if ours.is_none() {
            return Err(Error::NotFound);
        }
        // One's own order's link could still be replayed to spend the shop's Stripe
        // quota: a shopper comes back a few times at most.
        RETURNS
            .take(pool, client.as_str())
            .await?
            .map_err(Error::wait)?;
        let intent = self.retrieve(intent_id).await?;
        if !constant_time_eq(intent.client_secret.as_bytes(), client_secret.as_bytes()) {
            return Err(Error::NotFound);
        }
        let order_id = order_of(pool, &intent).await?.ok_or(Error::NotFound)?;
        let outcome = match self
            .record(pool, order_id, &intent, None, public_url)
            .await?
        {
            Some(recorded) => match PaymentError::from_recorded(recorded) {
                Ok(()) => Finished::Paid,
                Err(why) => Finished::NotPaid(why),
            },
            None if intent.status == IntentStatus::Processing => Finished::Processing,
            None => Finished::NotPaid(PaymentError::NotCompleted),
        };
        let order = sqlx::query!(
            "SELECT number, access_key, checkout_token FROM orders WHERE id = $1",
            order_id,
        )
        .fetch_one(pool)
        .await?;
        Ok(Returned {
            order_id,
            checkout_token: order.checkout_token,
            number: order.number,
            access_key: order.access_key,
            outcome,
        })
    }

    /// A POST to `/webhooks/stripe`. Believed only with a valid signature made within
    /// the last five minutes. An event seen before changes nothing; events may come in
    /// any order (a late `payment_failed` leaves a paid order paid).
    pub async fn handle_webhook(
        &self,
        pool: &PgPool,
        body: &[u8],
        signature_header: Option<&str>,
        now: i64,
        public_url: &str,
    ) -> Result<Handled, WebhookError> {
        signature::verify(body, signature_header, &self.settings.webhook_secret, now)?;
        let event: Event =
            serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
        let malformed = |e: serde_json::Error| WebhookError::Malformed(e.to_string());
        let refunds = match event.kind.as_str() {
            "refund.created" | "refund.updated" | "refund.failed" | "charge.refund.updated" => {
                Some(vec![serde_json::from_value::<EventRefund>(
                    event.data.object.clone(),
                )
                .map_err(malformed)?])
            }
            // A charge with (in the API versions that still list them) its refunds.
            "charge.refunded" => Some(
                serde_json::from_value::<EventCharge>(event.data.object.clone())
                    .map_err(malformed)?
                    .refunds
                    .map(|list| list.data)
                    .unwrap_or_default(),
            ),
            _ => None,
        };
        if let Some(refunds) = refunds {
            let mut done = Vec::with_capacity(refunds.len());
            for refund in refunds {
                done.push(self.reconcile(pool, &event.id, refund, public_url).await?);
            }
            return Ok(Handled::Refunds(done));
        }
        if !matches!(
            event.kind.as_str(),
            "payment_intent.succeeded" | "payment_intent.payment_failed"
        ) {
            return Ok(Handled::Ignored("an event the shop does not act on"));
        }
        let intent = serde_json::from_value::<EventIntent>(event.data.object)
            .map_err(|e| WebhookError::Malformed(e.to_string()))
            .and_then(|i| i.into_intent().map_err(WebhookError::Malformed))?;
        let Some(order_id) = order_of(pool, &intent).await? else {
            return Ok(Handled::Ignored("no order has this payment intent"));
        };
        Ok(
            match self
                .record(pool, order_id, &intent, Some(&event.id), public_url)
                .await?
            {
                Some(recorded) => Handled::Recorded(recorded),
                None => Handled::Ignored("the intent has not succeeded or failed"),
            },
        )
    }

    /// Records what Stripe says about one refund. An event listing several refunds
    /// counts as seen once per refund.
    async fn reconcile(
        &self,
        pool: &PgPool,
        event_id: &str,
        refund: EventRefund,
        public_url: &str,
    ) -> Result<crate::orders::refund::Reconciled, Error> {
        use crate::orders::refund::{reconcile, Reconciled, RefundReport, RefundState};
        let Some(intent) = refund.payment_intent.as_deref() else {
            return Ok(Reconciled::Unknown);
        };
        let amount = money(refund.amount, &refund.currency)
            .map_err(|e| Error::PaymentService(format!("refund {}: {e}", refund.id)))?;
        let state = match refund.status.as_str() {
            "succeeded" => RefundState::Succeeded,
            "failed" | "canceled" => RefundState::Failed,
            // pending, requires_action
            _ => RefundState::Pending,
        };
        let seen = format!("{event_id}:{}", refund.id);
        reconcile(
            pool,
            &RefundReport {
                provider: self.name(),
                reference: &refund.id,
                payment: intent,
                amount,
                state,
                refund_id: refund
                    .metadata
                    .get("refund_id")
                    .and_then(|v| v.parse().ok()),
                failure: refund.failure_reason.clone(),
                event_id: &seen,
            },
            public_url,
        )
        .await
    }

    /// Records what `intent` says about the order's payment; `None` when it says
    /// nothing final yet.
    async fn record(
        &self,
        pool: &PgPool,
        order_id: i64,
        intent: &Intent,
        event_id: Option<&str>,
        public_url: &str,
    ) -> Result<Option<Recorded>, Error> {
        let reference = intent.id.clone();
        let outcome = match (intent.status, &intent.failure) {
            (IntentStatus::Succeeded, _) => Outcome::Succeeded { reference },
            (IntentStatus::AwaitingShopper, Some(reason)) => Outcome::Declined {
                reference,
                reason: Some(reason.clone()),
            },
            _ => return Ok(None),
        };
        let report = PaymentReport {
            order_id,
            provider: self.name(),
            amount: intent.amount,
            outcome,
            event_id,
        };
        record_payment(pool, &report, public_url).await.map(Some)
    }
}

/// The order an intent pays: the one it was recorded on, or (when the server stopped
/// before recording it) the one its metadata names, if that order has no other intent.
async fn order_of(pool: &PgPool, intent: &Intent) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM orders
         WHERE payment_intent = $1 OR (id = $2 AND payment_intent IS NULL)
         ORDER BY payment_intent IS NULL
         LIMIT 1",
        intent.id,
        intent.order_id,
    )
    .fetch_optional(pool)
    .await?)
}

/// Stripe answered a request and refused it for a reason asking again would not change
/// (a 4xx other than those `call` treats as faults).
#[derive(Debug)]
struct Refused {
    status: u16,
    message: String,
}

/// Makes one call to Stripe, within [`TIMEOUT`]. `Ok(Err(_))`: Stripe refused the
/// request itself. Faults are errors: no answer, a 5xx, a rate limit or a request still
/// in flight under the same idempotency key (409, 429: [`Error::PaymentService`], try
/// again with the same key), or Stripe refusing our key (401, 403: [`Error::Internal`],
/// the configuration is wrong).
async fn call<T>(
    request: impl std::future::Future<Output = Result<T, StripeError>>,
) -> Result<Result<T, Refused>, Error> {
    match tokio::time::timeout(TIMEOUT, request).await {
        Ok(Ok(value)) => Ok(Ok(value)),
        Ok(Err(StripeError::Stripe(e))) => match e.http_status {
            401 | 403 => Err(Error::internal(format!(
                "Stripe refused the secret key ({}): {}",
                e.http_status,
                e.message.unwrap_or_default()
            ))),
            409 | 429 => Err(Error::PaymentService(format!(
                "Stripe asked to try again later ({})",
                e.http_status
            ))),
            status @ 400..=499 => Ok(Err(Refused {
                status,
                message: e.message.unwrap_or_else(|| format!("HTTP {status}")),
            })),
            status => Err(Error::PaymentService(format!(
                "Stripe answered {status}: {}",
                e.message.unwrap_or_default()
            ))),
        },
        Ok(Err(error)) => Err(Error::PaymentService(error.to_string())),
        Err(_) => Err(Error::PaymentService(format!(
            "no answer from Stripe in {} s",
            TIMEOUT.as_secs()
        ))),
    }
}

/// [`call`] for requests Stripe should never refuse: a 404 is a made-up intent id (in a
/// return link, say), anything else refused is a fault.
async fn within_timeout<T>(
    request: impl std::future::Future<Output = Result<T, StripeError>>,
) -> Result<T, Error> {
    match call(request).await? {
        Ok(value) => Ok(value),
        Err(Refused { status: 404, .. }) => Err(Error::NotFound),
        Err(refused) => Err(Error::PaymentService(format!(
            "Stripe refused the request ({}): {}",
            refused.status, refused.message
        ))),
    }
}

fn from_api(intent: PaymentIntent) -> Result<Intent, Error> {
    Ok(Intent {
        amount: money(intent.amount, &intent.currency.to_string())
            .map_err(|e| Error::PaymentService(format!("intent {}: {e}", intent.id)))?,
        id: intent.id.to_string(),
        client_secret: intent.client_secret.unwrap_or_default(),
        status: IntentStatus::from_stripe(intent.status.as_str()),
        order_id: order_in(&intent.metadata),
        failure: intent.last_payment_error.and_then(|e| e.message),
    })
}

impl IntentStatus {
    /// From Stripe's name for the status (the API's and the webhooks' alike).
    fn from_stripe(status: &str) -> IntentStatus {
        match status {
            "succeeded" => IntentStatus::Succeeded,
            "processing" | "requires_capture" => IntentStatus::Processing,
            "canceled" => IntentStatus::Canceled,
            // requires_payment_method, requires_confirmation, requires_action
            _ => IntentStatus::AwaitingShopper,
        }
    }
}

/// The order an intent was created for, from its metadata.
fn order_in(metadata: &HashMap<String, String>) -> Option<i64> {
    metadata.get("order_id").and_then(|v| v.parse().ok())
}

fn money(minor: i64, currency: &str) -> Result<Money, String> {
    let currency = Currency::parse(&currency.to_ascii_uppercase()).map_err(|e| e.to_string())?;
    Ok(Money::from_minor(minor, currency))
}

/// The parts of a webhook event the shop reads. Parsed loosely (not with async-stripe's
/// types): events come in the account's API version, which may be newer than ours.
#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct EventIntent {
    id: String,
    amount: i64,
    currency: String,
    status: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    metadata: HashMap<String, String>,
    #[serde(default)]
    last_payment_error: Option<EventError>,
}

/// A refund as Stripe's events carry it.
#[derive(Deserialize)]
struct EventRefund {
    id: String,
    amount: i64,
    currency: String,
    status: String,
    #[serde(default)]
    payment_intent: Option<String>,
    #[serde(default)]
    metadata: HashMap<String, String>,
    #[serde(default)]
    failure_reason: Option<String>,
}

#[derive(Deserialize)]
struct EventCharge {
    #[serde(default)]
    refunds: Option<EventList>,
}

#[derive(Deserialize)]
struct EventList {
    #[serde(default)]
    data: Vec<EventRefund>,
}

#[derive(Deserialize)]
struct EventError {
    #[serde(default)]
    message: Option<String>,
}

impl EventIntent {
    fn into_intent(self) -> Result<Intent, String> {
        Ok(Intent {
            amount: money(self.amount, &self.currency)?,
            status: IntentStatus::from_stripe(&self.status),
            order_id: order_in(&self.metadata),
            id: self.id,
            client_secret: self.client_secret.unwrap_or_default(),
            // A failed event always says why; Stripe's message is written for shoppers.
            failure: self.last_payment_error.map(|e| {
                e.message
                    .unwrap_or_else(|| "Your card was declined.".to_owned())
            }),
        })
    }
}
