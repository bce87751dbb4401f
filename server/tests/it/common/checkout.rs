//! What tests of checkout and orders start from: a variant with known stock and price,
//! an address, the standard rate, a checkout, an unpaid order.

use super::Shop;
use mercato::accounts::address::{Address, AddressInput};
use mercato::accounts::Email;
use mercato::cart::{store, Quantity};
use mercato::checkout::place::{place, quote, Checkout, Placed};
use mercato::limits::client::ClientKey;
use mercato::Currency;

pub fn address() -> Address {
    AddressInput {
        name: "Ada Lovelace".into(),
        line1: "Unter den Linden 1".into(),
        city: "Berlin".into(),
        postal_code: "10117".into(),
        country: "DE".into(),
        ..AddressInput::default()
    }
    .validate()
    .expect("address")
}

/// A variant with exactly `stock` units, priced €20.00.
pub async fn variant_with_stock(app: &Shop, stock: i32) -> i64 {
    let variant: i64 = sqlx::query_scalar(
        "SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id
         WHERE p.status = 'active' ORDER BY v.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("variant");
    sqlx::query("UPDATE variants SET price = 20.00, compare_at_price = NULL WHERE id = $1")
        .bind(variant)
        .execute(&app.pool)
        .await
        .expect("price");
    // As staff would: the change is a movement, so the stock audit still adds up.
    sqlx::query(
        "WITH old AS (SELECT on_hand FROM inventory WHERE variant_id = $1),
              moved AS (INSERT INTO inventory_movements (variant_id, delta, reason)
                        SELECT $1, $2 - on_hand, 'correction' FROM old WHERE on_hand <> $2)
         UPDATE inventory SET on_hand = $2 WHERE variant_id = $1",
    )
    .bind(variant)
    .bind(stock)
    .execute(&app.pool)
    .await
    .expect("stock");
    variant
}

pub async fn standard_rate(app: &Shop) -> i64 {
    sqlx::query_scalar("SELECT id FROM shipping_rates WHERE name = 'Standard' ORDER BY id LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .expect("rate")
}

pub async fn stock_of(app: &Shop, variant: i64) -> i32 {
    sqlx::query_scalar("SELECT on_hand FROM inventory WHERE variant_id = $1")
        .bind(variant)
        .fetch_one(&app.pool)
        .await
        .expect("stock")
}

/// A new guest cart with `quantity` of `variant`.
pub async fn guest_cart(app: &Shop, variant: i64, quantity: u32) -> i64 {
    let quantity = Quantity::new(quantity).expect("q");
    store::add(&app.pool, None, None, variant, quantity)
        .await
        .expect("add")
        .0
}

/// A guest's checkout of `cart` in euros, prices including tax, from a client address
/// of its own for each token (shoppers placing orders at once are different clients,
/// as they would be).
pub fn checkout<'a>(
    token: &'a str,
    cart: i64,
    email: &'a Email,
    a: &'a Address,
    rate: i64,
) -> Checkout<'a> {
    Checkout {
        token,
        cart,
        user: None,
        email,
        shipping_address: a,
        billing_address: a,
        shipping_rate: rate,
        currency: Currency::EUR,
        client: client_of(token),
    }
}

fn client_of(token: &str) -> ClientKey {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    token.hash(&mut h);
    ClientKey::of(std::net::IpAddr::from((h.finish() as u32).to_be_bytes()))
}

/// A guest's unpaid order of `quantity` units of a fresh variant with 10 in stock:
/// (the order, its variant).
pub async fn unpaid_order(app: &Shop, token: &str, quantity: u32) -> (Placed, i64) {
    let variant = variant_with_stock(app, 10).await;
    let cart = guest_cart(app, variant, quantity).await;
    let rate = standard_rate(app).await;
    let email = Email::parse("ada@example.com").expect("email");
    let a = address();
    let c = checkout(token, cart, &email, &a, rate);
    let reviewed = quote(&app.pool, &c).await.expect("quote").reviewed();
    let placed = place(&app.pool, &c, &reviewed).await.expect("placed");
    (placed, variant)
}

/// [`unpaid_order`], paid in full with the test provider: (the order, its variant).
pub async fn paid_order(app: &Shop, token: &str, quantity: u32) -> (Placed, i64) {
    let (placed, variant) = unpaid_order(app, token, quantity).await;
    let report = mercato::orders::lifecycle::PaymentReport {
        order_id: placed.id,
        provider: "test",
        amount: placed.total,
        outcome: mercato::orders::lifecycle::Outcome::Succeeded {
            reference: format!("test_{token}"),
        },
        event_id: None,
    };
    mercato::orders::lifecycle::record_payment(&app.pool, &report, "https://shop.example")
        .await
        .expect("paid");
    (placed, variant)
}

/// A staff account `email` acting with exactly `permissions`.
pub async fn staff_with(
    app: &Shop,
    email: &str,
    permissions: &[mercato::admin::Permission],
) -> mercato::admin::Staff {
    let user = mercato::accounts::store::upsert_with_role(
        &app.pool,
        email,
        super::PASSWORD,
        mercato::accounts::Role::Staff,
    )
    .await
    .expect("a staff account");
    mercato::admin::Staff::with_permissions(user, permissions)
}
