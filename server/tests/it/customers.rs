//! Customers in the back office: the list finds them by email, name or number with
//! their orders and spend; staff notes and a reset mail, audited; an administrator's
//! JSON of everything kept, and the anonymisation that leaves orders their lines and
//! totals but nothing of the person.

use crate::common::checkout::{self, staff_with};
use crate::common::{audited, seeded_db, Shop, PASSWORD};
use mercato::accounts::customers::{self, CustomerError, CustomerQuery};
use mercato::accounts::Role;
use mercato::admin::{Permission, Staff};
use mercato::error::Rule;
use mercato::Error;

const URL: &str = "https://shop.example";

/// A customer's account with a saved address and a paid order of 2 units: (account,
/// order id, what it paid).
async fn customer_with_an_order(
    shop: &Shop,
    email: &str,
    token: &str,
) -> (i64, i64, mercato::Money) {
    let user =
        mercato::accounts::store::upsert_with_role(&shop.pool, email, PASSWORD, Role::Customer)
            .await
            .expect("an account");
    sqlx::query(
        "INSERT INTO addresses (user_id, name, line1, city, postal_code, country, is_default)
         VALUES ($1, 'Grace Hopper', 'Keizersgracht 1', 'Amsterdam', '1015 CJ', 'NL', true)",
    )
    .bind(user.id)
    .execute(&shop.pool)
    .await
    .expect("an address");
    let (order, _) = checkout::paid_order(shop, token, 2).await;
    sqlx::query("UPDATE orders SET user_id = $2, email = $3 WHERE id = $1")
        .bind(order.id)
        .bind(user.id)
        .bind(email)
        .execute(&shop.pool)
        .await
        .expect("theirs");
    (user.id, order.id, order.total)
}

async fn admin(shop: &Shop) -> Staff {
    let user = mercato::accounts::store::upsert_with_role(
        &shop.pool,
        "boss@example.com",
        PASSWORD,
        Role::Admin,
    )
    .await
    .expect("an admin");
    Staff::with_permissions(user, &Permission::ALL)
}

