//! How often accounts may be tried: the rate limits of signing in, registering, resets
//! and confirmation mails (the mechanism is `crate::limits`).

use crate::limits::client::ClientKey;
use crate::limits::{Limit, Shape, HOUR, MINUTE};

/// Password guesses for one account from one client. Cleared by a successful sign-in.
pub const SIGN_IN: Limit = Limit {
    name: "sign-in",
    shape: Shape::Backoff {
        free: 5,
        first: 2.0,
        ceiling: 15.0 * MINUTE,
        forget: HOUR,
    },
};

/// Password guesses for one account from anywhere: a longer backoff, so guesses spread
/// over many addresses (a whole IPv6 /48 is thousands of clients) stay slow, while its
/// owner never waits more than half a minute. Cleared by a successful sign-in.
pub const SIGN_IN_ACCOUNT: Limit = Limit {
    name: "sign-in-account",
    shape: Shape::Backoff {
        free: 30,
        first: 1.0,
        ceiling: 30.0,
        forget: HOUR,
    },
};

/// Sign-in attempts from one client, whatever the account (a shared office address
/// still gets one every two seconds).
pub const SIGN_IN_CLIENT: Limit = Limit {
    name: "sign-in-client",
    shape: Shape::Bucket {
        burst: 30.0,
        per_sec: 0.5,
    },
};

/// Accounts created from one client.
pub const REGISTER: Limit = Limit {
    name: "register",
    shape: Shape::Bucket {
        burst: 5.0,
        per_sec: 1.0 / MINUTE,
    },
};

/// Reset links asked for from one client (each account also gets at most three an
/// hour, whoever asks).
pub const FORGOT: Limit = Limit {
    name: "forgot",
    shape: Shape::Bucket {
        burst: 5.0,
        per_sec: 1.0 / MINUTE,
    },
};

/// Guesses of the current password when changing it, per account and client (someone
/// else holding a copy of the session slows only their own guesses). Cleared on success.
pub const CHANGE_PASSWORD: Limit = Limit {
    name: "change-password",
    shape: Shape::Backoff {
        free: 5,
        first: 2.0,
        ceiling: 15.0 * MINUTE,
        forget: HOUR,
    },
};

/// New passwords set from reset links, per client (each takes a hash).
pub const RESET: Limit = Limit {
    name: "reset",
    shape: Shape::Bucket {
        burst: 10.0,
        per_sec: 1.0 / MINUTE,
    },
};

/// The subject of [`SIGN_IN`]: this email from this client.
pub fn sign_in_subject(email: &super::Email, client: &ClientKey) -> String {
    format!("{}{client}", sign_in_prefix(email))
}

/// What every [`SIGN_IN`] subject of `email` starts with, whatever the client.
pub fn sign_in_prefix(email: &super::Email) -> String {
    format!("{}|", email.as_str().to_lowercase())
}

/// Counts one password attempt for `email` from `client` against every sign-in limit
/// (the client, the account from this client, the account from anywhere), or says how
/// long to wait. Done before any hashing.
pub async fn count_sign_in(
    pool: &sqlx::PgPool,
    email: &super::Email,
    client: &ClientKey,
) -> Result<(), crate::Error> {
    let account = email.as_str().to_lowercase();
    for (limit, subject) in [
        (&SIGN_IN_CLIENT, client.as_str().to_owned()),
        (&SIGN_IN, sign_in_subject(email, client)),
        (&SIGN_IN_ACCOUNT, account),
    ] {
        limit
            .take(pool, &subject)
            .await?
            .map_err(crate::Error::wait)?;
    }
    Ok(())
}

/// Forgets `email`'s sign-in guesses from `client` and from anywhere: it signed in.
pub async fn clear_sign_in(
    pool: &sqlx::PgPool,
    email: &super::Email,
    client: &ClientKey,
) -> Result<(), crate::Error> {
    SIGN_IN.clear(pool, &sign_in_subject(email, client)).await?;
    SIGN_IN_ACCOUNT
        .clear(pool, &email.as_str().to_lowercase())
        .await
}
