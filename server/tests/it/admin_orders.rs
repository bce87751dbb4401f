//! The orders back office: the generator's history adds up; the list's filters, search,
//! sorts and keyset pages find exactly what they say, page after page; the CSV export
//! writes what the list finds and nothing a spreadsheet would run; staff see an order
//! whole and add notes, audited; an order's payment state follows its moves.

use crate::common::checkout;
use crate::common::{account_signed_in, seeded_app, seeded_db, staff_role_with, Shop, PASSWORD};
use mercato::accounts::Role;
use mercato::admin::{Missing, Permission, Staff};
use mercato::orders::generate::{generate, GenerateError};
use mercato::orders::staff::{self, OrderQuery, OrderRow, OrderSort};
use mercato::orders::{FulfilmentState, OrderStatus, PaymentState};
use mercato::Error;
use std::collections::HashSet;

async fn staff_with(shop: &Shop, email: &str, permissions: &[Permission]) -> Staff {
    let user = mercato::accounts::store::upsert_with_role(&shop.pool, email, PASSWORD, Role::Staff)
        .await
        .expect("a staff account");
    Staff::with_permissions(user, permissions)
}

/// A shop with the demo catalog and `n` generated orders.
async fn shop_with_orders(n: i64) -> Shop {
    let shop = seeded_db().await;
    let made = generate(&shop.pool, n, |_| {}).await.expect("generated");
    assert_eq!(made.orders, n);
    shop
}

/// Every row `query` finds, page after page, and how many pages it took.
async fn walk(shop: &Shop, desk: &Staff, query: &OrderQuery) -> (Vec<OrderRow>, usize) {
    let mut rows = Vec::new();
    let mut query = query.starting(None);
    let mut pages = 0;
    loop {
        let page = staff::list(&shop.pool, desk, &query).await.expect("a page");
        pages += 1;
        assert!(page.rows.len() as i64 <= staff::PER_PAGE);
        rows.extend(page.rows);
        match page.next {
            Some(after) => query = query.starting(Some(after)),
            None => return (rows, pages),
        }
        assert!(pages < 1000, "the pages never end");
    }
}

async fn count(shop: &Shop, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&shop.pool)
        .await
        .expect(sql)
}

#[tokio::test]
async fn generated_history_adds_up_and_takes_no_stock() {
    let shop = seeded_db().await;
    let stock_before = count(&shop, "SELECT sum(on_hand)::bigint FROM inventory").await;
    let made = generate(&shop.pool, 400, |_| {}).await.expect("generated");
    assert_eq!(made.orders, 400);
    assert_eq!(made.customers, 80);
    assert_eq!(
        made.lines,
        count(&shop, "SELECT count(*) FROM order_lines").await
    );
    assert!(made.lines >= 400 && made.lines <= 1600, "{}", made.lines);
    assert_eq!(
        count(&shop, "SELECT sum(on_hand)::bigint FROM inventory").await,
        stock_before
    );
    // Totals add up from their lines (the table's CHECK holds the rest).
    assert_eq!(
        count(
            &shop,
            "SELECT count(*) FROM orders o
             WHERE subtotal <> (SELECT sum(line_total) FROM order_lines WHERE order_id = o.id)"
        )
        .await,
        0
    );
    // Every order starts placed; its last move is its status; states agree with it.
    assert_eq!(
        count(
            &shop,
            "SELECT count(*) FROM orders o WHERE
                (SELECT to_status FROM order_events WHERE order_id = o.id ORDER BY id LIMIT 1)
                    <> 'pending_payment'
             OR (SELECT to_status FROM order_events WHERE order_id = o.id ORDER BY id DESC LIMIT 1)
                    <> o.status
             OR (o.status = 'cancelled') <> (o.payment_state = 'void')
             OR (o.status = 'delivered') <> (o.fulfilment_state = 'delivered')
             OR (o.status = 'fulfilled') <> (o.fulfilment_state = 'shipped')"
        )
        .await,
        0
    );
    // Shipped and delivered orders have every unit in a parcel; the others have none.
    assert_eq!(
        count(
            &shop,
            "SELECT count(*) FROM orders o WHERE
                (o.fulfilment_state IN ('shipped', 'delivered'))
                <> ((SELECT coalesce(sum(sl.quantity), 0) FROM shipment_lines sl
                     JOIN shipments s ON s.id = sl.shipment_id WHERE s.order_id = o.id)
                    = (SELECT sum(quantity) FROM order_lines WHERE order_id = o.id))
             OR (o.fulfilment_state = 'unfulfilled')
                <> NOT EXISTS (SELECT FROM shipments WHERE order_id = o.id)"
        )
        .await,
        0
    );
    assert_eq!(
        made.shipments,
        count(&shop, "SELECT count(*) FROM shipments").await
    );
    // A succeeded payment of the total for each paid order, none for the others.
    assert_eq!(
        count(
            &shop,
            "SELECT count(*) FROM orders o WHERE
                (o.payment_state = 'paid') <> EXISTS (SELECT FROM payments p
                    WHERE p.order_id = o.id AND p.status = 'succeeded' AND p.amount = o.total)"
        )
        .await,
        0
    );
    // Two years, growing, numbered in the order placed (within the few minutes' jitter).
    assert_eq!(
        count(
            &shop,
            "SELECT count(*) FROM orders WHERE placed_at < now() - interval '731 days'
                                           OR placed_at > now()"
        )
        .await,
        0
    );
    let first_year = count(
        &shop,
        "SELECT count(*) FROM orders WHERE placed_at < now() - interval '365 days'",
    )
    .await;
    assert!(first_year < 200, "{first_year} of 400 in the first year");
    assert_eq!(
        count(
            &shop,
            "SELECT count(*) FROM (SELECT placed_at, lag(placed_at) OVER (ORDER BY number) AS before
                                   FROM orders) t
             WHERE placed_at < before - interval '6 minutes'"
        )
        .await,
        0
    );
    // Some from accounts, some from guests; every status the generator makes is there.
    let guests = count(&shop, "SELECT count(*) FROM orders WHERE user_id IS NULL").await;
    assert!((40..=200).contains(&guests), "{guests} guests");
    // Into a shop with orders it makes none.
    assert!(matches!(
        generate(&shop.pool, 10, |_| {}).await,
        Err(GenerateError::OrdersExist)
    ));
    assert_eq!(count(&shop, "SELECT count(*) FROM orders").await, 400);
}

