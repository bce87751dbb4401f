//! The one writer of an order's status: moves racing for one order (two staff cancels, a
//! cancel against a payment, a cancel against the expiry worker) make exactly one change;
//! every move has its history row, a staff move its audit row; the audit log refuses to
//! be changed; a status the code does not know is an error, never "awaiting payment".

use crate::common::checkout::{self, stock_of};
use crate::common::{seeded_db, Shop, PASSWORD};
use mercato::accounts::Role;
use mercato::admin::audit::{self, Action, Subject, SubjectKind};
use mercato::admin::{Missing, Permission, Staff};
use mercato::checkout::place::Placed;
use mercato::error::Rule;
use mercato::orders::lifecycle::Outcome;
use mercato::orders::lifecycle::{self, cancel_unpaid_by_staff, PaymentReport, Recorded};
use mercato::orders::{OrderStatus, TransitionError};
use mercato::Error;

async fn staff_member(shop: &Shop) -> Staff {
    let user = mercato::accounts::store::upsert_with_role(
        &shop.pool,
        "sam@example.com",
        PASSWORD,
        Role::Staff,
    )
    .await
    .expect("a staff account");
    // The seeded "Manager" role's permissions, as the database gave them.
    let account = mercato::accounts::store::account(&shop.pool, user.id)
        .await
        .expect("read")
        .expect("the account");
    Staff::of(user, &account.staff_permissions).expect("staff")
}

