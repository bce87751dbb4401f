//! The dashboard's figures: kept per day by payments, refunds and new carts as they
//! happen, they agree with a recount from the orders; each period is compared with the
//! one before; what waits for staff is counted for those who may act on it.

use crate::common::checkout::{self as co, staff_with};
use crate::common::{account_signed_in, seeded_app, seeded_db, staff_role_with, Shop};
use mercato::accounts::Role;
use mercato::admin::dashboard::{self, Period};
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
        "SELECT to_char(day, 'YYYY-MM-DD'), orders, revenue, refunds FROM daily_sales
         WHERE orders <> 0 OR revenue <> 0 OR refunds <> 0 ORDER BY day",
    )
    .fetch_all(&shop.pool)
    .await
    .expect("kept");
    let recounted = sqlx::query_as(
        "WITH paid AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day,
                              count(DISTINCT order_id)::int AS orders, sum(amount) AS revenue
                       FROM payments WHERE status = 'succeeded' GROUP BY 1),
              refunded AS (SELECT (settled_at AT TIME ZONE 'UTC')::date AS day,
                                  sum(amount) AS refunds
                           FROM refunds WHERE state = 'succeeded' GROUP BY 1)
         SELECT to_char(coalesce(p.day, r.day), 'YYYY-MM-DD'), coalesce(p.orders, 0),
                coalesce(p.revenue, 0), coalesce(r.refunds, 0)
         FROM paid p FULL JOIN refunded r ON r.day = p.day ORDER BY 1",
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
    // One paid yesterday (its payment recorded then).
    let (earlier, _) = co::unpaid_order(&shop, "dashboard-order-0003", 1).await;
    sqlx::query(
        "INSERT INTO payments (order_id, provider, reference, amount, currency, status, created_at)
         VALUES ($1, 'test', 'dashboard-yesterday', $2, 'EUR', 'succeeded', now() - interval '1 day')",
    )
    .bind(earlier.id)
    .bind(earlier.total.amount())
    .execute(&shop.pool)
    .await
    .expect("paid yesterday");
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
    let (kept, recounted) = kept_and_recounted(&shop).await;
    assert_eq!(kept, recounted);
    assert_eq!(kept.len(), 2, "{kept:?}");

    let today = dashboard::load(&shop.pool, &staff, Period::Today, Currency::EUR)
        .await
        .expect("today");
    assert_eq!(today.now.orders, 2);
    assert_eq!(today.now.revenue, eur("69.90"));
    assert_eq!(today.now.refunds, eur("5.00"));
    assert_eq!(today.now.average(), Some(eur("34.95")));
    assert_eq!(today.before.orders, 1);
    assert_eq!(today.before.revenue, eur("24.95"));
    assert_eq!(
        dashboard::change(today.now.revenue.amount(), today.before.revenue.amount()).as_deref(),
        Some("+180.2 %")
    );
    assert_eq!(today.days.len(), 1);
    // Each order started a cart today.
    assert!(today.now.carts >= 3, "{:?}", today.now);
    assert_eq!(today.top.len(), 1, "{:?}", today.top);
    assert_eq!(today.top[0].units, 3);
    assert_eq!(today.top[0].revenue, eur("60.00"));
    let product: String = sqlx::query_scalar(
        "SELECT p.name FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = $1",
    )
    .bind(variant)
    .fetch_one(&shop.pool)
    .await
    .expect("the product");
    assert_eq!(today.top[0].name.as_deref(), Some(product.as_str()));
    assert_eq!(today.to_ship, Some(2), "the two paid today wait to ship");
    assert!(today.low_stock.is_some());

    let week = dashboard::load(&shop.pool, &staff, Period::Week, Currency::EUR)
        .await
        .expect("week");
    assert_eq!(week.now.orders, 3);
    assert_eq!(week.now.revenue, eur("94.85"));
    assert_eq!(week.before.orders, 0);
    assert_eq!(week.days.len(), 7);
    let last_two: Vec<i64> = week.days[5..].iter().map(|d| d.orders).collect();
    assert_eq!(last_two, [1, 2]);
    assert_eq!(
        week.days.last().map(|d| d.day.as_str()),
        Some(week.last_day.as_str())
    );

    // Staff who may not act on orders or stock see the figures, not those lists.
    let support = staff_with(&shop, "support@example.com", &[Permission::Customers]).await;
    let theirs = dashboard::load(&shop.pool, &support, Period::Week, Currency::EUR)
        .await
        .expect("theirs");
    assert_eq!(theirs.now, week.now);
    assert_eq!((theirs.to_ship, theirs.low_stock), (None, None));
}

#[tokio::test]
async fn the_page_draws_the_charts_with_a_table_and_any_staff_member_may_see_it() {
    let app = seeded_app().await;
    co::paid_order(&app.shop(), "dashboard-page-0001", 1).await;
    staff_role_with(&app.pool, "Dashboard only", &[]).await;
    let cookie = account_signed_in(
        &app,
        "dash@example.com",
        Role::Staff,
        Some("Dashboard only"),
    )
    .await;
    let page = app.page("/admin?period=30d", &cookie).await;
    for expected in [
        "Revenue per day",
        "Orders per day",
        "<svg",
        r#"<table class="sr-only">"#,
        "€24.95",
        "the 30 days before",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
    // Not theirs: what waits to ship, and stock.
    assert!(!page.contains("Paid, waiting to ship"));
    assert!(!page.contains("Low stock"));
    // An unknown period is the default week, not an error.
    let page = app.page("/admin?period=forever", &cookie).await;
    assert!(page.contains("the 7 days before"));
}
