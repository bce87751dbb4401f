//! Start-up and shutdown: listen, open (or start) the database, migrate, serve, and on
//! SIGINT/SIGTERM finish the requests in flight before stopping Postgres.

use crate::config::Config;
use crate::http;
use app::state::AppState;
use leptos::config::{get_configuration, LeptosOptions};
use mercato::catalog::browse::ListingCache;
use mercato::catalog::seed;
use mercato::db::embedded::{Durability, EmbeddedError, EmbeddedPostgres};
use mercato::db::{self, DbError};
use mercato::mail::Delivery;
use mercato::payments::stripe::StripeProvider;
use mercato::payments::test_provider::TestProvider;
use mercato::payments::Payments;
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Listings whose facet counts are kept at once; a listing is a category or search
/// with one combination of filters.
const LISTING_CACHE_ENTRIES: usize = 2_000;

/// Searches a client may run at once before the per-minute rate applies.
const SEARCH_BURST: u32 = 30;

/// The embedded cluster's database for the shop.
const DATABASE: &str = "mercato";

/// Why the server could not start (or stopped). Each reads as one sentence naming the
/// cause and the fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {hint}")]
    Bind {
        addr: SocketAddr,
        hint: String,
        #[source]
        source: std::io::Error,
    },
    #[error("DATABASE_URL is not a valid PostgreSQL URL ({0}); it looks like postgres://user:password@host:5432/database")]
    DatabaseUrl(sqlx::Error),
    #[error("{0}. Check that PostgreSQL is running and that DATABASE_URL is right")]
    Database(DbError),
    #[error("{0}")]
    Embedded(#[from] EmbeddedError),
    #[error("cannot fill the shop with the demo catalog: {0}")]
    Seed(mercato::Error),
    #[error("the shop already has a catalog; generate into an empty database (a new MERCATO_DATA_DIR, or an empty DATABASE_URL)")]
    CatalogExists,
    #[error("cannot generate orders: {0}")]
    Orders(mercato::orders::generate::GenerateError),
    #[error("cannot store MERCATO_PRICES_INCLUDE_TAX as the shop's setting: {0}")]
    Settings(mercato::Error),
    #[error("cannot create the admin account: {0}")]
    Admin(mercato::Error),
    #[error("MERCATO_SMTP_URL or MERCATO_MAIL_FROM: {0}")]
    Smtp(String),
    #[error("MERCATO_STRIPE_API_BASE: {0}")]
    Stripe(String),
    #[error("the web options (LEPTOS_* variables) are invalid: {0}")]
    Leptos(String),
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
}

impl From<DbError> for StartError {
    fn from(e: DbError) -> Self {
        StartError::Database(e)
    }
}

/// The demo shop's administrator, created with the demo catalog with a random password
/// that is printed once (never logged); a real shop creates its admin with
/// `mercato admin create`.
pub const DEMO_ADMIN_EMAIL: &str = "admin@mercato.test";

/// Tells whoever started the shop the demo admin's password, once, never through the
/// log: on the terminal, when the shop runs in one; otherwise (under a service manager,
/// whose journal keeps stderr) in a file only its owner may read, whose path is logged.
fn tell_demo_admin_password(data_dir: &std::path::Path, password: &str) {
    use std::io::{IsTerminal, Write};
    let text = format!(
        "The demo shop's admin: {DEMO_ADMIN_EMAIL}, password {password}\n\
         To set another: mercato admin create --email {DEMO_ADMIN_EMAIL}\n"
    );
    if std::io::stderr().is_terminal() {
        let _ = writeln!(std::io::stderr(), "\n{text}");
        return;
    }
    let path = data_dir.join("demo-admin-password.txt");
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    match written {
        Ok(()) => tracing::info!(
            email = DEMO_ADMIN_EMAIL,
            file = %path.display(),
            "created the demo admin; its password is in the file (readable by this user only)"
        ),
        Err(error) => tracing::warn!(
            email = DEMO_ADMIN_EMAIL,
            %error,
            "created the demo admin but could not write its password down; set one with `mercato admin create`"
        ),
    }
}

