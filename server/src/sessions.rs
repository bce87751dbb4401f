//! Sessions: an id in a cookie, the data in Postgres, so that any number of server
//! processes share them and a restart forgets nobody's cart.

use sqlx::PgPool;
use std::time::Duration;
use tower_sessions::cookie::time::Duration as Span;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

/// The cookie's name; nothing in it but a random id.
pub const COOKIE: &str = "mercato_session";
/// `COOKIE=`, as it starts the cookie's pair in a `Cookie` header.
pub const COOKIE_PREFIX: &str = "mercato_session=";
/// A session (and the guest cart hanging off it) lives this long after its last use.
pub const INACTIVITY: Span = Span::days(30);
/// How often expired sessions are deleted.
const CLEANUP_EVERY: Duration = Duration::from_secs(15 * 60);

/// The store over the `sessions` table the migrations create.
pub fn store(pool: PgPool) -> PostgresStore {
    // Both names are valid identifiers, so neither call can fail; fall back to the
    // store's defaults rather than panic if that ever changed.
    let store = PostgresStore::new(pool);
    store
        .clone()
        .with_schema_name("public")
        .and_then(|s| s.with_table_name("sessions"))
        .unwrap_or(store)
}

/// The layer: `HttpOnly`, `SameSite=Lax`, `Secure` when the shop is served over https.
pub fn layer(pool: PgPool, secure: bool) -> SessionManagerLayer<PostgresStore> {
    SessionManagerLayer::new(store(pool))
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(INACTIVITY))
}

/// Deletes expired sessions, and guest carts untouched for as long, now and then until
/// the process stops. Several processes may run it: each deletion is one idempotent
/// statement.
pub async fn clean_up(pool: PgPool) {
    use tower_sessions::ExpiredDeletion;
    let store = store(pool.clone());
    let days = i32::try_from(INACTIVITY.whole_days()).unwrap_or(30);
    loop {
        if let Err(error) = store.delete_expired().await {
            tracing::warn!(%error, "could not delete expired sessions; will retry");
        }
        if let Err(error) = mercato::limits::forget_old(&pool).await {
            tracing::warn!(%error, "could not delete old rate-limit rows; will retry");
        }
        match mercato::cart::store::delete_abandoned(&pool, days).await {
            Ok(0) => {}
            Ok(carts) => tracing::info!(carts, "deleted abandoned carts"),
            Err(error) => tracing::warn!(%error, "could not delete abandoned carts; will retry"),
        }
        tokio::time::sleep(CLEANUP_EVERY).await;
    }
}
