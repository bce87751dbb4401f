//! What the server hands to every render and every server function.

use crate::error::AppError;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use sqlx::PgPool;

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The pool, from the state the server provided to this request.
pub fn pool() -> Result<PgPool, AppError> {
    use_context::<AppState>().map(|s| s.pool).ok_or_else(|| {
        tracing::error!("AppState missing from the request's context");
        AppError::Internal
    })
}
