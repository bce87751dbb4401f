//! Background work every server process runs: delivering the outbox, cancelling
//! orders left unpaid, refreshing the products' stock figures, making the shop's copies
//! of uploaded pictures and running catalog imports. Mail, orders and pictures are
//! taken with `FOR UPDATE SKIP LOCKED`, and the stock queue's entries are deleted as
//! they are taken, so several processes never do one job twice. An import is held for
//! a while and its hold renewed as it goes; one whose worker stopped is taken up again
//! from its start (applying twice changes nothing twice), and every write names the
//! attempt, so a worker that lost its hold writes nothing more.

use mercato::mail::{deliver_due, Delivery};
use sqlx::PgPool;
use std::time::Duration;

/// How often the outbox is looked at when it was empty.
const IDLE: Duration = Duration::from_secs(1);
/// After a job failed (the database, most often), wait this long before trying again.
const AFTER_ERROR: Duration = Duration::from_secs(10);
const BATCH: i64 = 20;

/// Delivers mail until the process stops.
pub async fn deliver_mail(pool: PgPool, delivery: Delivery) {
    loop {
        match deliver_due(&pool, &delivery, BATCH).await {
            // A full batch: there may be more waiting.
            Ok(sent) if sent as i64 == BATCH => continue,
            Ok(sent) => {
                if sent > 0 {
                    tracing::info!(sent, "delivered mail");
                }
                tokio::time::sleep(IDLE).await;
            }
            Err(error) => {
                tracing::warn!(%error, "could not read the outbox; will retry");
                tokio::time::sleep(AFTER_ERROR).await;
            }
        }
    }
}

/// How often the products whose stock changed get their list figures refreshed.
const STOCK_EVERY: Duration = Duration::from_secs(1);
/// The most queue entries one refresh takes (`refresh_queued_product_stock`).
const STOCK_BATCH: i32 = 10_000;

/// Keeps each product's units and low-stock flag (the staff's product list) a second
/// behind its variants' stock, until the process stops.
pub async fn refresh_product_stock(pool: PgPool) {
    loop {
        match mercato::catalog::staff::refresh_queued_stock(&pool).await {
            // A full batch: there may be more waiting.
            Ok(taken) if taken >= STOCK_BATCH => continue,
            Ok(_) => tokio::time::sleep(STOCK_EVERY).await,
            Err(error) => {
                tracing::warn!(%error, "could not refresh products' stock figures; will retry");
                tokio::time::sleep(AFTER_ERROR).await;
            }
        }
    }
}

/// How often pictures without renditions are looked for, when there were none.
const PICTURES_EVERY: Duration = Duration::from_secs(2);

/// Makes the renditions of uploaded pictures (one at a time: each takes a core for a
/// moment), until the process stops.
pub async fn render_pictures(pool: PgPool, storage: std::sync::Arc<dyn mercato::storage::Storage>) {
    loop {
        match mercato::catalog::images::render_next(&pool, &*storage).await {
            Ok(true) => continue,
            Ok(false) => tokio::time::sleep(PICTURES_EVERY).await,
            Err(error) => {
                tracing::warn!(%error, "could not make a picture's renditions; will retry");
                tokio::time::sleep(AFTER_ERROR).await;
            }
        }
    }
}

/// How often waiting catalog imports are looked for, when there were none.
const IMPORTS_EVERY: Duration = Duration::from_secs(1);

/// Checks and applies catalog imports (one at a time), until the process stops. What
/// an import changes retires the shop's kept pages, as a staff member's edit does.
pub async fn run_imports(
    pool: PgPool,
    currency: mercato::money::Currency,
    catalog_changes: mercato::cache::Changes,
) {
    let changed = move || catalog_changes.report();
    loop {
        match mercato::catalog::imports::run_next(&pool, currency, &changed).await {
            Ok(true) => continue,
            Ok(false) => tokio::time::sleep(IMPORTS_EVERY).await,
            Err(error) => {
                tracing::warn!(%error, "could not run a catalog import; will retry");
                tokio::time::sleep(AFTER_ERROR).await;
            }
        }
    }
}

/// How often unpaid orders are looked for.
const EXPIRY_EVERY: Duration = Duration::from_secs(60);

/// Cancels orders unpaid after `window_minutes`, returning their stock, until the process
/// stops.
pub async fn expire_unpaid_orders(pool: PgPool, window_minutes: i32) {
    loop {
        match mercato::orders::lifecycle::expire_unpaid(&pool, window_minutes).await {
            Ok(0) => {}
            Ok(orders) => {
                tracing::info!(orders, "cancelled orders left unpaid; their stock is back")
            }
            Err(error) => tracing::warn!(%error, "could not cancel unpaid orders; will retry"),
        }
        tokio::time::sleep(EXPIRY_EVERY).await;
    }
}
