//! The catalog as shoppers see it, against the demo catalog in a real database.

use crate::common::{seeded_app, spawn_app};
use mercato::catalog::{read, seed};
use mercato::Currency;

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let app = seeded_app().await;
    let again = seed::seed_demo_if_empty(&app.pool)
        .await
        .expect("second seed");
    assert_eq!(again, None);
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(
        products as usize,
        seed::generate(seed::DEMO_SEED, seed::DEMO_PRODUCTS_PER_CATEGORY)
            .expect("catalog")
            .products
            .len()
    );
    // Every variant has stock, and every unit of stock has its movement.
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inventory i
         WHERE i.on_hand <> COALESCE((SELECT sum(delta) FROM inventory_movements m
                                      WHERE m.variant_id = i.variant_id), 0)",
    )
    .fetch_one(&app.pool)
    .await
    .expect("movements");
    assert_eq!(mismatched, 0);
}

#[tokio::test]
async fn drafts_and_archived_products_are_invisible() {
    let app = seeded_app().await;
    let slug: String = sqlx::query_scalar(
        "UPDATE products SET status = 'draft'
         WHERE id = (SELECT min(id) FROM products) RETURNING slug",
    )
    .fetch_one(&app.pool)
    .await
    .expect("draft one");
    assert!(matches!(
        read::product(&app.pool, Currency::EUR, &slug).await,
        Err(mercato::Error::NotFound)
    ));
    assert_eq!(app.get(&format!("/p/{slug}")).await.status(), 404);
    sqlx::query("UPDATE products SET status = 'archived' WHERE slug = $1")
        .bind(&slug)
        .execute(&app.pool)
        .await
        .expect("archive");
    assert_eq!(app.get(&format!("/p/{slug}")).await.status(), 404);
}

#[tokio::test]
async fn the_product_page_shows_variants_prices_and_structured_data() {
    let app = seeded_app().await;
    let slug: String = sqlx::query_scalar(
        "SELECT p.slug FROM products p JOIN variants v ON v.product_id = p.id
         WHERE v.compare_at_price IS NOT NULL ORDER BY p.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a product on sale");
    let detail = read::product(&app.pool, Currency::EUR, &slug)
        .await
        .expect("detail");
    assert!(!detail.variants.is_empty());
    assert!(detail
        .variants
        .iter()
        .all(|v| v.values.len() == detail.options.len()));
    assert_eq!(detail.categories.len(), 2, "department and subcategory");

    let res = app.get(&format!("/p/{slug}")).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("body");
    assert!(html.contains(r#"type="application/ld+json""#));
    assert!(html.contains(r#""@type":"Product""#));
    assert!(html.contains(r#""priceCurrency":"EUR""#));
    assert!(html.contains(&format!(
        r#"<link href="https://shop.example/p/{slug}" rel="canonical">"#
    )));
    assert!(html.contains(&format!(r#""url":"https://shop.example/p/{slug}""#)));
    assert!(html.contains("line-through"), "compare-at price shown");
}

#[tokio::test]
async fn unknown_slugs_get_the_404_page() {
    let app = seeded_app().await;
    for path in [
        "/c/no-such-category",
        "/p/no-such-product",
        "/p/%27%3B--",
        "/c/UPPER",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        let html = res.text().await.expect("body");
        assert!(
            html.contains("Search products"),
            "{path}: the 404 page offers a search"
        );
        assert!(
            html.contains("Popular categories") && html.contains(r#"href="/c/clothing""#),
            "{path}: and somewhere to go"
        );
    }
}

#[tokio::test]
async fn the_home_page_lists_departments_and_featured_products() {
    let app = seeded_app().await;
    let html = app.get("/").await.text().await.expect("body");
    for department in ["Clothing", "Home &amp; living", "Outdoors", "Accessories"] {
        assert!(html.contains(department), "{department}");
    }
    assert!(
        html.contains(r#"href="/p/"#),
        "featured products link to their pages"
    );
}

#[tokio::test]
async fn generated_artwork_is_served_and_cached() {
    let app = spawn_app().await;
    let res = app.get("/media/art/mug-b45309-3.svg").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(app.get("/media/art/mug-b45309-9.svg").await.status(), 404);
}

#[tokio::test]
async fn the_sitemap_lists_active_products_and_categories_only() {
    let app = seeded_app().await;
    let draft: String = sqlx::query_scalar(
        "UPDATE products SET status = 'draft'
         WHERE id = (SELECT max(id) FROM products) RETURNING slug",
    )
    .fetch_one(&app.pool)
    .await
    .expect("draft one");
    // An index of parts, each well under the protocol's 50,000 addresses.
    let res = app.get("/sitemap.xml").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/xml");
    let index = res.text().await.expect("body");
    assert!(index.contains("<sitemapindex"), "{index}");
    assert!(index.contains("<loc>https://shop.example/sitemaps/1.xml</loc>"));
    assert!(
        !index.contains("sitemaps/2.xml"),
        "the demo shop fits in one part"
    );
    let res = app.get("/sitemaps/1.xml").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/xml");
    let xml = res.text().await.expect("body");
    assert!(xml.contains("<loc>https://shop.example/c/clothing</loc>"));
    assert!(xml.contains("<loc>https://shop.example/p/"));
    assert!(!xml.contains(&format!("/p/{draft}<")), "drafts stay out");
    let active: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM products WHERE status = 'active')
              + (SELECT count(*) FROM categories) + 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("count");
    assert_eq!(xml.matches("<loc>").count() as i64, active);
    for missing in [
        "/sitemaps/2.xml",
        "/sitemaps/0.xml",
        "/sitemaps/x.xml",
        "/sitemaps/1",
    ] {
        assert_eq!(app.get(missing).await.status(), 404, "{missing}");
    }

    let robots = app.get("/robots.txt").await.text().await.expect("body");
    assert!(robots.contains("Sitemap: https://shop.example/sitemap.xml"));
}
