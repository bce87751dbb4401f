//! The shop's own settings (name, tagline), loaded once per page for the header.

use crate::error::AppError;
use leptos::prelude::*;
use mercato::shop::ShopInfo;

#[server(prefix = "/api", endpoint = "shop_info")]
pub async fn load_shop_info() -> Result<ShopInfo, AppError> {
    let pool = crate::state::pool()?;
    Ok(ShopInfo::load(&pool).await?)
}

pub type ShopInfoResource = OnceResource<Result<ShopInfo, AppError>>;

/// Loads the shop's settings once for the whole page and shares them through context.
pub fn provide_shop_info() {
    provide_context::<ShopInfoResource>(OnceResource::new(load_shop_info()));
}

/// The resource [`provide_shop_info`] made; a fresh one if the page was built without it.
pub fn use_shop_info() -> ShopInfoResource {
    use_context::<ShopInfoResource>().unwrap_or_else(|| OnceResource::new(load_shop_info()))
}
