//! Stock in the database: staff adjustments (each a movement and an audit entry, in one
//! transaction with the new level), thresholds, the inventory page's levels and a
//! variant's movement log.

use super::{
    Adjustment, Level, LevelCursor, LevelPage, LevelQuery, Movement, MovementReason, Show, PER_PAGE,
};
use crate::admin::audit::{self, Action, Subject, SubjectKind};
use crate::admin::{Permission, Staff};
use crate::db::constraint::OnConstraint;
use crate::Error;
use serde_json::json;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

/// The setting holding the shop's low-stock threshold.
const THRESHOLD_SETTING: &str = "low_stock_threshold";

/// The shop's low-stock threshold: a variant without its own is low at or below it
/// (the database's `shop_low_stock_threshold()`, which the product list's figures use
/// too).
/// Puts units of variants back in stock (`units`: variant and how many, each variant
/// once), with a movement per variant saying `reason` and `note`, in the caller's
/// transaction. Stock rows are locked in variant order, as placing an order takes them,
/// so two transactions never wait for each other in a circle. A variant whose stock is
/// not tracked (no row) or that is gone takes nothing.
pub async fn put_back(
    conn: &mut PgConnection,
    units: &[(i64, i32)],
    reason: MovementReason,
    note: &str,
    staff: Option<&Staff>,
) -> Result<(), Error> {
    if units.is_empty() {
        return Ok(());
    }
    let (variants, counts): (Vec<i64>, Vec<i32>) = units.iter().copied().unzip();
    sqlx::query!(
        "SELECT variant_id FROM inventory WHERE variant_id = ANY($1)
         ORDER BY variant_id FOR UPDATE",
        &variants,
    )
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query!(
        "WITH units AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS u(variant_id, q)),
         back AS (
             UPDATE inventory i SET on_hand = i.on_hand + units.q
             FROM units WHERE i.variant_id = units.variant_id
             RETURNING i.variant_id, units.q
         )
         INSERT INTO inventory_movements (variant_id, delta, reason, note, staff_id)
         SELECT variant_id, q, $3, $4, $5 FROM back",
        &variants,
        &counts,
        reason as MovementReason,
        note,
        staff.map(Staff::id),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn shop_threshold(conn: &mut PgConnection) -> Result<i32, Error> {
    Ok(
        sqlx::query_scalar!(r#"SELECT shop_low_stock_threshold() AS "threshold!""#)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Adds `adjustment.delta` units to a variant's stock, with its movement and audit
/// entry, and gives the new level. Stock below zero is refused (by the database, so two
/// adjustments at once cannot both pass a check made before either), as a field error.
pub async fn adjust(pool: &PgPool, staff: &Staff, adjustment: &Adjustment) -> Result<i32, Error> {
    let mut tx = pool.begin().await?;
    let level = adjust_in(&mut tx, staff, adjustment).await?;
    tx.commit().await?;
    Ok(level)
}

/// [`adjust`], in the caller's transaction (an import's initial stock, with the
/// variants it creates).
pub async fn adjust_in(
    tx: &mut PgConnection,
    staff: &Staff,
    adjustment: &Adjustment,
) -> Result<i32, Error> {
    staff.require(Permission::Inventory)?;
    let Adjustment {
        variant_id,
        delta,
        reason,
        ref note,
    } = *adjustment;
    let level = sqlx::query!(
        "UPDATE inventory SET on_hand = on_hand + $2, updated_at = now()
         WHERE variant_id = $1 RETURNING on_hand",
        variant_id,
        delta,
    )
    .fetch_optional(&mut *tx)
    .await
    .on_constraint("inventory_on_hand_check", || {
        Error::field(
            "quantity",
            "That would leave less than none in stock. Check the count and try a smaller number.",
        )
    })?
    .ok_or(Error::NotFound)?;
    sqlx::query!(
        "INSERT INTO inventory_movements (variant_id, delta, reason, note, staff_id)
         VALUES ($1, $2, $3, $4, $5)",
        variant_id,
        delta,
        reason as MovementReason,
        note.as_deref(),
        staff.id(),
    )
    .execute(&mut *tx)
    .await?;
    let id = variant_id.to_string();
    audit::record(
        &mut *tx,
        staff,
        Action::StockAdjust,
        Subject {
            kind: SubjectKind::Variant,
            id: &id,
        },
        Some(json!({ "on_hand": level.on_hand - delta })),
        Some(json!({ "on_hand": level.on_hand, "delta": delta, "reason": reason, "note": note })),
    )
    .await?;
    Ok(level.on_hand)
}

/// Sets a variant's own low-stock threshold (`None`: it follows the shop's).
pub async fn set_threshold(
    pool: &PgPool,
    staff: &Staff,
    variant_id: i64,
    threshold: Option<i32>,
) -> Result<(), Error> {
    staff.require(Permission::Inventory)?;
    let mut tx = pool.begin().await?;
    let before = sqlx::query_scalar!(
        "SELECT low_stock_threshold FROM variants WHERE id = $1 FOR UPDATE",
        variant_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    if before == threshold {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE variants SET low_stock_threshold = $2 WHERE id = $1",
        variant_id,
        threshold,
    )
    .execute(&mut *tx)
    .await?;
    let id = variant_id.to_string();
    audit::record(
        &mut tx,
        staff,
        Action::StockThreshold,
        Subject {
            kind: SubjectKind::Variant,
            id: &id,
        },
        Some(json!({ "low_stock_threshold": before })),
        Some(json!({ "low_stock_threshold": threshold })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the shop's low-stock threshold.
pub async fn set_shop_threshold(pool: &PgPool, staff: &Staff, threshold: i32) -> Result<(), Error> {
    staff.require(Permission::Inventory)?;
    let mut tx = pool.begin().await?;
    let current = shop_threshold(&mut tx).await?;
    let changed = crate::shop::set_setting(
        &mut tx,
        staff,
        THRESHOLD_SETTING,
        &current.to_string(),
        &threshold.to_string(),
        |v| json!(v.parse::<i32>().ok()),
    )
    .await?;
    if !changed {
        return Ok(());
    }
    // What is low may have changed for every product: the worker refreshes them all
    // (a queued NULL).
    sqlx::query!("INSERT INTO product_stock_queue (product_id) VALUES (NULL)")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Up to this many variants a search finds are looked up by id and sorted; more, and
/// the page walks the stock index testing each.
const FEW_FOUND: i64 = 5_000;

/// Starts a [`Level`]'s select, from the `variant_stock` view `vs`: the threshold that
/// applies is the variant's own or `shop_threshold`.
fn select_levels<'a>(sql: &mut QueryBuilder<'a, Postgres>, shop_threshold: i32) {
    sql.push(
        "SELECT vs.variant_id, vs.product_id, vs.product_name, vs.product_slug,
                vs.product_status, vs.sku, vs.options, vs.on_hand, vs.own_threshold,
                vs.track_stock AS tracked, coalesce(vs.own_threshold, ",
    )
    .push_bind(shop_threshold)
    .push(") AS threshold FROM variant_stock vs ");
}

/// A page of variants' stock, lowest first: those `show` picks, whose SKU starts with
/// `q` or whose product's name contains it, after `after`. Archived products' variants
/// and variants whose stock is not tracked (never low or sold out) are listed only with
/// [`Show::All`]. Without a search, the walk follows the `(on_hand, variant_id)` index
/// and stops at the highest threshold, so a page costs the same on any catalog (less
/// the untracked variants it steps over, which sit at the low end); a search finds its
/// variants first (by the SKU and name indexes) and orders only those.
pub async fn levels(pool: &PgPool, query: &LevelQuery) -> Result<LevelPage, Error> {
    let LevelQuery { show, ref q, after } = *query;
    let mut conn = pool.acquire().await?;
    let shop_threshold = shop_threshold(&mut conn).await?;
    let ceiling = match show {
        Show::SoldOut => 0,
        Show::All => i32::MAX,
        Show::NeedsStock => {
            sqlx::query_scalar!(
                r#"SELECT greatest($1, max(low_stock_threshold)) AS "ceiling!"
               FROM variants WHERE low_stock_threshold IS NOT NULL"#,
                shop_threshold,
            )
            .fetch_one(&mut *conn)
            .await?
        }
    };
    let q = q.trim();
    let (sku_pattern, name_pattern) = (
        crate::db::prefix_pattern(&q.to_uppercase()),
        crate::db::contains_pattern(q),
    );
    // A search's variants, when few enough to name (by the SKU and name indexes);
    // with more, the walk tests each variant and soon fills a page.
    let found = if q.is_empty() {
        None
    } else {
        let ids = sqlx::query_scalar!(
            r#"(SELECT id AS "id!" FROM variants WHERE sku LIKE $1 LIMIT $3)
               UNION
               (SELECT v.id FROM products p JOIN variants v ON v.product_id = p.id
                WHERE p.name ILIKE $2 LIMIT $3)"#,
            sku_pattern,
            name_pattern,
            FEW_FOUND + 1,
        )
        .fetch_all(&mut *conn)
        .await?;
        if ids.is_empty() {
            return Ok(LevelPage {
                levels: Vec::new(),
                next: None,
                shop_threshold,
            });
        }
        Some(ids)
    };
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new("");
    select_levels(&mut sql, shop_threshold);
    sql.push("WHERE vs.on_hand <= ").push_bind(ceiling);
    match found {
        Some(ids) if ids.len() as i64 <= FEW_FOUND => {
            sql.push(" AND vs.variant_id = ANY (")
                .push_bind(ids)
                .push(")");
        }
        Some(_) => {
            sql.push(" AND (vs.sku LIKE ")
                .push_bind(sku_pattern)
                .push(" OR vs.product_name ILIKE ")
                .push_bind(name_pattern)
                .push(")");
        }
        None => {}
    }
    if let Some(after) = after {
        sql.push(" AND (vs.on_hand, vs.variant_id) > (")
            .push_bind(after.on_hand)
            .push(", ")
            .push_bind(after.variant_id)
            .push(")");
    }
    if show == Show::NeedsStock {
        sql.push(" AND vs.on_hand <= coalesce(vs.own_threshold, ")
            .push_bind(shop_threshold)
            .push(")");
    }
    if show != Show::All {
        sql.push(" AND vs.product_status <> 'archived' AND vs.track_stock");
    }
    sql.push(" ORDER BY vs.on_hand, vs.variant_id LIMIT ")
        .push_bind(PER_PAGE + 1);
    let mut levels: Vec<Level> = sql.build_query_as().fetch_all(&mut *conn).await?;
    let next = crate::admin::keyset_page(&mut levels, PER_PAGE, |l| LevelCursor {
        on_hand: l.on_hand,
        variant_id: l.variant_id,
    });
    Ok(LevelPage {
        levels,
        next,
        shop_threshold,
    })
}

/// One variant's stock.
pub async fn level(pool: &PgPool, variant_id: i64) -> Result<Level, Error> {
    let mut conn = pool.acquire().await?;
    let shop_threshold = shop_threshold(&mut conn).await?;
    let mut sql = QueryBuilder::new("");
    select_levels(&mut sql, shop_threshold);
    sql.push("WHERE vs.variant_id = ").push_bind(variant_id);
    sql.build_query_as::<Level>()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)
}

/// A variant's movements older than `before` (a movement id; `None`: the newest),
/// newest first, and where the next page starts.
pub async fn movements(
    pool: &PgPool,
    variant_id: i64,
    before: Option<i64>,
) -> Result<(Vec<Movement>, Option<i64>), Error> {
    let mut movements = sqlx::query_as!(
        Movement,
        r#"SELECT m.id, to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "at!",
                  m.delta, m.reason AS "reason: MovementReason", m.note, u.email AS "by?"
           FROM inventory_movements m LEFT JOIN users u ON u.id = m.staff_id
           WHERE m.variant_id = $1 AND m.id < coalesce($2, 9223372036854775807)
           ORDER BY m.id DESC LIMIT $3"#,
        variant_id,
        before,
        PER_PAGE + 1,
    )
    .fetch_all(pool)
    .await?;
    let next = crate::admin::keyset_page(&mut movements, PER_PAGE, |m| m.id);
    Ok((movements, next))
}
