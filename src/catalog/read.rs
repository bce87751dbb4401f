//! Reading the catalog for shoppers: only active products, one query per page section.

use super::view::{
    Category, CategoryLink, CategoryPage, Image, ProductCard, ProductDetail, ProductOption,
    VariantView,
};
use crate::{Currency, Error, Money};
use rust_decimal::Decimal;
use sqlx::PgPool;

/// Products per page of a listing.
pub const PER_PAGE: u32 = 24;

/// The card of every active product, as one SELECT list shared by every listing.
const CARD_COLUMNS: &str = "
    p.slug, p.name, img.url AS image_url, img.alt AS image_alt,
    min(v.price) AS price, max(v.price) AS max_price,
    max(v.compare_at_price) AS compare_at,
    bool_or(i.on_hand > 0) AS in_stock";

const CARD_JOINS: &str = "
    JOIN variants v ON v.product_id = p.id
    JOIN inventory i ON i.variant_id = v.id
    LEFT JOIN LATERAL (
        SELECT url, alt FROM product_images
        WHERE product_id = p.id ORDER BY position LIMIT 1
    ) img ON true";

/// `tree`: the category `$1` and every category below it.
const SUBTREE: &str = "
    WITH RECURSIVE tree AS (
        SELECT id FROM categories WHERE id = $1
        UNION ALL
        SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id
    )";

/// The cards of the products `ids_sql` selects, in its order. Choosing the page of ids
/// first lets an index answer the ORDER BY ... LIMIT; only those products' variants are
/// then read, whatever the size of the catalog.
fn cards_for(ids_sql: &str) -> String {
    format!(
        "SELECT {CARD_COLUMNS}
         -- Numbered as the ordered subquery returns them (a plain scan keeps its order).
         FROM (SELECT id, row_number() OVER () AS n FROM ({ids_sql}) ids) page
         JOIN products p ON p.id = page.id {CARD_JOINS}
         GROUP BY page.n, p.id, img.url, img.alt
         ORDER BY page.n"
    )
}

#[derive(sqlx::FromRow)]
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

impl CardRow {
    fn into_card(self, currency: Currency) -> ProductCard {
        ProductCard {
            slug: self.slug,
            name: self.name,
            image: self.image_url.map(|url| Image {
                url,
                alt: self.image_alt.unwrap_or_default(),
            }),
            price: Money::new(self.price, currency),
            max_price: Money::new(self.max_price, currency),
            compare_at: self.compare_at.map(|c| Money::new(c, currency)),
            in_stock: self.in_stock,
        }
    }
}

/// Featured products for the home page, newest first.
pub async fn featured(
    pool: &PgPool,
    currency: Currency,
    limit: u32,
) -> Result<Vec<ProductCard>, Error> {
    let sql = cards_for(
        "SELECT id FROM products
         WHERE status = 'active' AND featured
         ORDER BY created_at DESC, id DESC
         LIMIT $1",
    );
    let rows: Vec<CardRow> = sqlx::query_as(&sql)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| r.into_card(currency)).collect())
}

/// The top-level categories, for navigation.
pub async fn departments(pool: &PgPool) -> Result<Vec<Category>, Error> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT slug, name, description, colour FROM categories
         WHERE parent_id IS NULL ORDER BY position, name",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(slug, name, description, colour)| Category {
            slug,
            name,
            description,
            colour,
        })
        .collect())
}

