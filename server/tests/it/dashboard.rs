//! The dashboard's figures: kept per day by payments, refunds and new carts as they
//! happen, they agree with a recount from the orders; each period is compared with the
//! one before; what waits for staff is counted for those who may act on it.

use crate::common::checkout::{self as co, staff_with};
use crate::common::{account_signed_in, seeded_app, seeded_db, staff_role_with, Shop};
use mercato::accounts::Role;
use mercato::admin::dashboard::{self, Change, Period};
use mercato::admin::Permission;
use mercato::{Currency, Money};
use rust_decimal::Decimal;

fn eur(s: &str) -> Money {
    Money::parse(s, Currency::EUR).expect("amount")
}

/// What daily_sales says, and what a recount from payments and refunds says, per day.
async fn kept_and_recounted(
    shop: &Shop,
) -> (
    Vec<(String, i32, Decimal, Decimal)>,
    Vec<(String, i32, Decimal, Decimal)>,
) {
    let kept = sqlx::query_as(
        "SELECT to_char(day, 'YYYY-MM-DD'), sum(orders)::int, sum(revenue), sum(refunds)
         FROM daily_sales GROUP BY day
         HAVING sum(orders) <> 0 OR sum(revenue) <> 0 OR sum(refunds) <> 0 ORDER BY day",
    )
    .fetch_all(&shop.pool)
    .await
    .expect("kept");
    let recounted = sqlx::query_as(
        "WITH took AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, sum(amount) AS revenue
                       FROM payments WHERE status = 'succeeded' GROUP BY 1),
              paid AS (SELECT (at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS orders
                       FROM order_events
                       WHERE from_status = 'pending_payment' AND to_status = 'paid' GROUP BY 1),
              refunded AS (SELECT (settled_at AT TIME ZONE 'UTC')::date AS day,
                                  sum(amount) AS refunds
                           FROM refunds WHERE state = 'succeeded' GROUP BY 1),
              days AS (SELECT day FROM took UNION SELECT day FROM paid UNION SELECT day FROM refunded)
         SELECT to_char(d.day, 'YYYY-MM-DD'), coalesce(p.orders, 0),
                coalesce(t.revenue, 0), coalesce(r.refunds, 0)
         FROM days d LEFT JOIN took t ON t.day = d.day LEFT JOIN paid p ON p.day = d.day
         LEFT JOIN refunded r ON r.day = d.day ORDER BY 1",
    )
    .fetch_all(&shop.pool)
    .await
    .expect("recounted");
    (kept, recounted)
}

