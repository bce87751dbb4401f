//! Returns: a delivered order's customer asks to send units back; staff approve or
//! reject, mark the parcel received (restocking what can be sold again) and refund it
//! through the refund path; the customer sees each step and gets a mail. Refused before
//! delivery, after the window, for strangers, twice for the same units, and out of turn.

use crate::common::checkout::{self, staff_with};
use crate::common::{seeded_db, Shop};
use mercato::admin::Permission;
use mercato::checkout::place::Placed;
use mercato::error::Rule;
use mercato::orders::fulfil::{self, ShipLineForm, ShipRequest};
use mercato::orders::read::{self, Viewer};
use mercato::orders::refund::{self, RefundChoice, Refunded};
use mercato::orders::returns::{
    self, Answer, ReturnError, ReturnOffer, ReturnPolicy, ReturnRequest, ReturnState,
};
use mercato::payments::test_provider::TestProvider;
use mercato::payments::Payments;
use mercato::Error;

const URL: &str = "https://shop.example";

struct Delivered {
    order: Placed,
    variant: i64,
    line: i64,
    key: String,
}

/// A guest's order of `units` units, paid, shipped whole and (unless `deliver` is
/// false) delivered.
async fn order(shop: &Shop, token: &str, units: u32, deliver: bool) -> Delivered {
    let (order, variant) = checkout::paid_order(shop, token, units).await;
    let (line, key): (i64, String) = sqlx::query_as(
        "SELECT l.id, o.access_key FROM order_lines l JOIN orders o ON o.id = l.order_id
         WHERE o.id = $1",
    )
    .bind(order.id)
    .fetch_one(&shop.pool)
    .await
    .expect("its line");
    let clerk = staff_with(shop, "warehouse@example.com", &[Permission::Orders]).await;
    let dhl: i64 = sqlx::query_scalar("SELECT id FROM carriers WHERE name = 'DHL'")
        .fetch_one(&shop.pool)
        .await
        .expect("DHL");
    let parcel = ShipRequest::parse(
        &[ShipLineForm {
            id: line.to_string(),
            quantity: units.to_string(),
        }],
        &dhl.to_string(),
        "JV01",
    )
    .expect("a shipment");
    fulfil::ship(&shop.pool, &clerk, order.number.0, &parcel, URL)
        .await
        .expect("shipped");
    if deliver {
        fulfil::mark_delivered(&shop.pool, &clerk, order.number.0)
            .await
            .expect("delivered");
    }
    Delivered {
        order,
        variant,
        line,
        key,
    }
}

fn ask(line: i64, units: u32, key_seed: char) -> ReturnRequest {
    ReturnRequest::parse(
        &[ShipLineForm {
            id: line.to_string(),
            quantity: units.to_string(),
        }],
        "Too small",
        &key_seed.to_string().repeat(64),
    )
    .expect("a well-formed request")
}

fn refused(result: Result<impl std::fmt::Debug, Error>) -> ReturnError {
    match result {
        Err(Error::Rule(Rule::Return(why))) => why,
        other => panic!("expected a refused return, got {other:?}"),
    }
}

async fn state_of(shop: &Shop, id: i64) -> String {
    sqlx::query_scalar("SELECT state FROM returns WHERE id = $1")
        .bind(id)
        .fetch_one(&shop.pool)
        .await
        .expect("the return")
}

/// The return mails of the order, oldest first: (subject, text).
async fn return_mails(shop: &Shop, order: &Placed) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT subject, body_text FROM outbox WHERE kind = 'order_return'
         AND dedupe_key LIKE 'order:' || $1 || ':return:%' ORDER BY id",
    )
    .bind(order.id.to_string())
    .fetch_all(&shop.pool)
    .await
    .expect("the outbox")
}

fn payments() -> Payments {
    Payments::Test(TestProvider)
}

fn no_extra() -> RefundChoice {
    RefundChoice::parse_without_lines("", "", "EUR", "Return", "").expect("an empty extra")
}

