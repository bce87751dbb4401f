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
    image_stored: Option<String>,
    image_width: Option<i32>,
    image_height: Option<i32>,
    image_renditions: Option<Vec<i32>>,
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
                  img.stored_name AS "image_stored?", img.width AS "image_width?",
                  img.height AS "image_height?", img.renditions AS "image_renditions?",
                  p.min_price AS "price!", p.max_price AS "max_price!", p.compare_at,
                  p.in_stock AS "in_stock!"
           FROM unnest($1::bigint[]) WITH ORDINALITY AS page(id, n)
           JOIN listed_products p ON p.id = page.id
           LEFT JOIN LATERAL (
               SELECT url, alt, stored_name, width, height, renditions FROM product_images
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
            price: Money::new(row.price, currency),
            max_price: Money::new(row.max_price, currency),
            compare_at: row.compare_at.map(|c| Money::new(c, currency)),
            in_stock: row.in_stock,
        })
        .collect())
}
