//! The cart against the demo catalog: adding within stock, re-checking on every view,
//! lines that belong to someone else, and the plain form posts that drive it.

use crate::common::{
    answered_shown, error_shown, seeded_app, session_cookie, variant_in_stock, TestApp,
};
use app::error::{AppError, Shown};
use mercato::cart::store;
use mercato::cart::{CartError, Notice, Quantity, QuantityError, MAX_LINES};
use mercato::error::Rule;
use mercato::{Currency, Error};

fn qty(n: u32) -> Quantity {
    Quantity::new(n).expect("a valid quantity")
}

async fn exec(app: &TestApp, sql: &str, id: i64) {
    sqlx::query(sql)
        .bind(id)
        .execute(&app.pool)
        .await
        .expect("statement");
}

#[tokio::test]
async fn adding_sums_quantities_up_to_the_stock() {
    let app = seeded_app().await;
    let (variant, on_hand) = variant_in_stock(&app, 3).await;
    let (cart, first) = store::add(&app.pool, None, None, variant, qty(2))
        .await
        .expect("add");
    assert_eq!(
        (first.in_cart, first.capped, first.item_count),
        (2, false, 2)
    );
    let (same, second) = store::add(&app.pool, Some(cart), None, variant, qty(99))
        .await
        .expect("add more");
    assert_eq!(same, cart, "the same cart");
    assert_eq!(second.in_cart, on_hand.min(99) as u32);
    assert!(second.capped);
    assert!(second.to_string().contains("as many as we can sell you"));

    let view = store::view(&app.pool, Some(cart), Currency::EUR)
        .await
        .expect("view");
    assert_eq!(view.lines.len(), 1);
    assert_eq!(view.lines[0].quantity, second.in_cart);
    assert!(view.notices.is_empty());
    let expected = view.lines[0]
        .unit_price
        .times(second.in_cart)
        .expect("total");
    assert_eq!(view.subtotal(), expected);

    // A cart id that no longer exists starts a new cart rather than failing.
    let (fresh, _) = store::add(&app.pool, Some(i64::MAX), None, variant, qty(1))
        .await
        .expect("add to a new cart");
    assert_ne!(fresh, cart);
}

/// `n` different variants that can be added (active, in stock).
async fn sellable_variants(app: &TestApp, n: u32) -> Vec<i64> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT v.id FROM variants v
         JOIN products p ON p.id = v.product_id AND p.status = 'active'
         JOIN inventory i ON i.variant_id = v.id AND i.on_hand > 0
         ORDER BY v.id LIMIT $1",
    )
    .bind(i64::from(n))
    .fetch_all(&app.pool)
    .await
    .expect("variants");
    assert_eq!(ids.len(), n as usize, "the demo catalog has enough");
    ids
}

