//! Carts in Postgres. Every function takes the cart id the caller found for the shopper
//! (in their session); a line id from another cart is "not found".

use super::{Added, CartError, CartLine, CartView, Notice, Quantity, MAX_LINES, MAX_PER_LINE};
use crate::catalog::view::Image;
use crate::catalog::ProductStatus;
use crate::orders::OrderStatus;
use crate::{Currency, Error, Money};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

/// Adds `quantity` of a variant to the cart `cart`, up to the stock and
/// [`MAX_PER_LINE`]. Without a cart (or when it has gone), the account `owner`'s cart is
/// used, or a new one made (for `owner`, when signed in). Returns the cart's id.
pub async fn add(
    pool: &PgPool,
    cart: Option<i64>,
    owner: Option<i64>,
    variant_id: i64,
    quantity: Quantity,
) -> Result<(i64, Added), Error> {
    let mut tx = pool.begin().await?;
    let variant = sqlx::query!(
        r#"SELECT p.name || coalesce(' (' || nullif(concat_ws(' / ', v.option1, v.option2,
                                                              v.option3), '') || ')', '')
                      AS "name!",
                  v.price, units_available(i.on_hand, v.track_stock) AS "on_hand!"
           FROM variants v
           JOIN products p ON p.id = v.product_id
           JOIN inventory i ON i.variant_id = v.id
           WHERE v.id = $1 AND p.status = $2"#,
        variant_id,
        ProductStatus::Active as ProductStatus,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(variant) = variant else {
        return Err(CartError::NoLongerSold.into());
    };
    let name = variant.name;
    let on_hand = u32::try_from(variant.on_hand).unwrap_or(0);
    if on_hand == 0 {
        return Err(CartError::SoldOut { name }.into());
    }
    let cart = lock_or_create(&mut tx, cart, owner).await?;
    let before: u32 = sqlx::query_scalar!(
        "SELECT quantity FROM cart_lines WHERE cart_id = $1 AND variant_id = $2",
        cart,
        variant_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .and_then(|q| u32::try_from(q).ok())
    .unwrap_or(0);
    if before == 0 && line_count(&mut tx, cart).await? >= MAX_LINES {
        return Err(CartError::TooManyLines.into());
    }
    let wanted = before.saturating_add(quantity.get());
    let in_cart = wanted.min(on_hand).min(MAX_PER_LINE);
    sqlx::query!(
        "INSERT INTO cart_lines (cart_id, variant_id, name, quantity, seen_price)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (cart_id, variant_id) DO UPDATE
         SET quantity = EXCLUDED.quantity, seen_price = EXCLUDED.seen_price,
             name = EXCLUDED.name",
        cart,
        variant_id,
        name,
        in_cart as i32,
        variant.price,
    )
    .execute(&mut *tx)
    .await?;
    let item_count = touch(&mut tx, cart).await?;
    tx.commit().await?;
    Ok((
        cart,
        Added {
            name,
            in_cart,
            capped: in_cart < wanted,
            item_count,
        },
    ))
}

/// Sets a line's quantity, lowered to what is in stock. Returns the quantity set.
pub async fn set_quantity(
    pool: &PgPool,
    cart: i64,
    line: i64,
    quantity: Quantity,
) -> Result<u32, Error> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"SELECT l.name, units_available(i.on_hand, v.track_stock) AS "on_hand?"
           FROM cart_lines l
           LEFT JOIN variants v ON v.id = l.variant_id
           LEFT JOIN products p ON p.id = v.product_id AND p.status = $3
           LEFT JOIN inventory i ON i.variant_id = v.id AND p.id IS NOT NULL
           WHERE l.id = $1 AND l.cart_id = $2
           FOR UPDATE OF l"#,
        line,
        cart,
        ProductStatus::Active as ProductStatus,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    let on_hand = row.on_hand.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
    if on_hand == 0 {
        // The cart page will take it out and say why.
        return Err(CartError::Unavailable { name: row.name }.into());
    }
    let set = quantity.get().min(on_hand);
    sqlx::query!(
        "UPDATE cart_lines SET quantity = $1 WHERE id = $2",
        set as i32,
        line,
    )
    .execute(&mut *tx)
    .await?;
    touch(&mut tx, cart).await?;
    tx.commit().await?;
    Ok(set)
}

