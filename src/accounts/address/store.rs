//! The address book in Postgres. Every function takes the signed-in account's id; an
//! address id that belongs to someone else is "not found".

use super::{Address, AddressError, AddressInput, SavedAddress};
use crate::Error;
use sqlx::{PgConnection, PgPool};

/// Addresses one account may keep.
pub const MAX_ADDRESSES: i64 = 20;

struct Row {
    id: i64,
    name: String,
    line1: String,
    line2: String,
    city: String,
    region: String,
    postal_code: String,
    country: String,
    phone: String,
    is_default: bool,
}

impl From<Row> for SavedAddress {
    fn from(r: Row) -> SavedAddress {
        SavedAddress {
            id: r.id,
            is_default: r.is_default,
            address: Address {
                name: r.name,
                line1: r.line1,
                line2: r.line2,
                city: r.city,
                region: r.region,
                postal_code: r.postal_code,
                country: r.country,
                phone: r.phone,
            },
        }
    }
}

/// The account's addresses, the default first, then oldest first.
pub async fn list(pool: &PgPool, user: i64) -> Result<Vec<SavedAddress>, Error> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, name, line1, line2, city, region, postal_code, country, phone, is_default
         FROM addresses WHERE user_id = $1 ORDER BY is_default DESC, id",
        user,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(SavedAddress::from).collect())
}

pub async fn get(pool: &PgPool, user: i64, id: i64) -> Result<SavedAddress, Error> {
    let row = sqlx::query_as!(
        Row,
        "SELECT id, name, line1, line2, city, region, postal_code, country, phone, is_default
         FROM addresses WHERE user_id = $1 AND id = $2",
        user,
        id,
    )
    .fetch_optional(pool)
    .await?;
    row.map(SavedAddress::from).ok_or(Error::NotFound)
}

/// Adds an address, or changes the address `id` (when given). The first address, or
/// one saved with `make_default`, becomes the default. Returns its id.
pub async fn save(
    pool: &PgPool,
    user: i64,
    id: Option<i64>,
    input: &AddressInput,
    make_default: bool,
) -> Result<i64, Error> {
    let a = input.validate().map_err(Error::Fields)?;
    let mut tx = pool.begin().await?;
    // One writer per account at a time: the count and the default stay consistent.
    sqlx::query_scalar!("SELECT id FROM users WHERE id = $1 FOR UPDATE", user)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
    let held = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM addresses WHERE user_id = $1"#,
        user,
    )
    .fetch_one(&mut *tx)
    .await?;
    let id = match id {
        Some(id) => sqlx::query_scalar!(
            "UPDATE addresses SET name = $3, line1 = $4, line2 = $5, city = $6, region = $7,
                 postal_code = $8, country = $9, phone = $10, updated_at = now()
             WHERE user_id = $1 AND id = $2 RETURNING id",
            user,
            id,
            a.name,
            a.line1,
            a.line2,
            a.city,
            a.region,
            a.postal_code,
            a.country,
            a.phone,
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?,
        None => {
            if held >= MAX_ADDRESSES {
                return Err(AddressError::BookFull(MAX_ADDRESSES).into());
            }
            sqlx::query_scalar!(
                "INSERT INTO addresses (user_id, name, line1, line2, city, region,
                                        postal_code, country, phone)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 RETURNING id",
                user,
                a.name,
                a.line1,
                a.line2,
                a.city,
                a.region,
                a.postal_code,
                a.country,
                a.phone,
            )
            .fetch_one(&mut *tx)
            .await?
        }
    };
    if make_default || held == 0 {
        mark_default(&mut tx, user, id).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Makes the address `id` the account's default.
pub async fn set_default(pool: &PgPool, user: i64, id: i64) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    mark_default(&mut tx, user, id).await?;
    tx.commit().await?;
    Ok(())
}

async fn mark_default(conn: &mut PgConnection, user: i64, id: i64) -> Result<(), Error> {
    sqlx::query_scalar!(
        "SELECT id FROM addresses WHERE user_id = $1 AND id = $2 FOR UPDATE",
        user,
        id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    sqlx::query!(
        "UPDATE addresses SET is_default = false WHERE user_id = $1 AND is_default",
        user,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE addresses SET is_default = true WHERE user_id = $1 AND id = $2",
        user,
        id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes the address `id`. When it was the default, the oldest one left takes over.
pub async fn delete(pool: &PgPool, user: i64, id: i64) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let was_default = sqlx::query_scalar!(
        "DELETE FROM addresses WHERE user_id = $1 AND id = $2 RETURNING is_default",
        user,
        id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    if was_default {
        sqlx::query!(
            "UPDATE addresses SET is_default = true
             WHERE id = (SELECT min(id) FROM addresses WHERE user_id = $1)",
            user,
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
