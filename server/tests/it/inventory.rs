//! Staff adjust stock (`mercato::inventory::store`, `/admin/inventory`): each adjustment
//! is a movement and an audit entry in the same transaction as the new level; stock
//! never goes below zero; two at once are both counted; a restock shows on the shop at
//! once, however long its pages are kept.

use crate::common::checkout::variant_with_stock;
use crate::common::{
    account_signed_in, answered_error, error_shown, member, seeded_app, seeded_app_with_page_cache,
    seeded_db, session_cookie,
};
use mercato::accounts::Role;
use mercato::inventory::store;
use mercato::inventory::{Adjustment, LevelQuery, MovementReason, Show};
use sqlx::PgPool;
use std::time::Duration;

async fn on_hand(pool: &PgPool, variant: i64) -> i32 {
    sqlx::query_scalar("SELECT on_hand FROM inventory WHERE variant_id = $1")
        .bind(variant)
        .fetch_one(pool)
        .await
        .expect("stock")
}

async fn count(pool: &PgPool, sql: &str, variant: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(variant)
        .fetch_one(pool)
        .await
        .expect("count")
}

async fn movements(pool: &PgPool, variant: i64) -> i64 {
    count(
        pool,
        "SELECT count(*) FROM inventory_movements WHERE variant_id = $1",
        variant,
    )
    .await
}

async fn audit_entries(pool: &PgPool, variant: i64) -> i64 {
    count(
        pool,
        "SELECT count(*) FROM audit_log WHERE subject_kind = 'variant' AND subject_id = $1::text",
        variant,
    )
    .await
}

/// Takes every unit of `product`'s variants out, each as a correction (so the stock
/// audit still adds up).
async fn sell_out(pool: &PgPool, product: i64) {
    sqlx::query(
        "WITH old AS (SELECT variant_id, on_hand FROM inventory
                      WHERE on_hand > 0 AND variant_id IN (SELECT id FROM variants WHERE product_id = $1)),
              moved AS (INSERT INTO inventory_movements (variant_id, delta, reason)
                        SELECT variant_id, -on_hand, 'correction' FROM old)
         UPDATE inventory SET on_hand = 0 WHERE variant_id IN (SELECT variant_id FROM old)",
    )
    .bind(product)
    .execute(pool)
    .await
    .expect("sold out");
}

