//! The shop's own hostile-input suite: every server function and every page, fed what
//! an attacker or a broken client sends (markup, quotes, SQL, wildcards, 10 KB strings,
//! NUL, right-to-left overrides, emoji, absurd numbers, malformed and oversized bodies,
//! wrong content types). Nothing may answer 5xx, echo markup unescaped into a page, or
//! change what it should not (prices, stock, orders, accounts). Cross-origin posts to
//! every function are refused, and every staff function refuses guests and customers.
//!
//! The lists below are checked against the functions the server actually registered and
//! the routes the app actually has: a new one that is not listed fails the suite, so
//! nobody can add an endpoint the suite does not attack.
//!
//! Run it alone with `cargo test -p server --test it hostile`.

use crate::common::{add_to_cart, register, seeded_app, session_cookie, variant_in_stock, TestApp};
use std::collections::BTreeSet;

/// Who may call a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anyone,
    Staff,
}

/// A coupon's fields, as its staff form names them.
const COUPON: [&str; 9] = [
    "code",
    "description",
    "kind",
    "value",
    "min_subtotal",
    "starts",
    "ends",
    "max_uses",
    "max_uses_per_customer",
];

/// An address's fields, as the address book and checkout name them.
const ADDRESS: [&str; 8] = [
    "name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
];

