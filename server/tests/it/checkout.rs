//! Placing orders against the demo shop: the last units sell once under concurrency, a
//! coupon's use limit holds, a double submit places one order, and a total that changed
//! since the review places nothing.

use crate::common::checkout::{
    address, checkout, guest_cart, standard_rate, stock_of, variant_with_stock,
};
use crate::common::{seeded_db, Shop};
use mercato::accounts::Email;
use mercato::cart::coupon::CouponError;
use mercato::cart::{coupons, store, Notice, Quantity};
use mercato::checkout::place::{place, quote, Placed};
use mercato::checkout::session::Reviewed;
use mercato::checkout::CheckoutError;
use mercato::error::Rule;
use mercato::limits::client::ClientKey;
use mercato::{Currency, Error, Money};

/// Runs every future at once, each on its own task, and returns their outputs in order.
async fn join_all<T: Send + 'static>(
    futures: Vec<impl std::future::Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

/// A shopper's cart with `quantity` of `variant`, reviewed: (cart, what was reviewed).
async fn reviewed_cart(
    app: &Shop,
    variant: i64,
    quantity: u32,
    coupon: Option<&str>,
    token: &str,
) -> (i64, Reviewed) {
    let cart = guest_cart(app, variant, quantity).await;
    if let Some(code) = coupon {
        // Each shopper from an address of their own, as in a shop.
        let client = mercato::limits::client::ClientKey::of(std::net::IpAddr::from([
            10,
            1,
            (cart >> 8) as u8,
            cart as u8,
        ]));
        coupons::apply(&app.pool, Some(cart), code, Currency::EUR, &client)
            .await
            .expect("coupon");
    }
    let rate = standard_rate(app).await;
    let email = Email::parse("shopper@example.com").expect("email");
    let a = address();
    let q = quote(&app.pool, &checkout(token, cart, &email, &a, rate))
        .await
        .expect("quote");
    (cart, q.reviewed())
}

/// Who places the orders here.
const SHOPPER: &str = "shopper@example.com";

/// Places the order of `cart` as reviewed; owned arguments, for spawning.
async fn place_owned(
    pool: sqlx::PgPool,
    token: String,
    cart: i64,
    rate: i64,
    reviewed: Reviewed,
) -> Result<Placed, Error> {
    let email = Email::parse(SHOPPER).expect("email");
    let a = address();
    place(&pool, &checkout(&token, cart, &email, &a, rate), &reviewed).await
}

/// `shoppers` carts of one unit of `variant` each (with `coupon`), reviewed one by one,
/// then all placed at the same moment.
async fn place_at_once(
    app: &Shop,
    variant: i64,
    shoppers: usize,
    coupon: Option<&str>,
) -> Vec<Result<Placed, Error>> {
    let rate = standard_rate(app).await;
    let mut carts = vec![];
    for i in 0..shoppers {
        let token = format!("token-at-once-{i:04}");
        let (cart, reviewed) = reviewed_cart(app, variant, 1, coupon, &token).await;
        carts.push((token, cart, reviewed));
    }
    join_all(
        carts
            .into_iter()
            .map(|(token, cart, reviewed)| {
                place_owned(app.pool.clone(), token, cart, rate, reviewed)
            })
            .collect(),
    )
    .await
}

async fn count(app: &Shop, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn fifty_shoppers_after_the_last_five_units_buy_exactly_five() {
    let app = seeded_db().await;
    let variant = variant_with_stock(&app, 5).await;
    let results = place_at_once(&app, variant, 50, None).await;
    let placed = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(placed, 5);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(r, Error::Rule(Rule::Checkout(CheckoutError::StockShort { short })) if short.len() == 1 && short[0].left == 0),
            "{r:?}"
        );
    }
    let on_hand = stock_of(&app, variant).await;
    assert_eq!(on_hand, 0, "never below zero");
    assert_eq!(count(&app, "SELECT count(*) FROM orders").await, 5);
    assert_eq!(
        count(
            &app,
            "SELECT coalesce(sum(quantity), 0)::bigint FROM order_lines"
        )
        .await,
        5
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM inventory_movements WHERE reason = 'order'"
        )
        .await,
        5
    );
    let audit = mercato::admin::stock_audit(&app.pool).await.expect("audit");
    assert!(audit.balances(), "{audit:?}");
    assert_eq!(audit.sold, 5);
}

