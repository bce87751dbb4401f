//! Fulfilment: staff ship some units, then the rest; the order goes partly shipped, then
//! shipped, then delivered; the shopper gets a mail per parcel with its tracking link
//! and sees the parcels on their order page; never more units leave than were ordered,
//! even when two staff ship the same units at once; a tracking number is only ever
//! text.

use crate::common::checkout;
use crate::common::{account_signed_in, seeded_app, seeded_db, staff_role_with, Shop};
use mercato::accounts::Role;
use mercato::admin::{Missing, Permission};
use mercato::checkout::place::Placed;
use mercato::error::Rule;
use mercato::orders::fulfil::{self, ShipError, ShipLineForm, ShipRequest, Shipped};
use mercato::orders::{FulfilmentState, OrderStatus, PaymentState};
use mercato::Error;

use crate::common::checkout::staff_with;

/// A guest's paid order of `units` units of one variant.
async fn paid_order(shop: &Shop, token: &str, units: u32) -> Placed {
    checkout::paid_order(shop, token, units).await.0
}

async fn line_of(shop: &Shop, order: &Placed) -> i64 {
    sqlx::query_scalar("SELECT id FROM order_lines WHERE order_id = $1")
        .bind(order.id)
        .fetch_one(&shop.pool)
        .await
        .expect("its line")
}

async fn carrier(shop: &Shop, name: &str) -> String {
    sqlx::query_scalar::<_, i64>("SELECT id FROM carriers WHERE name = $1")
        .bind(name)
        .fetch_one(&shop.pool)
        .await
        .expect("a carrier")
        .to_string()
}

fn request(line: i64, units: u32, carrier: &str, tracking: &str) -> ShipRequest {
    ShipRequest::parse(
        &[ShipLineForm {
            id: line.to_string(),
            quantity: units.to_string(),
        }],
        carrier,
        tracking,
    )
    .expect("a well-formed shipment")
}

async fn states(shop: &Shop, order: &Placed) -> (OrderStatus, PaymentState, FulfilmentState) {
    let row: (String, String, String) =
        sqlx::query_as("SELECT status, payment_state, fulfilment_state FROM orders WHERE id = $1")
            .bind(order.id)
            .fetch_one(&shop.pool)
            .await
            .expect("the order");
    (
        OrderStatus::parse(&row.0).expect("status"),
        PaymentState::parse(&row.1).expect("payment"),
        FulfilmentState::parse(&row.2).expect("fulfilment"),
    )
}

/// The shipped mails queued for the order: (subject, text).
async fn shipped_mails(shop: &Shop) -> Vec<(String, String)> {
    sqlx::query_as("SELECT subject, body_text FROM outbox WHERE kind = 'order_shipped' ORDER BY id")
        .fetch_all(&shop.pool)
        .await
        .expect("the outbox")
}