fn refused(result: Result<impl std::fmt::Debug, Error>) -> CustomerError {
    match result {
        Err(Error::Rule(Rule::Customer(why))) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_list_finds_customers_with_their_orders_and_spend_and_staff_help_them() {
    let shop = seeded_db().await;
    let support = staff_with(&shop, "support@example.com", &[Permission::Customers]).await;
    let (grace, _, paid) =
        customer_with_an_order(&shop, "grace@example.com", "customers-list-0001").await;
    let other = mercato::accounts::store::upsert_with_role(
        &shop.pool,
        "alan@example.com",
        PASSWORD,
        Role::Customer,
    )
    .await
    .expect("an account");

    let find = |q: &str| CustomerQuery::from_params(Some(q), None);
    for q in ["grace@", "hopper", &grace.to_string()] {
        let page = customers::list(&shop.pool, &support, &find(q))
            .await
            .expect("a page");
        assert_eq!(page.rows.len(), 1, "{q}");
        let row = &page.rows[0];
        assert_eq!((row.id, row.orders), (grace, 1));
        assert_eq!(row.spent, vec![paid]);
    }
    let everyone = customers::list(&shop.pool, &support, &find(""))
        .await
        .expect("a page");
    let ids: Vec<i64> = everyone.rows.iter().map(|r| r.id).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert!(ids.contains(&other.id) && ids.contains(&grace));
    assert!(
        !everyone
            .rows
            .iter()
            .any(|r| r.email == "support@example.com"),
        "staff are not customers"
    );
    // Wildcards are only text.
    assert!(customers::list(&shop.pool, &support, &find("%"))
        .await
        .expect("a page")
        .rows
        .is_empty());
    // Without the permission: refused.
    let clerk = staff_with(&shop, "clerk@example.com", &[Permission::Orders]).await;
    assert!(matches!(
        customers::list(&shop.pool, &clerk, &find("")).await,
        Err(Error::NotPermitted(_))
    ));

    // The page: orders, addresses, notes.
    customers::add_note(&shop.pool, &support, grace, "Prefers mail to phone calls.")
        .await
        .expect("noted");
    let page = customers::customer(&shop.pool, &support, grace)
        .await
        .expect("the customer");
    assert_eq!(page.orders.len(), 1);
    assert_eq!(page.addresses.len(), 1);
    assert_eq!(page.notes.len(), 1);
    assert_eq!(page.notes[0].by, "support@example.com");
    assert!(!page.may_take_data, "support may not take the data out");
    assert!(matches!(
        customers::customer(&shop.pool, &support, support.id()).await,
        Err(Error::NotFound)
    ));
    assert_eq!(audited(&shop, "customer.note", grace).await, 1);

    // Reset mails: three an hour, then a clear refusal.
    for _ in 0..3 {
        customers::send_reset(&shop.pool, &support, grace, URL)
            .await
            .expect("sent");
    }
    assert_eq!(
        refused(customers::send_reset(&shop.pool, &support, grace, URL).await),
        CustomerError::TooManyResets(3)
    );
    let mails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE kind = 'password_reset' AND recipient = 'grace@example.com'",
    )
    .fetch_one(&shop.pool)
    .await
    .expect("mails");
    assert_eq!(mails, 3);
    assert_eq!(audited(&shop, "customer.reset", grace).await, 3);
}

#[tokio::test]
async fn an_administrator_exports_and_anonymises_a_customer_and_the_orders_stay() {
    let shop = seeded_db().await;
    let boss = admin(&shop).await;
    let support = staff_with(&shop, "support@example.com", &[Permission::Customers]).await;
    let (grace, order, paid) =
        customer_with_an_order(&shop, "grace@example.com", "customers-erase-0001").await;
    customers::add_note(&shop.pool, &support, grace, "Called about the mug.")
        .await
        .expect("noted");
    // A mail to them waits in the outbox.
    customers::send_reset(&shop.pool, &support, grace, URL)
        .await
        .expect("sent");

    // Only with the customer data permission (an administrator has every one).
    let missing = |r: Result<_, Error>| {
        matches!(
            r,
            Err(Error::NotPermitted(mercato::admin::Missing(
                Permission::CustomerData
            )))
        )
    };
    assert!(missing(
        customers::export(&shop.pool, &support, grace)
            .await
            .map(|_| ())
    ));
    assert!(missing(
        customers::anonymise(&shop.pool, &support, grace).await
    ));

    let data = customers::export(&shop.pool, &boss, grace)
        .await
        .expect("the data");
    assert_eq!(data["account"]["email"], "grace@example.com");
    assert_eq!(data["addresses"][0]["name"], "Grace Hopper");
    assert_eq!(data["orders"].as_array().map(Vec::len), Some(1));
    assert_eq!(data["orders"][0]["lines"][0]["quantity"], 2);
    assert_eq!(data["staff_notes"][0]["body"], "Called about the mug.");
    assert_eq!(audited(&shop, "customer.export", grace).await, 1);

    // Not while an order is under way: it is paid and not shipped.
    assert_eq!(
        refused(customers::anonymise(&shop.pool, &boss, grace).await),
        CustomerError::OpenOrders
    );
    sqlx::query(
        "UPDATE orders SET status = 'delivered', fulfilment_state = 'delivered' WHERE id = $1",
    )
    .bind(order)
    .execute(&shop.pool)
    .await
    .expect("delivered");
    customers::anonymise(&shop.pool, &boss, grace)
        .await
        .expect("anonymised");
    let (email, hash, anonymised): (String, String, bool) = sqlx::query_as(
        "SELECT email, password_hash, anonymised_at IS NOT NULL FROM users WHERE id = $1",
    )
    .bind(grace)
    .fetch_one(&shop.pool)
    .await
    .expect("the account");
    assert_eq!(email, customers::placeholder_email(grace));
    assert!(
        mercato::accounts::Email::parse(&email).is_err(),
        "nobody can register it"
    );
    assert_eq!((hash.as_str(), anonymised), ("!", true));
    // The order keeps what it sold and cost, and nothing of the person.
    let (order_email, shipping, total, lines): (
        String,
        serde_json::Value,
        rust_decimal::Decimal,
        i64,
    ) = sqlx::query_as(
        "SELECT email, shipping_address, total,
                    (SELECT count(*) FROM order_lines WHERE order_id = o.id)
             FROM orders o WHERE id = $1",
    )
    .bind(order)
    .fetch_one(&shop.pool)
    .await
    .expect("the order");
    assert_eq!(order_email, email);
    assert_eq!(
        shipping,
        serde_json::json!({ "country": "DE" }),
        "only the country stays"
    );
    assert_eq!((total, lines), (paid.amount(), 1));
    let left: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM addresses WHERE user_id = $1),
                (SELECT count(*) FROM customer_notes WHERE user_id = $1),
                (SELECT count(*) FROM outbox WHERE recipient ILIKE 'grace@%'
                                               OR body_text LIKE '%grace@%'),
                (SELECT count(*) FROM account_links WHERE user_id = $1),
                (SELECT count(*) FROM audit_log WHERE after::text LIKE '%grace@%'
                                                  OR after::text LIKE '%Called about%')",
    )
    .bind(grace)
    .fetch_one(&shop.pool)
    .await
    .expect("what is left");
    assert_eq!(
        left,
        (0, 0, 0, 0, 0),
        "addresses, notes, mail, reset links, audit"
    );
    assert_eq!(
        refused(customers::add_note(&shop.pool, &support, grace, "Still here?").await),
        CustomerError::Anonymised
    );
    // Nobody can write to them.
    assert_eq!(
        refused(customers::send_reset(&shop.pool, &support, grace, URL).await),
        CustomerError::Anonymised
    );
    // Once: a second time changes nothing and is not audited again.
    customers::anonymise(&shop.pool, &boss, grace)
        .await
        .expect("still anonymised");
    assert_eq!(audited(&shop, "customer.anonymise", grace).await, 1);
    let page = customers::customer(&shop.pool, &boss, grace)
        .await
        .expect("the page");
    assert!(page.anonymised.is_some());
    assert_eq!(page.orders.len(), 1);
}