/// Every server function: its path under `/api/`, the names of its arguments, and who
/// may call it.
fn functions() -> Vec<(&'static str, Vec<&'static str>, Who)> {
    let with_address = |before: &[&'static str], after: &[&'static str]| -> Vec<&'static str> {
        before
            .iter()
            .chain(&ADDRESS)
            .chain(after)
            .copied()
            .collect()
    };
    let billing = [
        "billing_differs",
        "billing_name",
        "billing_line1",
        "billing_city",
        "billing_postal_code",
        "billing_country",
    ];
    let anyone = |path: &'static str, args: &[&'static str]| (path, args.to_vec(), Who::Anyone);
    vec![
        anyone("catalog/home", &[]),
        anyone("catalog/departments", &[]),
        anyone("catalog/category", &["slug", "query"]),
        anyone("catalog/search", &["query"]),
        anyone("catalog/product", &["slug"]),
        anyone("flash", &[]),
        anyone("shop_info", &[]),
        anyone("order", &["number", "key"]),
        anyone(
            "order/return",
            &[
                "number",
                "key",
                "request",
                "lines[0][id]",
                "lines[0][quantity]",
                "reason",
            ],
        ),
        anyone("account/orders", &[]),
        anyone("account/me", &[]),
        anyone("account/register", &["email", "password", "password_again"]),
        anyone("account/sign-in", &["email", "password"]),
        anyone("account/sign-out", &[]),
        anyone("account/forgot", &["email"]),
        anyone("account/reset/check", &["token"]),
        anyone("account/reset", &["token", "password", "password_again"]),
        anyone(
            "account/password",
            &["current_password", "password", "password_again"],
        ),
        anyone("account/verify/check", &["token"]),
        anyone("account/verify", &["token", "password"]),
        anyone("account/addresses", &[]),
        anyone("account/address", &["id"]),
        (
            "account/address/save",
            with_address(&["id"], &["make_default"]),
            Who::Anyone,
        ),
        anyone("account/address/delete", &["id"]),
        anyone("account/address/default", &["id"]),
        anyone("cart", &[]),
        anyone("cart/count", &[]),
        anyone("cart/add", &["variant_id", "quantity"]),
        anyone("cart/update", &["line_id", "quantity"]),
        anyone("cart/remove", &["line_id"]),
        anyone("cart/coupon", &["code"]),
        anyone("cart/coupon/remove", &[]),
        anyone("checkout/details/load", &["use_address"]),
        (
            "checkout/details",
            with_address(&["email"], &billing),
            Who::Anyone,
        ),
        anyone("checkout/shipping/load", &[]),
        anyone("checkout/shipping", &["rate"]),
        anyone("checkout/review/load", &[]),
        anyone("checkout/pay", &["token", "card_number"]),
        anyone("checkout/stripe/start", &["token"]),
        anyone(
            "checkout/stripe/return",
            &["payment_intent", "payment_intent_client_secret"],
        ),
        ("admin/me", vec![], Who::Staff),
        ("admin/dashboard", vec!["period"], Who::Staff),
        ("admin/stock-audit", vec![], Who::Staff),
        ("admin/staff", vec![], Who::Staff),
        ("admin/staff/role", vec!["member", "role"], Who::Staff),
        ("admin/staff/invite", vec!["email", "role"], Who::Staff),
        ("admin/staff/deactivate", vec!["member"], Who::Staff),
        ("admin/staff/reactivate", vec!["member"], Who::Staff),
        (
            "admin/audit",
            vec!["staff", "kind", "subject", "from", "to", "before"],
            Who::Staff,
        ),
        (
            "admin/products",
            vec!["q", "status", "category", "stock", "sort", "after"],
            Who::Staff,
        ),
        ("admin/products/chosen", vec!["ids"], Who::Staff),
        ("admin/products/editor", vec!["id"], Who::Staff),
        (
            "admin/products/save",
            vec![
                "id",
                "version",
                "name",
                "slug",
                "description",
                "status",
                "category",
                "seo_title",
                "seo_description",
                "options[0][name]",
                "options[0][values]",
                "variants[0][sku]",
                "variants[0][price]",
                "confirm_removal",
            ],
            Who::Staff,
        ),
        (
            "admin/products/bulk",
            vec!["ids", "action", "category", "back"],
            Who::Staff,
        ),
        (
            "admin/products/images/upload",
            vec!["product", "alt", "file"],
            Who::Staff,
        ),
        (
            "admin/products/images/shift",
            vec!["product", "image", "direction"],
            Who::Staff,
        ),
        (
            "admin/products/images/remove",
            vec!["product", "image"],
            Who::Staff,
        ),
        ("admin/categories", vec![], Who::Staff),
        ("admin/categories/detail", vec!["id"], Who::Staff),
        (
            "admin/categories/create",
            vec!["name", "slug", "description", "parent"],
            Who::Staff,
        ),
        (
            "admin/categories/update",
            vec!["id", "name", "slug", "description", "parent"],
            Who::Staff,
        ),
        (
            "admin/categories/shift",
            vec!["id", "direction"],
            Who::Staff,
        ),
        ("admin/categories/delete", vec!["id", "move_to"], Who::Staff),
        ("admin/imports", vec![], Who::Staff),
        ("admin/imports/detail", vec!["id"], Who::Staff),
        ("admin/imports/upload", vec!["file"], Who::Staff),
        ("admin/imports/apply", vec!["id"], Who::Staff),
        ("admin/inventory", vec!["show", "q", "after"], Who::Staff),
        (
            "admin/orders",
            mercato::orders::staff::PARAMS.to_vec(),
            Who::Staff,
        ),
        ("admin/orders/detail", vec!["number"], Who::Staff),
        ("admin/orders/note", vec!["number", "body"], Who::Staff),
        (
            "admin/orders/ship",
            vec![
                "number",
                "lines[0][id]",
                "lines[0][quantity]",
                "carrier",
                "tracking",
            ],
            Who::Staff,
        ),
        ("admin/orders/delivered", vec!["number"], Who::Staff),
        (
            "admin/orders/refund",
            vec![
                "number",
                "lines[0][id]",
                "lines[0][quantity]",
                "lines[0][restock]",
                "shipping",
                "amount",
                "currency",
                "reason",
            ],
            Who::Staff,
        ),
        (
            "admin/orders/refund/retry",
            vec!["number", "refund"],
            Who::Staff,
        ),
        ("admin/orders/cancel", vec!["number", "reason"], Who::Staff),
        ("admin/returns", vec!["show", "after"], Who::Staff),
        ("admin/customers", vec!["q", "after"], Who::Staff),
        ("admin/customers/detail", vec!["id"], Who::Staff),
        ("admin/customers/note", vec!["id", "body"], Who::Staff),
        ("admin/customers/reset", vec!["id"], Who::Staff),
        ("admin/discounts", vec!["q", "state", "after"], Who::Staff),
        ("admin/discounts/detail", vec!["id"], Who::Staff),
        ("admin/discounts/new", vec![], Who::Staff),
        ("admin/discounts/create", COUPON.to_vec(), Who::Staff),
        (
            "admin/discounts/update",
            [["id", "version"].as_slice(), &COUPON].concat(),
            Who::Staff,
        ),
        ("admin/discounts/pause", vec!["id", "to"], Who::Staff),
        ("admin/discounts/delete", vec!["id", "confirm"], Who::Staff),
        ("admin/settings/shipping", vec![], Who::Staff),
        (
            "admin/settings/shipping/zone",
            vec!["id", "version", "name", "countries[DE]"],
            Who::Staff,
        ),
        (
            "admin/settings/shipping/rate",
            vec![
                "id",
                "version",
                "zone",
                "name",
                "price",
                "free_over",
                "min_days",
                "max_days",
                "active",
            ],
            Who::Staff,
        ),
        (
            "admin/settings/shipping/delete",
            vec!["what", "id", "version", "confirm"],
            Who::Staff,
        ),
        ("admin/settings/tax", vec![], Who::Staff),
        (
            "admin/settings/tax/included",
            vec!["prices_include_tax"],
            Who::Staff,
        ),
        (
            "admin/settings/tax/rate",
            vec!["id", "version", "country", "region", "name", "rate"],
            Who::Staff,
        ),
        (
            "admin/settings/tax/delete",
            vec!["id", "version", "confirm"],
            Who::Staff,
        ),
        (
            "admin/customers/anonymise",
            vec!["id", "confirm"],
            Who::Staff,
        ),
        (
            "admin/returns/answer",
            vec!["number", "id", "decision", "message"],
            Who::Staff,
        ),
        (
            "admin/returns/receive",
            vec!["number", "id", "restock[0][id]", "restock[0][quantity]"],
            Who::Staff,
        ),
        (
            "admin/returns/refund",
            vec!["number", "id", "shipping", "amount", "currency", "key"],
            Who::Staff,
        ),
        (
            "admin/returns/policy",
            vec!["days", "instructions"],
            Who::Staff,
        ),
        (
            "admin/inventory/variant",
            vec!["variant", "before"],
            Who::Staff,
        ),
        (
            "admin/inventory/adjust",
            vec!["variant", "quantity", "reason", "note"],
            Who::Staff,
        ),
        (
            "admin/inventory/threshold",
            vec!["variant", "threshold"],
            Who::Staff,
        ),
        (
            "admin/inventory/shop-threshold",
            vec!["threshold"],
            Who::Staff,
        ),
    ]
}

