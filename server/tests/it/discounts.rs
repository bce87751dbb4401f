//! Coupons in the back office: staff create, edit, pause, resume and delete them, each
//! change audited; a stale edit is refused and changes nothing; a change reaches carts
//! at their next view and never a placed order; a coupon's figures count its uses, paid
//! orders, revenue and discount; bad input is named field by field.

use crate::common::checkout::{self as co, staff_with};
use crate::common::{
    account_signed_in, answered_error, audited, error_shown, seeded_app, seeded_db,
    staff_role_with, Shop,
};
use mercato::accounts::{Email, Role};
use mercato::admin::{Permission, Staff};
use mercato::cart::coupon::CouponError;
use mercato::cart::discounts::{
    self, CouponDraft, CouponForm, CouponQuery, CouponState, DiscountError,
};
use mercato::cart::{coupons, store, Notice};
use mercato::checkout::place::{place, quote};
use mercato::error::Rule;
use mercato::limits::client::ClientKey;
use mercato::{Currency, Error, Money};

fn eur(s: &str) -> Money {
    Money::parse(s, Currency::EUR).expect("amount")
}

fn draft(code: &str, kind: &str, value: &str) -> CouponDraft {
    let form = CouponForm {
        code: code.to_owned(),
        kind: kind.to_owned(),
        value: value.to_owned(),
        ..CouponForm::default()
    };
    CouponDraft::parse(&form, Currency::EUR).expect("a valid coupon")
}

fn client(n: u8) -> ClientKey {
    ClientKey::of(std::net::Ipv4Addr::new(10, 9, 0, n).into())
}

