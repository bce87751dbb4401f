//! Paying with Stripe, against a local fake of its API (`common::fake_stripe`): one
//! PaymentIntent per order, paid once whether the signed webhook or the shopper's
//! return comes first, replays and out-of-order events changing nothing, forged or
//! stale webhooks refused, and Stripe being down said plainly with the cart kept.

use crate::checkout_pages::{at_review, hidden};
use crate::common::fake_stripe::{event, provider_at, FakeStripe, WEBHOOK_SECRET};
use crate::common::{error_shown, seeded_app_with, TestApp};
use mercato::payments::signature::{self, TOLERANCE_SECS};
use mercato::payments::Payments;
use mercato::{Currency, Money};
use rust_decimal::Decimal;
use serde_json::Value;
use std::sync::Arc;

async fn stripe_shop() -> (TestApp, FakeStripe) {
    let fake = FakeStripe::start().await;
    let app = seeded_app_with(Payments::Stripe(Arc::new(fake.provider()))).await;
    (app, fake)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

async fn count(app: &TestApp, sql: &str, order: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(order)
        .fetch_one(&app.pool)
        .await
        .expect(sql)
}

async fn status(app: &TestApp, order: i64) -> String {
    sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(&app.pool)
        .await
        .expect("order")
}

const PAYMENTS: &str = "SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'succeeded'";
const MAILS: &str = "SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'order:' || $1 || ':%'";
const CART_LINES: &str = "SELECT count(*) FROM cart_lines
     WHERE cart_id = (SELECT cart_id FROM orders WHERE id = $1)";

async fn post_webhook(app: &TestApp, body: &str, signature: Option<String>) -> reqwest::Response {
    let req = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    match signature {
        Some(s) => req.header("stripe-signature", s),
        None => req,
    }
    .send()
    .await
    .expect("webhook")
}

/// Sends `body` signed as Stripe would, now.
async fn send_event(app: &TestApp, body: &str) -> reqwest::Response {
    post_webhook(
        app,
        body,
        Some(signature::sign(body.as_bytes(), WEBHOOK_SECRET, now())),
    )
    .await
}

struct Paying {
    cookie: String,
    token: String,
    intent: String,
    secret: String,
    order: i64,
}

/// A guest through the review, with "Continue to payment" pressed.
async fn at_payment(app: &TestApp) -> Paying {
    let (cookie, review) = at_review(app).await;
    assert!(review.contains("Continue to payment"), "{review}");
    assert!(!review.contains("Test payment"));
    let token = hidden(&review, "token");
    let (intent, secret) = start(app, &cookie, &token).await;
    let order = sqlx::query_scalar("SELECT id FROM orders WHERE payment_intent = $1")
        .bind(&intent)
        .fetch_one(&app.pool)
        .await
        .expect("the order records its intent");
    Paying {
        cookie,
        token,
        intent,
        secret,
        order,
    }
}

/// Presses "Continue to payment": (intent id, client secret).
async fn start(app: &TestApp, cookie: &str, token: &str) -> (String, String) {
    let res = app
        .call(
            "/api/checkout/stripe/start",
            &format!("token={token}"),
            Some(cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    let step: Value = serde_json::from_str(&res.text().await.expect("body")).expect("json");
    assert_eq!(
        step["Pay"]["return_url"], "https://shop.example/checkout/return",
        "{step}"
    );
    let secret = step["Pay"]["client_secret"]
        .as_str()
        .expect("a client secret")
        .to_owned();
    let intent = secret
        .split("_secret_")
        .next()
        .expect("pi_…_secret_…")
        .to_owned();
    (intent, secret)
}

async fn back_from_stripe(app: &TestApp, p: &Paying, secret: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!(
            "/checkout/return?payment_intent={}&payment_intent_client_secret={secret}&redirect_status=succeeded",
            p.intent
        )))
        .header("cookie", &p.cookie)
        .header("accept", "text/html")
        .send()
        .await
        .expect("return page")
}

#[tokio::test]
async fn one_intent_per_order_paid_once_by_its_webhook_and_replays_change_nothing() {
    let (app, fake) = stripe_shop().await;
    let p = at_payment(&app).await;

    let creates = fake.creates();
    assert_eq!(creates.len(), 1);
    let create = &creates[0];
    assert_eq!(
        create.idempotency_key.as_deref(),
        Some(format!("mercato-order-{}", p.order).as_str())
    );
    let total: Decimal = sqlx::query_scalar("SELECT total FROM orders WHERE id = $1")
        .bind(p.order)
        .fetch_one(&app.pool)
        .await
        .expect("total");
    assert_eq!(
        create.form["amount"],
        (total * Decimal::from(100)).normalize().to_string()
    );
    assert_eq!(create.form["currency"], "eur");
    assert_eq!(create.form["metadata[order_id]"], p.order.to_string());
    assert_eq!(create.form["automatic_payment_methods[enabled]"], "true");

    // Pressing again (another tab, a reload) opens the same intent.
    let (again, _) = start(&app, &p.cookie, &p.token).await;
    assert_eq!(again, p.intent);
    assert_eq!(fake.creates().len(), 1, "retrieved, not created again");
    assert_eq!(status(&app, p.order).await, "pending_payment");
    assert!(count(&app, CART_LINES, p.order).await > 0);

    let paid = event(
        "evt_paid",
        "payment_intent.succeeded",
        &fake.settle(&p.intent, None),
    );
    let res = send_event(&app, &paid).await;
    assert_eq!(res.status(), 200);
    assert_eq!(status(&app, p.order).await, "paid");
    assert_eq!(count(&app, PAYMENTS, p.order).await, 1);
    assert_eq!(count(&app, MAILS, p.order).await, 1);
    assert_eq!(count(&app, CART_LINES, p.order).await, 0);
    let events = count(
        &app,
        "SELECT count(*) FROM order_events WHERE order_id = $1",
        p.order,
    )
    .await;

    // Stripe delivers at least once: the same event again, freshly signed.
    let res = send_event(&app, &paid).await;
    assert_eq!(res.status(), 200);
    // A different event for the same success (say, from a second endpoint).
    let res = send_event(
        &app,
        &event(
            "evt_paid_2",
            "payment_intent.succeeded",
            &fake.intent(&p.intent),
        ),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(count(&app, PAYMENTS, p.order).await, 1);
    assert_eq!(count(&app, MAILS, p.order).await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_events WHERE order_id = $1",
            p.order
        )
        .await,
        events
    );

    // The shopper comes back after the webhook: straight to the order.
    let res = back_from_stripe(&app, &p, &p.secret).await;
    assert_eq!(res.status(), 302);
    let number: i64 = sqlx::query_scalar("SELECT number FROM orders WHERE id = $1")
        .bind(p.order)
        .fetch_one(&app.pool)
        .await
        .expect("number");
    let location = res.headers()["location"].to_str().expect("ascii");
    assert!(
        location.starts_with(&format!("/orders/{number}?key=")),
        "{location}"
    );
    assert_eq!(count(&app, PAYMENTS, p.order).await, 1);
    // The order page behind the redirect shows it paid; the checkout is over.
    let page = app.page(location, &p.cookie).await;
    assert!(page.contains("Paid"), "{page}");
    let res = app
        .call(
            "/api/checkout/stripe/start",
            &format!("token={}", p.token),
            Some(&p.cookie),
        )
        .await;
    let step: Value = serde_json::from_str(&res.text().await.expect("body")).expect("json");
    assert_eq!(
        step["Done"]["page"], location,
        "a resubmit lands on the order"
    );
}

#[tokio::test]
async fn the_return_page_may_record_the_payment_before_the_webhook() {
    let (app, fake) = stripe_shop().await;
    let p = at_payment(&app).await;
    let succeeded = fake.settle(&p.intent, None);

    let res = back_from_stripe(&app, &p, &p.secret).await;
    let code = res.status();
    assert_eq!(code, 302, "{}", res.text().await.unwrap_or_default());
    assert_eq!(status(&app, p.order).await, "paid");
    assert_eq!(count(&app, PAYMENTS, p.order).await, 1);

    let res = send_event(
        &app,
        &event("evt_late", "payment_intent.succeeded", &succeeded),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(count(&app, PAYMENTS, p.order).await, 1);
    assert_eq!(count(&app, MAILS, p.order).await, 1);
}

#[tokio::test]
async fn a_decline_keeps_the_order_and_cart_and_events_may_arrive_in_any_order() {
    let (app, fake) = stripe_shop().await;
    let p = at_payment(&app).await;

    let declined = fake.settle(&p.intent, Some("Your card has insufficient funds."));
    let failed = event("evt_failed", "payment_intent.payment_failed", &declined);
    assert_eq!(send_event(&app, &failed).await.status(), 200);
    assert_eq!(status(&app, p.order).await, "pending_payment");
    assert!(
        count(&app, CART_LINES, p.order).await > 0,
        "the cart is kept"
    );

    // A redirect-based method that failed brings the shopper back: say why.
    let res = back_from_stripe(&app, &p, &p.secret).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.expect("page");
    assert!(page.contains("insufficient funds"), "{page}");
    assert!(page.contains("Back to review and pay"));

    // Another card works; then the first failure is delivered again, late.
    let succeeded = fake.settle(&p.intent, None);
    let paid = event("evt_paid", "payment_intent.succeeded", &succeeded);
    assert_eq!(send_event(&app, &paid).await.status(), 200);
    assert_eq!(status(&app, p.order).await, "paid");
    let late = event(
        "evt_failed_again",
        "payment_intent.payment_failed",
        &declined,
    );
    assert_eq!(send_event(&app, &late).await.status(), 200);
    assert_eq!(
        status(&app, p.order).await,
        "paid",
        "a late failure undoes nothing"
    );
    assert_eq!(count(&app, PAYMENTS, p.order).await, 1);

    // Events the shop does not act on are acknowledged, so Stripe stops sending them.
    let other = event("evt_other", "customer.created", &succeeded);
    assert_eq!(send_event(&app, &other).await.status(), 200);
}

#[tokio::test]
async fn forged_stale_and_malformed_webhooks_get_400_and_change_nothing() {
    let (app, fake) = stripe_shop().await;
    let p = at_payment(&app).await;
    let body = event(
        "evt_1",
        "payment_intent.succeeded",
        &fake.settle(&p.intent, None),
    );

    let no_signature = post_webhook(&app, &body, None).await;
    assert_eq!(no_signature.status(), 400);
    let other_secret = post_webhook(
        &app,
        &body,
        Some(signature::sign(body.as_bytes(), "whsec_guess", now())),
    )
    .await;
    assert_eq!(other_secret.status(), 400);
    let stale = post_webhook(
        &app,
        &body,
        Some(signature::sign(
            body.as_bytes(),
            WEBHOOK_SECRET,
            now() - TOLERANCE_SECS - 60,
        )),
    )
    .await;
    assert_eq!(stale.status(), 400);
    let stale_text = stale.text().await.expect("body");
    assert!(stale_text.contains("timestamp"), "{stale_text}");
    // A body changed after signing (a cheaper amount), with the original signature.
    let tampered = body.replacen("\"amount\":", "\"amount\":1,\"was\":", 1);
    let res = post_webhook(
        &app,
        &tampered,
        Some(signature::sign(body.as_bytes(), WEBHOOK_SECRET, now())),
    )
    .await;
    assert_eq!(res.status(), 400);
    let garbage = send_event(&app, "not json {").await;
    assert_eq!(garbage.status(), 400);

    assert_eq!(status(&app, p.order).await, "pending_payment");
    let remembered: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_events")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(
        remembered, 0,
        "no refused event is remembered, so its genuine delivery still counts"
    );

    assert_eq!(send_event(&app, &body).await.status(), 200);
    assert_eq!(status(&app, p.order).await, "paid");
}

#[tokio::test]
async fn a_return_without_the_intents_secret_reveals_nothing() {
    let (app, fake) = stripe_shop().await;
    let p = at_payment(&app).await;
    fake.settle(&p.intent, None);
    for secret in [
        format!("{}_secret_wrong", p.intent),
        String::new(),
        "x".repeat(5000),
    ] {
        let res = back_from_stripe(&app, &p, &secret).await;
        assert_eq!(res.status(), 404, "{secret}");
        let page = res.text().await.expect("page");
        assert!(page.contains("find that payment"), "{page}");
        assert!(!page.contains("/orders/"), "no order is named");
    }
    // An intent that is none of our orders' costs no call to Stripe.
    let asked = fake.retrieves();
    for intent in ["pi_unknown", "not-an-intent", "", "pi_%00x"] {
        let res = app
            .get(&format!(
                "/checkout/return?payment_intent={intent}&payment_intent_client_secret={}",
                p.secret
            ))
            .await;
        assert_eq!(res.status(), 404, "{intent}");
    }
    assert_eq!(fake.retrieves(), asked, "Stripe was not asked");
    assert_eq!(status(&app, p.order).await, "pending_payment");
}

#[tokio::test]
async fn stripe_unreachable_says_so_and_keeps_the_cart() {
    // Nothing listens on port 1: every call to "Stripe" is refused at once.
    let app = seeded_app_with(Payments::Stripe(Arc::new(provider_at(
        "http://127.0.0.1:1/",
    ))))
    .await;
    let (cookie, review) = at_review(&app).await;
    let token = hidden(&review, "token");
    let res = app
        .call(
            "/api/checkout/stripe/start",
            &format!("token={token}"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 503);
    // The page says it in words (here as a form post, which shows the error in the page).
    let res = app
        .post_form(
            "/api/checkout/stripe/start",
            &format!("token={token}"),
            Some(&cookie),
            "/checkout/review",
        )
        .await;
    let page = error_shown(&app, res, &cookie).await;
    assert!(
        page.contains("payment service is unavailable") && page.contains("cart is safe"),
        "{page}"
    );
    let (order, intent, lines): (i64, Option<String>, i64) = sqlx::query_as(
        "SELECT o.id, o.payment_intent,
                (SELECT count(*) FROM cart_lines WHERE cart_id = o.cart_id)
         FROM orders o WHERE o.checkout_token = $1",
    )
    .bind(&token)
    .fetch_one(&app.pool)
    .await
    .expect("the placed order waits, whole, for a retry or its expiry");
    assert_eq!(intent, None);
    assert!(lines > 0, "the cart is kept");
    assert_eq!(status(&app, order).await, "pending_payment");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM payments WHERE order_id = $1",
            order
        )
        .await,
        0
    );
}