#[tokio::test]
async fn the_list_filters_searches_sorts_and_pages_without_losing_an_order() {
    let shop = shop_with_orders(260).await;
    let desk = staff_with(&shop, "desk@example.com", &[Permission::Orders]).await;
    // Everything, newest first, every order once.
    let (all, pages) = walk(&shop, &desk, &OrderQuery::default()).await;
    assert_eq!(all.len(), 260);
    assert_eq!(pages, 6);
    assert_eq!(
        all.iter().map(|r| r.number).collect::<HashSet<_>>().len(),
        260
    );
    let placed: Vec<&str> = all.iter().map(|r| r.placed.as_str()).collect();
    assert!(placed.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // Oldest first is the same orders the other way round.
    let (oldest, _) = walk(
        &shop,
        &desk,
        &OrderQuery {
            sort: OrderSort::Oldest,
            ..Default::default()
        },
    )
    .await;
    let mut reversed: Vec<i64> = oldest.iter().map(|r| r.id).collect();
    reversed.reverse();
    assert_eq!(reversed, all.iter().map(|r| r.id).collect::<Vec<_>>());
    // By total, across page boundaries, ties broken by id.
    let (by_total, _) = walk(
        &shop,
        &desk,
        &OrderQuery {
            sort: OrderSort::TotalDesc,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(by_total.len(), 260);
    assert_eq!(
        by_total.iter().map(|r| r.id).collect::<HashSet<_>>().len(),
        260,
        "no order twice, none lost, across ties"
    );
    assert!(by_total
        .windows(2)
        .all(|w| (w[0].total.amount(), w[0].id) > (w[1].total.amount(), w[1].id)));
    // Each filter finds exactly its orders.
    for status in [
        OrderStatus::Cancelled,
        OrderStatus::Delivered,
        OrderStatus::Paid,
    ] {
        let (rows, _) = walk(
            &shop,
            &desk,
            &OrderQuery {
                status: Some(status),
                ..Default::default()
            },
        )
        .await;
        let expected: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE status = $1")
            .bind(status.as_str())
            .fetch_one(&shop.pool)
            .await
            .expect("count");
        assert_eq!(rows.len() as i64, expected, "{status:?}");
        assert!(rows.iter().all(|r| r.status == status));
    }
    let (void, _) = walk(
        &shop,
        &desk,
        &OrderQuery {
            payment: Some(PaymentState::Void),
            fulfilment: Some(FulfilmentState::Unfulfilled),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        void.len() as i64,
        count(
            &shop,
            "SELECT count(*) FROM orders WHERE payment_state = 'void' AND fulfilment_state = 'unfulfilled'"
        )
        .await
    );
    assert!(!void.is_empty());
    assert!(void.iter().all(|r| r.status == OrderStatus::Cancelled));
    // A day's orders, and only those.
    let day = &all[100].placed[..10];
    let (that_day, _) = walk(
        &shop,
        &desk,
        &OrderQuery::from_params([None, None, None, None, Some(day), Some(day), None, None]),
    )
    .await;
    assert!(that_day.iter().any(|r| r.id == all[100].id));
    assert!(that_day.iter().all(|r| r.placed.starts_with(day)));
    let expected: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') = $1",
    )
    .bind(day)
    .fetch_one(&shop.pool)
    .await
    .expect("that day's orders");
    assert_eq!(that_day.len() as i64, expected);
    // Search: a number, an email's start, a name's words (any case, as prefixes).
    let one = &all[37];
    let found = |q: String| {
        let (shop, desk) = (&shop, &desk);
        async move {
            walk(
                shop,
                desk,
                &OrderQuery {
                    q,
                    ..Default::default()
                },
            )
            .await
            .0
        }
    };
    let by_number = found(format!("#{}", one.number)).await;
    assert_eq!(by_number.iter().map(|r| r.id).collect::<Vec<_>>(), [one.id]);
    let start: String = one
        .email
        .chars()
        .take(one.email.find('@').unwrap_or(3) + 1)
        .collect();
    let by_email = found(start.to_uppercase()).await;
    assert!(by_email.iter().any(|r| r.id == one.id));
    assert!(by_email.iter().all(|r| r.email.starts_with(&start)));
    let first_name = one
        .customer
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    let last_name = one
        .customer
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    let partial: String = last_name.chars().take(3).collect();
    let by_name = found(format!("{} {partial}", first_name.to_lowercase())).await;
    assert!(by_name.iter().any(|r| r.id == one.id), "{}", one.customer);
    assert!(by_name.iter().all(|r| r.customer.contains(&first_name)));
    // Nothing the text search would parse as syntax breaks it; a miss finds nothing.
    assert_eq!(
        found("a:* | !b & (".to_owned()).await,
        found("a b".to_owned()).await
    );
    assert!(found("&&&".to_owned()).await.is_empty());
    assert!(found("99999999999999999999".to_owned()).await.is_empty());
    assert!(found("nobody-at-all@".to_owned()).await.is_empty());
    assert!(found("100%_".to_owned()).await.is_empty());
}

#[tokio::test]
async fn the_export_writes_what_the_list_finds_and_nothing_a_spreadsheet_would_run() {
    let app = seeded_app().await;
    generate(&app.pool, 1200, |_| {}).await.expect("generated");
    // A name a spreadsheet would read as a formula.
    sqlx::query(
        "UPDATE orders SET shipping_address = jsonb_set(shipping_address, '{name}',
                                                        '\"=HYPERLINK(\\\"x\\\")\"')
         WHERE number = (SELECT min(number) FROM orders)",
    )
    .execute(&app.pool)
    .await
    .expect("renamed");
    staff_role_with(&app.pool, "Orders desk", &[Permission::Orders]).await;
    let staff = account_signed_in(&app, "desk@example.com", Role::Staff, Some("Orders desk")).await;
    staff_role_with(&app.pool, "Catalog only", &[Permission::Catalog]).await;
    let cataloguer =
        account_signed_in(&app, "cat@example.com", Role::Staff, Some("Catalog only")).await;
    let get = |path: String, cookie: Option<String>| {
        let app = &app;
        async move {
            let mut req = reqwest::Client::new().get(app.url(&path));
            if let Some(cookie) = cookie {
                req = req.header("cookie", cookie);
            }
            req.send().await.expect("sent")
        }
    };
    let path = format!(
        "{}?status=delivered&sort=oldest&after=5",
        staff::EXPORT_PATH
    );
    assert_eq!(get(path.clone(), None).await.status(), 401);
    assert_eq!(get(path.clone(), Some(cataloguer)).await.status(), 403);
    let res = get(path, Some(staff.clone())).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    let body = res.text().await.expect("csv");
    // A BOM first, so that spreadsheets read the file as UTF-8.
    let body = body.strip_prefix('\u{feff}').expect("a BOM");
    let mut lines = body.lines();
    assert!(lines
        .next()
        .unwrap_or_default()
        .starts_with("number,placed_at,status"));
    let rows: Vec<&str> = lines.collect();
    let delivered = count(
        &app.shop(),
        "SELECT count(*) FROM orders WHERE status = 'delivered'",
    )
    .await;
    // All of them (more than one page of the export), from the first: `after` is not
    // the export's.
    assert!(delivered > 1000, "{delivered}");
    assert_eq!(rows.len() as i64, delivered);
    assert!(rows
        .iter()
        .all(|r| r.split(',').nth(2) == Some("delivered")));
    let numbers: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.split(',').next()?.parse().ok())
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "oldest first");
    // The formula is written as text.
    let all = get(staff::EXPORT_PATH.to_owned(), Some(staff)).await;
    let all = all.text().await.expect("csv");
    assert_eq!(all.lines().count(), 1201);
    assert!(
        all.contains("'=HYPERLINK"),
        "{}",
        &all[..300.min(all.len())]
    );
    assert!(!all.contains(",=HYPERLINK"));
}

