//! What the server hands to every render and every server function.

use crate::error::AppError;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use mercato::catalog::browse::ListingCache;
use mercato::Currency;
use sqlx::PgPool;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    /// The one currency the shop sells in.
    pub currency: Currency,
    /// The address shoppers use (`https://shop.example`), for absolute links.
    pub public_url: String,
    /// Recent listings' facet counts and first pages' order, shared by every request
    /// of this process.
    pub listing_cache: Arc<ListingCache>,
    /// Reported by every staff change to the catalog (products, prices, stock): the
    /// listing cache and the page cache stop serving what they worked out before it.
    pub catalog_changes: mercato::cache::Changes,
    /// How payments are taken: test cards, or Stripe.
    pub payments: mercato::payments::Payments,
    /// Proxies whose `X-Forwarded-For` names the client (for rate limits).
    pub trusted_proxies: mercato::limits::client::TrustedProxies,
    /// The longest a staff member's sign-in lasts, however active.
    pub staff_session: std::time::Duration,
    /// Searches per client on this process.
    pub search_limit: Arc<mercato::limits::LocalBucket>,
    /// The bound on password hashing in this process.
    pub hashing: Arc<mercato::accounts::password::Gate>,
    /// Where uploaded pictures are kept (`MERCATO_DATA_DIR/media`).
    pub media: Arc<dyn mercato::storage::Storage>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state the server provided to this request.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the request's context");
        AppError::Internal
    })
}

/// The pool, from the state the server provided to this request.
pub fn pool() -> Result<PgPool, AppError> {
    state().map(|s| s.pool)
}

/// The nonce of the response being rendered: the security headers' middleware makes a
/// fresh one per request and names it in the Content-Security-Policy; Leptos writes it
/// on every inline script of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspNonce(pub String);

/// Makes the request's [`CspNonce`] the one Leptos writes on the page's scripts.
pub fn provide_request_nonce() {
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}
