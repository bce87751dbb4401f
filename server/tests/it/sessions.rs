//! Sessions in Postgres and the same-origin check on state-changing requests.

use crate::common::spawn_app;
use axum::routing::get;
use axum::Router;
use mercato::db::testing::TestDb;
use server::sessions;
use tower_sessions::Session;

/// A router whose only page writes to the session, behind the shop's session layer.
async fn session_app(pool: sqlx::PgPool, secure: bool) -> (String, tokio::task::JoinHandle<()>) {
    async fn visit(session: Session) -> String {
        let visits: u32 = session.get("visits").await.ok().flatten().unwrap_or(0);
        let _ = session.insert("visits", visits + 1).await;
        (visits + 1).to_string()
    }
    let router = Router::new()
        .route("/visit", get(visit))
        .layer(sessions::layer(pool, secure));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url, task)
}

#[tokio::test]
async fn sessions_live_in_postgres_behind_a_locked_down_cookie() {
    let db = TestDb::new().await.expect("database");
    let (url, _task) = session_app(db.pool.clone(), true).await;
    let client = reqwest::Client::new();

    let first = client
        .get(format!("{url}/visit"))
        .send()
        .await
        .expect("visit");
    let cookie = first.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("mercato_session="), "{cookie}");
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
        "Path=/",
        "Max-Age=2592000",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert_eq!(first.text().await.expect("body"), "1");

    // The next request with the cookie finds the data, which is in the table.
    let visit = |cookie: String| {
        let request = client.get(format!("{url}/visit")).header("cookie", cookie);
        async move {
            let res = request.send().await.expect("visit");
            assert_eq!(res.status(), 200);
            res.text().await.expect("body")
        }
    };
    let pair = cookie.split(';').next().expect("name=value").to_owned();
    assert_eq!(visit(pair.clone()).await, "2");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE expiry_date > now()")
        .fetch_one(&db.pool)
        .await
        .expect("sessions");
    assert_eq!(rows, 1);

    // An unknown or expired id is a fresh, empty session, never an error.
    sqlx::query("UPDATE sessions SET expiry_date = now() - interval '1 second'")
        .execute(&db.pool)
        .await
        .expect("expire");
    assert_eq!(visit(pair).await, "1");
    assert_eq!(visit("mercato_session=not-a-real-id".to_owned()).await, "1");

    // Expired rows are deleted by the store's clean-up.
    use tower_sessions::ExpiredDeletion;
    sessions::store(db.pool.clone())
        .delete_expired()
        .await
        .expect("delete expired");
    let expired_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE expiry_date <= now()")
            .fetch_one(&db.pool)
            .await
            .expect("count");
    assert_eq!(expired_rows, 0);
}

#[tokio::test]
async fn over_plain_http_the_cookie_is_not_marked_secure() {
    let db = TestDb::new().await.expect("database");
    let (url, _task) = session_app(db.pool.clone(), false).await;
    let res = reqwest::get(format!("{url}/visit")).await.expect("visit");
    let cookie = res.headers()["set-cookie"].to_str().expect("ascii");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
}

#[tokio::test]
async fn state_changing_requests_from_other_sites_are_refused() {
    let app = spawn_app().await;
    // Any POST will do: the check runs before routing. The shop's public address in
    // tests is https://shop.example.
    let post = |origin: Option<&'static str>, referer: Option<&'static str>| {
        let mut req = app
            .client
            .post(app.url("/api/catalog/departments"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("");
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(r) = referer {
            req = req.header("referer", r);
        }
        req.send()
    };
    let forbidden = post(Some("https://evil.example"), None)
        .await
        .expect("post");
    assert_eq!(forbidden.status(), 403);
    assert!(forbidden
        .text()
        .await
        .expect("body")
        .contains("sent from another website"));
    assert_eq!(
        post(None, Some("https://evil.example/page"))
            .await
            .expect("post")
            .status(),
        403
    );
    assert_eq!(post(Some("null"), None).await.expect("post").status(), 403);

    for (origin, referer) in [
        (Some("https://shop.example"), None),
        (None, Some("https://shop.example/c/clothing")),
        // No browser sent it (curl, a webhook): no shopper's cookies ride along.
        (None, None),
    ] {
        let res = post(origin, referer).await.expect("post");
        assert_ne!(res.status(), 403, "{origin:?} {referer:?}");
    }
    // The shop reached under the host the request names (localhost in development),
    // under the public address's scheme only.
    let from_own_host = |scheme: &str| {
        app.client
            .post(app.url("/api/catalog/departments"))
            .header("origin", format!("{scheme}://{}", app.addr))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
    };
    assert_ne!(from_own_host("https").await.expect("post").status(), 403);
    assert_eq!(from_own_host("http").await.expect("post").status(), 403);
    // With the session cookie, a post must say where it comes from.
    let with_cookie = |fetch_site: Option<&'static str>| {
        let req = app
            .client
            .post(app.url("/api/catalog/departments"))
            .header("cookie", "mercato_session=anything")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("");
        match fetch_site {
            Some(site) => req.header("sec-fetch-site", site).send(),
            None => req.send(),
        }
    };
    assert_eq!(with_cookie(None).await.expect("post").status(), 403);
    assert_eq!(
        with_cookie(Some("cross-site"))
            .await
            .expect("post")
            .status(),
        403
    );
    assert_ne!(
        with_cookie(Some("same-origin"))
            .await
            .expect("post")
            .status(),
        403
    );
    // Reading is never refused.
    let get = app
        .client
        .get(app.url("/c/clothing"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("get");
    assert_ne!(get.status(), 403);
}
