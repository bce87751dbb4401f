//! Accounts through the shop's own forms: registering (confirmed by mail), signing in and
//! out, the session id changing on both, the guest cart merging into the account's, and
//! rate limits.

use crate::common::{
    add_to_cart, error_shown, register, seeded_app, session_cookie, sign_in, PASSWORD,
};
use mercato::accounts::Role;

#[tokio::test]
async fn registering_and_confirming_signs_in_and_signing_out_ends_the_session() {
    let app = seeded_app().await;
    let cookie = register(&app, "ada@example.com", None).await;
    let account = app.page("/account", &cookie).await;
    assert!(account.contains("ada@example.com"));
    assert!(account.contains("href=\"/account/orders\""));

    let res = app
        .post_form("/api/account/sign-out", "", Some(&cookie), "/account")
        .await;
    assert_eq!(res.headers()["location"], "/");
    // The old session id means nothing any more.
    let after = app.page("/account", &cookie).await;
    assert!(after.contains("Sign in") && !after.contains("ada@example.com"));

    // Emails are unique without regard to case.
    let users = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM users")
            .fetch_one(&app.pool)
            .await
            .expect("users")
    };
    assert_eq!(users().await, 1);
    let again = app
        .post_form(
            "/api/account/register",
            &format!("email=ADA@example.com&password={PASSWORD}&password_again={PASSWORD}"),
            None,
            "/account/register",
        )
        .await;
    assert_eq!(users().await, 1, "no second account");
    let owner_told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE kind = 'already_registered' AND recipient = 'ada@example.com'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("mail");
    assert_eq!(owner_told, 1, "the owner hears of it");
    let fresh = app
        .post_form(
            "/api/account/register",
            &format!("email=new@example.com&password={PASSWORD}&password_again={PASSWORD}"),
            None,
            "/account/register",
        )
        .await;
    // Both answers are the same redirect, with the same message: nothing tells them apart.
    assert_eq!(again.status(), fresh.status());
    assert_eq!(again.headers()["location"], fresh.headers()["location"]);
    let said = |res: &reqwest::Response| {
        let cookie = session_cookie(res).expect("a session with the message");
        let app = &app;
        async move { app.page("/account/register", &cookie).await }
    };
    let (again, fresh) = (said(&again).await, said(&fresh).await);
    assert!(
        again.contains("Check your inbox: we&#x27;ve sent a link to ADA@example.com")
            || again.contains("Check your inbox: we've sent a link to ADA@example.com"),
        "{again}"
    );
    assert!(fresh.contains("sent a link to new@example.com"), "{fresh}");
    // Neither is signed in.
    assert!(again.contains(">Sign in<") && fresh.contains(">Sign in<"));
}

