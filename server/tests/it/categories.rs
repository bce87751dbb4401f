//! Staff change the category tree (`mercato::catalog::categories`, `/admin/categories`):
//! create, rename, move and reorder, each audited and on the shop at once; a move into
//! its own subtree refused by the database, even when two moves race to close a cycle;
//! deleting a category with products asks where they go.

use crate::common::{
    account_signed_in, answered_error, error_shown, member, seeded_app_with_page_cache, seeded_db,
    session_cookie,
};
use app::error::AppError;
use mercato::accounts::Role;
use mercato::catalog::categories::{self, CategoryDraft};
use mercato::catalog::edit::CatalogError;
use mercato::error::Rule;
use sqlx::PgPool;
use std::time::Duration;

async fn id_of(pool: &PgPool, slug: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM categories WHERE slug = $1")
        .bind(slug)
        .fetch_one(pool)
        .await
        .expect(slug)
}

fn draft(name: &str, parent: Option<i64>) -> CategoryDraft {
    CategoryDraft::parse(
        name,
        "",
        "",
        &parent.map(|p| p.to_string()).unwrap_or_default(),
    )
    .expect("a valid draft")
}

#[tokio::test]
async fn staff_add_rename_move_and_reorder_categories_and_the_shop_follows_at_once() {
    let app = seeded_app_with_page_cache(Duration::from_secs(60)).await;
    let pool = &app.pool;
    let cookie = account_signed_in(
        &app,
        "cat@example.com",
        Role::Staff,
        Some("Catalog manager"),
    )
    .await;
    let home = app.get("/").await.text().await.expect("home");
    assert!(!home.contains("Rain gear"));

    // Added at the top level, last: on the shop's navigation at once.
    let res = app
        .post_form(
            "/api/admin/categories/create",
            "name=Rain+gear&slug=&parent=",
            Some(&cookie),
            "/admin/categories",
        )
        .await;
    assert_eq!(res.status(), 302);
    let cookie = session_cookie(&res).unwrap_or(cookie);
    assert!(app
        .page("/admin/categories", &cookie)
        .await
        .contains("Added Rain gear."));
    let rain = id_of(pool, "rain-gear").await;
    let tops: Vec<String> = sqlx::query_scalar(
        "SELECT slug FROM categories WHERE parent_id IS NULL ORDER BY position, id",
    )
    .fetch_all(pool)
    .await
    .expect("tops");
    assert_eq!(tops.last().map(String::as_str), Some("rain-gear"));
    assert!(app
        .get("/")
        .await
        .text()
        .await
        .expect("home")
        .contains("Rain gear"));

    // Moved up one place among the departments.
    let res = app
        .call(
            "/api/admin/categories/shift",
            &format!("id={rain}&direction=up"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    let after: Vec<String> = sqlx::query_scalar(
        "SELECT slug FROM categories WHERE parent_id IS NULL ORDER BY position, id",
    )
    .fetch_all(pool)
    .await
    .expect("tops");
    let n = tops.len();
    assert_eq!(after[n - 2], "rain-gear");
    assert_eq!(after[n - 1], tops[n - 2]);
    let tree = categories::tree(pool).await.expect("tree");
    let row = tree.iter().find(|r| r.id == rain).expect("in the tree");
    assert!(!row.first && !row.last);

    // Renamed and moved under another department, with a new slug.
    let clothing = id_of(pool, "clothing").await;
    let res = app
        .call(
            "/api/admin/categories/update",
            &format!(
                "id={rain}&name=Rain+jackets&slug=rain-jackets&description=Dry.&parent={clothing}"
            ),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    let (name, parent): (String, Option<i64>) =
        sqlx::query_as("SELECT name, parent_id FROM categories WHERE id = $1")
            .bind(rain)
            .fetch_one(pool)
            .await
            .expect("category");
    assert_eq!((name.as_str(), parent), ("Rain jackets", Some(clothing)));
    assert_eq!(app.get("/c/rain-jackets").await.status(), 200);
    assert_eq!(app.get("/c/rain-gear").await.status(), 404);

    let actions: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT action, after FROM audit_log WHERE subject_kind = 'category' AND subject_id = $1::text ORDER BY id",
    )
    .bind(rain)
    .fetch_all(pool)
    .await
    .expect("audit");
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["category.create", "category.move", "category.move"]);
    assert_eq!(actions[2].1["parent_id"], clothing);
    assert_eq!(actions[2].1["name"], "Rain jackets");

    // A slug another category has is refused beside the field, and the page keeps it.
    let res = app
        .post_form(
            "/api/admin/categories/update",
            &format!("id={rain}&name=Rain+jackets&slug=clothing&description=&parent={clothing}"),
            Some(&cookie),
            &format!("/admin/categories/{rain}"),
        )
        .await;
    let page = error_shown(&app, res, &cookie).await;
    assert!(page.contains("Another category has this slug."));
    assert!(page.contains("value=\"clothing\""));
}

#[tokio::test]
async fn a_category_cannot_go_inside_itself_even_when_two_moves_race() {
    let shop = seeded_db().await;
    let pool = &shop.pool;
    let staff = member(
        pool,
        "cat@example.com",
        Role::Staff,
        Some("Catalog manager"),
    )
    .await;
    let clothing = id_of(pool, "clothing").await;
    let child: i64 = sqlx::query_scalar("SELECT min(id) FROM categories WHERE parent_id = $1")
        .bind(clothing)
        .fetch_one(pool)
        .await
        .expect("a subcategory");
    // Under its own subcategory, or under itself.
    for parent in [child, clothing] {
        match categories::update(pool, &staff, clothing, &draft("Clothing", Some(parent))).await {
            Err(mercato::Error::Fields(errors)) => assert!(errors.get("parent").is_some()),
            other => panic!("refused, not {other:?}"),
        }
    }

    // Two new top-level categories, each moved under the other at the same moment:
    // one move wins, the other is refused, and the tree has no cycle.
    for round in 0..5 {
        let a = categories::create(pool, &staff, &draft(&format!("A{round}"), None))
            .await
            .expect("a");
        let b = categories::create(pool, &staff, &draft(&format!("B{round}"), None))
            .await
            .expect("b");
        let (under_b, under_a) = (
            draft(&format!("A{round}"), Some(b)),
            draft(&format!("B{round}"), Some(a)),
        );
        let (x, y) = tokio::join!(
            categories::update(pool, &staff, a, &under_b),
            categories::update(pool, &staff, b, &under_a),
        );
        assert!(x.is_ok() != y.is_ok(), "exactly one move: {x:?} {y:?}");
        let parents: Vec<Option<i64>> =
            sqlx::query_scalar("SELECT parent_id FROM categories WHERE id = ANY ($1) ORDER BY id")
                .bind(vec![a, b])
                .fetch_all(pool)
                .await
                .expect("parents");
        assert!(
            parents.contains(&None),
            "one is still at the top: {parents:?}"
        );
    }
    // And the database refuses it whoever writes.
    let err = sqlx::query("UPDATE categories SET parent_id = $1 WHERE id = $2")
        .bind(child)
        .bind(clothing)
        .execute(pool)
        .await
        .expect_err("a cycle");
    assert_eq!(
        mercato::db::constraint::violated(&err),
        Some("categories_no_cycle")
    );
}

#[tokio::test]
async fn deleting_a_category_with_products_asks_where_they_go() {
    let app = seeded_app_with_page_cache(Duration::from_secs(60)).await;
    let pool = &app.pool;
    let cookie = account_signed_in(
        &app,
        "cat@example.com",
        Role::Staff,
        Some("Catalog manager"),
    )
    .await;
    let (from, slug, products): (i64, String, i64) = sqlx::query_as(
        "SELECT c.id, c.slug, count(p.id) FROM categories c JOIN products p ON p.category_id = c.id
         WHERE NOT EXISTS (SELECT 1 FROM categories s WHERE s.parent_id = c.id)
         GROUP BY c.id ORDER BY c.id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .expect("a leaf category with products");
    let to: i64 = sqlx::query_scalar(
        "SELECT min(id) FROM categories WHERE id <> $1 AND parent_id IS NOT NULL",
    )
    .bind(from)
    .fetch_one(pool)
    .await
    .expect("another");
    assert_eq!(app.get(&format!("/c/{slug}")).await.status(), 200);

    // Without a place for its products: asked, nothing deleted.
    let call = |body: String| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            app.call("/api/admin/categories/delete", &body, Some(&cookie))
                .await
        }
    };
    let refused = answered_error(call(format!("id={from}&move_to=")).await, 422).await;
    assert_eq!(
        refused,
        AppError::Rule(Rule::Catalog(CatalogError::ProductsNeedAHome(products)))
    );
    assert_eq!(
        refused.to_string(),
        format!("It has {products} products: choose the category they move to.")
    );
    // A department with subcategories: refused.
    let department: i64 = sqlx::query_scalar("SELECT min(parent_id) FROM categories")
        .fetch_one(pool)
        .await
        .expect("a department");
    let refused = answered_error(call(format!("id={department}&move_to={to}")).await, 422).await;
    assert!(
        matches!(
            refused,
            AppError::Rule(Rule::Catalog(CatalogError::HasSubcategories(_)))
        ),
        "{refused:?}"
    );
    assert!(refused
        .to_string()
        .ends_with("subcategories: move or delete them first."));
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM products WHERE category_id = $1")
            .bind(from)
            .fetch_one(pool)
            .await
            .expect("n"),
        products,
        "nothing moved by the refused deletion"
    );

    // With a place: the products move (their versions bumped), the category goes.
    let res = app
        .post_form(
            "/api/admin/categories/delete",
            &format!("id={from}&move_to={to}"),
            Some(&cookie),
            &format!("/admin/categories/{from}"),
        )
        .await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/admin/categories");
    let cookie = session_cookie(&res).unwrap_or(cookie);
    assert!(app
        .page("/admin/categories", &cookie)
        .await
        .contains(&format!("Category deleted; its {products} products moved.")));
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM categories WHERE id = $1")
        .bind(from)
        .fetch_one(pool)
        .await
        .expect("n");
    assert_eq!(left, 0);
    let moved: i64 =
        sqlx::query_scalar("SELECT count(*) FROM products WHERE category_id = $1 AND version = 2")
            .bind(to)
            .fetch_one(pool)
            .await
            .expect("moved");
    assert_eq!(moved, products);
    let after: serde_json::Value = sqlx::query_scalar(
        "SELECT after FROM audit_log WHERE action = 'category.delete' AND subject_id = $1::text",
    )
    .bind(from)
    .fetch_one(pool)
    .await
    .expect("audited");
    assert_eq!(
        after,
        serde_json::json!({ "products_moved": products, "moved_to": to })
    );
    // Each product moved has its own entry, so its editor can say who moved it.
    let entries: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'product.category' AND staff_email = 'cat@example.com'
           AND before = jsonb_build_object('category_id', $1::bigint)
           AND after = jsonb_build_object('category_id', $2::bigint)",
    )
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await
    .expect("entries");
    assert_eq!(entries, products);
    assert_eq!(
        app.get(&format!("/c/{slug}")).await.status(),
        404,
        "gone from the shop at once"
    );
}
