//! What a shopper asked a listing for (search text, filters, sort, page), read from and
//! written back to the query string, so that a link reproduces the view.
//!
//! Parsing never fails: a malformed, unknown or out-of-range parameter is dropped or
//! clamped, and the page shows what was applied.

use super::view::ProductCard;
use crate::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Search text beyond this many characters is cut off.
pub const MAX_QUERY_CHARS: usize = 100;
/// Pages past this one are clamped to it.
pub const MAX_PAGE: u32 = 10_000;
/// Selected option values beyond this many are ignored.
const MAX_OPTION_VALUES: usize = 30;
/// The highest price a filter can name; beyond it, a bound means nothing.
const MAX_PRICE: i64 = 1_000_000_000;
/// Lower edges of the price facet's buckets, in the store's currency.
pub const PRICE_EDGES: [i64; 4] = [25, 50, 100, 200];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sort {
    /// Best match first; only when searching.
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
}

impl Sort {
    pub const ALL: [Sort; 4] = [
        Sort::Relevance,
        Sort::Newest,
        Sort::PriceAsc,
        Sort::PriceDesc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Relevance => "Best match",
            Sort::Newest => "Newest",
            Sort::PriceAsc => "Price: low to high",
            Sort::PriceDesc => "Price: high to low",
        }
    }

    fn parse(s: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|sort| sort.as_str() == s)
    }
}

/// A listing request: the state a category or search page keeps in its query string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListingQuery {
    /// Search text, trimmed and cut to [`MAX_QUERY_CHARS`]; empty when not searching.
    pub q: String,
    /// On the search page, the category to search within.
    pub category: Option<String>,
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    /// Option name → the values wanted: any of a name's values, and every name.
    pub options: BTreeMap<String, BTreeSet<String>>,
    pub in_stock: bool,
    /// Only products with a variant on sale.
    pub on_sale: bool,
    /// As asked; see [`ListingQuery::sort`] for the one applied.
    pub sort: Option<Sort>,
    pub page: u32,
}

impl ListingQuery {
    /// Reads a query string (with or without its leading `?`).
    pub fn parse(query_string: &str) -> ListingQuery {
        let raw = query_string.strip_prefix('?').unwrap_or(query_string);
        let mut query = ListingQuery {
            page: 1,
            ..ListingQuery::default()
        };
        let mut option_values = 0;
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            match key.as_ref() {
                "q" => query.q = clean_text(&value),
                "category" => {
                    query.category = super::Slug::parse(value.trim()).ok().map(|s| s.to_string())
                }
                "min_price" => query.min_price = parse_price(&value),
                "max_price" => query.max_price = parse_price(&value),
                "in_stock" => query.in_stock = is_on(&value),
                "sale" => query.on_sale = is_on(&value),
                "sort" => query.sort = Sort::parse(value.trim()),
                "page" => query.page = parse_page(&value),
                "opt" => {
                    if let Some((name, value)) = value.split_once(':') {
                        let (name, value) = (clean_text(name), clean_text(value));
                        if !name.is_empty()
                            && !value.is_empty()
                            && option_values < MAX_OPTION_VALUES
                        {
                            option_values += 1;
                            query.options.entry(name).or_default().insert(value);
                        }
                    }
                }
                _ => {} // tracking parameters and the like
            }
        }
        if let (Some(min), Some(max)) = (query.min_price, query.max_price) {
            if min > max {
                (query.min_price, query.max_price) = (Some(max), Some(min));
            }
        }
        query
    }

    /// The sort applied: relevance only makes sense for a search.
    pub fn sort(&self) -> Sort {
        match (self.sort, self.q.is_empty()) {
            (Some(Sort::Relevance), true) | (None, true) => Sort::Newest,
            (None, false) => Sort::Relevance,
            (Some(sort), _) => sort,
        }
    }

    /// Whether any filter (not the search text, sort or page) is set.
    pub fn is_filtered(&self) -> bool {
        self.min_price.is_some()
            || self.max_price.is_some()
            || !self.options.is_empty()
            || self.in_stock
            || self.on_sale
            || self.category.is_some()
    }

    /// The query string that reproduces this view, defaults left out, without `?`.
    pub fn to_query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            out.append_pair("q", &self.q);
        }
        if let Some(category) = &self.category {
            out.append_pair("category", category);
        }
        for (name, values) in &self.options {
            for value in values {
                out.append_pair("opt", &format!("{name}:{value}"));
            }
        }
        if let Some(min) = self.min_price {
            out.append_pair("min_price", &min.to_string());
        }
        if let Some(max) = self.max_price {
            out.append_pair("max_price", &max.to_string());
        }
        if self.in_stock {
            out.append_pair("in_stock", "1");
        }
        if self.on_sale {
            out.append_pair("sale", "1");
        }
        if let Some(sort) = self.sort.filter(|s| *s != self.default_sort()) {
            out.append_pair("sort", sort.as_str());
        }
        if self.page > 1 {
            out.append_pair("page", &self.page.to_string());
        }
        out.finish()
    }

    /// `path` followed by this view's query string, if it has one.
    pub fn href(&self, path: &str) -> String {
        match self.to_query_string() {
            q if q.is_empty() => path.to_owned(),
            q => format!("{path}?{q}"),
        }
    }

    fn default_sort(&self) -> Sort {
        if self.q.is_empty() {
            Sort::Newest
        } else {
            Sort::Relevance
        }
    }

    /// The same view on page `page`.
    pub fn with_page(&self, page: u32) -> ListingQuery {
        ListingQuery {
            page: page.clamp(1, MAX_PAGE),
            ..self.clone()
        }
    }

    /// The same view with option `name: value` switched on or off, from page 1.
    pub fn toggle_option(&self, name: &str, value: &str) -> ListingQuery {
        let mut next = self.with_page(1);
        let values = next.options.entry(name.to_owned()).or_default();
        if !values.remove(value) {
            values.insert(value.to_owned());
        }
        if values.is_empty() {
            next.options.remove(name);
        }
        next
    }

    /// The same view within the price range `min..=max`, from page 1.
    pub fn with_price(&self, min: Option<Decimal>, max: Option<Decimal>) -> ListingQuery {
        ListingQuery {
            min_price: min,
            max_price: max,
            ..self.with_page(1)
        }
    }

    /// The search text and sort alone: every filter removed.
    pub fn without_filters(&self) -> ListingQuery {
        ListingQuery {
            q: self.q.clone(),
            sort: self.sort,
            page: 1,
            ..ListingQuery::default()
        }
    }
}

