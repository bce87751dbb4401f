//! Reading the catalog for shoppers: only active products, one query per page section.
//! Listings are `browse`'s; both read cards through `cards`.

use super::browse::{self, ListingCache, Scope};
use super::cards::cards;
use super::listing::ListingQuery;
use super::view::{
    Category, CategoryLink, CategoryPage, Image, ProductCard, ProductDetail, ProductOption,
    SearchPage, VariantView,
};
use super::ProductStatus;
use crate::{Currency, Error, Money};
use rust_decimal::Decimal;
use sqlx::PgPool;

/// Featured products for the home page, newest first.
pub async fn featured(
    pool: &PgPool,
    currency: Currency,
    limit: u32,
) -> Result<Vec<ProductCard>, Error> {
    let ids = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM listed_products WHERE featured
           ORDER BY created_at DESC, id DESC LIMIT $1"#,
        i64::from(limit),
    )
    .fetch_all(pool)
    .await?;
    cards(pool, currency, &ids).await
}

/// The top-level categories, for navigation.
pub async fn departments(pool: &PgPool) -> Result<Vec<Category>, Error> {
    Ok(sqlx::query_as!(
        Category,
        "SELECT slug, name, description, colour FROM categories
         WHERE parent_id IS NULL ORDER BY position, name",
    )
    .fetch_all(pool)
    .await?)
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
    let row = sqlx::query!(
        "SELECT id, slug, name, description, colour FROM categories WHERE slug = $1",
        slug,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| {
        (
            row.id,
            Category {
                slug: row.slug,
                name: row.name,
                description: row.description,
                colour: row.colour,
            },
        )
    }))
}

/// The category `id` and every category above it, top first.
async fn category_path(pool: &PgPool, id: i64) -> Result<Vec<CategoryLink>, Error> {
    Ok(sqlx::query_as!(
        CategoryLink,
        "WITH RECURSIVE up AS (
             SELECT id, parent_id, 0 AS depth FROM categories WHERE id = $1
             UNION ALL
             SELECT c.id, c.parent_id, up.depth + 1
             FROM categories c JOIN up ON c.id = up.parent_id
         )
         SELECT c.slug, c.name FROM up JOIN categories c ON c.id = up.id
         ORDER BY up.depth DESC",
        id,
    )
    .fetch_all(pool)
    .await?)
}

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
    let slug = super::Slug::parse(slug).map_err(|_| Error::NotFound)?;
    let product = sqlx::query!(
        "SELECT id, category_id, slug, name, description, seo_title, seo_description
         FROM products WHERE slug = $1 AND status = $2",
        slug.as_str(),
        ProductStatus::Active as ProductStatus,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound)?;
    let id = product.id;

    let option_names = sqlx::query_scalar!(
        "SELECT name FROM product_options WHERE product_id = $1 ORDER BY position",
        id,
    )
    .fetch_all(pool)
    .await?;
    let variant_rows = sqlx::query_as!(
        VariantRow,
        r#"SELECT v.id, v.sku, v.option1, v.option2, v.option3, v.price, v.compare_at_price,
                  units_available(i.on_hand, v.track_stock) AS "on_hand!"
           FROM variants v JOIN inventory i ON i.variant_id = v.id
           WHERE v.product_id = $1 ORDER BY v.position, v.id"#,
        id,
    )
    .fetch_all(pool)
    .await?;
    let images = sqlx::query!(
        "SELECT url, alt, stored_name, width, height, renditions
         FROM product_images WHERE product_id = $1 ORDER BY position",
        id,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|i| {
        Image::new(
            i.url,
            i.alt,
            i.stored_name.as_deref(),
            i.width,
            i.height,
            &i.renditions,
        )
    })
    .collect();
    let categories = category_path(pool, product.category_id).await?;

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
            available: u32::try_from(r.on_hand)
                .unwrap_or(0)
                .min(crate::cart::MAX_PER_LINE),
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
        slug: product.slug,
        name: product.name,
        description: product.description,
        seo_title: product.seo_title,
        seo_description: product.seo_description,
        categories,
        options,
        variants,
        images,
    })
}

/// Paths of everything a search engine should index (active products and categories),
/// `limit` of them from `offset`, in path order.
pub async fn sitemap_paths(pool: &PgPool, offset: i64, limit: i64) -> Result<Vec<String>, Error> {
    Ok(sqlx::query_scalar!(
        r#"SELECT path AS "path!" FROM (
               SELECT '/c/' || slug AS path FROM categories
               UNION ALL
               SELECT '/p/' || slug FROM listed_products
           ) AS paths
           ORDER BY path OFFSET $1 LIMIT $2"#,
        offset,
        limit,
    )
    .fetch_all(pool)
    .await?)
}

/// How many paths [`sitemap_paths`] has in all.
pub async fn sitemap_len(pool: &PgPool) -> Result<i64, Error> {
    Ok(sqlx::query_scalar!(
        r#"SELECT (SELECT count(*) FROM categories)
                + (SELECT count(*) FROM listed_products) AS "paths!""#
    )
    .fetch_one(pool)
    .await?)
}
