//! The catalog as staff see it: the product list (search by name or SKU, filters,
//! sorts, keyset pages) and bulk actions on chosen products (publish, archive, move to a
//! category), each in one transaction with an audit entry per product.
//!
//! The list's stock figures (units, "low") come from `product_stock`, refreshed from a
//! queue a second after stock changes ([`refresh_queued_stock`]); "sold out" is the
//! product's own `in_stock`, exact at every commit.

use super::ProductStatus;
use crate::inventory::StockState;
use serde::{Deserialize, Serialize};

/// How the list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProductSort {
    #[default]
    Name,
    /// Lowest price first.
    Price,
    /// Highest price first.
    PriceDesc,
    /// Fewest units first.
    Stock,
    /// Most recently changed first.
    Updated,
}

impl ProductSort {
    pub const ALL: [ProductSort; 5] = [
        ProductSort::Name,
        ProductSort::Price,
        ProductSort::PriceDesc,
        ProductSort::Stock,
        ProductSort::Updated,
    ];

    /// As in the URL (`?sort=…`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProductSort::Name => "name",
            ProductSort::Price => "price",
            ProductSort::PriceDesc => "-price",
            ProductSort::Stock => "stock",
            ProductSort::Updated => "updated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProductSort::Name => "Name (A–Z)",
            ProductSort::Price => "Price (lowest first)",
            ProductSort::PriceDesc => "Price (highest first)",
            ProductSort::Stock => "Stock (fewest first)",
            ProductSort::Updated => "Last updated",
        }
    }

    fn parse(s: &str) -> Option<ProductSort> {
        ProductSort::ALL.into_iter().find(|sort| sort.as_str() == s)
    }
}

/// The stock states the list filters by, as in the URL.
pub fn stock_param(state: StockState) -> &'static str {
    match state {
        StockState::InStock => "in-stock",
        StockState::Low => "low",
        StockState::SoldOut => "sold-out",
    }
}

/// What the product list shows, as in its URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductQuery {
    /// Part of a product's name, or the start of a variant's SKU.
    pub q: String,
    pub status: Option<ProductStatus>,
    /// A category and the categories under it.
    pub category: Option<i64>,
    pub stock: Option<StockState>,
    pub sort: ProductSort,
    /// The last product of the previous page.
    pub after: Option<i64>,
}

/// The longest search the list takes.
pub const MAX_SEARCH: usize = 100;

impl ProductQuery {
    /// From the URL's parameters (each `None` when absent); what does not parse is left
    /// at its default.
    pub fn from_params(
        q: Option<&str>,
        status: Option<&str>,
        category: Option<&str>,
        stock: Option<&str>,
        sort: Option<&str>,
        after: Option<&str>,
    ) -> ProductQuery {
        ProductQuery {
            q: q.unwrap_or_default()
                .trim()
                .chars()
                .take(MAX_SEARCH)
                .collect(),
            status: status.and_then(ProductStatus::parse),
            category: category.and_then(|c| c.parse().ok()),
            stock: stock.and_then(|s| {
                [StockState::InStock, StockState::Low, StockState::SoldOut]
                    .into_iter()
                    .find(|state| stock_param(*state) == s)
            }),
            sort: sort.and_then(ProductSort::parse).unwrap_or_default(),
            after: after.and_then(|a| a.parse().ok()),
        }
    }

    /// The list's URL for this query (defaults left out).
    pub fn href(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            out.append_pair("q", &self.q);
        }
        if let Some(status) = self.status {
            out.append_pair("status", status.as_str());
        }
        if let Some(category) = self.category {
            out.append_pair("category", &category.to_string());
        }
        if let Some(stock) = self.stock {
            out.append_pair("stock", stock_param(stock));
        }
        if self.sort != ProductSort::default() {
            out.append_pair("sort", self.sort.as_str());
        }
        if let Some(after) = self.after {
            out.append_pair("after", &after.to_string());
        }
        match out.finish() {
            q if q.is_empty() => "/admin/products".to_owned(),
            q => format!("/admin/products?{q}"),
        }
    }

    /// The same list from after `after` (`None`: its first page).
    pub fn starting(&self, after: Option<i64>) -> ProductQuery {
        ProductQuery {
            after,
            ..self.clone()
        }
    }

    /// Whether anything narrows the list (for "clear filters").
    pub fn is_filtered(&self) -> bool {
        !self.q.is_empty()
            || self.status.is_some()
            || self.category.is_some()
            || self.stock.is_some()
    }
}

