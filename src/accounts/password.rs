//! Password hashing with argon2id at OWASP's parameters (19 MiB, 2 iterations, 1 lane),
//! on the blocking pool so a sign-in never stalls other requests.

use crate::Error;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn hasher() -> Result<Argon2<'static>, Error> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| Error::Invalid(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string of `password` with a fresh salt.
pub async fn hash(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Invalid(format!("could not hash the password: {e}")))
    })
    .await
    .map_err(|e| Error::Invalid(format!("hashing task failed: {e}")))?
}

/// Whether `password` matches the PHC string `hash`. A malformed hash never matches.
pub async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        hasher()
            .map(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of nothing anyone will type, verified against when an email is unknown so
/// that a sign-in takes as long whether or not the account exists.
pub const DECOY: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3lkZWNveWRlY295$0z8SwDnFU4lcZpQXU7Lj4jz0W9cG2NCwzZo6QKkKcIs";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery".to_owned())
            .await
            .expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery".to_owned(), h.clone()).await);
        assert!(!verify("wrong horse battery".to_owned(), h).await);
        assert!(!verify("anything".to_owned(), "not a hash".to_owned()).await);
        // The decoy is a well-formed hash with the same cost.
        assert!(PasswordHash::new(DECOY).is_ok());
        assert!(!verify("".to_owned(), DECOY.to_owned()).await);
    }
}
