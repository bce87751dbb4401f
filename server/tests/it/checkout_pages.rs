//! Checkout through the shop's own pages and forms, as a browser without JavaScript
//! would: three steps, a declined card that keeps everything, the paid order's page,
//! and the mail. Posts that try to set prices or reuse another session's checkout fail.

use crate::common::{
    add_to_cart, answered_error, error_shown, seeded_app, variant_in_stock, TestApp,
};
use app::error::AppError;
use mercato::checkout::CheckoutError;
use mercato::error::Rule;

const ADDRESS: &str = "email=guest%40example.com&name=Grace+Hopper&line1=Keizersgracht+1&city=Amsterdam&postal_code=1015+CJ&country=NL";

/// The value of the hidden input `name` in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no {name} in the page"));
    let rest = &page[at..];
    let start = rest.find("value=\"").expect("value") + 7;
    rest[start..start + rest[start..].find('"').expect("end")].to_owned()
}

/// Posts the review page's payment form, as a browser without JavaScript.
async fn pay_without_js(app: &TestApp, cookie: &str, token: &str, card: &str) -> reqwest::Response {
    app.post_form(
        "/api/checkout/pay",
        &format!("token={token}&card_number={card}"),
        Some(cookie),
        "/checkout/review",
    )
    .await
}

/// A guest with something in the cart, through details and delivery to the review page.
pub async fn at_review(app: &TestApp) -> (String, String) {
    let cookie = add_to_cart(app, variant_in_stock(app, 5).await.0, 2, None)
        .await
        .expect("session");
    // Prices and totals in the post are not fields of any step: they change nothing.
    let res = app
        .post_form(
            "/api/checkout/details",
            &format!("{ADDRESS}&total=0.01&price=0&unit_price=0"),
            Some(&cookie),
            "/checkout",
        )
        .await;
    assert_eq!(res.headers()["location"], "/checkout/shipping");
    let page = app.page("/checkout/shipping", &cookie).await;
    assert!(page.contains("Delivery to Netherlands"), "{page}");
    let rate: i64 = sqlx::query_scalar("SELECT id FROM shipping_rates WHERE name = 'Express'")
        .fetch_one(&app.pool)
        .await
        .expect("rate");
    let res = app
        .post_form(
            "/api/checkout/shipping",
            &format!("rate={rate}&price=0"),
            Some(&cookie),
            "/checkout/shipping",
        )
        .await;
    assert_eq!(res.headers()["location"], "/checkout/review");
    let page = app.page("/checkout/review", &cookie).await;
    (cookie, page)
}

#[tokio::test]
async fn after_an_unpaid_order_expired_the_shopper_reviews_again_and_pays() {
    let app = seeded_app().await;
    let (cookie, review) = at_review(&app).await;
    let token = hidden(&review, "token");
    let res = pay_without_js(&app, &cookie, &token, "4000+0000+0000+0002").await;
    assert!(error_shown(&app, res, &cookie)
        .await
        .contains("Your card was declined."));
    // The shopper leaves; the unpaid order expires and its stock goes back.
    sqlx::query("UPDATE orders SET placed_at = now() - interval '2 hours'")
        .execute(&app.pool)
        .await
        .expect("aged");
    mercato::orders::lifecycle::expire_unpaid(&app.pool, 30)
        .await
        .expect("expired");
    // Back on the same review page, paying says what happened...
    let res = app
        .call(
            "/api/checkout/pay",
            &format!("token={token}&card_number=4242424242424242"),
            Some(&cookie),
        )
        .await;
    assert_eq!(
        answered_error(res, 422).await,
        AppError::Rule(Rule::Payment(
            mercato::payments::PaymentError::OrderCancelled
        ))
    );
    // ...and the review, shown again, is a new checkout that can be paid.
    let review = app.page("/checkout/review", &cookie).await;
    let again = hidden(&review, "token");
    assert_ne!(again, token);
    let res = pay_without_js(&app, &cookie, &again, "4242424242424242").await;
    let location = res.headers()["location"].to_str().expect("location");
    assert!(location.starts_with("/orders/"), "{location}");
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM orders ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .expect("orders");
    assert_eq!(statuses, ["cancelled", "paid"]);
}

