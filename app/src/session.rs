//! What the session holds (the guest's cart, the signed-in account) and the request
//! details server functions need. Server-side only.

use crate::error::AppError;
use tower_sessions::Session;

const CART: &str = "cart_id";
const USER: &str = "user_id";

pub async fn current() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer in front of the app");
        AppError::Internal
    })
}

/// A session the store cannot read (the database is down) is "briefly unavailable",
/// never "your cart is empty" or "you are signed out".
fn unavailable(e: tower_sessions::session::Error) -> AppError {
    tracing::warn!(error = %e, "could not read or write the session");
    AppError::Unavailable
}

/// The shopper's cart id, if they have one.
pub async fn cart(session: &Session) -> Result<Option<i64>, AppError> {
    session.get::<i64>(CART).await.map_err(unavailable)
}

pub async fn set_cart(session: &Session, cart: Option<i64>) -> Result<(), AppError> {
    match cart {
        Some(cart) => session.insert(CART, cart).await.map_err(unavailable),
        None => session
            .remove::<i64>(CART)
            .await
            .map(|_| ())
            .map_err(unavailable),
    }
}

/// The signed-in account's id, if any.
pub async fn user_id(session: &Session) -> Result<Option<i64>, AppError> {
    session.get::<i64>(USER).await.map_err(unavailable)
}

/// Signs the session in as `user`: a new session id (so an id seen before sign-in is
/// worth nothing after), and the guest cart merged into the account's.
pub async fn sign_in_as(session: &Session, pool: &sqlx::PgPool, user: i64) -> Result<(), AppError> {
    let guest = cart(session).await?;
    session.cycle_id().await.map_err(unavailable)?;
    let merged = mercato::cart::store::merge_into_account(pool, guest, user).await?;
    set_cart(session, merged).await?;
    session.insert(USER, user).await.map_err(unavailable)
}

/// Ends the session: its data is deleted and the next request starts a new one.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(unavailable)
}

/// True for a plain HTML form post (no JavaScript), which expects a page back.
pub async fn is_plain_form_post() -> bool {
    leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .ok()
        .and_then(|h| {
            h.get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// The address the request came from, for rate limits.
pub async fn client_address() -> String {
    use axum::extract::ConnectInfo;
    leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|_| "unknown".to_owned())
}
