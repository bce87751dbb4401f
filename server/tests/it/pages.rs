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
