//! The pages a shopper gets, served by the real router against a real database.

use crate::common::spawn_app;

#[tokio::test]
async fn healthz_answers_while_the_process_is_up() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn readyz_is_200_when_the_database_answers() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.expect("body"), "ready");
}

#[tokio::test]
async fn the_home_page_shows_the_shop_name_and_tagline_from_the_database() {
    let app = spawn_app().await;
    sqlx::query(
        "UPDATE settings SET value = CASE key WHEN 'shop_name' THEN 'Corner Store' \
         ELSE 'Fresh bread daily' END WHERE key IN ('shop_name', 'tagline')",
    )
    .execute(&app.pool)
    .await
    .expect("update settings");

    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let html = res.text().await.expect("body");
    assert!(html.contains("Corner Store"), "shop name missing");
    assert!(html.contains("Fresh bread daily"), "tagline missing");
    assert!(
        html.contains("<title>Corner Store</title>"),
        "title missing: {html}"
    );
    assert!(html.contains(r#"action="/search""#), "search form missing");
}

#[tokio::test]
async fn an_unknown_path_gets_the_404_page_in_the_shop_layout() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.expect("body");
    assert!(
        html.contains("We couldn&#x27;t find that page")
            || html.contains("We couldn't find that page")
    );
    assert!(
        html.contains(r#"aria-label="Categories""#),
        "header missing"
    );
    assert!(html.contains("Powered by Mercato"), "footer missing");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    let id = res.headers()["x-request-id"].to_str().expect("ascii");
    assert_eq!(id.len(), 36, "a UUID: {id}");
}

#[tokio::test]
async fn pages_are_compressed_for_browsers_that_accept_it() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn static_files_carry_cache_headers() {
    let app = spawn_app().await;
    let css = app.get("/pkg/mercato.css").await;
    assert_eq!(css.status(), 200);
    // This app was built without hashed names, so the bundle must be revalidated.
    assert_eq!(css.headers()["cache-control"], "no-cache");
    let icon = app.get("/favicon.svg").await;
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["cache-control"], "public, max-age=3600");
    let page = app.get("/").await;
    assert!(page.headers().get("cache-control").is_none());
}

#[tokio::test]
async fn the_shop_info_server_fn_reads_the_database() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/shop_info"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body("")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let body = res.text().await.expect("body");
    assert!(body.contains(r#""name":"Mercato""#), "{body}");
}

#[tokio::test]
async fn catalog_pages_are_shared_by_the_shoppers_they_look_the_same_for() {
    use crate::common::{add_to_cart, seeded_app_with_page_cache};
    let app = seeded_app_with_page_cache(std::time::Duration::from_secs(300)).await;
    let (product, slug, name): (i64, String, String) = sqlx::query_as(
        "SELECT id, slug, name FROM products WHERE status = 'active' AND in_stock ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a product");
    let path = format!("/p/{slug}");
    let first = app.get(&path).await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("set-cookie").is_none());
    let first = first.text().await.expect("page");
    assert!(first.contains(&name));

    // Renamed: visitors without a session still get the page as it was rendered...
    sqlx::query("UPDATE products SET name = 'Renamed Product' WHERE id = $1")
        .bind(product)
        .execute(&app.pool)
        .await
        .expect("rename");
    let second = app.get(&path).await;
    assert!(
        second.headers().get("x-request-id").is_some(),
        "still its own request"
    );
    // The same page, but for its script nonce: every response gets its own.
    let nonce = |page: &str| {
        let at = page.find("nonce=\"").expect("a nonce") + 7;
        page[at..at + 32].to_owned()
    };
    let csp = second.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    let second = second.text().await.expect("page");
    assert_ne!(nonce(&second), nonce(&first));
    assert!(
        csp.contains(&format!("'nonce-{}'", nonce(&second))),
        "the kept page carries the nonce its response allows"
    );
    assert_eq!(second.replace(&nonce(&second), &nonce(&first)), first);

    // Guests with a cart share it with guests whose carts hold as many items: the count
    // in the header is the only part that is theirs.
    let variant: i64 = sqlx::query_scalar(
        "SELECT v.id FROM variants v JOIN inventory i ON i.variant_id = v.id
         WHERE i.on_hand > 5 ORDER BY v.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("variant");
    let shopper = |n: u32| {
        let app = &app;
        async move { add_to_cart(app, variant, n, None).await.expect("a session") }
    };
    let (ada, grace, alan) = (shopper(1).await, shopper(1).await, shopper(2).await);
    let view = |cookie: String| {
        let (app, path) = (&app, path.clone());
        async move {
            let res = app
                .client
                .get(app.url(&path))
                .header("cookie", cookie)
                .header("accept", "text/html")
                .send()
                .await
                .expect("page");
            assert_eq!(res.status(), 200);
            assert!(res.headers().get("set-cookie").is_none(), "nothing changed");
            let how = res.headers()["x-page-cache"]
                .to_str()
                .expect("ascii")
                .to_owned();
            (how, res.text().await.expect("page"))
        }
    };
    let (how, page) = view(ada).await;
    assert_eq!(how, "miss", "the first guest with one item");
    assert!(page.contains("Renamed Product") && page.contains("Cart, 1 item"));
    let (how, page) = view(grace).await;
    assert_eq!(how, "hit", "another guest with one item");
    assert!(page.contains("Cart, 1 item"));
    let (how, page) = view(alan.clone()).await;
    assert_eq!(how, "miss", "two items: another page");
    assert!(page.contains("Cart, 2 items"));

    // Signed-in shoppers share pages too, apart from guests: their header says
    // "Account". Their session is still checked on each request.
    for email in ["ada@example.com", "grace@example.com", "sam@example.com"] {
        mercato::accounts::store::upsert_with_role(
            &app.pool,
            email,
            crate::common::PASSWORD,
            mercato::accounts::Role::Customer,
        )
        .await
        .expect("an account");
    }
    let account = |email: &'static str| {
        let app = &app;
        async move {
            let signed_in = crate::common::sign_in(app, email, crate::common::PASSWORD, None).await;
            crate::common::session_cookie(&signed_in).expect("signed in")
        }
    };
    let (ada_account, grace_account) = (
        account("ada@example.com").await,
        account("grace@example.com").await,
    );
    let account_link = ">Account</span>";
    let (how, page) = view(ada_account.clone()).await;
    assert_eq!(
        how, "miss",
        "the first signed-in shopper with an empty cart"
    );
    assert!(page.contains(account_link) && !page.contains(">Sign in</span>"));
    assert!(
        !page.contains("ada@example.com"),
        "nothing of hers is in it"
    );
    let (how, page) = view(grace_account.clone()).await;
    assert_eq!(how, "hit", "another signed-in shopper with an empty cart");
    assert!(page.contains(account_link));
    // Signed in with one item: not the guests' one-item page (kept above).
    add_to_cart(&app, variant, 1, Some(&grace_account)).await;
    let (how, page) = view(grace_account).await;
    assert_eq!(how, "miss", "signed in, one item: a page of its own");
    assert!(page.contains(account_link) && page.contains("Cart, 1 item"));
    // Staff see the shop as customers do: the same page.
    let staff = account("sam@example.com").await;
    crate::common::set_role(
        &app.pool,
        "sam@example.com",
        mercato::accounts::Role::Staff,
        Some("Manager"),
    )
    .await;
    let (how, page) = view(staff).await;
    assert_eq!(how, "hit", "a staff member with an empty cart");
    assert!(page.contains(account_link) && !page.contains("/admin"));

    // Their session sent under a cookie name spelled otherwise (the session layer
    // decodes it) is still theirs: never given the page kept for visitors without one.
    let id = ada_account
        .strip_prefix("mercato_session=")
        .expect("the session cookie");
    let other_path = "/c/clothing";
    let sneaky = app
        .client
        .get(app.url(other_path))
        .header("cookie", format!("mercato%5Fsession={id}"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert_eq!(
        sneaky.headers()["x-page-cache"],
        "miss",
        "the signed-in page"
    );
    assert!(sneaky.text().await.expect("page").contains(account_link));
    let anyone = app.get(other_path).await;
    assert_eq!(anyone.headers()["x-page-cache"], "miss", "another page");
    let anyone = anyone.text().await.expect("page");
    assert!(!anyone.contains(account_link), "a guest's header");
    assert!(anyone.contains(">Sign in</span>"));

    // Her password changed on another device: the check ends this session before a
    // page is chosen, and she is shown a guest's page, not the signed-in one.
    sqlx::query("UPDATE users SET session_epoch = session_epoch + 1 WHERE email = $1")
        .bind("ada@example.com")
        .execute(&app.pool)
        .await
        .expect("password changed elsewhere");
    let ended = app
        .client
        .get(app.url(&path))
        .header("cookie", &ada_account)
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert_eq!(ended.status(), 200);
    assert!(
        ended.headers().get("x-page-cache").is_none(),
        "rendered for this request alone"
    );
    assert!(
        crate::common::session_cookie(&ended).is_some()
            || ended.headers().get("set-cookie").is_some(),
        "the ended session's cookie is replaced"
    );
    let ended = ended.text().await.expect("page");
    assert!(!ended.contains(account_link), "signed out");
    assert!(ended.contains(">Sign in</span>"));
    let account_page = app
        .client
        .get(app.url("/account"))
        .header("cookie", &ada_account)
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert!(
        !account_page
            .text()
            .await
            .expect("page")
            .contains("ada@example.com"),
        "the session stays ended"
    );

    // Other URLs are other pages; errors are never kept.
    let missing = app.get("/p/no-such-product").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(app.get("/p/no-such-product").await.status(), 404);
}

/// Building a shop's router works out the app's routes by rendering it with resource
/// loading switched off process-wide (leptos_server's flag). The routes are worked out
/// once per process, so shops built while another renders pages (the integration tests
/// run side by side) leave every render to finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shops_built_while_pages_render_leave_every_render_to_finish() {
    let app = std::sync::Arc::new(crate::common::seeded_app().await);
    // A render that never finishes would otherwise hang the test, not fail it.
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client");
    let pool = app.pool.clone();
    let builders = tokio::spawn(async move {
        for _ in 0..30 {
            crate::common::spawn_app_with_pool(pool.clone()).await;
        }
    });
    let pages = mercato::cache::at_once(60, {
        let app = app.clone();
        move |n| {
            let (app, client) = (app.clone(), client.clone());
            async move {
                let path = ["/", "/c/clothing", "/search?q=mug", "/cart"][n % 4];
                client
                    .get(app.url(path))
                    .header("cookie", "mercato_session=no-such-session")
                    .send()
                    .await
                    .map(|res| res.status().as_u16())
            }
        }
    })
    .await;
    builders.await.expect("the shops were built");
    for page in pages {
        assert_eq!(page.expect("the page finished"), 200);
    }
}
