//! The catalog's pages and the server functions they read from.

mod card;
mod category_page;
mod listing;
mod price;
mod product_page;
mod search_page;

pub use card::{ProductCard, ProductGrid};
pub use category_page::CategoryPage;
pub use price::Price;
pub use product_page::ProductPage;
pub use search_page::SearchPage;

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

/// The top-level categories, for navigation and the 404 page.
#[server(prefix = "/api", endpoint = "catalog/departments")]
pub async fn load_departments() -> Result<Vec<Category>, AppError> {
    let pool = crate::state::pool()?;
    Ok(mercato::catalog::read::departments(&pool).await?)
}

/// A category page; `query` is the page's query string (filters, sort, page).
#[server(prefix = "/api", endpoint = "catalog/category")]
pub async fn load_category(slug: String, query: String) -> Result<view::CategoryPage, AppError> {
    let state = crate::state::state()?;
    let query = mercato::catalog::listing::ListingQuery::parse(&query);
    Ok(mercato::catalog::read::category_page(
        &state.pool,
        &state.listing_cache,
        state.currency,
        &slug,
        &query,
    )
    .await?)
}

/// The search page; `query` is its query string (search text, filters, sort, page).
#[server(prefix = "/api", endpoint = "catalog/search")]
pub async fn load_search(query: String) -> Result<view::SearchPage, AppError> {
    let state = crate::state::state()?;
    let client = crate::request::client().await?;
    state
        .search_limit
        .take(client.as_str(), std::time::Instant::now())
        .map_err(mercato::Error::wait)?;
    let query = mercato::catalog::listing::ListingQuery::parse(&query);
    Ok(mercato::catalog::read::search_page(
        &state.pool,
        &state.listing_cache,
        state.currency,
        &query,
    )
    .await?)
}

#[server(prefix = "/api", endpoint = "catalog/product")]
pub async fn load_product(slug: String) -> Result<ProductDetail, AppError> {
    let state = crate::state::state()?;
    Ok(mercato::catalog::read::product(&state.pool, state.currency, &slug).await?)
}
