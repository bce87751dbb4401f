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
    /// Catalog prices include tax (checkout shows it as "incl."), or tax is added.
    pub prices_include_tax: bool,
    /// The address shoppers use (`https://shop.example`), for absolute links.
    pub public_url: String,
    /// Recent listings' facet counts and first pages' order, shared by every request
    /// of this process.
    pub listing_cache: Arc<ListingCache>,
    /// How payments are taken: test cards, or Stripe.
    pub payments: mercato::payments::Payments,
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