/// The marker whose raw appearance in a page means markup was echoed unescaped.
const MARKUP: &str = "<img src=x onerror=alert(1)>";

/// What each argument is set to, one value at a time.
fn hostile_values() -> Vec<String> {
    vec![
        MARKUP.to_owned(),
        r#""'><script>alert(1)</script>"#.to_owned(),
        "' OR 1=1; DROP TABLE users; --".to_owned(),
        r"%_\".to_owned(),
        "A".repeat(10 * 1024),
        "\0".to_owned(),
        "a\0b@example.com".to_owned(),
        "\u{202E}gpj.exe".to_owned(),
        "🛒💥👩‍👩‍👧".to_owned(),
        "-1".to_owned(),
        "99999999999999999999999999".to_owned(),
        "-9223372036854775808".to_owned(),
        "1e309".to_owned(),
        "NaN".to_owned(),
        "abc".to_owned(),
        String::new(),
    ]
}

/// A harmless, well-formed value for each argument, so that one hostile argument at a
/// time meets the checks on its own field. Nothing here changes what the digest guards:
/// passwords are wrong ones, tokens match nothing, the email is an account's own.
fn benign(arg: &str) -> &'static str {
    match arg {
        "email" => "ada@example.com",
        "password" | "password_again" | "current_password" => "not-the-password-at-all",
        "token" => "0000000000000000000000000000000000000000000000000000000000000000",
        "id" | "number" | "variant_id" | "line_id" | "rate" | "use_address" => "1",
        "quantity" => "1",
        "code" => "NOPE",
        "slug" => "clothing",
        "query" => "q=hat",
        "key" | "make_default" | "billing_differs" | "line2" | "phone" | "region" => "",
        "payment_intent" => "pi_unknown",
        "payment_intent_client_secret" => "pi_unknown_secret_x",
        "card_number" => "4000000000000002",
        "name" | "billing_name" => "Grace Hopper",
        "line1" | "billing_line1" => "Keizersgracht 1",
        "city" | "billing_city" => "Amsterdam",
        "postal_code" | "billing_postal_code" => "1015 CJ",
        "country" | "billing_country" => "NL",
        _ => "",
    }
}

/// Every argument with its benign value but `hostile`, which gets `value`.
fn form_with(args: &[&'static str], hostile: &str, value: &str) -> String {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for arg in args {
        body.append_pair(arg, if *arg == hostile { value } else { benign(arg) });
    }
    body.finish()
}

