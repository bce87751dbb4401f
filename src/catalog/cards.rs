//! Product cards: what a grid shows of each product, read for a page of product ids
//! that a listing, a search or a shelf picked first (an index answers their ORDER BY
//! ... LIMIT; only that page's images are then read).

use super::view::{Image, ProductCard};
use crate::{Currency, Error, Money};
use rust_decimal::Decimal;
use sqlx::PgPool;

/// Products per page of a listing.
pub const PER_PAGE: u32 = 24;

struct CardRow {
    slug: String,
    name: String,
    image_url: Option<String>,
    image_alt: Option<String>,
    price: Decimal,
    max_price: Decimal,
    compare_at: Option<Decimal>,
    in_stock: bool,
}

/// The cards of the products `ids`, in that order. A product no longer listed (archived
/// since its id was picked, say) is left out.
pub async fn cards(
    pool: &PgPool,
    currency: Currency,
    ids: &[i64],
) -> Result<Vec<ProductCard>, Error> {
    let rows = sqlx::query_as!(
        CardRow,
        r#"SELECT p.slug AS "slug!", p.name AS "name!",
                  img.url AS "image_url?", img.alt AS "image_alt?",
                  p.min_price AS "price!", p.max_price AS "max_price!", p.compare_at,
                  p.in_stock AS "in_stock!"
           FROM unnest($1::bigint[]) WITH ORDINALITY AS page(id, n)
           JOIN listed_products p ON p.id = page.id
           LEFT JOIN LATERAL (
               SELECT url, alt FROM product_images
               WHERE product_id = p.id ORDER BY position LIMIT 1
           ) img ON true
           ORDER BY page.n"#,
        ids,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ProductCard {
            slug: row.slug,
            name: row.name,
            image: row.image_url.map(|url| Image {
                url,
                alt: row.image_alt.unwrap_or_default(),
            }),
            price: Money::new(row.price, currency),
            max_price: Money::new(row.max_price, currency),
            compare_at: row.compare_at.map(|c| Money::new(c, currency)),
            in_stock: row.in_stock,
        })
        .collect())
}
