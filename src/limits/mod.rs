//! Rate limits: how often a client, an account or both may try something that costs the
//! shop (a password hash, a mail) or could be guessed (a password, a coupon code).
//!
//! Limits that guard against guessing and flooding are kept in Postgres (`rate_limits`),
//! so every server process counts the same attempts, and are taken in one statement
//! before the work they guard: ten guesses sent at once are counted one after another,
//! and only the allowed number of them is ever hashed. Two shapes:
//! - a **backoff** lets a few attempts through, then makes each wait twice as long as
//!   the one before, up to a ceiling; an attempt refused while waiting does not count,
//!   so nobody can keep an account out for longer than the ceiling;
//! - a **bucket** allows a burst, refilled at a steady rate (per-client volume).
//!
//! Searching is limited per process instead ([`LocalBucket`]): it guards this process's
//! CPU, and a database write per search would cost more than what it protects.

pub mod client;

use crate::Error;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The shape of a limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// `free` attempts go at once; the one after the n-th waits `first` × 2^(n − free)
    /// seconds, at most `ceiling`; forgotten after `forget` quiet seconds.
    Backoff {
        free: i32,
        first: f64,
        ceiling: f64,
        forget: f64,
    },
    /// At most `burst` at once, refilled at `per_sec` a second.
    Bucket { burst: f64, per_sec: f64 },
}

/// A named limit; its keys are `<name>:<subject>`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub name: &'static str,
    pub shape: Shape,
}

/// A minute and an hour, in seconds, for writing limits down.
pub const MINUTE: f64 = 60.0;
pub const HOUR: f64 = 3600.0;

/// How long to wait before trying again, in whole seconds (at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub u32);

impl Wait {
    fn from_secs(secs: f64) -> Wait {
        Wait(secs.ceil().clamp(1.0, f64::from(u32::MAX)) as u32)
    }
}

impl Limit {
    fn key(&self, subject: &str) -> String {
        format!("{}:{subject}", self.name)
    }

    /// Counts one attempt for `subject`, or says how long it must wait (and counts
    /// nothing).
    pub async fn take<'e>(
        &self,
        conn: impl sqlx::PgExecutor<'e>,
        subject: &str,
    ) -> Result<Result<(), Wait>, Error> {
        let key = self.key(subject);
        let wait: f64 = match self.shape {
            Shape::Backoff {
                free,
                first,
                ceiling,
                forget,
            } => {
                sqlx::query_scalar!(
                    r#"SELECT rate_limit_backoff($1, $2, $3, $4, $5) AS "wait!""#,
                    key,
                    free,
                    first,
                    ceiling,
                    forget,
                )
                .fetch_one(conn)
                .await?
            }
            Shape::Bucket { burst, per_sec } => {
                sqlx::query_scalar!(
                    r#"SELECT rate_limit_bucket($1, $2, $3) AS "wait!""#,
                    key,
                    burst,
                    per_sec,
                )
                .fetch_one(conn)
                .await?
            }
        };
        Ok(if wait > 0.0 {
            Err(Wait::from_secs(wait))
        } else {
            Ok(())
        })
    }

    /// Forgets the attempts of every subject starting with `prefix` (a reset password
    /// clears an account's sign-in guesses from every client).
    pub async fn clear_prefix<'e>(
        &self,
        conn: impl sqlx::PgExecutor<'e>,
        prefix: &str,
    ) -> Result<(), Error> {
        sqlx::query!(
            "DELETE FROM rate_limits WHERE starts_with(key, $1)",
            self.key(prefix),
        )
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Forgets `subject`'s attempts (after it proved itself: the right password, a
    /// coupon that applies).
    pub async fn clear<'e>(
        &self,
        conn: impl sqlx::PgExecutor<'e>,
        subject: &str,
    ) -> Result<(), Error> {
        sqlx::query!("DELETE FROM rate_limits WHERE key = $1", self.key(subject))
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// Deletes the rows of keys whose attempts no longer count.
pub async fn forget_old(pool: &sqlx::PgPool) -> Result<u64, Error> {
    Ok(
        sqlx::query!("DELETE FROM rate_limits WHERE forget_at < now()")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// A token bucket per client, in this process's memory.
#[derive(Debug)]
pub struct LocalBucket {
    burst: f64,
    per_sec: f64,
    max_clients: usize,
    clients: Mutex<HashMap<String, (f64, Instant)>>,
}

impl LocalBucket {
    /// `per_minute` a minute per client, in bursts of up to `burst`; `per_minute` zero
    /// limits nothing.
    pub fn new(per_minute: u32, burst: u32) -> LocalBucket {
        LocalBucket {
            burst: f64::from(burst.max(1)),
            per_sec: f64::from(per_minute) / 60.0,
            max_clients: 10_000,
            clients: Mutex::new(HashMap::new()),
        }
    }

    pub fn is_off(&self) -> bool {
        self.per_sec == 0.0
    }

    /// Takes a token for `client` at `now`.
    pub fn take(&self, client: &str, now: Instant) -> Result<(), Wait> {
        if self.is_off() {
            return Ok(());
        }
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if clients.len() >= self.max_clients && !clients.contains_key(client) {
            // Full buckets hold nothing worth keeping; if every client is busy, start
            // over rather than grow without bound.
            let (burst, per_sec) = (self.burst, self.per_sec);
            clients.retain(|_, (tokens, at)| {
                *tokens + per_sec * now.saturating_duration_since(*at).as_secs_f64() < burst
            });
            if clients.len() >= self.max_clients {
                clients.clear();
            }
        }
        let (tokens, at) = clients
            .entry(client.to_owned())
            .or_insert((self.burst, now));
        let refilled = (*tokens + self.per_sec * now.saturating_duration_since(*at).as_secs_f64())
            .min(self.burst);
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            *at = now;
            Ok(())
        } else {
            Err(Wait::from_secs((1.0 - refilled) / self.per_sec))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_local_bucket_allows_a_burst_then_its_rate() {
        let bucket = LocalBucket::new(60, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(bucket.take("a", t0), Ok(()));
        }
        assert_eq!(bucket.take("a", t0), Err(Wait(1)));
        // Another client has its own bucket.
        assert_eq!(bucket.take("b", t0), Ok(()));
        // One a second comes back.
        assert_eq!(bucket.take("a", t0 + Duration::from_secs(1)), Ok(()));
        assert!(bucket.take("a", t0 + Duration::from_secs(1)).is_err());
        // Never more than the burst, however long it waits.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(bucket.take("a", later), Ok(()));
        }
        assert!(bucket.take("a", later).is_err());
    }

    #[test]
    fn an_off_bucket_limits_nothing_and_a_full_table_stays_bounded() {
        let off = LocalBucket::new(0, 1);
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(off.take("a", t0), Ok(()));
        }
        let mut small = LocalBucket::new(60, 1);
        small.max_clients = 4;
        for n in 0..100 {
            assert_eq!(small.take(&n.to_string(), t0), Ok(()));
        }
        assert!(small.clients.lock().expect("lock").len() <= 4);
    }

    #[test]
    fn waits_are_whole_seconds_of_at_least_one() {
        assert_eq!(Wait::from_secs(0.01), Wait(1));
        assert_eq!(Wait::from_secs(1.2), Wait(2));
        assert_eq!(Wait::from_secs(900.0), Wait(900));
    }
}