fn refused(result: Result<impl std::fmt::Debug, Error>) -> DiscountError {
    match result {
        Err(Error::Rule(Rule::Discount(why))) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The codes the list shows for `state` (`None`: all but deleted ones), searching `q`.
async fn listed(
    shop: &Shop,
    staff: &Staff,
    q: &str,
    state: Option<&str>,
) -> Vec<(String, CouponState)> {
    let query = CouponQuery::from_params(Some(q), state, None);
    discounts::list(&shop.pool, staff, &query, Currency::EUR)
        .await
        .expect("the list")
        .rows
        .into_iter()
        .map(|r| (r.code, r.state))
        .collect()
}

#[tokio::test]
async fn staff_run_a_coupon_from_creation_to_deletion_and_carts_follow() {
    let shop = seeded_db().await;
    let staff = staff_with(&shop, "deals@example.com", &[Permission::Discounts]).await;
    let id = discounts::create(&shop.pool, &staff, &draft("winter", "percent", "10"))
        .await
        .expect("created");
    assert_eq!(audited(&shop, "coupon.create", id).await, 1);
    assert_eq!(
        listed(&shop, &staff, "wint", None).await,
        [("WINTER".to_owned(), CouponState::Live)]
    );
    // Codes are one per coupon that is not deleted.
    let taken = discounts::create(&shop.pool, &staff, &draft("WINTER", "fixed", "5")).await;
    match taken {
        Err(Error::Fields(f)) => assert!(f.get("code").is_some_and(|m| m.contains("WINTER"))),
        other => panic!("expected the code's field error, got {other:?}"),
    }

    // A shopper's cart holds it.
    let variant = co::variant_with_stock(&shop, 10).await;
    let cart = co::guest_cart(&shop, variant, 2).await;
    coupons::apply(&shop.pool, Some(cart), "winter", Currency::EUR, &client(1))
        .await
        .expect("applies");
    let view = store::view(&shop.pool, Some(cart), Currency::EUR)
        .await
        .expect("cart");
    let ten_percent = view.coupon.expect("on the cart").discount;

    // An edit reaches the cart at its next view.
    let v2 = discounts::update(&shop.pool, &staff, id, 1, &draft("WINTER", "percent", "20"))
        .await
        .expect("saved");
    assert_eq!(v2, 2);
    let view = store::view(&shop.pool, Some(cart), Currency::EUR)
        .await
        .expect("cart");
    let twenty_percent = view.coupon.expect("still on the cart").discount;
    assert_eq!(
        twenty_percent.amount(),
        ten_percent.amount() * rust_decimal::Decimal::TWO
    );
    assert_eq!(audited(&shop, "coupon.edit", id).await, 1);
    // Saving what is saved writes nothing.
    assert_eq!(
        discounts::update(&shop.pool, &staff, id, 2, &draft("WINTER", "percent", "20"))
            .await
            .expect("nothing to save"),
        2
    );
    assert_eq!(audited(&shop, "coupon.edit", id).await, 1);

    // A second editor opened at version 1 is told who saved in between, and changes
    // nothing.
    let other = staff_with(&shop, "other@example.com", &[Permission::Discounts]).await;
    let stale =
        discounts::update(&shop.pool, &other, id, 1, &draft("WINTER", "percent", "50")).await;
    match refused(stale) {
        DiscountError::Stale(Some(change)) => assert_eq!(change.by, "deals@example.com"),
        other => panic!("expected a stale save, got {other:?}"),
    }
    let detail = discounts::detail(&shop.pool, &staff, id, Currency::EUR)
        .await
        .expect("detail");
    assert_eq!((detail.form.value.as_str(), detail.version), ("20", 2));

    // Paused: the cart loses it, with a notice, and it cannot be applied.
    discounts::set_active(&shop.pool, &staff, id, false)
        .await
        .expect("paused");
    discounts::set_active(&shop.pool, &staff, id, false)
        .await
        .expect("already paused");
    assert_eq!(audited(&shop, "coupon.pause", id).await, 1);
    assert_eq!(
        listed(&shop, &staff, "WINTER", Some("paused")).await.len(),
        1
    );
    let view = store::view(&shop.pool, Some(cart), Currency::EUR)
        .await
        .expect("cart");
    assert!(view.coupon.is_none());
    assert!(view
        .notices
        .iter()
        .any(|n| matches!(n, Notice::CouponRemoved { .. })));
    let again = coupons::apply(&shop.pool, Some(cart), "WINTER", Currency::EUR, &client(2)).await;
    assert!(
        matches!(
            again,
            Err(Error::Rule(Rule::Coupon(CouponError::Paused(_))))
        ),
        "{again:?}"
    );
    // Resumed, it applies again.
    discounts::set_active(&shop.pool, &staff, id, true)
        .await
        .expect("resumed");
    coupons::apply(&shop.pool, Some(cart), "WINTER", Currency::EUR, &client(3))
        .await
        .expect("applies again");

    // Deleted: gone from carts and the list, its code free, and itself unchangeable.
    assert_eq!(
        discounts::delete(&shop.pool, &staff, id)
            .await
            .expect("deleted"),
        "WINTER"
    );
    assert_eq!(audited(&shop, "coupon.delete", id).await, 1);
    let view = store::view(&shop.pool, Some(cart), Currency::EUR)
        .await
        .expect("cart");
    assert!(view.coupon.is_none());
    let gone = coupons::apply(&shop.pool, Some(cart), "WINTER", Currency::EUR, &client(4)).await;
    assert!(
        matches!(
            gone,
            Err(Error::Rule(Rule::Coupon(CouponError::Unknown(_))))
        ),
        "{gone:?}"
    );
    assert!(listed(&shop, &staff, "WINTER", None).await.is_empty());
    assert_eq!(
        listed(&shop, &staff, "WINTER", Some("deleted")).await,
        [("WINTER".to_owned(), CouponState::Deleted)]
    );
    assert_eq!(
        refused(
            discounts::update(&shop.pool, &staff, id, 4, &draft("WINTER", "percent", "5")).await
        ),
        DiscountError::Deleted
    );
    assert_eq!(
        refused(discounts::set_active(&shop.pool, &staff, id, true).await),
        DiscountError::Deleted
    );
    let reborn = discounts::create(&shop.pool, &staff, &draft("WINTER", "fixed", "5"))
        .await
        .expect("the code is free again");
    coupons::apply(&shop.pool, Some(cart), "WINTER", Currency::EUR, &client(5))
        .await
        .expect("the new coupon applies");
    assert_ne!(reborn, id);

    // Without the permission, nothing.
    let packer = staff_with(&shop, "packer@example.com", &[Permission::Orders]).await;
    assert!(matches!(
        discounts::set_active(&shop.pool, &packer, reborn, false).await,
        Err(Error::NotPermitted(_))
    ));
    assert!(matches!(
        discounts::list(&shop.pool, &packer, &CouponQuery::default(), Currency::EUR).await,
        Err(Error::NotPermitted(_))
    ));
}

#[tokio::test]
async fn a_coupons_figures_count_its_orders_and_placed_orders_keep_their_discount() {
    let shop = seeded_db().await;
    let staff = staff_with(&shop, "deals@example.com", &[Permission::Discounts]).await;
    let id = discounts::create(&shop.pool, &staff, &draft("FIVER", "fixed", "5"))
        .await
        .expect("created");
    let rate = co::standard_rate(&shop).await;
    let email = Email::parse("ada@example.com").expect("email");
    let a = co::address();
    // Two orders with the code: one paid, one left unpaid and then cancelled.
    let mut placed = Vec::new();
    for (n, token) in ["coupon-figures-0001", "coupon-figures-0002"]
        .into_iter()
        .enumerate()
    {
        let variant = co::variant_with_stock(&shop, 10).await;
        let cart = co::guest_cart(&shop, variant, 2).await;
        coupons::apply(
            &shop.pool,
            Some(cart),
            "FIVER",
            Currency::EUR,
            &client(10 + n as u8),
        )
        .await
        .expect("applies");
        let c = co::checkout(token, cart, &email, &a, rate);
        let reviewed = quote(&shop.pool, &c).await.expect("quote").reviewed();
        placed.push(place(&shop.pool, &c, &reviewed).await.expect("placed"));
    }
    let paid = &placed[0];
    mercato::orders::lifecycle::record_payment(
        &shop.pool,
        &mercato::orders::lifecycle::PaymentReport {
            order_id: paid.id,
            provider: "test",
            amount: paid.total,
            outcome: mercato::orders::lifecycle::Outcome::Succeeded {
                reference: "test_coupon-figures-0001".to_owned(),
            },
            event_id: None,
        },
        "https://shop.example",
    )
    .await
    .expect("paid");
    let detail = discounts::detail(&shop.pool, &staff, id, Currency::EUR)
        .await
        .expect("detail");
    assert_eq!((detail.uses, detail.paid_orders), (2, 1));
    assert_eq!(detail.revenue, [paid.total]);
    assert_eq!(detail.discounted, [eur("5.00")]);
    assert_eq!(detail.recent.len(), 2);

    // Cancelling the unpaid one gives its use back.
    let packer = staff_with(&shop, "packer@example.com", &[Permission::Orders]).await;
    mercato::orders::lifecycle::cancel_unpaid_by_staff(
        &shop.pool,
        &packer,
        placed[1].id,
        "Changed their mind",
        "https://shop.example",
    )
    .await
    .expect("cancelled");
    let row = discounts::list(
        &shop.pool,
        &staff,
        &CouponQuery::from_params(Some("FIVER"), None, None),
        Currency::EUR,
    )
    .await
    .expect("the list")
    .rows
    .remove(0);
    assert_eq!((row.uses, row.revenue), (1, vec![paid.total]));

    // A bigger discount later, and the coupon deleted: the placed order keeps its own.
    discounts::update(&shop.pool, &staff, id, 1, &draft("FIVER", "fixed", "15"))
        .await
        .expect("saved");
    discounts::delete(&shop.pool, &staff, id)
        .await
        .expect("deleted");
    let (discount, total, code): (rust_decimal::Decimal, rust_decimal::Decimal, String) =
        sqlx::query_as("SELECT discount, total, coupon_code FROM orders WHERE id = $1")
            .bind(paid.id)
            .fetch_one(&shop.pool)
            .await
            .expect("the order");
    assert_eq!(
        (discount, total, code.as_str()),
        (eur("5.00").amount(), paid.total.amount(), "FIVER")
    );
    let detail = discounts::detail(&shop.pool, &staff, id, Currency::EUR)
        .await
        .expect("detail");
    assert_eq!(
        (detail.state, detail.revenue),
        (CouponState::Deleted, vec![paid.total])
    );
}

#[tokio::test]
async fn a_bad_coupon_form_is_named_field_by_field_and_changes_nothing() {
    let app = seeded_app().await;
    staff_role_with(&app.pool, "Marketing", &[Permission::Discounts]).await;
    let cookie = account_signed_in(&app, "deals@example.com", Role::Staff, Some("Marketing")).await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM coupons")
            .fetch_one(&app.pool)
            .await
            .expect("count")
    };
    let before = count().await;
    let res = app
        .call(
            "/api/admin/discounts/create",
            "code=%3Cb%3E&kind=percent&value=120&min_subtotal=abc&starts=2026-05-01T10%3A00&ends=2026-04-01T10%3A00&max_uses=-3",
            Some(&cookie),
        )
        .await;
    let error = answered_error(res, 422).await;
    for field in ["code", "value", "min_subtotal", "ends", "max_uses"] {
        assert!(error.field(field).is_some(), "{field}: {error:?}");
    }
    assert_eq!(count().await, before);
    // A well-formed one is created; its page shows it, and markup in it is text.
    let res = app
        .call(
            "/api/admin/discounts/create",
            "code=hello-5&description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&kind=fixed&value=5&max_uses_per_customer=1",
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    let id: i64 = res
        .text()
        .await
        .expect("body")
        .trim()
        .parse()
        .expect("its id");
    let page = app.page(&format!("/admin/discounts/{id}"), &cookie).await;
    assert!(page.contains("HELLO-5"));
    assert!(page.contains("1 per customer"));
    assert!(!page.contains("<script>alert(1)"));
    // An update without its version is a bad request, not a save.
    let res = app
        .call(
            "/api/admin/discounts/update",
            &format!("id={id}&code=HELLO-5&kind=fixed&value=50"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 400);
    let value: rust_decimal::Decimal =
        sqlx::query_scalar("SELECT value FROM coupons WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("value");
    assert_eq!(value, eur("5.00").amount());
    // Deleting needs the box ticked.
    let res = app
        .call(
            "/api/admin/discounts/delete",
            &format!("id={id}"),
            Some(&cookie),
        )
        .await;
    assert!(answered_error(res, 422).await.field("confirm").is_some());
}

#[tokio::test]
async fn the_staff_list_and_the_shoppers_cart_agree_on_where_each_coupon_stands() {
    let shop = seeded_db().await;
    // (code, active, deleted, starts, ends, max uses, used), times relative to now.
    let cases = [
        ("S-LIVE", true, false, None, None, None, 0),
        ("S-SOON", true, false, Some("1 day"), None, None, 0),
        (
            "S-OVER",
            true,
            false,
            Some("-2 days"),
            Some("-1 day"),
            None,
            0,
        ),
        ("S-USED", true, false, None, None, Some(1), 1),
        ("S-USED-SOON", true, false, Some("1 day"), None, Some(1), 1),
        ("S-PAUSED-SOON", false, false, Some("1 day"), None, None, 0),
        (
            "S-PAUSED-OVER",
            false,
            false,
            None,
            Some("-1 day"),
            Some(1),
            1,
        ),
        ("S-DELETED", false, true, Some("1 day"), None, Some(1), 1),
    ];
    for (code, active, deleted, starts, ends, max_uses, used) in cases {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO coupons (code, kind, value, active, deleted_at, starts_at, ends_at, max_uses)
             VALUES ($1, 'percent', 10, $2, CASE WHEN $3 THEN now() END,
                     now() + $4::text::interval, now() + $5::text::interval, $6)
             RETURNING id",
        )
        .bind(code)
        .bind(active)
        .bind(deleted)
        .bind(starts)
        .bind(ends)
        .bind(max_uses)
        .fetch_one(&shop.pool)
        .await
        .expect("a coupon");
        for n in 0..used {
            sqlx::query("INSERT INTO coupon_redemptions (coupon_id, email) VALUES ($1, $2)")
                .bind(id)
                .bind(format!("used-{n}@example.com"))
                .execute(&shop.pool)
                .await
                .expect("a use");
        }
        let mut conn = shop.pool.acquire().await.expect("conn");
        let found = coupons::load(
            &mut conn,
            coupons::Lookup::Id(id),
            coupons::Customer::default(),
            Currency::EUR,
        )
        .await
        .expect("load")
        .expect("found");
        let rust = found.coupon.state(found.now, found.usage.total);
        let sql: String = sqlx::query_scalar(
            "SELECT coupon_state(c.active, c.deleted_at, c.starts_at, c.ends_at, c.max_uses,
                                 (SELECT count(*) FROM coupon_redemptions r WHERE r.coupon_id = c.id))
             FROM coupons c WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&shop.pool)
        .await
        .expect("state");
        assert_eq!(rust.as_str(), sql, "{code}");
    }
}

#[tokio::test]
async fn a_refused_stale_save_stays_refused_when_sent_again() {
    let app = seeded_app().await;
    staff_role_with(&app.pool, "Marketing", &[Permission::Discounts]).await;
    let cookie = account_signed_in(&app, "deals@example.com", Role::Staff, Some("Marketing")).await;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO coupons (code, kind, value, max_uses) VALUES ('STALE', 'percent', 10, 100)
         RETURNING id",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a coupon");
    let page = format!("/admin/discounts/{id}");
    // Someone else saves first (the limit of 100 uses goes up to 500).
    let res = app
        .post_form(
            "/api/admin/discounts/update",
            &format!("id={id}&version=1&code=STALE&kind=percent&value=10&max_uses=500"),
            Some(&cookie),
            &page,
        )
        .await;
    assert_eq!(res.status(), 302);
    // This form was opened at version 1: refused, saying who saved.
    let stale = format!("id={id}&version=1&code=STALE&kind=percent&value=50&max_uses=100");
    let res = app
        .post_form("/api/admin/discounts/update", &stale, Some(&cookie), &page)
        .await;
    let shown = error_shown(&app, res, &cookie).await;
    assert!(
        shown.contains("Not saved: deals@example.com changed this coupon"),
        "{shown}"
    );
    // The page keeps what was typed, and the version it was opened at.
    assert!(shown.contains(r#"name="version" value="1""#), "{shown}");
    // Sent again as the page now has it: still refused, nothing overwritten.
    let res = app
        .post_form("/api/admin/discounts/update", &stale, Some(&cookie), &page)
        .await;
    error_shown(&app, res, &cookie).await;
    let (value, max_uses): (rust_decimal::Decimal, i32) =
        sqlx::query_as("SELECT value, max_uses FROM coupons WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("the coupon");
    assert_eq!((value, max_uses), (rust_decimal::Decimal::TEN, 500));
    // Opened again, it saves.
    let fresh = app.page(&page, &cookie).await;
    assert!(fresh.contains(r#"name="version" value="2""#));
    let res = app
        .call(
            "/api/admin/discounts/update",
            &format!("id={id}&version=2&code=STALE&kind=percent&value=50&max_uses=500"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_checkout_quoted_before_its_coupon_was_deleted_is_refused_not_discounted() {
    let shop = seeded_db().await;
    let staff = staff_with(&shop, "deals@example.com", &[Permission::Discounts]).await;
    let id = discounts::create(&shop.pool, &staff, &draft("HALF", "percent", "50"))
        .await
        .expect("created");
    let variant = co::variant_with_stock(&shop, 10).await;
    let cart = co::guest_cart(&shop, variant, 1).await;
    coupons::apply(&shop.pool, Some(cart), "HALF", Currency::EUR, &client(20))
        .await
        .expect("applies");
    let rate = co::standard_rate(&shop).await;
    let email = Email::parse("ada@example.com").expect("email");
    let a = co::address();
    let c = co::checkout("coupon-deleted-0001", cart, &email, &a, rate);
    let reviewed = quote(&shop.pool, &c).await.expect("quote").reviewed();
    // Deleted, and its code given to a smaller coupon, between review and payment.
    discounts::delete(&shop.pool, &staff, id)
        .await
        .expect("deleted");
    discounts::create(&shop.pool, &staff, &draft("HALF", "percent", "5"))
        .await
        .expect("the code again");
    let placed = place(&shop.pool, &c, &reviewed).await;
    assert!(placed.is_err(), "{placed:?}");
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE coupon_code = 'HALF'")
        .fetch_one(&shop.pool)
        .await
        .expect("count");
    assert_eq!(orders, 0);
    // The cart, shown again, says the code went and takes it off.
    let view = store::view(&shop.pool, Some(cart), Currency::EUR)
        .await
        .expect("cart");
    assert!(view.coupon.is_none());
    assert!(view.notices.iter().any(|n| matches!(
        n,
        Notice::CouponRemoved { reason: CouponError::Withdrawn(code) } if code == "HALF"
    )));
    let held: Option<i64> = sqlx::query_scalar("SELECT coupon_id FROM carts WHERE id = $1")
        .bind(cart)
        .fetch_one(&shop.pool)
        .await
        .expect("cart");
    assert_eq!(held, None);
}
