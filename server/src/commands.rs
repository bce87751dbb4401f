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
