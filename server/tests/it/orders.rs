//! The one writer of an order's status: moves racing for one order (two staff cancels, a
//! cancel against a payment, a cancel against the expiry worker) make exactly one change;
//! every move has its history row, a staff move its audit row; the audit log refuses to
//! be changed; a status the code does not know is an error, never "awaiting payment".

use crate::common::{seeded_db, Shop, PASSWORD};
use mercato::accounts::address::AddressInput;
use mercato::accounts::{Email, Role};
use mercato::admin::audit::{self, Subject};
use mercato::admin::Staff;
use mercato::cart::{store, Quantity};
use mercato::checkout::place::{place, quote, Checkout, Placed};
use mercato::error::Rule;
use mercato::orders::lifecycle::Outcome;
use mercato::orders::lifecycle::{self, cancel_unpaid_by_staff, PaymentReport, Recorded};
use mercato::orders::{OrderStatus, TransitionError};
use mercato::{Currency, Error};

async fn staff_member(shop: &Shop) -> Staff {
    let user = mercato::accounts::store::upsert_with_role(
        &shop.pool,
        "sam@example.com",
        PASSWORD,
        Role::Staff,
    )
    .await
    .expect("a staff account");
    Staff::of(user).expect("staff")
}

/// An unpaid order of two units; (the order, its variant, the stock before it).
async fn unpaid_order(shop: &Shop, token: &str) -> (Placed, i64, i32) {
    let (variant, on_hand) = variant_in_stock_db(shop).await;
    let (cart, _) = store::add(
        &shop.pool,
        None,
        None,
        variant,
        Quantity::new(2).expect("q"),
    )
    .await
    .expect("add");
    let rate: i64 = sqlx::query_scalar(
        "SELECT id FROM shipping_rates WHERE name = 'Standard' ORDER BY id LIMIT 1",
    )
    .fetch_one(&shop.pool)
    .await
    .expect("rate");
    let email = Email::parse("ada@example.com").expect("email");
    let address = AddressInput {
        name: "Ada Lovelace".into(),
        line1: "Unter den Linden 1".into(),
        city: "Berlin".into(),
        postal_code: "10117".into(),
        country: "DE".into(),
        ..AddressInput::default()
    }
    .validate()
    .expect("address");
    let checkout = Checkout {
        token,
        cart,
        user: None,
        email: &email,
        shipping_address: &address,
        billing_address: &address,
        shipping_rate: rate,
        currency: Currency::EUR,
        prices_include_tax: true,
    };
    let total = quote(&shop.pool, &checkout)
        .await
        .expect("quote")
        .totals
        .total;
    let placed = place(&shop.pool, &checkout, total).await.expect("placed");
    (placed, variant, on_hand)
}

async fn variant_in_stock_db(shop: &Shop) -> (i64, i32) {
    sqlx::query_as(
        "SELECT v.id, i.on_hand FROM variants v JOIN inventory i ON i.variant_id = v.id
         JOIN products p ON p.id = v.product_id
         WHERE p.status = 'active' AND i.on_hand >= 5 ORDER BY v.id LIMIT 1",
    )
    .fetch_one(&shop.pool)
    .await
    .expect("a variant in stock")
}

async fn status_and_moves(shop: &Shop, order: i64) -> (OrderStatus, Vec<OrderStatus>) {
    let status = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(&shop.pool)
        .await
        .expect("status");
    let moves =
        sqlx::query_scalar("SELECT to_status FROM order_events WHERE order_id = $1 ORDER BY id")
            .bind(order)
            .fetch_all(&shop.pool)
            .await
            .expect("history");
    (status, moves)
}

async fn on_hand(shop: &Shop, variant: i64) -> i32 {
    sqlx::query_scalar("SELECT on_hand FROM inventory WHERE variant_id = $1")
        .bind(variant)
        .fetch_one(&shop.pool)
        .await
        .expect("stock")
}

async fn audit_rows(shop: &Shop) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&shop.pool)
        .await
        .expect("audit")
}

