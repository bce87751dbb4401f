//! The address book: add, change, delete, one default; field-by-field messages; nobody
//! sees or touches another account's addresses.

use crate::common::{register, seeded_app, TestApp};

const HOME: &str =
    "name=Ada+Lovelace&line1=12+St+James%27s+Square&city=London&postal_code=SW1Y+4JH&country=GB";
const WORK: &str =
    "name=Ada+Lovelace&line1=1+Infinite+Loop&city=Cupertino&region=CA&postal_code=95014&country=US";

async fn add(app: &TestApp, cookie: &str, form: &str) -> reqwest::Response {
    app.post_form(
        "/api/account/address/save",
        form,
        Some(cookie),
        "/account/addresses/new",
    )
    .await
}

async fn book(app: &TestApp, user: &str) -> Vec<(i64, String, bool)> {
    sqlx::query_as(
        "SELECT a.id, a.city, a.is_default FROM addresses a JOIN users u ON u.id = a.user_id
         WHERE u.email = $1 ORDER BY a.id",
    )
    .bind(user)
    .fetch_all(&app.pool)
    .await
    .expect("addresses")
}

#[tokio::test]
async fn addresses_are_added_changed_and_deleted_with_one_default() {
    let app = seeded_app().await;
    let cookie = register(&app, "ada@example.com", None).await;

    let res = add(&app, &cookie, HOME).await;
    assert_eq!(res.headers()["location"], "/account/addresses");
    let page = app.page("/account/addresses", &cookie).await;
    assert!(
        page.contains("Address added."),
        "the plain form hears how it went"
    );
    assert!(page.contains("SW1Y 4JH London") && page.contains("United Kingdom"));
    // The first address is the default.
    assert!(book(&app, "ada@example.com").await[0].2);

    add(&app, &cookie, &format!("{WORK}&make_default=on")).await;
    let b = book(&app, "ada@example.com").await;
    assert_eq!(
        b.iter()
            .map(|(_, c, d)| (c.as_str(), *d))
            .collect::<Vec<_>>(),
        [("London", false), ("Cupertino", true)]
    );
    let (home, work) = (b[0].0, b[1].0);

    // Edit: the form shows what is stored; saving changes it.
    let edit = app
        .page(&format!("/account/addresses/{home}"), &cookie)
        .await;
    assert!(edit.contains("value=\"SW1Y 4JH\""), "{edit}");
    let res = app
        .post_form(
            "/api/account/address/save",
            &format!("id={home}&{}", HOME.replace("London", "Bath")),
            Some(&cookie),
            &format!("/account/addresses/{home}"),
        )
        .await;
    assert_eq!(res.headers()["location"], "/account/addresses");

    app.call(
        "/api/account/address/default",
        &format!("id={home}"),
        Some(&cookie),
    )
    .await;
    // Deleting the default hands it to the address left.
    let res = app
        .call(
            "/api/account/address/delete",
            &format!("id={home}"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        book(&app, "ada@example.com").await,
        vec![(work, "Cupertino".to_owned(), true)]
    );
}

#[tokio::test]
async fn each_bad_field_gets_its_own_message() {
    let app = seeded_app().await;
    let cookie = register(&app, "ada@example.com", None).await;
    let street = "x".repeat(10_000);
    let res = app
        .call(
            "/api/account/address/save",
            &format!("name=&line1={street}&city=Paris&postal_code=75001&country=ZZ&price=0"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.expect("body");
    for message in [
        "Enter the full name.",
        "Shorten the street address to at most 200 characters.",
        "Choose one from the list.",
    ] {
        assert!(body.contains(message), "{message} in {body}");
    }
    // The US needs a state.
    let res = app
        .call(
            "/api/account/address/save",
            &WORK.replace("&region=CA", ""),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 422);
    // A missing field is a message too, not a 500.
    let res = app
        .call("/api/account/address/save", "name=Ada", Some(&cookie))
        .await;
    assert_eq!(res.status(), 400);
    assert!(book(&app, "ada@example.com").await.is_empty());

    // Without JavaScript the form page shows the messages by its fields.
    let res = app
        .post_form(
            "/api/account/address/save",
            "name=&line1=1+Rue&city=Paris&postal_code=75001&country=FR",
            Some(&cookie),
            "/account/addresses/new",
        )
        .await;
    let page = crate::common::error_shown(&app, res, &cookie).await;
    assert!(page.contains("Enter the full name."), "{page}");
    assert!(page.contains("aria-invalid=\"true\""));
}

#[tokio::test]
async fn another_accounts_addresses_are_not_found() {
    let app = seeded_app().await;
    let ada = register(&app, "ada@example.com", None).await;
    add(&app, &ada, HOME).await;
    let id = book(&app, "ada@example.com").await[0].0;
    let eve = register(&app, "eve@example.com", None).await;

    assert_eq!(
        app.call("/api/account/address", &format!("id={id}"), Some(&eve))
            .await
            .status(),
        404
    );
    let edit = app
        .call(
            "/api/account/address/save",
            &format!("id={id}&{WORK}"),
            Some(&eve),
        )
        .await;
    assert_eq!(edit.status(), 404);
    for path in [
        "/api/account/address/delete",
        "/api/account/address/default",
    ] {
        assert_eq!(
            app.call(path, &format!("id={id}"), Some(&eve))
                .await
                .status(),
            404,
            "{path}"
        );
    }
    assert_eq!(book(&app, "ada@example.com").await[0].1, "London");
    assert!(book(&app, "eve@example.com").await.is_empty());
    // A guest is asked to sign in.
    assert_eq!(
        app.call("/api/account/addresses", "", None).await.status(),
        401
    );
}