#[tokio::test]
async fn figures_follow_payments_and_refunds_and_compare_with_the_period_before() {
    let shop = seeded_db().await;
    let staff = staff_with(
        &shop,
        "boss@example.com",
        &[Permission::Orders, Permission::Inventory],
    )
    .await;
    // Two orders paid today (€20.00 a unit, to Germany: Standard €4.95 under €50).
    let (first, variant) = co::paid_order(&shop, "dashboard-order-0001", 1).await;
    let (second, _) = co::paid_order(&shop, "dashboard-order-0002", 2).await;
    assert_eq!(first.total, eur("24.95"));
    assert_eq!(second.total, eur("44.95"));
    // One paid yesterday (its payment and its move to paid recorded then).
    let (earlier, _) = co::unpaid_order(&shop, "dashboard-order-0003", 1).await;
    sqlx::query(
        "WITH p AS (INSERT INTO payments (order_id, provider, reference, amount, currency,
                                          status, created_at)
                    VALUES ($1, 'test', 'dashboard-yesterday', $2, 'EUR', 'succeeded',
                            now() - interval '1 day'))
         INSERT INTO order_events (order_id, from_status, to_status, at)
         VALUES ($1, 'pending_payment', 'paid', now() - interval '1 day')",
    )
    .bind(earlier.id)
    .bind(earlier.total.amount())
    .execute(&shop.pool)
    .await
    .expect("paid yesterday");
    // The first order paid a second time (a shopper's double payment): money taken,
    // not another order.
    sqlx::query(
        "INSERT INTO payments (order_id, provider, reference, amount, currency, status)
         VALUES ($1, 'test', 'dashboard-twice', $2, 'EUR', 'succeeded')",
    )
    .bind(first.id)
    .bind(first.total.amount())
    .execute(&shop.pool)
    .await
    .expect("paid twice");
    // A refund asked for, then settled (counted once, however often it is reported).
    let refund: i64 = sqlx::query_scalar(
        "INSERT INTO refunds (order_id, payment_id, amount, currency, idempotency_key, reason)
         SELECT order_id, id, 5.00, currency, 'dashboard-refund-key-1', 'Scratched'
         FROM payments WHERE order_id = $1 AND status = 'succeeded' RETURNING id",
    )
    .bind(second.id)
    .fetch_one(&shop.pool)
    .await
    .expect("a refund");
    for _ in 0..2 {
        sqlx::query("UPDATE refunds SET state = 'succeeded', settled_at = coalesce(settled_at, now()) WHERE id = $1")
            .bind(refund)
            .execute(&shop.pool)
            .await
            .expect("settled");
    }
    // A refund learned as already settled (made in the provider's dashboard).
    sqlx::query(
        "INSERT INTO refunds (order_id, payment_id, amount, currency, idempotency_key, reason,
                              state, settled_at)
         SELECT order_id, id, 24.95, currency, 'dashboard-refund-key-2', 'Paid twice',
                'succeeded', now()
         FROM payments WHERE reference = 'dashboard-twice'",
    )
    .execute(&shop.pool)
    .await
    .expect("a settled refund");
    let (kept, recounted) = kept_and_recounted(&shop).await;
    assert_eq!(kept, recounted);
    assert_eq!(kept.len(), 2, "{kept:?}");
    // Best sellers agree with a recount of the paid orders' lines.
    let (kept_units, recounted_units): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT sum(units) FROM daily_product_sales),
                (SELECT sum(l.quantity) FROM order_lines l
                 JOIN order_events e ON e.order_id = l.order_id
                 WHERE e.from_status = 'pending_payment' AND e.to_status = 'paid')",
    )
    .fetch_one(&shop.pool)
    .await
    .expect("units");
    assert_eq!((kept_units, recounted_units), (4, 4));
    // Something to answer and a mail given up on, for what needs action.
    sqlx::query(
        "INSERT INTO returns (order_id, reason, request_key)
         VALUES ($1, 'Too small', repeat('k', 64))",
    )
    .bind(first.id)
    .execute(&shop.pool)
    .await
    .expect("a return request");
    sqlx::query(
        "INSERT INTO outbox (kind, recipient, subject, body_text, attempts, last_error)
         VALUES ('test', 'x@example.com', 'Hello', 'Hi', 10, 'refused')",
    )
    .execute(&shop.pool)
    .await
    .expect("a mail given up on");

    let dashboard_today = dashboard::load(&shop.pool, &staff, Period::Today, Currency::EUR)
        .await
        .expect("today");
    let today = dashboard_today
        .sales
        .clone()
        .expect("sales for the orders permission");
    assert_eq!(today.now.orders, 2);
    // Both orders, and the first one's second payment.
    assert_eq!(today.now.revenue, eur("94.85"));
    assert_eq!(today.now.refunds, eur("29.95"));
    assert_eq!(today.now.average(), Some(eur("47.43")));
    assert_eq!(today.before.orders, 1);
    assert_eq!(today.before.revenue, eur("24.95"));
    assert_eq!(
        Change::of(today.now.revenue.amount(), today.before.revenue.amount()),
        Change::Up("280.2".parse().expect("n"))
    );
    assert_eq!(today.days.len(), 1);
    // Each order started a cart: three today, none yesterday.
    assert_eq!((today.now.carts, today.before.carts), (3, 0));
    assert_eq!(
        today.now.orders_per_100_carts(),
        Some("66.7".parse().expect("n"))
    );
    assert_eq!(today.best_sellers.len(), 1, "{:?}", today.best_sellers);
    assert_eq!(today.best_sellers[0].units, 3);
    assert_eq!(today.best_sellers[0].line_sales, eur("60.00"));
    let product: String = sqlx::query_scalar(
        "SELECT p.name FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = $1",
    )
    .bind(variant)
    .fetch_one(&shop.pool)
    .await
    .expect("the product");
    assert_eq!(
        today.best_sellers[0].name.as_deref(),
        Some(product.as_str())
    );
    let waiting = dashboard_today.waiting;
    assert_eq!(waiting.to_ship, Some(2), "the two paid today wait to ship");
    assert_eq!(waiting.return_requests, Some(1));
    assert_eq!((waiting.mail_retrying, waiting.mail_given_up), (0, 1));
    assert!(dashboard_today.low_stock.is_some());

    let dashboard_week = dashboard::load(&shop.pool, &staff, Period::Week, Currency::EUR)
        .await
        .expect("week");
    let week = dashboard_week.sales.clone().expect("sales");
    assert_eq!(week.now.orders, 3);
    assert_eq!(week.now.revenue, eur("119.80"));
    assert_eq!(week.before.orders, 0);
    assert_eq!(week.days.len(), 7);
    let last_two: Vec<i64> = week.days[5..].iter().map(|d| d.orders).collect();
    assert_eq!(last_two, [1, 2]);
    assert_eq!(
        week.days.last().map(|d| d.day.as_str()),
        Some(dashboard_week.last_day.as_str())
    );

    // Staff without the orders or inventory permissions see neither sales nor stock,
    // nor what they could not act on.
    let support = staff_with(&shop, "support@example.com", &[Permission::Customers]).await;
    let theirs = dashboard::load(&shop.pool, &support, Period::Week, Currency::EUR)
        .await
        .expect("theirs");
    assert_eq!(theirs.sales, None);
    assert_eq!(theirs.low_stock, None);
    assert_eq!(
        (theirs.waiting.to_ship, theirs.waiting.return_requests),
        (None, None)
    );
    assert_eq!(theirs.waiting.mail_given_up, 1);
}

