//! Spawns the real router on a random port against a fresh, migrated database.

pub mod checkout;
pub mod fake_stripe;

use app::state::AppState;
use leptos::config::LeptosOptions;
use mercato::db::testing::TestDb;
use mercato::payments::test_provider::TestProvider;
use mercato::payments::Payments;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub pool: PgPool,
    /// The shop's bound on password hashing.
    pub hashing: std::sync::Arc<mercato::accounts::password::Gate>,
    /// Where the shop keeps uploaded pictures (for the tests that make renditions),
    /// and the folder that is.
    pub media: std::sync::Arc<dyn mercato::storage::Storage>,
    pub media_dir: std::path::PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestApp {
    /// This app's database, for the helpers that need only that.
    pub fn shop(&self) -> Shop {
        Shop {
            pool: self.pool.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the test server")
    }
}

impl TestApp {
    /// Posts a form the way a browser without JavaScript does, from the page `referer`,
    /// with the session `cookie` if there is one.
    pub async fn post_form(
        &self,
        path: &str,
        body: &str,
        cookie: Option<&str>,
        referer: &str,
    ) -> reqwest::Response {
        self.post(path, body, cookie, "text/html,application/xhtml+xml")
            .header("referer", self.url(referer))
            .send()
            .await
            .expect("post")
    }

    /// Calls a server function the way the hydrated page does (JSON back, no redirect).
    pub async fn call(&self, path: &str, body: &str, cookie: Option<&str>) -> reqwest::Response {
        self.post(path, body, cookie, "application/json")
            .send()
            .await
            .expect("server function call")
    }

    /// Calls a server function that takes a multipart form (a file upload) the way a
    /// script does: `fields` are (name, file name for a file, bytes).
    pub async fn call_multipart(
        &self,
        path: &str,
        fields: &[(&str, Option<&str>, &[u8])],
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let (content_type, body) = multipart(fields);
        let req = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .header("accept", "application/json")
            .header("origin", "https://shop.example")
            .body(body);
        match cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        }
        .send()
        .await
        .expect("upload")
    }

    /// A same-origin form post of `body` to `path`.
    fn post(
        &self,
        path: &str,
        body: &str,
        cookie: Option<&str>,
        accept: &str,
    ) -> reqwest::RequestBuilder {
        let req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", accept)
            .header("origin", "https://shop.example")
            .body(body.to_owned());
        match cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        }
    }

    /// A page's HTML for the session `cookie`, asked for as a browser does.
    pub async fn page(&self, path: &str, cookie: &str) -> String {
        let res = self
            .client
            .get(self.url(path))
            .header("cookie", cookie)
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .expect("page");
        assert_eq!(res.status(), 200, "{path}");
        res.text().await.expect("body")
    }
}

/// A `multipart/form-data` body of `fields` (name, file name for a file, bytes), and
/// its content type.
pub fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "mercato-test-boundary-7d1c";
    let mut body = Vec::new();
    for (name, file, bytes) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(file) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// A 1 × 1 PNG.
pub const TINY_PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 100, 96, 248, 95, 15, 0, 2,
    135, 1, 128, 235, 71, 186, 146, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

/// The `name=value` of the session cookie a response sets, if it sets one.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mercato_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A fresh database holding the demo catalog, for tests of the domain that need no
/// server: no router is built and no port is opened.
pub struct Shop {
    pub pool: PgPool,
}

/// How many audit entries `action` has about the subject numbered `id`.
pub async fn audited(shop: &Shop, action: &str, id: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1 AND subject_id = $2")
        .bind(action)
        .bind(id.to_string())
        .fetch_one(&shop.pool)
        .await
        .expect("audit")
}

pub async fn seeded_db() -> Shop {
    let db = TestDb::new().await.expect("a fresh test database");
    mercato::catalog::seed::seed_demo_if_empty(&db.pool)
        .await
        .expect("seed the demo catalog");
    Shop { pool: db.pool }
}

/// The app on a fresh database.
pub async fn spawn_app() -> TestApp {
    let db = TestDb::new().await.expect("a fresh test database");
    spawn_app_with_pool(db.pool).await
}

/// The app on a fresh database holding the demo catalog.
pub async fn seeded_app() -> TestApp {
    let app = spawn_app().await;
    let seeded = mercato::catalog::seed::seed_demo_if_empty(&app.pool)
        .await
        .expect("seed the demo catalog");
    assert!(seeded.is_some_and(|n| n >= 200), "{seeded:?}");
    app
}

/// The app on a database the test prepared itself.
pub async fn spawn_app_with_pool(pool: PgPool) -> TestApp {
    spawn_app_with(pool, Payments::Test(TestProvider)).await
}

/// The demo shop taking payments with `payments`.
pub async fn seeded_app_with(payments: Payments) -> TestApp {
    let db = TestDb::new().await.expect("a fresh test database");
    mercato::catalog::seed::seed_demo_if_empty(&db.pool)
        .await
        .expect("seed the demo catalog");
    spawn_app_with(db.pool, payments).await
}