#[tokio::test]
async fn stripe_refunds_what_was_paid_once_per_key_and_never_more() {
    use mercato::payments::{PaymentProvider, RefundOutcome, RefundRefusal, RefundRequest};
    let (app, fake) = stripe_shop().await;
    let p = at_payment(&app).await;
    let paid = fake.settle(&p.intent, None);
    send_event(
        &app,
        &event("evt_refund_1", "payment_intent.succeeded", &paid),
    )
    .await;
    let amount = paid["amount"].as_i64().expect("an amount");
    let part = Money::from_minor(amount / 2, Currency::EUR);
    let provider = fake.provider();
    let refund = |key: &'static str, money: Money| {
        let (provider, pool, intent) = (&provider, &app.pool, p.intent.clone());
        async move {
            provider
                .refund(
                    pool,
                    &RefundRequest {
                        order_id: p.order,
                        refund_id: 0,
                        payment: &intent,
                        amount: money,
                        key,
                    },
                )
                .await
        }
    };
    let first = refund("order-1-refund-1", part)
        .await
        .expect("Stripe answers");
    let RefundOutcome::Succeeded { reference } = &first else {
        panic!("{first:?}")
    };
    assert!(reference.starts_with("re_"), "{reference}");
    // The same key again (a retry after a timeout): the same refund, nothing more.
    assert_eq!(
        refund("order-1-refund-1", part).await.expect("answers"),
        first
    );
    assert_eq!(fake.refunds().len(), 1);
    // More than what is left: Stripe says no, and nothing is refunded.
    let left = Money::from_minor(amount - amount / 2 + 1, Currency::EUR);
    match refund("order-1-refund-2", left).await.expect("answers") {
        RefundOutcome::Refused(RefundRefusal::Provider(message)) => {
            assert!(message.contains("greater than"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.refunds().len(), 1);
    // Stripe's rate limit: an error to retry with the same key, not a refusal.
    let busy = refund("busy-order-1-refund-3", part).await;
    assert!(
        matches!(busy, Err(mercato::Error::PaymentService(_))),
        "{busy:?}"
    );
    // Another order's payment is never refunded through this one, and Stripe is not
    // even asked.
    let other_order = provider
        .refund(
            &app.pool,
            &RefundRequest {
                order_id: p.order + 1_000,
                refund_id: 0,
                payment: &p.intent,
                amount: part,
                key: "order-x-refund-1",
            },
        )
        .await
        .expect("answers");
    assert_eq!(
        other_order,
        RefundOutcome::Refused(RefundRefusal::NoSuchPayment)
    );
    assert_eq!(fake.refunds().len(), 1);
    // Stripe unreachable: an error to retry, not a refusal.
    let down =
        mercato::payments::stripe::StripeProvider::new(mercato::payments::stripe::StripeSettings {
            api_base: "http://127.0.0.1:1/".to_owned(),
            ..fake_settings()
        })
        .expect("provider");
    let err = down
        .refund(
            &app.pool,
            &RefundRequest {
                order_id: p.order,
                refund_id: 0,
                payment: &p.intent,
                amount: part,
                key: "order-1-refund-3",
            },
        )
        .await
        .expect_err("no answer");
    assert!(matches!(err, mercato::Error::PaymentService(_)), "{err:?}");
}

fn fake_settings() -> mercato::payments::stripe::StripeSettings {
    mercato::payments::stripe::StripeSettings {
        secret_key: crate::common::fake_stripe::SECRET_KEY.to_owned(),
        publishable_key: "pk_test_fake".to_owned(),
        webhook_secret: WEBHOOK_SECRET.to_owned(),
        api_base: String::new(),
        js_url: "https://js.stripe.com/v3/".to_owned(),
    }
}

/// An order paid through the fake, its payment recorded from the webhook.
async fn paid_with_stripe(app: &TestApp, fake: &FakeStripe) -> (Paying, i64) {
    let p = at_payment(app).await;
    let paid = fake.settle(&p.intent, None);
    let evt = format!("evt_paid_{}", p.order);
    send_event(app, &event(&evt, "payment_intent.succeeded", &paid)).await;
    assert_eq!(status(app, p.order).await, "paid");
    let number = sqlx::query_scalar("SELECT number FROM orders WHERE id = $1")
        .bind(p.order)
        .fetch_one(&app.pool)
        .await
        .expect("its number");
    (p, number)
}

async fn refund_state(app: &TestApp, order: i64) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT state, reference FROM refunds WHERE order_id = $1 ORDER BY id")
        .bind(order)
        .fetch_all(&app.pool)
        .await
        .expect("refunds")
}

async fn money_staff(app: &TestApp) -> mercato::admin::Staff {
    let user = mercato::accounts::store::upsert_with_role(
        &app.pool,
        "money@example.com",
        crate::common::PASSWORD,
        mercato::accounts::Role::Staff,
    )
    .await
    .expect("staff");
    mercato::admin::Staff::with_permissions(user, &[mercato::admin::Permission::Refunds])
}

/// Staff refund `amount` of order `number`.
async fn ask_refund(
    app: &TestApp,
    payments: &Payments,
    staff: &mercato::admin::Staff,
    number: i64,
    amount: &str,
) -> Result<mercato::orders::refund::Refunded, mercato::Error> {
    mercato::orders::refund::refund(
        &app.pool,
        payments,
        staff,
        number,
        &everything(amount),
        "https://shop.example",
    )
    .await
}

fn everything(amount: &str) -> mercato::orders::refund::RefundChoice {
    mercato::orders::refund::RefundChoice::parse(&[], "", amount, "EUR", "Returned", "")
        .expect("parsed")
}

#[tokio::test]
async fn a_stripe_refund_settles_once_from_its_webhook_whatever_comes_after() {
    use mercato::orders::refund::Refunded;
    let (app, fake) = stripe_shop().await;
    let (p, number) = paid_with_stripe(&app, &fake).await;
    let payments = Payments::Stripe(Arc::new(fake.provider()));
    let staff = money_staff(&app).await;
    let total: Decimal = sqlx::query_scalar("SELECT total FROM orders WHERE id = $1")
        .bind(p.order)
        .fetch_one(&app.pool)
        .await
        .expect("total");
    let two = Money::new(Decimal::new(200, 2), Currency::EUR);
    // Stripe takes it and settles later.
    fake.refunds_end("pending");
    let asked = ask_refund(&app, &payments, &staff, number, "2.00")
        .await
        .expect("taken");
    assert_eq!(asked, Refunded::Pending(two));
    let made = fake.refunds();
    assert_eq!(made.len(), 1);
    let id = made[0]["id"].as_str().expect("an id").to_owned();
    assert_eq!(made[0]["metadata"]["order_id"], p.order.to_string());
    assert_eq!(
        refund_state(&app, p.order).await,
        vec![("pending".into(), Some(id.clone()))]
    );
    assert_eq!(
        status(&app, p.order).await,
        "paid",
        "not refunded until Stripe says so"
    );
    let refund_id: i64 = sqlx::query_scalar("SELECT id FROM refunds WHERE order_id = $1")
        .bind(p.order)
        .fetch_one(&app.pool)
        .await
        .expect("the refund");
    assert_eq!(made[0]["metadata"]["refund_id"], refund_id.to_string());
    // Nothing ships while a refund waits: it may take units off the order.
    let shipper = mercato::admin::Staff::with_permissions(
        staff.user().clone(),
        &[mercato::admin::Permission::Orders],
    );
    let (line, carrier): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT min(id) FROM order_lines WHERE order_id = $1), (SELECT min(id) FROM carriers)",
    )
    .bind(p.order)
    .fetch_one(&app.pool)
    .await
    .expect("a line and a carrier");
    let ship = mercato::orders::fulfil::ship(
        &app.pool,
        &shipper,
        number,
        &mercato::orders::fulfil::ShipRequest {
            lines: vec![(line, 1)],
            carrier,
            tracking: String::new(),
        },
        "https://shop.example",
    )
    .await;
    assert!(
        matches!(
            ship,
            Err(mercato::Error::Rule(mercato::error::Rule::Ship(
                mercato::orders::fulfil::ShipError::RefundWaiting
            )))
        ),
        "{ship:?}"
    );

    // Stripe says it succeeded: settled, once.
    let succeeded = event(
        "evt_re_1",
        "refund.updated",
        &fake.end_refund(&id, "succeeded"),
    );
    assert_eq!(send_event(&app, &succeeded).await.status(), 200);
    assert_eq!(status(&app, p.order).await, "partially_refunded");
    let mails = "SELECT count(*) FROM outbox WHERE kind = 'order_refunded' AND dedupe_key LIKE 'order:' || $1 || ':%'";
    assert_eq!(count(&app, mails, p.order).await, 1);
    // The same event again, a late "pending" and the charge listing it change nothing.
    assert_eq!(send_event(&app, &succeeded).await.status(), 200);
    let mut late = fake.refunds()[0].clone();
    late["status"] = "pending".into();
    assert_eq!(
        send_event(&app, &event("evt_re_0", "refund.updated", &late))
            .await
            .status(),
        200
    );
    assert_eq!(
        send_event(
            &app,
            &event("evt_ch_1", "charge.refunded", &fake.charge(&p.intent))
        )
        .await
        .status(),
        200
    );
    // And a failure after success does not take the refund back (it is logged).
    let mut failed = fake.refunds()[0].clone();
    failed["status"] = "failed".into();
    send_event(&app, &event("evt_re_2", "refund.failed", &failed)).await;
    assert_eq!(
        refund_state(&app, p.order).await,
        vec![("succeeded".into(), Some(id.clone()))]
    );
    assert_eq!(count(&app, mails, p.order).await, 1);
    assert_eq!(status(&app, p.order).await, "partially_refunded");
    let held: Decimal = sqlx::query_scalar("SELECT refunded FROM payments WHERE order_id = $1")
        .bind(p.order)
        .fetch_one(&app.pool)
        .await
        .expect("held");
    assert_eq!(held, two.amount());

    // A refund made in Stripe's dashboard is recorded on the order when Stripe tells.
    let rest = (total - two.amount()) * Decimal::from(100);
    let dashboard = fake.refund_in_dashboard(
        &p.intent,
        i64::try_from(rest.trunc().mantissa()).expect("cents"),
    );
    assert_eq!(
        send_event(&app, &event("evt_re_3", "refund.created", &dashboard))
            .await
            .status(),
        200
    );
    assert_eq!(status(&app, p.order).await, "refunded");
    let states = refund_state(&app, p.order).await;
    assert_eq!(states.len(), 2);
    assert_eq!(
        states[1],
        (
            "succeeded".into(),
            dashboard["id"].as_str().map(str::to_owned)
        )
    );
}