/// Trims, drops control characters and cuts to [`MAX_QUERY_CHARS`] characters.
fn clean_text(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_QUERY_CHARS)
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A checkbox's value: what browsers send for a ticked box, or a hand-written `1`.
fn is_on(s: &str) -> bool {
    matches!(s, "1" | "true" | "on")
}

fn parse_price(s: &str) -> Option<Decimal> {
    let price: Decimal = s.trim().parse().ok()?;
    (price >= Decimal::ZERO && price <= Decimal::from(MAX_PRICE)).then(|| price.round_dp(2))
}

/// A page number: missing, malformed or below 1 means 1; above [`MAX_PAGE`] is clamped.
pub fn parse_page(s: &str) -> u32 {
    match s.trim().parse::<i64>() {
        Ok(n) if n >= 1 => u32::try_from(n.min(i64::from(MAX_PAGE))).unwrap_or(1),
        _ => 1,
    }
}

/// One value of a facet, with the number of products the listing would show with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
    pub selected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionFacet {
    pub name: String,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryFacet {
    pub slug: String,
    pub name: String,
    pub count: u64,
}

/// A price range, `min` inclusive; `max` is the last price in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBucket {
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    pub count: u64,
}

impl PriceBucket {
    /// The first price above the bucket (its `max` is one cent below it).
    pub fn upper_edge(&self) -> Option<Decimal> {
        self.max.map(|max| max + Decimal::new(1, 2))
    }

    /// The buckets between [`PRICE_EDGES`]: under the first, between each, over the last.
    /// `counts[i]` is bucket `i`'s count.
    pub fn all(counts: &[u64]) -> Vec<PriceBucket> {
        let cent = Decimal::new(1, 2);
        (0..=PRICE_EDGES.len())
            .map(|i| PriceBucket {
                min: i.checked_sub(1).map(|e| Decimal::from(PRICE_EDGES[e])),
                max: PRICE_EDGES.get(i).map(|e| Decimal::from(*e) - cent),
                count: counts.get(i).copied().unwrap_or(0),
            })
            .collect()
    }
}

/// The facets of a listing. Each count is the number of products the listing would show
/// if that value were chosen, given the other filters (so counts within one option
/// add up across its values).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    pub categories: Vec<CategoryFacet>,
    pub prices: Vec<PriceBucket>,
    pub options: Vec<OptionFacet>,
    /// Products in stock, given the other filters.
    pub in_stock: u64,
    /// Products on sale, given the other filters.
    pub on_sale: u64,
}

/// One page of a listing, with the request as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The request as applied: values that match nothing in this listing are removed.
    pub query: ListingQuery,
    pub sort: Sort,
    pub products: Vec<ProductCard>,
    pub total: u64,
    pub per_page: u32,
    pub facets: Facets,
    /// The currency of every price in the listing, for the price facet's labels.
    pub currency: Currency,
    /// True when the search words match nothing as spelled, and the results come
    /// from near spellings.
    pub spelled_differently: bool,
    /// "Did you mean ...": the closest spelling found in product names, when the
    /// words match nothing as spelled.
    pub suggestion: Option<String>,
}