#[tokio::test]
async fn a_cart_holds_a_bounded_number_of_lines_even_after_a_merge() {
    let app = seeded_app().await;
    let variants = sellable_variants(&app, MAX_LINES + 10).await;
    let (full, rest) = variants.split_at(MAX_LINES as usize);
    let mut cart = None;
    for &v in full {
        cart = Some(
            store::add(&app.pool, cart, None, v, qty(1))
                .await
                .expect("add")
                .0,
        );
    }
    let one_more = store::add(&app.pool, cart, None, rest[0], qty(1)).await;
    assert!(
        matches!(
            one_more,
            Err(Error::Rule(Rule::Cart(CartError::TooManyLines)))
        ),
        "{one_more:?}"
    );
    // More of a line it holds is still fine.
    let (_, added) = store::add(&app.pool, cart, None, full[0], qty(1))
        .await
        .expect("more of the same");
    assert_eq!(added.in_cart, 2);

    // A guest cart that joins a full account cart brings what fits: more of the
    // variants both hold, none of the new ones.
    let user = mercato::accounts::store::upsert_with_role(
        &app.pool,
        "full@example.com",
        crate::common::PASSWORD,
        mercato::accounts::Role::Customer,
    )
    .await
    .expect("account")
    .id;
    exec(&app, "UPDATE carts SET user_id = $1", user).await;
    let (guest, _) = store::add(&app.pool, None, None, full[1], qty(1))
        .await
        .expect("guest add");
    for &v in &rest[1..4] {
        store::add(&app.pool, Some(guest), None, v, qty(1))
            .await
            .expect("guest add");
    }
    let merged = store::merge_into_account(&app.pool, Some(guest), user)
        .await
        .expect("merge")
        .expect("the account's cart");
    let view = store::view(&app.pool, Some(merged), Currency::EUR)
        .await
        .expect("view");
    assert_eq!(view.lines.len(), MAX_LINES as usize);
    let line = |v: i64| {
        view.lines
            .iter()
            .find(|l| l.variant_id == v)
            .map(|l| l.quantity)
    };
    assert_eq!(line(full[1]), Some(2), "the shared variant adds up");
    assert_eq!(line(rest[1]), None);

    // With room for three, the three oldest new lines join.
    for &v in &full[..3] {
        exec(&app, "DELETE FROM cart_lines WHERE variant_id = $1", v).await;
    }
    let (guest, _) = store::add(&app.pool, None, None, rest[1], qty(1))
        .await
        .expect("guest add");
    for &v in &rest[2..5] {
        store::add(&app.pool, Some(guest), None, v, qty(1))
            .await
            .expect("guest add");
    }
    store::merge_into_account(&app.pool, Some(guest), user)
        .await
        .expect("merge");
    let view = store::view(&app.pool, Some(merged), Currency::EUR)
        .await
        .expect("view");
    assert_eq!(view.lines.len(), MAX_LINES as usize);
    let held: Vec<i64> = view.lines.iter().map(|l| l.variant_id).collect();
    assert!(held.contains(&rest[1]) && held.contains(&rest[2]) && held.contains(&rest[3]));
    assert!(!held.contains(&rest[4]), "no room left for the newest");
}

#[tokio::test]
async fn sold_out_and_unsold_variants_cannot_be_added() {
    let app = seeded_app().await;
    let (variant, _) = variant_in_stock(&app, 1).await;
    exec(
        &app,
        "UPDATE inventory SET on_hand = 0 WHERE variant_id = $1",
        variant,
    )
    .await;
    let sold_out = store::add(&app.pool, None, None, variant, qty(1)).await;
    assert!(
        matches!(
            &sold_out,
            Err(Error::Rule(Rule::Cart(CartError::SoldOut { .. })))
        ),
        "{sold_out:?}"
    );

    let (other, _) = variant_in_stock(&app, 1).await;
    exec(
        &app,
        "UPDATE products SET status = 'archived' WHERE id = (SELECT product_id FROM variants WHERE id = $1)",
        other,
    )
    .await;
    let archived = store::add(&app.pool, None, None, other, qty(1)).await;
    assert!(matches!(
        &archived,
        Err(Error::Rule(Rule::Cart(CartError::NoLongerSold)))
    ));
    let missing = store::add(&app.pool, None, None, -1, qty(1)).await;
    assert!(matches!(
        missing,
        Err(Error::Rule(Rule::Cart(CartError::NoLongerSold)))
    ));
}