#[tokio::test]
async fn a_payment_service_fault_charges_nothing_and_says_to_try_again() {
    let app = seeded_app().await;
    let (cookie, review) = at_review(&app).await;
    let token = hidden(&review, "token");
    // The test card that plays the provider failing.
    let res = app
        .call(
            "/api/checkout/pay",
            &format!("token={token}&card_number=4000000000000119"),
            Some(&cookie),
        )
        .await;
    assert_eq!(answered_error(res, 503).await, AppError::PaymentUnavailable);
    let (status, payments, lines): (String, i64, i64) = sqlx::query_as(
        "SELECT status, (SELECT count(*) FROM payments), (SELECT count(*) FROM cart_lines)
         FROM orders",
    )
    .fetch_one(&app.pool)
    .await
    .expect("order");
    assert_eq!(status, "pending_payment", "the order waits");
    assert_eq!(payments, 0, "nothing was charged or recorded");
    assert_eq!(lines, 1, "the cart is kept");
    // And the same checkout pays once the service is back.
    let res = pay_without_js(&app, &cookie, &token, "4242424242424242").await;
    let location = res.headers()["location"].to_str().expect("location");
    assert!(location.starts_with("/orders/"), "{location}");
}

#[tokio::test]
async fn a_guest_pays_after_a_declined_card_without_javascript() {
    let app = seeded_app().await;
    let (cookie, review) = at_review(&app).await;
    assert!(review.contains("Express"));
    assert!(review.contains("Test payment: no real money moves."));
    let token = hidden(&review, "token");

    let res = pay_without_js(&app, &cookie, &token, "4000+0000+0000+0002").await;
    let page = error_shown(&app, res, &cookie).await;
    assert!(page.contains("Your card was declined."), "{page}");
    // Nothing is lost: the cart still holds the items, the order waits for payment.
    let lines: i64 = sqlx::query_scalar("SELECT count(*) FROM cart_lines")
        .fetch_one(&app.pool)
        .await
        .expect("lines");
    assert_eq!(lines, 1);

    let res = pay_without_js(&app, &cookie, &token, "4242424242424242").await;
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with("/orders/") && location.contains("key="),
        "{location}"
    );
    // Submitting the same checkout again charges nothing and lands on the same order.
    let again = pay_without_js(&app, &cookie, &token, "4242424242424242").await;
    assert_eq!(
        again.headers()["location"].to_str().expect("location"),
        location
    );
    let page = app.page(&location, &cookie).await;
    assert!(page.contains("Thank you! Your order is placed."));
    assert!(page.contains("Paid"));
    let (status, total, payments): (String, rust_decimal::Decimal, i64) =
        sqlx::query_as("SELECT status, total, (SELECT count(*) FROM payments) FROM orders")
            .fetch_one(&app.pool)
            .await
            .expect("order");
    assert_eq!(status, "paid");
    assert_eq!(payments, 2, "the declined try and the payment");
    assert!(
        page.contains(&format!("€{total}")),
        "the page shows the charged total"
    );
    let mails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE kind = 'order_confirmation' AND recipient = 'guest@example.com'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("mail");
    assert_eq!(mails, 1);
    // The cart is empty now, and the order's page needs its key.
    assert!(app
        .page("/cart", &cookie)
        .await
        .contains("Your cart is empty."));
    let number = location
        .trim_start_matches("/orders/")
        .split('?')
        .next()
        .expect("number");
    let res = app.get(&format!("/orders/{number}")).await;
    assert_eq!(res.status(), 404);
    let res = app.get(&format!("/orders/{number}?key=wrong")).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_checkout_token_from_another_session_is_refused() {
    let app = seeded_app().await;
    let (_, review) = at_review(&app).await;
    let token = hidden(&review, "token");
    let (other, _) = at_review(&app).await;
    let res = app
        .call(
            "/api/checkout/pay",
            &format!("token={token}&card_number=4242424242424242"),
            Some(&other),
        )
        .await;
    assert_eq!(
        answered_error(res, 422).await,
        AppError::Rule(Rule::Checkout(CheckoutError::Stale))
    );
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&app.pool)
        .await
        .expect("orders");
    assert_eq!(orders, 0);
}

#[tokio::test]
async fn bad_details_get_a_message_by_each_field() {
    let app = seeded_app().await;
    let cookie = add_to_cart(&app, variant_in_stock(&app, 5).await.0, 1, None)
        .await
        .expect("session");
    let street = "x".repeat(10_000);
    let res = app
        .call(
            "/api/checkout/details",
            &format!("email=nope&name=&line1={street}&city=Oslo&postal_code=0150&country=ZZ&billing_differs=on&billing_name=&billing_line1=&billing_city=&billing_postal_code=&billing_country=FR"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.expect("body");
    for field in [
        "\"email\"",
        "\"name\"",
        "\"line1\"",
        "\"country\"",
        "\"billing_name\"",
        "\"billing_city\"",
    ] {
        assert!(body.contains(field), "{field} in {body}");
    }
    // Review without details is not an error page: it asks for the details.
    let page = app.page("/checkout/review", &cookie).await;
    assert!(page.contains("We need your details first"));
    // A payment without a review places nothing.
    let res = app
        .call(
            "/api/checkout/pay",
            "token=whatever&card_number=4242424242424242",
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 422);
}