#[tokio::test]
async fn staff_ship_part_then_the_rest_then_mark_it_delivered_and_the_shopper_is_told() {
    let shop = seeded_db().await;
    let order = paid_order(&shop, "fulfilment-part-then-rest-1", 3).await;
    let line = line_of(&shop, &order).await;
    let clerk = staff_with(&shop, "clerk@example.com", &[Permission::Orders]).await;
    let dhl = carrier(&shop, "DHL").await;
    let number = order.number.0;

    let first = fulfil::ship(
        &shop.pool,
        &clerk,
        number,
        &request(line, 1, &dhl, " JVGL 0001 "),
        "https://shop.example",
    )
    .await
    .expect("shipped one");
    assert_eq!(first, Shipped::Partly);
    assert_eq!(
        states(&shop, &order).await,
        (
            OrderStatus::Paid,
            PaymentState::Paid,
            FulfilmentState::PartiallyShipped
        )
    );
    let mails = shipped_mails(&shop).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].0.contains(&number.to_string()), "{}", mails[0].0);
    assert!(mails[0].1.contains("Part of your order"), "{}", mails[0].1);
    assert!(
        mails[0].1.contains("tracking-id=JVGL0001"),
        "{}",
        mails[0].1
    );
    assert!(mails[0].1.contains(&format!("/orders/{number}?key=")));

    // More than is left: refused, and nothing changes.
    let too_many = fulfil::ship(
        &shop.pool,
        &clerk,
        number,
        &request(line, 3, &dhl, "JVGL0002"),
        "https://shop.example",
    )
    .await;
    assert!(
        matches!(
            too_many,
            Err(Error::Rule(Rule::Ship(ShipError::TooMany { left: 2, .. })))
        ),
        "{too_many:?}"
    );
    assert_eq!(shipped_mails(&shop).await.len(), 1);

    let rest = fulfil::ship(
        &shop.pool,
        &clerk,
        number,
        &request(line, 2, &dhl, "JVGL0002"),
        "https://shop.example",
    )
    .await
    .expect("shipped the rest");
    assert_eq!(rest, Shipped::All);
    assert_eq!(
        states(&shop, &order).await,
        (
            OrderStatus::Fulfilled,
            PaymentState::Paid,
            FulfilmentState::Shipped
        )
    );
    assert_eq!(shipped_mails(&shop).await.len(), 2);
    // The shopper's view: both parcels, with their links; the history says shipped.
    let view = mercato::orders::read::order(
        &shop.pool,
        number,
        mercato::orders::read::Viewer::Key(&order.access_key),
    )
    .await
    .expect("the shopper's view");
    assert_eq!(view.status, OrderStatus::Fulfilled);
    assert_eq!(view.shipments.len(), 2);
    assert_eq!(view.shipments[1].lines, [(view.lines[0].name.clone(), 2)]);
    assert_eq!(
        view.shipments[0].tracking_url.as_deref(),
        Some(
            "https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?tracking-id=JVGL0001"
        )
    );
    assert_eq!(
        view.events.last().map(|e| e.status),
        Some(OrderStatus::Fulfilled)
    );
    let audited: Vec<(String, String, serde_json::Value)> = sqlx::query_as(
        "SELECT subject_id, staff_email, after FROM audit_log WHERE action = 'order.ship'
         ORDER BY id",
    )
    .fetch_all(&shop.pool)
    .await
    .expect("audit");
    assert_eq!(audited.len(), 2);
    assert!(audited
        .iter()
        .all(|(subject, by, _)| *subject == number.to_string() && by == "clerk@example.com"));
    assert_eq!(audited[0].2["carrier"], "DHL");
    assert_eq!(audited[0].2["tracking"], "JVGL0001");
    assert_eq!(audited[1].2["lines"][0]["quantity"], 2);

    // Shipped in full: nothing more ships. Delivered once.
    let again = fulfil::ship(
        &shop.pool,
        &clerk,
        number,
        &request(line, 1, &dhl, ""),
        "https://shop.example",
    )
    .await;
    assert!(
        matches!(
            again,
            Err(Error::Rule(Rule::Ship(ShipError::NotPaid(
                OrderStatus::Fulfilled
            ))))
        ),
        "{again:?}"
    );
    fulfil::mark_delivered(&shop.pool, &clerk, number)
        .await
        .expect("delivered");
    assert_eq!(
        states(&shop, &order).await,
        (
            OrderStatus::Delivered,
            PaymentState::Paid,
            FulfilmentState::Delivered
        )
    );
    let twice = fulfil::mark_delivered(&shop.pool, &clerk, number).await;
    assert!(
        matches!(
            twice,
            Err(Error::Rule(Rule::Ship(ShipError::NotShipped(
                OrderStatus::Delivered
            ))))
        ),
        "{twice:?}"
    );
    let undelivered: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM shipments WHERE order_id = $1 AND delivered_at IS NULL",
    )
    .bind(order.id)
    .fetch_one(&shop.pool)
    .await
    .expect("shipments");
    assert_eq!(undelivered, 0);
}

