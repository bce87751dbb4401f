//! Postgres going away while the shop runs: readiness turns 503 and pages show the error
//! page; when it comes back, the shop recovers without a restart.

use crate::common::spawn_app_with_pool;
use mercato::db::embedded::{Durability, EmbeddedPostgres};
use mercato::db::{connect, ensure_database, migrate};

#[tokio::test]
async fn the_shop_recovers_when_the_database_comes_back() {
    let root = std::env::temp_dir().join(format!("mercato-outage-{}", std::process::id()));
    std::fs::create_dir_all(&root).expect("temp dir");
    // The `postgres` user (used when tests run as root) must be able to pass through.
    std::fs::set_permissions(&root, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("permissions");
    let mut cluster = tokio::task::spawn_blocking({
        let root = root.clone();
        move || EmbeddedPostgres::start(&root, Durability::Throwaway)
    })
    .await
    .expect("join")
    .expect("a private cluster");
    ensure_database(&cluster.connect_options("postgres"), "shop")
        .await
        .expect("database");
    let pool = connect(cluster.connect_options("shop"), 4)
        .await
        .expect("pool");
    migrate(&pool).await.expect("migrations");
    let app = spawn_app_with_pool(pool).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert_eq!(app.get("/").await.status(), 200);

    cluster = tokio::task::spawn_blocking(move || {
        cluster.stop().expect("stop");
        cluster
    })
    .await
    .expect("join");

    assert_eq!(app.get("/readyz").await.status(), 503);
    let page = app.get("/").await;
    assert_eq!(page.status(), 503);
    let html = page.text().await.expect("body");
    assert!(html.contains("briefly unavailable"), "error page missing");
    assert!(
        html.contains(r#"aria-label="Categories""#),
        "layout missing"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);

    let mut cluster = tokio::task::spawn_blocking(move || {
        cluster.restart(Durability::Throwaway).expect("restart");
        cluster
    })
    .await
    .expect("join");

    assert_eq!(app.get("/readyz").await.status(), 200);
    assert_eq!(app.get("/").await.status(), 200);

    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .expect("join")
        .expect("stop");
    let _ = std::fs::remove_dir_all(&root);
}
