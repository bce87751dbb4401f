//! Listings: a category's or a search's products, filtered, sorted, paged and counted.
//!
//! A listing is two statements, run side by side: one picks the page of products (an
//! index answers its ORDER BY ... LIMIT), the other counts every facet in one pass
//! over the listing's products. Both read only the `products` row, whose listing
//! columns the database keeps current (see the `listing` migration), through the
//! `listed_products` view: which products are listed, and which are on sale, is said
//! there once (see the `listed` migration).

use super::cards::cards;
use super::listing::{
    CategoryFacet, FacetValue, Facets, Listing, ListingQuery, OptionFacet, PriceBucket, Sort,
    PRICE_EDGES,
};
use crate::cache::Cache;
use crate::{Currency, Error};
use rust_decimal::Decimal;
use sqlx::{PgPool, Postgres, QueryBuilder};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

pub use super::cards::PER_PAGE;

/// Which products a listing starts from, before the shopper's filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A category and everything below it; the category facet lists its children.
    Category(i64),
    /// The whole catalog; the category facet lists the top-level categories.
    Everything,
}

/// One page of the listing `query` asks for within `scope`. Option values that no
/// product in the listing has are dropped (and the listing computed without them), so a
/// stale or tampered link shows products rather than nothing.
pub async fn listing(
    pool: &PgPool,
    cache: &ListingCache,
    currency: Currency,
    scope: Scope,
    query: &ListingQuery,
) -> Result<Listing, Error> {
    let (counts, products) = tokio::join!(
        cache.counts(pool, scope, query),
        page(pool, cache, currency, scope, query)
    );
    let counts = counts?;
    let applied = counts.drop_unknown_options(query);
    if applied != *query {
        return Box::pin(listing(pool, cache, currency, scope, &applied)).await;
    }
    Ok(Listing {
        sort: query.sort(),
        products: products?,
        total: counts.total,
        per_page: PER_PAGE,
        facets: counts.facets(query),
        currency,
        spelled_differently: !query.q.is_empty() && counts.exact == 0 && counts.total > 0,
        suggestion: counts.suggestion.clone(),
        query: applied,
    })
}

/// What recently shown listings cost most to work out, for a short while: their facet
/// counts (one pass over every product in the listing) and the order of their first
/// pages (a sort over every match, for a search). Paging through or re-sorting a view
/// asks for the same counts again, and popular views are asked for constantly. The
/// cards themselves are always read fresh; a count or an order may lag a change by up
/// to the cache's lifetime. A listing still asked for near the end of its lifetime is
/// worked out again in the background (see [`crate::cache`]), so a popular view
/// never keeps a shopper waiting for its counts.
#[derive(Debug)]
pub struct ListingCache {
    counts: Cache<CacheKey, Arc<Counts>>,
    ids: Cache<CacheKey, Arc<Vec<i64>>>,
}

impl ListingCache {
    /// Keeps up to `capacity` listings' counts and orders for `ttl` each.
    pub fn new(ttl: Duration, capacity: usize) -> ListingCache {
        ListingCache {
            counts: Cache::new(ttl, capacity),
            ids: Cache::new(ttl, capacity),
        }
    }

    /// The same cache, serving nothing worked out before the latest of `changes` (staff
    /// edits to the catalog).
    pub fn watching(self, changes: &crate::cache::Changes) -> ListingCache {
        ListingCache {
            counts: self.counts.watching(changes.clone()),
            ids: self.ids.watching(changes.clone()),
        }
    }

    /// A cache that keeps nothing: every listing is worked out afresh.
    pub fn disabled() -> ListingCache {
        ListingCache::new(Duration::ZERO, 0)
    }

    async fn counts(
        &self,
        pool: &PgPool,
        scope: Scope,
        query: &ListingQuery,
    ) -> Result<Arc<Counts>, Error> {
        // The page and the sort do not change a count.
        let key = (
            scope,
            ListingQuery {
                page: 1,
                sort: None,
                ..query.clone()
            },
        );
        let (pool, query) = (pool.clone(), query.clone());
        let served = self
            .counts
            .get_or_compute(key, move || async move {
                let mut fresh = counts(&pool, scope, &query).await?;
                if !query.q.is_empty() && fresh.exact == 0 {
                    fresh.suggestion = suggest(&pool, &query.q).await?;
                }
                Ok::<_, Error>(Arc::new(fresh))
            })
            .await?;
        Ok(served.value)
    }
}