#[tokio::test]
async fn two_staff_cancelling_one_order_at_once_cancel_it_once() {
    let shop = seeded_db().await;
    let staff = staff_member(&shop).await;
    let (order, variant, before) = unpaid_order(&shop, "token-two-cancels-0001").await;
    assert_eq!(on_hand(&shop, variant).await, before - 2);
    let (a, b) = tokio::join!(
        cancel_unpaid_by_staff(&shop.pool, &staff, order.id, "Customer asked by phone"),
        cancel_unpaid_by_staff(&shop.pool, &staff, order.id, "Duplicate order"),
    );
    let results = [a, b];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results.iter().any(|r| matches!(
        r,
        Err(Error::Rule(Rule::Transition(TransitionError {
            from: OrderStatus::Cancelled,
            to: OrderStatus::Cancelled
        })))
    )));
    let (status, moves) = status_and_moves(&shop, order.id).await;
    assert_eq!(status, OrderStatus::Cancelled);
    assert_eq!(moves, [OrderStatus::PendingPayment, OrderStatus::Cancelled]);
    assert_eq!(
        on_hand(&shop, variant).await,
        before,
        "the stock came back once"
    );
    assert_eq!(
        audit_rows(&shop).await,
        1,
        "one audit row for the one change"
    );
    let (staff_id, action, subject): (Option<i64>, String, String) =
        sqlx::query_as("SELECT staff_id, action, subject_id FROM audit_log")
            .fetch_one(&shop.pool)
            .await
            .expect("the audit row");
    assert_eq!(staff_id, Some(staff.id()));
    assert_eq!(action, "order.status");
    assert_eq!(subject, order.number.0.to_string());
}