#[tokio::test]
async fn staff_see_an_order_whole_and_add_notes_for_each_other() {
    let shop = seeded_db().await;
    let (placed, _) = checkout::unpaid_order(&shop, "admin-orders-note-test-1", 2).await;
    let number = placed.number.0;
    let desk = staff_with(&shop, "desk@example.com", &[Permission::Orders]).await;
    let order = staff::order(&shop.pool, &desk, number)
        .await
        .expect("the order");
    assert_eq!(order.order.number.0, number);
    assert_eq!(order.payment, PaymentState::Unpaid);
    assert_eq!(order.fulfilment, FulfilmentState::Unfulfilled);
    assert_eq!(order.order.lines.len(), 1);
    assert!(order.customer.is_none(), "a guest's order");
    assert!(order.billing_address.is_some());
    assert_eq!(order.history.len(), 1);
    assert!(order.notes.is_empty());

    staff::add_note(
        &shop.pool,
        &desk,
        number,
        "  Called: the parcel may go to a neighbour  ",
    )
    .await
    .expect("noted");
    let order = staff::order(&shop.pool, &desk, number)
        .await
        .expect("the order");
    assert_eq!(order.notes.len(), 1);
    assert_eq!(
        order.notes[0].body,
        "Called: the parcel may go to a neighbour"
    );
    assert_eq!(order.notes[0].by, "desk@example.com");
    let audited: (String, String, serde_json::Value) = sqlx::query_as(
        "SELECT subject_id, staff_email, after FROM audit_log
         WHERE action = 'order.note' AND subject_kind = 'order'",
    )
    .fetch_one(&shop.pool)
    .await
    .expect("one audit entry");
    assert_eq!(audited.0, number.to_string());
    assert_eq!(audited.1, "desk@example.com");
    assert_eq!(
        audited.2["note"],
        "Called: the parcel may go to a neighbour"
    );
    // The customer's own view of the order never has the notes (they are not in it).
    let mine = mercato::orders::read::order(
        &shop.pool,
        number,
        mercato::orders::read::Viewer::Key(&placed.access_key),
    )
    .await
    .expect("the customer's view");
    assert!(!format!("{mine:?}").contains("neighbour"));

    // An empty note, an unknown order, someone without the permission: nothing added.
    let empty = staff::add_note(&shop.pool, &desk, number, " \n ").await;
    assert!(matches!(empty, Err(Error::Fields(_))), "{empty:?}");
    let unknown = staff::add_note(&shop.pool, &desk, 1, "Hello").await;
    assert!(matches!(unknown, Err(Error::NotFound)), "{unknown:?}");
    let cataloguer = staff_with(&shop, "cat@example.com", &[Permission::Catalog]).await;
    let refused = staff::add_note(&shop.pool, &cataloguer, number, "Hello").await;
    assert!(
        matches!(
            refused,
            Err(Error::NotPermitted(Missing(Permission::Orders)))
        ),
        "{refused:?}"
    );
    // Not even whether an order exists.
    for n in [number, 1] {
        let read = staff::order(&shop.pool, &cataloguer, n).await;
        assert!(
            matches!(read, Err(Error::NotPermitted(Missing(Permission::Orders)))),
            "{read:?}"
        );
    }
    assert_eq!(count(&shop, "SELECT count(*) FROM order_notes").await, 1);
    let list = staff::list(&shop.pool, &cataloguer, &OrderQuery::default()).await;
    assert!(
        matches!(list, Err(Error::NotPermitted(Missing(Permission::Orders)))),
        "{list:?}"
    );
    assert!(matches!(
        staff::export(shop.pool.clone(), &cataloguer, OrderQuery::default()),
        Err(Error::NotPermitted(Missing(Permission::Orders)))
    ));

    // Cancelled before payment: void, and the staff member is in its history.
    mercato::orders::lifecycle::cancel_unpaid_by_staff(
        &shop.pool,
        &staff_with(&shop, "lead@example.com", &[Permission::Orders]).await,
        placed.id,
        "Customer asked by phone",
        "https://shop.example",
    )
    .await
    .expect("cancelled");
    let order = staff::order(&shop.pool, &desk, number)
        .await
        .expect("the order");
    assert_eq!(order.order.status, OrderStatus::Cancelled);
    assert_eq!(order.payment, PaymentState::Void);
    assert_eq!(
        order.history.last().and_then(|e| e.by.as_deref()),
        Some("lead@example.com")
    );
    // Money that arrives after the cancel is the shop's to give back: paid, not void.
    let late = mercato::orders::lifecycle::PaymentReport {
        order_id: placed.id,
        provider: "test",
        amount: placed.total,
        outcome: mercato::orders::lifecycle::Outcome::Succeeded {
            reference: "test-late-1".to_owned(),
        },
        event_id: None,
    };
    let recorded =
        mercato::orders::lifecycle::record_payment(&shop.pool, &late, "http://shop.test")
            .await
            .expect("recorded");
    assert_eq!(
        recorded,
        mercato::orders::lifecycle::Recorded::PaidAfterCancel
    );
    let order = staff::order(&shop.pool, &desk, number)
        .await
        .expect("the order");
    assert_eq!(order.order.status, OrderStatus::Cancelled);
    assert_eq!(order.payment, PaymentState::Paid);
}

