//! The staff side of the shop. Every function here is called only after the caller's
//! role was checked (`require_staff`/`require_admin` in the server functions).

use serde::{Deserialize, Serialize};

/// The shop at a glance, for the admin's first page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub active_products: i64,
    pub draft_products: i64,
    pub variants_sold_out: i64,
    pub customers: i64,
    pub staff: i64,
    pub carts_with_items: i64,
    pub live_coupons: i64,
    pub mail_waiting: i64,
}

#[cfg(feature = "server")]
pub async fn overview(pool: &sqlx::PgPool) -> Result<Overview, crate::Error> {
    let row: (i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT
           (SELECT count(*) FROM products WHERE status = 'active'),
           (SELECT count(*) FROM products WHERE status = 'draft'),
           (SELECT count(*) FROM inventory i JOIN variants v ON v.id = i.variant_id
            JOIN products p ON p.id = v.product_id
            WHERE i.on_hand = 0 AND p.status = 'active'),
           (SELECT count(*) FROM users WHERE role = 'customer'),
           (SELECT count(*) FROM users WHERE role <> 'customer'),
           (SELECT count(DISTINCT cart_id) FROM cart_lines),
           (SELECT count(*) FROM coupons
            WHERE active AND (ends_at IS NULL OR ends_at > now())),
           (SELECT count(*) FROM outbox WHERE sent_at IS NULL)",
    )
    .fetch_one(pool)
    .await?;
    Ok(Overview {
        active_products: row.0,
        draft_products: row.1,
        variants_sold_out: row.2,
        customers: row.3,
        staff: row.4,
        carts_with_items: row.5,
        live_coupons: row.6,
        mail_waiting: row.7,
    })
}
