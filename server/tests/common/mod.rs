//! Spawns the real router on a random port against a fresh, migrated database.

#![allow(dead_code)] // each test binary uses a different part of the helper

use app::state::AppState;
use leptos::config::LeptosOptions;
use mercato::db::testing::TestDb;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::oneshot;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub pool: PgPool,
    /// Static files served by this app (the stand-in for cargo-leptos's `target/site`).
    pub site_root: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestApp {
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
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html,application/xhtml+xml")
            .header("origin", "https://shop.example")
            .header("referer", self.url(referer))
            .body(body.to_owned());
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.expect("post")
    }

    /// A page's HTML for the session `cookie`.
    pub async fn page(&self, path: &str, cookie: &str) -> String {
        let res = self
            .client
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("page");
        assert_eq!(res.status(), 200, "{path}");
        res.text().await.expect("body")
    }
}

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
    let site_root = std::env::temp_dir().join(format!("mercato-site-{}", uuid_like()));
    std::fs::create_dir_all(site_root.join("pkg")).expect("site root");
    std::fs::write(site_root.join("pkg/mercato.css"), "body{}").expect("css");
    std::fs::write(site_root.join("favicon.svg"), "<svg/>").expect("favicon");

    let leptos_options = LeptosOptions::builder()
        .output_name("mercato")
        .site_root(site_root.display().to_string())
        .build();
    let state = AppState {
        leptos_options,
        pool: pool.clone(),
        currency: mercato::Currency::EUR,
        public_url: "https://shop.example".to_owned(),
        // Tests change stock and prices and look again at once.
        listing_cache: std::sync::Arc::new(mercato::catalog::browse::ListingCache::disabled()),
    };
    // Generous: a test asserts behaviour, never speed, and CI machines stall at times.
    let router = server::http::router(state, Duration::from_secs(60));
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
        site_root,
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
