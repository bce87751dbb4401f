//! Refunds and cancellations with the test provider: a partial refund of one line puts
//! its units back in stock, moves the order and mails the shopper; the rest refunds to
//! the cent; ten refunds of everything at once refund it once (and the database refuses
//! more than was paid even to a writer that skips the rules); cancelling returns stock
//! and the coupon use, refunding a paid order in full; bad requests change nothing.

use crate::common::checkout;
use crate::common::{seeded_db, Shop};
use mercato::admin::Permission;
use mercato::checkout::place::Placed;
use mercato::error::Rule;
use mercato::orders::refund::{self, RefundChoice, RefundError, RefundLineForm, Refunded};
use mercato::payments::test_provider::TestProvider;
use mercato::payments::Payments;
use mercato::{Error, Money};
use rust_decimal::Decimal;

const URL: &str = "https://shop.example";

use crate::common::checkout::{paid_order, staff_with};

async fn scalar<T>(shop: &Shop, sql: &str, id: i64) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&shop.pool)
        .await
        .expect(sql)
}

async fn line_of(shop: &Shop, order: &Placed) -> i64 {
    scalar(
        shop,
        "SELECT id FROM order_lines WHERE order_id = $1",
        order.id,
    )
    .await
}

fn form(line: i64, units: u32, restock: bool, shipping: &str) -> RefundChoice {
    RefundChoice::parse(
        &[RefundLineForm {
            id: line.to_string(),
            quantity: units.to_string(),
            restock: restock.then(|| "on".to_owned()),
        }],
        shipping,
        "",
        "EUR",
        "Damaged in transit",
        "",
    )
    .expect("a well-formed form")
}

fn payments() -> Payments {
    Payments::Test(TestProvider)
}

