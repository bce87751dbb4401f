//! Forgotten and changed passwords: the reset mail goes through the outbox into the mail
//! folder, its link works once and not for long, and a change signs out other devices.

use crate::common::{
    answered_error, error_shown, register, seeded_app, session_cookie, sign_in, variant_in_stock,
    TestApp, PASSWORD,
};
use app::error::AppError;
use mercato::accounts::AccountError;
use mercato::error::Rule;
use mercato::mail::{deliver_due, Delivery};
use std::path::PathBuf;

const NEW_PASSWORD: &str = "a-brand-new-passphrase";

fn mail_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mercato-mail-{}-{:x}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).expect("mail dir");
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

async fn ask_for_reset(app: &TestApp, email: &str) -> reqwest::Response {
    let res = app
        .post_form(
            "/api/account/forgot",
            &format!("email={email}"),
            None,
            "/account/forgot",
        )
        .await;
    assert_eq!(res.status(), 302);
    res
}

/// Delivers the outbox into `dir` and returns the reset token from the one new mail.
async fn token_from_mail(app: &TestApp, dir: &PathBuf, to: &str) -> String {
    let sent = deliver_due(&app.pool, &Delivery::Folder(dir.clone()), 10)
        .await
        .expect("deliver");
    assert_eq!(sent, 1, "one mail");
    let file = std::fs::read_dir(dir)
        .expect("mail dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .max()
        .expect("a mail file");
    let mail = std::fs::read_to_string(&file).expect("mail");
    assert!(mail.contains(&format!("To: {to}\r\n")), "{mail}");
    assert!(
        mail.contains("Subject: Reset your Mercato password"),
        "{mail}"
    );
    let link = "https://shop.example/account/reset?token=";
    let at = mail.find(link).expect("the link") + link.len();
    mail[at..at + 64].to_owned()
}

#[tokio::test]
async fn a_reset_link_arrives_by_mail_works_once_and_signs_in() {
    let app = seeded_app().await;
    register(&app, "ada@example.com", None).await;
    let dir = mail_dir();

    // The same answer whether or not the email has an account; only one gets mail.
    for email in ["nobody@example.com", "ADA@example.com"] {
        let res = ask_for_reset(&app, email).await;
        let cookie = session_cookie(&res).expect("a session for the message");
        let page = app.page("/account/forgot", &cookie).await;
        assert!(
            page.contains("If that email has an account, a link"),
            "{email}"
        );
    }
    let token = token_from_mail(&app, &dir, "ada@example.com").await;
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT token_hash FROM account_links WHERE kind = 'reset'")
            .fetch_one(&app.pool)
            .await
            .expect("reset row");
    assert_eq!(stored.len(), 32, "only a hash is kept");
    assert!(!String::from_utf8_lossy(&stored).contains(&token));

    let form = app.get(&format!("/account/reset?token={token}")).await;
    assert!(form
        .text()
        .await
        .expect("page")
        .contains("New password again"));

    let body = format!("token={token}&password={NEW_PASSWORD}&password_again={NEW_PASSWORD}");
    let res = app
        .post_form(
            "/api/account/reset",
            &body,
            None,
            &format!("/account/reset?token={token}"),
        )
        .await;
    assert_eq!(res.headers()["location"], "/account");
    let cookie = session_cookie(&res).expect("signed in");
    let account = app.page("/account", &cookie).await;
    assert!(account.contains("ada@example.com"));
    assert!(account.contains("Your new password is set"), "{account}");
    // The message shows once.
    assert!(!app
        .page("/account", &cookie)
        .await
        .contains("Your new password is set"));

    // The old password no longer works; the new one does.
    let old = sign_in(&app, "ada@example.com", PASSWORD, None).await;
    assert!(error_shown(&app, old, "")
        .await
        .contains("match an account"));
    let new = sign_in(&app, "ada@example.com", NEW_PASSWORD, None).await;
    assert_eq!(new.headers()["location"], "/account");

    // The link was used: a second go is refused, and its page says so before anything
    // is typed.
    let again = app.call("/api/account/reset", &body, None).await;
    assert_eq!(
        answered_error(again, 422).await,
        AppError::Rule(Rule::Account(AccountError::ResetLinkExpired))
    );
    let page = app.get(&format!("/account/reset?token={token}")).await;
    assert!(page
        .text()
        .await
        .expect("page")
        .contains("Ask for a new link"));
}

#[tokio::test]
async fn reset_links_expire_and_are_limited_per_hour() {
    let app = seeded_app().await;
    register(&app, "ada@example.com", None).await;
    let dir = mail_dir();
    ask_for_reset(&app, "ada@example.com").await;
    let token = token_from_mail(&app, &dir, "ada@example.com").await;
    sqlx::query(
        "UPDATE account_links SET expires_at = now() - interval '1 second' WHERE kind = 'reset'",
    )
    .execute(&app.pool)
    .await
    .expect("expire");
    let body = format!("token={token}&password={NEW_PASSWORD}&password_again={NEW_PASSWORD}");
    let res = app.call("/api/account/reset", &body, None).await;
    assert_eq!(res.status(), 422, "an expired link");
    // Garbage tokens are refused the same way, without a 500.
    for token in ["", "abc", &"z".repeat(64), &"a".repeat(10_000)] {
        let body = format!("token={token}&password={NEW_PASSWORD}&password_again={NEW_PASSWORD}");
        assert_eq!(
            app.call("/api/account/reset", &body, None).await.status(),
            422
        );
    }

    // Three mails an hour at most; more requests look the same but send nothing.
    for _ in 0..5 {
        ask_for_reset(&app, "ada@example.com").await;
    }
    let resets: i64 = sqlx::query_scalar("SELECT count(*) FROM account_links WHERE kind = 'reset'")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(resets, 3);
}

#[tokio::test]
async fn changing_the_password_signs_out_every_other_session() {
    let app = seeded_app().await;
    let laptop = register(&app, "ada@example.com", None).await;
    let phone = session_cookie(&sign_in(&app, "ada@example.com", PASSWORD, None).await)
        .expect("second session");

    let wrong = app
        .call(
            "/api/account/password",
            &format!("current_password=guess-guess-guess&password={NEW_PASSWORD}&password_again={NEW_PASSWORD}"),
            Some(&laptop),
        )
        .await;
    assert_eq!(
        answered_error(wrong, 422).await,
        AppError::Rule(Rule::Account(AccountError::WrongCurrentPassword))
    );

    let res = app
        .post_form(
            "/api/account/password",
            &format!(
                "current_password={PASSWORD}&password={NEW_PASSWORD}&password_again={NEW_PASSWORD}"
            ),
            Some(&laptop),
            "/account/password",
        )
        .await;
    assert_eq!(res.status(), 302);
    // The session id changes here too; the new one is signed in and hears the news.
    let laptop = session_cookie(&res).expect("new id");
    let page = app.page("/account/password", &laptop).await;
    assert!(page.contains("Your password is changed"), "{page}");
    assert!(app
        .page("/account", &laptop)
        .await
        .contains("ada@example.com"));
    // The phone signed in under the old password: it is signed out.
    let phone_page = app.page("/account", &phone).await;
    assert!(!phone_page.contains("ada@example.com"));
    assert!(phone_page.contains("Sign in"));

    // A guest cannot change anyone's password.
    let guest = app
        .call(
            "/api/account/password",
            &format!("current_password={NEW_PASSWORD}&password=x-{NEW_PASSWORD}&password_again=x-{NEW_PASSWORD}"),
            None,
        )
        .await;
    assert_eq!(guest.status(), 401);
}

#[tokio::test]
async fn undeliverable_mail_is_retried_later_not_lost() {
    let app = seeded_app().await;
    register(&app, "ada@example.com", None).await;
    ask_for_reset(&app, "ada@example.com").await;
    // A file where the folder should be: delivery fails.
    let blocked = mail_dir().join("not-a-folder");
    std::fs::write(&blocked, "x").expect("file");
    let sent = deliver_due(&app.pool, &Delivery::Folder(blocked), 10)
        .await
        .expect("deliver");
    assert_eq!(sent, 0);
    let (attempts, waits, error): (i32, bool, Option<String>) = sqlx::query_as(
        "SELECT attempts, next_attempt_at > now() + interval '20 seconds', last_error
         FROM outbox WHERE kind = 'password_reset'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("outbox row");
    assert_eq!(attempts, 1);
    assert!(waits, "the next attempt waits");
    assert!(error.is_some());
    // Not due yet: nothing is tried again at once, even with a working folder.
    let dir = mail_dir();
    let sent = deliver_due(&app.pool, &Delivery::Folder(dir.clone()), 10)
        .await
        .expect("deliver");
    assert_eq!(sent, 0);
    sqlx::query("UPDATE outbox SET next_attempt_at = now()")
        .execute(&app.pool)
        .await
        .expect("due");
    token_from_mail(&app, &dir, "ada@example.com").await;
    // Sent once: never again.
    let again = deliver_due(&app.pool, &Delivery::Folder(dir), 10)
        .await
        .expect("deliver");
    assert_eq!(again, 0);
}

#[tokio::test]
async fn after_a_password_change_a_stolen_session_is_a_guest_everywhere() {
    let app = seeded_app().await;
    let victim = register(&app, "ada@example.com", None).await;
    let (variant, _) = variant_in_stock(&app, 5).await;
    crate::common::add_to_cart(&app, variant, 1, Some(&victim)).await;
    // The thief's copy: another session of the same account, used only on /api.
    let thief = session_cookie(&sign_in(&app, "ada@example.com", PASSWORD, None).await)
        .expect("second session");
    let count = app.call("/api/cart/count", "", Some(&thief)).await;
    assert_eq!(
        count.text().await.expect("body"),
        "1",
        "it sees the cart now"
    );

    let res = app
        .post_form(
            "/api/account/password",
            &format!(
                "current_password={PASSWORD}&password={NEW_PASSWORD}&password_again={NEW_PASSWORD}"
            ),
            Some(&victim),
            "/account/password",
        )
        .await;
    assert_eq!(res.status(), 302);

    // Every call the thief makes now acts for a guest with an empty session.
    let count = app.call("/api/cart/count", "", Some(&thief)).await;
    assert_eq!(count.text().await.expect("body"), "0");
    let cart = app.call("/api/cart", "", Some(&thief)).await;
    assert!(cart.text().await.expect("body").contains("\"lines\":[]"));
    let me = app.call("/api/account/me", "", Some(&thief)).await;
    assert_eq!(me.text().await.expect("body"), "null");
    let details = app
        .call("/api/checkout/details/load", "", Some(&thief))
        .await;
    let details = details.text().await.expect("body");
    assert!(
        details.contains("\"cart_empty\":true") && details.contains("\"signed_in\":false"),
        "{details}"
    );
    let add = app
        .call(
            "/api/cart/add",
            &format!("variant_id={variant}&quantity=3"),
            Some(&thief),
        )
        .await;
    assert_eq!(add.status(), 200, "a guest may shop");
    let lines: Vec<i32> = sqlx::query_scalar(
        "SELECT l.quantity FROM cart_lines l JOIN carts c ON c.id = l.cart_id
         JOIN users u ON u.id = c.user_id WHERE u.email = 'ada@example.com'",
    )
    .fetch_all(&app.pool)
    .await
    .expect("lines");
    assert_eq!(lines, [1], "the account's cart is untouched by the thief");
    let addresses = app.call("/api/account/addresses", "", Some(&thief)).await;
    assert_eq!(addresses.status(), 401);
}

#[tokio::test]
async fn a_password_change_uses_up_the_reset_links_still_out() {
    let app = seeded_app().await;
    let cookie = register(&app, "ada@example.com", None).await;
    let dir = mail_dir();
    ask_for_reset(&app, "ada@example.com").await;
    let token = token_from_mail(&app, &dir, "ada@example.com").await;
    let res = app
        .post_form(
            "/api/account/password",
            &format!(
                "current_password={PASSWORD}&password={NEW_PASSWORD}&password_again={NEW_PASSWORD}"
            ),
            Some(&cookie),
            "/account/password",
        )
        .await;
    assert_eq!(res.status(), 302);
    let cookie = session_cookie(&res).expect("the session goes on under a new id");
    assert!(app
        .page("/account/password", &cookie)
        .await
        .contains("Your password is changed"));
    let body = format!("token={token}&password=x-{NEW_PASSWORD}&password_again=x-{NEW_PASSWORD}");
    let res = app.call("/api/account/reset", &body, None).await;
    assert_eq!(
        answered_error(res, 422).await,
        AppError::Rule(Rule::Account(AccountError::ResetLinkExpired)),
        "the link no longer works"
    );
}

#[tokio::test]
async fn guesses_of_the_current_password_are_limited() {
    let app = seeded_app().await;
    let cookie = register(&app, "ada@example.com", None).await;
    let guess = |n: usize| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            app.call(
                "/api/account/password",
                &format!("current_password=guess-number-{n}&password={NEW_PASSWORD}&password_again={NEW_PASSWORD}"),
                Some(&cookie),
            )
            .await
            .status()
        }
    };
    let mut statuses = vec![];
    for n in 0..7 {
        statuses.push(guess(n).await.as_u16());
    }
    assert_eq!(statuses, [422, 422, 422, 422, 422, 429, 429]);
}