#[tokio::test]
async fn a_coupon_with_three_uses_is_redeemed_three_times_under_twenty_checkouts() {
    let app = seeded_db().await;
    sqlx::query(
        "INSERT INTO coupons (code, kind, value, max_uses) VALUES ('TRIO', 'percent', 10, 3)",
    )
    .execute(&app.pool)
    .await
    .expect("coupon");
    let variant = variant_with_stock(&app, 99).await;
    let results = place_at_once(&app, variant, 20, Some("TRIO")).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        3,
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(r, Error::Rule(Rule::Checkout(CheckoutError::Coupon(CouponError::UsedUp(code)))) if code == "TRIO"),
            "{r:?}"
        );
    }
    assert_eq!(count(&app, "SELECT count(*) FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id WHERE c.code = 'TRIO'").await, 3);
    // Stock went only to the orders placed.
    let on_hand = stock_of(&app, variant).await;
    assert_eq!(on_hand, 96);
}

#[tokio::test]
async fn a_double_submit_places_one_order() {
    let app = seeded_db().await;
    let variant = variant_with_stock(&app, 10).await;
    let rate = standard_rate(&app).await;
    let token = "token-double-submit-0001";
    let (cart, reviewed) = reviewed_cart(&app, variant, 2, None, token).await;
    let results = join_all(
        (0..2)
            .map(|_| {
                place_owned(
                    app.pool.clone(),
                    token.to_owned(),
                    cart,
                    rate,
                    reviewed.clone(),
                )
            })
            .collect(),
    )
    .await;
    let placed: Vec<Placed> = results.into_iter().map(|r| r.expect("placed")).collect();
    assert_eq!(placed[0].id, placed[1].id);
    assert_eq!(placed.iter().filter(|p| p.already_placed).count(), 1);
    assert_eq!(count(&app, "SELECT count(*) FROM orders").await, 1);
    let on_hand = stock_of(&app, variant).await;
    assert_eq!(on_hand, 8, "stock taken once");
    // A retry later still answers with the same order.
    let again = place_owned(app.pool.clone(), token.to_owned(), cart, rate, reviewed)
        .await
        .expect("retry");
    assert_eq!((again.id, again.already_placed), (placed[0].id, true));
}

#[tokio::test]
async fn the_same_total_for_other_things_places_nothing_and_says_so() {
    let app = seeded_db().await;
    let variant = variant_with_stock(&app, 10).await;
    let rate = standard_rate(&app).await;
    let token = "token-quote-changed-001";
    let (cart, reviewed) = reviewed_cart(&app, variant, 1, None, token).await;
    // In another tab the shopper swaps the item for another at the same price.
    let other: i64 = sqlx::query_scalar(
        "SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id
         JOIN inventory i ON i.variant_id = v.id
         WHERE p.status = 'active' AND v.id <> $1 AND i.on_hand > 0 ORDER BY v.id LIMIT 1",
    )
    .bind(variant)
    .fetch_one(&app.pool)
    .await
    .expect("another variant");
    sqlx::query("UPDATE variants SET price = 20.00, compare_at_price = NULL WHERE id = $1")
        .bind(other)
        .execute(&app.pool)
        .await
        .expect("same price");
    sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1")
        .bind(cart)
        .execute(&app.pool)
        .await
        .expect("emptied");
    store::add(
        &app.pool,
        Some(cart),
        None,
        other,
        Quantity::new(1).expect("q"),
    )
    .await
    .expect("the other item");
    let err = place_owned(app.pool.clone(), token.to_owned(), cart, rate, reviewed)
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            Error::Rule(Rule::Checkout(CheckoutError::QuoteChanged))
        ),
        "{err:?}"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM orders").await, 0);
}

