//! Forgotten and changed passwords.
//!
//! A reset link carries 32 random bytes; the database keeps only their SHA-256, so a
//! copy of it opens no account. A link works once, for [`RESET_VALID_MINUTES`]. Asking
//! for one never says whether the email has an account. Every change of password bumps
//! the account's session epoch, which signs out every other session.

use super::limits;
use super::link::Link;
use super::MAX_PASSWORD_CHARS;
use super::{check_new_password, password, verify, AccountError, Email, User};
use crate::limits::client::ClientKey;
use crate::mail::{self, Message};
use crate::Error;
use sqlx::PgPool;

/// How long a reset link works.
pub const RESET_VALID_MINUTES: i32 = 60;
/// Reset mails sent to one account per hour, at most (more requests are ignored).
pub const RESETS_PER_HOUR: i64 = 3;

/// Queues a reset mail for `email` if it has an account (and has not had
/// [`RESETS_PER_HOUR`] already). Says nothing either way: the caller shows the same
/// message whatever happened. Each client may ask a few times, then a few an hour.
pub async fn request_reset(
    pool: &PgPool,
    email: &str,
    client: &ClientKey,
    public_url: &str,
) -> Result<(), Error> {
    let email = Email::parse(email)?;
    limits::FORGOT
        .take(pool, client.as_str())
        .await?
        .map_err(Error::wait)?;
    let mut tx = pool.begin().await?;
    let user = sqlx::query!(
        "SELECT id, email FROM users WHERE lower(email) = lower($1) FOR UPDATE",
        email.as_str(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user) = user else {
        tracing::info!("password reset asked for an email without an account");
        return Ok(());
    };
    if let Err(sent) = send_link(&mut tx, user.id, &user.email, public_url).await? {
        tracing::warn!(
            user = user.id,
            sent,
            "password reset asked too often; ignored"
        );
        return Ok(());
    }
    tx.commit().await?;
    Ok(())
}

/// Queues a reset link for account `user` (`email`), unless it was sent
/// [`RESETS_PER_HOUR`] in the last hour already (`Err` with how many), in the caller's
/// transaction.
pub(crate) async fn send_link(
    conn: &mut sqlx::PgConnection,
    user: i64,
    email: &str,
    public_url: &str,
) -> Result<Result<(), i64>, Error> {
    let sent = Link::Reset.sent_last_hour(conn, user).await?;
    if sent >= RESETS_PER_HOUR {
        return Ok(Err(sent));
    }
    let token = Link::Reset.create(conn, user, RESET_VALID_MINUTES).await?;
    let link = format!("{public_url}/account/reset?token={token}");
    mail::enqueue(conn, &reset_mail(email, &link)).await?;
    Ok(Ok(()))
}

fn reset_mail(to: &str, link: &str) -> Message {
    Message {
        kind: "password_reset",
        dedupe_key: None,
        to: to.to_owned(),
        subject: "Reset your Mercato password".to_owned(),
        text: format!(
            "Hello,\r\n\r\nSomeone (we hope you) asked to reset the password of your \
             Mercato account. To choose a new password, open this link within \
             {RESET_VALID_MINUTES} minutes:\r\n\r\n{link}\r\n\r\nThe link works once. \
             If you did not ask for this, ignore this mail: your password stays as it \
             is.\r\n\r\nMercato\r\n"
        ),
        html: None,
    }
}

/// Whether the reset link `token` still works (for the page that asks for the new
/// password, so an old link says so before anything is typed).
pub async fn reset_token_valid(pool: &PgPool, token: &str) -> Result<bool, Error> {
    Link::Reset.works(pool, token).await
}

/// Sets a new password with the reset link `token`, which is used up (with every other
/// link of that account). Returns the account, to sign in as, and its session epoch.
pub async fn reset_password(
    pool: &PgPool,
    gate: &password::Gate,
    token: &str,
    new: &str,
    again: &str,
    client: &ClientKey,
) -> Result<(User, i32), Error> {
    if !crate::token::plausible(token) {
        return Err(AccountError::ResetLinkExpired.into());
    }
    limits::RESET
        .take(pool, client.as_str())
        .await?
        .map_err(Error::wait)?;
    let turn = gate.turn()?;
    let mut tx = pool.begin().await?;
    let Some(User { id, email, role }) = Link::Reset.holder(&mut tx, token).await? else {
        return Err(AccountError::ResetLinkExpired.into());
    };
    let epoch = set_password(&mut tx, &turn, id, &email, new, again).await?;
    // The link came to the account's mail: the address is its owner's.
    verify::mark_confirmed(&mut tx, id).await?;
    // Whoever was slowed down by wrong guesses may now sign in with the new password.
    let address = Email::parse(&email).map_err(|e| Error::internal(e.to_string()))?;
    limits::SIGN_IN
        .clear_prefix(&mut *tx, &limits::sign_in_prefix(&address))
        .await?;
    limits::SIGN_IN_ACCOUNT
        .clear(&mut *tx, &address.as_str().to_lowercase())
        .await?;
    tx.commit().await?;
    Ok((User { id, email, role }, epoch))
}

/// Changes the signed-in account's password, given the current one. Returns the new
/// session epoch (the caller's session keeps working; every other one ends). Guesses of
/// the current password are limited like sign-ins, counted before the check.
pub async fn change_password(
    pool: &PgPool,
    gate: &password::Gate,
    user: i64,
    current: &str,
    new: &str,
    again: &str,
    client: &ClientKey,
) -> Result<i32, Error> {
    if current.chars().count() > MAX_PASSWORD_CHARS {
        return Err(wrong_current());
    }
    let subject = format!("{user}|{client}");
    limits::CHANGE_PASSWORD
        .take(pool, &subject)
        .await?
        .map_err(Error::wait)?;
    let turn = gate.turn()?;
    let mut tx = pool.begin().await?;
    let account = sqlx::query!(
        "SELECT email, password_hash FROM users WHERE id = $1 FOR UPDATE",
        user,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    if !password::verify(&turn, current.to_owned(), account.password_hash).await? {
        return Err(wrong_current());
    }
    limits::CHANGE_PASSWORD.clear(&mut *tx, &subject).await?;
    if new == current {
        return Err(AccountError::SamePassword.into());
    }
    let epoch = set_password(&mut tx, &turn, user, &account.email, new, again).await?;
    tx.commit().await?;
    Ok(epoch)
}

fn wrong_current() -> Error {
    AccountError::WrongCurrentPassword.into()
}

/// Checks and stores a new password; bumps and returns the session epoch. Every reset
/// link still out is used up: a link mailed before the change must not undo it.
async fn set_password(
    conn: &mut sqlx::PgConnection,
    turn: &password::Turn,
    user: i64,
    email: &str,
    new: &str,
    again: &str,
) -> Result<i32, Error> {
    let email = Email::parse(email)?;
    check_new_password(new, &email)?;
    if new != again {
        return Err(AccountError::PasswordsDiffer.into());
    }
    let hash = password::hash(turn, new.to_owned()).await?;
    let epoch = sqlx::query_scalar!(
        "UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1,
                          updated_at = now()
         WHERE id = $1 RETURNING session_epoch",
        user,
        hash,
    )
    .fetch_one(&mut *conn)
    .await?;
    Link::Reset.use_up(conn, user).await?;
    Ok(epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_holds_the_link_and_says_how_long_it_works() {
        let m = reset_mail("ada@example.com", "http://shop/account/reset?token=ab");
        assert!(m.text.contains("http://shop/account/reset?token=ab"));
        assert!(m.text.contains("60 minutes"));
        assert_eq!(m.to, "ada@example.com");
    }
}
