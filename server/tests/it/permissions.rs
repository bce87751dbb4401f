//! Every back-office function and the permission it needs, called as a guest, a
//! customer, a staff member without that permission and one with it: 401, 403, 403,
//! 2xx. The table must list every `/api/admin/…` function the server registered, so a
//! new one cannot be added without saying who may call it.

use crate::common::{account_signed_in, seeded_app, staff_role_with, TestApp};
use mercato::accounts::Role;
use mercato::admin::Permission;
use std::collections::BTreeSet;

/// What a function needs: any staff member, or one permission.
#[derive(Debug, Clone, Copy)]
enum Needs {
    AnyStaff,
    Permission(Permission),
}

/// What the calls with the permission act on.
struct Fixture {
    /// A staff member the staff functions change.
    member: i64,
    /// A role with no permissions, which anyone with `staff` may give.
    no_permissions_role: i64,
    /// A variant whose stock the inventory functions change.
    variant: i64,
    /// A product the catalog functions change.
    product: i64,
    /// A category products can be put in.
    category: i64,
    /// A category without products or subcategories, to delete.
    empty_category: i64,
    /// A picture of `product`.
    image: i64,
    /// A checked import with something to apply.
    import: i64,
    /// An order's number.
    order: i64,
    /// A paid order's number, its line, and a carrier to ship it with.
    paid_order: i64,
    paid_line: i64,
    carrier: i64,
    /// A shipped order's number.
    shipped_order: i64,
    /// An order paid with the test provider (3 units of one line): its number and line.
    refund_order: i64,
    refund_line: i64,
    /// A paid order with a refund the provider never answered about: its number and
    /// the refund.
    retry_order: i64,
    retry_refund: i64,
    /// Returns waiting for an answer, for the parcel, and for their refund: each the
    /// order's number, the return, and its line.
    requested_return: (i64, i64, i64),
    approved_return: (i64, i64, i64),
    received_return: (i64, i64, i64),
    /// A customer's account, and one to anonymise.
    customer: i64,
    erased_customer: i64,
    /// A coupon to edit and pause, and one to delete.
    coupon: i64,
    doomed_coupon: i64,
    /// A shipping zone with no country (Japan is free to give it) and one to delete, a
    /// rate of the first to edit, a tax rate to edit and one to delete.
    zone: i64,
    doomed_zone: i64,
    rate: i64,
    tax_rate: i64,
    doomed_tax_rate: i64,
}

type Body = fn(&Fixture) -> String;