#[tokio::test]
async fn a_checkout_whose_order_was_cancelled_is_told_so_and_places_nothing_more() {
    let app = seeded_db().await;
    let variant = variant_with_stock(&app, 10).await;
    let rate = standard_rate(&app).await;
    let token = "token-order-cancelled-1";
    let (cart, reviewed) = reviewed_cart(&app, variant, 2, None, token).await;
    let first = place_owned(
        app.pool.clone(),
        token.to_owned(),
        cart,
        rate,
        reviewed.clone(),
    )
    .await
    .expect("placed");
    // Not paid in time: the worker cancels it and the stock goes back.
    sqlx::query("UPDATE orders SET placed_at = now() - interval '2 hours' WHERE id = $1")
        .bind(first.id)
        .execute(&app.pool)
        .await
        .expect("aged");
    assert_eq!(
        mercato::orders::lifecycle::expire_unpaid(&app.pool, 30)
            .await
            .expect("expired"),
        1
    );
    // The same checkout posted again: said so, not placed again under that token.
    let err = place_owned(app.pool.clone(), token.to_owned(), cart, rate, reviewed)
        .await
        .expect_err("cancelled");
    assert!(
        matches!(
            err,
            Error::Rule(Rule::Payment(
                mercato::payments::PaymentError::OrderCancelled
            ))
        ),
        "{err:?}"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM orders").await, 1);
    assert_eq!(stock_of(&app, variant).await, 10, "the stock is back");
}

#[tokio::test]
async fn a_price_changed_since_the_review_places_nothing_and_says_so() {
    let app = seeded_db().await;
    let variant = variant_with_stock(&app, 10).await;
    let rate = standard_rate(&app).await;
    let token = "token-price-changed-0001";
    let (cart, reviewed) = reviewed_cart(&app, variant, 1, None, token).await;
    assert_eq!(
        reviewed.total,
        Money::parse("24.95", Currency::EUR).expect("total"),
        "20.00 + 4.95"
    );
    sqlx::query("UPDATE variants SET price = 22.00, compare_at_price = NULL WHERE id = $1")
        .bind(variant)
        .execute(&app.pool)
        .await
        .expect("reprice");
    let err = place_owned(app.pool.clone(), token.to_owned(), cart, rate, reviewed)
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, Error::Rule(Rule::Checkout(CheckoutError::TotalChanged { reviewed, now }))
            if reviewed.format() == "€24.95" && now.format() == "€26.95"),
        "{err:?}"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM orders").await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM cart_lines").await,
        1,
        "the cart is kept"
    );
}

#[tokio::test]
async fn an_order_keeps_snapshots_its_history_and_empties_the_cart() {
    let app = seeded_db().await;
    let variant = variant_with_stock(&app, 10).await;
    let rate = standard_rate(&app).await;
    let token = "token-snapshots-00001";
    // WELCOME10 without its once-per-customer limit, so a guest may use it here.
    sqlx::query("UPDATE coupons SET max_uses_per_customer = NULL WHERE code = 'WELCOME10'")
        .execute(&app.pool)
        .await
        .expect("unlimited");
    let (cart, reviewed) = reviewed_cart(&app, variant, 3, Some("WELCOME10"), token).await;
    // 3 × 20.00 = 60.00, −6.00, free shipping over 50 (54.00 after the discount).
    let total = reviewed.total;
    assert_eq!(total, Money::parse("54.00", Currency::EUR).expect("total"));
    let placed = place_owned(app.pool.clone(), token.to_owned(), cart, rate, reviewed)
        .await
        .expect("placed");
    assert!(placed.number.0 >= 10001);
    let row: (String, String, rust_decimal::Decimal, rust_decimal::Decimal, rust_decimal::Decimal, Option<String>, serde_json::Value) = sqlx::query_as(
        "SELECT status, email, discount, tax, total, coupon_code, shipping_address FROM orders WHERE id = $1",
    )
    .bind(placed.id)
    .fetch_one(&app.pool)
    .await
    .expect("order");
    assert_eq!(row.0, "pending_payment");
    assert_eq!(row.1, SHOPPER);
    assert_eq!(row.2.to_string(), "6.00");
    // 54.00 × 19 / 119 = 8.6218… (Germany's VAT, included in the prices)
    assert_eq!(row.3.to_string(), "8.62");
    assert_eq!(row.4.to_string(), "54.00");
    assert_eq!(row.5.as_deref(), Some("WELCOME10"));
    assert_eq!(row.6["city"], "Berlin");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_events WHERE to_status = 'pending_payment'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM coupon_redemptions WHERE order_id IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM cart_lines").await,
        1,
        "kept until paid"
    );
    // The line keeps its name and price even if the catalog changes later.
    sqlx::query("UPDATE variants SET price = 99.00, compare_at_price = NULL WHERE id = $1")
        .bind(variant)
        .execute(&app.pool)
        .await
        .expect("reprice");
    let (unit, quantity): (rust_decimal::Decimal, i32) =
        sqlx::query_as("SELECT unit_price, quantity FROM order_lines WHERE order_id = $1")
            .bind(placed.id)
            .fetch_one(&app.pool)
            .await
            .expect("line");
    assert_eq!((unit.to_string().as_str(), quantity), ("20.00", 3));
    // Once per customer again: checkout checks the cart's coupon afresh, and a guest is
    // no customer the shop can tell apart.
    let (cart2, _) = store::add(&app.pool, None, None, variant, Quantity::new(1).expect("q"))
        .await
        .expect("add");
    let client = mercato::limits::client::ClientKey::of([127, 0, 0, 1].into());
    coupons::apply(&app.pool, Some(cart2), "WELCOME10", Currency::EUR, &client)
        .await
        .expect("still unlimited");
    sqlx::query("UPDATE coupons SET max_uses_per_customer = 1 WHERE code = 'WELCOME10'")
        .execute(&app.pool)
        .await
        .expect("limited again");
    let email = Email::parse("ADA@example.com").expect("email");
    let a = address();
    let err = quote(
        &app.pool,
        &checkout("token-snapshots-00002", cart2, &email, &a, rate),
    )
    .await
    .expect_err("a guest");
    assert!(
        matches!(
            &err,
            Error::Rule(Rule::Checkout(CheckoutError::CartChanged(
                Notice::CouponRemoved {
                    reason: CouponError::NeedsAccount(_)
                }
            )))
        ),
        "{err:?}"
    );
}

