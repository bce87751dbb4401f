//! Accounts in Postgres: registering, signing in (rate limited), finding the user.

use super::limits;
use super::password::{self, Gate};
use super::session::Account;
use super::{check_new_password, verify, AccountError, Email, Role, User, MAX_PASSWORD_CHARS};
use crate::limits::client::ClientKey;
use crate::mail::{self, Message};
use crate::Error;
use sqlx::PgPool;

/// Starts an account for `email`, or, if it has a confirmed one already, tells its owner
/// that someone tried. Either way the caller says the same thing ("check your inbox"),
/// takes as long, and signs nobody in: an account is used only after its confirmation
/// link is opened and the password given again, so neither a stranger who registers
/// someone else's address nor the address's owner clicking a link they did not ask for
/// ends up in an account the other controls. Registering an address whose account was
/// never confirmed starts that account afresh (new password, new link). Returns the
/// address the mail went to.
pub async fn register(
    pool: &PgPool,
    gate: &Gate,
    email: &str,
    password: &str,
    password_again: &str,
    client: &ClientKey,
    public_url: &str,
) -> Result<Email, Error> {
    let email = Email::parse(email)?;
    check_new_password(password, &email)?;
    if password != password_again {
        return Err(AccountError::PasswordsDiffer.into());
    }
    limits::REGISTER
        .take(pool, client.as_str())
        .await?
        .map_err(Error::wait)?;
    // Hashed whether or not the address has an account: both answers take as long.
    let hash = password::hash(&gate.turn()?, password.to_owned()).await?;
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO users (email, password_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        email.as_str(),
        hash,
    )
    .execute(&mut *tx)
    .await?;
    let user = sqlx::query!(
        r#"SELECT id, email, email_verified_at IS NOT NULL AS "confirmed!" FROM users
           WHERE lower(email) = lower($1) FOR UPDATE"#,
        email.as_str(),
    )
    .fetch_one(&mut *tx)
    .await?;
    if user.confirmed {
        tracing::info!(
            user = user.id,
            "registration tried for a confirmed account; its owner is told"
        );
        let mail = already_registered_mail(user.id, &user.email, public_url);
        mail::enqueue(&mut tx, &mail).await?;
    } else {
        // New, or never confirmed: this registration's password and a fresh link.
        sqlx::query!(
            "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
            user.id,
            hash,
        )
        .execute(&mut *tx)
        .await?;
        verify::send_link(&mut tx, user.id, &user.email, public_url).await?;
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

/// Checks an email and password. The attempt is counted before any hashing: for the
/// account from this client, for the account from anywhere (a longer backoff, against
/// guesses spread over many addresses) and for the client (a bucket), so guesses sent
/// side by side are refused once a limit is reached ([`Error::TooManyAttempts`])
/// instead of all being checked. An account whose address was never confirmed cannot
/// sign in yet. Takes as long, and says the same ([`AccountError::WrongCredentials`]), whether the
/// email is unknown, the password wrong or the account unconfirmed.
pub async fn sign_in(
    pool: &PgPool,
    gate: &Gate,
    email: &str,
    password: &str,
    client: &ClientKey,
) -> Result<User, Error> {
    let wrong = || Error::from(AccountError::WrongCredentials);
    let email_typed = Email::parse(email).map_err(|e| Error::field("email", e.to_string()))?;
    let email = &email_typed;
    // An oversize password is refused without hashing it (or counting it).
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(wrong());
    }
    limits::count_sign_in(pool, email, client).await?;
    let turn = gate.turn()?;
    let row = sqlx::query!(
        r#"SELECT id, email, password_hash, role AS "role: Role",
                  email_verified_at IS NOT NULL AS "confirmed!",
                  deactivated_at IS NOT NULL AS "deactivated!"
           FROM users WHERE lower(email) = lower($1)"#,
        email.as_str(),
    )
    .fetch_optional(pool)
    .await?;
    let hash = row
        .as_ref()
        .map_or(password::DECOY, |row| row.password_hash.as_str());
    let matched = password::verify(&turn, password.to_owned(), hash.to_owned()).await?;
    match row {
        // Said only to whoever knows the password.
        Some(row) if matched && row.deactivated => Err(AccountError::Deactivated.into()),
        Some(row) if matched && row.confirmed => {
            limits::clear_sign_in(pool, &email_typed, client).await?;
            Ok(User {
                id: row.id,
                email: row.email,
                role: row.role,
            })
        }
        _ => Err(wrong()),
    }
}

/// The account `id`, if it still exists.
pub async fn account(pool: &PgPool, id: i64) -> Result<Option<Account>, Error> {
    let row = sqlx::query!(
        r#"SELECT u.id, u.email, u.role AS "role: Role", u.session_epoch,
                  u.email_verified_at IS NOT NULL AS "verified!",
                  u.deactivated_at IS NOT NULL AS "deactivated!",
                  coalesce(r.permissions, '{}') AS "permissions!: Vec<crate::admin::Permission>"
           FROM users u LEFT JOIN staff_roles r ON r.id = u.staff_role_id
           WHERE u.id = $1"#,
        id,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| Account {
        user: User {
            id: row.id,
            email: row.email,
            role: row.role,
        },
        epoch: row.session_epoch,
        verified: row.verified,
        deactivated: row.deactivated,
        staff_permissions: row.permissions,
    }))
}

/// Creates an account with `role`, or gives an existing one that role and password
/// (the `mercato admin create` command and the demo seed), active again if it was
/// deactivated. A staff account gets the first staff role (the seeded "Manager").
/// Whoever runs the command owns the address as far as the shop is concerned: it counts
/// as confirmed.
pub async fn upsert_with_role(
    pool: &PgPool,
    email: &str,
    password: &str,
    role: Role,
) -> Result<User, Error> {
    let email = Email::parse(email)?;
    check_new_password(password, &email)?;
    let hash = hash_now(password).await?;
    let row = sqlx::query!(
        "INSERT INTO users (email, password_hash, role, email_verified_at, staff_role_id)
         VALUES ($1, $2, $3, now(),
                 CASE WHEN $3 = 'staff' THEN (SELECT min(id) FROM staff_roles) END)
         ON CONFLICT (lower(email)) DO UPDATE
         SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
             staff_role_id = EXCLUDED.staff_role_id, deactivated_at = NULL,
             email_verified_at = coalesce(users.email_verified_at, now()),
             session_epoch = users.session_epoch + 1, updated_at = now()
         RETURNING id, email",
        email.as_str(),
        hash,
        role as Role,
    )
    .fetch_one(pool)
    .await?;
    Ok(User {
        id: row.id,
        email: row.email,
        role,
    })
}

/// Hashes `password` for a command run by the operator (nobody else is in line).
async fn hash_now(password: &str) -> Result<String, Error> {
    let turn = Gate::new(1).turn()?;
    password::hash(&turn, password.to_owned()).await
}
