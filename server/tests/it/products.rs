//! The staff's product list (`mercato::catalog::staff`, `/admin/products`): search by
//! name or SKU, filters, sorts and keyset pages that agree with the database's own
//! order; bulk actions in one transaction with an audit entry per product, shown on
//! the shop at once.

use crate::common::{
    account_signed_in, answered_error, member, seeded_app_with_page_cache, seeded_db,
    session_cookie,
};
use mercato::accounts::Role;
use mercato::catalog::staff::{self, BulkAction, ProductQuery, ProductSort};
use mercato::catalog::ProductStatus;
use mercato::inventory::StockState;
use mercato::Currency;
use sqlx::PgPool;
use std::time::Duration;

async fn ids(pool: &PgPool, query: &ProductQuery) -> (Vec<i64>, Option<i64>) {
    let page = staff::list(pool, query, Currency::EUR).await.expect("list");
    (page.rows.iter().map(|r| r.id).collect(), page.next)
}

/// Every product the query lists, page after page.
async fn all_pages(pool: &PgPool, query: &ProductQuery) -> Vec<i64> {
    let mut all = Vec::new();
    let mut query = query.clone();
    loop {
        let (page, next) = ids(pool, &query).await;
        assert!(page.len() as i64 <= staff::PER_PAGE);
        all.extend(page);
        match next {
            Some(after) => query = query.starting(Some(after)),
            None => return all,
        }
    }
}

async fn sql_ids(pool: &PgPool, sql: &str) -> Vec<i64> {
    sqlx::query_scalar(sql).fetch_all(pool).await.expect("ids")
}

#[tokio::test]
async fn every_sort_pages_through_every_product_in_the_databases_order() {
    let shop = seeded_db().await;
    let pool = &shop.pool;
    mercato::catalog::staff::refresh_queued_stock(pool)
        .await
        .expect("fresh");
    for (sort, sql) in [
        (
            ProductSort::Name,
            "SELECT id FROM products ORDER BY name, id",
        ),
        (
            ProductSort::Price,
            "SELECT id FROM products ORDER BY coalesce(min_price, -1), id",
        ),
        (
            ProductSort::PriceDesc,
            "SELECT id FROM products ORDER BY coalesce(min_price, -1) DESC, id DESC",
        ),
        (
            ProductSort::Stock,
            "SELECT p.id FROM products p ORDER BY (SELECT coalesce(sum(i.on_hand), 0)
             FROM variants v JOIN inventory i ON i.variant_id = v.id
             WHERE v.product_id = p.id), p.id",
        ),
        (
            ProductSort::Updated,
            "SELECT id FROM products ORDER BY updated_at DESC, id DESC",
        ),
    ] {
        let query = ProductQuery {
            sort,
            ..ProductQuery::default()
        };
        assert_eq!(
            all_pages(pool, &query).await,
            sql_ids(pool, sql).await,
            "{sort:?}"
        );
    }
    // The stock figures agree with the variants' stock.
    let wrong: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM product_stock s WHERE s.units <> (
             SELECT coalesce(sum(i.on_hand), 0) FROM variants v
             JOIN inventory i ON i.variant_id = v.id WHERE v.product_id = s.product_id)",
    )
    .fetch_one(pool)
    .await
    .expect("count");
    assert_eq!(wrong, 0);
}

