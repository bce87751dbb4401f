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

/// Whether stock adds up: what is on hand plus what was sold equals what the shop
/// started with (when nothing was restocked), every variant's stock equals the sum of
/// its movements, and none is below zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockAudit {
    pub initial: i64,
    pub on_hand: i64,
    /// Units in orders not cancelled.
    pub sold: i64,
    pub restocked: i64,
    /// Variants whose stock differs from the sum of their movements.
    pub mismatched_variants: i64,
    pub negative_variants: i64,
}

impl StockAudit {
    pub fn balances(&self) -> bool {
        self.on_hand + self.sold == self.initial + self.restocked
            && self.mismatched_variants == 0
            && self.negative_variants == 0
    }
}

#[cfg(feature = "server")]
pub async fn stock_audit(pool: &sqlx::PgPool) -> Result<StockAudit, crate::Error> {
    let r: (i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT
           (SELECT coalesce(sum(delta), 0) FROM inventory_movements WHERE reason = 'initial')::bigint,
           (SELECT coalesce(sum(on_hand), 0) FROM inventory)::bigint,
           (SELECT coalesce(sum(l.quantity), 0) FROM order_lines l
            JOIN orders o ON o.id = l.order_id WHERE o.status <> 'cancelled')::bigint,
           (SELECT coalesce(sum(delta), 0) FROM inventory_movements
            WHERE reason IN ('restock', 'staff_edit', 'return'))::bigint,
           (SELECT count(*) FROM inventory i WHERE i.on_hand <> coalesce(
               (SELECT sum(delta) FROM inventory_movements m WHERE m.variant_id = i.variant_id), 0)),
           (SELECT count(*) FROM inventory WHERE on_hand < 0)",
    )
    .fetch_one(pool)
    .await?;
    Ok(StockAudit {
        initial: r.0,
        on_hand: r.1,
        sold: r.2,
        restocked: r.3,
        mismatched_variants: r.4,
        negative_variants: r.5,
    })
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
