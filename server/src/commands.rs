//! Commands of the `mercato` binary besides serving the shop.

use crate::start::{open_database, StartError};
use crate::Config;
use mercato::catalog::seed;
use mercato::db;
use std::time::Instant;

/// Fills an empty shop with about `products` generated products (for benchmarks).
pub async fn generate_catalog(config: &Config, products: usize) -> Result<String, StartError> {
    let (pool, cluster) = open_database(config).await?;
    db::migrate(&pool).await?;
    let started = Instant::now();
    let per_category = products.div_ceil(12).max(1);
    let catalog = seed::generate(seed::DEMO_SEED, per_category).map_err(StartError::Seed)?;
    let variants: usize = catalog.products.iter().map(|p| p.variants.len()).sum();
    let stored = seed::insert_if_empty(&pool, &catalog)
        .await
        .map_err(StartError::Seed)?;
    pool.close().await;
    if let Some(mut cluster) = cluster {
        let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
    }
    if stored {
        Ok(format!(
            "generated {} products with {variants} variants in {:.1} s",
            catalog.products.len(),
            started.elapsed().as_secs_f64()
        ))
    } else {
        Err(StartError::CatalogExists)
    }
}

/// Adds `orders` generated orders over the last two years to a shop that has a
/// catalog and no orders yet (for benchmarks and demos); says how many rows it wrote
/// and how fast.
pub async fn generate_orders(config: &Config, orders: i64) -> Result<String, StartError> {
    use mercato::orders::generate;
    let (pool, cluster) = open_database(config).await?;
    db::migrate(&pool).await?;
    let result = generate::generate(&pool, orders, |done| {
        tracing::info!(done, of = orders, "generating orders");
    })
    .await;
    pool.close().await;
    if let Some(mut cluster) = cluster {
        let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
    }
    let made = result.map_err(StartError::Orders)?;
    Ok(format!(
        "generated {} orders ({} lines, {} history events, {} payments, {} parcels) and {} \
         customers: {} rows in {:.1} s, {:.0} rows/s",
        made.orders,
        made.lines,
        made.events,
        made.payments,
        made.shipments,
        made.customers,
        made.rows(),
        made.seconds,
        made.rows() as f64 / made.seconds.max(0.001),
    ))
}

/// Creates an admin account, or makes an existing account an admin with this password.
pub async fn create_admin(
    config: &Config,
    email: &str,
    password: &str,
) -> Result<String, StartError> {
    let (pool, cluster) = open_database(config).await?;
    db::migrate(&pool).await?;
    let result = mercato::accounts::store::upsert_with_role(
        &pool,
        email,
        password,
        mercato::accounts::Role::Admin,
    )
    .await;
    pool.close().await;
    if let Some(mut cluster) = cluster {
        let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
    }
    let user = result.map_err(StartError::Admin)?;
    Ok(format!("{} is an admin (account {})", user.email, user.id))
}