#[tokio::test]
async fn a_return_is_asked_approved_received_restocked_and_refunded_and_the_customer_sees_each_step(
) {
    let shop = seeded_db().await;
    let d = order(&shop, "return-journey-00001", 3, true).await;
    let number = d.order.number.0;
    let clerk = staff_with(&shop, "clerk@example.com", &[Permission::Orders]).await;
    let money = staff_with(
        &shop,
        "money@example.com",
        &[Permission::Orders, Permission::Refunds],
    )
    .await;

    // The customer's page offers the three delivered units.
    let view = read::order(&shop.pool, number, Viewer::Key(&d.key))
        .await
        .expect("the order");
    match view.return_offer {
        Some(ReturnOffer::Open { ref lines, .. }) => {
            assert_eq!(lines.len(), 1);
            assert_eq!((lines[0].line_id, lines[0].returnable), (d.line, 3));
        }
        ref other => panic!("expected an open offer, got {other:?}"),
    }

    // Two of them, asked with the order's link.
    let id = returns::request(
        &shop.pool,
        number,
        Viewer::Key(&d.key),
        &ask(d.line, 2, 'a'),
        URL,
    )
    .await
    .expect("asked");
    assert_eq!(state_of(&shop, id).await, "requested");
    // The same form again asks nothing more; more units than are left are refused.
    assert_eq!(
        refused(
            returns::request(
                &shop.pool,
                number,
                Viewer::Key(&d.key),
                &ask(d.line, 2, 'a'),
                URL
            )
            .await
        ),
        ReturnError::AlreadySent
    );
    assert_eq!(
        refused(
            returns::request(
                &shop.pool,
                number,
                Viewer::Key(&d.key),
                &ask(d.line, 2, 'b'),
                URL
            )
            .await
        ),
        ReturnError::TooManyUnits {
            name: view.lines[0].name.clone(),
            left: 1
        }
    );
    let mails = return_mails(&shop, &d.order).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].0.contains("return request"), "{}", mails[0].0);
    assert!(mails[0].1.contains(&format!("2 × {}", view.lines[0].name)));

    // Approved, with words for the customer and the shop's instructions.
    returns::answer(
        &shop.pool,
        &clerk,
        number,
        id,
        &Answer::Approve(Some("Thanks, use the label in the box.".to_owned())),
        URL,
    )
    .await
    .expect("approved");
    assert_eq!(
        refused(
            returns::answer(
                &shop.pool,
                &clerk,
                number,
                id,
                &Answer::Reject("No".into()),
                URL
            )
            .await
        ),
        ReturnError::Changed {
            now: "approved".to_owned()
        }
    );
    let seen = read::order(&shop.pool, number, Viewer::Key(&d.key))
        .await
        .expect("the order");
    let ret = &seen.returns[0];
    assert_eq!(ret.state, ReturnState::Approved);
    assert!(ret
        .instructions
        .as_deref()
        .is_some_and(|i| i.contains("postage")));
    assert_eq!(ret.answered_by, None, "staff names stay with staff");
    let mails = return_mails(&shop, &d.order).await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails[1].1.contains("use the label in the box"),
        "{}",
        mails[1].1
    );
    assert!(
        mails[1].1.contains("How to send them back"),
        "{}",
        mails[1].1
    );

    // The refund form leaves the units the return holds to the return.
    let by_form = RefundChoice::parse(
        &[mercato::orders::refund::RefundLineForm {
            id: d.line.to_string(),
            quantity: "2".to_owned(),
            restock: Some("on".to_owned()),
        }],
        "",
        "",
        "EUR",
        "Returned",
        "",
    )
    .expect("a refund form");
    assert!(matches!(
        refund::refund(&shop.pool, &payments(), &money, number, &by_form, URL).await,
        Err(Error::Rule(Rule::Refund(
            mercato::orders::refund::RefundError::HeldByReturn { held: 2, .. }
        )))
    ));

    // Refunding before the parcel is back is refused.
    assert_eq!(
        refused(
            refund::refund_return(
                &shop.pool,
                &payments(),
                &money,
                number,
                id,
                &no_extra(),
                URL
            )
            .await
        ),
        ReturnError::NotReceived
    );

    // Received: one of the two can be sold again.
    let stock = checkout::stock_of(&shop, d.variant).await;
    returns::receive(&shop.pool, &clerk, number, id, &[(d.line, 1)], URL)
        .await
        .expect("received");
    assert_eq!(checkout::stock_of(&shop, d.variant).await, stock + 1);
    let movement: (i32, String, Option<i64>) = sqlx::query_as(
        "SELECT delta, reason, staff_id FROM inventory_movements
         WHERE variant_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(d.variant)
    .fetch_one(&shop.pool)
    .await
    .expect("a movement");
    assert_eq!(movement, (1, "return".to_owned(), Some(clerk.id())));
    assert_eq!(
        refused(returns::receive(&shop.pool, &clerk, number, id, &[(d.line, 1)], URL).await),
        ReturnError::Changed {
            now: "received".to_owned()
        }
    );

    // Refunding needs the refunds permission; then it gives back the two units' share,
    // puts nothing back in stock again, and the return is refunded.
    let missing = refund::refund_return(
        &shop.pool,
        &payments(),
        &clerk,
        number,
        id,
        &no_extra(),
        URL,
    )
    .await;
    assert!(
        matches!(
            missing,
            Err(Error::NotPermitted(mercato::admin::Missing(
                Permission::Refunds
            )))
        ),
        "{missing:?}"
    );
    let refunded = refund::refund_return(
        &shop.pool,
        &payments(),
        &money,
        number,
        id,
        &no_extra(),
        URL,
    )
    .await
    .expect("refunded");
    let paid_for_line = d.order.total.amount()
        - sqlx::query_scalar::<_, rust_decimal::Decimal>(
            "SELECT shipping FROM orders WHERE id = $1",
        )
        .bind(d.order.id)
        .fetch_one(&shop.pool)
        .await
        .expect("shipping");
    let two_thirds = mercato::Money::new(
        paid_for_line * rust_decimal::Decimal::from(2) / rust_decimal::Decimal::from(3),
        d.order.total.currency(),
    );
    assert_eq!(refunded, Refunded::Done(two_thirds));
    assert_eq!(checkout::stock_of(&shop, d.variant).await, stock + 1);
    assert_eq!(state_of(&shop, id).await, "refunded");
    let (status, return_id): (String, Option<i64>) = sqlx::query_as(
        "SELECT o.status, r.return_id FROM orders o JOIN refunds r ON r.order_id = o.id
         WHERE o.id = $1",
    )
    .bind(d.order.id)
    .fetch_one(&shop.pool)
    .await
    .expect("the refund");
    assert_eq!(
        (status.as_str(), return_id),
        ("partially_refunded", Some(id))
    );
    assert_eq!(
        refused(
            refund::refund_return(
                &shop.pool,
                &payments(),
                &money,
                number,
                id,
                &no_extra(),
                URL
            )
            .await
        ),
        ReturnError::Refunded
    );

    // The customer sees it refunded; the third unit may still be returned.
    let seen = read::order(&shop.pool, number, Viewer::Key(&d.key))
        .await
        .expect("the order");
    assert_eq!(seen.returns[0].state, ReturnState::Refunded);
    assert_eq!(seen.returns[0].refund.map(|(m, _)| m), Some(two_thirds));
    match seen.return_offer {
        Some(ReturnOffer::Open { ref lines, .. }) => assert_eq!(lines[0].returnable, 1),
        ref other => panic!("expected an open offer, got {other:?}"),
    }
    let refund_mails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE kind = 'order_refunded' AND dedupe_key LIKE 'order:' || $1 || ':%'",
    )
    .bind(d.order.id.to_string())
    .fetch_one(&shop.pool)
    .await
    .expect("mails");
    assert_eq!(refund_mails, 1);
    let history: Vec<String> = sqlx::query_scalar(
        "SELECT note FROM order_events WHERE order_id = $1 AND note LIKE 'Return%' ORDER BY id",
    )
    .bind(d.order.id)
    .fetch_all(&shop.pool)
    .await
    .expect("history");
    assert_eq!(
        history,
        ["Return requested", "Return approved", "Return received"]
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'order.return' AND subject_id = $1",
    )
    .bind(number.to_string())
    .fetch_one(&shop.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn a_return_is_refused_before_delivery_after_the_window_to_strangers_and_when_rejected() {
    let shop = seeded_db().await;
    let clerk = staff_with(&shop, "clerk@example.com", &[Permission::Orders]).await;
    let d = order(&shop, "return-refused-000001", 2, false).await;
    let number = d.order.number.0;

    // Shipped, not delivered.
    assert_eq!(
        refused(
            returns::request(
                &shop.pool,
                number,
                Viewer::Key(&d.key),
                &ask(d.line, 1, 'a'),
                URL
            )
            .await
        ),
        ReturnError::NotDelivered
    );
    fulfil::mark_delivered(&shop.pool, &clerk, number)
        .await
        .expect("delivered");

    // Strangers: a wrong key, someone else's account, staff on nobody's behalf.
    let wrong = "f".repeat(64);
    for viewer in [
        Viewer::Key(&wrong),
        Viewer::User(i64::MAX),
        Viewer::Staff(&clerk),
    ] {
        assert!(
            matches!(
                returns::request(&shop.pool, number, viewer, &ask(d.line, 1, 'a'), URL).await,
                Err(Error::NotFound)
            ),
            "{viewer:?}"
        );
    }

    // Delivered 30 days ago (UTC): today is the window's last day.
    let delivered_days_ago = |days: i32| {
        let pool = shop.pool.clone();
        let order_id = d.order.id;
        async move {
            sqlx::query(
                "UPDATE shipments SET delivered_at = date_trunc('day', now() AT TIME ZONE 'UTC')
                     AT TIME ZONE 'UTC' - make_interval(days => $2) + interval '23 hours'
                 WHERE order_id = $1",
            )
            .bind(order_id)
            .bind(days)
            .execute(&pool)
            .await
            .expect("back in time");
        }
    };
    delivered_days_ago(30).await;
    let view = read::order(&shop.pool, number, Viewer::Key(&d.key))
        .await
        .expect("the order");
    assert!(
        matches!(view.return_offer, Some(ReturnOffer::Open { .. })),
        "{:?}",
        view.return_offer
    );
    // 31 days ago: outside the 30-day window, until the window grows.
    delivered_days_ago(31).await;
    assert!(matches!(
        refused(
            returns::request(
                &shop.pool,
                number,
                Viewer::Key(&d.key),
                &ask(d.line, 1, 'a'),
                URL
            )
            .await
        ),
        ReturnError::WindowClosed { days: 30, .. }
    ));
    let policy = ReturnPolicy::parse("60", "Send it to Mercato Returns, Keizersgracht 1.")
        .expect("a policy");
    assert!(matches!(
        returns::set_policy(&shop.pool, &clerk, &policy).await,
        Err(Error::NotPermitted(mercato::admin::Missing(
            Permission::Settings
        )))
    ));
    let admin = staff_with(&shop, "settings@example.com", &[Permission::Settings]).await;
    returns::set_policy(&shop.pool, &admin, &policy)
        .await
        .expect("saved");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'setting' AND subject_id = 'returns'",
    )
    .fetch_one(&shop.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 1);

    // Now within it: asked, then rejected with staff's words.
    let id = returns::request(
        &shop.pool,
        number,
        Viewer::Key(&d.key),
        &ask(d.line, 2, 'a'),
        URL,
    )
    .await
    .expect("asked");
    assert!(
        Answer::parse("reject", " ").is_err(),
        "a rejection says why"
    );
    returns::answer(
        &shop.pool,
        &clerk,
        number,
        id,
        &Answer::Reject("Worn, with a stain.".into()),
        URL,
    )
    .await
    .expect("rejected");
    assert_eq!(state_of(&shop, id).await, "rejected");
    let mails = return_mails(&shop, &d.order).await;
    assert!(mails
        .last()
        .is_some_and(|m| m.1.contains("Why: Worn, with a stain.")));
    // A rejected return is not received, and its units are not asked back again.
    assert_eq!(
        refused(returns::receive(&shop.pool, &clerk, number, id, &[], URL).await),
        ReturnError::Changed {
            now: "rejected".to_owned()
        }
    );
    assert_eq!(
        refused(
            returns::request(
                &shop.pool,
                number,
                Viewer::Key(&d.key),
                &ask(d.line, 1, 'b'),
                URL
            )
            .await
        ),
        ReturnError::NothingLeft
    );
    // Another order's return is not found through this one.
    let other = order(&shop, "return-refused-000002", 1, true).await;
    assert!(matches!(
        returns::answer(
            &shop.pool,
            &clerk,
            other.order.number.0,
            id,
            &Answer::Approve(None),
            URL
        )
        .await,
        Err(Error::NotFound)
    ));
    // No returns at all.
    let none = ReturnPolicy::parse("0", "No returns.").expect("a policy");
    returns::set_policy(&shop.pool, &admin, &none)
        .await
        .expect("saved");
    assert_eq!(
        refused(
            returns::request(
                &shop.pool,
                other.order.number.0,
                Viewer::Key(&other.key),
                &ask(other.line, 1, 'c'),
                URL
            )
            .await
        ),
        ReturnError::NoReturns
    );
}

