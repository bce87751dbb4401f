//! Coupons on the cart, against the demo coupons: each reason a code does not apply has
//! its own message, the cart re-checks its coupon on every view, and per-customer limits
//! count the account's uses.

use crate::common::{add_to_cart, error_shown, seeded_app, TestApp};
use mercato::cart::{coupons, store, Notice, Quantity};
use mercato::{Currency, Error, Money};

/// A cart holding `quantity` of a variant priced €25.00, and that variant.
async fn cart_of(app: &TestApp, owner: Option<i64>, quantity: u32) -> (i64, i64) {
    let variant: i64 = sqlx::query_scalar(
        "SELECT v.id FROM variants v JOIN inventory i ON i.variant_id = v.id
         JOIN products p ON p.id = v.product_id
         WHERE p.status = 'active' AND i.on_hand >= 5 ORDER BY v.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("variant");
    sqlx::query("UPDATE variants SET price = 25.00, compare_at_price = NULL WHERE id = $1")
        .bind(variant)
        .execute(&app.pool)
        .await
        .expect("price");
    let quantity = Quantity::new(quantity).expect("quantity");
    let (cart, _) = store::add(&app.pool, None, owner, variant, quantity)
        .await
        .expect("add");
    (cart, variant)
}

async fn refused(app: &TestApp, cart: Option<i64>, code: &str) -> String {
    match coupons::apply(&app.pool, cart, code, Currency::EUR).await {
        Err(Error::Invalid(message)) => message,
        other => panic!("{code}: expected a message, got {other:?}"),
    }
}

fn eur(s: &str) -> Money {
    Money::parse(s, Currency::EUR).expect("amount")
}

#[tokio::test]
async fn each_reason_a_code_does_not_apply_has_its_message() {
    let app = seeded_app().await;
    let (cart, _) = cart_of(&app, None, 1).await;
    let cart = Some(cart);
    let cases = [
        ("", "Enter a coupon code."),
        ("nope", "We don't know the code NOPE."),
        (
            "'; DROP TABLE coupons;--",
            "We don't know the code '; DROP TABLE coupons;--.",
        ),
        ("SPRING", "The code SPRING has expired."),
        ("nextmonth", "The code NEXTMONTH can be used from "),
        (
            "GONE",
            "The code GONE has been used as many times as it can be.",
        ),
        (
            "save5",
            "The code SAVE5 needs a subtotal of at least €40.00. Add €15.00 more to use it.",
        ),
    ];
    for (code, message) in cases {
        let got = refused(&app, cart, code).await;
        assert!(got.starts_with(message), "{code}: {got}");
    }
    let empty = refused(&app, None, "WELCOME10").await;
    assert!(empty.starts_with("Your cart is empty."), "{empty}");
    let view = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("view");
    assert_eq!(view.coupon, None, "nothing was applied");

    let applied = coupons::apply(&app.pool, cart, " welcome10 ", Currency::EUR)
        .await
        .expect("applies");
    assert_eq!(
        (applied.code.as_str(), applied.discount),
        ("WELCOME10", eur("2.50"))
    );
    let view = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("view");
    assert_eq!(view.discount(), eur("2.50"));
    assert_eq!(view.total(), eur("22.50"));
}

#[tokio::test]
async fn the_cart_rechecks_its_coupon_on_every_view() {
    let app = seeded_app().await;
    let (cart_id, _) = cart_of(&app, None, 2).await;
    let cart = Some(cart_id);
    coupons::apply(&app.pool, cart, "SAVE5", Currency::EUR)
        .await
        .expect("€50 is enough");
    let line: i64 = sqlx::query_scalar("SELECT id FROM cart_lines WHERE cart_id = $1")
        .bind(cart_id)
        .fetch_one(&app.pool)
        .await
        .expect("line");
    let view = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("view");
    assert_eq!(view.total(), eur("45.00"));

    // Below the minimum, the coupon waits on the cart and says what it needs.
    store::set_quantity(&app.pool, cart_id, line, Quantity::new(1).expect("1"))
        .await
        .expect("lower");
    let view = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("view");
    assert_eq!(view.coupon, None);
    let (code, message) = view.coupon_waiting.clone().expect("waiting");
    assert_eq!(code, "SAVE5");
    assert!(message.contains("Add €15.00 more"), "{message}");
    assert_eq!(view.total(), eur("25.00"));
    store::set_quantity(&app.pool, cart_id, line, Quantity::new(2).expect("2"))
        .await
        .expect("raise");
    let view = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("view");
    assert_eq!(view.discount(), eur("5.00"));

    // Ended since: taken off, said once.
    sqlx::query("UPDATE coupons SET ends_at = now() - interval '1 second' WHERE code = 'SAVE5'")
        .execute(&app.pool)
        .await
        .expect("expire");
    let view = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("view");
    assert_eq!(view.coupon, None);
    assert!(matches!(
        view.notices.as_slice(),
        [Notice::CouponRemoved { reason }] if reason == "The code SAVE5 has expired."
    ));
    let view = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("view");
    assert!(view.notices.is_empty() && view.coupon.is_none() && view.coupon_waiting.is_none());
}

#[tokio::test]
async fn per_customer_limits_count_the_accounts_uses() {
    let app = seeded_app().await;
    let user = mercato::accounts::store::register(
        &app.pool,
        "ada@example.com",
        "correct-horse-battery",
        "correct-horse-battery",
    )
    .await
    .expect("account");
    let (own, _) = cart_of(&app, Some(user.id), 1).await;
    // Used once before, under the same email in other capitals (a guest order).
    sqlx::query(
        "INSERT INTO coupon_redemptions (coupon_id, email)
         SELECT id, 'ADA@example.com' FROM coupons WHERE code = 'WELCOME10'",
    )
    .execute(&app.pool)
    .await
    .expect("redemption");
    let message = refused(&app, Some(own), "WELCOME10").await;
    assert_eq!(
        message,
        "You have already used the code WELCOME10 as many times as it allows."
    );
    // A guest is only known by email at checkout, which checks again.
    let (guest, _) = cart_of(&app, None, 1).await;
    coupons::apply(&app.pool, Some(guest), "WELCOME10", Currency::EUR)
        .await
        .expect("a guest may try");
}

#[tokio::test]
async fn coupons_work_through_plain_form_posts() {
    let app = seeded_app().await;
    let (_, variant) = cart_of(&app, None, 1).await;
    let cookie = add_to_cart(&app, variant, 2, None).await.expect("session");

    let res = app
        .post_form("/api/cart/coupon", "code=bogus", Some(&cookie), "/cart")
        .await;
    let page = error_shown(&app, res, &cookie).await;
    assert!(page.contains("know the code BOGUS"), "{page}");

    // A discount in the post is ignored: only the code is read.
    let res = app
        .post_form(
            "/api/cart/coupon",
            "code=welcome10&discount=50.00&total=0",
            Some(&cookie),
            "/cart",
        )
        .await;
    assert_eq!(res.status(), 302);
    let page = app.page("/cart", &cookie).await;
    assert!(
        page.contains("Coupon WELCOME10 applied: 10% off."),
        "{page}"
    );
    assert!(page.contains("−€5.00"), "{page}");
    assert!(page.contains("€45.00"), "{page}");

    let res = app
        .post_form("/api/cart/coupon/remove", "", Some(&cookie), "/cart")
        .await;
    assert_eq!(res.status(), 302);
    let page = app.page("/cart", &cookie).await;
    assert!(page.contains("Coupon removed."));
    assert!(!page.contains("data-testid=\"discount\""));
}