type CacheKey = (Scope, ListingQuery);

/// The spelling of `q` closest to words in active product names ("hoodei" →
/// "hoodie"), or `None` when every word is already spelled as in the catalog or has
/// no close match.
pub async fn suggest(pool: &PgPool, q: &str) -> Result<Option<String>, Error> {
    let words: Vec<&str> = q.split_whitespace().take(6).collect();
    if words.is_empty() {
        return Ok(None);
    }
    // For each word, the closest word of any product name that resembles it.
    let closest = sqlx::query_scalar!(
        "SELECT (
             SELECT x.word FROM (
                 SELECT DISTINCT lower(part) AS word
                 FROM listed_products p, regexp_split_to_table(p.name, '[^[:alnum:]]+') part
                 WHERE w.word <% p.name
             ) x
             WHERE x.word <> '' AND similarity(x.word, w.word) >= 0.3
             ORDER BY similarity(x.word, w.word) DESC, x.word
             LIMIT 1)
         FROM unnest($1::text[]) WITH ORDINALITY AS w(word, n)
         ORDER BY w.n",
        &words.iter().map(|w| w.to_lowercase()).collect::<Vec<_>>(),
    )
    .fetch_all(pool)
    .await?;
    let mut suggestion = Vec::with_capacity(words.len());
    for (word, closest) in words.iter().zip(closest) {
        suggestion.push(closest.unwrap_or_else(|| word.to_lowercase()));
    }
    let suggestion = suggestion.join(" ");
    Ok((suggestion != q.to_lowercase()).then_some(suggestion))
}

/// `tree(id, branch)`: the categories a scope covers, each with the child of the scope
/// (or the top-level category) it sits under; `branch` is NULL for the scope itself.
fn push_tree(sql: &mut QueryBuilder<'_, Postgres>, scope: Scope) {
    sql.push("WITH RECURSIVE tree AS (");
    match scope {
        Scope::Category(id) => {
            sql.push("SELECT id, NULL::bigint AS branch FROM categories WHERE id = ");
            sql.push_bind(id);
        }
        Scope::Everything => {
            sql.push("SELECT id, id AS branch FROM categories WHERE parent_id IS NULL");
        }
    }
    sql.push(
        " UNION ALL SELECT c.id, coalesce(tree.branch, c.id) \
         FROM categories c JOIN tree ON c.parent_id = tree.id)",
    );
}

fn push_search_match(sql: &mut QueryBuilder<'_, Postgres>, q: &str) {
    sql.push("(p.search @@ websearch_to_tsquery('english', ");
    sql.push_bind(q.to_owned());
    sql.push(") OR ");
    sql.push_bind(q.to_owned());
    sql.push(" <% p.name)");
}

/// `AND`s what every listing of `scope` searching for `q` keeps: products of the
/// scope's categories (from `tree`, which the statement must start with in a category)
/// and, with words, products they match.
fn push_scope_and_words(sql: &mut QueryBuilder<'_, Postgres>, scope: Scope, q: &str) {
    if let Scope::Category(_) = scope {
        // Lets the planner read the scope's products through the covering index
        // instead of scanning every product to join them with the tree.
        sql.push(" AND p.category_id = ANY (ARRAY(SELECT id FROM tree))");
    }
    if !q.is_empty() {
        sql.push(" AND ");
        push_search_match(sql, q);
    }
}

fn push_price_filter(sql: &mut QueryBuilder<'_, Postgres>, query: &ListingQuery) {
    sql.push("(true");
    if let Some(min) = query.min_price {
        sql.push(" AND p.min_price >= ");
        sql.push_bind(min);
    }
    if let Some(max) = query.max_price {
        sql.push(" AND p.min_price <= ");
        sql.push_bind(max);
    }
    sql.push(")");
}

/// The selected values of each option, as the `products.facets` entries they match.
fn option_groups(query: &ListingQuery) -> Vec<(String, Vec<String>)> {
    query
        .options
        .iter()
        .map(|(name, values)| {
            let entries = values.iter().map(|v| format!("{name}:{v}")).collect();
            (name.clone(), entries)
        })
        .collect()
}

