//! Coupons on the cart, against the demo coupons: each reason a code does not apply has
//! its own message, the cart re-checks its coupon on every view, and per-customer limits
//! count a confirmed account's uses (and refuse anyone else).

use crate::common::{add_to_cart, error_shown, seeded_app, variant_in_stock, TestApp, PASSWORD};
use mercato::accounts::Role;
use mercato::cart::coupon::CouponError;
use mercato::cart::{coupons, store, Notice, Quantity};
use mercato::error::Rule;
use mercato::limits::client::ClientKey;
use mercato::{Currency, Error, Money};

/// A client of its own for each try, so the per-client limit on tries stays out of the
/// way (it has its own test).
fn client() -> ClientKey {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    ClientKey::of(std::net::Ipv4Addr::from(0x0a00_0000 + n).into())
}

/// An account with a confirmed address: a customer the shop can tell apart.
async fn confirmed_customer(app: &TestApp, email: &str) -> i64 {
    mercato::accounts::store::upsert_with_role(&app.pool, email, PASSWORD, Role::Customer)
        .await
        .expect("account")
        .id
}

/// A cart holding `quantity` of a variant priced €25.00, and that variant.
async fn cart_of(app: &TestApp, owner: Option<i64>, quantity: u32) -> (i64, i64) {
    let (variant, _) = variant_in_stock(app, 5).await;
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

async fn refused(app: &TestApp, cart: Option<i64>, code: &str) -> CouponError {
    match coupons::apply(&app.pool, cart, code, Currency::EUR, &client()).await {
        Err(Error::Rule(Rule::Coupon(refused))) => refused,
        other => panic!("{code}: expected a coupon's refusal, got {other:?}"),
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
        (
            "welcome10",
            "The code WELCOME10 is limited per customer, so it needs an account with a \
             confirmed email.",
        ),
    ];
    for (code, message) in cases {
        let got = refused(&app, cart, code).await.to_string();
        assert!(got.starts_with(message), "{code}: {got}");
    }
    let empty = refused(&app, None, "WELCOME10").await;
    assert_eq!(empty, CouponError::CartEmpty);
    let view = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("view");
    assert_eq!(view.coupon, None, "nothing was applied");

    let ada = confirmed_customer(&app, "ada@example.com").await;
    let (own, _) = cart_of(&app, Some(ada), 1).await;
    let cart = Some(own);
    let applied = coupons::apply(&app.pool, cart, " welcome10 ", Currency::EUR, &client())
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
    coupons::apply(&app.pool, cart, "SAVE5", Currency::EUR, &client())
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
    let waiting = view.coupon_waiting.clone().expect("waiting");
    assert_eq!(waiting.code, "SAVE5");
    assert_eq!(
        waiting.why,
        CouponError::BelowMinimum {
            code: "SAVE5".into(),
            minimum: eur("40.00"),
            short_by: eur("15.00"),
        }
    );
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
        [Notice::CouponRemoved { reason: CouponError::Expired(code) }] if code == "SAVE5"
    ));
    let view = store::view(&app.pool, cart, Currency::EUR)
        .await
        .expect("view");
    assert!(view.notices.is_empty() && view.coupon.is_none() && view.coupon_waiting.is_none());
}

#[tokio::test]
async fn per_customer_limits_count_a_confirmed_accounts_uses_and_refuse_anyone_else() {
    let app = seeded_app().await;
    let ada = confirmed_customer(&app, "ada@example.com").await;
    let (own, _) = cart_of(&app, Some(ada), 1).await;
    // Used once before, under the same email in other capitals (a guest order).
    sqlx::query(
        "INSERT INTO coupon_redemptions (coupon_id, email)
         SELECT id, 'ADA@example.com' FROM coupons WHERE code = 'WELCOME10'",
    )
    .execute(&app.pool)
    .await
    .expect("redemption");
    let used = refused(&app, Some(own), "WELCOME10").await;
    assert_eq!(used, CouponError::UsedByYou("WELCOME10".into()));
    assert_eq!(
        used.to_string(),
        "You have already used the code WELCOME10 as many times as it allows."
    );
    // A guest could give a new email at every checkout: no per-customer coupon.
    let (guest, _) = cart_of(&app, None, 1).await;
    let refusal = refused(&app, Some(guest), "WELCOME10").await;
    assert_eq!(refusal, CouponError::NeedsAccount("WELCOME10".into()));
    // Nor an account whose address nobody has confirmed (anyone can register any).
    sqlx::query("INSERT INTO users (email, password_hash) VALUES ('grace@example.com', 'x')")
        .execute(&app.pool)
        .await
        .expect("unconfirmed account");
    let grace: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'grace@example.com'")
        .fetch_one(&app.pool)
        .await
        .expect("id");
    let (unconfirmed, _) = cart_of(&app, Some(grace), 1).await;
    let refusal = refused(&app, Some(unconfirmed), "WELCOME10").await;
    assert_eq!(refusal, CouponError::NeedsAccount("WELCOME10".into()));
    // Once confirmed, the account may use it.
    sqlx::query("UPDATE users SET email_verified_at = now() WHERE id = $1")
        .bind(grace)
        .execute(&app.pool)
        .await
        .expect("confirm");
    coupons::apply(
        &app.pool,
        Some(unconfirmed),
        "WELCOME10",
        Currency::EUR,
        &client(),
    )
    .await
    .expect("a confirmed account applies it");
}

#[tokio::test]
async fn guessing_codes_from_one_client_is_slowed_down() {
    let app = seeded_app().await;
    let (cart, _) = cart_of(&app, None, 1).await;
    let guesser = client();
    let mut refused_for_speed = 0;
    for n in 0..12 {
        match coupons::apply(
            &app.pool,
            Some(cart),
            &format!("GUESS{n}"),
            Currency::EUR,
            &guesser,
        )
        .await
        {
            Err(Error::Rule(Rule::Coupon(CouponError::Unknown(_)))) => {}
            Err(Error::TooManyAttempts { wait_secs }) => {
                assert!(wait_secs >= 1);
                refused_for_speed += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(refused_for_speed, 2, "ten tries, then a wait");
    // Another client is not held up: its code is looked up (and unknown).
    let other = coupons::apply(&app.pool, Some(cart), "NOPE", Currency::EUR, &client()).await;
    assert!(
        matches!(&other, Err(Error::Rule(Rule::Coupon(CouponError::Unknown(code)))) if code == "NOPE"),
        "{other:?}"
    );
    // A code that applies does not start the count again: public codes would let a
    // guesser reset it at will.
    let patient = client();
    for n in 0..9 {
        let _ = coupons::apply(
            &app.pool,
            Some(cart),
            &format!("TRY{n}"),
            Currency::EUR,
            &patient,
        )
        .await;
    }
    coupons::apply(&app.pool, Some(cart), "TAKE10", Currency::EUR, &patient)
        .await
        .expect("the tenth applies");
    let after = coupons::apply(&app.pool, Some(cart), "TRY9", Currency::EUR, &patient).await;
    assert!(
        matches!(after, Err(Error::TooManyAttempts { .. })),
        "{after:?}"
    );
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
            "code=save5&discount=50.00&total=0",
            Some(&cookie),
            "/cart",
        )
        .await;
    assert_eq!(res.status(), 302);
    let page = app.page("/cart", &cookie).await;
    assert!(page.contains("Coupon SAVE5 applied: €5.00 off."), "{page}");
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
