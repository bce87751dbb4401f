//! What a page may carry and what a browser is told about it: hostile text in titles,
//! meta tags and structured data stays text; every response carries the security
//! headers, with a nonce that matches the page's scripts; form errors cannot be written
//! into a URL; odd paths and emails get a 404 or a field error, never a 500; staff
//! sessions end sooner than shoppers'.

use crate::common::{register, seeded_app, seeded_app_tweaked, sign_in, TestApp, PASSWORD};
use std::time::Duration;

/// Markup that breaks out of a title, an attribute, a script or a comment.
const HOSTILE: &str = r#"</title><img src=x onerror=alert(1)>"'&<!--<script>alert(2)</script>"#;

/// The text between `<title>` and `</title>`.
fn title(html: &str) -> &str {
    let start = html.find("<title>").expect("a title") + "<title>".len();
    let end = html[start..].find("</title>").expect("the title ends") + start;
    &html[start..end]
}

/// Every JSON-LD block's text.
fn json_ld(html: &str) -> Vec<&str> {
    let open = r#"<script type="application/ld+json">"#;
    html.match_indices(open)
        .map(|(at, _)| {
            let start = at + open.len();
            let end = html[start..].find("</script>").expect("the block ends") + start;
            &html[start..end]
        })
        .collect()
}

/// Whether `html` shows `HOSTILE` only as text: no element of its making, no raw `<` in
/// a title or structured data.
fn only_as_text(html: &str) {
    assert!(!html.contains("<img src=x"), "an element was made");
    assert!(!html.contains("<script>alert"), "a script was made");
    assert!(!title(html).contains('<'), "title: {}", title(html));
    for block in json_ld(html) {
        assert!(
            !block.contains('<') && !block.contains('>') && !block.contains('&'),
            "JSON-LD: {block}"
        );
        let _: serde_json::Value = serde_json::from_str(block).expect("still JSON");
    }
}

async fn page(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert!(
        res.status().is_success() || res.status() == 404,
        "{path}: {}",
        res.status()
    );
    res.text().await.expect("page")
}

