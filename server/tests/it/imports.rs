//! The catalog as CSV (`mercato::catalog::{transfer, imports}`, `/admin/imports`):
//! export streams every product and variant; an import is checked by a dry run that
//! writes nothing and names each problem by line and column, then applied product by
//! product (a product with a problem left out whole); export → import → export keeps
//! every price byte for byte, and applying a file twice changes nothing the second time.

use crate::common::{account_signed_in, seeded_app, TestApp};
use mercato::accounts::Role;
use mercato::catalog::imports::{self, Import, ImportState};
use mercato::Currency;

async fn staff(app: &TestApp) -> String {
    account_signed_in(app, "importer@example.com", Role::Admin, None).await
}

async fn export(app: &TestApp, cookie: &str) -> String {
    let res = app
        .client
        .get(app.url(app::admin::EXPORT_PATH))
        .header("cookie", cookie)
        .send()
        .await
        .expect("the export answers");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().expect("text"),
        "text/csv; charset=utf-8"
    );
    let bytes = res.bytes().await.expect("the whole file");
    let text = std::str::from_utf8(&bytes).expect("UTF-8").to_owned();
    text.strip_prefix('\u{feff}')
        .expect("a BOM for spreadsheets")
        .to_owned()
}

/// Uploads `file` and lets the worker check it.
async fn checked(app: &TestApp, cookie: &str, file: &str) -> Import {
    let res = app
        .call_multipart(
            "/api/admin/imports/upload",
            &[("file", Some("catalog.csv"), file.as_bytes())],
            Some(cookie),
        )
        .await;
    let id: i64 = answer(res).await.parse().expect("the import's id");
    work(app).await;
    let import = imports::get(&app.pool, id).await.expect("the import");
    assert_eq!(import.state, ImportState::Checked, "{import:?}");
    import
}

/// A server function's answer, which must be a success.
async fn answer(res: reqwest::Response) -> String {
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{body}");
    body
}

/// Runs the worker until no import waits.
async fn work(app: &TestApp) {
    while imports::run_next(&app.pool, Currency::EUR, &|| {})
        .await
        .expect("the worker runs")
    {}
}

async fn applied(app: &TestApp, cookie: &str, import: &Import) -> Import {
    let res = app
        .call(
            "/api/admin/imports/apply",
            &format!("id={}", import.id),
            Some(cookie),
        )
        .await;
    answer(res).await;
    work(app).await;
    let import = imports::get(&app.pool, import.id)
        .await
        .expect("the import");
    assert_eq!(import.state, ImportState::Applied, "{import:?}");
    import
}

/// Each variant's price in an exported file, by SKU.
fn prices(file: &str) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_reader(file.as_bytes());
    let headers = reader.headers().expect("a header").clone();
    let at = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (sku, price) = (at("sku"), at("price"));
    reader
        .records()
        .map(|r| r.expect("a row"))
        .filter(|r| !r[sku].is_empty())
        .map(|r| (r[sku].to_owned(), r[price].to_owned()))
        .collect()
}

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM variants),
                (SELECT count(*) FROM audit_log)",
    )
    .fetch_one(&app.pool)
    .await
    .expect("counts")
}

