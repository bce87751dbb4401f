//! The cart's server functions, its page and the header's count.

mod page;

pub use page::CartPage;

use crate::error::{AppError, Shown};
use leptos::prelude::*;
use mercato::cart::coupon::AppliedCoupon;
use mercato::cart::{Added, CartView};

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api", endpoint = "cart")]
pub async fn load_cart() -> Result<CartView, AppError> {
    let state = crate::state::state()?;
    let cart = session::cart(&session::current().await?).await?;
    Ok(mercato::cart::store::view(&state.pool, cart, state.currency).await?)
}

#[server(prefix = "/api", endpoint = "cart/count")]
pub async fn load_cart_count() -> Result<u32, AppError> {
    if let Some(shared) = session::rendering_shared() {
        return Ok(shared.cart_count);
    }
    let pool = crate::state::pool()?;
    let cart = session::cart(&session::current().await?).await?;
    Ok(mercato::cart::store::item_count(&pool, cart).await?)
}

/// Adds to the cart. Only the variant and the quantity are read from the form: any
/// price or total a post carries is ignored. Without JavaScript, the shopper lands on
/// the cart page; with it, the product page (an island) says what happened.
#[server(prefix = "/api", endpoint = "cart/add")]
pub async fn add_to_cart(variant_id: i64, quantity: String) -> Result<Added, Shown> {
    Ok(add(variant_id, &quantity).await?)
}

#[cfg(feature = "ssr")]
async fn add(variant_id: i64, quantity: &str) -> Result<Added, AppError> {
    use mercato::cart::Quantity;
    let quantity = Quantity::parse(quantity).map_err(mercato::error::Rule::from)?;
    let pool = crate::state::pool()?;
    let session = session::current().await?;
    let cart = session::cart(&session).await?;
    let owner = session::user().await?;
    let (cart, added) = mercato::cart::store::add(&pool, cart, owner, variant_id, quantity).await?;
    session::set_cart(&session, Some(cart)).await?;
    if crate::request::is_plain_form_post() {
        leptos_axum::redirect("/cart");
    }
    Ok(added)
}

/// Sets a line's quantity; returns the quantity set (lower when stock is short).
#[server(prefix = "/api", endpoint = "cart/update")]
pub async fn update_cart_line(line_id: i64, quantity: String) -> Result<u32, AppError> {
    use mercato::cart::Quantity;
    let quantity = Quantity::parse(&quantity).map_err(mercato::error::Rule::from)?;
    let pool = crate::state::pool()?;
    let cart = session::cart(&session::current().await?)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(mercato::cart::store::set_quantity(&pool, cart, line_id, quantity).await?)
}

#[server(prefix = "/api", endpoint = "cart/remove")]
pub async fn remove_cart_line(line_id: i64) -> Result<(), AppError> {
    let pool = crate::state::pool()?;
    let cart = session::cart(&session::current().await?)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(mercato::cart::store::remove(&pool, cart, line_id).await?)
}

/// Puts a coupon on the cart, or says precisely why it does not apply.
#[server(prefix = "/api", endpoint = "cart/coupon")]
pub async fn apply_coupon(code: String) -> Result<AppliedCoupon, AppError> {
    let state = crate::state::state()?;
    let cart = session::cart(&session::current().await?).await?;
    let client = crate::request::client().await?;
    let applied =
        mercato::cart::coupons::apply(&state.pool, cart, &code, state.currency, &client).await?;
    session::flash_if_plain_form(coupon_applied(&applied)).await?;
    Ok(applied)
}

/// What the shopper reads once a coupon is on the cart.
pub fn coupon_applied(applied: &AppliedCoupon) -> String {
    format!(
        "Coupon {} applied: {}.",
        applied.code,
        applied.label.to_lowercase()
    )
}

#[server(prefix = "/api", endpoint = "cart/coupon/remove")]
pub async fn remove_coupon() -> Result<(), AppError> {
    let pool = crate::state::pool()?;
    let cart = session::cart(&session::current().await?).await?;
    mercato::cart::coupons::remove(&pool, cart).await?;
    session::flash_if_plain_form("Coupon removed.").await
}

/// The header's link to the cart, with the number of items in it.
#[component]
pub fn CartCount() -> impl IntoView {
    let count = Resource::new(|| (), |_| load_cart_count());
    view! {
        // The whole link waits for the count, so its label and badge always agree.
        <Transition fallback=|| view! { <CartLink count=None /> }>
            {move || Suspend::new(async move {
                view! { <CartLink count=count.await.ok() /> }
            })}
        </Transition>
    }
}

/// The header's cart link with its count: an island, so that an add on the product
/// page ([`show_count`]) updates it without a reload.
#[island]
fn CartLink(count: Option<u32>) -> impl IntoView {
    // Reference-counted, as in every island (see the product panel).
    let count = ArcRwSignal::new(count);
    #[cfg(feature = "hydrate")]
    Effect::new({
        let count = count.clone();
        move |_| {
            if let Some(n) = LIVE_COUNT.get() {
                count.set(Some(n));
            }
        }
    });
    let badge = count.clone();
    let label = move || match count.get() {
        Some(1) => "Cart, 1 item".to_owned(),
        Some(n) => format!("Cart, {n} items"),
        None => "Cart".to_owned(),
    };
    view! {
        <a href="/cart" aria-label=label data-testid="cart-link" class="relative flex items-center gap-1.5 rounded-full px-3 py-2 text-sm font-medium text-stone-700 hover:bg-stone-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">
            <crate::components::CartIcon />
            <span class="hidden sm:inline">"Cart"</span>
            {move || badge.get().filter(|n| *n > 0).map(|n| view! {
                <span aria-hidden="true" data-testid="cart-count" class="rounded-full bg-teal-700 px-2 py-0.5 text-xs font-semibold text-white">{n}</span>
            })}
        </a>
    }
}

/// The cart's item count as this page last learned it (after an add), for every island
/// of the page that shows it. Only the browser has one: on the server, pages are
/// rendered for many shoppers at once.
#[cfg(feature = "hydrate")]
static LIVE_COUNT: std::sync::LazyLock<ArcRwSignal<Option<u32>>> =
    std::sync::LazyLock::new(|| ArcRwSignal::new(None));

/// Tells the page's cart count that the cart now holds `n` items.
pub fn show_count(n: u32) {
    #[cfg(feature = "hydrate")]
    LIVE_COUNT.set(Some(n));
    #[cfg(not(feature = "hydrate"))]
    let _ = n;
}