#[tokio::test]
async fn every_view_rechecks_prices_stock_and_availability_once() {
    let app = seeded_app().await;
    let variants: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT ON (p.id) v.id FROM variants v
         JOIN inventory i ON i.variant_id = v.id JOIN products p ON p.id = v.product_id
         WHERE p.status = 'active' AND i.on_hand >= 5
         ORDER BY p.id, v.id LIMIT 5",
    )
    .fetch_all(&app.pool)
    .await
    .expect("five variants of five products");
    let mut cart = None;
    for v in &variants {
        cart = Some(
            store::add(&app.pool, cart, None, *v, qty(4))
                .await
                .expect("add")
                .0,
        );
    }
    let [repriced, lowered, sold_out, archived, deleted] = variants[..] else {
        panic!("five variants")
    };
    exec(
        &app,
        "UPDATE variants SET price = price + 5 WHERE id = $1",
        repriced,
    )
    .await;
    exec(
        &app,
        "UPDATE inventory SET on_hand = 2 WHERE variant_id = $1",
        lowered,
    )
    .await;
    exec(
        &app,
        "UPDATE inventory SET on_hand = 0 WHERE variant_id = $1",
        sold_out,
    )
    .await;
    exec(
        &app,
        "UPDATE products SET status = 'archived' WHERE id = (SELECT product_id FROM variants WHERE id = $1)",
        archived,
    )
    .await;
    exec(&app, "DELETE FROM variants WHERE id = $1", deleted).await;

    let view = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("view");
    let kinds: Vec<&str> = view
        .notices
        .iter()
        .map(|n| match n {
            Notice::PriceChanged { .. } => "price",
            Notice::QuantityLowered { to: 2, .. } => "lowered to 2",
            Notice::QuantityLowered { .. } => "lowered",
            Notice::SoldOut { .. } => "sold out",
            Notice::NoLongerSold { .. } => "no longer sold",
            Notice::CouponRemoved { .. } => "coupon removed",
        })
        .collect();
    for kind in ["price", "lowered to 2", "sold out", "no longer sold"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| **k == "no longer sold").count(), 2);
    let ids: Vec<i64> = view.lines.iter().map(|l| l.variant_id).collect();
    assert_eq!(ids, vec![repriced, lowered]);
    assert_eq!(view.lines[1].quantity, 2);

    // Each change is said once: the next view is quiet and the same.
    let again = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("again");
    assert!(again.notices.is_empty(), "{:?}", again.notices);
    assert_eq!(again.lines, view.lines);
}

#[tokio::test]
async fn a_line_of_another_cart_is_not_found() {
    let app = seeded_app().await;
    let (variant, _) = variant_in_stock(&app, 2).await;
    let (mine, _) = store::add(&app.pool, None, None, variant, qty(1))
        .await
        .expect("mine");
    let (theirs, _) = store::add(&app.pool, None, None, variant, qty(1))
        .await
        .expect("theirs");
    let their_line: i64 = sqlx::query_scalar("SELECT id FROM cart_lines WHERE cart_id = $1")
        .bind(theirs)
        .fetch_one(&app.pool)
        .await
        .expect("their line");
    assert!(matches!(
        store::set_quantity(&app.pool, mine, their_line, qty(2)).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        store::remove(&app.pool, mine, their_line).await,
        Err(Error::NotFound)
    ));
    let untouched = store::view(&app.pool, Some(theirs), Currency::EUR)
        .await
        .expect("view");
    assert_eq!(untouched.lines[0].quantity, 1);
    // Setting more than the stock sets the stock.
    let on_hand: i32 = sqlx::query_scalar("SELECT on_hand FROM inventory WHERE variant_id = $1")
        .bind(variant)
        .fetch_one(&app.pool)
        .await
        .expect("stock");
    assert_eq!(
        store::set_quantity(&app.pool, theirs, their_line, qty(99))
            .await
            .expect("set"),
        (on_hand.min(99)) as u32
    );
}