#[tokio::test]
async fn stripe_down_during_a_refund_changes_nothing_and_a_retry_refunds_once() {
    use mercato::orders::refund::{retry, RefundError, Refunded};
    let (app, fake) = stripe_shop().await;
    let (p, number) = paid_with_stripe(&app, &fake).await;
    let payments = Payments::Stripe(Arc::new(fake.provider()));
    let staff = money_staff(&app).await;
    let three = Money::new(Decimal::new(300, 2), Currency::EUR);
    fake.down(true);
    let asked = ask_refund(&app, &payments, &staff, number, "3.00")
        .await
        .expect("said plainly");
    assert_eq!(asked, Refunded::NotConfirmed(three));
    assert_eq!(status(&app, p.order).await, "paid");
    assert_eq!(
        refund_state(&app, p.order).await,
        vec![("requested".into(), None)]
    );
    assert!(fake.refunds().is_empty());
    // Another refund waits for this one to be settled first.
    let second = ask_refund(&app, &payments, &staff, number, "1.00").await;
    assert!(
        matches!(
            second,
            Err(mercato::Error::Rule(mercato::error::Rule::Refund(
                RefundError::Waiting
            )))
        ),
        "{second:?}"
    );
    // Still down: still not confirmed. Back: refunded, once, however often retried.
    let refund_id: i64 = sqlx::query_scalar("SELECT id FROM refunds WHERE order_id = $1")
        .bind(p.order)
        .fetch_one(&app.pool)
        .await
        .expect("the refund");
    assert_eq!(
        retry(
            &app.pool,
            &payments,
            &staff,
            number,
            refund_id,
            "https://shop.example"
        )
        .await
        .expect("said"),
        Refunded::NotConfirmed(three)
    );
    fake.down(false);
    assert_eq!(
        retry(
            &app.pool,
            &payments,
            &staff,
            number,
            refund_id,
            "https://shop.example"
        )
        .await
        .expect("refunded"),
        Refunded::Done(three)
    );
    let again = retry(
        &app.pool,
        &payments,
        &staff,
        number,
        refund_id,
        "https://shop.example",
    )
    .await;
    assert!(
        matches!(
            again,
            Err(mercato::Error::Rule(mercato::error::Rule::Refund(
                RefundError::Ended
            )))
        ),
        "{again:?}"
    );
    assert_eq!(fake.refunds().len(), 1);
    assert_eq!(status(&app, p.order).await, "partially_refunded");
    // Stripe failing a refund: said, recorded as failed, and what it held released.
    fake.refunds_end("failed");
    let refused = ask_refund(&app, &payments, &staff, number, "1.00").await;
    assert!(
        matches!(
            refused,
            Err(mercato::Error::Rule(mercato::error::Rule::Refund(
                RefundError::Refused(_)
            )))
        ),
        "{refused:?}"
    );
    let states = refund_state(&app, p.order).await;
    assert_eq!(states.last().map(|s| s.0.as_str()), Some("failed"));
    let held: Decimal = sqlx::query_scalar("SELECT refunded FROM payments WHERE order_id = $1")
        .bind(p.order)
        .fetch_one(&app.pool)
        .await
        .expect("held");
    assert_eq!(held, three.amount());
    assert_eq!(status(&app, p.order).await, "partially_refunded");
}