/// A product as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRow {
    pub id: i64,
    pub name: String,
    pub status: ProductStatus,
    pub category: String,
    /// "€12.00", "€12.00–€30.00", or `None` without variants.
    pub price: Option<String>,
    pub variants: i64,
    /// Units on hand across its variants.
    pub units: i64,
    pub stock: StockState,
    /// When it last changed, `YYYY-MM-DD HH:MM` (UTC).
    pub updated: String,
}

/// A page of the list, and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductPage {
    pub rows: Vec<ProductRow>,
    pub next: Option<i64>,
}

/// Products per page.
pub const PER_PAGE: i64 = 50;

/// The most products one bulk action changes.
pub const MAX_BULK: usize = 200;

/// What a bulk action does to each chosen product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkAction {
    /// Make it active: shoppers see it (when it has a priced variant).
    Publish,
    Archive,
    MoveTo(i64),
}

impl BulkAction {
    /// From the bulk form: `action` is `publish`, `archive` or `move`, which needs
    /// `category`.
    pub fn parse(action: &str, category: Option<i64>) -> Option<BulkAction> {
        match (action, category) {
            ("publish", _) => Some(BulkAction::Publish),
            ("archive", _) => Some(BulkAction::Archive),
            ("move", Some(category)) => Some(BulkAction::MoveTo(category)),
            _ => None,
        }
    }

    /// What the form sends for it.
    pub fn as_form_value(self) -> &'static str {
        match self {
            BulkAction::Publish => "publish",
            BulkAction::Archive => "archive",
            BulkAction::MoveTo(_) => "move",
        }
    }

    /// "Publish", "Archive", "Move": the confirm button's verb.
    pub fn verb(self) -> &'static str {
        match self {
            BulkAction::Publish => "Publish",
            BulkAction::Archive => "Archive",
            BulkAction::MoveTo(_) => "Move",
        }
    }
}

/// What a bulk action did: how many products it changed, and those it left alone with
/// why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub changed: usize,
    /// Already as asked.
    pub unchanged: usize,
    /// (product name, why it was left alone)
    pub skipped: Vec<(String, String)>,
}

impl BulkOutcome {
    /// What staff read after it: "Archived 12 products." and what was left alone.
    pub fn describe(&self, action: BulkAction) -> String {
        let done = match action {
            BulkAction::Publish => "Published",
            BulkAction::Archive => "Archived",
            BulkAction::MoveTo(_) => "Moved",
        };
        let plural = |n: usize| if n == 1 { "product" } else { "products" };
        let mut text = format!("{done} {} {}.", self.changed, plural(self.changed));
        if self.unchanged > 0 {
            text.push_str(&format!(
                " {} {} already so.",
                self.unchanged,
                if self.unchanged == 1 { "was" } else { "were" }
            ));
        }
        if !self.skipped.is_empty() {
            let names: Vec<String> = self
                .skipped
                .iter()
                .map(|(name, why)| format!("{name} ({why})"))
                .collect();
            text.push_str(&format!(" Left alone: {}.", names.join(", ")));
        }
        text
    }
}

/// A chosen product, for the bulk action's confirm page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chosen {
    pub id: i64,
    pub name: String,
    pub status: ProductStatus,
}

/// A category as staff choose one: its id and its path ("Clothing › Hoodies").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryChoice {
    pub id: i64,
    pub path: String,
}

/// Reads the chosen ids of a bulk form (repeated, or comma-separated): at most
/// [`MAX_BULK`], each once. Stops reading at the first too many.
pub fn parse_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<Vec<i64>, crate::Error> {
    let mut seen = std::collections::HashSet::new();
    let mut parsed: Vec<i64> = Vec::new();
    for id in ids.into_iter().flat_map(|s| s.split(',')).map(str::trim) {
        if id.is_empty() {
            continue;
        }
        let id = id
            .parse()
            .map_err(|_| crate::Error::field("ids", "Choose products from the list."))?;
        if seen.insert(id) {
            parsed.push(id);
        }
        if parsed.len() > MAX_BULK {
            return Err(crate::Error::field(
                "ids",
                format!("Choose at most {MAX_BULK} products at a time."),
            ));
        }
    }
    if parsed.is_empty() {
        return Err(crate::Error::field("ids", "Choose at least one product."));
    }
    Ok(parsed)
}