/// An unpaid order of two units; (the order, its variant, the stock before it).
async fn unpaid_order(shop: &Shop, token: &str) -> (Placed, i64, i32) {
    let (order, variant) = checkout::unpaid_order(shop, token, 2).await;
    (order, variant, 10)
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
    assert_eq!(stock_of(&shop, variant).await, before - 2);
    let (a, b) = tokio::join!(
        cancel_unpaid_by_staff(
            &shop.pool,
            &staff,
            order.id,
            "Customer asked by phone",
            "https://shop.example"
        ),
        cancel_unpaid_by_staff(
            &shop.pool,
            &staff,
            order.id,
            "Duplicate order",
            "https://shop.example"
        ),
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
        stock_of(&shop, variant).await,
        before,
        "the stock came back once"
    );
    assert_eq!(
        audit_rows(&shop).await,
        1,
        "one audit row for the one change"
    );
    let (staff_id, action, subject, after): (Option<i64>, String, String, serde_json::Value) =
        sqlx::query_as("SELECT staff_id, action, subject_id, after FROM audit_log")
            .fetch_one(&shop.pool)
            .await
            .expect("the audit row");
    assert_eq!(staff_id, Some(staff.id()));
    assert_eq!(action, "order.status");
    assert_eq!(subject, order.number.0.to_string());
    assert_eq!(after["status"], "cancelled");
    let reason = after["reason"].as_str().expect("the reason");
    assert!(
        ["Customer asked by phone", "Duplicate order"].contains(&reason),
        "{reason}"
    );
    // The history names the staff member; its note, which the customer reads, keeps
    // the staff's reason to the audit log.
    let (event_staff, note): (Option<i64>, String) = sqlx::query_as(
        "SELECT staff_id, note FROM order_events WHERE order_id = $1 AND to_status = 'cancelled'",
    )
    .bind(order.id)
    .fetch_one(&shop.pool)
    .await
    .expect("the cancel's event");
    assert_eq!(event_staff, Some(staff.id()));
    assert_eq!(note, "Cancelled by the shop");
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
                "Out of stock in the warehouse",
                "https://shop.example"
            ),
            lifecycle::record_payment(&shop.pool, &report, "https://shop.example"),
        );
        let (status, moves) = status_and_moves(&shop, order.id).await;
        match (cancel, pay.expect("the payment is recorded either way")) {
            // Cancelled first: the money that arrives after is recorded for a refund.
            (Ok(()), Recorded::PaidAfterCancel) => {
                assert_eq!(status, OrderStatus::Cancelled);
                // The shop holds the money: paid (and cancelled) until it is refunded.
                let payment: String =
                    sqlx::query_scalar("SELECT payment_state FROM orders WHERE id = $1")
                        .bind(order.id)
                        .fetch_one(&shop.pool)
                        .await
                        .expect("payment state");
                assert_eq!(payment, "paid");
                assert_eq!(moves, [OrderStatus::PendingPayment, OrderStatus::Cancelled]);
                assert_eq!(stock_of(&shop, variant).await, before);
            }
            // Paid first: the cancel is refused and nothing of it happens.
            (Err(Error::Rule(Rule::Transition(refused))), Recorded::Paid) => {
                assert_eq!(refused.from, OrderStatus::Paid);
                assert_eq!(status, OrderStatus::Paid);
                assert_eq!(moves, [OrderStatus::PendingPayment, OrderStatus::Paid]);
                assert_eq!(stock_of(&shop, variant).await, before - 2);
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
        cancel_unpaid_by_staff(
            &shop.pool,
            &staff,
            order.id,
            "Customer asked",
            "https://shop.example"
        ),
        lifecycle::expire_unpaid(&shop.pool, 30),
    );
    let expired = expired.expect("the worker runs");
    match (&cancel, expired) {
        (Ok(()), 0) => {}
        // The worker was first: the staff member is told the order is cancelled already.
        (
            Err(Error::Rule(Rule::Transition(TransitionError {
                from: OrderStatus::Cancelled,
                ..
            }))),
            1,
        ) => {}
        other => panic!("exactly one of them cancels: {other:?}"),
    }
    let (status, moves) = status_and_moves(&shop, order.id).await;
    assert_eq!(status, OrderStatus::Cancelled);
    assert_eq!(moves, [OrderStatus::PendingPayment, OrderStatus::Cancelled]);
    assert_eq!(
        stock_of(&shop, variant).await,
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
    let err = cancel_unpaid_by_staff(&shop.pool, &staff, order.id, "   ", "https://shop.example")
        .await
        .expect_err("no reason");
    assert!(
        matches!(&err, Error::Fields(f) if f.get("reason").is_some()),
        "{err:?}"
    );
    let customer = Staff::of(
        mercato::accounts::User {
            id: staff.id(),
            email: "sam@example.com".into(),
            role: Role::Customer,
        },
        &Permission::ALL,
    );
    assert_eq!(customer, None, "a customer is no staff member");
    // A staff member who may edit the catalog but not orders.
    let cataloguer = Staff::with_permissions(staff.user().clone(), &[Permission::Catalog]);
    let err = cancel_unpaid_by_staff(
        &shop.pool,
        &cataloguer,
        order.id,
        "Customer asked",
        "https://shop.example",
    )
    .await
    .expect_err("no orders permission");
    assert!(
        matches!(err, Error::NotPermitted(Missing(Permission::Orders))),
        "{err:?}"
    );
    let (status, moves) = status_and_moves(&shop, order.id).await;
    assert_eq!(status, OrderStatus::PendingPayment);
    assert_eq!(moves, [OrderStatus::PendingPayment], "no history row");
    assert_eq!(audit_rows(&shop).await, 0, "no audit row");
}

#[tokio::test]
async fn the_audit_log_can_be_added_to_but_never_changed() {
    let shop = seeded_db().await;
    let staff = staff_member(&shop).await;
    let mut conn = shop.pool.acquire().await.expect("a connection");
    audit::record(
        &mut conn,
        &staff,
        Action::OrderStatus,
        Subject {
            kind: SubjectKind::Order,
            id: "10017",
        },
        Some(serde_json::json!({ "status": "pending_payment" })),
        Some(serde_json::json!({ "status": "cancelled" })),
    )
    .await
    .expect("recorded");
    for change in [
        "UPDATE audit_log SET after = '{}'",
        "UPDATE audit_log SET staff_email = 'someone-else@example.com'",
        // What the staff account's deletion does, but asked for directly.
        "UPDATE audit_log SET staff_id = NULL",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        refused_by_the_log(sqlx::query(change).execute(&shop.pool).await, change);
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

/// The append-only triggers' refusal: SQLSTATE 42501 (insufficient_privilege), not some
/// other failure of the statement.
fn refused_by_the_log<T: std::fmt::Debug>(result: Result<T, sqlx::Error>, change: &str) {
    let code = result
        .as_ref()
        .err()
        .and_then(|e| e.as_database_error())
        .and_then(|e| e.code().map(|c| c.into_owned()));
    assert_eq!(code.as_deref(), Some("42501"), "{change}: {result:?}");
}

#[tokio::test]
async fn an_orders_history_can_be_added_to_but_never_changed() {
    let shop = seeded_db().await;
    let (order, _, _) = unpaid_order(&shop, "token-history-fixed-1").await;
    for change in [
        "UPDATE order_events SET note = 'Nothing happened'",
        "DELETE FROM order_events",
        "TRUNCATE order_events",
    ] {
        refused_by_the_log(sqlx::query(change).execute(&shop.pool).await, change);
    }
    assert_eq!(
        status_and_moves(&shop, order.id).await.1,
        [OrderStatus::PendingPayment]
    );
}

#[tokio::test]
async fn every_status_the_code_knows_is_one_the_database_accepts() {
    let shop = seeded_db().await;
    let (order, _, _) = unpaid_order(&shop, "token-every-status-01").await;
    let mut tx = shop.pool.begin().await.expect("tx");
    for status in OrderStatus::ALL {
        sqlx::query(
            "INSERT INTO order_events (order_id, from_status, to_status) VALUES ($1, $2, $2)",
        )
        .bind(order.id)
        .bind(status)
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{status:?} in an order's history: {e}"));
        sqlx::query("UPDATE orders SET status = $2 WHERE id = $1")
            .bind(order.id)
            .bind(status)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{status:?} as an order's status: {e}"));
    }
    tx.rollback().await.expect("rollback");
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
