//! Password hashing with argon2id at OWASP's parameters (19 MiB, 2 iterations, 1 lane),
//! on the blocking pool so a sign-in never stalls other requests.
//!
//! Hashing is the costliest thing an anonymous visitor can ask for, so it goes through a
//! gate: as many hashes run at once as the machine has cores, a few more requests may
//! wait for a turn, and anyone beyond those is told at once that the shop is busy
//! ([`Error::Busy`]) instead of queueing memory and threads without bound.

use crate::Error;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

fn hasher() -> Result<Argon2<'static>, Error> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| Error::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Requests that may wait for a hashing turn, per core.
const WAITING_PER_CORE: usize = 4;

/// The bound on hashing: one per server process (in its state), so tests that flood one
/// shop leave the others alone.
#[derive(Debug)]
pub struct Gate {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
}

impl Gate {
    /// `cores` hashes at once, and four times as many requests waiting for a turn.
    pub fn new(cores: usize) -> Gate {
        let cores = cores.max(1);
        Gate {
            running: Arc::new(Semaphore::new(cores)),
            admitted: Arc::new(Semaphore::new(cores * (1 + WAITING_PER_CORE))),
        }
    }

    /// As many at once as this machine has cores.
    pub fn for_this_machine() -> Gate {
        Gate::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// A place in the line for hashing, or [`Error::Busy`] at once when the line is
    /// full. Taken before the work it guards (and before counting an attempt, so a
    /// busy answer costs nobody an attempt); dropping it gives the place back.
    pub fn turn(&self) -> Result<Turn, Error> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Busy)?;
        Ok(Turn {
            _admitted: admitted,
            running: self.running.clone(),
        })
    }
}

/// A place in a [`Gate`]'s line.
#[derive(Debug)]
pub struct Turn {
    _admitted: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
}

/// Runs `work` on the blocking pool once one of the running places is free.
async fn run<T: Send + 'static>(
    turn: &Turn,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    let _running = turn
        .running
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| Error::Busy)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::internal(format!("hashing task failed: {e}")))
}

/// The PHC string of `password` with a fresh salt.
pub async fn hash(turn: &Turn, password: String) -> Result<String, Error> {
    run(turn, move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::internal(format!("could not hash the password: {e}")))
    })
    .await?
}

/// Whether `password` matches the PHC string `hash`. A malformed hash never matches;
/// a hasher that cannot be built is a fault, not a wrong password.
pub async fn verify(turn: &Turn, password: String, hash: String) -> Result<bool, Error> {
    run(turn, move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return Ok(false);
        };
        Ok(hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
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
        let t = Gate::new(1).turn().expect("a turn");
        let h = hash(&t, "correct horse battery".to_owned())
            .await
            .expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        let check = |p: &str, h: &str| verify(&t, p.to_owned(), h.to_owned());
        assert!(check("correct horse battery", &h).await.expect("verify"));
        assert!(!check("wrong horse battery", &h).await.expect("verify"));
        assert!(!check("anything", "not a hash").await.expect("verify"));
        // The decoy is a well-formed hash with the same cost.
        assert!(PasswordHash::new(DECOY).is_ok());
        assert!(!check("", DECOY).await.expect("verify"));
    }

    #[test]
    fn beyond_the_line_the_answer_is_busy_at_once() {
        let gate = Gate::new(2);
        let turns: Vec<Turn> = std::iter::from_fn(|| gate.turn().ok()).take(100).collect();
        assert_eq!(turns.len(), 2 * (1 + WAITING_PER_CORE));
        assert!(matches!(gate.turn(), Err(Error::Busy)));
        drop(turns);
        assert!(gate.turn().is_ok(), "turns come back when dropped");
    }
}