/// Where "back to the list" goes: `back` when it is a product list's own URL (the
/// list page sends it), else the list's first page. Never another site, nor anything
/// that is not a plain path and query.
pub fn list_url(back: Option<&str>) -> String {
    back.filter(|b| *b == "/admin/products" || b.starts_with("/admin/products?"))
        .filter(|b| b.chars().all(|c| c.is_ascii_graphic()) && !b.contains('\\'))
        .unwrap_or("/admin/products")
        .to_owned()
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, Subject, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::{Currency, Error, Money};
    use rust_decimal::Decimal;
    use serde_json::json;
    use sqlx::{PgPool, Postgres, QueryBuilder};

    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        status: ProductStatus,
        category: String,
        min_price: Option<Decimal>,
        max_price: Option<Decimal>,
        variants: i64,
        units: i64,
        low: bool,
        in_stock: bool,
        updated: String,
    }

    /// A page of the list for `query`. One statement, built from typed parts (every
    /// value a bind parameter). The sort's index leads and the filters narrow it; with a
    /// category, each of its categories' own `(category_id, key, id)` index gives its
    /// first page and the pages are merged, so a rare category is as quick as a common
    /// one, whatever order its products were made in.
    pub async fn list(
        pool: &PgPool,
        query: &ProductQuery,
        currency: Currency,
    ) -> Result<ProductPage, Error> {
        let categories = match query.category {
            Some(category) => Some(subtree(pool, category).await?),
            None => None,
        };
        let found = match query.q.as_str() {
            "" => None,
            q => Some(search(pool, q).await?),
        };
        if found == Some(Found::These(Vec::new())) {
            return Ok(ProductPage {
                rows: Vec::new(),
                next: None,
            });
        }
        let stock_first = query.sort == ProductSort::Stock;
        // (the keyset's key and the inner order, over products `p` and stock `s`; the
        // key of the previous page's last product; the outer order, over the columns)
        let (key, inner_order, after_key, outer_order) = match query.sort {
            ProductSort::Name => (
                "(p.name, p.id)",
                "p.name, p.id",
                "(SELECT name, id FROM products WHERE id = ",
                "name, id",
            ),
            ProductSort::Price => (
                "(coalesce(p.min_price, -1), p.id)",
                "coalesce(p.min_price, -1), p.id",
                "(SELECT coalesce(min_price, -1), id FROM products WHERE id = ",
                "price_key, id",
            ),
            ProductSort::PriceDesc => (
                "(coalesce(p.min_price, -1), p.id)",
                "coalesce(p.min_price, -1) DESC, p.id DESC",
                "(SELECT coalesce(min_price, -1), id FROM products WHERE id = ",
                "price_key DESC, id DESC",
            ),
            ProductSort::Stock => (
                "(s.units, s.product_id)",
                "s.units, s.product_id",
                "(SELECT units, product_id FROM product_stock WHERE product_id = ",
                "units, id",
            ),
            ProductSort::Updated => (
                "(p.updated_at, p.id)",
                "p.updated_at DESC, p.id DESC",
                "(SELECT updated_at, id FROM products WHERE id = ",
                "updated_at DESC, id DESC",
            ),
        };
        let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(
            "SELECT p.id, p.name, p.status, c.name AS category, p.min_price, p.max_price,
                    (SELECT count(*) FROM variants v WHERE v.product_id = p.id) AS variants,
                    p.units, p.low, p.in_stock,
                    to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS updated
             FROM ",
        );
        if let Some(categories) = &categories {
            sql.push("unnest(")
                .push_bind(categories.clone())
                .push("::bigint[]) AS cat(id) CROSS JOIN LATERAL ");
        }
        sql.push(
            "(SELECT p.id, p.name, p.status, p.category_id, p.min_price, p.max_price,
                     p.in_stock, p.updated_at, coalesce(p.min_price, -1) AS price_key,
                     coalesce(s.units, 0) AS units, coalesce(s.low, false) AS low
              FROM products p ",
        );
        // Sorting by stock walks the stock figures' index; the rest walk products'.
        sql.push(if stock_first {
            "JOIN product_stock s ON s.product_id = p.id WHERE true"
        } else {
            "LEFT JOIN product_stock s ON s.product_id = p.id WHERE true"
        });
        if categories.is_some() {
            sql.push(" AND p.category_id = cat.id");
        }
        match &found {
            None => {}
            Some(Found::These(ids)) => {
                sql.push(" AND p.id = ANY (")
                    .push_bind(ids.clone())
                    .push(")");
            }
            Some(Found::Many) => {
                sql.push(" AND (p.name ILIKE ")
                    .push_bind(crate::db::contains_pattern(&query.q))
                    .push(" OR p.id IN (SELECT product_id FROM variants WHERE sku LIKE ")
                    .push_bind(crate::db::prefix_pattern(&query.q.to_uppercase()))
                    .push("))");
            }
        }
        if let Some(status) = query.status {
            sql.push(" AND p.status = ").push_bind(status.as_str());
        }
        match query.stock {
            None => {}
            Some(StockState::SoldOut) => {
                sql.push(" AND NOT p.in_stock");
            }
            Some(StockState::Low) => {
                sql.push(" AND p.in_stock AND s.low");
            }
            Some(StockState::InStock) => {
                sql.push(" AND p.in_stock AND NOT coalesce(s.low, false)");
            }
        }
        // The keyset: after the previous page's last product, by the same key read
        // afresh (a product that moved since is placed where it is now).
        if let Some(after) = query.after {
            let descending = matches!(query.sort, ProductSort::PriceDesc | ProductSort::Updated);
            sql.push(" AND ")
                .push(key)
                .push(if descending { " < " } else { " > " })
                .push(after_key)
                .push_bind(after)
                .push(")");
        }
        sql.push(" ORDER BY ")
            .push(inner_order)
            .push(" LIMIT ")
            .push_bind(PER_PAGE + 1)
            .push(") p JOIN categories c ON c.id = p.category_id ORDER BY ")
            .push(outer_order)
            .push(" LIMIT ")
            .push_bind(PER_PAGE + 1);
        let mut rows: Vec<Row> = sql.build_query_as().fetch_all(pool).await?;
        let next = crate::admin::keyset_page(&mut rows, PER_PAGE, |r| r.id);
        let rows = rows
            .into_iter()
            .map(|r| {
                let price = match (r.min_price, r.max_price) {
                    (Some(min), Some(max)) if min != max => Some(format!(
                        "{}–{}",
                        Money::new(min, currency).format(),
                        Money::new(max, currency).format()
                    )),
                    (Some(min), _) => Some(Money::new(min, currency).format()),
                    _ => None,
                };
                let stock = match (r.in_stock, r.low) {
                    (false, _) => StockState::SoldOut,
                    (true, true) => StockState::Low,
                    (true, false) => StockState::InStock,
                };
                ProductRow {
                    id: r.id,
                    name: r.name,
                    status: r.status,
                    category: r.category,
                    price,
                    variants: r.variants,
                    units: r.units,
                    stock,
                    updated: r.updated,
                }
            })
            .collect();
        Ok(ProductPage { rows, next })
    }

    /// Every category by its path, in tree order, for filters and "move to".
    pub async fn category_choices(pool: &PgPool) -> Result<Vec<CategoryChoice>, Error> {
        Ok(sqlx::query_as!(
            CategoryChoice,
            r#"WITH RECURSIVE tree AS (
                   SELECT id, name::text AS path, ARRAY[position, id::integer] AS sort
                   FROM categories WHERE parent_id IS NULL
                   UNION ALL
                   SELECT c.id, tree.path || ' › ' || c.name, tree.sort || ARRAY[c.position, c.id::integer]
                   FROM categories c JOIN tree ON c.parent_id = tree.id
               )
               SELECT id AS "id!", path AS "path!" FROM tree ORDER BY sort"#,
        )
        .fetch_all(pool)
        .await?)
    }

    /// What a search matches: few enough products to name, or too many to.
    #[derive(Debug, PartialEq, Eq)]
    enum Found {
        These(Vec<i64>),
        Many,
    }

    /// Up to this many products a search finds are looked up by id and sorted; more,
    /// and the list walks its sort's index testing each product instead (which soon
    /// finds a page when so many match).
    const FEW: usize = 2_000;

    /// The products whose name contains `q` or with a variant whose SKU starts with it,
    /// by the name's trigram index and the SKU's prefix index. The trigram index needs
    /// three characters: a shorter search matches a word of the name by its start (the
    /// full-text index) rather than read every name.
    async fn search(pool: &PgPool, q: &str) -> Result<Found, Error> {
        let (sku, limit) = (crate::db::prefix_pattern(&q.to_uppercase()), FEW as i64 + 1);
        let ids = if q.chars().count() >= 3 {
            sqlx::query_scalar!(
                r#"(SELECT id AS "id!" FROM products WHERE name ILIKE $1 LIMIT $3)
                   UNION
                   (SELECT product_id FROM variants WHERE sku LIKE $2 LIMIT $3)"#,
                crate::db::contains_pattern(q),
                sku,
                limit,
            )
            .fetch_all(pool)
            .await?
        } else {
            // A word of the name (weight A in `search`) starting with `q`, when `q` is
            // letters and digits (anything else would be the query's own syntax).
            let word = q
                .chars()
                .all(char::is_alphanumeric)
                .then(|| format!("{}:*A", q.to_lowercase()));
            sqlx::query_scalar!(
                r#"(SELECT id AS "id!" FROM products
                    WHERE $1::text IS NOT NULL AND search @@ to_tsquery('simple', $1) LIMIT $3)
                   UNION
                   (SELECT product_id FROM variants WHERE sku LIKE $2 LIMIT $3)"#,
                word,
                sku,
                limit,
            )
            .fetch_all(pool)
            .await?
        };
        Ok(if ids.len() > FEW {
            Found::Many
        } else {
            Found::These(ids)
        })
    }

    /// A category and every category under it.
    pub(crate) async fn subtree(pool: &PgPool, category: i64) -> Result<Vec<i64>, Error> {
        Ok(sqlx::query_scalar!(
            r#"WITH RECURSIVE tree AS (
                   SELECT id FROM categories WHERE id = $1
                   UNION ALL
                   SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id
               )
               SELECT id AS "id!" FROM tree"#,
            category,
        )
        .fetch_all(pool)
        .await?)
    }

    /// The chosen products, for the confirm page (those that still exist).
    pub async fn chosen(pool: &PgPool, ids: &[i64]) -> Result<Vec<Chosen>, Error> {
        Ok(sqlx::query_as!(
            Chosen,
            r#"SELECT id, name, status AS "status: ProductStatus" FROM products
               WHERE id = ANY ($1) ORDER BY name, id"#,
            ids,
        )
        .fetch_all(pool)
        .await?)
    }

    /// Does `action` to the products `ids`, all in one transaction with an audit entry
    /// each: publishing skips a product with no priced variant (shoppers could not buy
    /// it); moving to a category that no longer exists changes nothing. A product being
    /// changed at the same moment (a checkout selling its last unit locks it as it
    /// commits) makes the whole action refused as busy rather than wait while holding
    /// the others: waiting could close a cycle with that checkout.
    pub async fn bulk(
        pool: &PgPool,
        staff: &Staff,
        ids: &[i64],
        action: BulkAction,
    ) -> Result<BulkOutcome, Error> {
        staff.require(Permission::Catalog)?;
        let mut tx = pool.begin().await?;
        if let BulkAction::MoveTo(category) = action {
            sqlx::query_scalar!(
                "SELECT id FROM categories WHERE id = $1 FOR SHARE",
                category
            )
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| {
                Error::field(
                    "category",
                    "That category no longer exists. Choose another.",
                )
            })?;
        }
        let products = sqlx::query!(
            r#"SELECT id, name, status AS "status: ProductStatus", category_id,
                      min_price IS NOT NULL AS "priced!"
               FROM products WHERE id = ANY ($1) ORDER BY id FOR UPDATE NOWAIT"#,
            ids,
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut outcome = BulkOutcome::default();
        for product in products {
            let (field, before, after) = match action {
                BulkAction::Publish | BulkAction::Archive => {
                    let to = if action == BulkAction::Publish {
                        ProductStatus::Active
                    } else {
                        ProductStatus::Archived
                    };
                    if product.status == to {
                        outcome.unchanged += 1;
                        continue;
                    }
                    if to == ProductStatus::Active && !product.priced {
                        outcome
                            .skipped
                            .push((product.name, "no variant with a price yet".to_owned()));
                        continue;
                    }
                    sqlx::query!(
                        "UPDATE products SET status = $2, updated_at = now(), version = version + 1
                         WHERE id = $1",
                        product.id,
                        to as ProductStatus,
                    )
                    .execute(&mut *tx)
                    .await?;
                    ("status", json!(product.status), json!(to))
                }
                BulkAction::MoveTo(category) => {
                    if product.category_id == category {
                        outcome.unchanged += 1;
                        continue;
                    }
                    sqlx::query!(
                        "UPDATE products SET category_id = $2, updated_at = now(), version = version + 1
                         WHERE id = $1",
                        product.id,
                        category,
                    )
                    .execute(&mut *tx)
                    .await?;
                    ("category_id", json!(product.category_id), json!(category))
                }
            };
            let id = product.id.to_string();
            audit::record(
                &mut tx,
                staff,
                if field == "status" {
                    Action::ProductStatus
                } else {
                    Action::ProductCategory
                },
                Subject {
                    kind: SubjectKind::Product,
                    id: &id,
                },
                Some(json!({ field: before })),
                Some(json!({ field: after })),
            )
            .await?;
            outcome.changed += 1;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Refreshes the stock figures of the products whose stock changed since the last
    /// time; gives how many.
    pub async fn refresh_queued_stock(pool: &PgPool) -> Result<i32, Error> {
        Ok(
            sqlx::query_scalar!(r#"SELECT refresh_queued_product_stock() AS "n!""#)
                .fetch_one(pool)
                .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_reads_back_from_its_url() {
        let query = ProductQuery::from_params(
            Some(" tee & co "),
            Some("draft"),
            Some("7"),
            Some("low"),
            Some("-price"),
            Some("42"),
        );
        assert_eq!(
            query,
            ProductQuery {
                q: "tee & co".to_owned(),
                status: Some(ProductStatus::Draft),
                category: Some(7),
                stock: Some(StockState::Low),
                sort: ProductSort::PriceDesc,
                after: Some(42),
            }
        );
        assert_eq!(
            query.href(),
            "/admin/products?q=tee+%26+co&status=draft&category=7&stock=low&sort=-price&after=42"
        );
        assert_eq!(ProductQuery::default().href(), "/admin/products");
        let nonsense = ProductQuery::from_params(
            None,
            Some("deleted"),
            Some("x"),
            Some("plenty"),
            Some("random"),
            Some("-"),
        );
        assert_eq!(nonsense, ProductQuery::default());
        assert!(!nonsense.is_filtered());
    }

    #[test]
    fn chosen_ids_are_whole_numbers_each_once_and_not_too_many() {
        assert_eq!(parse_ids(["3", "1,3", " 2 "]).ok(), Some(vec![3, 1, 2]));
        assert!(parse_ids(Vec::<&str>::new()).is_err());
        assert!(parse_ids(["1", "x"]).is_err());
        let many: Vec<String> = (0..=MAX_BULK).map(|i| i.to_string()).collect();
        assert!(parse_ids(many.iter().map(String::as_str)).is_err());
    }

    #[test]
    fn back_to_the_list_goes_only_to_a_product_list() {
        assert_eq!(
            list_url(Some("/admin/products?status=draft")),
            "/admin/products?status=draft"
        );
        for elsewhere in [
            None,
            Some("https://evil.example/admin/products"),
            Some("//evil.example"),
            Some("/admin/productsx"),
            Some("/admin/products?\n"),
            Some("/admin/products?a=b\\c"),
            Some("/admin/products? "),
        ] {
            assert_eq!(list_url(elsewhere), "/admin/products", "{elsewhere:?}");
        }
    }

    #[test]
    fn a_bulk_outcome_says_what_was_done_and_left_alone() {
        let outcome = BulkOutcome {
            changed: 2,
            unchanged: 1,
            skipped: vec![("Tee".to_owned(), "no variant with a price yet".to_owned())],
        };
        assert_eq!(
            outcome.describe(BulkAction::Publish),
            "Published 2 products. 1 was already so. Left alone: Tee (no variant with a price yet)."
        );
        assert_eq!(
            BulkOutcome {
                changed: 1,
                ..BulkOutcome::default()
            }
            .describe(BulkAction::MoveTo(3)),
            "Moved 1 product."
        );
        assert_eq!(BulkAction::parse("move", None), None);
        assert_eq!(
            BulkAction::parse("move", Some(3)),
            Some(BulkAction::MoveTo(3))
        );
    }
}
