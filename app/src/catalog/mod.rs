//! The catalog's pages and the server functions they read from.

mod card;
mod category_page;
mod price;
mod product_page;

pub use card::{ProductCard, ProductGrid};
pub use category_page::CategoryPage;
pub use price::Price;
pub use product_page::ProductPage;

use crate::error::AppError;
use leptos::prelude::*;
use mercato::catalog::view::{self, Category, ProductDetail};
use serde::{Deserialize, Serialize};

/// What the home page lists below its hero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeSections {
    pub departments: Vec<Category>,
    pub featured: Vec<view::ProductCard>,
}

#[server(prefix = "/api", endpoint = "catalog/home")]
pub async fn load_home_sections() -> Result<HomeSections, AppError> {
    use mercato::catalog::read;
    let state = crate::state::state()?;
    let (departments, featured) = tokio::join!(
        read::departments(&state.pool),
        read::featured(&state.pool, state.currency, 8),
    );
    Ok(HomeSections {
        departments: departments?,
        featured: featured?,
    })
}

#[server(prefix = "/api", endpoint = "catalog/category")]
pub async fn load_category(slug: String, page: u32) -> Result<view::CategoryPage, AppError> {
    let state = crate::state::state()?;
    Ok(mercato::catalog::read::category_page(&state.pool, state.currency, &slug, page).await?)
}

#[server(prefix = "/api", endpoint = "catalog/product")]
pub async fn load_product(slug: String) -> Result<ProductDetail, AppError> {
    let state = crate::state::state()?;
    Ok(mercato::catalog::read::product(&state.pool, state.currency, &slug).await?)
}

/// A page number from the query string: missing, malformed or out-of-range values mean 1.
pub fn page_param(raw: Option<String>) -> u32 {
    raw.and_then(|p| p.trim().parse::<u32>().ok())
        .filter(|p| (1..=10_000).contains(p))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::page_param;

    #[test]
    fn bad_page_numbers_fall_back_to_the_first_page() {
        assert_eq!(page_param(Some("3".into())), 3);
        for bad in [
            None,
            Some("-1"),
            Some("0"),
            Some("abc"),
            Some("1e9"),
            Some("99999999999"),
        ] {
            assert_eq!(page_param(bad.map(str::to_owned)), 1);
        }
    }
}
