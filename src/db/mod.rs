//! The connection pool, migrations, and the private Postgres cluster used when no
//! `DATABASE_URL` is given.

pub mod constraint;
pub mod embedded;
#[cfg(feature = "test-support")]
pub mod testing;
mod text_enum;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::time::Duration;

/// The schema, embedded at compile time so the binary carries its own migrations.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a request waits for a free connection before it is told the shop is busy.
/// Short, so that a database outage shows as an error page at once, not as a hung tab.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database at {target}: {source}")]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
}

/// Opens the pool and checks that the database answers, so a wrong `DATABASE_URL` is
/// reported at start-up rather than on the first request.
pub async fn connect(options: PgConnectOptions, max_connections: u32) -> Result<PgPool, DbError> {
    connect_waiting(options, max_connections, ACQUIRE_TIMEOUT).await
}

/// [`connect`], with how long a request may wait for a free connection before it is
/// told the shop is busy.
pub async fn connect_waiting(
    options: PgConnectOptions,
    max_connections: u32,
    acquire_timeout: Duration,
) -> Result<PgPool, DbError> {
    let target = describe(&options);
    // How close a word must be for a typo to still find it (`hoodei` is 0.57 of
    // `hoodie`; the extension's default of 0.6 would miss it).
    let options = options.options([("pg_trgm.word_similarity_threshold", "0.5")]);
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .connect_with(options)
        .await
        .map_err(|source| DbError::Connect { target, source })?;
    Ok(pool)
}

/// Applies every migration not yet applied. Safe to run from several processes at once:
/// sqlx serialises them with an advisory lock.
pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Creates `database` on the server `admin` points at, unless it exists already.
pub async fn ensure_database(admin: &PgConnectOptions, database: &str) -> Result<(), DbError> {
    let mut conn = PgConnection::connect_with(admin)
        .await
        .map_err(|source| DbError::Connect {
            target: describe(admin),
            source,
        })?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
        database,
    )
    .fetch_one(&mut conn)
    .await?;
    if !exists {
        // A database name cannot be a bind parameter.
        sqlx::query(&format!("CREATE DATABASE {}", quote_ident(database)))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}

/// True when the database answers a trivial query within `timeout`.
pub async fn is_ready(pool: &PgPool, timeout: Duration) -> bool {
    let ping = sqlx::query_scalar!(r#"SELECT 1 AS "one!""#).fetch_one(pool);
    matches!(tokio::time::timeout(timeout, ping).await, Ok(Ok(1)))
}

/// Quotes an SQL identifier (database names cannot be bind parameters).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Where a connection goes, for error messages: never the password.
fn describe(options: &PgConnectOptions) -> String {
    let mut url = options.to_url_lossy();
    let _ = url.set_password(None);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::quote_ident;

    #[test]
    fn quoting_an_identifier_doubles_embedded_quotes() {
        assert_eq!(quote_ident("shop"), "\"shop\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}

/// A `LIKE` pattern matching text that contains `s` (`%`, `_` and `\` in it match only
/// themselves).
pub fn contains_pattern(s: &str) -> String {
    format!("%{}%", escape_like(s))
}

/// A `LIKE` pattern matching text that starts with `s`.
pub fn prefix_pattern(s: &str) -> String {
    format!("{}%", escape_like(s))
}

fn escape_like(s: &str) -> String {
    let mut escaped = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod like_tests {
    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(
            super::contains_pattern("50% off_x\\"),
            "%50\\% off\\_x\\\\%"
        );
        assert_eq!(super::prefix_pattern("TEE-"), "TEE-%");
    }
}
