//! A small local stand-in for the Stripe API endpoints the shop calls (create and
//! retrieve a PaymentIntent, create a Refund), answering with Stripe's JSON shapes,
//! honouring idempotency keys, and letting a test play the shopper's side (`settle`),
//! Stripe's side of refunds (pending ones ended later, one made in the dashboard, the
//! charge listing them for `charge.refunded`, Stripe down) and sign webhooks.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use mercato::payments::stripe::{StripeProvider, StripeSettings};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const SECRET_KEY: &str = "sk_test_fake";
pub const WEBHOOK_SECRET: &str = "whsec_fake_signing_secret";

/// One create call as the fake received it.
#[derive(Debug, Clone)]
pub struct Create {
    pub idempotency_key: Option<String>,
    pub form: HashMap<String, String>,
}

#[derive(Default)]
struct Inner {
    intents: HashMap<String, Value>,
    by_key: HashMap<String, String>,
    creates: Vec<Create>,
    retrieves: usize,
    refunds: HashMap<String, Value>,
    refund_keys: HashMap<String, String>,
    /// The status new refunds get (`succeeded` unless a test says otherwise).
    refund_status: Option<String>,
    /// Stripe down: refunds are answered 500 and made nowhere.
    down: bool,
    /// Refunds are made, but the answer is lost on the way (a 500 after the fact).
    answers_lost: bool,
}

#[derive(Clone, Default)]
pub struct FakeStripe {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeStripe {
    /// Starts the fake on a free port; it stops with the test's runtime.
    pub async fn start() -> FakeStripe {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let fake = FakeStripe {
            url: format!("http://{}/", listener.local_addr().expect("address")),
            inner: Arc::default(),
        };
        let router = Router::new()
            .route("/v1/payment_intents", post(create))
            .route("/v1/payment_intents/{id}", get(retrieve))
            .route("/v1/refunds", post(refund))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        fake
    }

    /// The refunds made, by id.
    pub fn refunds(&self) -> Vec<Value> {
        self.lock().refunds.values().cloned().collect()
    }

    /// New refunds end `status` (`pending`: settled later with [`FakeStripe::end_refund`]).
    pub fn refunds_end(&self, status: &str) {
        self.lock().refund_status = Some(status.to_owned());
    }

    /// Refunds are made but their answers lost (`true`), as when the connection drops
    /// after Stripe acted.
    pub fn lose_answers(&self, lost: bool) {
        self.lock().answers_lost = lost;
    }

    /// Stripe down (`true`) or back (`false`) for refunds.
    pub fn down(&self, down: bool) {
        self.lock().down = down;
    }

    /// A pending refund ends `status`, as Stripe's `refund.updated` then says.
    pub fn end_refund(&self, id: &str, status: &str) -> Value {
        let mut inner = self.lock();
        let refund = inner.refunds.get_mut(id).expect("a known refund");
        refund["status"] = json!(status);
        refund.clone()
    }

    /// A refund made in Stripe's dashboard (no key, no metadata of the shop's).
    pub fn refund_in_dashboard(&self, intent: &str, amount: i64) -> Value {
        let mut inner = self.lock();
        let id = format!("re_dash{}", inner.refunds.len() + 1);
        let currency = inner.intents[intent]["currency"].clone();
        let refund = json!({
            "id": id, "object": "refund", "amount": amount, "currency": currency,
            "payment_intent": intent, "status": "succeeded", "metadata": {},
        });
        inner.refunds.insert(id, refund.clone());
        refund
    }

    /// The charge of a succeeded intent with its refunds listed, as `charge.refunded`
    /// carries it.
    pub fn charge(&self, intent: &str) -> Value {
        let inner = self.lock();
        let refunds: Vec<Value> = inner
            .refunds
            .values()
            .filter(|r| r["payment_intent"] == intent)
            .cloned()
            .collect();
        json!({
            "id": format!("ch_{intent}"), "object": "charge", "payment_intent": intent,
            "amount": inner.intents[intent]["amount"],
            "amount_refunded": refunds.iter().filter_map(|r| r["amount"].as_i64()).sum::<i64>(),
            "refunded": false,
            "refunds": { "object": "list", "data": refunds },
        })
    }

    /// How many times the shop asked for an intent.
    pub fn retrieves(&self) -> usize {
        self.lock().retrieves
    }

    /// A provider that talks to this fake.
    pub fn provider(&self) -> StripeProvider {
        provider_at(&self.url)
    }

    pub fn creates(&self) -> Vec<Create> {
        self.lock().creates.clone()
    }

    pub fn intent(&self, id: &str) -> Value {
        self.lock()
            .intents
            .get(id)
            .cloned()
            .expect("a known intent")
    }