#[tokio::test]
async fn an_adjustment_is_a_movement_and_an_audit_entry_with_the_new_level() {
    let app = seeded_app().await;
    let variant = variant_with_stock(&app.shop(), 4).await;
    let cookie =
        account_signed_in(&app, "stock@example.com", Role::Staff, Some("Fulfilment")).await;

    let res = app
        .call(
            "/api/admin/inventory/adjust",
            &format!("variant={variant}&quantity=%2B12&reason=restock&note=Delivery+42"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.expect("body"), "16");
    assert_eq!(on_hand(&app.pool, variant).await, 16);

    let (delta, reason, note, by): (i32, String, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT m.delta, m.reason, m.note, u.email FROM inventory_movements m
         LEFT JOIN users u ON u.id = m.staff_id
         WHERE m.variant_id = $1 ORDER BY m.id DESC LIMIT 1",
    )
    .bind(variant)
    .fetch_one(&app.pool)
    .await
    .expect("the movement");
    assert_eq!(
        (delta, reason.as_str(), note.as_deref(), by.as_deref()),
        (
            12,
            "restock",
            Some("Delivery 42"),
            Some("stock@example.com")
        )
    );
    let (staff, action, before, after): (String, String, serde_json::Value, serde_json::Value) =
        sqlx::query_as(
            "SELECT staff_email, action, before, after FROM audit_log
             WHERE subject_kind = 'variant' AND subject_id = $1::text",
        )
        .bind(variant)
        .fetch_one(&app.pool)
        .await
        .expect("the audit entry");
    assert_eq!(
        (staff.as_str(), action.as_str()),
        ("stock@example.com", "stock.adjust")
    );
    assert_eq!(before, serde_json::json!({ "on_hand": 4 }));
    assert_eq!(after["on_hand"], 16);
    assert_eq!(after["reason"], "restock");

    // Damage takes units out, whichever sign was typed.
    let res = app
        .call(
            "/api/admin/inventory/adjust",
            &format!("variant={variant}&quantity=3&reason=damage&note="),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(on_hand(&app.pool, variant).await, 13);

    // The variant's page shows the level and both movements with who made them.
    let page = app
        .page(&format!("/admin/inventory/{variant}"), &cookie)
        .await;
    let at = page.find(r#"data-testid="on-hand""#).expect("the level");
    assert!(page[at..at + 80].contains(">13<"), "{}", &page[at..at + 80]);
    assert_eq!(
        page.matches(r#"data-testid="movement""#).count() as i64,
        movements(&app.pool, variant).await
    );
    assert!(page.contains("Delivery 42") && page.contains("Damaged"));
    assert!(page.contains(r#"<meta name="robots" content="noindex""#));

    let audit = mercato::admin::stock_audit(&app.pool).await.expect("audit");
    assert!(audit.balances(), "{audit:?}");
}

#[tokio::test]
async fn stock_never_goes_below_zero_and_the_form_says_why() {
    let app = seeded_app().await;
    let variant = variant_with_stock(&app.shop(), 2).await;
    let cookie =
        account_signed_in(&app, "stock@example.com", Role::Staff, Some("Fulfilment")).await;
    let (moved, audited) = (
        movements(&app.pool, variant).await,
        audit_entries(&app.pool, variant).await,
    );

    for (body, field, words) in [
        (
            "quantity=-3&reason=correction",
            "quantity",
            "less than none",
        ),
        ("quantity=5&reason=damage", "quantity", "less than none"),
        (
            "quantity=-1&reason=restock",
            "quantity",
            "Restock adds units",
        ),
        ("quantity=abc&reason=correction", "quantity", "whole number"),
        ("quantity=1.5&reason=correction", "quantity", "whole number"),
        ("quantity=0&reason=correction", "quantity", "other than 0"),
        ("quantity=1&reason=order", "reason", "Choose why"),
    ] {
        let res = app
            .call(
                "/api/admin/inventory/adjust",
                &format!("variant={variant}&{body}&note="),
                Some(&cookie),
            )
            .await;
        let error = answered_error(res, 422).await;
        let message = error
            .field(field)
            .unwrap_or_else(|| panic!("{body}: {error:?}"));
        assert!(message.contains(words), "{body}: {message}");
    }
    assert_eq!(on_hand(&app.pool, variant).await, 2);
    assert_eq!(movements(&app.pool, variant).await, moved, "nothing moved");
    assert_eq!(audit_entries(&app.pool, variant).await, audited);

    // Without JavaScript: back on the variant's page, the message beside the field and
    // what was typed still in it.
    let page = format!("/admin/inventory/{variant}");
    let res = app
        .post_form(
            "/api/admin/inventory/adjust",
            &format!("variant={variant}&quantity=-7&reason=correction&note=Stock+take"),
            Some(&cookie),
            &page,
        )
        .await;
    let shown = error_shown(&app, res, &cookie).await;
    assert!(shown.contains("less than none"), "{shown}");
    assert!(shown.contains(r#"value="-7""#) && shown.contains(r#"value="Stock take""#));

    // An unknown variant is not found.
    let res = app
        .call(
            "/api/admin/inventory/adjust",
            "variant=999999999&quantity=1&reason=restock&note=",
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn adjustments_at_the_same_moment_are_all_counted() {
    let shop = seeded_db().await;
    let pool = shop.pool.clone();
    let variant = variant_with_stock(&shop, 10).await;
    let staff = member(&pool, "stock@example.com", Role::Admin, None).await;
    let results = mercato::cache::at_once(10, |i| {
        let (pool, staff) = (pool.clone(), staff.clone());
        async move {
            // Five restocks of 3 and five corrections taking 2 out.
            let adjustment = if i % 2 == 0 {
                Adjustment::parse(variant, "3", "restock", "")
            } else {
                Adjustment::parse(variant, "-2", "correction", "")
            }
            .expect("valid");
            store::adjust(&pool, &staff, &adjustment).await
        }
    })
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(on_hand(&pool, variant).await, 10 + 5 * 3 - 5 * 2);
    // Taking out more than is left, ten times at once: those that fit go through, the
    // rest are refused, and the stock ends at zero or above, explained by its movements.
    let results = mercato::cache::at_once(10, |_| {
        let (pool, staff) = (pool.clone(), staff.clone());
        async move {
            let adjustment = Adjustment::parse(variant, "4", "damage", "").expect("valid");
            store::adjust(&pool, &staff, &adjustment).await
        }
    })
    .await;
    let through = results.iter().filter(|r| r.is_ok()).count() as i32;
    assert_eq!(through, 15 / 4);
    assert_eq!(on_hand(&pool, variant).await, 15 - through * 4);
    let audit = mercato::admin::stock_audit(&pool).await.expect("audit");
    assert!(audit.balances(), "{audit:?}");
}

#[tokio::test]
async fn a_restocked_sold_out_variant_is_for_sale_at_once_despite_kept_pages() {
    // Pages are kept a minute: only the restock's report retires them.
    let app = seeded_app_with_page_cache(Duration::from_secs(60)).await;
    let variant = variant_with_stock(&app.shop(), 0).await;
    let (slug, product): (String, i64) = sqlx::query_as(
        "SELECT p.slug, p.id FROM products p JOIN variants v ON v.product_id = p.id WHERE v.id = $1",
    )
    .bind(variant)
    .fetch_one(&app.pool)
    .await
    .expect("product");
    // Every variant of the product sold out.
    sell_out(&app.pool, product).await;
    let page = format!("/p/{slug}?variant={variant}");
    let html = app.get(&page).await.text().await.expect("page");
    assert!(html.contains("Sold out"), "the page is kept while sold out");
    let html = app.get(&page).await.text().await.expect("page");
    assert!(html.contains("Sold out"));

    let cookie =
        account_signed_in(&app, "stock@example.com", Role::Staff, Some("Fulfilment")).await;
    let res = app
        .call(
            "/api/admin/inventory/adjust",
            &format!("variant={variant}&quantity=6&reason=restock&note="),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);

    let res = app.get(&page).await;
    let html = res.text().await.expect("page");
    assert!(
        html.contains("Add to cart") && !html.contains(">Sold out<"),
        "the restock shows at once"
    );
    let in_stock: bool = sqlx::query_scalar("SELECT in_stock FROM products WHERE id = $1")
        .bind(product)
        .fetch_one(&app.pool)
        .await
        .expect("listed");
    assert!(in_stock, "listed as in stock");
    let res = app
        .post_form(
            "/api/cart/add",
            &format!("variant_id={variant}&quantity=2"),
            None,
            &page,
        )
        .await;
    assert_eq!(res.headers()["location"], "/cart");
    let shopper = session_cookie(&res).expect("a cart");
    let cart = app.page("/cart", &shopper).await;
    assert!(cart.contains(r#"data-testid="cart-line""#), "in the cart");
}

#[tokio::test]
async fn the_inventory_page_lists_what_is_low_by_each_variants_threshold() {
    let app = seeded_app().await;
    let shop = app.shop();
    let sold_out = variant_with_stock(&shop, 0).await;
    let staff = member(
        &app.pool,
        "stock@example.com",
        Role::Staff,
        Some("Fulfilment"),
    )
    .await;
    let cookie =
        account_signed_in(&app, "stock@example.com", Role::Staff, Some("Fulfilment")).await;
    let (low, sku): (i64, String) = sqlx::query_as(
        "SELECT v.id, v.sku FROM variants v JOIN products p ON p.id = v.product_id
         JOIN inventory i ON i.variant_id = v.id
         WHERE p.status = 'active' AND v.id <> $1 AND i.on_hand > 0 ORDER BY v.id DESC LIMIT 1",
    )
    .bind(sold_out)
    .fetch_one(&app.pool)
    .await
    .expect("another variant");
    let level = on_hand(&app.pool, low).await;

    let listed = |show: Show, q: &str| {
        let pool = app.pool.clone();
        let query = LevelQuery {
            show,
            q: q.to_owned(),
            after: None,
        };
        async move {
            store::levels(&pool, &query)
                .await
                .expect("levels")
                .levels
                .into_iter()
                .map(|l| l.variant_id)
                .collect::<Vec<_>>()
        }
    };
    assert!(listed(Show::SoldOut, "").await.contains(&sold_out));
    assert!(listed(Show::NeedsStock, "").await.contains(&sold_out));
    // With the shop's threshold at 0, nothing in stock is low.
    store::set_shop_threshold(&app.pool, &staff, 0)
        .await
        .expect("shop");
    assert_eq!(listed(Show::NeedsStock, &sku).await, Vec::<i64>::new());
    // Its own threshold at its level: low now, whatever the shop's.
    store::set_threshold(&app.pool, &staff, low, Some(level))
        .await
        .expect("threshold");
    assert_eq!(listed(Show::NeedsStock, &sku).await, vec![low]);
    assert_eq!(
        listed(Show::NeedsStock, &sku.to_lowercase()).await,
        vec![low],
        "any case"
    );
    assert_eq!(listed(Show::SoldOut, &sku).await, Vec::<i64>::new());
    // The product list's figures follow (after the worker's refresh).
    let product: i64 = sqlx::query_scalar("SELECT product_id FROM variants WHERE id = $1")
        .bind(low)
        .fetch_one(&app.pool)
        .await
        .expect("product");
    mercato::catalog::staff::refresh_queued_stock(&app.pool)
        .await
        .expect("refresh");
    let product_low: bool =
        sqlx::query_scalar("SELECT low FROM product_stock WHERE product_id = $1")
            .bind(product)
            .fetch_one(&app.pool)
            .await
            .expect("figures");
    assert!(product_low, "its product is low in the product list");
    store::set_threshold(&app.pool, &staff, low, None)
        .await
        .expect("cleared");
    assert_eq!(listed(Show::NeedsStock, &sku).await, Vec::<i64>::new());
    assert!(listed(Show::All, &sku).await.contains(&low));
    // A wildcard searches for itself.
    assert_eq!(listed(Show::All, "%").await, Vec::<i64>::new());
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('stock.threshold', 'setting')",
    )
    .fetch_one(&app.pool)
    .await
    .expect("entries");
    assert_eq!(audited, 3);

    // Through the page: a threshold that is not a number is refused beside its field.
    let res = app
        .call(
            "/api/admin/inventory/threshold",
            &format!("variant={low}&threshold=-2"),
            Some(&cookie),
        )
        .await;
    let error = answered_error(res, 422).await;
    assert!(error.field("threshold").is_some(), "{error:?}");
    let html = app.page("/admin/inventory?show=all&q=", &cookie).await;
    assert!(html.contains(r#"data-testid="stock-row""#));
    let html = app
        .page(&format!("/admin/inventory?q={sku}&show=all"), &cookie)
        .await;
    assert_eq!(
        html.matches(r#"data-testid="stock-row""#).count(),
        1,
        "{html}"
    );
    let html = app.page("/admin/inventory?q=NO-SUCH-SKU", &cookie).await;
    assert!(html.contains("No variant matches this search."));
}

#[tokio::test]
async fn only_staff_with_the_inventory_permission_adjust_stock() {
    let shop = seeded_db().await;
    let variant = variant_with_stock(&shop, 3).await;
    let support = member(&shop.pool, "help@example.com", Role::Staff, Some("Support")).await;
    let adjustment =
        Adjustment::parse(variant, "5", MovementReason::Restock.as_str(), "").expect("valid");
    let refused = store::adjust(&shop.pool, &support, &adjustment).await;
    assert!(
        matches!(refused, Err(mercato::Error::NotPermitted(_))),
        "{refused:?}"
    );
    assert_eq!(on_hand(&shop.pool, variant).await, 3);
}

#[tokio::test]
async fn a_variant_whose_stock_is_not_tracked_sells_without_taking_or_giving_back_stock() {
    use crate::common::checkout::{address, checkout, guest_cart, standard_rate, stock_of};
    use mercato::accounts::Email;
    use mercato::cart::{store as cart, Quantity};
    use mercato::checkout::place::{place, quote};

    let app = seeded_db().await;
    // `variant_with_stock` always picks the same variant: called again, it sets its
    // stock (with a movement, so the stock audit still adds up).
    let untracked = variant_with_stock(&app, 0).await;
    let (product, sku): (i64, String) =
        sqlx::query_as("SELECT product_id, sku FROM variants WHERE id = $1")
            .bind(untracked)
            .fetch_one(&app.pool)
            .await
            .expect("product");
    // Every other variant of its product sold out, and one tracked variant elsewhere.
    sell_out(&app.pool, product).await;
    let tracked: i64 = sqlx::query_scalar(
        "SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id
         JOIN inventory i ON i.variant_id = v.id
         WHERE p.status = 'active' AND p.id <> $1 AND i.on_hand >= 5 ORDER BY v.id LIMIT 1",
    )
    .bind(product)
    .fetch_one(&app.pool)
    .await
    .expect("a tracked variant");
    let tracked_before = stock_of(&app, tracked).await;
    let two = Quantity::new(2).expect("q");
    let in_stock = || {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, bool>("SELECT in_stock FROM products WHERE id = $1")
                .bind(product)
                .fetch_one(&pool)
                .await
                .expect("listed")
        }
    };
    let set_tracking = |variant: i64, on: bool| {
        let pool = app.pool.clone();
        async move {
            sqlx::query("UPDATE variants SET track_stock = $2 WHERE id = $1")
                .bind(variant)
                .bind(on)
                .execute(&pool)
                .await
                .expect("tracking");
        }
    };

    // Tracked, none on hand: sold out, and the cart says so.
    assert!(!in_stock().await);
    assert!(cart::add(&app.pool, None, None, untracked, two)
        .await
        .is_err());

    // Not tracked: in stock at once, also while its own stock changes (to 0 here).
    set_tracking(untracked, false).await;
    assert!(in_stock().await, "listed in stock at once");
    variant_with_stock(&app, 1).await;
    variant_with_stock(&app, 0).await;
    assert!(in_stock().await, "still in stock with none on hand");

    // Staff list it neither as low nor as sold out; among all variants, as not tracked.
    let listed = |show: Show| LevelQuery {
        show,
        q: sku.clone(),
        after: None,
    };
    for show in [Show::NeedsStock, Show::SoldOut] {
        let page = store::levels(&app.pool, &listed(show))
            .await
            .expect("levels");
        assert!(
            page.levels.iter().all(|l| l.variant_id != untracked),
            "{show:?}"
        );
    }
    let all = store::levels(&app.pool, &listed(Show::All))
        .await
        .expect("levels");
    let level = all
        .levels
        .iter()
        .find(|l| l.variant_id == untracked)
        .expect("listed among all");
    assert_eq!((level.tracked, level.state()), (false, None));

    // Units on hand of a variant not tracked are not taken by an order.
    variant_with_stock(&app, 5).await;
    let cart_id = guest_cart(&app, untracked, 3).await;
    cart::add(&app.pool, Some(cart_id), None, tracked, two)
        .await
        .expect("the tracked one too");
    let rate = standard_rate(&app).await;
    let email = Email::parse("ada@example.com").expect("email");
    let a = address();
    let c = checkout("token-untracked-0001", cart_id, &email, &a, rate);
    let reviewed = quote(&app.pool, &c).await.expect("quote").reviewed();
    let placed = place(&app.pool, &c, &reviewed).await.expect("placed");
    assert_eq!(stock_of(&app, untracked).await, 5, "nothing taken");
    assert_eq!(stock_of(&app, tracked).await, tracked_before - 2);
    let taken: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT variant_id, stock_taken FROM order_lines WHERE order_id = $1 ORDER BY variant_id",
    )
    .bind(placed.id)
    .fetch_all(&app.pool)
    .await
    .expect("lines");
    let mut expected = vec![(untracked, false), (tracked, true)];
    expected.sort();
    assert_eq!(taken, expected);
    assert_eq!(
        count(
            &app.pool,
            "SELECT count(*) FROM inventory_movements WHERE variant_id = $1 AND reason = 'order'",
            untracked
        )
        .await,
        0
    );
    let audit = mercato::admin::stock_audit(&app.pool).await.expect("audit");
    assert!(audit.balances() && audit.sold == 2, "{audit:?}");

    // Both switched before the order is cancelled: the cancellation gives back what
    // each line took, whatever the variants say by then.
    set_tracking(untracked, true).await;
    set_tracking(tracked, false).await;
    sqlx::query("UPDATE orders SET placed_at = now() - interval '31 minutes' WHERE id = $1")
        .bind(placed.id)
        .execute(&app.pool)
        .await
        .expect("age");
    assert_eq!(
        mercato::orders::lifecycle::expire_unpaid(&app.pool, 30)
            .await
            .expect("expire"),
        1
    );
    assert_eq!(stock_of(&app, untracked).await, 5, "nothing given back");
    assert_eq!(stock_of(&app, tracked).await, tracked_before, "its 2 back");
    let audit = mercato::admin::stock_audit(&app.pool).await.expect("audit");
    assert!(audit.balances() && audit.sold == 0, "{audit:?}");
}
