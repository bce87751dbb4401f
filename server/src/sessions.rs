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

/// Whether a request with these headers carries the session cookie, read the way the
/// session layer reads it (names trimmed, `mercato_session =x` included). A `Cookie`
/// header that is not text might carry one: it counts as carrying it.
pub fn carries_session(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .any(|value| match value.to_str() {
            Ok(text) => text
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .any(|(name, _)| name.trim() == COOKIE),
            Err(_) => true,
        })
}
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn cookies(values: &[&'static [u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(
                axum::http::header::COOKIE,
                HeaderValue::from_bytes(v).expect("header"),
            );
        }
        headers
    }

    #[test]
    fn the_session_cookie_is_found_however_it_is_spaced() {
        assert!(carries_session(&cookies(&[b"mercato_session=abc"])));
        assert!(carries_session(&cookies(&[b"a=1; mercato_session=abc"])));
        assert!(carries_session(&cookies(&[b"a=1;mercato_session =abc"])));
        assert!(carries_session(&cookies(&[
            b"theme=dark",
            b" mercato_session=x"
        ])));
        assert!(carries_session(&cookies(&[b"x=\xff"])), "not text: maybe");
        assert!(!carries_session(&cookies(&[
            b"theme=dark; my_mercato_session=x"
        ])));
        assert!(!carries_session(&cookies(&[b"theme=mercato_session=x"])));
        assert!(!carries_session(&HeaderMap::new()));
    }
}