/// Places an order for 2 units of a variant with 10; returns (order, variant, total).
async fn placed_order(app: &Shop, token: &str) -> (Placed, i64, Money) {
    let variant = variant_with_stock(app, 10).await;
    let rate = standard_rate(app).await;
    let (cart, reviewed) = reviewed_cart(app, variant, 2, None, token).await;
    let total = reviewed.total;
    let placed = place_owned(app.pool.clone(), token.to_owned(), cart, rate, reviewed)
        .await
        .expect("placed");
    (placed, variant, total)
}

#[tokio::test]
async fn a_payment_is_recorded_once_and_queues_one_confirmation() {
    use mercato::orders::lifecycle::Outcome;
    use mercato::orders::lifecycle::{record_payment, PaymentReport, Recorded};
    let app = seeded_db().await;
    let (placed, _, total) = placed_order(&app, "token-payment-once-0001").await;
    let report = |outcome: Outcome, event: Option<&'static str>| PaymentReport {
        order_id: placed.id,
        provider: "test",
        amount: total,
        outcome,
        event_id: event,
    };
    let declined = Outcome::Declined {
        reference: "test_1".into(),
        reason: Some("Declined.".into()),
    };
    let r = record_payment(&app.pool, &report(declined, None), "https://shop.example").await;
    assert_eq!(
        r.expect("recorded"),
        Recorded::Declined {
            reason: Some("Declined.".into())
        }
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM cart_lines").await,
        1,
        "the cart is kept"
    );

    let paid = Outcome::Succeeded {
        reference: "test_2".into(),
    };
    let first = record_payment(
        &app.pool,
        &report(paid.clone(), Some("evt_1")),
        "https://shop.example",
    )
    .await;
    assert_eq!(first.expect("paid"), Recorded::Paid);
    // The same event again, and the same payment reported another way: nothing changes.
    let replay = record_payment(
        &app.pool,
        &report(paid.clone(), Some("evt_1")),
        "https://shop.example",
    )
    .await;
    assert_eq!(replay.expect("replay"), Recorded::DuplicateEvent);
    let again = record_payment(&app.pool, &report(paid, None), "https://shop.example").await;
    assert_eq!(again.expect("again"), Recorded::AlreadyPaid);

    assert_eq!(
        count(&app, "SELECT count(*) FROM orders WHERE status = 'paid'").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM payments WHERE status = 'succeeded'"
        )
        .await,
        1
    );
    assert_eq!(count(&app, "SELECT count(*) FROM order_events").await, 2);
    assert_eq!(
        count(&app, "SELECT count(*) FROM cart_lines").await,
        0,
        "emptied once paid"
    );
    let mails: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT recipient, subject, body_text FROM outbox WHERE kind = 'order_confirmation'",
    )
    .fetch_all(&app.pool)
    .await
    .expect("mail");
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, SHOPPER);
    assert!(mails[0].1.contains(&placed.number.to_string()));
    assert!(mails[0].2.contains(&format!(
        "https://shop.example/orders/{}?key=",
        placed.number
    )));

    // A wrong amount is never recorded as paid.
    let (other, _, _) = placed_order(&app, "token-payment-once-0002").await;
    let wrong = PaymentReport {
        order_id: other.id,
        provider: "test",
        amount: Money::parse("0.01", Currency::EUR).expect("amount"),
        outcome: Outcome::Succeeded {
            reference: "test_3".into(),
        },
        event_id: None,
    };
    assert!(record_payment(&app.pool, &wrong, "https://shop.example")
        .await
        .is_err());
}