#[tokio::test]
async fn only_a_paid_order_ships_and_only_with_the_orders_permission() {
    let shop = seeded_db().await;
    let (unpaid, _) = checkout::unpaid_order(&shop, "fulfilment-unpaid-order-1", 1).await;
    let line = line_of(&shop, &unpaid).await;
    let clerk = staff_with(&shop, "clerk@example.com", &[Permission::Orders]).await;
    let ups = carrier(&shop, "UPS").await;
    let refused = fulfil::ship(
        &shop.pool,
        &clerk,
        unpaid.number.0,
        &request(line, 1, &ups, "1Z999"),
        "https://shop.example",
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(Error::Rule(Rule::Ship(ShipError::NotPaid(
                OrderStatus::PendingPayment
            ))))
        ),
        "{refused:?}"
    );
    let paid = paid_order(&shop, "fulfilment-paid-order-2", 1).await;
    let line = line_of(&shop, &paid).await;
    let refunder = staff_with(&shop, "money@example.com", &[Permission::Refunds]).await;
    let refused = fulfil::ship(
        &shop.pool,
        &refunder,
        paid.number.0,
        &request(line, 1, &ups, "1Z999"),
        "https://shop.example",
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(Error::NotPermitted(Missing(Permission::Orders)))
        ),
        "{refused:?}"
    );
    // A line of another order, and a carrier that is gone, change nothing either.
    let other_line = line_of(&shop, &unpaid).await;
    let refused = fulfil::ship(
        &shop.pool,
        &clerk,
        paid.number.0,
        &request(other_line, 1, &ups, ""),
        "https://shop.example",
    )
    .await;
    assert!(matches!(refused, Err(Error::Fields(_))), "{refused:?}");
    sqlx::query("UPDATE carriers SET active = false WHERE name = 'UPS'")
        .execute(&shop.pool)
        .await
        .expect("retired");
    let refused = fulfil::ship(
        &shop.pool,
        &clerk,
        paid.number.0,
        &request(line, 1, &ups, ""),
        "https://shop.example",
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(Error::Rule(Rule::Ship(ShipError::UnknownCarrier)))
        ),
        "{refused:?}"
    );
    let shipments: i64 = sqlx::query_scalar("SELECT count(*) FROM shipments")
        .fetch_one(&shop.pool)
        .await
        .expect("shipments");
    assert_eq!(shipments, 0);
    assert!(shipped_mails(&shop).await.is_empty());
}

#[tokio::test]
async fn two_staff_shipping_the_same_units_at_once_ship_them_once() {
    let shop = seeded_db().await;
    // Three units, and eight staff each shipping two of them: the units allow one such
    // parcel, and the order stays paid (one unit left), so it is the count of units,
    // not the order's status, that refuses the other seven.
    let order = paid_order(&shop, "fulfilment-racing-ships-1", 3).await;
    let line = line_of(&shop, &order).await;
    let clerk = staff_with(&shop, "clerk@example.com", &[Permission::Orders]).await;
    let dpd = carrier(&shop, "DPD").await;
    let shipment = request(line, 2, &dpd, "0123");
    let attempts = (0..8).map(|_| {
        fulfil::ship(
            &shop.pool,
            &clerk,
            order.number.0,
            &shipment,
            "https://shop.example",
        )
    });
    let results = futures_util::future::join_all(attempts).await;
    let shipped = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(shipped, 1, "{results:?}");
    for refused in results.iter().filter(|r| r.is_err()) {
        assert!(
            matches!(
                refused,
                Err(Error::Rule(Rule::Ship(ShipError::TooMany { left: 1, .. })))
            ),
            "{refused:?}"
        );
    }
    assert_eq!(
        states(&shop, &order).await,
        (
            OrderStatus::Paid,
            PaymentState::Paid,
            FulfilmentState::PartiallyShipped
        )
    );
    let units: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(quantity), 0)::bigint FROM shipment_lines WHERE order_line_id = $1",
    )
    .bind(line)
    .fetch_one(&shop.pool)
    .await
    .expect("units");
    assert_eq!(units, 2);
    assert_eq!(shipped_mails(&shop).await.len(), 1);
}