/// Every back-office function: its path under `/api/admin/`, what it needs, and a
/// well-formed call with the permission.
fn table() -> Vec<(&'static str, Needs, Body)> {
    use Needs::{AnyStaff, Permission as P};
    vec![
        ("me", AnyStaff, |_| String::new()),
        ("dashboard", AnyStaff, |_| "period=30d".to_owned()),
        ("stock-audit", P(Permission::Inventory), |_| String::new()),
        ("products", P(Permission::Catalog), |_| {
            "q=tee&sort=stock".to_owned()
        }),
        ("products/chosen", P(Permission::Catalog), |f| {
            format!("ids={}", f.product)
        }),
        ("products/bulk", P(Permission::Catalog), |f| {
            format!("ids={}&action=archive", f.product)
        }),
        ("products/editor", P(Permission::Catalog), |f| {
            format!("id={}", f.product)
        }),
        ("products/save", P(Permission::Catalog), |f| {
            format!(
                "name=Made+by+the+permission+test&status=draft&category={}",
                f.category
            )
        }),
        // A multipart form: see `send` below.
        ("products/images/upload", P(Permission::Catalog), |f| {
            format!("product={}&alt=A+tiny+picture", f.product)
        }),
        ("products/images/shift", P(Permission::Catalog), |f| {
            format!("product={}&image={}&direction=down", f.product, f.image)
        }),
        ("products/images/remove", P(Permission::Catalog), |f| {
            format!("product={}&image={}", f.product, f.image)
        }),
        ("categories", P(Permission::Catalog), |_| String::new()),
        ("categories/detail", P(Permission::Catalog), |f| {
            format!("id={}", f.category)
        }),
        ("categories/create", P(Permission::Catalog), |_| {
            "name=Made+by+the+permission+test&parent=".to_owned()
        }),
        ("categories/update", P(Permission::Catalog), |f| {
            format!(
                "id={}&name=Renamed+by+the+permission+test&parent=",
                f.category
            )
        }),
        ("categories/shift", P(Permission::Catalog), |f| {
            format!("id={}&direction=down", f.category)
        }),
        ("categories/delete", P(Permission::Catalog), |f| {
            format!("id={}", f.empty_category)
        }),
        ("imports", P(Permission::Catalog), |_| String::new()),
        ("imports/detail", P(Permission::Catalog), |f| {
            format!("id={}", f.import)
        }),
        // A multipart form: see `send` below.
        ("imports/upload", P(Permission::Catalog), |_| String::new()),
        ("imports/apply", P(Permission::Catalog), |f| {
            format!("id={}", f.import)
        }),
        ("inventory", P(Permission::Inventory), |_| {
            "show=all&q=TEE".to_owned()
        }),
        ("inventory/variant", P(Permission::Inventory), |f| {
            format!("variant={}", f.variant)
        }),
        ("inventory/adjust", P(Permission::Inventory), |f| {
            format!("variant={}&quantity=1&reason=restock&note=", f.variant)
        }),
        ("inventory/threshold", P(Permission::Inventory), |f| {
            format!("variant={}&threshold=3", f.variant)
        }),
        ("inventory/shop-threshold", P(Permission::Inventory), |_| {
            "threshold=4".to_owned()
        }),
        ("orders", P(Permission::Orders), |_| {
            "q=ada&status=pending_payment&sort=-total".to_owned()
        }),
        ("orders/detail", P(Permission::Orders), |f| {
            format!("number={}", f.order)
        }),
        ("orders/note", P(Permission::Orders), |f| {
            format!("number={}&body=Called+the+customer", f.order)
        }),
        ("orders/ship", P(Permission::Orders), |f| {
            format!(
                "number={}&lines[0][id]={}&lines[0][quantity]=1&carrier={}&tracking=JV01",
                f.paid_order, f.paid_line, f.carrier
            )
        }),
        ("orders/delivered", P(Permission::Orders), |f| {
            format!("number={}", f.shipped_order)
        }),
        ("orders/refund", P(Permission::Refunds), |f| {
            format!(
                "number={}&lines[0][id]={}&lines[0][quantity]=1&lines[0][restock]=on&currency=EUR&reason=Damaged",
                f.refund_order, f.refund_line
            )
        }),
        ("orders/refund/retry", P(Permission::Refunds), |f| {
            format!("number={}&refund={}", f.retry_order, f.retry_refund)
        }),
        // The unpaid order: its cancellation needs only the orders permission.
        ("orders/cancel", P(Permission::Orders), |f| {
            format!("number={}&reason=The+customer+asked", f.order)
        }),
        ("returns", P(Permission::Orders), |_| "show=open".to_owned()),
        ("returns/answer", P(Permission::Orders), |f| {
            let (number, id, _) = f.requested_return;
            format!("number={number}&id={id}&decision=approve")
        }),
        ("returns/receive", P(Permission::Orders), |f| {
            let (number, id, line) = f.approved_return;
            format!("number={number}&id={id}&restock[0][id]={line}&restock[0][quantity]=1")
        }),
        ("returns/refund", P(Permission::Refunds), |f| {
            let (number, id, _) = f.received_return;
            format!("number={number}&id={id}&currency=EUR")
        }),
        ("returns/policy", P(Permission::Settings), |_| {
            "days=45&instructions=Send+it+to+the+shop".to_owned()
        }),
        ("customers", P(Permission::Customers), |_| {
            "q=carol".to_owned()
        }),
        ("customers/detail", P(Permission::Customers), |f| {
            format!("id={}", f.customer)
        }),
        ("customers/note", P(Permission::Customers), |f| {
            format!("id={}&body=Called+about+a+parcel", f.customer)
        }),
        ("customers/reset", P(Permission::Customers), |f| {
            format!("id={}", f.customer)
        }),
        ("customers/anonymise", P(Permission::CustomerData), |f| {
            format!("id={}&confirm=yes", f.erased_customer)
        }),
        ("discounts", P(Permission::Discounts), |_| {
            "q=perm&state=live".to_owned()
        }),
        ("discounts/detail", P(Permission::Discounts), |f| {
            format!("id={}", f.coupon)
        }),
        ("discounts/new", P(Permission::Discounts), |_| String::new()),
        ("discounts/create", P(Permission::Discounts), |_| {
            "code=PERM-NEW&kind=fixed&value=5".to_owned()
        }),
        // Before the pause, which moves the coupon to its next version.
        ("discounts/update", P(Permission::Discounts), |f| {
            format!(
                "id={}&version=1&code=PERM-EDITED&kind=percent&value=15",
                f.coupon
            )
        }),
        ("discounts/pause", P(Permission::Discounts), |f| {
            format!("id={}&to=pause", f.coupon)
        }),
        ("discounts/delete", P(Permission::Discounts), |f| {
            format!("id={}&confirm=yes", f.doomed_coupon)
        }),
        ("settings/shipping", P(Permission::Settings), |_| {
            String::new()
        }),
        ("settings/shipping/zone", P(Permission::Settings), |f| {
            format!("id={}&version=1&name=Perm+Japan&countries[JP]=on", f.zone)
        }),
        ("settings/shipping/rate", P(Permission::Settings), |f| {
            format!(
                "id={}&version=1&zone={}&name=Perm+post&price=7.50&min_days=2&max_days=3&active=on",
                f.rate, f.zone
            )
        }),
        ("settings/shipping/delete", P(Permission::Settings), |f| {
            format!("what=zone&id={}&version=1&confirm=yes", f.doomed_zone)
        }),
        ("settings/tax", P(Permission::Settings), |_| String::new()),
        ("settings/tax/included", P(Permission::Settings), |_| {
            "prices_include_tax=added".to_owned()
        }),
        ("settings/tax/rate", P(Permission::Settings), |f| {
            format!(
                "id={}&version=1&country=US&region=WA&name=Sales+tax&rate=6.5",
                f.tax_rate
            )
        }),
        ("settings/tax/delete", P(Permission::Settings), |f| {
            format!("id={}&version=1&confirm=yes", f.doomed_tax_rate)
        }),
        ("staff", P(Permission::Staff), |_| String::new()),
        ("staff/role", P(Permission::Staff), |f| {
            format!("member={}&role=role-{}", f.member, f.no_permissions_role)
        }),
        ("staff/invite", P(Permission::Staff), |f| {
            format!(
                "email=invited{}@example.com&role=role-{}",
                f.member, f.no_permissions_role
            )
        }),
        ("staff/deactivate", P(Permission::Staff), |f| {
            format!("member={}", f.member)
        }),
        ("staff/reactivate", P(Permission::Staff), |f| {
            format!("member={}", f.member)
        }),
        ("audit", P(Permission::Staff), |_| String::new()),
    ]
}

