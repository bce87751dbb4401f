//! The catalog as a CSV file ([`transfer`](super::transfer) says what it holds), a
//! page of products at a time: whoever streams it holds one page in memory, whatever
//! the catalog's size.

use super::transfer::{self, ExportProduct, ExportVariant};
use crate::money::Currency;
use crate::Error;
use sqlx::PgPool;
use std::collections::HashMap;
/// How many products one page of an export reads.
pub const PAGE: i64 = 500;

/// How many exports one process streams at once: each holds a database connection
/// while it reads a page.
pub const AT_ONCE: usize = 2;

/// The whole catalog as CSV, the header first, then a page of [`PAGE`] products at a
/// time as the reader asks for it. An error ends the stream (after being given), so a
/// download that fails part-way is never a shorter file that looks whole.
pub fn stream(
    pool: PgPool,
    currency: Currency,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, Error>> + Send {
    use futures_util::StreamExt;
    // Where the next page starts; `None` once the last page (or an error) is out.
    let pages = futures_util::stream::unfold(Some(0_i64), move |after| {
        let pool = pool.clone();
        async move {
            match page(&pool, currency, after?, PAGE).await {
                Ok((bytes, next)) => Some((Ok(bytes), next)),
                Err(error) => Some((Err(error), None)),
            }
        }
    });
    futures_util::stream::once(async { header() })
        .chain(pages)
        .fuse()
}

/// The products after id `after` (up to `per_page` of them) as CSV rows, and where the
/// next page starts (`None`: that was the last).
pub async fn page(
    pool: &PgPool,
    currency: Currency,
    after: i64,
    per_page: i64,
) -> Result<(Vec<u8>, Option<i64>), Error> {
    let failed = |e: csv::Error| Error::Internal(format!("writing the export: {e}"));
    // One snapshot for the page's three reads: a product saved in between is written
    // as it was or as it is, never half of each.
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let products = sqlx::query!(
        r#"SELECT p.id, p.slug, p.name, p.status, c.slug AS category, p.description,
                  p.seo_title, p.seo_description
           FROM products p JOIN categories c ON c.id = p.category_id
           WHERE p.id > $1 ORDER BY p.id LIMIT $2"#,
        after,
        per_page,
    )
    .fetch_all(&mut *tx)
    .await?;
    let Some(last) = products.last().map(|p| p.id) else {
        return Ok((Vec::new(), None));
    };
    let ids: Vec<i64> = products.iter().map(|p| p.id).collect();
    let mut options: HashMap<i64, Vec<String>> = HashMap::new();
    for o in sqlx::query!(
        "SELECT product_id, name FROM product_options WHERE product_id = ANY ($1)
         ORDER BY product_id, position",
        &ids
    )
    .fetch_all(&mut *tx)
    .await?
    {
        options.entry(o.product_id).or_default().push(o.name);
    }
    let mut variants: HashMap<i64, Vec<ExportVariant>> = HashMap::new();
    for v in super::edit::saved_variants(&mut tx, &ids).await? {
        let (price, compare_at) = v.typed_prices(currency);
        variants
            .entry(v.product_id)
            .or_default()
            .push(ExportVariant {
                values: [
                    v.option1.unwrap_or_default(),
                    v.option2.unwrap_or_default(),
                    v.option3.unwrap_or_default(),
                ],
                sku: v.sku,
                price,
                compare_at,
                weight_grams: v.weight_grams,
                track_stock: v.track_stock,
                on_hand: v.on_hand,
            });
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    for p in products {
        let product = ExportProduct {
            options: options.remove(&p.id).unwrap_or_default(),
            variants: variants.remove(&p.id).unwrap_or_default(),
            handle: p.slug,
            name: p.name,
            status: p.status,
            category: p.category,
            description: p.description,
            seo_title: p.seo_title.unwrap_or_default(),
            seo_description: p.seo_description.unwrap_or_default(),
        };
        transfer::write_product(&mut out, &product).map_err(failed)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| failed(e.into_error().into()))?;
    Ok((bytes, (ids.len() as i64 == per_page).then_some(last)))
}

/// The start of an export: a BOM (so that spreadsheets read the file as UTF-8) and
/// the header row.
pub fn header() -> Result<Vec<u8>, Error> {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    transfer::write_header(&mut out)
        .map_err(|e| Error::Internal(format!("writing the export: {e}")))?;
    out.into_inner()
        .map_err(|e| Error::Internal(format!("writing the export: {}", e.error())))
}