#[tokio::test]
async fn the_page_draws_the_charts_with_a_table_and_shows_money_only_to_order_staff() {
    let app = seeded_app().await;
    co::paid_order(&app.shop(), "dashboard-page-0001", 1).await;
    staff_role_with(&app.pool, "Sales", &[Permission::Orders]).await;
    let cookie = account_signed_in(&app, "sales@example.com", Role::Staff, Some("Sales")).await;
    let page = app.page("/admin?period=30d", &cookie).await;
    for expected in [
        "Revenue per day",
        "Paid orders per day",
        r#"aria-hidden="true""#,
        r#"<table class="sr-only">"#,
        "<caption>Revenue per day</caption>",
        "<td>€24.95</td>",
        "None the 30 days before",
        "Paid, waiting to ship",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
    // Thirty rows in each table: one per day of the period.
    assert_eq!(page.matches(r#"<tr><th scope="row">"#).count(), 60);
    // An unknown period is the default week, not an error.
    let page = app.page("/admin?period=forever", &cookie).await;
    assert!(page.contains("the 7 days before"));
    // Staff with no permissions: no money, no stock, no orders to ship.
    staff_role_with(&app.pool, "Dashboard only", &[]).await;
    let cookie = account_signed_in(
        &app,
        "dash@example.com",
        Role::Staff,
        Some("Dashboard only"),
    )
    .await;
    let page = app.page("/admin", &cookie).await;
    assert!(page.contains("Sales figures are for staff with the orders permission."));
    for absent in [
        "€24.95",
        "Revenue per day",
        "Paid, waiting to ship",
        "Low stock",
    ] {
        assert!(!page.contains(absent), "{absent}");
    }
}
