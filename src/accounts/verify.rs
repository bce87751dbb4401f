//! Confirming that an account's email address is its owner's: a link by mail.
//!
//! Registering never signs in by itself (that would tell a stranger which addresses
//! have accounts): the link does, once, for [`VERIFY_VALID_HOURS`], with the password
//! chosen when registering. Until then the account cannot sign in. Like reset links,
//! only the token's SHA-256 is stored. A reset link proves the same ownership, so
//! resetting a password confirms the address too.

use super::link::Link;
use super::password::{self, Gate};
use super::{limits, AccountError, Email, User, MAX_PASSWORD_CHARS};
use crate::limits::client::ClientKey;
use crate::mail::{self, Message};
use crate::Error;
use sqlx::{PgConnection, PgPool};

/// How long a confirmation link works.
pub const VERIFY_VALID_HOURS: i32 = 48;

/// Queues a confirmation link for the account `user` at `email`.
pub async fn send_link(
    conn: &mut PgConnection,
    user: i64,
    email: &str,
    public_url: &str,
) -> Result<(), Error> {
    let token = Link::Confirm
        .create(conn, user, VERIFY_VALID_HOURS * 60)
        .await?;
    let link = format!("{public_url}/account/verify?token={token}");
    mail::enqueue(conn, &verify_mail(email, &link)).await?;
    Ok(())
}

fn verify_mail(to: &str, link: &str) -> Message {
    Message {
        kind: "verify_email",
        dedupe_key: None,
        to: to.to_owned(),
        subject: "Confirm your email for Mercato".to_owned(),
        text: format!(
            "Hello,\r\n\r\nThanks for creating a Mercato account. To confirm that this \
             address is yours and sign in, open this link within {VERIFY_VALID_HOURS} \
             hours:\r\n\r\n{link}\r\n\r\nIf you did not create an account, ignore this \
             mail: without the link, nobody can use it.\r\n\r\nMercato\r\n"
        ),
        html: None,
    }
}

/// Whether the link `token` still works (for the page that offers to confirm).
pub async fn link_valid(pool: &PgPool, token: &str) -> Result<bool, Error> {
    Link::Confirm.works(pool, token).await
}

/// Confirms the address with the link `token` and the password chosen when registering
/// (so only someone who both reads the mail and chose the password gets the account: a
/// stranger who registered someone else's address has the password but not the mail,
/// and the address's owner has the mail but not a password they did not choose). The
/// link is used up, with every other of that account. Returns the account, to sign in
/// as. The password is counted against the sign-in limits first.
pub async fn confirm(
    pool: &PgPool,
    gate: &Gate,
    token: &str,
    password: &str,
    client: &ClientKey,
) -> Result<User, Error> {
    if !crate::token::plausible(token) || password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(AccountError::ConfirmLinkExpired.into());
    }
    let mut tx = pool.begin().await?;
    let Some(user) = Link::Confirm.holder(&mut tx, token).await? else {
        return Err(AccountError::ConfirmLinkExpired.into());
    };
    let email = Email::parse(&user.email).map_err(|e| Error::internal(e.to_string()))?;
    limits::count_sign_in(pool, &email, client).await?;
    let turn = gate.turn()?;
    let hash = sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user.id)
        .fetch_one(&mut *tx)
        .await?;
    if !password::verify(&turn, password.to_owned(), hash).await? {
        return Err(Error::field("password", WRONG_PASSWORD));
    }
    mark_confirmed(&mut tx, user.id).await?;
    tx.commit().await?;
    limits::clear_sign_in(pool, &email, client).await?;
    Ok(user)
}

/// What confirming with another password than the one chosen says.
pub const WRONG_PASSWORD: &str = "That is not the password chosen when this account was created. Type it again, or, if you did not create an account, ignore the mail.";

/// Records that the account's owner reads its mail (a confirmation or a reset link was
/// used); every outstanding confirmation link is used up.
pub async fn mark_confirmed(conn: &mut PgConnection, user: i64) -> Result<(), Error> {
    sqlx::query!(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1",
        user,
    )
    .execute(&mut *conn)
    .await?;
    Link::Confirm.use_up(conn, user).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_holds_the_link_and_says_how_long_it_works() {
        let m = verify_mail("ada@example.com", "http://shop/account/verify?token=ab");
        assert!(m.text.contains("http://shop/account/verify?token=ab"));
        assert!(m.text.contains("48"));
        assert_eq!(m.to, "ada@example.com");
    }
}