async fn spawn_app_with(pool: PgPool, payments: Payments) -> TestApp {
    // No page cache: tests change stock and prices and look again at once.
    spawn_app_full(pool, payments, Duration::ZERO, |_| {}).await
}

/// The demo shop, its state changed by `tweak` before it starts.
pub async fn seeded_app_tweaked(tweak: impl FnOnce(&mut AppState)) -> TestApp {
    let db = TestDb::new().await.expect("a fresh test database");
    mercato::catalog::seed::seed_demo_if_empty(&db.pool)
        .await
        .expect("seed the demo catalog");
    spawn_app_full(db.pool, Payments::Test(TestProvider), Duration::ZERO, tweak).await
}

/// The demo shop serving catalog pages from its page cache for `page_cache`.
pub async fn seeded_app_with_page_cache(page_cache: Duration) -> TestApp {
    let db = TestDb::new().await.expect("a fresh test database");
    mercato::catalog::seed::seed_demo_if_empty(&db.pool)
        .await
        .expect("seed the demo catalog");
    spawn_app_full(db.pool, Payments::Test(TestProvider), page_cache, |_| {}).await
}

async fn spawn_app_full(
    pool: PgPool,
    payments: Payments,
    page_cache: Duration,
    tweak: impl FnOnce(&mut AppState),
) -> TestApp {
    let site_root = std::env::temp_dir().join(format!("mercato-site-{}", uuid_like()));
    std::fs::create_dir_all(site_root.join("pkg")).expect("site root");
    std::fs::write(site_root.join("pkg/mercato.css"), "body{}").expect("css");
    std::fs::write(site_root.join("favicon.svg"), "<svg/>").expect("favicon");

    let leptos_options = LeptosOptions::builder()
        .output_name("mercato")
        .site_root(site_root.display().to_string())
        .build();
    let hashing = std::sync::Arc::new(mercato::accounts::password::Gate::new(2));
    let media_dir = site_root.join("media-store");
    let media: std::sync::Arc<dyn mercato::storage::Storage> =
        std::sync::Arc::new(mercato::storage::LocalFiles::new(&media_dir));
    let mut state = AppState {
        leptos_options,
        pool: pool.clone(),
        currency: mercato::Currency::EUR,
        public_url: "https://shop.example".to_owned(),
        // Tests change stock and prices and look again at once.
        listing_cache: std::sync::Arc::new(mercato::catalog::browse::ListingCache::disabled()),
        catalog_changes: Default::default(),
        payments,
        // The tests' own requests come from 127.0.0.1 and may name any client.
        trusted_proxies: mercato::limits::client::TrustedProxies::parse("127.0.0.1")
            .expect("an address"),
        staff_session: Duration::from_secs(12 * 3600),
        search_limit: std::sync::Arc::new(mercato::limits::LocalBucket::new(0, 1)),
        // Each test's shop has its own bound on hashing: 2 at once, as on CI's machines.
        hashing: hashing.clone(),
        // Each test's shop keeps its pictures in a folder of its own.
        media: media.clone(),
    };
    tweak(&mut state);
    // Generous: a test asserts behaviour, never speed, and CI machines stall at times.
    let router = server::http::router(state, Duration::from_secs(60), page_cache);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("bound address");
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(server::http::serve(listener, router, async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client"),
        pool,
        hashing,
        media,
        media_dir,
        shutdown: Some(tx),
    }
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

// Shoppers' steps, as plain form posts.

pub const PASSWORD: &str = "correct-horse-battery";

/// Registers `email` through the form and confirms it with the link from its mail, as
/// a new shopper does; returns the signed-in session cookie.
pub async fn register(app: &TestApp, email: &str, cookie: Option<&str>) -> String {
    let res = app
        .post_form(
            "/api/account/register",
            &format!("email={email}&password={PASSWORD}&password_again={PASSWORD}"),
            cookie,
            "/account/register",
        )
        .await;
    assert_eq!(res.status(), 302, "register {email}");
    assert_eq!(
        res.headers()["location"]
            .to_str()
            .expect("location")
            .trim_end_matches('?'),
        app.url("/account/register"),
        "back to the form, which says to check the inbox"
    );
    let cookie = session_cookie(&res).or(cookie.map(str::to_owned));
    let token = link_token(app, email, "/account/verify?token=").await;
    let res = app
        .post_form(
            "/api/account/verify",
            &format!("token={token}&password={PASSWORD}"),
            cookie.as_deref(),
            &format!("/account/verify?token={token}"),
        )
        .await;
    assert_eq!(res.status(), 302, "confirm {email}");
    assert_eq!(res.headers()["location"], "/account");
    // Read: the tests that look at mail see only what comes after.
    sqlx::query("UPDATE outbox SET sent_at = now() WHERE kind = 'verify_email'")
        .execute(&app.pool)
        .await
        .expect("the mail was read");
    session_cookie(&res).expect("a signed-in session")
}

/// Gives the account `email` `role`; a staff account gets the staff role named
/// `staff_role` (one of the seeded: "Manager", "Catalog manager", "Fulfilment",
/// "Support", or one made by [`staff_role_with`]).
pub async fn set_role(
    pool: &PgPool,
    email: &str,
    role: mercato::accounts::Role,
    staff_role: Option<&str>,
) {
    let changed = sqlx::query(
        "UPDATE users SET role = $2, staff_role_id = (SELECT id FROM staff_roles WHERE name = $3)
         WHERE lower(email) = lower($1)",
    )
    .bind(email)
    .bind(role.as_str())
    .bind(staff_role)
    .execute(pool)
    .await
    .expect("role set")
    .rows_affected();
    assert_eq!(changed, 1, "{email}");
}

/// A signed-in session of a new confirmed account `email` with `role` (made directly,
/// not through the form: registering is limited to a few accounts per client).
pub async fn account_signed_in(
    app: &TestApp,
    email: &str,
    role: mercato::accounts::Role,
    staff_role: Option<&str>,
) -> String {
    mercato::accounts::store::upsert_with_role(&app.pool, email, PASSWORD, role)
        .await
        .expect("an account");
    if role == mercato::accounts::Role::Staff {
        set_role(&app.pool, email, role, staff_role).await;
    }
    let res = sign_in(app, email, PASSWORD, None).await;
    session_cookie(&res).expect("signed in")
}

/// The account `email` (made if need be) with `role`, as the capability its session
/// check would give.
pub async fn member(
    pool: &PgPool,
    email: &str,
    role: mercato::accounts::Role,
    staff_role: Option<&str>,
) -> mercato::admin::Staff {
    let user = mercato::accounts::store::upsert_with_role(pool, email, PASSWORD, role)
        .await
        .expect("an account");
    if role == mercato::accounts::Role::Staff {
        set_role(pool, email, role, staff_role).await;
    }
    let account = mercato::accounts::store::account(pool, user.id)
        .await
        .expect("read")
        .expect("the account");
    mercato::admin::Staff::of(account.user, &account.staff_permissions).expect("staff")
}

/// A staff role named `name` with exactly `permissions`.
pub async fn staff_role_with(
    pool: &PgPool,
    name: &str,
    permissions: &[mercato::admin::Permission],
) -> i64 {
    let permissions: Vec<&str> = permissions.iter().map(|p| p.as_str()).collect();
    sqlx::query_scalar("INSERT INTO staff_roles (name, permissions) VALUES ($1, $2) RETURNING id")
        .bind(name)
        .bind(permissions)
        .fetch_one(pool)
        .await
        .expect("a staff role")
}

/// The token of the newest link starting `link` mailed to `to` (from the outbox).
pub async fn link_token(app: &TestApp, to: &str, link: &str) -> String {
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE lower(recipient) = lower($1)
         ORDER BY id DESC LIMIT 1",
    )
    .bind(to)
    .fetch_one(&app.pool)
    .await
    .expect("a mail to the address");
    let at = body.find(link).expect("the link in the mail") + link.len();
    body[at..at + 64].to_owned()
}

pub async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    cookie: Option<&str>,
) -> reqwest::Response {
    app.post_form(
        "/api/account/sign-in",
        &format!("email={email}&password={password}"),
        cookie,
        "/account",
    )
    .await
}