/// Products kept in order per cached listing: the first pages, which is where shoppers
/// are. Deeper pages are picked by the database each time.
const CACHED_IDS: u32 = 20 * PER_PAGE;

/// The page of cards: every filter applied, sorted, limited. The order of a listing's
/// first pages comes from the cache; the cards themselves are always read fresh.
async fn page(
    pool: &PgPool,
    cache: &ListingCache,
    currency: Currency,
    scope: Scope,
    query: &ListingQuery,
) -> Result<Vec<super::view::ProductCard>, Error> {
    let offset = (query.page.max(1) - 1).saturating_mul(PER_PAGE);
    let ids: Vec<i64> = if offset < CACHED_IDS {
        let key = (
            scope,
            ListingQuery {
                page: 1,
                ..query.clone()
            },
        );
        let (pool, query) = (pool.clone(), query.clone());
        let first = cache
            .ids
            .get_or_compute(key, move || async move {
                page_ids(&pool, scope, &query, CACHED_IDS, 0)
                    .await
                    .map(Arc::new)
            })
            .await?
            .value;
        let start = (offset as usize).min(first.len());
        let end = (start + PER_PAGE as usize).min(first.len());
        first[start..end].to_vec()
    } else {
        page_ids(pool, scope, query, PER_PAGE, offset).await?
    };
    cards(pool, currency, &ids).await
}

/// The ids of `limit` products of the listing from `offset` on, in the listing's order.
async fn page_ids(
    pool: &PgPool,
    scope: Scope,
    query: &ListingQuery,
    limit: u32,
    offset: u32,
) -> Result<Vec<i64>, Error> {
    let mut sql = QueryBuilder::<Postgres>::new("");
    if let Scope::Category(_) = scope {
        push_tree(&mut sql, scope);
    }
    sql.push(" SELECT p.id FROM listed_products p WHERE true");
    push_scope_and_words(&mut sql, scope, &query.q);
    sql.push(" AND ");
    push_price_filter(&mut sql, query);
    if query.in_stock {
        sql.push(" AND p.in_stock");
    }
    if query.on_sale {
        sql.push(" AND p.on_sale");
    }
    for (_, entries) in option_groups(query) {
        sql.push(" AND p.facets && ");
        sql.push_bind(entries);
    }
    match query.sort() {
        Sort::Newest => sql.push(" ORDER BY p.created_at DESC, p.id DESC"),
        Sort::PriceAsc => sql.push(" ORDER BY p.min_price ASC, p.id ASC"),
        Sort::PriceDesc => sql.push(" ORDER BY p.min_price DESC, p.id DESC"),
        Sort::Relevance => {
            sql.push(" ORDER BY ts_rank_cd(p.search, websearch_to_tsquery('english', ");
            sql.push_bind(query.q.clone());
            sql.push(")) + word_similarity(");
            sql.push_bind(query.q.clone());
            sql.push(", p.name) DESC, p.id DESC")
        }
    };
    sql.push(" LIMIT ");
    sql.push_bind(i64::from(limit));
    sql.push(" OFFSET ");
    sql.push_bind(i64::from(offset));
    Ok(sql.build_query_scalar().fetch_all(pool).await?)
}

/// Every count the facets show, from one pass over the listing's products.
#[derive(Debug)]
pub struct Counts {
    total: u64,
    /// Products the search words find as spelled (without typo tolerance), before
    /// filters: zero means every result, if any, came from a near spelling.
    exact: u64,
    /// The closest spelling, when nothing matched as spelled.
    suggestion: Option<String>,
    in_stock: u64,
    on_sale: u64,
    prices: Vec<u64>,
    /// Each branch below the scope, in the shop's order.
    categories: Vec<CategoryFacet>,
    /// "Name:value" → count, for every value some product in the listing has.
    options: BTreeMap<String, u64>,
}

/// One row of the counting statement: a `kind` of count ("option", "category", "price",
/// "in_stock", …), what it counts (`key`, with a `label` and `position` for categories),
/// and the count.
#[derive(sqlx::FromRow)]
struct CountRow {
    kind: String,
    key: String,
    label: Option<String>,
    position: i32,
    n: i64,
}