#[tokio::test]
async fn requests_at_once_ask_each_unit_back_once_and_the_database_holds_the_line() {
    let shop = seeded_db().await;
    let d = order(&shop, "return-race-00000001", 2, true).await;
    let number = d.order.number.0;
    let seeds = ['1', '2', '3', '4', '5', '6', '7', '8'];
    let asks = seeds.map(|seed| {
        let pool = shop.pool.clone();
        let key = d.key.clone();
        let request = ask(d.line, 2, seed);
        tokio::spawn(async move {
            returns::request(&pool, number, Viewer::Key(&key), &request, URL).await
        })
    });
    let mut made = 0;
    for ask in asks {
        match ask.await.expect("joined") {
            Ok(_) => made += 1,
            Err(Error::Rule(Rule::Return(
                ReturnError::TooManyUnits { .. } | ReturnError::NothingLeft,
            ))) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(made, 1);
    let asked: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(quantity), 0) FROM return_lines WHERE order_line_id = $1",
    )
    .bind(d.line)
    .fetch_one(&shop.pool)
    .await
    .expect("units");
    assert_eq!(asked, 2);
    // A writer that skips the rules is refused by the database.
    let raw = sqlx::query(
        "WITH r AS (INSERT INTO returns (order_id, reason, request_key)
                    VALUES ($1, 'raw', repeat('9', 64)) RETURNING id)
         INSERT INTO return_lines (return_id, order_line_id, quantity) SELECT id, $2, 1 FROM r",
    )
    .bind(d.order.id)
    .bind(d.line)
    .execute(&shop.pool)
    .await;
    let constraint = raw
        .as_ref()
        .err()
        .and_then(|e| e.as_database_error())
        .and_then(|e| e.constraint().map(str::to_owned));
    assert_eq!(constraint.as_deref(), Some("return_lines_within_order"));
}