impl Listing {
    pub fn page_count(&self) -> u32 {
        let pages = self.total.div_ceil(u64::from(self.per_page.max(1)));
        u32::try_from(pages).unwrap_or(u32::MAX).clamp(1, MAX_PAGE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_query_round_trips() {
        let q = ListingQuery::parse(
            "?q=merino+hoodie&opt=Size%3AM&opt=Size%3AL&opt=Colour%3ASage&min_price=10&max_price=80.5&in_stock=1&sale=on&sort=price_asc&page=3",
        );
        assert_eq!(q.q, "merino hoodie");
        assert_eq!(q.options["Size"].len(), 2);
        assert_eq!(q.min_price, Some(Decimal::from(10)));
        assert_eq!(q.max_price, Some(Decimal::new(805, 1)));
        assert!(q.in_stock);
        assert!(q.on_sale);
        assert_eq!(q.sort(), Sort::PriceAsc);
        assert_eq!(q.page, 3);
        assert_eq!(ListingQuery::parse(&q.to_query_string()), q);
    }

    #[test]
    fn bad_parameters_are_dropped_or_clamped() {
        let q = ListingQuery::parse(
            "page=-1&min_price=foo&max_price=-3&sort=cheapest&opt=nocolon&opt=%3Aempty&in_stock=maybe&utm_source=mail&category=Not%20A%20Slug",
        );
        assert_eq!(q, ListingQuery::parse(""));
        assert_eq!(q.page, 1);
        assert_eq!(q.sort(), Sort::Newest);
        assert_eq!(q.to_query_string(), "");
        assert_eq!(ListingQuery::parse("page=abc").page, 1);
        assert_eq!(ListingQuery::parse("page=99999999999999").page, MAX_PAGE);
        assert_eq!(ListingQuery::parse("min_price=1e400").min_price, None);
        assert_eq!(ListingQuery::parse("min_price=NaN").min_price, None);
    }

    #[test]
    fn a_reversed_price_range_is_swapped() {
        let q = ListingQuery::parse("min_price=90&max_price=20");
        assert_eq!(q.min_price, Some(Decimal::from(20)));
        assert_eq!(q.max_price, Some(Decimal::from(90)));
    }

    #[test]
    fn hostile_search_text_is_kept_as_text_and_cut_to_length() {
        let hostile = "'; DROP TABLE products; -- %_\\ \"quoted\" 🧦";
        let encoded: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", hostile)
            .finish();
        assert_eq!(ListingQuery::parse(&encoded).q, hostile);

        let long = "a".repeat(500);
        assert_eq!(
            ListingQuery::parse(&format!("q={long}")).q.chars().count(),
            MAX_QUERY_CHARS
        );
        assert_eq!(
            ListingQuery::parse("q=%20%0A%09tab%00x%20%20y").q,
            "tab x y"
        );
        // Cutting never splits a character.
        let emoji = "🧦".repeat(300);
        assert_eq!(
            ListingQuery::parse(&format!("q={emoji}")).q,
            "🧦".repeat(MAX_QUERY_CHARS)
        );
    }

    #[test]
    fn relevance_is_the_default_only_when_searching() {
        assert_eq!(ListingQuery::parse("").sort(), Sort::Newest);
        assert_eq!(ListingQuery::parse("sort=relevance").sort(), Sort::Newest);
        assert_eq!(ListingQuery::parse("q=sock").sort(), Sort::Relevance);
        assert_eq!(
            ListingQuery::parse("q=sock&sort=newest").sort(),
            Sort::Newest
        );
        // The default is not written back into links.
        assert_eq!(
            ListingQuery::parse("q=sock&sort=relevance").to_query_string(),
            "q=sock"
        );
    }

    #[test]
    fn toggling_an_option_adds_or_removes_it_and_returns_to_page_one() {
        let q = ListingQuery::parse("opt=Size:M&page=4");
        let more = q.toggle_option("Size", "L");
        assert_eq!(more.to_query_string(), "opt=Size%3AL&opt=Size%3AM");
        let none = q.toggle_option("Size", "M");
        assert!(none.options.is_empty());
        assert_eq!(none.page, 1);
    }

    #[test]
    fn page_count_rounds_up_and_stays_in_range() {
        let listing = |total| Listing {
            query: ListingQuery::default(),
            sort: Sort::Newest,
            products: vec![],
            total,
            per_page: 24,
            facets: Facets::default(),
            currency: Currency::EUR,
            spelled_differently: false,
            suggestion: None,
        };
        assert_eq!(listing(0).page_count(), 1);
        assert_eq!(listing(24).page_count(), 1);
        assert_eq!(listing(25).page_count(), 2);
        assert_eq!(listing(u64::MAX).page_count(), MAX_PAGE);
    }

    #[test]
    fn price_buckets_cover_every_price_once() {
        let buckets = PriceBucket::all(&[1, 2, 3, 4, 5]);
        assert_eq!(buckets.len(), 5);
        assert_eq!(buckets[0].min, None);
        assert_eq!(buckets[0].max, Some(Decimal::new(2499, 2)));
        assert_eq!(buckets[1].min, Some(Decimal::from(25)));
        assert_eq!(buckets[4].min, Some(Decimal::from(200)));
        assert_eq!(buckets[4].max, None);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 15);
    }
}