async fn counts(pool: &PgPool, scope: Scope, query: &ListingQuery) -> Result<Counts, Error> {
    let groups = option_groups(query);
    let mut sql = QueryBuilder::<Postgres>::new("");
    push_tree(&mut sql, scope);
    sql.push(
        ", base AS MATERIALIZED (SELECT p.facets, p.min_price, p.in_stock, p.on_sale, \
         tree.branch, ",
    );
    push_price_filter(&mut sql, query);
    sql.push(" AS ok_price");
    if !query.q.is_empty() {
        sql.push(", p.search @@ websearch_to_tsquery('english', ");
        sql.push_bind(query.q.clone());
        sql.push(") AS fts");
    }
    for (n, (_, entries)) in groups.iter().enumerate() {
        sql.push(format_args!(", p.facets && "));
        sql.push_bind(entries.clone());
        sql.push(format_args!(" AS ok_g{n}"));
    }
    sql.push(" FROM listed_products p JOIN tree ON tree.id = p.category_id WHERE true");
    push_scope_and_words(&mut sql, scope, &query.q);
    sql.push(")");
    if !query.q.is_empty() {
        // (The first SELECT of a UNION names the columns: CountRow's.)
        sql.push(
            " SELECT 'exact' AS kind, '' AS key, NULL AS label, 0 AS position, \
             count(*) FILTER (WHERE fts) AS n FROM base UNION ALL",
        );
    }

    // Each facet counts with every filter but its own, so its values stay choosable.
    let stock = match (query.in_stock, query.on_sale) {
        (true, true) => "in_stock AND on_sale",
        (true, false) => "in_stock",
        (false, true) => "on_sale",
        (false, false) => "true",
    };
    let sale_only = if query.on_sale { " AND on_sale" } else { "" };
    let stock_only = if query.in_stock { " AND in_stock" } else { "" };
    let groups_but = |skip: Option<usize>| -> String {
        (0..groups.len())
            .filter(|n| Some(*n) != skip)
            .map(|n| format!(" AND ok_g{n}"))
            .collect()
    };
    let all = format!("ok_price AND {stock}{}", groups_but(None));
    sql.push(
        " SELECT 'option' AS kind, f AS key, NULL AS label, 0 AS position, count(*) FILTER (WHERE ",
    );
    if groups.is_empty() {
        sql.push(&all);
    } else {
        sql.push("CASE split_part(f, ':', 1)");
        for (n, (name, _)) in groups.iter().enumerate() {
            sql.push(" WHEN ");
            sql.push_bind(name.clone());
            sql.push(format_args!(
                " THEN ok_price AND {stock}{}",
                groups_but(Some(n))
            ));
        }
        sql.push(format_args!(" ELSE {all} END"));
    }
    sql.push(") AS n FROM base, unnest(facets) f GROUP BY f");
    sql.push(format_args!(
        " UNION ALL SELECT 'category', c.slug, c.name, c.position, count(*) FILTER (WHERE {all}) \
         FROM base JOIN categories c ON c.id = base.branch GROUP BY c.id"
    ));
    sql.push(format_args!(
        " UNION ALL SELECT 'price', width_bucket(min_price, ARRAY[{}]::numeric[])::text, NULL, 0, \
         count(*) FILTER (WHERE {stock}{}) FROM base GROUP BY 2",
        PRICE_EDGES.map(|e| e.to_string()).join(","),
        groups_but(None)
    ));
    sql.push(format_args!(
        " UNION ALL SELECT 'in_stock', '', NULL, 0, \
         count(*) FILTER (WHERE ok_price AND in_stock{sale_only}{}) FROM base",
        groups_but(None)
    ));
    sql.push(format_args!(
        " UNION ALL SELECT 'on_sale', '', NULL, 0, \
         count(*) FILTER (WHERE ok_price AND on_sale{stock_only}{}) FROM base",
        groups_but(None)
    ));
    sql.push(format_args!(
        " UNION ALL SELECT 'total', '', NULL, 0, count(*) FILTER (WHERE {all}) FROM base"
    ));

    let rows: Vec<CountRow> = sql.build_query_as().fetch_all(pool).await?;
    let mut branches = Vec::new();
    let mut counts = Counts {
        total: 0,
        exact: 0,
        suggestion: None,
        in_stock: 0,
        on_sale: 0,
        prices: vec![0; PRICE_EDGES.len() + 1],
        categories: Vec::new(),
        options: BTreeMap::new(),
    };
    for CountRow {
        kind,
        key,
        label,
        position,
        n,
    } in rows
    {
        let n = u64::try_from(n).unwrap_or(0);
        match kind.as_str() {
            "option" => {
                counts.options.insert(key, n);
            }
            "category" => branches.push((
                position,
                CategoryFacet {
                    slug: key,
                    name: label.unwrap_or_default(),
                    count: n,
                },
            )),
            "price" => {
                if let Some(slot) = key
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| counts.prices.get_mut(i))
                {
                    *slot = n;
                }
            }
            "in_stock" => counts.in_stock = n,
            "on_sale" => counts.on_sale = n,
            "total" => counts.total = n,
            "exact" => counts.exact = n,
            _ => {}
        }
    }
    branches.sort_by(|(a, x), (b, y)| (a, &x.name).cmp(&(b, &y.name)));
    counts.categories = branches.into_iter().map(|(_, facet)| facet).collect();
    Ok(counts)
}