/// Every argument set to `value`.
fn form(args: &[&'static str], value: &str) -> String {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for arg in args {
        body.append_pair(arg, value);
    }
    body.finish()
}

/// A client address of its own for each call: per-client limits are tested elsewhere,
/// and here they would hide the checks behind a 429.
fn next_client() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    std::net::Ipv4Addr::from(0x0a80_0000 + NEXT.fetch_add(1, Ordering::Relaxed)).to_string()
}

/// Whether the function at `path` (under `/api/`) takes a multipart form (a file
/// upload): the suite sends it its fields as one, each as text.
fn is_multipart(path: &str) -> bool {
    app::admin::multipart_paths().contains(&format!("/api/{path}").as_str())
}

/// Posts `body` to the function at `path` the way the hydrated page does (a
/// multipart function's urlencoded fields as a multipart form).
async fn call(
    app: &TestApp,
    path: &str,
    body: impl Into<Vec<u8>>,
    content_type: &str,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut body: Vec<u8> = body.into();
    let mut content_type = content_type.to_owned();
    if content_type == FORM && is_multipart(path) {
        let fields: Vec<(String, String)> = form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let parts: Vec<(&str, Option<&str>, &[u8])> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), None, v.as_bytes()))
            .collect();
        (content_type, body) = crate::common::multipart(&parts);
    }
    let mut req = app
        .client
        .post(app.url(&format!("/api/{path}")))
        .header("content-type", content_type.as_str())
        .header("accept", "application/json")
        .header("origin", "https://shop.example")
        .header("x-forwarded-for", next_client())
        .body(body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("a response")
}

/// Prices, stock, products, orders, coupons and accounts, as one digest: what hostile
/// input must never change. (Carts and a shopper's own addresses may change: adding a
/// line or saving an address named "🛒" is what those functions are for.)
async fn what_must_not_change(app: &TestApp) -> String {
    sqlx::query_scalar(
        "SELECT md5(concat_ws('|',
            (SELECT string_agg(concat_ws(',', id, price, compare_at_price, sku), ';' ORDER BY id) FROM variants),
            (SELECT string_agg(concat_ws(',', variant_id, on_hand), ';' ORDER BY variant_id) FROM inventory),
            (SELECT string_agg(concat_ws(',', id, name, slug, status, description), ';' ORDER BY id) FROM products),
            (SELECT string_agg(concat_ws(',', id, status, total), ';' ORDER BY id) FROM orders),
            (SELECT string_agg(concat_ws(',', id, code, kind, value, min_subtotal, starts_at,
                                          ends_at, max_uses, max_uses_per_customer, active),
                               ';' ORDER BY id) FROM coupons),
            (SELECT count(*) FROM coupon_redemptions),
            (SELECT string_agg(concat_ws(',', id, email, role, password_hash, session_epoch,
                                          email_verified_at), ';' ORDER BY id) FROM users)
         ))",
    )
    .fetch_one(&app.pool)
    .await
    .expect("digest")
}

#[tokio::test]
async fn every_registered_function_is_in_the_suites_list() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let listed: BTreeSet<String> = functions()
        .into_iter()
        .map(|(p, _, _)| p.to_owned())
        .collect();
    let missing: Vec<_> = registered.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "add these to functions() (with their arguments and who may call them): {missing:?}; \
         these are gone: {stale:?}"
    );
    // Every function is a POST under /api/, so the origin check covers them all.
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        assert!(path.starts_with("/api/"), "{path}");
        assert_eq!(method, axum::http::Method::POST, "{path}");
    }
}

#[tokio::test]
async fn cross_origin_posts_to_every_function_are_refused() {
    let app = seeded_app().await;
    let cookie = register(&app, "ada@example.com", None).await;
    for (path, args, _) in functions() {
        let post = |origin: Option<&str>| {
            let req = app
                .client
                .post(app.url(&format!("/api/{path}")))
                .header("content-type", FORM)
                .header("cookie", &cookie)
                .body(form(&args, "1"));
            match origin {
                Some(origin) => req.header("origin", origin).send(),
                None => req.send(),
            }
        };
        for origin in ["https://evil.example", "null", "http://shop.example"] {
            let res = post(Some(origin)).await.expect("post");
            assert_eq!(res.status(), 403, "{path} from {origin}");
        }
        // A cookie and no word of where the post comes from: refused too.
        let res = post(None).await.expect("post");
        assert_eq!(res.status(), 403, "{path} without an origin");
    }
}

