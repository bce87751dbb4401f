//! The catalog: categories, products, their options and variants.

pub mod categories;
pub mod edit;
pub mod images;
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
pub mod staff;

pub use slug::{Sku, SkuError, Slug, SlugError};

use serde::{Deserialize, Serialize};

crate::text_enum! {
    /// Whether shoppers can see a product. Drafts and archived products answer 404.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ProductStatus {
        Draft = "draft",
        Active = "active",
        Archived = "archived",
    }
}

impl ProductStatus {
    /// How staff screens name it.
    pub fn label(self) -> &'static str {
        match self {
            ProductStatus::Draft => "Draft",
            ProductStatus::Active => "Active",
            ProductStatus::Archived => "Archived",
        }
    }
}