#[tokio::test]
async fn the_database_refuses_more_units_shipped_than_a_line_has() {
    let shop = seeded_db().await;
    let order = paid_order(&shop, "fulfilment-database-limit-1", 2).await;
    let line = line_of(&shop, &order).await;
    let shipment: i64 = sqlx::query_scalar(
        "INSERT INTO shipments (order_id, carrier) VALUES ($1, 'Hand') RETURNING id",
    )
    .bind(order.id)
    .fetch_one(&shop.pool)
    .await
    .expect("a shipment");
    let insert = |units: i32| {
        sqlx::query(
            "INSERT INTO shipment_lines (shipment_id, order_line_id, quantity) VALUES ($1, $2, $3)
             ON CONFLICT (shipment_id, order_line_id)
             DO UPDATE SET quantity = shipment_lines.quantity + EXCLUDED.quantity",
        )
        .bind(shipment)
        .bind(line)
        .bind(units)
        .execute(&shop.pool)
    };
    insert(2).await.expect("as many as ordered");
    let err = insert(1).await.expect_err("one more than ordered");
    let constraint = err
        .as_database_error()
        .and_then(|e| e.constraint())
        .map(str::to_owned);
    assert_eq!(constraint.as_deref(), Some("shipment_lines_within_order"));
    // Nor a line of another order in this order's parcel.
    let other = paid_order(&shop, "fulfilment-database-limit-2", 1).await;
    let foreign = line_of(&shop, &other).await;
    let err = sqlx::query(
        "INSERT INTO shipment_lines (shipment_id, order_line_id, quantity) VALUES ($1, $2, 1)",
    )
    .bind(shipment)
    .bind(foreign)
    .execute(&shop.pool)
    .await
    .expect_err("another order's line");
    assert_eq!(
        err.as_database_error().and_then(|e| e.constraint()),
        Some("shipment_lines_within_order")
    );
}

#[tokio::test]
async fn a_tracking_number_with_markup_is_only_text_for_staff_and_the_shopper() {
    let app = seeded_app().await;
    let shop = app.shop();
    let order = paid_order(&shop, "fulfilment-markup-tracking-1", 1).await;
    let line = line_of(&shop, &order).await;
    staff_role_with(&app.pool, "Fulfilment desk", &[Permission::Orders]).await;
    let cookie = account_signed_in(
        &app,
        "ship@example.com",
        Role::Staff,
        Some("Fulfilment desk"),
    )
    .await;
    let postnl = carrier(&shop, "PostNL").await;
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("number", &order.number.0.to_string())
        .append_pair("lines[0][id]", &line.to_string())
        .append_pair("lines[0][quantity]", "1")
        .append_pair("carrier", &postnl)
        .append_pair("tracking", "<img src=x onerror=alert(1)>")
        .finish();
    let res = app
        .call("/api/admin/orders/ship", &body, Some(&cookie))
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    // A staff note, which the shopper's page must never show.
    let note = format!("number={}&body=Secret+staff+remark", order.number.0);
    let res = app
        .call("/api/admin/orders/note", &note, Some(&cookie))
        .await;
    assert_eq!(res.status(), 200);
    let staff_page = app
        .page(&format!("/admin/orders/{}", order.number.0), &cookie)
        .await;
    let shopper_page = app
        .page(
            &format!("/orders/{}?key={}", order.number.0, order.access_key),
            "",
        )
        .await;
    assert!(staff_page.contains("Secret staff remark"));
    assert!(!shopper_page.contains("Secret staff remark"));
    for page in [&staff_page, &shopper_page] {
        assert!(!page.contains("<imgsrc"), "markup echoed");
        assert!(page.contains("&lt;imgsrc=xonerror=alert(1)&gt;"));
        // The link holds the number escaped, as one part of the carrier's address.
        assert!(
            page.contains("track-and-trace/%3Cimgsrc%3Dxonerror%3Dalert%281%29%3E"),
            "the tracking link"
        );
    }
    let mail: String =
        sqlx::query_scalar("SELECT body_html FROM outbox WHERE kind = 'order_shipped'")
            .fetch_one(&app.pool)
            .await
            .expect("the mail");
    assert!(!mail.contains("<imgsrc"), "{mail}");
}