#[tokio::test]
async fn search_and_filters_narrow_the_list() {
    let shop = seeded_db().await;
    let pool = &shop.pool;
    let (product, name, sku): (i64, String, String) = sqlx::query_as(
        "SELECT p.id, p.name, v.sku FROM products p JOIN variants v ON v.product_id = p.id
         ORDER BY p.id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .expect("a product");
    let find = |q: &str| ProductQuery {
        q: q.to_owned(),
        ..ProductQuery::default()
    };
    assert!(
        ids(pool, &find(&name)).await.0.contains(&product),
        "by name"
    );
    let word = name
        .split_whitespace()
        .last()
        .expect("a word")
        .to_lowercase();
    assert!(
        all_pages(pool, &find(&word)).await.contains(&product),
        "by part of the name, any case"
    );
    assert_eq!(
        ids(pool, &find(&sku.to_lowercase())).await.0,
        vec![product],
        "by SKU"
    );
    let start: String = word.chars().take(2).collect();
    assert!(
        all_pages(pool, &find(&start)).await.contains(&product),
        "two letters find a word by its start"
    );
    assert_eq!(
        ids(pool, &find("q%")).await.0,
        Vec::<i64>::new(),
        "no query syntax"
    );
    let prefix = sku.split('-').next().expect("prefix");
    assert!(
        ids(pool, &find(prefix)).await.0.contains(&product),
        "by a SKU's start"
    );
    assert_eq!(
        ids(pool, &find("%")).await.0,
        Vec::<i64>::new(),
        "a wildcard is itself"
    );

    // A department lists the products of its subcategories.
    let (parent, child): (i64, i64) = sqlx::query_as(
        "SELECT c.parent_id, c.id FROM categories c
         WHERE c.parent_id IS NOT NULL AND EXISTS (SELECT 1 FROM products WHERE category_id = c.id)
         ORDER BY c.id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .expect("a subcategory");
    let in_child = sql_ids(
        pool,
        &format!("SELECT id FROM products WHERE category_id = {child} ORDER BY name, id"),
    )
    .await;
    let listed = all_pages(
        pool,
        &ProductQuery {
            category: Some(child),
            ..ProductQuery::default()
        },
    )
    .await;
    assert_eq!(listed, in_child);
    let in_parent = all_pages(
        pool,
        &ProductQuery {
            category: Some(parent),
            ..ProductQuery::default()
        },
    )
    .await;
    assert!(in_child.iter().all(|id| in_parent.contains(id)));

    // Status and stock.
    let drafts = sql_ids(
        pool,
        "SELECT id FROM products WHERE status = 'draft' ORDER BY name, id",
    )
    .await;
    let listed = all_pages(
        pool,
        &ProductQuery {
            status: Some(ProductStatus::Draft),
            ..ProductQuery::default()
        },
    )
    .await;
    assert_eq!(listed, drafts);
    let sold_out = sql_ids(
        pool,
        "SELECT id FROM products WHERE NOT in_stock ORDER BY name, id",
    )
    .await;
    let listed = all_pages(
        pool,
        &ProductQuery {
            stock: Some(StockState::SoldOut),
            ..ProductQuery::default()
        },
    )
    .await;
    assert_eq!(listed, sold_out);
    assert!(!sold_out.is_empty(), "the demo has sold-out products");
    let low = all_pages(
        pool,
        &ProductQuery {
            stock: Some(StockState::Low),
            ..ProductQuery::default()
        },
    )
    .await;
    let expected_low = sql_ids(
        pool,
        "SELECT p.id FROM products p WHERE p.in_stock AND EXISTS (
             SELECT 1 FROM variants v JOIN inventory i ON i.variant_id = v.id
             WHERE v.product_id = p.id AND i.on_hand BETWEEN 1 AND 5)
         ORDER BY p.name, p.id",
    )
    .await;
    assert_eq!(low, expected_low);
}

#[tokio::test]
async fn a_bulk_action_changes_every_chosen_product_in_one_go_with_its_audit() {
    let app = seeded_app_with_page_cache(Duration::from_secs(60)).await;
    let pool = &app.pool;
    let chosen: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, slug FROM listed_products ORDER BY id LIMIT 3")
            .fetch_all(pool)
            .await
            .expect("three listed products");
    let slug = chosen[0].1.clone();
    assert_eq!(app.get(&format!("/p/{slug}")).await.status(), 200);
    assert_eq!(app.get(&format!("/p/{slug}")).await.status(), 200, "kept");

    let cookie = account_signed_in(
        &app,
        "cat@example.com",
        Role::Staff,
        Some("Catalog manager"),
    )
    .await;
    let ids: Vec<String> = chosen.iter().map(|(id, _)| id.to_string()).collect();
    // The confirm page says how many, and what.
    let confirm = app
        .page(
            &format!(
                "/admin/products/bulk?ids={}&ids={}&ids={}&action=archive&category=&back=%2Fadmin%2Fproducts%3Fstatus%3Dactive",
                ids[0], ids[1], ids[2]
            ),
            &cookie,
        )
        .await;
    assert!(confirm.contains("Archive 3 products"), "{confirm}");
    assert_eq!(confirm.matches("<li class=\"flex items-center").count(), 3);

    let res = app
        .post_form(
            "/api/admin/products/bulk",
            &format!(
                "ids={}&action=archive&category=&back=%2Fadmin%2Fproducts%3Fstatus%3Dactive",
                ids.join("%2C")
            ),
            Some(&cookie),
            "/admin/products/bulk",
        )
        .await;
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers()["location"],
        "/admin/products?status=active",
        "back to the list as it was"
    );
    let cookie = session_cookie(&res).unwrap_or(cookie);
    let list = app.page("/admin/products?status=active", &cookie).await;
    assert!(
        list.contains("Archived 3 products."),
        "the count, once done"
    );

    let statuses: Vec<(String, i32)> =
        sqlx::query_as("SELECT status, version FROM products WHERE id = ANY ($1) ORDER BY id")
            .bind(chosen.iter().map(|(id, _)| *id).collect::<Vec<_>>())
            .fetch_all(pool)
            .await
            .expect("statuses");
    assert!(
        statuses.iter().all(|(s, v)| s == "archived" && *v == 2),
        "{statuses:?}"
    );
    let audited: Vec<(String, serde_json::Value, serde_json::Value)> = sqlx::query_as(
        "SELECT subject_id, before, after FROM audit_log WHERE action = 'product.status' ORDER BY subject_id",
    )
    .fetch_all(pool)
    .await
    .expect("audit");
    assert_eq!(audited.len(), 3);
    assert_eq!(audited[0].1, serde_json::json!({ "status": "active" }));
    assert_eq!(audited[0].2, serde_json::json!({ "status": "archived" }));
    // Gone from the shop at once, kept pages or not.
    assert_eq!(app.get(&format!("/p/{slug}")).await.status(), 404);

    // Publishing them again, with one product that has no variant: that one is left
    // alone and said so.
    let bare: i64 = sqlx::query_scalar(
        "INSERT INTO products (category_id, slug, name) SELECT category_id, 'bare-product', 'Bare product'
         FROM products LIMIT 1 RETURNING id",
    )
    .fetch_one(pool)
    .await
    .expect("a product without variants");
    let res = app
        .call(
            "/api/admin/products/bulk",
            &format!("ids={}%2C{bare}&action=publish", ids.join("%2C")),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    let said: String = serde_json::from_str(&res.text().await.expect("body")).expect("message");
    assert_eq!(
        said,
        "Published 3 products. Left alone: Bare product (no variant with a price yet)."
    );
    assert_eq!(app.get(&format!("/p/{slug}")).await.status(), 200);

    // A move to a category that is gone changes nothing, beside the field.
    let res = app
        .call(
            "/api/admin/products/bulk",
            &format!("ids={}&action=move&category=999999", ids[0]),
            Some(&cookie),
        )
        .await;
    let error = answered_error(res, 422).await;
    assert!(error.field("category").is_some(), "{error:?}");
    let res = app
        .call(
            "/api/admin/products/bulk",
            "ids=&action=archive",
            Some(&cookie),
        )
        .await;
    assert!(answered_error(res, 422).await.field("ids").is_some());
}

#[tokio::test]
async fn moving_products_keeps_them_together_and_audits_each() {
    let shop = seeded_db().await;
    let pool = &shop.pool;
    let admin = member(pool, "ann@example.com", Role::Admin, None).await;
    let (a, b, to): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT min(id) FROM products), (SELECT max(id) FROM products),
                (SELECT max(id) FROM categories)",
    )
    .fetch_one(pool)
    .await
    .expect("ids");
    let outcome = staff::bulk(pool, &admin, &[a, b], BulkAction::MoveTo(to))
        .await
        .expect("moved");
    assert_eq!(outcome.changed + outcome.unchanged, 2);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'product.category'
         AND after = jsonb_build_object('category_id', $1::bigint)",
    )
    .bind(to)
    .fetch_one(pool)
    .await
    .expect("audit");
    assert_eq!(
        audited as usize, outcome.changed,
        "one entry per product moved"
    );
    let moved: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM products WHERE id IN ($1, $2) AND category_id = $3",
    )
    .bind(a)
    .bind(b)
    .bind(to)
    .fetch_one(pool)
    .await
    .expect("count");
    assert_eq!(moved, 2);
    let again = staff::bulk(pool, &admin, &[a, b], BulkAction::MoveTo(to))
        .await
        .expect("again");
    assert_eq!(
        (again.changed, again.unchanged),
        (0, 2),
        "nothing to do twice"
    );

    // Without the catalog permission: refused, nothing changes.
    let fulfilment = member(pool, "ship@example.com", Role::Staff, Some("Fulfilment")).await;
    let refused = staff::bulk(pool, &fulfilment, &[a], BulkAction::Archive).await;
    assert!(
        matches!(refused, Err(mercato::Error::NotPermitted(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn stock_figures_follow_sales_and_restocks_within_a_refresh() {
    let shop = seeded_db().await;
    let pool = &shop.pool;
    let variant = crate::common::checkout::variant_with_stock(&shop, 7).await;
    let product: i64 = sqlx::query_scalar("SELECT product_id FROM variants WHERE id = $1")
        .bind(variant)
        .fetch_one(pool)
        .await
        .expect("product");
    staff::refresh_queued_stock(pool).await.expect("refresh");
    let units = || async {
        sqlx::query_scalar::<_, i64>("SELECT units FROM product_stock WHERE product_id = $1")
            .bind(product)
            .fetch_one(pool)
            .await
            .expect("units")
    };
    let before = units().await;
    sqlx::query("UPDATE inventory SET on_hand = on_hand + 5 WHERE variant_id = $1")
        .bind(variant)
        .execute(pool)
        .await
        .expect("stock");
    assert!(staff::refresh_queued_stock(pool).await.expect("refresh") >= 1);
    assert_eq!(units().await, before + 5);
    assert_eq!(
        staff::refresh_queued_stock(pool).await.expect("refresh"),
        0,
        "the queue is empty"
    );
}

#[tokio::test]
async fn the_audit_log_filters_by_member_subject_and_day() {
    use mercato::admin::audit::{self, EntryQuery, SubjectKind};
    let shop = seeded_db().await;
    let pool = &shop.pool;
    let ann = member(pool, "ann@example.com", Role::Admin, None).await;
    let cat = member(
        pool,
        "cat@example.com",
        Role::Staff,
        Some("Catalog manager"),
    )
    .await;
    let (a, b): (i64, i64) =
        sqlx::query_as("SELECT (SELECT min(id) FROM products), (SELECT max(id) FROM products)")
            .fetch_one(pool)
            .await
            .expect("ids");
    staff::bulk(pool, &ann, &[a, b], BulkAction::Archive)
        .await
        .expect("archived");
    staff::bulk(pool, &cat, &[a], BulkAction::Publish)
        .await
        .expect("published");
    let listed = |query: EntryQuery| async move {
        audit::page(pool, &query)
            .await
            .expect("page")
            .entries
            .into_iter()
            .map(|e| (e.staff_email, e.subject_id))
            .collect::<Vec<_>>()
    };
    let product = |id: i64| EntryQuery {
        kind: Some(SubjectKind::Product),
        subject: id.to_string(),
        ..EntryQuery::default()
    };
    assert_eq!(
        listed(product(a)).await,
        vec![
            ("cat@example.com".to_owned(), a.to_string()),
            ("ann@example.com".to_owned(), a.to_string())
        ],
        "newest first"
    );
    assert_eq!(listed(product(b)).await.len(), 1);
    let by_cat = listed(EntryQuery {
        staff: Some(cat.id()),
        ..EntryQuery::default()
    })
    .await;
    assert_eq!(by_cat, vec![("cat@example.com".to_owned(), a.to_string())]);
    let today = EntryQuery::from_params(None, None, None, None, None, None);
    assert_eq!(listed(today).await.len(), 3);
    let later = EntryQuery::from_params(None, None, None, Some("9999-12-31"), None, None);
    assert_eq!(listed(later).await, Vec::new(), "nothing from a later day");
    let earlier = EntryQuery::from_params(None, None, None, None, Some("2000-01-01"), None);
    assert_eq!(
        listed(earlier).await,
        Vec::new(),
        "nothing up to an earlier day"
    );
}