/// `MERCATO_PRICES_INCLUDE_TAX` becomes the shop's setting if it has none yet; once the
/// shop has one (stored by an earlier start, or chosen by staff at
/// `/admin/settings/tax`), it stands and the variable is ignored (said in the log when
/// they differ).
async fn seed_prices_include_tax(pool: &sqlx::PgPool, wanted: bool) -> Result<(), StartError> {
    let stored = mercato::checkout::rates::seed_prices_include_tax(pool, wanted)
        .await
        .map_err(StartError::Settings)?;
    if stored != wanted {
        tracing::warn!(
            variable = wanted,
            setting = stored,
            "MERCATO_PRICES_INCLUDE_TAX is ignored: it only fills in a setting the shop does not have yet, and the shop has one; change it at /admin/settings/tax and remove the variable"
        );
    }
    Ok(())
}

/// A password nobody can guess or look up: 80 random bits in five groups.
fn random_password() -> String {
    let hex = mercato::token::random_hex();
    hex.as_bytes()[..20]
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The configured payment provider: Stripe when its keys are set, else test cards.
fn payments(config: &Config) -> Result<Payments, StartError> {
    Ok(match &config.stripe {
        Some(settings) => {
            let provider = StripeProvider::new(settings.clone()).map_err(StartError::Stripe)?;
            tracing::info!(api = %settings.api_base, "payments are taken with Stripe");
            Payments::Stripe(Arc::new(provider))
        }
        None => {
            tracing::info!(
                "payments are taken with test cards only (no MERCATO_STRIPE_SECRET_KEY)"
            );
            Payments::Test(TestProvider)
        }
    })
}

pub async fn run(config: Config) -> Result<(), StartError> {
    // Bind first: a busy port is reported before Postgres is started for nothing.
    let listener = bind(config.addr).await?;
    let (pool, cluster) = open_database(&config).await?;
    db::migrate(&pool).await?;
    if config.seed_demo {
        if let Some(products) = seed::seed_demo_if_empty(&pool)
            .await
            .map_err(StartError::Seed)?
        {
            tracing::info!(products, "filled the empty shop with the demo catalog");
            let password = random_password();
            mercato::accounts::store::upsert_with_role(
                &pool,
                DEMO_ADMIN_EMAIL,
                &password,
                mercato::accounts::Role::Admin,
            )
            .await
            .map_err(StartError::Seed)?;
            tell_demo_admin_password(&config.data_dir, &password);
        }
    }
    if let Some(wanted) = config.prices_include_tax {
        seed_prices_include_tax(&pool, wanted).await?;
    }
    let catalog_changes = mercato::cache::Changes::new();
    let media: Arc<dyn mercato::storage::Storage> = Arc::new(mercato::storage::LocalFiles::new(
        config.data_dir.join("media"),
    ));
    let state = AppState {
        leptos_options: leptos_options(&config)?,
        pool: pool.clone(),
        currency: config.currency,
        public_url: config.public_url.clone(),
        listing_cache: Arc::new(
            ListingCache::new(config.listing_cache, LISTING_CACHE_ENTRIES)
                .watching(&catalog_changes),
        ),
        catalog_changes: catalog_changes.clone(),
        payments: payments(&config)?,
        trusted_proxies: config.trusted_proxies.clone(),
        staff_session: config.staff_session,
        search_limit: Arc::new(mercato::limits::LocalBucket::new(
            config.search_per_minute,
            SEARCH_BURST,
        )),
        hashing: Arc::new(mercato::accounts::password::Gate::for_this_machine()),
        media: media.clone(),
    };
    let router = http::router(state, config.request_timeout, config.page_cache);
    let cleanup = tokio::spawn(crate::sessions::clean_up(pool.clone()));
    let delivery = match &config.smtp {
        Some(smtp) => Delivery::smtp(&smtp.url, &smtp.from).map_err(StartError::Smtp)?,
        None => Delivery::Folder(config.mail_dir.clone()),
    };
    tracing::info!("mail is {}", delivery.describe());
    let mail = tokio::spawn(crate::worker::deliver_mail(pool.clone(), delivery));
    let expiry = tokio::spawn(crate::worker::expire_unpaid_orders(
        pool.clone(),
        config.payment_window_minutes,
    ));
    let stock = tokio::spawn(crate::worker::refresh_product_stock(pool.clone()));
    let pictures = tokio::spawn(crate::worker::render_pictures(pool.clone(), media));
    let imports = tokio::spawn(crate::worker::run_imports(
        pool.clone(),
        config.currency,
        catalog_changes,
    ));
    tracing::info!(addr = %config.addr, "Mercato is open at http://{}", config.addr);

    let served = http::serve(listener, router, shutdown_signal()).await;
    tracing::info!("shutting down");
    cleanup.abort();
    mail.abort();
    expiry.abort();
    stock.abort();
    pictures.abort();
    imports.abort();
    pool.close().await;
    if let Some(mut cluster) = cluster {
        let stopped = tokio::task::spawn_blocking(move || cluster.stop()).await;
        if let Ok(Err(e)) = stopped {
            tracing::warn!(error = %e, "could not stop the embedded PostgreSQL");
        }
    }
    served.map_err(StartError::Serve)
}

pub async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|source| {
        let hint = match source.kind() {
            ErrorKind::AddrInUse => "another program is using that port; stop it, or choose another address with MERCATO_ADDR".to_owned(),
            ErrorKind::PermissionDenied => "this user may not use that port; choose one above 1024 with MERCATO_ADDR".to_owned(),
            ErrorKind::AddrNotAvailable => "this machine has no such address; use 127.0.0.1 or 0.0.0.0 in MERCATO_ADDR".to_owned(),
            _ => source.to_string(),
        };
        StartError::Bind { addr, hint, source }
    })
}

