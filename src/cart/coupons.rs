//! Coupons in Postgres: putting one on a cart, re-checking it on every view, and
//! reading one with its usage (for checkout, which counts the redemption).

use super::coupon::{self, AppliedCoupon, Coupon, CouponError, CouponKind, DiscountKind, Usage};
use super::{CartView, Notice, WaitingCoupon};
use crate::limits::{Limit, Shape, MINUTE};
use crate::{Currency, Error, Money};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

/// How fast one client may try codes: ten at once, then waits from a second up to five
/// minutes. Codes that apply count too: clearing on success would let a guesser reset the
/// count with any public code.
pub const COUPON: Limit = Limit {
    name: "coupon",
    shape: Shape::Backoff {
        free: 10,
        first: 1.0,
        ceiling: 5.0 * MINUTE,
        forget: 30.0 * MINUTE,
    },
};

/// Whose uses count against a per-customer limit: a signed-in account, by its id and
/// its own address. Only a confirmed account counts as a customer (see [`Usage`]). The
/// address typed at checkout does not count: looking it up would tell a shopper
/// whether someone else had ordered with a code.
#[derive(Debug, Clone, Copy, Default)]
pub struct Customer {
    pub user: Option<i64>,
}

/// Re-checks the cart's coupon against its (re-checked) subtotal: it applies, it waits
/// for a bigger subtotal, or it no longer applies and is taken off with a notice.
pub(crate) async fn check_on_cart(
    conn: &mut PgConnection,
    cart: i64,
    view: &mut CartView,
) -> Result<(), Error> {
    let on_cart = sqlx::query!(
        r#"SELECT coupon_id AS "coupon_id!", user_id FROM carts
           WHERE id = $1 AND coupon_id IS NOT NULL"#,
        cart,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(on_cart) = on_cart else {
        return Ok(());
    };
    let Some(found) = load(
        &mut *conn,
        Lookup::Id(on_cart.coupon_id),
        Customer {
            user: on_cart.user_id,
        },
        view.currency,
    )
    .await?
    else {
        return Ok(());
    };
    match found.coupon.apply(view.subtotal(), found.now, found.usage) {
        Ok(applied) => view.coupon = Some(applied),
        Err(e @ CouponError::BelowMinimum { .. }) => {
            view.coupon_waiting = Some(WaitingCoupon {
                code: found.coupon.code,
                why: e,
            });
        }
        Err(e) => {
            sqlx::query!("UPDATE carts SET coupon_id = NULL WHERE id = $1", cart)
                .execute(&mut *conn)
                .await?;
            view.notices.push(Notice::CouponRemoved { reason: e });
        }
    }
    Ok(())
}

pub enum Lookup<'a> {
    Id(i64),
    Code(&'a str),
}

pub struct FoundCoupon {
    pub id: i64,
    pub coupon: Coupon,
    /// The database's clock, in Unix seconds.
    pub now: i64,
    pub usage: Usage,
}

struct CouponRow {
    id: i64,
    code: String,
    description: String,
    kind: DiscountKind,
    value: Decimal,
    min_subtotal: Decimal,
    starts_at: Option<i64>,
    starts_label: Option<String>,
    ends_at: Option<i64>,
    max_uses: Option<i32>,
    max_uses_per_customer: Option<i32>,
    active: bool,
    deleted: bool,
    now: i64,
    used: i64,
    used_by_customer: Option<i64>,
    /// The customer is an account with a confirmed address.
    confirmed: bool,
}

/// A coupon with its usage (by everyone, and by `customer` when known), read with the
/// database's clock so every server agrees on "now". A code finds only a coupon that is
/// not deleted; an id finds a deleted one too (a cart's), which never applies.
pub async fn load(
    conn: &mut PgConnection,
    lookup: Lookup<'_>,
    customer: Customer,
    currency: Currency,
) -> Result<Option<FoundCoupon>, Error> {
    let (id, code) = match lookup {
        Lookup::Id(id) => (Some(id), None),
        Lookup::Code(code) => (None, Some(code)),
    };
    let row = sqlx::query_as!(
        CouponRow,
        r#"SELECT c.id, c.code, c.description, c.kind AS "kind: DiscountKind", c.value,
                  c.min_subtotal,
                  extract(epoch FROM c.starts_at)::bigint AS starts_at,
                  to_char(c.starts_at AT TIME ZONE 'UTC', 'FMDD FMMonth YYYY, HH24:MI "UTC"')
                      AS starts_label,
                  extract(epoch FROM c.ends_at)::bigint AS ends_at,
                  c.max_uses, c.max_uses_per_customer,
                  c.active, c.deleted_at IS NOT NULL AS "deleted!",
                  extract(epoch FROM now())::bigint AS "now!",
                  (SELECT count(*) FROM coupon_redemptions r WHERE r.coupon_id = c.id)
                      AS "used!",
                  (SELECT count(*) FROM coupon_redemptions r
                   WHERE r.coupon_id = c.id
                     AND (r.user_id = $3
                          OR lower(r.email) = lower((SELECT email FROM users WHERE id = $3))))
                      AS used_by_customer,
                  coalesce((SELECT email_verified_at IS NOT NULL FROM users WHERE id = $3),
                           false) AS "confirmed!"
           FROM coupons c
           WHERE c.id = $1 OR (c.code = $2 AND c.deleted_at IS NULL)"#,
        id,
        code,
        customer.user,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let kind = CouponKind::stored(row.kind, row.value, currency);
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(Some(FoundCoupon {
        id: row.id,
        coupon: Coupon {
            code: row.code,
            description: row.description,
            kind,
            min_subtotal: Money::new(row.min_subtotal, currency),
            starts_at: row.starts_at,
            starts_label: row.starts_label,
            ends_at: row.ends_at,
            max_uses: row.max_uses.map(|n| count(n.into())),
            max_uses_per_customer: row.max_uses_per_customer.map(|n| count(n.into())),
            active: row.active,
            deleted: row.deleted,
        },
        now: row.now,
        usage: Usage {
            total: count(row.used),
            by_customer: row
                .confirmed
                .then(|| count(row.used_by_customer.unwrap_or(0))),
        },
    }))
}

/// Puts the coupon `typed` on the cart, if it applies to it now; otherwise says why not
/// (unknown, not yet valid, expired, used up, below the minimum).
/// Codes tried are counted per client (`client`) before anything is looked up, so codes
/// cannot be guessed at speed.
pub async fn apply(
    pool: &PgPool,
    cart: Option<i64>,
    typed: &str,
    currency: Currency,
    client: &crate::limits::client::ClientKey,
) -> Result<AppliedCoupon, Error> {
    COUPON
        .take(pool, client.as_str())
        .await?
        .map_err(Error::wait)?;

    let code = coupon::normalize_code(typed)?;
    let shown: String = typed.trim().chars().take(coupon::MAX_CODE_CHARS).collect();
    let Some(code) = code else {
        return Err(CouponError::Unknown(shown).into());
    };
    let current = super::store::view(pool, cart, currency).await?;
    let Some(cart) = cart.filter(|_| !current.lines.is_empty()) else {
        return Err(CouponError::CartEmpty.into());
    };
    let mut tx = pool.begin().await?;
    let owner = sqlx::query_scalar!("SELECT user_id FROM carts WHERE id = $1 FOR UPDATE", cart)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    let customer = Customer { user: owner };
    let found = load(&mut tx, Lookup::Code(&code), customer, currency)
        .await?
        .ok_or_else(|| CouponError::Unknown(code.clone()))?;
    let applied = found
        .coupon
        .apply(current.subtotal(), found.now, found.usage)?;
    sqlx::query!(
        "UPDATE carts SET coupon_id = $1, updated_at = now() WHERE id = $2",
        found.id,
        cart,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(applied)
}

/// Takes the coupon off the cart (nothing to do when there is none).
pub async fn remove(pool: &PgPool, cart: Option<i64>) -> Result<(), Error> {
    if let Some(cart) = cart {
        sqlx::query!(
            "UPDATE carts SET coupon_id = NULL, updated_at = now() WHERE id = $1",
            cart,
        )
        .execute(pool)
        .await?;
    }
    Ok(())
}
