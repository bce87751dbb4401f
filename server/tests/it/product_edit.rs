//! The product editor (`mercato::catalog::edit`, `/admin/products/{id}`): a product made
//! with options and variants through the form, on the shop at once; a save over
//! someone else's newer one refused with who and when, keeping what was typed; slug and
//! SKU conflicts beside their fields; a product with 100 variants; values taken out
//! removing their variants only once confirmed.

use crate::common::{
    account_signed_in, answered_error, error_shown, seeded_app, seeded_app_with_page_cache,
    session_cookie, TestApp,
};
use app::error::AppError;
use mercato::accounts::Role;
use mercato::catalog::edit::{CatalogError, Editor};
use mercato::error::Rule;
use mercato::Currency;
use std::time::Duration;

type Form = Vec<(String, String)>;

/// A variant as the first test reads it back: SKU, two option values, price,
/// compare-at price, weight and units on hand.
type VariantRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    i32,
    i32,
);

/// The editor's form as the page would post it untouched.
fn form_of(editor: &Editor) -> Form {
    let mut form: Form = Vec::new();
    let mut add = |k: String, v: String| form.push((k, v));
    if let Some(id) = editor.id {
        add("id".into(), id.to_string());
    }
    add("version".into(), editor.version.to_string());
    add("name".into(), editor.name.clone());
    add("slug".into(), editor.slug.clone());
    add("description".into(), editor.description.clone());
    add("status".into(), editor.status.as_str().to_owned());
    add(
        "category".into(),
        editor.category.map(|c| c.to_string()).unwrap_or_default(),
    );
    add("seo_title".into(), editor.seo_title.clone());
    add("seo_description".into(), editor.seo_description.clone());
    for (i, option) in editor.options.iter().enumerate() {
        add(format!("options[{i}][name]"), option.name.clone());
        add(format!("options[{i}][values]"), option.values.join(", "));
    }
    for (n, row) in editor.rows.iter().enumerate() {
        for (i, value) in row.values.iter().enumerate() {
            add(format!("variants[{n}][option{}]", i + 1), value.clone());
        }
        if let Some(v) = &row.variant {
            add(format!("variants[{n}][id]"), v.id.to_string());
            add(format!("variants[{n}][sku]"), v.sku.clone());
            add(format!("variants[{n}][price]"), v.price.clone());
            add(format!("variants[{n}][compare_at]"), v.compare_at.clone());
            add(format!("variants[{n}][weight]"), v.weight_grams.to_string());
            if !v.track_stock {
                add(format!("variants[{n}][untracked]"), "on".to_owned());
            }
        }
    }
    form
}

fn set(form: &mut Form, key: &str, value: &str) {
    match form.iter_mut().find(|(k, _)| k == key) {
        Some(field) => field.1 = value.to_owned(),
        None => form.push((key.to_owned(), value.to_owned())),
    }
}

fn encode(form: &Form) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

async fn editor(app: &TestApp, id: Option<i64>) -> Editor {
    mercato::catalog::edit::editor(&app.pool, id, Currency::EUR)
        .await
        .expect("the editor")
}

async fn catalog_manager(app: &TestApp, email: &str) -> String {
    account_signed_in(app, email, Role::Staff, Some("Catalog manager")).await
}

async fn save(app: &TestApp, form: &Form, cookie: &str) -> reqwest::Response {
    app.call("/api/admin/products/save", &encode(form), Some(cookie))
        .await
}

async fn product_with_two_variants(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT product_id FROM variants GROUP BY product_id HAVING count(*) >= 2 ORDER BY product_id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a product with two variants")
}

async fn one<
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
>(
    app: &TestApp,
    sql: &str,
    id: i64,
) -> T {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect(sql)
}