#[tokio::test]
async fn unpaid_orders_expire_and_give_their_stock_back() {
    use mercato::orders::lifecycle::expire_unpaid;
    let app = seeded_db().await;
    let (placed, variant, _) = placed_order(&app, "token-expiry-000001").await;
    assert_eq!(stock_of(&app, variant).await, 8);
    assert_eq!(
        expire_unpaid(&app.pool, 30).await.expect("expire"),
        0,
        "not yet"
    );
    sqlx::query("UPDATE orders SET placed_at = now() - interval '31 minutes' WHERE id = $1")
        .bind(placed.id)
        .execute(&app.pool)
        .await
        .expect("age");
    assert_eq!(expire_unpaid(&app.pool, 30).await.expect("expire"), 1);
    assert_eq!(stock_of(&app, variant).await, 10);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM inventory_movements WHERE reason = 'cancel' AND delta = 2"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM orders WHERE status = 'cancelled'"
        )
        .await,
        1
    );
    assert_eq!(
        expire_unpaid(&app.pool, 30).await.expect("expire"),
        0,
        "once"
    );
    let audit = mercato::admin::stock_audit(&app.pool).await.expect("audit");
    assert!(audit.balances() && audit.sold == 0, "{audit:?}");
}

#[tokio::test]
async fn checking_out_again_replaces_the_carts_unpaid_order() {
    let app = seeded_db().await;
    let (first, variant, _) = placed_order(&app, "token-replace-000001").await;
    let cart: i64 = sqlx::query_scalar("SELECT cart_id FROM orders WHERE id = $1")
        .bind(first.id)
        .fetch_one(&app.pool)
        .await
        .expect("cart");
    // The cart still offers both units, though the unpaid order holds them.
    let view = store::view(&app.pool, Some(cart), Currency::EUR)
        .await
        .expect("view");
    assert!(view.notices.is_empty(), "{:?}", view.notices);
    let rate = standard_rate(&app).await;
    let email = Email::parse("ada@example.com").expect("email");
    let a = address();
    let c = checkout("token-replace-000002", cart, &email, &a, rate);
    let q = quote(&app.pool, &c).await.expect("quote");
    let second = place(&app.pool, &c, &q.reviewed()).await.expect("placed");
    assert_ne!(second.id, first.id);
    assert_eq!(stock_of(&app, variant).await, 8, "held once, not twice");
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(first.id)
        .fetch_one(&app.pool)
        .await
        .expect("status");
    assert_eq!(status, "cancelled");
}