/// Connects to `DATABASE_URL`, or starts the embedded cluster when it is not set.
pub(crate) async fn open_database(
    config: &Config,
) -> Result<(PgPool, Option<EmbeddedPostgres>), StartError> {
    if let Some(url) = &config.database_url {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StartError::DatabaseUrl(sqlx::Error::Configuration(
                "the scheme must be postgres:// or postgresql://".into(),
            )));
        }
        let options: PgConnectOptions = url.parse().map_err(StartError::DatabaseUrl)?;
        let pool = db::connect(options, config.db_pool_size).await?;
        return Ok((pool, None));
    }
    let data_dir = config.data_dir.clone();
    tracing::info!(dir = %data_dir.display(), "no DATABASE_URL: starting the embedded PostgreSQL");
    let cluster = tokio::task::spawn_blocking(move || {
        EmbeddedPostgres::start(&data_dir, Durability::Durable)
    })
    .await
    .map_err(|e| StartError::Serve(std::io::Error::other(e)))??;
    db::ensure_database(&cluster.connect_options("postgres"), DATABASE).await?;
    let pool = db::connect(cluster.connect_options(DATABASE), config.db_pool_size).await?;
    Ok((pool, Some(cluster)))
}

/// Leptos's options from its `LEPTOS_*` variables (cargo-leptos sets them), with the
/// listen address from our config. Hashed asset names are used whenever cargo-leptos left
/// its hash file beside the binary, unless `LEPTOS_HASH_FILES` says otherwise.
fn leptos_options(config: &Config) -> Result<LeptosOptions, StartError> {
    let mut options = get_configuration(None)
        .map_err(|e| StartError::Leptos(e.to_string()))?
        .leptos_options;
    options.site_addr = config.addr;
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        options.hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(&*options.hash_file)))
            .is_some_and(|file| file.is_file());
    }
    Ok(options)
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