#[tokio::test]
async fn hostile_names_stay_text_in_titles_meta_tags_and_structured_data() {
    let app = seeded_app().await;
    let (product, slug, category): (i64, String, String) = sqlx::query_as(
        "SELECT p.id, p.slug, c.slug FROM products p JOIN categories c ON c.id = p.category_id
         WHERE p.status = 'active' ORDER BY p.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a product");
    sqlx::query("UPDATE products SET name = $2, description = $2, seo_title = NULL WHERE id = $1")
        .bind(product)
        .bind(HOSTILE)
        .execute(&app.pool)
        .await
        .expect("a hostile product");
    sqlx::query("UPDATE categories SET name = $2, description = $2 WHERE slug = $1")
        .bind(&category)
        .bind(HOSTILE)
        .execute(&app.pool)
        .await
        .expect("a hostile category");
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('shop_name', $1), ('tagline', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
    )
    .bind(HOSTILE)
    .execute(&app.pool)
    .await
    .expect("a hostile shop name");

    let search = format!(
        "/search?q={}",
        form_urlencoded::byte_serialize(HOSTILE.as_bytes()).collect::<String>()
    );
    for path in [
        "/".to_owned(),
        format!("/p/{slug}"),
        format!("/c/{category}"),
        search,
        "/search?q=%3C%2Ftitle%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E".to_owned(),
        "/cart".to_owned(),
        "/account".to_owned(),
        "/no-such-page".to_owned(),
    ] {
        let html = page(&app, &path).await;
        only_as_text(&html);
        // The text itself is there, escaped, where a reader or a search engine reads it.
        if path.starts_with("/p/") {
            assert!(
                title(&html).contains("&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;"),
                "{}",
                title(&html)
            );
            let open = r#"<meta name="description" content=""#;
            let at = html.find(open).expect("a description") + open.len();
            let content = &html[at..at + html[at..].find('"').expect("it ends")];
            assert!(content.starts_with("&lt;/title&gt;&lt;img"), "{content}");
            assert!(!content.contains('<'), "{content}");
            assert_eq!(json_ld(&html).len(), 1, "the product's structured data");
        }
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers_with_the_pages_own_nonce() {
    let app = seeded_app().await;
    let mut nonces = vec![];
    for path in [
        "/",
        "/c/clothing",
        "/search?q=hat",
        "/cart",
        "/no-such-page",
    ] {
        let res = app.get(path).await;
        let headers = res.headers().clone();
        let csp = headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .to_owned();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            headers["referrer-policy"],
            "strict-origin-when-cross-origin"
        );
        assert_eq!(headers["x-frame-options"], "SAMEORIGIN");
        // The test shop's public address is https://shop.example.
        assert!(headers["strict-transport-security"]
            .to_str()
            .expect("hsts")
            .starts_with("max-age="));
        assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"),
            "{csp}"
        );
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce")
            .to_owned();
        let html = res.text().await.expect("page");
        // Every inline script carries it (structured data is data, not a script).
        let scripts = html.matches("<script").count();
        let nonced = html.matches(&format!("<script nonce=\"{nonce}\"")).count()
            + html
                .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count();
        let data = html.matches("<script type=\"application/ld+json\"").count();
        assert_eq!(scripts, nonced + data, "{path}");
        assert!(nonced >= 1, "{path}");
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 5, "a fresh nonce per response");
    // Static files and server functions carry the headers too.
    let res = app.get("/robots.txt").await;
    assert!(res.headers().contains_key("content-security-policy"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_form_error_written_into_a_url_is_never_shown() {
    let app = seeded_app().await;
    // What Leptos would put there: the sign-in function's path and a base64 error.
    let forged = "Your account is locked. Call +1 555 0100 to unlock it.";
    let err = base64_url(
        &serde_json::to_vec(&app::error::AppError::BadRequest(forged.to_owned())).expect("json"),
    );
    let res = app
        .get(&format!(
            "/account?__path=%2Fapi%2Faccount%2Fsign-in&__err={err}&keep=1"
        ))
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account?keep=1");
    let html = page(&app, "/account?keep=1").await;
    assert!(!html.contains("Call +1 555"), "the forged text is gone");

    // A real error from a plain post shows once, on the page it was meant for.
    let res = sign_in(&app, "nobody@example.com", PASSWORD, None).await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(!location.contains("__err"), "{location}");
    let cookie = crate::common::session_cookie(&res).expect("a session for the message");
    let shown = app.page("/account", &cookie).await;
    assert!(shown.contains("match an account"), "shown");
    assert!(shown.contains("data-form-error-path=\"/api/account/sign-in\""));
    let again = app.page("/account", &cookie).await;
    assert!(!again.contains("match an account"), "once");
}

#[tokio::test]
async fn a_refused_form_comes_back_with_what_was_typed_but_never_a_secret() {
    let app = seeded_app().await;
    let secret = "my+very+secret+password";
    let res = sign_in(&app, "ada%40example.com", secret, None).await;
    let cookie = crate::common::session_cookie(&res).expect("a session for the message");
    let shown = app.page("/account", &cookie).await;
    assert!(shown.contains("match an account"), "the message");
    assert!(
        shown.contains(r#"value="ada@example.com""#),
        "the email typed is in its field"
    );
    assert!(!shown.contains("very secret"), "the password is not");
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sessions WHERE position(convert_to('very secret', 'UTF8') IN data) > 0",
    )
    .fetch_one(&app.pool)
    .await
    .expect("sessions");
    assert_eq!(stored, 0, "nor kept in the session");
    // Shown once: the next view starts empty.
    let again = app.page("/account", &cookie).await;
    assert!(!again.contains(r#"value="ada@example.com""#));

    // A checkout form with one field missing keeps the others, and its choices.
    let (variant, _) = crate::common::variant_in_stock(&app, 1).await;
    let cookie = crate::common::add_to_cart(&app, variant, 1, None)
        .await
        .expect("a cart");
    let res = app
        .post_form(
            "/api/checkout/details",
            "email=grace%40example.com&name=&line1=Keizersgracht+1&line2=&city=Amsterdam\
             &region=&postal_code=1015+CJ&country=NL&phone=&billing_differs=on\
             &billing_name=G.+Hopper&billing_line1=&billing_line2=&billing_city=\
             &billing_region=&billing_postal_code=&billing_country=",
            Some(&cookie),
            "/checkout",
        )
        .await;
    assert_eq!(res.status(), 302);
    let shown = app.page("/checkout", &cookie).await;
    for kept in [
        r#"value="grace@example.com""#,
        r#"value="Keizersgracht 1""#,
        r#"value="G. Hopper""#,
        r#"<option value="NL" selected"#,
        "<details open",
        r#"name="billing_differs" value="on" checked"#,
    ] {
        assert!(shown.contains(kept), "{kept} was lost");
    }
}

fn base64_url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

#[tokio::test]
async fn odd_paths_and_emails_are_not_found_or_refused_never_a_fault() {
    let app = seeded_app().await;
    for path in [
        "/p/a%00b",
        "/c/a%00b",
        "/p/%3Cscript%3E",
        "/c/..%2F..%2Fetc%2Fpasswd",
        "/p/UPPER",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
    }
    for (email, status) in [("ada%00@example.com", 422), ("a%00", 422)] {
        let res = app
            .call(
                "/api/account/sign-in",
                &format!("email={email}&password={PASSWORD}"),
                None,
            )
            .await;
        assert_eq!(res.status(), status, "{email}");
        let body = res.text().await.expect("body");
        assert!(
            body.contains("email"),
            "a message about the email field: {body}"
        );
    }
    let res = app
        .call("/api/account/forgot", "email=ada%00@example.com", None)
        .await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn a_staff_sign_in_ends_after_its_lifetime_a_shoppers_does_not() {
    for (lifetime, staff_status) in [(Duration::from_secs(3600), 200), (Duration::ZERO, 401)] {
        let app = seeded_app_tweaked(|state| state.staff_session = lifetime).await;
        let staff = register(&app, "sam@example.com", None).await;
        let shopper = register(&app, "ada@example.com", None).await;
        crate::common::set_role(
            &app.pool,
            "sam@example.com",
            mercato::accounts::Role::Staff,
            Some("Manager"),
        )
        .await;
        let res = app.call("/api/admin/dashboard", "", Some(&staff)).await;
        assert_eq!(res.status(), staff_status, "{lifetime:?}");
        if staff_status == 401 {
            // Ended, not merely refused: the session is a guest's from now on.
            let me = app.call("/api/account/me", "", Some(&staff)).await;
            assert_eq!(me.text().await.expect("body"), "null");
        }
        assert!(app
            .page("/account", &shopper)
            .await
            .contains("ada@example.com"));
    }
}

#[tokio::test]
async fn a_url_that_redirects_to_itself_never_leaves_the_shop() {
    let app = seeded_app().await;
    let res = app.get("//evil.example?__err=x&__path=y").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/evil.example");
    let res = app.get("///evil.example/a?q=1&__err=x").await;
    assert_eq!(res.headers()["location"], "/evil.example/a?q=1");
}