#[tokio::test]
async fn the_cart_works_through_plain_form_posts() {
    let app = seeded_app().await;
    let (variant, _) = variant_in_stock(&app, 3).await;
    let (price, slug): (String, String) = sqlx::query_as(
        "SELECT v.price::text, p.slug FROM variants v JOIN products p ON p.id = v.product_id
         WHERE v.id = $1",
    )
    .bind(variant)
    .fetch_one(&app.pool)
    .await
    .expect("price");
    let product_page = format!("/p/{slug}?variant={variant}");

    // A tampered price and total in the post change nothing.
    let res = app
        .post_form(
            "/api/cart/add",
            &format!("variant_id={variant}&quantity=2&price=0.01&total=0"),
            None,
            &product_page,
        )
        .await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/cart");
    let cookie = session_cookie(&res).expect("a session");

    let html = app.page("/cart", &cookie).await;
    assert!(html.contains(r#"data-testid="cart-line""#));
    let two =
        rust_decimal::Decimal::from(2) * price.parse::<rust_decimal::Decimal>().expect("decimal");
    let total = mercato::Money::new(two, Currency::EUR).format();
    assert!(html.contains(&total), "{total} in the page");
    assert!(html.contains("Cart, 2 items"));

    // Bad quantities are refused with a message, not a 500.
    for (quantity, message) in [
        ("0", "at least 1"),
        ("-3", "at least 1"),
        ("abc", "whole number"),
        ("100000", "at most 99"),
    ] {
        let res = app
            .post_form(
                "/api/cart/add",
                &format!("variant_id={variant}&quantity={quantity}"),
                Some(&cookie),
                &product_page,
            )
            .await;
        assert!(
            res.status().is_redirection(),
            "{quantity}: {}",
            res.status()
        );
        // The product page it returns to shows the message (kept in the session, never
        // in the URL).
        let html = error_shown(&app, res, &cookie).await;
        assert!(html.contains(message), "{quantity}: {message}");
    }

    // Someone else's line id is "not found", and their cart is untouched.
    let line: i64 = sqlx::query_scalar("SELECT id FROM cart_lines LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .expect("line");
    let res = app
        .post_form(
            "/api/cart/remove",
            &format!("line_id={line}"),
            None,
            "/cart",
        )
        .await;
    assert!(error_shown(&app, res, "")
        .await
        .contains("find what you were looking for"));
    let lines: i64 = sqlx::query_scalar("SELECT count(*) FROM cart_lines")
        .fetch_one(&app.pool)
        .await
        .expect("lines");
    assert_eq!(lines, 1);

    // Removing your own line works.
    let res = app
        .post_form(
            "/api/cart/remove",
            &format!("line_id={line}"),
            Some(&cookie),
            "/cart",
        )
        .await;
    assert_eq!(res.status(), 302);
    assert!(!res.headers()["location"]
        .to_str()
        .expect("location")
        .contains("__err="));
    assert!(app
        .page("/cart", &cookie)
        .await
        .contains("Your cart is empty"));
}

#[tokio::test]
async fn an_unknown_or_expired_session_shows_an_empty_cart() {
    let app = seeded_app().await;
    let res = app
        .client
        .get(app.url("/cart"))
        .header("cookie", "mercato_session=expired-or-made-up")
        .send()
        .await
        .expect("cart page");
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .expect("body")
        .contains("Your cart is empty"));
}

#[tokio::test]
async fn carts_untouched_for_longer_than_a_session_are_deleted() {
    let app = seeded_app().await;
    let (variant, _) = variant_in_stock(&app, 1).await;
    let (old, _) = store::add(&app.pool, None, None, variant, qty(1))
        .await
        .expect("old");
    let (recent, _) = store::add(&app.pool, None, None, variant, qty(1))
        .await
        .expect("recent");
    exec(
        &app,
        "UPDATE carts SET updated_at = now() - interval '31 days' WHERE id = $1",
        old,
    )
    .await;
    assert_eq!(
        store::delete_abandoned(&app.pool, 30)
            .await
            .expect("delete"),
        1
    );
    let left: Vec<i64> = sqlx::query_scalar("SELECT id FROM carts")
        .fetch_all(&app.pool)
        .await
        .expect("carts");
    assert_eq!(left, vec![recent]);
}

#[tokio::test]
async fn server_function_errors_carry_their_own_status() {
    let app = seeded_app().await;
    let call = |path: &'static str, body: &'static str| {
        app.client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("origin", "https://shop.example")
            .body(body)
            .send()
    };
    let refused = call("/api/cart/add", "variant_id=1&quantity=abc")
        .await
        .expect("post");
    // (Adding is called by the product page's island: it answers with the words.)
    assert_eq!(
        answered_shown(refused, 422).await,
        Shown::from(AppError::Rule(Rule::Quantity(QuantityError::NotANumber)))
    );
    let missing = call("/api/cart/remove", "line_id=1").await.expect("post");
    assert_eq!(missing.status(), 404);
    let malformed = call("/api/cart/add", "variant_id=not-a-number&quantity=1")
        .await
        .expect("post");
    assert_eq!(malformed.status(), 400);
}