#[tokio::test]
async fn the_table_lists_every_back_office_function() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .filter_map(|(path, _)| path.strip_prefix("/api/admin/").map(str::to_owned))
        .collect();
    let listed: BTreeSet<String> = table().iter().map(|(p, _, _)| (*p).to_owned()).collect();
    assert_eq!(
        registered, listed,
        "every /api/admin/ function needs a row in permissions::table()"
    );
    // And nothing outside /api/admin/ asks for staff (the shell, the tests and the
    // hostile suite all find staff functions by that prefix).
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        assert!(
            path.starts_with("/api/admin/") || !path.contains("admin"),
            "{path}"
        );
    }
}

/// A signed-in staff account with exactly `permissions` (through a role of its own).
async fn staff_with(app: &TestApp, email: &str, permissions: &[Permission]) -> String {
    staff_role_with(&app.pool, email, permissions).await;
    account_signed_in(app, email, Role::Staff, Some(email)).await
}

#[tokio::test]
async fn each_back_office_function_answers_only_whom_its_permission_allows() {
    let app = seeded_app().await;
    let customer = account_signed_in(&app, "carol@example.com", Role::Customer, None).await;
    // A member anyone with the staff permission may change: their role may do nothing.
    let no_permissions_role = staff_role_with(&app.pool, "Dashboard only", &[]).await;
    account_signed_in(
        &app,
        "target@example.com",
        Role::Staff,
        Some("Dashboard only"),
    )
    .await;
    // A paid order to ship (one line of 3, so every allowed call ships one unit), and
    // a shipped one to mark delivered.
    let paid = {
        let (placed, _) =
            crate::common::checkout::unpaid_order(&app.shop(), "permission-test-order-2", 3).await;
        sqlx::query("UPDATE orders SET status = 'paid', payment_state = 'paid' WHERE id = $1")
            .bind(placed.id)
            .execute(&app.pool)
            .await
            .expect("paid");
        let line: i64 = sqlx::query_scalar("SELECT id FROM order_lines WHERE order_id = $1")
            .bind(placed.id)
            .fetch_one(&app.pool)
            .await
            .expect("its line");
        (placed.number.0, line)
    };
    let shipped = {
        let (placed, _) =
            crate::common::checkout::unpaid_order(&app.shop(), "permission-test-order-3", 1).await;
        sqlx::query(
            "UPDATE orders SET status = 'fulfilled', payment_state = 'paid',
                               fulfilment_state = 'shipped' WHERE id = $1",
        )
        .bind(placed.id)
        .execute(&app.pool)
        .await
        .expect("shipped");
        placed.number.0
    };
    // Orders paid with the test provider, to refund.
    let paid_for_real = |token: &'static str| {
        let shop = app.shop();
        async move {
            let (placed, _) = crate::common::checkout::unpaid_order(&shop, token, 3).await;
            mercato::orders::lifecycle::record_payment(
                &shop.pool,
                &mercato::orders::lifecycle::PaymentReport {
                    order_id: placed.id,
                    provider: "test",
                    amount: placed.total,
                    outcome: mercato::orders::lifecycle::Outcome::Succeeded {
                        reference: format!("test_{token}"),
                    },
                    event_id: None,
                },
                "https://shop.example",
            )
            .await
            .expect("paid");
            placed
        }
    };
    let refund_order = paid_for_real("permission-test-order-4").await;
    let retry_order = paid_for_real("permission-test-order-5").await;
    let retry_refund: i64 = sqlx::query_scalar(
        "INSERT INTO refunds (order_id, payment_id, amount, currency, idempotency_key, reason)
         SELECT order_id, id, 1.00, currency, 'permission-test-retry-key', 'Unanswered'
         FROM payments WHERE order_id = $1 RETURNING id",
    )
    .bind(retry_order.id)
    .fetch_one(&app.pool)
    .await
    .expect("a refund waiting for the provider");
    // A return of one unit of `order`'s line, in `state`.
    let return_of = |order: mercato::checkout::place::Placed, state: &'static str| {
        let pool = app.pool.clone();
        async move {
            let (id, line): (i64, i64) = sqlx::query_as(
                "WITH l AS (SELECT id FROM order_lines WHERE order_id = $1),
                      r AS (INSERT INTO returns (order_id, reason, request_key, state,
                                                 answered_at, received_at)
                            SELECT $1, 'Too small', md5($2) || md5($2), $2,
                                   CASE WHEN $2 <> 'requested' THEN now() END,
                                   CASE WHEN $2 = 'received' THEN now() END
                            RETURNING id)
                 INSERT INTO return_lines (return_id, order_line_id, quantity)
                 SELECT r.id, l.id, 1 FROM r, l RETURNING return_id, order_line_id",
            )
            .bind(order.id)
            .bind(state)
            .fetch_one(&pool)
            .await
            .expect("a return");
            (order.number.0, id, line)
        }
    };
    let requested_return =
        return_of(paid_for_real("permission-test-order-6").await, "requested").await;
    let approved_return =
        return_of(paid_for_real("permission-test-order-7").await, "approved").await;
    let received_return =
        return_of(paid_for_real("permission-test-order-8").await, "received").await;
    account_signed_in(&app, "erase-me@example.com", Role::Customer, None).await;
    let account = |email: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(&pool)
                .await
                .expect("an account")
        }
    };
    let coupon = |code: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO coupons (code, kind, value) VALUES ($1, 'percent', 10) RETURNING id",
            )
            .bind(code)
            .fetch_one(&pool)
            .await
            .expect("a coupon")
        }
    };
    let insert = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .expect(sql)
        }
    };
    sqlx::query("DELETE FROM shipping_zone_countries WHERE country = 'JP'")
        .execute(&app.pool)
        .await
        .expect("Japan in no zone");
    let zone = insert("INSERT INTO shipping_zones (name) VALUES ('Perm zone') RETURNING id").await;
    let fixture = Fixture {
        zone,
        doomed_zone: insert("INSERT INTO shipping_zones (name) VALUES ('Perm doomed') RETURNING id")
            .await,
        rate: insert(
            "INSERT INTO shipping_rates (zone_id, name, price, min_days, max_days)
             SELECT id, 'Perm rate', 5, 1, 2 FROM shipping_zones WHERE name = 'Perm zone'
             RETURNING id",
        )
        .await,
        tax_rate: insert(
            "INSERT INTO tax_rates (country, region, name, rate) VALUES ('US', 'OR', 'None', 0)
             RETURNING id",
        )
        .await,
        doomed_tax_rate: insert(
            "INSERT INTO tax_rates (country, region, name, rate) VALUES ('US', 'TX', 'Sales tax', 6.25)
             RETURNING id",
        )
        .await,
        coupon: coupon("PERM-EDIT").await,
        doomed_coupon: coupon("PERM-DELETE").await,
        customer: account("carol@example.com").await,
        erased_customer: account("erase-me@example.com").await,
        requested_return,
        approved_return,
        received_return,
        refund_order: refund_order.number.0,
        refund_line: sqlx::query_scalar("SELECT id FROM order_lines WHERE order_id = $1")
            .bind(refund_order.id)
            .fetch_one(&app.pool)
            .await
            .expect("its line"),
        retry_order: retry_order.number.0,
        retry_refund,
        member: sqlx::query_scalar("SELECT id FROM users WHERE email = 'target@example.com'")
            .fetch_one(&app.pool)
            .await
            .expect("the member"),
        no_permissions_role,
        variant: crate::common::variant_in_stock(&app, 1).await.0,
        product: sqlx::query_scalar("SELECT min(id) FROM products")
            .fetch_one(&app.pool)
            .await
            .expect("a product"),
        category: sqlx::query_scalar("SELECT min(id) FROM categories")
            .fetch_one(&app.pool)
            .await
            .expect("a category"),
        image: sqlx::query_scalar(
            "INSERT INTO product_images (product_id, position, url, alt)
             SELECT min(id), 100, '/media/art/x.svg', 'x' FROM products RETURNING id",
        )
        .fetch_one(&app.pool)
        .await
        .expect("a picture"),
        import: sqlx::query_scalar(
            "INSERT INTO catalog_imports (uploaded_by, file_name, file_bytes, body, state,
                                          applicable, created, rows_total)
             SELECT id, 'made-by-the-test.csv', 3, 'sku', 'checked', true, 1, 1
             FROM users WHERE email = 'target@example.com' RETURNING id",
        )
        .fetch_one(&app.pool)
        .await
        .expect("a checked import"),
        order: crate::common::checkout::unpaid_order(&app.shop(), "permission-test-order-1", 1)
            .await
            .0
            .number
            .0,
        paid_order: paid.0,
        paid_line: paid.1,
        carrier: sqlx::query_scalar("SELECT min(id) FROM carriers")
            .fetch_one(&app.pool)
            .await
            .expect("a carrier"),
        shipped_order: shipped,
        empty_category: sqlx::query_scalar(
            "INSERT INTO categories (slug, name) VALUES ('empty-for-the-test', 'Empty') RETURNING id",
        )
        .fetch_one(&app.pool)
        .await
        .expect("an empty category"),
    };
    let dashboard_only = staff_with(&app, "dash@example.com", &[]).await;
    // One account per permission with it, and one without it, shared by the rows that
    // need that permission: signing in a pair per row would meet the sign-in limit.
    let mut accounts: std::collections::HashMap<(Permission, bool), String> = Default::default();
    for (path, needs, body) in table() {
        let path = format!("/api/admin/{path}");
        let body = body(&fixture);
        // The upload takes a multipart form (its fields, and a picture); the rest a
        // urlencoded one.
        let send = |cookie: Option<String>| {
            let (app, path, body) = (&app, &path, &body);
            async move {
                if app::admin::multipart_paths().contains(&path.as_str()) {
                    let fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    let mut parts: Vec<(&str, Option<&str>, &[u8])> = fields
                        .iter()
                        .map(|(k, v)| (k.as_str(), None, v.as_bytes()))
                        .collect();
                    parts.push(if path.ends_with("/imports/upload") {
                        ("file", Some("catalog.csv"), b"sku,price\nA-1,1\n" as &[u8])
                    } else {
                        ("file", Some("tiny.png"), crate::common::TINY_PNG)
                    });
                    app.call_multipart(path, &parts, cookie.as_deref()).await
                } else {
                    app.call(path, body, cookie.as_deref()).await
                }
            }
        };
        let status = |cookie: Option<String>| {
            let send = &send;
            async move { send(cookie).await.status() }
        };
        assert_eq!(status(None).await, 401, "{path} as a guest");
        assert_eq!(
            status(Some(customer.clone())).await,
            403,
            "{path} as a customer"
        );
        let allowed = match needs {
            Needs::AnyStaff => dashboard_only.clone(),
            Needs::Permission(needed) => {
                let others: Vec<Permission> = Permission::ALL
                    .into_iter()
                    .filter(|p| *p != needed)
                    .collect();
                let without = match accounts.get(&(needed, false)) {
                    Some(cookie) => cookie.clone(),
                    None => {
                        let email = format!("without-{}@example.com", needed.as_str());
                        let cookie = staff_with(&app, &email, &others).await;
                        accounts.insert((needed, false), cookie.clone());
                        cookie
                    }
                };
                assert_eq!(
                    status(Some(without)).await,
                    403,
                    "{path} as staff with every permission but {}",
                    needed.as_str()
                );
                match accounts.get(&(needed, true)) {
                    Some(cookie) => cookie.clone(),
                    None => {
                        let email = format!("with-{}@example.com", needed.as_str());
                        let cookie = staff_with(&app, &email, &[needed]).await;
                        accounts.insert((needed, true), cookie.clone());
                        cookie
                    }
                }
            }
        };
        let res = send(Some(allowed)).await;
        let status = res.status();
        assert!(
            status.is_success(),
            "{path} as staff allowed to: {status} {}",
            res.text().await.unwrap_or_default()
        );
    }
}
