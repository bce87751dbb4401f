//! The catalog: categories, products, their options and variants.

pub mod listing;
mod slug;
pub mod view;

#[cfg(feature = "server")]
pub mod art;
#[cfg(feature = "server")]
pub mod browse;
#[cfg(feature = "server")]
pub mod cards;
#[cfg(feature = "server")]
pub mod read;
#[cfg(feature = "server")]
pub mod seed;
#[cfg(feature = "server")]
pub mod sitemap;

pub use slug::{Sku, SkuError, Slug, SlugError};

use serde::{Deserialize, Serialize};

/// Whether shoppers can see a product. Drafts and archived products answer 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

impl ProductStatus {
    pub const ALL: [ProductStatus; 3] = [
        ProductStatus::Draft,
        ProductStatus::Active,
        ProductStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<ProductStatus> {
        ProductStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[cfg(feature = "server")]
crate::text_enum!(ProductStatus);