#[tokio::test]
async fn every_staff_function_refuses_guests_and_customers() {
    let app = seeded_app().await;
    let customer = register(&app, "carol@example.com", None).await;
    for (path, args, who) in functions() {
        if who != Who::Staff {
            continue;
        }
        let body = form(&args, "1");
        let guest = call(&app, path, body.clone(), FORM, None).await;
        assert_eq!(guest.status(), 401, "{path} as a guest");
        let res = call(&app, path, body, FORM, Some(&customer)).await;
        assert_eq!(res.status(), 403, "{path} as a customer");
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn hostile_values_in_every_argument_of_every_function_are_answered_not_obeyed() {
    let app = seeded_app().await;
    let customer = register(&app, "ada@example.com", None).await;
    let (variant, _) = variant_in_stock(&app, 5).await;
    add_to_cart(&app, variant, 1, Some(&customer)).await;
    let guest = add_to_cart(&app, variant, 1, None)
        .await
        .expect("a guest session");
    // Carts may change (a hostile quantity is refused, a line may be added); nothing
    // else may.
    let before = what_must_not_change(&app).await;
    let values = hostile_values();
    let mut calls = 0;
    for (path, args, _) in functions() {
        // Signing out would end the sessions the rest of the suite uses.
        if path == "account/sign-out" {
            continue;
        }
        // Guesses of one account's password from anywhere are counted too: after thirty,
        // sign-ins for the benign email may answer "too many attempts".
        let per_account = path == "account/sign-in";
        let hostile_args: Vec<&str> = if args.is_empty() {
            vec![""]
        } else {
            args.clone()
        };
        for hostile in hostile_args {
            for value in &values {
                for cookie in [None, Some(guest.as_str()), Some(customer.as_str())] {
                    let res =
                        call(&app, path, form_with(&args, hostile, value), FORM, cookie).await;
                    calls += 1;
                    let status = res.status();
                    let kind = res
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let body = res.text().await.expect("body");
                    let shown = value.chars().take(40).collect::<String>();
                    assert!(
                        !status.is_server_error(),
                        "{path} with {hostile}={shown:?}: {status} {body:.300}"
                    );
                    assert!(
                        status != 429 || per_account,
                        "{path} with {hostile}={shown:?} met a rate limit, not its checks"
                    );
                    if body.contains(MARKUP) {
                        assert!(
                            !kind.starts_with("text/html"),
                            "{path} echoed markup into HTML"
                        );
                    }
                }
            }
        }
    }
    assert!(calls > 3000, "{calls} calls");
    assert_eq!(
        what_must_not_change(&app).await,
        before,
        "hostile input changed prices, stock, products, orders, coupons or accounts"
    );
}

#[tokio::test]
async fn malformed_oversized_and_mistyped_bodies_are_refused_cleanly() {
    let app = seeded_app().await;
    let cookie = register(&app, "ada@example.com", None).await;
    let huge = "a=".to_owned() + &"x".repeat(3 * 1024 * 1024);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (FORM, b"%zz=%%&&==&email=%".to_vec()),
        (FORM, b"\xff\xfe\x00garbage".to_vec()),
        (FORM, huge.into_bytes()),
        (
            "application/json",
            br#"{"email": ["not", "a", "string"]}"#.to_vec(),
        ),
        (
            "application/xml",
            b"<?xml version=\"1.0\"?><a>&xxe;</a>".to_vec(),
        ),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\ngarbage".to_vec(),
        ),
        ("text/plain", b"email=ada@example.com".to_vec()),
        ("", Vec::new()),
    ];
    for (path, _, _) in functions() {
        if path == "account/sign-out" {
            continue;
        }
        for (kind, body) in &bodies {
            let res = call(&app, path, body.clone(), kind, Some(&cookie)).await;
            assert!(
                !res.status().is_server_error(),
                "{path} with a {kind} body of {} bytes: {}",
                body.len(),
                res.status()
            );
        }
    }
}

