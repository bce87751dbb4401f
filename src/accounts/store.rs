//! Accounts in Postgres: registering, signing in (rate limited), finding the user.

use super::password::{self, Gate, Turn};
use super::{check_new_password, verify, AccountError, Email, Role, User, MAX_PASSWORD_CHARS};
use crate::client::ClientKey;
use crate::limits::{self, Wait};
use crate::mail::{self, Message};
use crate::Error;
use sqlx::PgPool;

/// Why a sign-in did not succeed. Neither says whether the email has an account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("That email and password don't match an account. Check both, or reset your password.")]
    WrongCredentials,
    #[error("Too many attempts. For your account's safety, try again in {}.", crate::error::wait_in_words(*.0))]
    TooManyAttempts(u32),
}

/// Starts an account for `email`, or, if it has one already, tells its owner that
/// someone tried. Either way the caller says the same thing ("check your inbox"), takes
/// as long, and signs nobody in: only the owner of the address can go on, from the link
/// in the mail. Returns the address the mail went to.
pub async fn register(
    pool: &PgPool,
    gate: &Gate,
    email: &str,
    password: &str,
    password_again: &str,
    client: &ClientKey,
    public_url: &str,
) -> Result<Email, Error> {
    let email = Email::parse(email).map_err(invalid)?;
    check_new_password(password, &email).map_err(invalid)?;
    if password != password_again {
        return Err(invalid(AccountError::PasswordsDiffer));
    }
    let turn = gate.turn()?;
    limits::REGISTER
        .take(pool, client.as_str())
        .await?
        .map_err(Error::wait)?;
    // Hashed whether or not the address has an account: both answers take as long.
    let hash = password::hash(&turn, password.to_owned()).await?;
    drop(turn);
    let mut tx = pool.begin().await?;
    let created: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash) VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(email.as_str())
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    match created {
        Some(id) => verify::send_link(&mut tx, id, email.as_str(), public_url).await?,
        None => {
            let (id, address): (i64, String) =
                sqlx::query_as("SELECT id, email FROM users WHERE lower(email) = lower($1)")
                    .bind(email.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
            tracing::info!(
                user = id,
                "registration tried for an existing account; its owner is told"
            );
            mail::enqueue(&mut tx, &already_registered_mail(id, &address, public_url)).await?;
        }
    }
    tx.commit().await?;
    Ok(email)
}

/// What the owner of an address gets when someone registers it again: at most one an
/// hour (the dedupe key holds the hour).
fn already_registered_mail(user: i64, to: &str, public_url: &str) -> Message {
    let hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 3600);
    Message {
        kind: "already_registered",
        dedupe_key: Some(format!("already-registered:{user}:{hour}")),
        to: to.to_owned(),
        subject: "Someone tried to create an account with your email".to_owned(),
        text: format!(
            "Hello,\r\n\r\nSomeone (perhaps you) tried to create a Mercato account with \
             this email address, which already has one. No second account was made.\r\n\r\n\
             If it was you, sign in here:\r\n\r\n{public_url}/account\r\n\r\n\
             Forgotten your password? Choose a new one here:\r\n\r\n\
             {public_url}/account/forgot\r\n\r\n\
             If it was not you, there is nothing to do: your account is unchanged.\r\n\r\n\
             Mercato\r\n"
        ),
        html: None,
    }
}

/// Checks an email and password. The attempt is counted before any hashing, for the
/// account from this client (a backoff) and for the client (a bucket), so guesses sent
/// side by side are refused once the limit is reached instead of all being checked.
/// Takes as long for an unknown email as for a wrong password.
pub async fn sign_in(
    pool: &PgPool,
    gate: &Gate,
    email: &str,
    password: &str,
    client: &ClientKey,
) -> Result<Result<User, SignInError>, Error> {
    let email = Email::parse(email).map_err(|e| Error::field("email", e.to_string()))?;
    // An oversize password is refused without hashing it (or counting it).
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Ok(Err(SignInError::WrongCredentials));
    }
    let turn = gate.turn()?;
    let account_key = format!("{}|{client}", email.as_str().to_lowercase());
    for (limit, subject) in [
        (&limits::SIGN_IN_CLIENT, client.as_str()),
        (&limits::SIGN_IN, account_key.as_str()),
    ] {
        if let Err(Wait(secs)) = limit.take(pool, subject).await? {
            return Ok(Err(SignInError::TooManyAttempts(secs)));
        }
    }
    let row: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, email, password_hash, role FROM users WHERE lower(email) = lower($1)",
    )
    .bind(email.as_str())
    .fetch_optional(pool)
    .await?;
    let hash = row
        .as_ref()
        .map_or(password::DECOY, |(_, _, hash, _)| hash.as_str());
    let matched = password::verify(&turn, password.to_owned(), hash.to_owned()).await?;
    match row {
        Some((id, email, _, role)) if matched => {
            limits::SIGN_IN.clear(pool, &account_key).await?;
            Ok(Ok(User {
                id,
                email,
                role: Role::read(&role)?,
            }))
        }
        _ => Ok(Err(SignInError::WrongCredentials)),
    }
}

/// An account as the session check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user: User,
    /// Bumped by every password change: a session signed in under an older epoch is
    /// signed out.
    pub epoch: i32,
    pub verified: bool,
}

/// The account `id`, if it still exists.
pub async fn account(pool: &PgPool, id: i64) -> Result<Option<Account>, Error> {
    let row: Option<(i64, String, String, i32, bool)> = sqlx::query_as(
        "SELECT id, email, role, session_epoch, email_verified_at IS NOT NULL
         FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(|(id, email, role, epoch, verified)| {
        Ok(Account {
            user: User {
                id,
                email,
                role: Role::read(&role)?,
            },
            epoch,
            verified,
        })
    })
    .transpose()
}

/// Creates an account with `role`, or gives an existing one that role and password
/// (the `mercato admin create` command and the demo seed). Whoever runs the command
/// owns the address as far as the shop is concerned: it counts as confirmed.
pub async fn upsert_with_role(
    pool: &PgPool,
    email: &str,
    password: &str,
    role: Role,
) -> Result<User, Error> {
    let email = Email::parse(email).map_err(invalid)?;
    check_new_password(password, &email).map_err(invalid)?;
    let hash = hash_now(password).await?;
    let (id, email): (i64, String) = sqlx::query_as(
        "INSERT INTO users (email, password_hash, role, email_verified_at)
         VALUES ($1, $2, $3, now())
         ON CONFLICT (lower(email)) DO UPDATE
         SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
             email_verified_at = coalesce(users.email_verified_at, now()),
             session_epoch = users.session_epoch + 1, updated_at = now()
         RETURNING id, email",
    )
    .bind(email.as_str())
    .bind(&hash)
    .bind(role.as_str())
    .fetch_one(pool)
    .await?;
    Ok(User { id, email, role })
}

/// Hashes `password` for a command run by the operator (nobody else is in line).
async fn hash_now(password: &str) -> Result<String, Error> {
    let turn = Gate::new(1).turn()?;
    password::hash(&turn, password.to_owned()).await
}

/// A hashing turn for a signed-in account's password check, counted against `limit`
/// for the account.
pub(super) async fn turn_for(
    pool: &PgPool,
    gate: &Gate,
    limit: &limits::Limit,
    user: i64,
) -> Result<Turn, Error> {
    let turn = gate.turn()?;
    limit
        .take(pool, &user.to_string())
        .await?
        .map_err(Error::wait)?;
    Ok(turn)
}

fn invalid(e: AccountError) -> Error {
    Error::Invalid(e.to_string())
}
