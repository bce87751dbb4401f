//! What the shop's pages show of the catalog. Plain data, sent from server to browser.

use super::listing::Listing;
use crate::Money;
use serde::{Deserialize, Serialize};

/// An item is on sale when its compare-at price is above the price it sells for.
pub fn is_on_sale(price: Money, compare_at: Option<Money>) -> bool {
    compare_at.is_some_and(|c| c.amount() > price.amount())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub url: String,
    pub alt: String,
    /// The smaller renditions of an uploaded picture (with it), for `srcset`; `None`
    /// for drawn art, which scales by itself.
    pub srcset: Option<String>,
    /// Its size in pixels, so that nothing shifts while it loads.
    pub width: u32,
    pub height: u32,
}

impl Image {
    /// A picture as stored. An upload (`stored_name`, `width`, `height`, upright) is
    /// shown through its copies (the widths made so far: the largest is `src`), or as
    /// uploaded until they are made; without them, the demo's square drawn art.
    pub fn new(
        url: String,
        alt: String,
        stored_name: Option<&str>,
        width: Option<i32>,
        height: Option<i32>,
        copies: &[i32],
    ) -> Image {
        let size = width
            .zip(height)
            .and_then(|(w, h)| Some((u32::try_from(w).ok()?, u32::try_from(h).ok()?)));
        match (stored_name, size) {
            (Some(name), Some((width, height))) => Image {
                url: copies.iter().max().map_or(url, |w| {
                    super::images::media_url(&super::images::rendition_name(name, *w))
                }),
                alt,
                srcset: (!copies.is_empty()).then(|| super::images::srcset(name, copies)),
                width,
                height,
            },
            _ => Image {
                url,
                alt,
                srcset: None,
                width: 600,
                height: 600,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryLink {
    pub slug: String,
    pub name: String,
}

/// A product in a grid: enough to decide whether to click.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCard {
    pub slug: String,
    pub name: String,
    pub image: Option<Image>,
    /// The lowest variant price ("from" when the prices differ).
    pub price: Money,
    pub max_price: Money,
    /// The highest compare-at price, when any variant is on sale.
    pub compare_at: Option<Money>,
    pub in_stock: bool,
}

impl ProductCard {
    pub fn price_varies(&self) -> bool {
        self.price != self.max_price
    }

    pub fn on_sale(&self) -> bool {
        is_on_sale(self.price, self.compare_at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub colour: String,
}

/// A category page: where it sits in the tree, and a listing of its products
/// (including those of its subcategories, which the listing's category facet lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryPage {
    pub category: Category,
    /// From the top of the tree down to the parent of this category.
    pub ancestors: Vec<CategoryLink>,
    pub listing: Listing,
}

/// Search results, and what to offer when the words find little or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchPage {
    pub listing: Listing,
    /// The category searched within, when the query names one that exists.
    pub within: Option<CategoryLink>,
    /// Products to show when nothing matches.
    pub fallback: Vec<ProductCard>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductOption {
    pub name: String,
    /// The values some variant has, in the variants' order.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantView {
    pub id: i64,
    pub sku: String,
    /// One value per option, in the options' order.
    pub values: Vec<String>,
    pub price: Money,
    pub compare_at: Option<Money>,
    /// Units that can be bought now, up to what one cart line may hold (a variant whose
    /// stock is not tracked always has that many).
    pub available: u32,
}

/// Everything the product page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// The category path, top first, ending with the product's own category.
    pub categories: Vec<CategoryLink>,
    pub options: Vec<ProductOption>,
    pub variants: Vec<VariantView>,
    pub images: Vec<Image>,
}

impl ProductDetail {
    /// What the variant picker needs of this product.
    pub fn choice(&self) -> VariantChoice {
        VariantChoice {
            options: self.options.clone(),
            variants: self.variants.clone(),
        }
    }
}

/// A product's options and variants: what the variant picker chooses among (and all
/// the browser is sent of a product).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantChoice {
    pub options: Vec<ProductOption>,
    pub variants: Vec<VariantView>,
}

impl VariantChoice {
    /// The variant with exactly these option values.
    pub fn variant_with(&self, values: &[String]) -> Option<&VariantView> {
        self.variants.iter().find(|v| v.values == values)
    }

    /// The variant to show first: the one asked for, else the first in stock, else the first.
    pub fn initial_variant(&self, requested: Option<i64>) -> Option<&VariantView> {
        requested
            .and_then(|id| self.variants.iter().find(|v| v.id == id))
            .or_else(|| self.variants.iter().find(|v| v.available > 0))
            .or_else(|| self.variants.first())
    }

    /// The variant reached from `from` by choosing `value` for option `option`: the exact
    /// combination if it exists, else the first variant with that value.
    pub fn switch(&self, from: &VariantView, option: usize, value: &str) -> Option<&VariantView> {
        let mut wanted = from.values.clone();
        if let Some(slot) = wanted.get_mut(option) {
            *slot = value.to_owned();
        }
        self.variant_with(&wanted).or_else(|| {
            self.variants
                .iter()
                .find(|v| v.values.get(option).is_some_and(|x| x == value))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn variant(id: i64, values: &[&str], available: u32) -> VariantView {
        VariantView {
            id,
            sku: format!("SKU-{id}"),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            price: Money::from_minor(1000 + id, Currency::EUR),
            compare_at: None,
            available,
        }
    }

    fn product() -> VariantChoice {
        VariantChoice {
            options: vec![],
            variants: vec![
                variant(1, &["S", "Black"], 0),
                variant(2, &["M", "Black"], 3),
                variant(3, &["M", "White"], 1),
            ],
        }
    }

    #[test]
    fn the_first_variant_shown_is_the_requested_or_the_first_in_stock() {
        let p = product();
        assert_eq!(p.initial_variant(Some(3)).map(|v| v.id), Some(3));
        assert_eq!(p.initial_variant(Some(99)).map(|v| v.id), Some(2));
        assert_eq!(p.initial_variant(None).map(|v| v.id), Some(2));
    }

    #[test]
    fn switching_an_option_keeps_the_others_when_that_combination_exists() {
        let p = product();
        let m_black = &p.variants[1];
        assert_eq!(p.switch(m_black, 1, "White").map(|v| v.id), Some(3));
        assert_eq!(p.switch(m_black, 0, "S").map(|v| v.id), Some(1));
        // S/White does not exist: the first S variant is chosen instead.
        let m_white = &p.variants[2];
        assert_eq!(p.switch(m_white, 0, "S").map(|v| v.id), Some(1));
    }

    #[test]
    fn on_sale_only_when_the_compare_at_price_is_higher() {
        let eur = |c| Money::from_minor(c, Currency::EUR);
        assert!(is_on_sale(eur(1000), Some(eur(1200))));
        assert!(!is_on_sale(eur(1000), Some(eur(1000))));
        assert!(!is_on_sale(eur(1000), Some(eur(900))));
        assert!(!is_on_sale(eur(1000), None));
    }
}