#[tokio::test]
async fn a_parcel_that_arrives_before_the_answer_is_received_within_its_units() {
    let shop = seeded_db().await;
    let clerk = staff_with(&shop, "clerk@example.com", &[Permission::Orders]).await;
    let d = order(&shop, "return-early-parcel-01", 2, true).await;
    let number = d.order.number.0;
    let id = returns::request(
        &shop.pool,
        number,
        Viewer::Key(&d.key),
        &ask(d.line, 2, 'a'),
        URL,
    )
    .await
    .expect("asked");
    let stock = checkout::stock_of(&shop, d.variant).await;
    // More back in stock than came back, or a line not in the return: refused.
    let name: String = sqlx::query_scalar("SELECT name FROM order_lines WHERE id = $1")
        .bind(d.line)
        .fetch_one(&shop.pool)
        .await
        .expect("its name");
    assert_eq!(
        refused(returns::receive(&shop.pool, &clerk, number, id, &[(d.line, 3)], URL).await),
        ReturnError::TooManyRestocked { name, units: 2 }
    );
    assert_eq!(
        refused(
            returns::receive(
                &shop.pool,
                &clerk,
                number,
                id,
                &[(d.line + 1_000_000, 1)],
                URL
            )
            .await
        ),
        ReturnError::NotInReturn
    );
    assert_eq!(checkout::stock_of(&shop, d.variant).await, stock);
    // Received without an answer first: it is answered by receiving it, and the units
    // chosen go back.
    returns::receive(&shop.pool, &clerk, number, id, &[(d.line, 2)], URL)
        .await
        .expect("received");
    assert_eq!(checkout::stock_of(&shop, d.variant).await, stock + 2);
    let (state, restocked, answered_by): (String, i32, Option<i64>) = sqlx::query_as(
        "SELECT r.state, l.restocked, r.answered_by FROM returns r
         JOIN return_lines l ON l.return_id = r.id WHERE r.id = $1",
    )
    .bind(id)
    .fetch_one(&shop.pool)
    .await
    .expect("the return");
    assert_eq!(
        (state.as_str(), restocked, answered_by),
        ("received", 2, Some(clerk.id()))
    );
    // The customer's mail says it is back, and promises no date.
    let mails = return_mails(&shop, &d.order).await;
    assert!(mails.last().is_some_and(|m| m.1.contains("back with us")));
}