#[tokio::test]
async fn a_refund_whose_answer_was_lost_is_settled_by_its_webhook_and_strangers_change_nothing() {
    use mercato::orders::refund::Refunded;
    let (app, fake) = stripe_shop().await;
    let (p, number) = paid_with_stripe(&app, &fake).await;
    let payments = Payments::Stripe(Arc::new(fake.provider()));
    let staff = money_staff(&app).await;
    // Stripe refunds, but its answer never arrives: not confirmed, no reference known.
    fake.lose_answers(true);
    let asked = ask_refund(&app, &payments, &staff, number, "2.00")
        .await
        .expect("said");
    assert!(matches!(asked, Refunded::NotConfirmed(_)), "{asked:?}");
    assert_eq!(
        refund_state(&app, p.order).await,
        vec![("requested".into(), None)]
    );
    assert_eq!(fake.refunds().len(), 1);
    // Its webhook finds it by the refund id in its metadata, and settles it.
    let made = fake.refunds()[0].clone();
    assert_eq!(
        send_event(&app, &event("evt_lost_1", "refund.updated", &made))
            .await
            .status(),
        200
    );
    assert_eq!(
        refund_state(&app, p.order).await,
        vec![("succeeded".into(), made["id"].as_str().map(str::to_owned))]
    );
    assert_eq!(status(&app, p.order).await, "partially_refunded");
    // A refund of a payment that is not ours, or one naming our refund but another
    // intent, changes nothing.
    let mut stranger = made.clone();
    stranger["id"] = "re_stranger".into();
    stranger["payment_intent"] = "pi_not_ours".into();
    assert_eq!(
        send_event(&app, &event("evt_stranger", "refund.updated", &stranger))
            .await
            .status(),
        200
    );
    let refunds: i64 = sqlx::query_scalar("SELECT count(*) FROM refunds")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(refunds, 1);
}