#[tokio::test]
async fn staff_make_a_product_with_options_and_the_shop_shows_it_at_once() {
    let app = seeded_app_with_page_cache(Duration::from_secs(60)).await;
    let cookie = catalog_manager(&app, "cat@example.com").await;
    let category: i64 = sqlx::query_scalar("SELECT min(id) FROM categories")
        .fetch_one(&app.pool)
        .await
        .expect("a category");
    // The shop has answered (and kept) its 404 for the address before the product exists.
    assert_eq!(app.get("/p/harbour-linen-shirt").await.status(), 404);

    // A new product with two options, as a browser without JavaScript posts it.
    let mut form = form_of(&editor(&app, None).await);
    set(&mut form, "name", "Harbour Linen Shirt");
    set(&mut form, "category", &category.to_string());
    set(
        &mut form,
        "description",
        "Woven in Flanders.\r\n\r\nWashes <b>soft</b> & keeps its shape.",
    );
    set(&mut form, "options[0][name]", "Size");
    set(&mut form, "options[0][values]", "S, M");
    set(&mut form, "options[1][name]", "Colour");
    set(&mut form, "options[1][values]", "Sand, Navy");
    let res = app
        .post_form(
            "/api/admin/products/save",
            &encode(&form),
            Some(&cookie),
            "/admin/products/new",
        )
        .await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let id: i64 = location
        .strip_prefix("/admin/products/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("to the new product's editor: {location}"));
    let cookie = session_cookie(&res).unwrap_or(cookie);
    let page = app.page(&location, &cookie).await;
    assert!(page.contains("Added Harbour Linen Shirt."), "the flash");
    assert_eq!(
        page.matches("data-testid=\"variant-row\"").count(),
        4,
        "a row offered for each combination"
    );
    assert!(page.contains("S / Navy"));

    // Three of the four offered combinations get a SKU and a price; it goes on sale.
    let opened = editor(&app, Some(id)).await;
    assert_eq!(opened.slug, "harbour-linen-shirt", "made from the name");
    assert!(opened.rows.iter().all(|r| r.variant.is_none() && r.fits));
    let mut form = form_of(&opened);
    set(&mut form, "status", "active");
    for (n, sku, price) in [
        (0, "hls-s-sand", "49"),
        (1, "HLS-S-NAVY", "49.5"),
        (2, "HLS-M-SAND", "1,049.00"),
    ] {
        set(&mut form, &format!("variants[{n}][sku]"), sku);
        set(&mut form, &format!("variants[{n}][price]"), price);
    }
    set(&mut form, "variants[0][compare_at]", "59.90");
    set(&mut form, "variants[2][weight]", "320");
    let res = save(&app, &form, &cookie).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );

    let variants: Vec<VariantRow> = sqlx::query_as(
        "SELECT v.sku, v.option1, v.option2, v.price::text, v.compare_at_price::text, v.weight_grams, i.on_hand
         FROM variants v JOIN inventory i ON i.variant_id = v.id
         WHERE v.product_id = $1 ORDER BY v.position",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .expect("variants");
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        variants,
        vec![
            (
                "HLS-S-SAND".into(),
                s("S"),
                s("Sand"),
                "49.00".into(),
                s("59.90"),
                0,
                0
            ),
            (
                "HLS-S-NAVY".into(),
                s("S"),
                s("Navy"),
                "49.50".into(),
                None,
                0,
                0
            ),
            (
                "HLS-M-SAND".into(),
                s("M"),
                s("Sand"),
                "1049.00".into(),
                None,
                320,
                0
            ),
        ]
    );
    assert_eq!(
        one::<i32>(&app, "SELECT version FROM products WHERE id = $1", id).await,
        2
    );
    let audit: Vec<(String, String, serde_json::Value)> = sqlx::query_as(
        "SELECT action, staff_email, after FROM audit_log
         WHERE subject_kind = 'product' AND subject_id = $1::text ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .expect("audit");
    assert_eq!(audit.len(), 2);
    assert_eq!(
        (audit[0].0.as_str(), audit[0].1.as_str()),
        ("product.create", "cat@example.com")
    );
    assert_eq!(audit[1].0, "product.edit");
    assert_eq!(audit[1].2["status"], "active");
    assert_eq!(audit[1].2["variants"]["HLS-M-SAND"]["price"], "1049.00");

    // On the shop at once, though it kept its 404 for a minute; staff's markup is text.
    let res = app.get("/p/harbour-linen-shirt").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("page");
    assert!(html.contains("Woven in Flanders."));
    assert!(
        html.contains("Washes &lt;b&gt;soft&lt;/b&gt; &amp; keeps its shape."),
        "as text, in its own paragraph"
    );
    assert!(!html.contains("<b>soft</b>"));
}

#[tokio::test]
async fn a_save_over_someone_elses_newer_one_is_refused_with_who_and_keeps_what_was_typed() {
    let app = seeded_app().await;
    let ann = catalog_manager(&app, "ann@example.com").await;
    let bob = catalog_manager(&app, "bob@example.com").await;
    let id: i64 = sqlx::query_scalar("SELECT min(id) FROM products")
        .fetch_one(&app.pool)
        .await
        .expect("a product");
    // Both open the product.
    let opened = editor(&app, Some(id)).await;
    let (mut ann_form, mut bob_form) = (form_of(&opened), form_of(&opened));

    set(&mut ann_form, "name", "Ann's name for it");
    let res = save(&app, &ann_form, &ann).await;
    assert_eq!(res.status(), 200);
    // Her own second save, from the page as it reloads, is no conflict.
    let mut again = form_of(&editor(&app, Some(id)).await);
    set(&mut again, "seo_title", "Ann's title");
    assert_eq!(save(&app, &again, &ann).await.status(), 200);

    // Bob's, based on the version both opened, is refused, and says by whom.
    set(&mut bob_form, "name", "Bob's name for it");
    set(&mut bob_form, "variants[0][price]", "1.23");
    let refused = answered_error(save(&app, &bob_form, &bob).await, 422).await;
    match &refused {
        AppError::Rule(Rule::Catalog(CatalogError::Stale(change))) => {
            assert_eq!(
                change.as_ref().map(|c| c.by.as_str()),
                Some("ann@example.com")
            );
        }
        other => panic!("refused as stale, not {other:?}"),
    }
    assert!(refused
        .to_string()
        .contains("ann@example.com saved this product at"));
    let (name, price): (String, String) = sqlx::query_as(
        "SELECT p.name, (SELECT price::text FROM variants WHERE product_id = p.id ORDER BY position, id LIMIT 1)
         FROM products p WHERE p.id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .expect("product");
    assert_eq!(name, "Ann's name for it", "Bob's save changed nothing");
    assert_ne!(price, "1.23");

    // Without JavaScript: back on the editor, the message, and Bob's typing kept.
    let page = format!("/admin/products/{id}");
    let res = app
        .post_form(
            "/api/admin/products/save",
            &encode(&bob_form),
            Some(&bob),
            &page,
        )
        .await;
    let shown = error_shown(&app, res, &bob).await;
    assert!(
        shown.contains("ann@example.com saved this product at"),
        "who"
    );
    assert!(
        shown.contains("value=\"Bob&#x27;s name for it\"")
            || shown.contains("value=\"Bob's name for it\""),
        "kept"
    );
    assert!(
        shown.contains("value=\"1.23\""),
        "a variant's price kept too"
    );

    // Ann puts a new colour first: every row moves down one. Bob's stale post is shown
    // again, but his price is not put on whatever row now has his row's number.
    let mut front = form_of(&editor(&app, Some(id)).await);
    let values = front
        .iter()
        .find(|(k, _)| k == "options[0][values]")
        .map(|(_, v)| v.clone())
        .expect("the product has an option");
    set(&mut front, "options[0][values]", &format!("Sand, {values}"));
    assert_eq!(save(&app, &front, &ann).await.status(), 200);
    let res = app
        .post_form(
            "/api/admin/products/save",
            &encode(&bob_form),
            Some(&bob),
            &page,
        )
        .await;
    let shown = error_shown(&app, res, &bob).await;
    assert!(shown.contains("ann@example.com saved this product at"));
    assert!(
        !shown.contains("value=\"1.23\""),
        "not on another variant's row"
    );

    // Having seen the message, Bob saves on top of the version now shown: his wins.
    let mut over = form_of(&editor(&app, Some(id)).await);
    set(&mut over, "name", "Bob's name for it");
    assert_eq!(save(&app, &over, &bob).await.status(), 200);
    assert_eq!(
        one::<String>(&app, "SELECT name FROM products WHERE id = $1", id).await,
        "Bob's name for it"
    );
}

#[tokio::test]
async fn a_slug_or_sku_of_another_product_is_an_error_beside_its_field() {
    let app = seeded_app().await;
    let cookie = catalog_manager(&app, "cat@example.com").await;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM products ORDER BY id LIMIT 2")
        .fetch_all(&app.pool)
        .await
        .expect("two products");
    let other = editor(&app, Some(ids[1])).await;
    let other_sku = other.rows[0]
        .variant
        .as_ref()
        .expect("a variant")
        .sku
        .clone();
    let opened = editor(&app, Some(ids[0])).await;

    let mut form = form_of(&opened);
    set(&mut form, "slug", &other.slug);
    match answered_error(save(&app, &form, &cookie).await, 422).await {
        AppError::Fields(errors) => {
            assert_eq!(
                errors.get("slug"),
                Some("Another product has this slug. Choose another.")
            );
        }
        other => panic!("a field error, not {other:?}"),
    }

    let mut form = form_of(&opened);
    set(&mut form, "variants[0][sku]", &other_sku.to_lowercase());
    match answered_error(save(&app, &form, &cookie).await, 422).await {
        AppError::Fields(errors) => {
            let message = errors.get("variants[0][sku]").expect("by the SKU's field");
            assert!(
                message.contains(&other_sku) && message.contains(&other.name),
                "{message}"
            );
        }
        other => panic!("a field error, not {other:?}"),
    }
    assert_eq!(
        one::<i32>(&app, "SELECT version FROM products WHERE id = $1", ids[0]).await,
        opened.version,
        "nothing saved"
    );
}

#[tokio::test]
async fn a_product_with_a_hundred_variants_opens_and_saves_and_values_go_only_when_confirmed() {
    let app = seeded_app().await;
    let cookie = catalog_manager(&app, "cat@example.com").await;
    let category: i64 = sqlx::query_scalar("SELECT min(id) FROM categories")
        .fetch_one(&app.pool)
        .await
        .expect("a category");
    let digits: Vec<String> = (0..10).map(|n| n.to_string()).collect();
    let mut form = form_of(&editor(&app, None).await);
    set(&mut form, "name", "Hundred Grid");
    set(&mut form, "category", &category.to_string());
    set(&mut form, "status", "active");
    set(&mut form, "options[0][name]", "Row");
    set(&mut form, "options[0][values]", &digits.join(","));
    set(&mut form, "options[1][name]", "Column");
    set(&mut form, "options[1][values]", &digits.join(","));
    for n in 0..100 {
        let (row, column) = (n / 10, n % 10);
        set(
            &mut form,
            &format!("variants[{n}][option1]"),
            &row.to_string(),
        );
        set(
            &mut form,
            &format!("variants[{n}][option2]"),
            &column.to_string(),
        );
        set(
            &mut form,
            &format!("variants[{n}][sku]"),
            &format!("GRID-{row}-{column}"),
        );
        set(
            &mut form,
            &format!("variants[{n}][price]"),
            &format!("{}.{:02}", 10 + row, column),
        );
    }
    let res = save(&app, &form, &cookie).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM products WHERE slug = 'hundred-grid'")
        .fetch_one(&app.pool)
        .await
        .expect("made");
    assert_eq!(
        one::<i64>(
            &app,
            "SELECT count(*) FROM variants WHERE product_id = $1",
            id
        )
        .await,
        100
    );

    // It opens (all 100 rows) and saves with one price changed: one change recorded.
    let page = app.page(&format!("/admin/products/{id}"), &cookie).await;
    assert_eq!(page.matches("data-testid=\"variant-row\"").count(), 100);
    let opened = editor(&app, Some(id)).await;
    let mut form = form_of(&opened);
    set(&mut form, "variants[57][price]", "99.99");
    assert_eq!(save(&app, &form, &cookie).await.status(), 200);
    let after: serde_json::Value = sqlx::query_scalar(
        "SELECT after FROM audit_log WHERE subject_id = $1::text ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .expect("audit");
    assert_eq!(
        after,
        serde_json::json!({ "variants": { "GRID-5-7": {
        "sku": "GRID-5-7", "options": ["5", "7"], "price": "99.99", "compare_at": null, "weight_grams": 0, "track_stock": true } } })
    );

    // Taking row 9 out asks first, naming the ten variants it removes…
    let opened = editor(&app, Some(id)).await;
    let mut form = form_of(&opened);
    set(&mut form, "options[0][values]", "0,1,2,3,4,5,6,7,8");
    match answered_error(save(&app, &form, &cookie).await, 422).await {
        AppError::Fields(errors) => {
            let message = errors.get("options").expect("about the options");
            assert!(
                message.contains("Saving removes 10 variants (GRID-9-0, GRID-9-1"),
                "{message}"
            );
        }
        other => panic!("a field error, not {other:?}"),
    }
    assert_eq!(
        one::<i64>(
            &app,
            "SELECT count(*) FROM variants WHERE product_id = $1",
            id
        )
        .await,
        100
    );
    // …and removes them once confirmed; a value added offers its combinations.
    set(&mut form, "confirm_removal", "on");
    set(&mut form, "options[1][values]", "0,1,2,3,4,5,6,7,8,9,X");
    assert_eq!(save(&app, &form, &cookie).await.status(), 200);
    assert_eq!(
        one::<i64>(
            &app,
            "SELECT count(*) FROM variants WHERE product_id = $1",
            id
        )
        .await,
        90
    );
    let reopened = editor(&app, Some(id)).await;
    assert_eq!(reopened.rows.len(), 99, "9 rows × 11 columns");
    assert_eq!(
        reopened
            .rows
            .iter()
            .filter(|r| r.variant.is_none())
            .map(|r| r.values.join("/"))
            .collect::<Vec<_>>(),
        (0..9).map(|r| format!("{r}/X")).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn variants_swap_skus_one_with_stock_stays_and_an_unchanged_save_writes_nothing() {
    let app = seeded_app().await;
    let cookie = catalog_manager(&app, "cat@example.com").await;
    let id = product_with_two_variants(&app).await;
    let audits = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM audit_log WHERE subject_id = $1::text",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("count")
        }
    };

    // Saving what was opened changes nothing: no new version, no audit entry.
    let opened = editor(&app, Some(id)).await;
    assert_eq!(save(&app, &form_of(&opened), &cookie).await.status(), 200);
    assert_eq!(
        one::<i32>(&app, "SELECT version FROM products WHERE id = $1", id).await,
        opened.version
    );
    assert_eq!(audits(&app).await, 0);

    // Two variants swap SKUs in one save.
    let (a, b) = (
        opened.rows[0].variant.clone().expect("saved"),
        opened.rows[1].variant.clone().expect("saved"),
    );
    let mut form = form_of(&opened);
    set(&mut form, "variants[0][sku]", &b.sku);
    set(&mut form, "variants[1][sku]", &a.sku);
    let res = save(&app, &form, &cookie).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(
        one::<String>(&app, "SELECT sku FROM variants WHERE id = $1", a.id).await,
        b.sku
    );
    assert_eq!(
        one::<String>(&app, "SELECT sku FROM variants WHERE id = $1", b.id).await,
        a.sku
    );

    // Removing one asks first; one with units on hand stays until its stock is 0.
    sqlx::query("UPDATE inventory SET on_hand = 4 WHERE variant_id = $1")
        .bind(a.id)
        .execute(&app.pool)
        .await
        .expect("stock");
    let mut form = form_of(&editor(&app, Some(id)).await);
    set(&mut form, "variants[0][remove]", "on");
    match answered_error(save(&app, &form, &cookie).await, 422).await {
        AppError::Fields(errors) => {
            let message = errors.get("options").expect("about removing");
            assert!(
                message.starts_with(&format!("Saving removes 1 variant ({})", b.sku)),
                "{message}"
            );
        }
        other => panic!("asked to confirm, not {other:?}"),
    }
    set(&mut form, "confirm_removal", "on");
    let refused = answered_error(save(&app, &form, &cookie).await, 422).await;
    assert_eq!(
        refused,
        AppError::Rule(Rule::Catalog(CatalogError::StockOnHand {
            sku: b.sku.clone(),
            units: 4
        }))
    );
    sqlx::query("UPDATE inventory SET on_hand = 0 WHERE variant_id = $1")
        .bind(a.id)
        .execute(&app.pool)
        .await
        .expect("stock");
    assert_eq!(save(&app, &form, &cookie).await.status(), 200);
    assert_eq!(
        one::<i64>(&app, "SELECT count(*) FROM variants WHERE id = $1", a.id).await,
        0
    );

    // A form that leaves out a saved variant was opened before it existed: stale.
    let reopened = editor(&app, Some(id)).await;
    let saved_row = reopened
        .rows
        .iter()
        .position(|r| r.variant.is_some())
        .expect("a saved variant");
    let mut form = form_of(&reopened);
    let prefix = format!("variants[{saved_row}]");
    form.retain(|(k, _)| !k.starts_with(&prefix));
    let refused = answered_error(save(&app, &form, &cookie).await, 422).await;
    assert!(
        matches!(
            refused,
            AppError::Rule(Rule::Catalog(CatalogError::Stale(Some(_))))
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn whether_a_variants_stock_is_tracked_is_saved_per_variant_and_audited() {
    let app = seeded_app().await;
    let cookie = catalog_manager(&app, "cat@example.com").await;
    let id = product_with_two_variants(&app).await;
    let opened = editor(&app, Some(id)).await;
    let first = opened.rows[0].variant.clone().expect("saved");
    let second = opened.rows[1].variant.clone().expect("saved");
    assert!(
        first.track_stock && second.track_stock,
        "tracked unless told"
    );
    let tracked = |variant: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, bool>("SELECT track_stock FROM variants WHERE id = $1")
                .bind(variant)
                .fetch_one(&pool)
                .await
                .expect("read")
        }
    };

    let mut form = form_of(&opened);
    set(&mut form, "variants[0][untracked]", "on");

    // A stock decision: with the catalog permission alone it is refused by its box.
    crate::common::staff_role_with(&app.pool, "Catalog", &[mercato::admin::Permission::Catalog])
        .await;
    let catalog_only = account_signed_in(
        &app,
        "catalog-only@example.com",
        Role::Staff,
        Some("Catalog"),
    )
    .await;
    match answered_error(save(&app, &form, &catalog_only).await, 422).await {
        AppError::Fields(errors) => assert!(
            errors
                .get("variants[0][untracked]")
                .is_some_and(|m| m.contains("inventory permission")),
            "{errors:?}"
        ),
        other => panic!("refused by the box, not {other:?}"),
    }
    assert!(tracked(first.id).await, "nothing changed");
    // …while the rest of the product is theirs to edit.
    let mut renamed = form_of(&opened);
    set(&mut renamed, "name", "Renamed by catalog");
    assert_eq!(save(&app, &renamed, &catalog_only).await.status(), 200);
    let opened = editor(&app, Some(id)).await;
    let mut form = form_of(&opened);
    set(&mut form, "variants[0][untracked]", "on");

    let res = save(&app, &form, &cookie).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert!(!tracked(first.id).await);
    assert!(tracked(second.id).await, "only the ticked row");
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE subject_id = $1::text ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .expect("audit");
    assert_eq!(before["variants"][&first.sku]["track_stock"], true);
    assert_eq!(after["variants"][&first.sku]["track_stock"], false);
    assert!(after["variants"].get(&second.sku).is_none(), "{after}");

    // The editor shows it, and saving what it shows keeps it.
    let reopened = editor(&app, Some(id)).await;
    let version = reopened.version;
    assert!(
        !reopened.rows[0]
            .variant
            .as_ref()
            .expect("saved")
            .track_stock
    );
    assert_eq!(save(&app, &form_of(&reopened), &cookie).await.status(), 200);
    assert_eq!(
        one::<i32>(&app, "SELECT version FROM products WHERE id = $1", id).await,
        version,
        "an unchanged save writes nothing"
    );

    // An unticked box sends nothing: tracked again.
    let mut form = form_of(&reopened);
    form.retain(|(k, _)| k != "variants[0][untracked]");
    assert_eq!(save(&app, &form, &cookie).await.status(), 200);
    assert!(tracked(first.id).await);
}

#[tokio::test]
async fn a_sku_conflict_is_put_beside_its_own_row_after_offered_ones() {
    let app = seeded_app().await;
    let cookie = catalog_manager(&app, "cat@example.com").await;
    let taken: String = sqlx::query_scalar("SELECT min(sku) FROM variants")
        .fetch_one(&app.pool)
        .await
        .expect("a sku");
    let category: i64 = sqlx::query_scalar("SELECT min(id) FROM categories")
        .fetch_one(&app.pool)
        .await
        .expect("a category");
    let mut form = form_of(&editor(&app, None).await);
    form.retain(|(k, _)| !k.starts_with("variants"));
    set(&mut form, "name", "Two Sizes");
    set(&mut form, "category", &category.to_string());
    set(&mut form, "options[0][name]", "Size");
    set(&mut form, "options[0][values]", "S, M");
    // Row 0 (S) is left blank: offered, not created; row 1 (M) takes a used SKU.
    set(&mut form, "variants[0][option1]", "S");
    set(&mut form, "variants[1][option1]", "M");
    set(&mut form, "variants[1][sku]", &taken);
    set(&mut form, "variants[1][price]", "5");
    match answered_error(save(&app, &form, &cookie).await, 422).await {
        AppError::Fields(errors) => {
            assert!(
                errors
                    .get("variants[1][sku]")
                    .is_some_and(|m| m.contains(&taken)),
                "{errors:?}"
            );
            assert_eq!(errors.get("variants[0][sku]"), None);
        }
        other => panic!("a field error, not {other:?}"),
    }
}
