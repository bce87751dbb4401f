//! Links mailed to an account that work once and not for long: password resets and
//! email confirmations, in `account_links`. A link carries 32 random bytes; the database
//! keeps only their SHA-256, so a copy of the table opens no account.

use super::{Role, User};
use crate::Error;
use sqlx::{PgConnection, PgPool};

crate::text_enum! {
    /// Which kind of link.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Link {
        Reset = "reset",
        Confirm = "confirm",
    }
}

impl Link {
    /// A new link for `user`, working for `minutes`; returns the token to mail.
    pub(super) async fn create(
        self,
        conn: &mut PgConnection,
        user: i64,
        minutes: i32,
    ) -> Result<String, Error> {
        let token = crate::token::random_hex();
        sqlx::query!(
            "INSERT INTO account_links (kind, user_id, token_hash, expires_at)
             VALUES ($1, $2, sha256(convert_to($3, 'UTF8')), now() + make_interval(mins => $4))",
            self as Link,
            user,
            token,
            minutes,
        )
        .execute(&mut *conn)
        .await?;
        Ok(token)
    }

    /// How many links of this kind `user` was sent in the last hour.
    pub(super) async fn sent_last_hour(
        self,
        conn: &mut PgConnection,
        user: i64,
    ) -> Result<i64, Error> {
        Ok(sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM account_links
               WHERE kind = $1 AND user_id = $2 AND created_at > now() - interval '1 hour'"#,
            self as Link,
            user,
        )
        .fetch_one(&mut *conn)
        .await?)
    }

    /// Whether `token` still works (for the page that asks for a click or a password, so
    /// an old link says so before anything is typed).
    pub(super) async fn works(self, pool: &PgPool, token: &str) -> Result<bool, Error> {
        if !crate::token::plausible(token) {
            return Ok(false);
        }
        Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM account_links
                              WHERE kind = $1 AND token_hash = sha256(convert_to($2, 'UTF8'))
                                AND used_at IS NULL AND expires_at > now()) AS "works!""#,
            self as Link,
            token,
        )
        .fetch_one(pool)
        .await?)
    }

    /// The account of a working link `token`, locked until `conn`'s transaction ends
    /// (so a link clicked twice at once works once).
    pub(super) async fn holder(
        self,
        conn: &mut PgConnection,
        token: &str,
    ) -> Result<Option<User>, Error> {
        if !crate::token::plausible(token) {
            return Ok(None);
        }
        Ok(sqlx::query_as!(
            User,
            r#"SELECT u.id, u.email, u.role AS "role: Role"
               FROM account_links l JOIN users u ON u.id = l.user_id
               WHERE l.kind = $1 AND l.token_hash = sha256(convert_to($2, 'UTF8'))
                 AND l.used_at IS NULL AND l.expires_at > now()
               FOR UPDATE OF l, u"#,
            self as Link,
            token,
        )
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// Uses up every link of this kind still out for `user`.
    pub(super) async fn use_up(self, conn: &mut PgConnection, user: i64) -> Result<(), Error> {
        sqlx::query!(
            "UPDATE account_links SET used_at = now()
             WHERE kind = $1 AND user_id = $2 AND used_at IS NULL",
            self as Link,
            user,
        )
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
