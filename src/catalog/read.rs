//! Reading the catalog for shoppers: only active products, one query per page section.

use super::browse::{self, ListingCache, Scope};
use super::listing::ListingQuery;
use super::view::{
    Category, CategoryLink, CategoryPage, Image, ProductCard, ProductDetail, ProductOption,
    SearchPage, VariantView,
};
use crate::{Currency, Error, Money};
use rust_decimal::Decimal;
use sqlx::PgPool;

/// Products per page of a listing.
pub const PER_PAGE: u32 = 24;

/// Wrapped around a query that selects the ids of a page of products, in order, these
/// give those products' cards in the same order. Choosing the page of ids first lets an
/// index answer the ORDER BY ... LIMIT; only that page's images are then read.
pub(crate) const CARDS_BEFORE_IDS: &str = "
    SELECT p.slug, p.name, img.url AS image_url, img.alt AS image_alt,
           p.min_price AS price, p.max_price, p.compare_at, p.in_stock
    -- Numbered as the ordered subquery returns them (a plain scan keeps its order).
    FROM (SELECT id, row_number() OVER () AS n FROM (";
pub(crate) const CARDS_AFTER_IDS: &str = ") ids) page
    JOIN products p ON p.id = page.id
    LEFT JOIN LATERAL (
        SELECT url, alt FROM product_images
        WHERE product_id = p.id ORDER BY position LIMIT 1
    ) img ON true
    WHERE p.min_price IS NOT NULL
    ORDER BY page.n";

fn cards_for(ids_sql: &str) -> String {
    format!("{CARDS_BEFORE_IDS}{ids_sql}{CARDS_AFTER_IDS}")
}

#[derive(sqlx::FromRow)]
pub(crate) struct CardRow {
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
    pub(crate) fn into_card(self, currency: Currency) -> ProductCard {
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

/// A category's page: where it sits in the tree and the listing `query` asks for of its
/// products (its subcategories' included).
pub async fn category_page(
    pool: &PgPool,
    counts: &ListingCache,
    currency: Currency,
    slug: &str,
    query: &ListingQuery,
) -> Result<CategoryPage, Error> {
    // A segment no slug could be (a NUL byte, markup) is not found, before any SQL.
    let slug = super::Slug::parse(slug).map_err(|_| Error::NotFound)?;
    let (id, category) = category(pool, slug.as_str())
        .await?
        .ok_or(Error::NotFound)?;
    let (path, listing) = tokio::join!(
        category_path(pool, id),
        browse::listing(pool, counts, currency, Scope::Category(id), query)
    );
    let mut ancestors = path?;
    ancestors.pop(); // the category itself
    Ok(CategoryPage {
        category,
        ancestors,
        listing: listing?,
    })
}

/// A search of the whole catalog, or of one category when the query names it. When the
/// words find nothing as spelled, the page offers the closest spelling; when nothing at
/// all matches, it shows featured products instead.
pub async fn search_page(
    pool: &PgPool,
    counts: &ListingCache,
    currency: Currency,
    query: &ListingQuery,
) -> Result<SearchPage, Error> {
    let mut query = query.clone();
    let within = match &query.category {
        Some(slug) => category(pool, slug).await?,
        None => None,
    };
    if within.is_none() {
        query.category = None; // an unknown category is ignored
    }
    let scope = within
        .as_ref()
        .map_or(Scope::Everything, |(id, _)| Scope::Category(*id));
    let listing = browse::listing(pool, counts, currency, scope, &query).await?;
    let fallback = if listing.total == 0 {
        featured(pool, currency, 8).await?
    } else {
        Vec::new()
    };
    Ok(SearchPage {
        within: within.map(|(_, c)| CategoryLink {
            slug: c.slug,
            name: c.name,
        }),
        fallback,
        listing,
    })
}

async fn category(pool: &PgPool, slug: &str) -> Result<Option<(i64, Category)>, Error> {
    let row: Option<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, slug, name, description, colour FROM categories WHERE slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(id, slug, name, description, colour)| {
        (
            id,
            Category {
                slug,
                name,
                description,
                colour,
            },
        )
    }))
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
    let slug = super::Slug::parse(slug).map_err(|_| Error::NotFound)?;
    let (id, category_id, slug, name, description, seo_title, seo_description): Row =
        sqlx::query_as(
            "SELECT id, category_id, slug, name, description, seo_title, seo_description
             FROM products WHERE slug = $1 AND status = 'active'",
        )
        .bind(slug.as_str())
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

/// Paths of everything a search engine should index (active products and categories),
/// `limit` of them from `offset`, in path order.
pub async fn sitemap_paths(pool: &PgPool, offset: i64, limit: i64) -> Result<Vec<String>, Error> {
    let paths: Vec<String> = sqlx::query_scalar(
        "SELECT path FROM (
             SELECT '/c/' || slug AS path FROM categories
             UNION ALL
             SELECT '/p/' || slug FROM products WHERE status = 'active'
         ) AS paths
         ORDER BY path OFFSET $1 LIMIT $2",
    )
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(paths)
}

/// How many paths [`sitemap_paths`] has in all.
pub async fn sitemap_len(pool: &PgPool) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM categories)
              + (SELECT count(*) FROM products WHERE status = 'active')",
    )
    .fetch_one(pool)
    .await?)
}