    /// What the browser and the bank do: the intent succeeds, or fails with `decline`.
    pub fn settle(&self, id: &str, decline: Option<&str>) -> Value {
        let mut inner = self.lock();
        let intent = inner.intents.get_mut(id).expect("a known intent");
        match decline {
            None => {
                intent["status"] = json!("succeeded");
                intent["amount_received"] = intent["amount"].clone();
                intent["last_payment_error"] = Value::Null;
            }
            Some(message) => {
                intent["status"] = json!("requires_payment_method");
                intent["last_payment_error"] =
                    json!({"type": "card_error", "code": "card_declined", "message": message});
            }
        }
        intent.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A provider whose API is at `url` (a closed port plays Stripe being down).
pub fn provider_at(url: &str) -> StripeProvider {
    StripeProvider::new(StripeSettings {
        secret_key: SECRET_KEY.to_owned(),
        publishable_key: "pk_test_fake".to_owned(),
        webhook_secret: WEBHOOK_SECRET.to_owned(),
        api_base: url.to_owned(),
        js_url: "https://js.stripe.com/v3/".to_owned(),
    })
    .expect("a valid API address")
}

/// A webhook event about `intent`, as Stripe sends it.
pub fn event(id: &str, kind: &str, intent: &Value) -> String {
    json!({
        "id": id,
        "object": "event",
        "type": kind,
        "api_version": "2099-01-01",
        "created": 1_800_000_000,
        "data": { "object": intent },
        "livemode": false,
    })
    .to_string()
}

fn unauthorized(headers: &HeaderMap) -> Option<Response> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    (auth != Some(&format!("Bearer {SECRET_KEY}"))).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "Invalid API Key provided",
        )
    })
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "type": kind, "message": message } })),
    )
        .into_response()
}

/// The `metadata[key]` fields of a form, as Stripe reads them.
fn metadata_of(form: &HashMap<String, String>) -> HashMap<&str, &String> {
    form.iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k, v))
        })
        .collect()
}

/// The request's `Idempotency-Key`, if any.
fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn create(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let key = idempotency_key(&headers);
    let mut inner = fake.lock();
    inner.creates.push(Create {
        idempotency_key: key.clone(),
        form: form.clone(),
    });
    if let Some(id) = key.as_ref().and_then(|k| inner.by_key.get(k)).cloned() {
        return Json(inner.intents[&id].clone()).into_response();
    }
    let Some(amount) = form.get("amount").and_then(|a| a.parse::<i64>().ok()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "Missing required param: amount.",
        );
    };
    let id = format!("pi_fake{}", inner.intents.len() + 1);
    let metadata = metadata_of(&form);
    let intent = json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": "automatic",
        "client_secret": format!("{id}_secret_{}", mercato::token::random_hex()),
        "confirmation_method": "automatic",
        "created": 1_800_000_000,
        "currency": form.get("currency").cloned().unwrap_or_default(),
        "description": form.get("description"),
        "livemode": false,
        "metadata": metadata,
        "payment_method_types": ["card"],
        "status": "requires_payment_method",
        "last_payment_error": null,
    });
    inner.intents.insert(id.clone(), intent.clone());
    if let Some(key) = key {
        inner.by_key.insert(key, id);
    }
    Json(intent).into_response()
}

async fn retrieve(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let mut inner = fake.lock();
    inner.retrieves += 1;
    match inner.intents.get(&id) {
        Some(intent) => Json(intent.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such payment_intent: '{id}'"),
        ),
    }
}

/// `POST /v1/refunds`: a refund of (part of) a succeeded intent, never more than what is
/// left of it; the same idempotency key gives the same refund. A key starting with
/// `busy-` is answered 429, as Stripe's rate limit would.
async fn refund(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let mut inner = fake.lock();
    if inner.down {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "Something went wrong on Stripe's end.",
        );
    }
    let key = idempotency_key(&headers);
    if let Some(id) = key.as_ref().and_then(|k| inner.refund_keys.get(k)).cloned() {
        return Json(inner.refunds[&id].clone()).into_response();
    }
    if key.as_deref().is_some_and(|k| k.contains("busy-")) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "Too many requests hit the API too quickly.",
        );
    }
    let Some(intent_id) = form.get("payment_intent") else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "payment_intent is required",
        );
    };
    let Some(intent) = inner.intents.get(intent_id).cloned() else {
        return error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such payment_intent: '{intent_id}'"),
        );
    };
    if intent["status"] != "succeeded" {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "This PaymentIntent does not have a successful charge to refund.",
        );
    }
    let refunded: i64 = inner
        .refunds
        .values()
        .filter(|r| r["payment_intent"] == intent_id.as_str())
        .filter_map(|r| r["amount"].as_i64())
        .sum();
    let left = intent["amount"].as_i64().unwrap_or(0) - refunded;
    let amount = match form.get("amount").map(|a| a.parse::<i64>()) {
        None => left,
        Some(Ok(a)) if a > 0 => a,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "Invalid amount",
            )
        }
    };
    if amount > left {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            &format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
            ),
        );
    }
    let id = format!("re_fake{}", inner.refunds.len() + 1);
    let metadata = metadata_of(&form);
    let refund = json!({
        "id": id,
        "object": "refund",
        "amount": amount,
        "currency": intent["currency"],
        "payment_intent": intent_id,
        "status": inner.refund_status.clone().unwrap_or_else(|| "succeeded".to_owned()),
        "created": 1_800_000_000,
        "metadata": metadata,
        "charge": null,
        "balance_transaction": null,
        "reason": null,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "transfer_reversal": null,
    });
    inner.refunds.insert(id.clone(), refund.clone());
    if let Some(key) = key {
        inner.refund_keys.insert(key, id);
    }
    if inner.answers_lost {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "The connection dropped.",
        );
    }
    Json(refund).into_response()
}