#[tokio::test]
async fn export_import_export_keeps_every_price_and_a_second_import_changes_nothing() {
    let app = seeded_app().await;
    let cookie = staff(&app).await;
    let first = export(&app, &cookie).await;
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    let variants = prices(&first);
    assert!(variants.len() > 200, "every variant: {}", variants.len());

    // The file as exported: nothing to do.
    let before = counts(&app).await;
    let same = checked(&app, &cookie, &first).await;
    assert_eq!(
        (
            same.created,
            same.updated,
            same.unchanged,
            same.problem_count
        ),
        (0, 0, products as i32, 0),
        "{:?}",
        same.problems
    );
    assert!(!same.can_apply());
    assert_eq!(counts(&app).await, before, "a dry run writes nothing");

    // One price typed the way a spreadsheet might (of a variant without a compare-at
    // price, which would have to stay above it), and a new product with two variants.
    let plain: String = sqlx::query_scalar(
        "SELECT sku FROM variants WHERE compare_at_price IS NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a variant");
    let at = variants
        .iter()
        .position(|(sku, _)| *sku == plain)
        .expect("exported");
    let (sku, old_price) = variants[at].clone();
    let changed = first.replacen(
        &format!(",{sku},{old_price},"),
        &format!(",{sku},\"1,234.5\","),
        1,
    );
    assert_ne!(changed, first);
    let category: String = sqlx::query_scalar("SELECT slug FROM categories ORDER BY id LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .expect("a category");
    let added = format!(
        "{changed}imported-scarf,Imported Scarf,active,{category},\"Warm, soft\r\nand long\",,,Colour,Red,,,,,SCARF-RED,0.10,,150,,4\r\n\
         imported-scarf,,,,,,,,Blue,,,,,SCARF-BLUE,19.99,25.00,150,no,0\r\n"
    );
    let check = checked(&app, &cookie, &added).await;
    assert_eq!(
        (check.created, check.updated, check.problem_count),
        (1, 1, 0),
        "{:?}",
        check.problems
    );
    assert_eq!(counts(&app).await, before, "a dry run writes nothing");
    let done = applied(&app, &cookie, &check).await;
    assert_eq!((done.created, done.updated), (1, 1));

    let scarf: (String, String, i32) = sqlx::query_as(
        "SELECT p.description, p.status, i.on_hand FROM products p
         JOIN variants v ON v.product_id = p.id JOIN inventory i ON i.variant_id = v.id
         WHERE v.sku = 'SCARF-RED'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the new product");
    assert_eq!(
        scarf,
        ("Warm, soft\nand long".to_owned(), "active".to_owned(), 4),
        "its initial stock is a movement"
    );
    let movement: String = sqlx::query_scalar(
        "SELECT m.reason FROM inventory_movements m JOIN variants v ON v.id = m.variant_id
         WHERE v.sku = 'SCARF-RED'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a movement");
    assert_eq!(movement, "initial");
    let tracking: Vec<(String, bool)> = sqlx::query_as(
        "SELECT sku, track_stock FROM variants WHERE sku LIKE 'SCARF-%' ORDER BY sku",
    )
    .fetch_all(&app.pool)
    .await
    .expect("tracking");
    assert_eq!(
        tracking,
        vec![
            ("SCARF-BLUE".to_owned(), false),
            ("SCARF-RED".to_owned(), true)
        ],
        "\"no\" is not tracked; an empty cell on a new variant is"
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('product.create', 'product.edit')",
    )
    .fetch_one(&app.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 2, "one entry per product changed");

    // The second export: every price as before, but the one changed (at the currency's
    // scale) and the two added.
    let second = export(&app, &cookie).await;
    let mut expected = variants.clone();
    expected[at].1 = "1234.50".to_owned();
    expected.push(("SCARF-RED".to_owned(), "0.10".to_owned()));
    expected.push(("SCARF-BLUE".to_owned(), "19.99".to_owned()));
    assert_eq!(prices(&second), expected);

    // The same file again: nothing changes, and nothing is written.
    let before = counts(&app).await;
    let again = checked(&app, &cookie, &added).await;
    assert_eq!(
        (again.created, again.updated, again.problem_count),
        (0, 0, 0),
        "{:?}",
        again.problems
    );
    assert_eq!(
        again.stock_ignored, 0,
        "the stock it gave is the stock saved"
    );
    assert!(!again.can_apply());
    assert_eq!(counts(&app).await, before);
    assert_eq!(export(&app, &cookie).await, second);
}

#[tokio::test]
async fn a_dry_run_lists_every_problem_by_line_and_column_and_a_bad_product_is_left_out_whole() {
    let app = seeded_app().await;
    let cookie = staff(&app).await;
    let category: String = sqlx::query_scalar("SELECT slug FROM categories ORDER BY id LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .expect("a category");
    let (sku, product): (String, i64) =
        sqlx::query_as("SELECT sku, product_id FROM variants ORDER BY id LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .expect("a variant");
    let (other, other_stock): (String, i32) = sqlx::query_as(
        "SELECT v.sku, i.on_hand FROM variants v JOIN inventory i ON i.variant_id = v.id
         WHERE v.product_id <> $1 AND i.on_hand <> 999 ORDER BY v.id LIMIT 1",
    )
    .bind(product)
    .fetch_one(&app.pool)
    .await
    .expect("another variant");
    let price_before: rust_decimal::Decimal =
        sqlx::query_scalar("SELECT price FROM variants WHERE sku = $1")
            .bind(&sku)
            .fetch_one(&app.pool)
            .await
            .expect("its price");
    let file = format!(
        "handle,name,category,option1_name,option1_value,sku,price,stock\n\
         good-hat,Good Hat,{category},,,HAT-1,10,\n\
         half-cap,Half Cap,{category},Size,S,CAP-1,10,\n\
         half-cap,,,,M,CAP-2,abc,\n\
         mitten,Mitten,{category},,,MIT-1,12.345,\n\
         glove,Glove,{category},,,GLO-1,-1,\n\
         sock,Sock,no-such-category,,,SOCK-1,3,\n\
         ,,,,,,9,\n\
         ,,,,,{sku},1e9,\n\
         ,,,,,{other},,999\n"
    );
    let before = counts(&app).await;
    let check = checked(&app, &cookie, &file).await;
    assert_eq!(counts(&app).await, before, "a dry run writes nothing");
    assert_eq!(
        check.stock_ignored, 1,
        "{other} has {other_stock}, the file 999"
    );
    let found: Vec<(u64, Option<&str>)> = check
        .problems
        .iter()
        .map(|p| (p.line, p.column.as_deref()))
        .collect();
    assert_eq!(
        found,
        vec![
            (4, Some("price")),
            (5, Some("price")),
            (6, Some("price")),
            (7, Some("category")),
            (8, Some("sku")),
            (8, Some("handle")),
            (9, Some("price")),
        ],
        "{:?}",
        check.problems
    );
    assert_eq!(check.created, 1, "the hat");
    assert_eq!(check.skipped, 5);
    let applied = applied(&app, &cookie, &check).await;
    assert_eq!((applied.created, applied.updated), (1, 0));
    let skus: Vec<String> =
        sqlx::query_scalar("SELECT sku FROM variants WHERE sku = ANY ($1) ORDER BY sku")
            .bind(vec!["HAT-1", "CAP-1", "CAP-2", "MIT-1", "GLO-1", "SOCK-1"])
            .fetch_all(&app.pool)
            .await
            .expect("skus");
    assert_eq!(skus, vec!["HAT-1"], "the cap is left out whole");
    let price: rust_decimal::Decimal =
        sqlx::query_scalar("SELECT price FROM variants WHERE sku = $1")
            .bind(&sku)
            .fetch_one(&app.pool)
            .await
            .expect("its price");
    assert_eq!(price, price_before, "product {product} is left alone");
    let stock: i32 = sqlx::query_scalar(
        "SELECT i.on_hand FROM inventory i JOIN variants v ON v.id = i.variant_id WHERE v.sku = $1",
    )
    .bind(&other)
    .fetch_one(&app.pool)
    .await
    .expect("its stock");
    assert_eq!(
        stock, other_stock,
        "a saved variant's stock is left to Inventory"
    );
}

#[tokio::test]
async fn a_file_that_cannot_be_read_is_not_applied_at_all() {
    let app = seeded_app().await;
    let cookie = staff(&app).await;
    let wrong_header = checked(&app, &cookie, "sku,prise\nA,1\n").await;
    assert!(!wrong_header.applicable);
    assert_eq!(wrong_header.problems[0].line, 1);
    assert_eq!(wrong_header.problems[0].column.as_deref(), Some("prise"));

    let broken = checked(
        &app,
        &cookie,
        "handle,name,category,sku,price\r\nhat,Hat,x,HAT-1,1\r\nhat,\"Open,x,HAT-2,2\r\n",
    )
    .await;
    assert!(!broken.applicable);
    assert_eq!(broken.problems.len(), 1, "{:?}", broken.problems);
    assert_eq!(broken.problems[0].line, 3);
    assert!(!broken.can_apply());
    let res = app
        .call(
            "/api/admin/imports/apply",
            &format!("id={}", broken.id),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 422);

    // An empty file is refused at the upload, by its field.
    let res = app
        .call_multipart(
            "/api/admin/imports/upload",
            &[("file", Some("empty.csv"), b"")],
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn the_export_is_for_staff_with_the_catalog_permission() {
    let app = seeded_app().await;
    let get = |cookie: Option<String>| {
        let app = &app;
        async move {
            let mut req = app.client.get(app.url(app::admin::EXPORT_PATH));
            if let Some(cookie) = cookie {
                req = req.header("cookie", cookie);
            }
            req.send().await.expect("answers").status()
        }
    };
    assert_eq!(get(None).await, 401);
    let customer = account_signed_in(&app, "c@example.com", Role::Customer, None).await;
    assert_eq!(get(Some(customer)).await, 403);
    crate::common::staff_role_with(
        &app.pool,
        "Stock only",
        &[mercato::admin::Permission::Inventory],
    )
    .await;
    let stock_only =
        account_signed_in(&app, "s@example.com", Role::Staff, Some("Stock only")).await;
    assert_eq!(get(Some(stock_only)).await, 403);
    crate::common::staff_role_with(&app.pool, "Catalog", &[mercato::admin::Permission::Catalog])
        .await;
    let catalog = account_signed_in(&app, "k@example.com", Role::Staff, Some("Catalog")).await;
    assert_eq!(get(Some(catalog.clone())).await, 200);

    // Compressed, as browsers ask for it: the stream ends cleanly (the compression
    // layer polls it once more after its end).
    let res = app
        .client
        .get(app.url(app::admin::EXPORT_PATH))
        .header("cookie", catalog)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("answers");
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let body = res.bytes().await.expect("the whole compressed file");
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain)
        .expect("gzip");
    let cookie = account_signed_in(&app, "k@example.com", Role::Staff, Some("Catalog")).await;
    assert_eq!(
        plain.strip_prefix('\u{feff}'),
        Some(export(&app, &cookie).await.as_str())
    );
}

#[tokio::test]
async fn the_export_reads_page_by_page_and_its_pages_make_the_whole_file() {
    let app = seeded_app().await;
    let cookie = staff(&app).await;
    let whole = export(&app, &cookie).await;
    // Pages of 7 products: the demo catalog is far more than one.
    let mut pages = String::from_utf8(mercato::catalog::export::header().expect("header"))
        .expect("text")
        .trim_start_matches('\u{feff}')
        .to_owned();
    let (mut after, mut count) = (0, 0);
    loop {
        let (bytes, next) = mercato::catalog::export::page(&app.pool, Currency::EUR, after, 7)
            .await
            .expect("a page");
        pages.push_str(std::str::from_utf8(&bytes).expect("text"));
        count += 1;
        match next {
            Some(last) => after = last,
            None => break,
        }
    }
    assert!(count > 10, "{count} pages");
    assert_eq!(pages, whole);
}

#[tokio::test]
async fn a_job_whose_worker_stopped_is_taken_up_again_and_fails_after_its_last_try() {
    let app = seeded_app().await;
    let cookie = staff(&app).await;
    let upload = |file: &'static str| {
        let (app, cookie) = (&app, &cookie);
        async move {
            let res = app
                .call_multipart(
                    "/api/admin/imports/upload",
                    &[("file", Some("catalog.csv"), file.as_bytes())],
                    Some(cookie),
                )
                .await;
            answer(res).await.parse::<i64>().expect("an id")
        }
    };
    let set = |id: i64, attempts: i32, held: &'static str| {
        let app = &app;
        async move {
            sqlx::query(&format!(
                "UPDATE catalog_imports SET attempts = $2, claimed_until = now() + interval '{held}'
                 WHERE id = $1"
            ))
            .bind(id)
            .bind(attempts)
            .execute(&app.pool)
            .await
            .expect("set");
        }
    };
    // Held by a worker still at it: left alone.
    let held = upload("sku,price\nA-1,1\n").await;
    set(held, 1, "1 minute").await;
    assert!(!imports::run_next(&app.pool, Currency::EUR, &|| {})
        .await
        .expect("runs"));
    // Its worker stopped: the hold lapses and the next worker checks it.
    set(held, 1, "-1 second").await;
    work(&app).await;
    assert_eq!(
        imports::get(&app.pool, held).await.expect("it").state,
        ImportState::Checked
    );
    // Taken up as often as it may be: it fails, and says what to do.
    let stuck = upload("sku,price\nA-1,1\n").await;
    set(stuck, imports::MAX_ATTEMPTS, "-1 second").await;
    work(&app).await;
    let failed = imports::get(&app.pool, stuck).await.expect("it");
    assert_eq!(failed.state, ImportState::Failed);
    assert!(failed
        .failure
        .as_deref()
        .unwrap_or_default()
        .contains("Upload the file again"));
    let body: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT body FROM catalog_imports WHERE id = $1")
            .bind(stuck)
            .fetch_one(&app.pool)
            .await
            .expect("body");
    assert_eq!(body, None, "the file is not kept");
}

#[tokio::test]
async fn a_job_acts_with_the_permissions_its_person_has_when_it_runs() {
    let app = seeded_app().await;
    crate::common::staff_role_with(&app.pool, "Catalog", &[mercato::admin::Permission::Catalog])
        .await;
    let cookie = account_signed_in(&app, "k@example.com", Role::Staff, Some("Catalog")).await;
    let res = app
        .call_multipart(
            "/api/admin/imports/upload",
            &[("file", Some("catalog.csv"), b"sku,price\nA-1,1\n")],
            Some(&cookie),
        )
        .await;
    let id: i64 = answer(res).await.parse().expect("an id");
    // The catalog permission taken away before the worker gets to it.
    sqlx::query("UPDATE staff_roles SET permissions = '{}' WHERE name = 'Catalog'")
        .execute(&app.pool)
        .await
        .expect("role changed");
    work(&app).await;
    let import = imports::get(&app.pool, id).await.expect("it");
    assert_eq!(import.state, ImportState::Failed);
    assert!(import
        .failure
        .as_deref()
        .unwrap_or_default()
        .contains("can no longer"));
}

#[tokio::test]
async fn the_first_problems_by_line_are_kept_and_every_one_is_counted() {
    let app = seeded_app().await;
    let cookie = staff(&app).await;
    let mut file = "handle,name,category,sku,price\n".to_owned();
    for n in 0..700 {
        file.push_str(&format!("p-{n},P {n},no-such-category,P-{n},1.005\n"));
    }
    let import = checked(&app, &cookie, &file).await;
    // One each: a row with an unknown category is not read further.
    assert_eq!(import.problem_count, 700);
    assert_eq!(import.problems.len(), imports::KEPT_PROBLEMS);
    let lines: Vec<u64> = import.problems.iter().map(|p| p.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    assert_eq!(lines[0], 2);
    assert_eq!(import.skipped, 700);
}
