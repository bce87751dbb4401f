//! Accounts in Postgres: registering, signing in (rate limited), finding the user.

use super::password;
use super::{check_new_password, AccountError, Email, Role, User, MAX_PASSWORD_CHARS};
use crate::Error;
use sqlx::PgPool;

/// Failed sign-ins allowed per account, and per client address, in [`WINDOW_SECS`].
pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_SECS: i64 = 60;

/// Why a sign-in did not succeed. Neither says whether the email has an account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("That email and password don't match an account. Check both, or reset your password.")]
    WrongCredentials,
    #[error("Too many attempts. For your account's safety, try again in {0} seconds.")]
    TooManyAttempts(i64),
}

/// Creates a customer account.
pub async fn register(
    pool: &PgPool,
    email: &str,
    password: &str,
    password_again: &str,
) -> Result<User, Error> {
    let email = Email::parse(email).map_err(invalid)?;
    check_new_password(password, &email).map_err(invalid)?;
    if password != password_again {
        return Err(invalid(AccountError::PasswordsDiffer));
    }
    let hash = password::hash(password.to_owned()).await?;
    let row: Option<(i64, String)> = sqlx::query_as(
        "INSERT INTO users (email, password_hash) VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING id, email",
    )
    .bind(email.as_str())
    .bind(&hash)
    .fetch_optional(pool)
    .await?;
    let (id, email) = row.ok_or_else(|| {
        Error::Invalid(
            "There is already an account with that email. Sign in instead, or reset your \
             password if you have forgotten it."
                .to_owned(),
        )
    })?;
    Ok(User {
        id,
        email,
        role: Role::Customer,
    })
}

/// Checks an email and password, within the rate limits for that account and for the
/// client's address. Takes as long for an unknown email as for a wrong password.
pub async fn sign_in(
    pool: &PgPool,
    email: &str,
    password: &str,
    client: &str,
) -> Result<Result<User, SignInError>, Error> {
    let account_key = format!("email:{}", email.trim().to_lowercase());
    let client_key = format!("ip:{client}");
    let wait = retry_after(pool, &account_key)
        .await?
        .max(retry_after(pool, &client_key).await?);
    if wait > 0 {
        return Ok(Err(SignInError::TooManyAttempts(wait)));
    }
    let row: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, email, password_hash, role FROM users WHERE lower(email) = lower($1)",
    )
    .bind(email.trim())
    .fetch_optional(pool)
    .await?;
    // An oversize password is refused without hashing it.
    let plausible = password.chars().count() <= MAX_PASSWORD_CHARS;
    let matched = match &row {
        Some((_, _, hash, _)) if plausible => {
            password::verify(password.to_owned(), hash.clone()).await
        }
        _ => {
            if plausible {
                password::verify(password.to_owned(), password::DECOY.to_owned()).await;
            }
            false
        }
    };
    match row {
        Some((id, email, _, role)) if matched => {
            sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
                .bind(&account_key)
                .execute(pool)
                .await?;
            Ok(Ok(User {
                id,
                email,
                role: Role::parse(&role).unwrap_or(Role::Customer),
            }))
        }
        _ => {
            sqlx::query("INSERT INTO sign_in_failures (key) SELECT unnest($1::text[])")
                .bind(vec![account_key, client_key])
                .execute(pool)
                .await?;
            Ok(Err(SignInError::WrongCredentials))
        }
    }
}

/// Seconds until `key` may try again: zero unless it failed [`MAX_FAILURES`] times in
/// the last [`WINDOW_SECS`], then until the oldest of those failures leaves the window.
async fn retry_after(pool: &PgPool, key: &str) -> Result<i64, Error> {
    let wait: Option<i64> = sqlx::query_scalar(
        "SELECT CASE WHEN count(*) >= $2
                     THEN greatest(1, ceil(extract(epoch FROM
                              min(at) + make_interval(secs => $3) - now()))::bigint)
                END
         FROM (SELECT at FROM sign_in_failures
               WHERE key = $1 AND at > now() - make_interval(secs => $3)
               ORDER BY at DESC LIMIT $2) recent",
    )
    .bind(key)
    .bind(MAX_FAILURES)
    .bind(WINDOW_SECS as f64)
    .fetch_one(pool)
    .await?;
    Ok(wait.unwrap_or(0))
}

/// Deletes failures that no longer count.
pub async fn forget_old_failures(pool: &PgPool) -> Result<u64, Error> {
    Ok(
        sqlx::query("DELETE FROM sign_in_failures WHERE at < now() - make_interval(secs => $1)")
            .bind(WINDOW_SECS as f64)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// The account `id`, if it still exists, with its session epoch (bumped by every
/// password change: a session signed in under an older epoch is signed out).
pub async fn user(pool: &PgPool, id: i64) -> Result<Option<(User, i32)>, Error> {
    let row: Option<(i64, String, String, i32)> =
        sqlx::query_as("SELECT id, email, role, session_epoch FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(id, email, role, epoch)| {
        let role = Role::parse(&role).unwrap_or(Role::Customer);
        (User { id, email, role }, epoch)
    }))
}

/// Creates an account with `role`, or gives an existing one that role and password
/// (the `mercato admin create` command and the demo seed).
pub async fn upsert_with_role(
    pool: &PgPool,
    email: &str,
    password: &str,
    role: Role,
) -> Result<User, Error> {
    let email = Email::parse(email).map_err(invalid)?;
    check_new_password(password, &email).map_err(invalid)?;
    let hash = password::hash(password.to_owned()).await?;
    let (id, email): (i64, String) = sqlx::query_as(
        "INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3)
         ON CONFLICT (lower(email)) DO UPDATE
         SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role, updated_at = now()
         RETURNING id, email",
    )
    .bind(email.as_str())
    .bind(&hash)
    .bind(role.as_str())
    .fetch_one(pool)
    .await?;
    Ok(User { id, email, role })
}

fn invalid(e: AccountError) -> Error {
    Error::Invalid(e.to_string())
}