/// The error a no-JavaScript form post came back with, as the page shows it.
/// The error waits in the session (a new one, if the post started it), never in the URL.
pub async fn error_shown(app: &TestApp, res: reqwest::Response, cookie: &str) -> String {
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        !location.contains("__err") && !location.contains("__path"),
        "the error stays out of the URL: {location}"
    );
    let cookie = session_cookie(&res).unwrap_or_else(|| cookie.to_owned());
    let path = location.trim_start_matches(&app.url(""));
    app.page(path, &cookie).await
}

/// The typed error a server function answered a script with (its JSON body), after
/// checking the status it came with.
pub async fn answered_error(res: reqwest::Response, status: u16) -> app::error::AppError {
    assert_eq!(res.status(), status);
    let body = res.text().await.expect("body");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// What a server function that islands call answered with: an error's words.
pub async fn answered_shown(res: reqwest::Response, status: u16) -> app::error::Shown {
    assert_eq!(res.status(), status);
    let body = res.text().await.expect("body");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The first active variant with at least `min_stock` units: (variant id, on hand).
pub async fn variant_in_stock(app: &TestApp, min_stock: i32) -> (i64, i32) {
    sqlx::query_as(
        "SELECT v.id, i.on_hand FROM variants v
         JOIN inventory i ON i.variant_id = v.id
         JOIN products p ON p.id = v.product_id
         WHERE p.status = 'active' AND i.on_hand >= $1
         ORDER BY v.id LIMIT 1",
    )
    .bind(min_stock)
    .fetch_one(&app.pool)
    .await
    .expect("a variant in stock")
}

pub async fn add_to_cart(
    app: &TestApp,
    variant: i64,
    quantity: u32,
    cookie: Option<&str>,
) -> Option<String> {
    let res = app
        .post_form(
            "/api/cart/add",
            &format!("variant_id={variant}&quantity={quantity}"),
            cookie,
            "/cart",
        )
        .await;
    assert_eq!(res.headers()["location"], "/cart");
    session_cookie(&res)
}
