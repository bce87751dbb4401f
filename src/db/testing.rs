//! Gives each integration test its own freshly migrated database.
//!
//! All tests of a run share one throwaway cluster; each test gets a database cloned from a
//! template that was migrated once (`CREATE DATABASE … TEMPLATE` copies files, which is far
//! faster than migrating). The template's name carries a hash of the migrations, so a
//! changed migration builds a new template instead of reusing a stale one.
//!
//! Where the cluster comes from, in order:
//! - `MERCATO_TEST_DATABASE_URL`: a superuser URL to a server you run;
//! - otherwise a cluster this module starts in `MERCATO_TEST_PG_DIR` (default
//!   `target/test-pg`), left running for the next test process; `make test` stops it.

use super::embedded::{Durability, EmbeddedError, EmbeddedPostgres};
use super::{connect, connect_waiting, ensure_database, migrate, quote_ident, DbError, MIGRATOR};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use std::path::PathBuf;
use tokio::sync::OnceCell;

#[derive(Debug, thiserror::Error)]
pub enum TestDbError {
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("MERCATO_TEST_DATABASE_URL is not a PostgreSQL URL: {0}")]
    BadUrl(sqlx::Error),
    #[error("cannot lock {path}: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<sqlx::Error> for TestDbError {
    fn from(e: sqlx::Error) -> Self {
        TestDbError::Db(DbError::Sql(e))
    }
}

/// One test's database. It is left behind when the test ends; the cluster is throwaway.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    pub options: PgConnectOptions,
}

impl TestDb {
    /// A new database with every migration applied and no data beyond the migrations'.
    pub async fn new() -> Result<TestDb, TestDbError> {
        let admin = admin_options().await?;
        let template = template(admin).await?;
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect_with(admin).await?;
        sqlx::query(&format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&name),
            quote_ident(template)
        ))
        .execute(&mut conn)
        .await?;
        conn.close().await?;
        let options = admin.clone().database(&name);
        // Tests assert behaviour, not speed: on a loaded CI machine a request may wait
        // for a connection longer than a shopper would be asked to.
        let pool = connect_waiting(options.clone(), 5, std::time::Duration::from_secs(60)).await?;
        Ok(TestDb {
            pool,
            name,
            options,
        })
    }
}

/// The superuser connection to the shared test cluster, set up once per process.
async fn admin_options() -> Result<&'static PgConnectOptions, TestDbError> {
    static ADMIN: OnceCell<PgConnectOptions> = OnceCell::const_new();
    ADMIN
        .get_or_try_init(|| async {
            if let Ok(url) = std::env::var("MERCATO_TEST_DATABASE_URL") {
                return url.parse::<PgConnectOptions>().map_err(TestDbError::BadUrl);
            }
            let root = std::env::var_os("MERCATO_TEST_PG_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-pg")
                });
            tokio::task::spawn_blocking(move || start_shared_cluster(root))
                .await
                .map_err(|e| TestDbError::Lock {
                    path: PathBuf::new(),
                    source: std::io::Error::other(e),
                })?
        })
        .await
}

/// Starts (or attaches to) the cluster under `root`. Test processes may run in parallel,
/// so a file lock makes one of them start it while the others wait.
fn start_shared_cluster(root: PathBuf) -> Result<PgConnectOptions, TestDbError> {
    std::fs::create_dir_all(&root).map_err(|source| TestDbError::Lock {
        path: root.clone(),
        source,
    })?;
    // Other users (the `postgres` user when we are root) must be able to pass through.
    let _ = std::fs::set_permissions(&root, std::os::unix::fs::PermissionsExt::from_mode(0o755));
    let lock_path = root.join("lock");
    let lock = std::fs::File::create(&lock_path).map_err(|source| TestDbError::Lock {
        path: lock_path.clone(),
        source,
    })?;
    lock.lock().map_err(|source| TestDbError::Lock {
        path: lock_path,
        source,
    })?;
    let cluster = EmbeddedPostgres::start(&root, Durability::Throwaway)?;
    let options = cluster.connect_options("postgres");
    // The cluster outlives this process on purpose: the next test process reuses it.
    std::mem::forget(cluster);
    Ok(options)
}

/// The migrated template for the current migrations, created once per cluster.
async fn template(admin: &PgConnectOptions) -> Result<&'static str, TestDbError> {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_try_init(|| async {
            let name = template_name();
            let mut conn = PgConnection::connect_with(admin).await?;
            // Serialise template creation across concurrently running test processes.
            sqlx::query!("SELECT pg_advisory_lock(727274)")
                .execute(&mut conn)
                .await?;
            let ready = sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)
                       AS "ready!""#,
                name,
            )
            .fetch_one(&mut conn)
            .await?;
            if !ready {
                sqlx::query(&format!("DROP DATABASE IF EXISTS {}", quote_ident(&name)))
                    .execute(&mut conn)
                    .await?;
                ensure_database(admin, &name).await?;
                let pool = connect(admin.clone().database(&name), 1).await?;
                migrate(&pool).await?;
                pool.close().await;
                sqlx::query(&format!(
                    "ALTER DATABASE {} WITH is_template true",
                    quote_ident(&name)
                ))
                .execute(&mut conn)
                .await?;
            }
            sqlx::query_scalar!("SELECT pg_advisory_unlock(727274)")
                .fetch_one(&mut conn)
                .await?;
            conn.close().await?;
            Ok(name)
        })
        .await
        .map(String::as_str)
}

fn template_name() -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for migration in MIGRATOR.iter() {
        migration.version.hash(&mut hasher);
        migration.checksum.hash(&mut hasher);
    }
    format!("mercato_template_{:016x}", hasher.finish())
}