#[tokio::test]
async fn plain_form_posts_show_hostile_values_only_as_text() {
    let app = seeded_app().await;
    let cookie = register(&app, "ada@example.com", None).await;
    let mut errors_shown = 0;
    for (path, args, _) in functions() {
        // A file upload's page sends a multipart form, never this one (tests/images.rs
        // has its refusals).
        if path == "account/sign-out" || args.is_empty() || is_multipart(path) {
            continue;
        }
        for hostile in &args {
            let body = form_with(&args, hostile, MARKUP);
            // The same call as a script makes it: did it fail?
            let failed = call(&app, path, body.clone(), FORM, Some(&cookie))
                .await
                .status()
                .is_client_error();
            let res = app
                .post_form(&format!("/api/{path}"), &body, Some(&cookie), "/cart")
                .await;
            assert!(res.status().is_redirection(), "{path}: {}", res.status());
            let cookie = session_cookie(&res).unwrap_or_else(|| cookie.clone());
            let location = res.headers()["location"]
                .to_str()
                .expect("location")
                .to_owned();
            assert!(
                !location.contains("__err"),
                "{path} put its error in the URL"
            );
            let url = if location.starts_with("http") {
                location.clone()
            } else {
                app.url(&location)
            };
            let page = app
                .client
                .get(url)
                .header("cookie", &cookie)
                .header("accept", "text/html")
                .send()
                .await
                .expect("the page it lands on");
            assert!(!page.status().is_server_error(), "{path} → {location}");
            let html = page.text().await.expect("page");
            assert!(!html.contains(MARKUP), "{path} → {location} echoed markup");
            if failed && location.ends_with("/cart") {
                // The error waits for the page the form was on, named for its function.
                assert!(
                    html.contains(&format!("data-form-error-path=\"/api/{path}\"")),
                    "{path}'s error did not reach /cart"
                );
                errors_shown += 1;
            }
        }
    }
    assert!(
        errors_shown > 20,
        "{errors_shown} errors were carried to their page"
    );
    // The cart's own coupon form shows its error, with the code escaped.
    let (variant, _) = variant_in_stock(&app, 5).await;
    add_to_cart(&app, variant, 1, Some(&cookie)).await;
    let res = app
        .client
        .post(app.url("/api/cart/coupon"))
        .header("content-type", FORM)
        .header("accept", "text/html")
        .header("origin", "https://shop.example")
        .header("referer", app.url("/cart"))
        .header("x-forwarded-for", next_client())
        .header("cookie", &cookie)
        .body(form(&["code"], MARKUP))
        .send()
        .await
        .expect("post");
    let cookie = session_cookie(&res).unwrap_or_else(|| cookie.clone());
    let html = app.page("/cart", &cookie).await;
    assert!(
        html.contains("know the code &lt;img src=x onerror=alert(1)&gt;"),
        "{html:.300}"
    );
}

#[tokio::test]
async fn every_page_takes_hostile_paths_and_query_strings_in_its_stride() {
    let app = seeded_app().await;
    let routes: Vec<String> = server::http::route_list()
        .into_iter()
        .map(|route| route.path().to_owned())
        .collect();
    assert!(routes.len() >= 20, "{routes:?}");
    let segments = [
        "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
        "%00",
        "%E2%80%AE",
        "-1",
        "99999999999999999999999",
        "%25_%5C",
        "%F0%9F%9B%92",
    ];
    let query = "?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&page=-1&sort=%00&min_price=1e309\
                 &max_price=NaN&opt=%3Cb%3E:%3Ci%3E&category=%27--&token=%00&key=%3Cx%3E\
                 &variant=-9&use_address=abc";
    let with_params = routes.iter().filter(|r| r.contains('{')).count();
    assert!(with_params >= 4, "routes with parameters: {routes:?}");
    let customer = register(&app, "ada@example.com", None).await;
    for route in &routes {
        for segment in segments {
            let path = route
                .split('/')
                .map(|part| if part.starts_with('{') { segment } else { part })
                .collect::<Vec<_>>()
                .join("/");
            let path = if path.is_empty() {
                "/".to_owned()
            } else {
                path
            };
            for url in [path.clone(), format!("{path}{query}")] {
                for cookie in [None, Some(customer.as_str())] {
                    let mut req = app.client.get(app.url(&url)).header("accept", "text/html");
                    if let Some(c) = cookie {
                        req = req.header("cookie", c);
                    }
                    let res = req.send().await.expect("page");
                    let status = res.status();
                    let html = res.text().await.expect("page");
                    assert!(!status.is_server_error(), "{url}: {status}");
                    assert!(!html.contains(MARKUP), "{url} echoed markup");
                }
            }
        }
    }
}