/// A page of a category's products (its subcategories' included), newest first.
/// `page` starts at 1; a page past the end is empty, not an error.
pub async fn category_page(
    pool: &PgPool,
    currency: Currency,
    slug: &str,
    page: u32,
) -> Result<CategoryPage, Error> {
    let (id, category): (i64, Category) =
        sqlx::query_as::<_, (i64, String, String, String, String)>(
            "SELECT id, slug, name, description, colour FROM categories WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(pool)
        .await?
        .map(|(id, slug, name, description, colour)| {
            (
                id,
                Category {
                    slug,
                    name,
                    description,
                    colour,
                },
            )
        })
        .ok_or(Error::NotFound)?;

    let mut ancestors = category_path(pool, id).await?;
    ancestors.pop(); // the category itself
    let children: Vec<CategoryLink> = sqlx::query_as::<_, (String, String)>(
        "SELECT slug, name FROM categories WHERE parent_id = $1 ORDER BY position, name",
    )
    .bind(id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(slug, name)| CategoryLink { slug, name })
    .collect();

    let page = page.max(1);
    let offset = i64::from(page - 1) * i64::from(PER_PAGE);
    let sql = format!(
        "{SUBTREE} {}",
        cards_for(
            "SELECT id FROM products
             WHERE status = 'active' AND category_id = ANY (ARRAY(SELECT id FROM tree))
             ORDER BY created_at DESC, id DESC
             LIMIT $2 OFFSET $3",
        )
    );
    let rows: Vec<CardRow> = sqlx::query_as(&sql)
        .bind(id)
        .bind(i64::from(PER_PAGE))
        .bind(offset)
        .fetch_all(pool)
        .await?;
    let total = count_in_tree(pool, id).await?;
    Ok(CategoryPage {
        category,
        ancestors,
        children,
        products: rows.into_iter().map(|r| r.into_card(currency)).collect(),
        total,
        page,
        per_page: PER_PAGE,
    })
}

/// Active products in a category and below it.
async fn count_in_tree(pool: &PgPool, id: i64) -> Result<u64, Error> {
    let sql = format!(
        "{SUBTREE}
         SELECT count(*) FROM products
         WHERE status = 'active' AND category_id = ANY (ARRAY(SELECT id FROM tree))"
    );
    let total: i64 = sqlx::query_scalar(&sql).bind(id).fetch_one(pool).await?;
    Ok(u64::try_from(total).unwrap_or(0))
}

/// The category `id` and every category above it, top first.
async fn category_path(pool: &PgPool, id: i64) -> Result<Vec<CategoryLink>, Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "WITH RECURSIVE up AS (
             SELECT id, parent_id, 0 AS depth FROM categories WHERE id = $1
             UNION ALL
             SELECT c.id, c.parent_id, up.depth + 1
             FROM categories c JOIN up ON c.id = up.parent_id
         )
         SELECT c.slug, c.name FROM up JOIN categories c ON c.id = up.id
         ORDER BY up.depth DESC",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(slug, name)| CategoryLink { slug, name })
        .collect())
}

#[derive(sqlx::FromRow)]
struct VariantRow {
    id: i64,
    sku: String,
    option1: Option<String>,
    option2: Option<String>,
    option3: Option<String>,
    price: Decimal,
    compare_at_price: Option<Decimal>,
    on_hand: i32,
}

/// The product page of an active product; drafts and archived ones are not found.
pub async fn product(
    pool: &PgPool,
    currency: Currency,
    slug: &str,
) -> Result<ProductDetail, Error> {
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let (id, category_id, slug, name, description, seo_title, seo_description): Row =
        sqlx::query_as(
            "SELECT id, category_id, slug, name, description, seo_title, seo_description
             FROM products WHERE slug = $1 AND status = 'active'",
        )
        .bind(slug)
        .fetch_optional(pool)
        .await?
        .ok_or(Error::NotFound)?;

    let option_names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM product_options WHERE product_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let variant_rows: Vec<VariantRow> = sqlx::query_as(
        "SELECT v.id, v.sku, v.option1, v.option2, v.option3, v.price, v.compare_at_price,
                i.on_hand
         FROM variants v JOIN inventory i ON i.variant_id = v.id
         WHERE v.product_id = $1 ORDER BY v.position, v.id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let images: Vec<Image> = sqlx::query_as::<_, (String, String)>(
        "SELECT url, alt FROM product_images WHERE product_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(url, alt)| Image { url, alt })
    .collect();
    let categories = category_path(pool, category_id).await?;

    let variants: Vec<VariantView> = variant_rows
        .into_iter()
        .map(|r| VariantView {
            id: r.id,
            sku: r.sku,
            values: [r.option1, r.option2, r.option3]
                .into_iter()
                .take(option_names.len())
                .map(Option::unwrap_or_default)
                .collect(),
            price: Money::new(r.price, currency),
            compare_at: r.compare_at_price.map(|c| Money::new(c, currency)),
            available: u32::try_from(r.on_hand).unwrap_or(0),
        })
        .collect();
    let options = option_names
        .into_iter()
        .enumerate()
        .map(|(n, name)| {
            let mut values: Vec<String> = Vec::new();
            for v in &variants {
                if let Some(value) = v.values.get(n) {
                    if !values.contains(value) {
                        values.push(value.clone());
                    }
                }
            }
            ProductOption { name, values }
        })
        .collect();
    Ok(ProductDetail {
        slug,
        name,
        description,
        seo_title,
        seo_description,
        categories,
        options,
        variants,
        images,
    })
}

/// Paths of everything a search engine should index: active products and categories.
pub async fn sitemap_paths(pool: &PgPool) -> Result<Vec<String>, Error> {
    let paths: Vec<String> = sqlx::query_scalar(
        "SELECT '/c/' || slug FROM categories
         UNION ALL
         SELECT '/p/' || slug FROM products WHERE status = 'active'
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    Ok(paths)
}