#[tokio::test]
async fn a_confirmed_customers_second_use_of_a_once_per_customer_coupon_is_refused_at_checkout() {
    let app = seeded_db().await;
    let ada = mercato::accounts::store::upsert_with_role(
        &app.pool,
        "ada@example.com",
        crate::common::PASSWORD,
        mercato::accounts::Role::Customer,
    )
    .await
    .expect("a confirmed account")
    .id;
    let variant = variant_with_stock(&app, 10).await;
    let rate = standard_rate(&app).await;
    let email = Email::parse("ada@example.com").expect("email");
    let a = address();
    let (cart, _) = store::add(
        &app.pool,
        None,
        Some(ada),
        variant,
        Quantity::new(3).expect("q"),
    )
    .await
    .expect("add");
    let client = mercato::limits::client::ClientKey::of([10, 9, 9, 9].into());
    coupons::apply(&app.pool, Some(cart), "WELCOME10", Currency::EUR, &client)
        .await
        .expect("a confirmed customer's first use");
    let mut first = checkout("token-per-customer-00001", cart, &email, &a, rate);
    first.user = Some(ada);
    let reviewed = quote(&app.pool, &first).await.expect("quote").reviewed();
    let placed = place(&app.pool, &first, &reviewed).await.expect("placed");
    sqlx::query("UPDATE orders SET status = 'paid' WHERE id = $1")
        .bind(placed.id)
        .execute(&app.pool)
        .await
        .expect("paid");
    // The coupon is still on the cart (say, applied again in another tab before the
    // payment landed): checking out again refuses it.
    let mut second = checkout("token-per-customer-00002", cart, &email, &a, rate);
    second.user = Some(ada);
    let err = quote(&app.pool, &second).await.expect_err("used");
    assert!(
        matches!(&err, Error::Rule(Rule::Checkout(CheckoutError::CartChanged(Notice::CouponRemoved {
            reason: CouponError::UsedByYou(code)
        }))) if code == "WELCOME10"),
        "{err:?}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id
             WHERE c.code = 'WELCOME10'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_test_provider_refunds_what_it_took_and_nothing_else() {
    use mercato::payments::test_provider::TestProvider;
    use mercato::payments::{
        PaymentProvider, RefundOutcome, RefundRefusal, RefundRequest, TestCard,
    };
    let app = seeded_db().await;
    let (placed, _, total) = placed_order(&app, "token-test-refund-0001").await;
    let provider = TestProvider;
    provider
        .pay(
            &app.pool,
            &placed.payable(),
            TestCard::Succeeds,
            "https://shop.example",
        )
        .await
        .expect("paid");
    let reference: String = sqlx::query_scalar(
        "SELECT reference FROM payments WHERE order_id = $1 AND status = 'succeeded'",
    )
    .bind(placed.id)
    .fetch_one(&app.pool)
    .await
    .expect("the payment");
    let request = |amount: Money, key: &'static str| RefundRequest {
        order_id: placed.id,
        refund_id: 0,
        payment: "",
        amount,
        key,
    };
    let ok = provider
        .refund(
            &app.pool,
            &RefundRequest {
                payment: &reference,
                ..request(total, "k1")
            },
        )
        .await
        .expect("answers");
    assert_eq!(
        ok,
        RefundOutcome::Succeeded {
            reference: "test_re_k1".to_owned()
        }
    );
    let more = Money::parse("1000.00", Currency::EUR).expect("amount");
    for (payment, amount, why) in [
        (reference.as_str(), more, RefundRefusal::AmountOutOfRange),
        ("test_nope", total, RefundRefusal::NoSuchPayment),
    ] {
        let refused = provider
            .refund(
                &app.pool,
                &RefundRequest {
                    payment,
                    ..request(amount, "k2")
                },
            )
            .await
            .expect("answers");
        assert_eq!(refused, RefundOutcome::Refused(why));
    }
}

#[tokio::test]
async fn one_client_places_a_bounded_number_of_new_orders_but_may_always_retry_one() {
    use mercato::checkout::place::PLACE;
    use mercato::limits::Shape;
    let Shape::Bucket { burst, .. } = PLACE.shape else {
        panic!("placing is limited by a bucket");
    };
    let app = seeded_db().await;
    let variant = variant_with_stock(&app, 1000).await;
    let rate = standard_rate(&app).await;
    let email = Email::parse("ada@example.com").expect("email");
    let a = address();
    let client = ClientKey::of([198, 51, 100, 7].into());
    let mut first = None;
    for i in 0..=(burst as usize) {
        let token = format!("token-flood-{i:06}");
        let (cart, reviewed) = reviewed_cart(&app, variant, 1, None, &token).await;
        let mut c = checkout(&token, cart, &email, &a, rate);
        c.client = client.clone();
        let placed = place(&app.pool, &c, &reviewed).await;
        if i < burst as usize {
            let placed = placed.expect("within the burst");
            first.get_or_insert((c.token.to_owned(), cart, reviewed, placed));
        } else {
            assert!(
                matches!(placed, Err(Error::TooManyAttempts { wait_secs }) if wait_secs > 0),
                "{placed:?}"
            );
        }
    }
    let placed_orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(placed_orders, burst as i64, "the refused one wrote nothing");
    // A retry of an order already placed (a double submit) is answered, not counted.
    let (token, cart, reviewed, placed) = first.expect("a first order");
    let mut again = checkout(&token, cart, &email, &a, rate);
    again.client = client.clone();
    let retry = place(&app.pool, &again, &reviewed)
        .await
        .expect("the retry");
    assert_eq!((retry.id, retry.already_placed), (placed.id, true));
    // Another client is not held up.
    let (cart, reviewed) = reviewed_cart(&app, variant, 1, None, "token-flood-other").await;
    place(
        &app.pool,
        &checkout("token-flood-other", cart, &email, &a, rate),
        &reviewed,
    )
    .await
    .expect("another client");
}