/// Takes a line out of the cart.
pub async fn remove(pool: &PgPool, cart: i64, line: i64) -> Result<(), Error> {
    let deleted = sqlx::query!(
        "DELETE FROM cart_lines WHERE id = $1 AND cart_id = $2",
        line,
        cart,
    )
    .execute(pool)
    .await?
    .rows_affected();
    if deleted == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

struct LineRow {
    id: i64,
    variant_id: Option<i64>,
    name: String,
    quantity: i32,
    seen_price: Decimal,
    slug: Option<String>,
    product_name: Option<String>,
    label: Option<String>,
    sku: Option<String>,
    price: Option<Decimal>,
    on_hand: Option<i32>,
    image_url: Option<String>,
    image_alt: Option<String>,
    image_stored: Option<String>,
    image_width: Option<i32>,
    image_height: Option<i32>,
    image_renditions: Option<Vec<i32>>,
}

/// The cart, re-checked against the catalog: lines whose variant is gone, no longer
/// sold or sold out are taken out; quantities above the stock are lowered; a price that
/// changed since the shopper last saw it is pointed out once. Each change becomes a
/// [`Notice`]. An unknown cart is an empty one.
pub async fn view(pool: &PgPool, cart: Option<i64>, currency: Currency) -> Result<CartView, Error> {
    let Some(cart) = cart else {
        return Ok(CartView::empty(currency));
    };
    let mut tx = pool.begin().await?;
    // Units this cart's own unpaid order holds are still the shopper's to buy.
    let rows = sqlx::query_as!(
        LineRow,
        r#"SELECT l.id, l.variant_id, l.name, l.quantity, l.seen_price,
                  p.slug AS "slug?", p.name AS "product_name?",
                  concat_ws(' / ', v.option1, v.option2, v.option3) AS label,
                  v.sku AS "sku?", v.price AS "price?", i.on_hand AS "on_hand?",
                  img.url AS "image_url?", img.alt AS "image_alt?",
                  img.stored_name AS "image_stored?", img.width AS "image_width?",
                  img.height AS "image_height?", img.renditions AS "image_renditions?"
           FROM cart_lines l
           LEFT JOIN variants v ON v.id = l.variant_id
           LEFT JOIN products p ON p.id = v.product_id AND p.status = $2
           LEFT JOIN LATERAL (
               SELECT units_available(inv.on_hand + coalesce((
                   SELECT sum(ol.quantity) FROM order_lines ol
                   JOIN orders o ON o.id = ol.order_id
                   WHERE o.cart_id = l.cart_id AND o.status = $3
                     AND ol.variant_id = l.variant_id AND ol.stock_taken), 0)::int,
                   v.track_stock) AS on_hand
               FROM inventory inv WHERE inv.variant_id = v.id
           ) i ON true
           LEFT JOIN LATERAL (
               SELECT url, alt, stored_name, width, height, renditions FROM product_images
               WHERE product_id = p.id ORDER BY position LIMIT 1
           ) img ON true
           WHERE l.cart_id = $1
           ORDER BY l.added_at, l.id
           FOR UPDATE OF l"#,
        cart,
        ProductStatus::Active as ProductStatus,
        OrderStatus::PendingPayment as OrderStatus,
    )
    .fetch_all(&mut *tx)
    .await?;

    let mut view = CartView::empty(currency);
    // Lines taken out, and lines whose quantity or seen price is brought up to date.
    let (mut gone, mut changed) = (vec![], vec![]);
    for row in rows {
        let (Some(variant_id), Some(slug), Some(product_name), Some(sku), Some(price)) = (
            row.variant_id,
            row.slug,
            row.product_name,
            row.sku,
            row.price,
        ) else {
            gone.push(row.id);
            view.notices.push(Notice::NoLongerSold { name: row.name });
            continue;
        };
        let on_hand = row.on_hand.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        if on_hand == 0 {
            gone.push(row.id);
            view.notices.push(Notice::SoldOut { name: row.name });
            continue;
        }
        let mut quantity = u32::try_from(row.quantity).unwrap_or(1);
        if quantity > on_hand || price != row.seen_price {
            changed.push((row.id, quantity.min(on_hand) as i32, price));
        }
        if quantity > on_hand {
            quantity = on_hand;
            view.notices.push(Notice::QuantityLowered {
                name: row.name.clone(),
                to: quantity,
            });
        }
        if price != row.seen_price {
            view.notices.push(Notice::PriceChanged {
                name: row.name.clone(),
                was: Money::new(row.seen_price, currency),
                now: Money::new(price, currency),
            });
        }
        view.lines.push(CartLine {
            id: row.id,
            product_slug: slug,
            variant_id,
            name: product_name,
            variant_label: row.label.unwrap_or_default(),
            sku,
            image: row.image_url.map(|url| {
                Image::new(
                    url,
                    row.image_alt.unwrap_or_default(),
                    row.image_stored.as_deref(),
                    row.image_width,
                    row.image_height,
                    &row.image_renditions.unwrap_or_default(),
                )
            }),
            unit_price: Money::new(price, currency),
            quantity,
            available: on_hand.min(MAX_PER_LINE),
        });
    }
    if !gone.is_empty() {
        sqlx::query!("DELETE FROM cart_lines WHERE id = ANY ($1)", &gone)
            .execute(&mut *tx)
            .await?;
    }
    if !changed.is_empty() {
        let ids: Vec<i64> = changed.iter().map(|c| c.0).collect();
        let quantities: Vec<i32> = changed.iter().map(|c| c.1).collect();
        let prices: Vec<Decimal> = changed.iter().map(|c| c.2).collect();
        sqlx::query!(
            "UPDATE cart_lines l SET quantity = t.q, seen_price = t.p
             FROM UNNEST($1::bigint[], $2::int[], $3::numeric[]) AS t(id, q, p)
             WHERE l.id = t.id",
            &ids,
            &quantities,
            &prices,
        )
        .execute(&mut *tx)
        .await?;
    }
    super::coupons::check_on_cart(&mut tx, cart, &mut view).await?;
    tx.commit().await?;
    Ok(view)
}

/// Units in the cart, for the header; no re-checking (the cart page does that).
pub async fn item_count(pool: &PgPool, cart: Option<i64>) -> Result<u32, Error> {
    let Some(cart) = cart else { return Ok(0) };
    let mut conn = pool.acquire().await?;
    units(&mut conn, cart).await
}

/// Deletes guest carts nobody has touched for `days` days (their sessions are gone
/// too). An account's cart stays with the account.
pub async fn delete_abandoned(pool: &PgPool, days: i32) -> Result<u64, Error> {
    let deleted = sqlx::query!(
        "DELETE FROM carts
         WHERE user_id IS NULL AND updated_at < now() - make_interval(days => $1)",
        days,
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(deleted)
}

/// The cart `cart`, else the account `owner`'s, locked for this transaction; a new one
/// (belonging to `owner`) when neither exists.
async fn lock_or_create(
    conn: &mut PgConnection,
    cart: Option<i64>,
    owner: Option<i64>,
) -> Result<i64, Error> {
    if let Some(id) = cart {
        let found = sqlx::query_scalar!("SELECT id FROM carts WHERE id = $1 FOR UPDATE", id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(id) = found {
            return Ok(id);
        }
    }
    if let Some(user) = owner {
        if let Some(id) = account_cart(conn, user).await? {
            return Ok(id);
        }
    }
    Ok(sqlx::query_scalar!(
        "INSERT INTO carts (user_id) VALUES ($1) RETURNING id",
        owner
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// The account `user`'s cart, if it has one, locked for this transaction.
async fn account_cart(conn: &mut PgConnection, user: i64) -> Result<Option<i64>, Error> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM carts WHERE user_id = $1 FOR UPDATE", user)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Marks the cart as used now; returns its number of units.
async fn touch(conn: &mut PgConnection, cart: i64) -> Result<u32, Error> {
    sqlx::query!("UPDATE carts SET updated_at = now() WHERE id = $1", cart)
        .execute(&mut *conn)
        .await?;
    units(conn, cart).await
}

/// The number of units in the cart.
async fn units(conn: &mut PgConnection, cart: i64) -> Result<u32, Error> {
    let n = sqlx::query_scalar!(
        r#"SELECT coalesce(sum(quantity), 0)::bigint AS "units!" FROM cart_lines
           WHERE cart_id = $1"#,
        cart,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(u32::try_from(n).unwrap_or(0))
}

/// How many lines `cart` holds (locked by the caller).
async fn line_count(conn: &mut PgConnection, cart: i64) -> Result<u32, Error> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM cart_lines WHERE cart_id = $1"#,
        cart
    )
    .fetch_one(conn)
    .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// On sign-in: the guest cart `guest` joins the account's cart. The same variant in
/// both adds up, within the stock and [`MAX_PER_LINE`]; a guest cart that already
/// belongs to an account is left alone. Returns the account's cart, if it has one now.
pub async fn merge_into_account(
    pool: &PgPool,
    guest: Option<i64>,
    user: i64,
) -> Result<Option<i64>, Error> {
    let mut tx = pool.begin().await?;
    let own = account_cart(&mut tx, user).await?;
    let guest = match guest {
        Some(id) => {
            sqlx::query_scalar!(
                "SELECT id FROM carts WHERE id = $1 AND user_id IS NULL FOR UPDATE",
                id,
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    let cart = match (own, guest) {
        (own, None) => own,
        (None, Some(guest)) => {
            sqlx::query!(
                "UPDATE carts SET user_id = $1, updated_at = now() WHERE id = $2",
                user,
                guest,
            )
            .execute(&mut *tx)
            .await?;
            Some(guest)
        }
        (Some(own), Some(guest)) => {
            // A sold-out variant keeps one unit here; the next view takes it out and
            // says so. Variants new to the account's cart join while it has room for
            // them (oldest first), so the merged cart keeps to [`MAX_LINES`].
            sqlx::query!(
                "INSERT INTO cart_lines (cart_id, variant_id, name, quantity, seen_price)
                 SELECT $1, g.variant_id, g.name, g.quantity, g.seen_price
                 FROM (SELECT g.*,
                              EXISTS (SELECT 1 FROM cart_lines o
                                      WHERE o.cart_id = $1 AND o.variant_id = g.variant_id)
                                  AS known
                       FROM cart_lines g
                       WHERE g.cart_id = $2 AND g.variant_id IS NOT NULL) g
                 WHERE g.known
                    OR g.id IN (SELECT n.id FROM cart_lines n
                                WHERE n.cart_id = $2 AND n.variant_id IS NOT NULL
                                  AND NOT EXISTS (SELECT 1 FROM cart_lines o
                                                  WHERE o.cart_id = $1
                                                    AND o.variant_id = n.variant_id)
                                ORDER BY n.id
                                LIMIT greatest(0, $4 - (SELECT count(*) FROM cart_lines
                                                        WHERE cart_id = $1)))
                 ON CONFLICT (cart_id, variant_id) DO UPDATE
                 SET quantity = least(
                         cart_lines.quantity + EXCLUDED.quantity,
                         $3,
                         greatest(1, (SELECT units_available(i.on_hand, v.track_stock)
                                      FROM inventory i JOIN variants v ON v.id = i.variant_id
                                      WHERE i.variant_id = EXCLUDED.variant_id)))",
                own,
                guest,
                MAX_PER_LINE as i32,
                i64::from(MAX_LINES),
            )
            .execute(&mut *tx)
            .await?;
            // A coupon typed as a guest stays, unless the account's cart has its own.
            sqlx::query!(
                "UPDATE carts SET coupon_id = coalesce(coupon_id,
                     (SELECT coupon_id FROM carts WHERE id = $2))
                 WHERE id = $1",
                own,
                guest,
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!("DELETE FROM carts WHERE id = $1", guest)
                .execute(&mut *tx)
                .await?;
            touch(&mut tx, own).await?;
            Some(own)
        }
    };
    tx.commit().await?;
    Ok(cart)
}