#[tokio::test]
async fn a_cancel_racing_a_payment_leaves_one_of_them() {
    let shop = seeded_db().await;
    let staff = staff_member(&shop).await;
    for n in 0..5 {
        let (order, variant, before) =
            unpaid_order(&shop, &format!("token-cancel-vs-pay-{n:03}")).await;
        let report = PaymentReport {
            order_id: order.id,
            provider: "test",
            amount: order.total,
            outcome: Outcome::Succeeded {
                reference: format!("test-pay-{n}"),
            },
            event_id: None,
        };
        let (cancel, pay) = tokio::join!(
            cancel_unpaid_by_staff(
                &shop.pool,
                &staff,
                order.id,
                "Out of stock in the warehouse"
            ),
            lifecycle::record_payment(&shop.pool, &report, "https://shop.example"),
        );
        let (status, moves) = status_and_moves(&shop, order.id).await;
        match (cancel, pay.expect("the payment is recorded either way")) {
            // Cancelled first: the money that arrives after is recorded for a refund.
            (Ok(()), Recorded::PaidAfterCancel) => {
                assert_eq!(status, OrderStatus::Cancelled);
                assert_eq!(moves, [OrderStatus::PendingPayment, OrderStatus::Cancelled]);
                assert_eq!(on_hand(&shop, variant).await, before);
            }
            // Paid first: the cancel is refused and nothing of it happens.
            (Err(Error::Rule(Rule::Transition(refused))), Recorded::Paid) => {
                assert_eq!(refused.from, OrderStatus::Paid);
                assert_eq!(status, OrderStatus::Paid);
                assert_eq!(moves, [OrderStatus::PendingPayment, OrderStatus::Paid]);
                assert_eq!(on_hand(&shop, variant).await, before - 2);
            }
            other => panic!("both or neither happened: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_cancel_racing_the_expiry_worker_cancels_once() {
    let shop = seeded_db().await;
    let staff = staff_member(&shop).await;
    let (order, variant, before) = unpaid_order(&shop, "token-cancel-vs-expiry1").await;
    sqlx::query("UPDATE orders SET placed_at = now() - interval '2 hours' WHERE id = $1")
        .bind(order.id)
        .execute(&shop.pool)
        .await
        .expect("old enough to expire");
    let (cancel, expired) = tokio::join!(
        cancel_unpaid_by_staff(&shop.pool, &staff, order.id, "Customer asked"),
        lifecycle::expire_unpaid(&shop.pool, 30),
    );
    let expired = expired.expect("the worker runs");
    assert!(
        cancel.is_ok() != (expired == 1),
        "exactly one of them cancels: {cancel:?}, {expired}"
    );
    let (status, moves) = status_and_moves(&shop, order.id).await;
    assert_eq!(status, OrderStatus::Cancelled);
    assert_eq!(moves, [OrderStatus::PendingPayment, OrderStatus::Cancelled]);
    assert_eq!(
        on_hand(&shop, variant).await,
        before,
        "the stock came back once"
    );
    assert_eq!(audit_rows(&shop).await, i64::from(cancel.is_ok()));
}

#[tokio::test]
async fn staff_need_the_orders_permission_and_a_reason() {
    let shop = seeded_db().await;
    let staff = staff_member(&shop).await;
    let (order, _, _) = unpaid_order(&shop, "token-permission-0001").await;
    let err = cancel_unpaid_by_staff(&shop.pool, &staff, order.id, "   ")
        .await
        .expect_err("no reason");
    assert!(
        matches!(&err, Error::Fields(f) if f.get("reason").is_some()),
        "{err:?}"
    );
    let customer = Staff::of(mercato::accounts::User {
        id: staff.id(),
        email: "sam@example.com".into(),
        role: Role::Customer,
    });
    assert_eq!(customer, None, "a customer is no staff member");
    assert_eq!(
        status_and_moves(&shop, order.id).await.0,
        OrderStatus::PendingPayment
    );
}

#[tokio::test]
async fn the_audit_log_can_be_added_to_but_never_changed() {
    let shop = seeded_db().await;
    let staff = staff_member(&shop).await;
    let mut conn = shop.pool.acquire().await.expect("a connection");
    audit::record(
        &mut conn,
        &staff,
        "product.update",
        Subject {
            kind: "product",
            id: "17",
        },
        Some(serde_json::json!({ "price": "10.00" })),
        Some(serde_json::json!({ "price": "12.00" })),
    )
    .await
    .expect("recorded");
    for change in [
        "UPDATE audit_log SET after = '{}'",
        "UPDATE audit_log SET staff_email = 'someone-else@example.com'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let refused = sqlx::query(change).execute(&shop.pool).await;
        assert!(refused.is_err(), "{change} went through");
    }
    assert_eq!(audit_rows(&shop).await, 1);
    // Deleting the staff account keeps the entry (who it was stays in staff_email).
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(staff.id())
        .execute(&shop.pool)
        .await
        .expect("the account may go");
    let (staff_id, email): (Option<i64>, String) =
        sqlx::query_as("SELECT staff_id, staff_email FROM audit_log")
            .fetch_one(&shop.pool)
            .await
            .expect("still there");
    assert_eq!((staff_id, email.as_str()), (None, "sam@example.com"));
}

#[tokio::test]
async fn a_status_the_code_does_not_know_is_an_error_not_a_default() {
    let shop = seeded_db().await;
    let read: Result<OrderStatus, _> = sqlx::query_scalar("SELECT 'shipped'::text")
        .fetch_one(&shop.pool)
        .await;
    assert!(read.is_err(), "{read:?}");
    let (order, _, _) = unpaid_order(&shop, "token-unknown-status1").await;
    for bad in [
        "UPDATE orders SET status = 'shipped' WHERE id = $1",
        "INSERT INTO order_events (order_id, to_status) VALUES ($1, 'lost')",
        "INSERT INTO order_events (order_id, from_status, to_status) VALUES ($1, 'lost', 'paid')",
    ] {
        let refused = sqlx::query(bad).bind(order.id).execute(&shop.pool).await;
        assert!(refused.is_err(), "{bad}");
    }
}