#[tokio::test]
async fn bad_registrations_get_messages_not_errors() {
    let app = seeded_app().await;
    let huge = "x".repeat(10_000);
    for (body, message) in [
        (
            format!("email=ada&password={PASSWORD}&password_again={PASSWORD}"),
            "look like an email",
        ),
        (
            format!("email=&password={PASSWORD}&password_again={PASSWORD}"),
            "Enter your email",
        ),
        (
            "email=ada@example.com&password=short&password_again=short".to_owned(),
            "at least 10",
        ),
        (
            format!("email=ada@example.com&password={huge}&password_again={huge}"),
            "at most 128",
        ),
        (
            format!("email=ada@example.com&password={PASSWORD}&password_again=other+words+here"),
            "different",
        ),
    ] {
        let res = app
            .post_form("/api/account/register", &body, None, "/account/register")
            .await;
        let html = error_shown(&app, res, "").await;
        assert!(html.contains(message), "{message}");
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .expect("users");
    assert_eq!(users, 0);
}

#[tokio::test]
async fn signing_in_changes_the_session_id_and_merges_the_guest_cart() {
    let app = seeded_app().await;
    let variants: Vec<(i64, i32)> = sqlx::query_as(
        "SELECT v.id, i.on_hand FROM variants v JOIN inventory i ON i.variant_id = v.id
         JOIN products p ON p.id = v.product_id
         WHERE p.status = 'active' AND i.on_hand BETWEEN 5 AND 30 ORDER BY v.id LIMIT 2",
    )
    .fetch_all(&app.pool)
    .await
    .expect("variants");
    let [(shared, shared_stock), (guest_only, _)] = variants[..] else {
        panic!("two variants")
    };

    // The account's own cart, from an earlier visit.
    let account = register(&app, "grace@example.com", None).await;
    add_to_cart(&app, shared, 2, Some(&account)).await;

    // Later, as a guest on another device.
    let guest = add_to_cart(&app, shared, 4, None)
        .await
        .expect("a guest session");
    add_to_cart(&app, guest_only, 1, Some(&guest)).await;

    let res = sign_in(&app, "grace@example.com", PASSWORD, Some(&guest)).await;
    assert_eq!(res.headers()["location"], "/account");
    let signed_in = session_cookie(&res).expect("a new session cookie");
    assert_ne!(signed_in, guest, "the session id changes on sign-in");
    // The id the guest had is no longer valid.
    assert!(app
        .page("/cart", &guest)
        .await
        .contains("Your cart is empty"));

    let lines: Vec<(i64, i32)> = sqlx::query_as(
        "SELECT l.variant_id, l.quantity FROM cart_lines l JOIN carts c ON c.id = l.cart_id
         JOIN users u ON u.id = c.user_id WHERE u.email = 'grace@example.com'
         ORDER BY l.variant_id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("merged lines");
    let mut expected = vec![(shared, 6.min(shared_stock)), (guest_only, 1)];
    expected.sort();
    assert_eq!(lines, expected);
    let carts: i64 = sqlx::query_scalar("SELECT count(*) FROM carts")
        .fetch_one(&app.pool)
        .await
        .expect("carts");
    assert_eq!(carts, 1, "the guest cart was folded in");
    assert!(app
        .page("/cart", &signed_in)
        .await
        .contains(r#"data-testid="cart-line""#));
}

#[tokio::test]
async fn sign_in_failures_say_nothing_about_the_email_and_are_rate_limited() {
    let app = seeded_app().await;
    register(&app, "alan@example.com", None).await;
    let wrong = sign_in(&app, "alan@example.com", "not+the+password", None).await;
    let unknown = sign_in(&app, "nobody@example.com", PASSWORD, None).await;
    let wrong = error_shown(&app, wrong, "").await;
    let unknown = error_shown(&app, unknown, "").await;
    let message = "don&#x27;t match an account";
    assert!(wrong.contains(message) || wrong.contains("don't match an account"));
    assert!(unknown.contains(message) || unknown.contains("don't match an account"));

    // An oversize password is just wrong, not an error.
    let huge = "y".repeat(10_000);
    let res = sign_in(&app, "alan@example.com", &huge, None).await;
    assert!(error_shown(&app, res, "")
        .await
        .contains("match an account"));

    // The oversize one was not counted (nothing was hashed): 1 wrong guess so far, 4
    // more reach the 5 that go at once.
    for _ in 0..4 {
        sign_in(&app, "alan@example.com", "still+wrong+password", None).await;
    }
    let limited = sign_in(&app, "alan@example.com", PASSWORD, None).await;
    assert_eq!(limited.status(), 302);
    let html = error_shown(&app, limited, "").await;
    assert!(
        html.contains("Too many attempts"),
        "even the right password waits"
    );
    // The first wait is two seconds (one, if the machine was slow getting here).
    assert!(
        html.contains("try again in 2 seconds") || html.contains("try again in 1 second."),
        "the first wait is short"
    );
    let res = sign_in(&app, "ALAN@example.com", PASSWORD, None).await;
    assert!(
        error_shown(&app, res, "")
            .await
            .contains("Too many attempts"),
        "the limit is per account, whatever the case"
    );
    let kept: i32 = sqlx::query_scalar(
        "SELECT attempts FROM rate_limits WHERE key = 'sign-in:alan@example.com|127.0.0.1'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the account's count, whatever the case");
    assert_eq!(kept, 5, "waiting attempts are not counted");

    // When the wait is over, the right password works, and the count starts again.
    sqlx::query("UPDATE rate_limits SET next_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .expect("end the wait");
    let res = sign_in(&app, "alan@example.com", PASSWORD, None).await;
    assert_eq!(res.headers()["location"], "/account");
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM rate_limits WHERE key LIKE 'sign-in:alan@%'")
            .fetch_one(&app.pool)
            .await
            .expect("count");
    assert_eq!(left, 0);
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes() {
    let app = seeded_app().await;
    register(&app, "kat@example.com", None).await;
    let (hash, role): (String, String) =
        sqlx::query_as("SELECT password_hash, role FROM users WHERE email = 'kat@example.com'")
            .fetch_one(&app.pool)
            .await
            .expect("user");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
    assert_eq!(Role::parse(&role), Some(Role::Customer));

    let admin = mercato::accounts::store::upsert_with_role(
        &app.pool,
        "kat@example.com",
        "another long password",
        Role::Admin,
    )
    .await
    .expect("promote");
    assert_eq!(admin.role, Role::Admin);
    let res = sign_in(&app, "kat@example.com", "another+long+password", None).await;
    assert_eq!(res.headers()["location"], "/account");
}

#[tokio::test]
async fn registering_someone_elses_address_gets_the_stranger_nothing() {
    let app = seeded_app().await;
    let register_as = |password: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                "/api/account/register",
                &format!("email=victim@example.com&password={password}&password_again={password}"),
                None,
                "/account/register",
            )
            .await
        }
    };
    let said = |res: reqwest::Response| {
        let app = &app;
        async move { error_shown(app, res, "").await }
    };
    // A stranger registers the victim's address with a password of their own.
    assert_eq!(register_as("strangers-password").await.status(), 302);
    // Signing in with it says what it says for any wrong password: it shows neither that
    // the account is new nor that it waits for confirmation.
    let unconfirmed =
        said(sign_in(&app, "victim@example.com", "strangers-password", None).await).await;
    let unknown = said(sign_in(&app, "nobody@example.com", "strangers-password", None).await).await;
    let message = "match an account";
    assert!(unconfirmed.contains(message) && unknown.contains(message));
    // The victim opens the link that came to them, but does not know that password.
    let token =
        crate::common::link_token(&app, "victim@example.com", "/account/verify?token=").await;
    let res = app
        .call(
            "/api/account/verify",
            &format!("token={token}&password={PASSWORD}"),
            None,
        )
        .await;
    assert_eq!(
        res.status(),
        422,
        "the link alone does not give the account"
    );
    // Registering the address again starts the unconfirmed account afresh: the
    // stranger's link and password are gone.
    register(&app, "victim@example.com", None).await;
    let stranger = sign_in(&app, "victim@example.com", "strangers-password", None).await;
    assert!(said(stranger).await.contains(message));
    let res = app
        .call(
            "/api/account/verify",
            &format!("token={token}&password=strangers-password"),
            None,
        )
        .await;
    assert_eq!(res.status(), 422, "the stranger's link is used up");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .expect("users");
    assert_eq!(users, 1);
}