impl Counts {
    /// `query` without the option values no product in the listing has.
    fn drop_unknown_options(&self, query: &ListingQuery) -> ListingQuery {
        let mut applied = query.clone();
        applied.options = query
            .options
            .iter()
            .map(|(name, values)| {
                let known: BTreeSet<String> = values
                    .iter()
                    .filter(|v| self.options.contains_key(&format!("{name}:{v}")))
                    .cloned()
                    .collect();
                (name.clone(), known)
            })
            .filter(|(_, values)| !values.is_empty())
            .collect();
        applied
    }

    fn facets(&self, query: &ListingQuery) -> Facets {
        let mut options: Vec<OptionFacet> = Vec::new();
        // BTreeMap order: by option name, then value.
        for (key, count) in &self.options {
            let Some((name, value)) = key.split_once(':') else {
                continue;
            };
            let selected = query
                .options
                .get(name)
                .is_some_and(|values| values.contains(value));
            let value = FacetValue {
                value: value.to_owned(),
                count: *count,
                selected,
            };
            match options.last_mut() {
                Some(last) if last.name == name => last.values.push(value),
                _ => options.push(OptionFacet {
                    name: name.to_owned(),
                    values: vec![value],
                }),
            }
        }
        for option in &mut options {
            sort_values(&mut option.values);
        }
        Facets {
            categories: self.categories.clone(),
            prices: PriceBucket::all(&self.prices),
            options,
            in_stock: self.in_stock,
            on_sale: self.on_sale,
        }
    }
}

/// Sizes in the order people expect (XS before S before M), numbers by value, anything
/// else alphabetically.
fn sort_values(values: &mut [FacetValue]) {
    const SIZES: [&str; 9] = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "One size"];
    let key = |v: &FacetValue| {
        let size = SIZES.iter().position(|s| s.eq_ignore_ascii_case(&v.value));
        let number = v
            .value
            .trim_end_matches(|c: char| c.is_alphabetic() || c == ' ')
            .parse::<Decimal>()
            .ok();
        (
            size.is_none(),
            size,
            number.is_none(),
            number,
            v.value.to_lowercase(),
        )
    };
    values.sort_by_cached_key(key);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(names: &[&str]) -> Vec<FacetValue> {
        names
            .iter()
            .map(|v| FacetValue {
                value: (*v).to_owned(),
                count: 1,
                selected: false,
            })
            .collect()
    }

    #[test]
    fn facet_values_sort_as_shoppers_expect() {
        let mut sizes = values(&["XL", "M", "S", "XS", "L"]);
        sort_values(&mut sizes);
        let got: Vec<&str> = sizes.iter().map(|v| v.value.as_str()).collect();
        assert_eq!(got, ["XS", "S", "M", "L", "XL"]);

        let mut volumes = values(&["750 ml", "1.5 L", "250 ml"]);
        sort_values(&mut volumes);
        let got: Vec<&str> = volumes.iter().map(|v| v.value.as_str()).collect();
        assert_eq!(got, ["1.5 L", "250 ml", "750 ml"]);

        let mut colours = values(&["sage", "Black", "Oat"]);
        sort_values(&mut colours);
        let got: Vec<&str> = colours.iter().map(|v| v.value.as_str()).collect();
        assert_eq!(got, ["Black", "Oat", "sage"]);
    }
}