async fn states(shop: &Shop, order: i64) -> (String, String) {
    sqlx::query_as("SELECT status, payment_state FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(&shop.pool)
        .await
        .expect("the order")
}

fn refused(result: Result<impl std::fmt::Debug, Error>) -> RefundError {
    match result {
        Err(Error::Rule(Rule::Refund(why))) => why,
        other => panic!("expected a refused refund, got {other:?}"),
    }
}

#[tokio::test]
async fn a_partial_refund_restocks_moves_the_order_and_mails_and_the_rest_refunds_to_the_cent() {
    let shop = seeded_db().await;
    let staff = staff_with(&shop, "money@example.com", &[Permission::Refunds]).await;
    let (order, variant) = paid_order(&shop, "refund-partial-0001", 3).await;
    let line = line_of(&shop, &order).await;
    let stock = checkout::stock_of(&shop, variant).await;

    // One of three units, back in stock.
    let one = refund::refund(
        &shop.pool,
        &payments(),
        &staff,
        order.number.0,
        &form(line, 1, true, ""),
        URL,
    )
    .await
    .expect("refunded");
    let line_total: Decimal = scalar(
        &shop,
        "SELECT line_total FROM order_lines WHERE order_id = $1",
        order.id,
    )
    .await;
    let shipping: Decimal =
        scalar(&shop, "SELECT shipping FROM orders WHERE id = $1", order.id).await;
    let email: String = scalar(&shop, "SELECT email FROM orders WHERE id = $1", order.id).await;
    let goods = order.total.amount() - shipping;
    let expected = Money::new(
        line_total * goods / line_total / Decimal::from(3),
        order.total.currency(),
    );
    assert_eq!(one, Refunded::Done(expected));
    assert_eq!(
        states(&shop, order.id).await,
        ("partially_refunded".into(), "partially_refunded".into())
    );
    assert_eq!(checkout::stock_of(&shop, variant).await, stock + 1);
    let movement: (i32, String, Option<i64>) = sqlx::query_as(
        "SELECT delta, reason, staff_id FROM inventory_movements
         WHERE variant_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(variant)
    .fetch_one(&shop.pool)
    .await
    .expect("a movement");
    assert_eq!(movement, (1, "return".into(), Some(staff.id())));
    let mail: (String, String) = sqlx::query_as(
        "SELECT subject, body_text FROM outbox WHERE kind = 'order_refunded' AND recipient = $1",
    )
    .bind(&email)
    .fetch_one(&shop.pool)
    .await
    .expect("the refund mail");
    assert!(mail.1.contains(&expected.format()), "{}", mail.1);
    assert!(mail.1.contains("1 × "), "{}", mail.1);
    let audit: serde_json::Value = scalar(
        &shop,
        "SELECT after FROM audit_log WHERE action = 'order.refund' AND staff_id = $1",
        staff.id(),
    )
    .await;
    assert_eq!(audit["amount"], expected.amount().to_string());
    assert_eq!(audit["lines"][0]["quantity"], 1);
    // The shopper sees it on their order.
    let view = mercato::orders::read::order(
        &shop.pool,
        order.number.0,
        mercato::orders::read::Viewer::Key(&order.access_key),
    )
    .await
    .expect("the shopper's view");
    assert_eq!(view.refunds.len(), 1);
    assert_eq!(view.refunds[0].amount, expected);
    assert_eq!(view.refunds[0].reason, "", "staff's words stay with staff");

    // The rest: two units (not restocked) and the shipping: exactly what is left.
    let shipping = Money::new(shipping, order.total.currency()).typed();
    let rest = refund::refund(
        &shop.pool,
        &payments(),
        &staff,
        order.number.0,
        &form(line, 2, false, &shipping),
        URL,
    )
    .await
    .expect("refunded");
    let left = order.total.checked_sub(expected).expect("same currency");
    assert_eq!(rest, Refunded::Done(left));
    assert_eq!(
        states(&shop, order.id).await,
        ("refunded".into(), "refunded".into())
    );
    assert_eq!(checkout::stock_of(&shop, variant).await, stock + 1);
    let refunded: Decimal = scalar(
        &shop,
        "SELECT refunded FROM payments WHERE order_id = $1",
        order.id,
    )
    .await;
    assert_eq!(refunded, order.total.amount());
    // Nothing is left: another refund is refused.
    let more = refund::refund(
        &shop.pool,
        &payments(),
        &staff,
        order.number.0,
        &RefundChoice::parse(&[], "", "1", "EUR", "", "").expect("parsed"),
        URL,
    )
    .await;
    assert_eq!(refused(more), RefundError::NothingLeft);
}

#[tokio::test]
async fn ten_refunds_of_everything_at_once_refund_it_once() {
    let shop = seeded_db().await;
    let staff = staff_with(&shop, "money@example.com", &[Permission::Refunds]).await;
    let (order, _) = paid_order(&shop, "refund-race-000001", 2).await;
    let everything =
        RefundChoice::parse(&[], "", &order.total.typed(), "EUR", "Race", "").expect("parsed");
    let attempts = (0..10).map(|_| {
        let (pool, staff, everything) = (shop.pool.clone(), staff.clone(), everything.clone());
        tokio::spawn(async move {
            refund::refund(&pool, &payments(), &staff, order.number.0, &everything, URL).await
        })
    });
    let mut done = 0;
    for attempt in attempts {
        match attempt.await.expect("the task ran") {
            Ok(Refunded::Done(amount)) => {
                assert_eq!(amount, order.total);
                done += 1
            }
            // The others find it refunded, or the first still with the provider.
            Err(Error::Rule(Rule::Refund(RefundError::NothingLeft | RefundError::Waiting))) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(done, 1);
    assert_eq!(
        states(&shop, order.id).await,
        ("refunded".into(), "refunded".into())
    );
    let (count, sum): (i64, Decimal) = sqlx::query_as(
        "SELECT count(*), sum(amount) FROM refunds WHERE order_id = $1 AND state <> 'failed'",
    )
    .bind(order.id)
    .fetch_one(&shop.pool)
    .await
    .expect("refunds");
    assert_eq!((count, sum), (1, order.total.amount()));
    assert_eq!(
        scalar::<i64>(
            &shop,
            "SELECT count(*) FROM outbox WHERE kind = 'order_refunded' AND dedupe_key LIKE 'order:' || $1 || ':%'",
            order.id
        )
        .await,
        1
    );

    // The database refuses more than was paid even to a writer that skips the rules
    // (and the order's lock).
    let (other, _) = paid_order(&shop, "refund-race-000002", 1).await;
    let insert = |key: &'static str, amount: Decimal| {
        let pool = shop.pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO refunds (order_id, payment_id, amount, currency, idempotency_key, reason)
                 SELECT order_id, id, $2, currency, $3, 'raw' FROM payments WHERE order_id = $1",
            )
            .bind(other.id)
            .bind(amount)
            .bind(key)
            .execute(&pool)
            .await
        }
    };
    let half = other.total.amount() / Decimal::from(2);
    insert("raw-refund-key-000001", half).await.expect("half");
    let past = insert(
        "raw-refund-key-000002",
        other.total.amount() - half + Decimal::new(1, 2),
    )
    .await
    .expect_err("past the ceiling");
    assert_eq!(
        past.as_database_error().and_then(|d| d.constraint()),
        Some("payments_refund_ceiling")
    );
    // A failed refund gives back what it held.
    sqlx::query(
        "UPDATE refunds SET state = 'failed' WHERE idempotency_key = 'raw-refund-key-000001'",
    )
    .execute(&shop.pool)
    .await
    .expect("failed");
    insert("raw-refund-key-000003", other.total.amount())
        .await
        .expect("the whole amount, now");
    let back = sqlx::query(
        "UPDATE refunds SET state = 'requested' WHERE idempotency_key = 'raw-refund-key-000001'",
    )
    .execute(&shop.pool)
    .await
    .expect_err("a failed refund stays failed");
    assert_eq!(
        back.as_database_error().and_then(|d| d.constraint()),
        Some("refunds_fixed")
    );
}

#[tokio::test]
async fn cancelling_returns_stock_and_the_coupon_use_and_refunds_a_paid_order() {
    let shop = seeded_db().await;
    let staff = staff_with(
        &shop,
        "boss@example.com",
        &[Permission::Orders, Permission::Refunds],
    )
    .await;
    let coupon: i64 = sqlx::query_scalar(
        "INSERT INTO coupons (code, kind, value) VALUES ('CANCELME', 'fixed', 1) RETURNING id",
    )
    .fetch_one(&shop.pool)
    .await
    .expect("a coupon");
    for (token, paid) in [
        ("cancel-unpaid-00001", false),
        ("cancel-paid-0000001", true),
    ] {
        let (order, variant) = if paid {
            paid_order(&shop, token, 2).await
        } else {
            checkout::unpaid_order(&shop, token, 2).await
        };
        sqlx::query(
            "INSERT INTO coupon_redemptions (coupon_id, order_id, email)
             SELECT $1, id, email FROM orders WHERE id = $2",
        )
        .bind(coupon)
        .bind(order.id)
        .execute(&shop.pool)
        .await
        .expect("a redemption");
        let stock = checkout::stock_of(&shop, variant).await;
        let done = refund::cancel(
            &shop.pool,
            &payments(),
            &staff,
            order.number.0,
            "The customer asked",
            URL,
        )
        .await
        .expect("cancelled");
        assert_eq!(done, paid.then_some(Refunded::Done(order.total)), "{token}");
        let (status, payment) = states(&shop, order.id).await;
        assert_eq!(status, "cancelled");
        assert_eq!(payment, if paid { "refunded" } else { "void" });
        assert_eq!(
            checkout::stock_of(&shop, variant).await,
            stock + 2,
            "{token}"
        );
        let reason: String = scalar(
            &shop,
            "SELECT reason FROM inventory_movements WHERE variant_id = $1 ORDER BY id DESC LIMIT 1",
            variant,
        )
        .await;
        assert_eq!(reason, "cancel", "{token}");
        if paid {
            let cancels: bool = scalar(
                &shop,
                "SELECT cancels_order FROM refunds WHERE order_id = $1",
                order.id,
            )
            .await;
            assert!(cancels);
        }
        assert_eq!(
            scalar::<i64>(
                &shop,
                "SELECT count(*) FROM coupon_redemptions WHERE order_id = $1",
                order.id
            )
            .await,
            0
        );
        let mail: String = scalar(
            &shop,
            "SELECT body_text FROM outbox WHERE kind = 'order_cancelled'
             AND dedupe_key = 'order:' || $1 || ':cancelled'",
            order.id,
        )
        .await;
        if paid {
            assert!(
                mail.contains(&format!("refunded {}", order.total.format())),
                "{mail}"
            );
        } else {
            assert!(mail.contains("Nothing was charged"), "{mail}");
        }
        // Once.
        let again = refund::cancel(
            &shop.pool,
            &payments(),
            &staff,
            order.number.0,
            "Again",
            URL,
        )
        .await;
        assert!(matches!(refused(again), RefundError::NotCancellable(_)));
    }

    // A shipped order is not cancelled: its units left.
    let (shipped, _) = paid_order(&shop, "cancel-shipped-0001", 1).await;
    sqlx::query("UPDATE orders SET fulfilment_state = 'partially_shipped' WHERE id = $1")
        .bind(shipped.id)
        .execute(&shop.pool)
        .await
        .expect("shipped");
    let refused_shipped = refund::cancel(
        &shop.pool,
        &payments(),
        &staff,
        shipped.number.0,
        "Late",
        URL,
    )
    .await;
    assert_eq!(refused(refused_shipped), RefundError::Shipped);
    // Someone with orders but not refunds cancels unpaid orders, not paid ones.
    let clerk = staff_with(&shop, "clerk@example.com", &[Permission::Orders]).await;
    let (paid, _) = paid_order(&shop, "cancel-clerk-000001", 1).await;
    let denied = refund::cancel(&shop.pool, &payments(), &clerk, paid.number.0, "No", URL).await;
    assert!(matches!(denied, Err(Error::NotPermitted(_))), "{denied:?}");
    assert_eq!(states(&shop, paid.id).await.0, "paid");
}

#[tokio::test]
async fn bad_refunds_are_refused_with_the_reason_and_change_nothing() {
    let shop = seeded_db().await;
    let staff = staff_with(&shop, "money@example.com", &[Permission::Refunds]).await;
    let (order, _) = paid_order(&shop, "refund-bad-0000001", 1).await;
    let line = line_of(&shop, &order).await;
    let try_refund = |choice: RefundChoice| {
        let (pool, staff) = (shop.pool.clone(), staff.clone());
        async move { refund::refund(&pool, &payments(), &staff, order.number.0, &choice, URL).await }
    };
    // Nothing chosen, or zero.
    assert!(matches!(
        RefundChoice::parse(&[], "", "0", "EUR", "", ""),
        Err(Error::Rule(Rule::Refund(RefundError::Nothing)))
    ));
    // More than was paid; more units or shipping than the order has; another currency.
    let too_much = Money::new(order.total.amount() + Decimal::ONE, order.total.currency());
    let cases = [
        RefundChoice::parse(&[], "", &too_much.typed(), "EUR", "", "").expect("parsed"),
        form(line, 2, true, ""),
        form(line, 1, true, "999"),
        RefundChoice::parse(&[], "", "1", "USD", "", "").expect("parsed"),
    ];
    let reasons: Vec<RefundError> =
        futures_util::future::join_all(cases.into_iter().map(try_refund))
            .await
            .into_iter()
            .map(refused)
            .collect();
    assert!(
        matches!(reasons[0], RefundError::TooMuch { .. }),
        "{:?}",
        reasons[0]
    );
    assert!(
        matches!(reasons[1], RefundError::TooManyUnits { left: 1, .. }),
        "{:?}",
        reasons[1]
    );
    assert!(
        matches!(reasons[2], RefundError::TooMuchShipping { .. }),
        "{:?}",
        reasons[2]
    );
    assert!(
        matches!(reasons[3], RefundError::WrongCurrency { .. }),
        "{:?}",
        reasons[3]
    );
    // Nothing was paid yet.
    let (unpaid, _) = checkout::unpaid_order(&shop, "refund-bad-0000002", 1).await;
    let not_paid = refund::refund(
        &shop.pool,
        &payments(),
        &staff,
        unpaid.number.0,
        &form(1, 1, true, ""),
        URL,
    )
    .await;
    assert!(matches!(refused(not_paid), RefundError::NotPaid(_)));
    // Someone who may ship but not refund.
    let shipper = staff_with(&shop, "ship@example.com", &[Permission::Orders]).await;
    let denied = refund::refund(
        &shop.pool,
        &payments(),
        &shipper,
        order.number.0,
        &form(line, 1, true, ""),
        URL,
    )
    .await;
    assert!(matches!(denied, Err(Error::NotPermitted(_))), "{denied:?}");
    // Nothing changed.
    assert_eq!(
        states(&shop, order.id).await,
        ("paid".into(), "paid".into())
    );
    assert_eq!(
        scalar::<i64>(
            &shop,
            "SELECT count(*) FROM refunds WHERE order_id = $1",
            order.id
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_partly_refunded_order_ships_what_is_left_and_is_delivered() {
    use mercato::orders::fulfil::{self, ShipRequest, Shipped};
    let shop = seeded_db().await;
    let staff = staff_with(
        &shop,
        "all@example.com",
        &[Permission::Orders, Permission::Refunds],
    )
    .await;
    let (order, _) = paid_order(&shop, "refund-then-ship-01", 3).await;
    let line = line_of(&shop, &order).await;
    // One unit is out of stock: refunded before anything ships.
    refund::refund(
        &shop.pool,
        &payments(),
        &staff,
        order.number.0,
        &form(line, 1, false, ""),
        URL,
    )
    .await
    .expect("refunded");
    let carrier: i64 = sqlx::query_scalar("SELECT min(id) FROM carriers")
        .fetch_one(&shop.pool)
        .await
        .expect("a carrier");
    // Three units cannot ship any more; the two left can.
    let three = fulfil::ship(
        &shop.pool,
        &staff,
        order.number.0,
        &ShipRequest {
            lines: vec![(line, 3)],
            carrier,
            tracking: String::new(),
        },
        URL,
    )
    .await;
    assert!(
        matches!(
            three,
            Err(Error::Rule(Rule::Ship(fulfil::ShipError::TooMany {
                left: 2,
                ..
            })))
        ),
        "{three:?}"
    );
    let two = fulfil::ship(
        &shop.pool,
        &staff,
        order.number.0,
        &ShipRequest {
            lines: vec![(line, 2)],
            carrier,
            tracking: "JV1".into(),
        },
        URL,
    )
    .await
    .expect("shipped");
    assert_eq!(two, Shipped::All);
    let row: (String, String, String) =
        sqlx::query_as("SELECT status, payment_state, fulfilment_state FROM orders WHERE id = $1")
            .bind(order.id)
            .fetch_one(&shop.pool)
            .await
            .expect("the order");
    assert_eq!(
        row,
        (
            "partially_refunded".into(),
            "partially_refunded".into(),
            "shipped".into()
        )
    );
    fulfil::mark_delivered(&shop.pool, &staff, order.number.0)
        .await
        .expect("delivered");
    assert_eq!(
        scalar::<String>(
            &shop,
            "SELECT fulfilment_state FROM orders WHERE id = $1",
            order.id
        )
        .await,
        "delivered"
    );
}

#[tokio::test]
async fn a_form_sent_twice_refunds_once_and_another_orders_refund_is_not_found() {
    let shop = seeded_db().await;
    let staff = staff_with(&shop, "money@example.com", &[Permission::Refunds]).await;
    let (order, _) = paid_order(&shop, "refund-twice-00001", 2).await;
    let key = mercato::token::random_hex();
    let choice = RefundChoice::parse(&[], "", "1.00", "EUR", "Goodwill", &key).expect("parsed");
    let first = refund::refund(
        &shop.pool,
        &payments(),
        &staff,
        order.number.0,
        &choice,
        URL,
    )
    .await
    .expect("refunded");
    assert!(matches!(first, Refunded::Done(_)));
    let again = refund::refund(
        &shop.pool,
        &payments(),
        &staff,
        order.number.0,
        &choice,
        URL,
    )
    .await;
    assert_eq!(refused(again), RefundError::AlreadySent);
    assert_eq!(
        scalar::<i64>(
            &shop,
            "SELECT count(*) FROM refunds WHERE order_id = $1",
            order.id
        )
        .await,
        1
    );
    // A damaged key is no key.
    assert!(RefundChoice::parse(&[], "", "1.00", "EUR", "", "not-a-key").is_err());
    // Retrying names the order too: another order's refund is not found from this one.
    let (other, _) = paid_order(&shop, "refund-twice-00002", 1).await;
    let refund_id: i64 = scalar(
        &shop,
        "SELECT id FROM refunds WHERE order_id = $1",
        order.id,
    )
    .await;
    let crossed = refund::retry(
        &shop.pool,
        &payments(),
        &staff,
        other.number.0,
        refund_id,
        URL,
    )
    .await;
    assert!(matches!(crossed, Err(Error::NotFound)), "{crossed:?}");
    // A refund that ended is not retried.
    let ended = refund::retry(
        &shop.pool,
        &payments(),
        &staff,
        order.number.0,
        refund_id,
        URL,
    )
    .await;
    assert_eq!(refused(ended), RefundError::Ended);
}