#[tokio::test]
async fn a_paid_order_is_paid_in_the_list_too() {
    let shop = seeded_db().await;
    let (placed, _) = checkout::unpaid_order(&shop, "admin-orders-paid-test-1", 1).await;
    let report = mercato::orders::lifecycle::PaymentReport {
        order_id: placed.id,
        provider: "test",
        amount: placed.total,
        outcome: mercato::orders::lifecycle::Outcome::Succeeded {
            reference: "test-paid-1".to_owned(),
        },
        event_id: None,
    };
    mercato::orders::lifecycle::record_payment(&shop.pool, &report, "http://shop.test")
        .await
        .expect("paid");
    let desk = staff_with(&shop, "desk@example.com", &[Permission::Orders]).await;
    let page = staff::list(
        &shop.pool,
        &desk,
        &OrderQuery {
            payment: Some(PaymentState::Paid),
            ..Default::default()
        },
    )
    .await
    .expect("the list");
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].number, placed.number.0);
    assert_eq!(page.rows[0].status, OrderStatus::Paid);
    assert_eq!(page.rows[0].items, 1);
    assert_eq!(page.rows[0].customer, checkout::address().name);
}

#[tokio::test]
async fn a_common_name_and_a_rare_one_find_the_same_way() {
    // More orders with the name than the search fetches by id: the list walks in its
    // order instead; fewer, and it looks them up. Both must find exactly the same.
    let shop = shop_with_orders(2300).await;
    let desk = staff_with(&shop, "desk@example.com", &[Permission::Orders]).await;
    sqlx::query(
        "UPDATE orders SET shipping_address = jsonb_set(shipping_address, '{name}',
                 to_jsonb('Zelda ' || CASE WHEN number % 1000 = 0 THEN 'Rareson' ELSE 'Common' END))
         WHERE number % 50 <> 7",
    )
    .execute(&shop.pool)
    .await
    .expect("renamed");
    for (q, sql) in [
        (
            "zelda",
            "SELECT count(*) FROM orders WHERE customer_name LIKE 'Zelda %'",
        ),
        (
            "ZELDA RARE",
            "SELECT count(*) FROM orders WHERE customer_name = 'Zelda Rareson'",
        ),
        (
            "zeld com",
            "SELECT count(*) FROM orders WHERE customer_name = 'Zelda Common'",
        ),
    ] {
        let expected = count(&shop, sql).await;
        let (rows, _) = walk(
            &shop,
            &desk,
            &OrderQuery {
                q: q.to_owned(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(rows.len() as i64, expected, "{q}");
        assert!(rows.windows(2).all(|w| w[0].placed >= w[1].placed), "{q}");
        assert_eq!(
            rows.iter().map(|r| r.id).collect::<HashSet<_>>().len(),
            rows.len(),
            "{q}"
        );
    }
    assert!(
        count(
            &shop,
            "SELECT count(*) FROM orders WHERE customer_name LIKE 'Zelda %'"
        )
        .await
            > 2000
    );
}
