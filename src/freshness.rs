//! When a cached value is still served as it is, when it is worked out again in the
//! background while still being served, and when it is too old to serve.
//!
//! A value asked for constantly is refreshed before it expires, off any request's path,
//! so no shopper waits for it (and no burst of them waits together); a value nobody
//! asked for in its last quarter of life is worked out again by the next request.

use std::time::{Duration, Instant};

/// A cached value's lifetime: served as it is for the first three quarters, refreshed
/// in the background during the last quarter, never served once `ttl` has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    ttl: Duration,
}

/// Where a cached value stands in its [`Lifetime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    /// Serve it.
    Fresh,
    /// Serve it, and work it out again in the background (once).
    RefreshAhead,
    /// Too old to serve: work it out on the request's path.
    Expired,
}

impl Lifetime {
    pub const fn new(ttl: Duration) -> Lifetime {
        Lifetime { ttl }
    }

    /// A zero lifetime: nothing is ever served from the cache.
    pub fn is_zero(&self) -> bool {
        self.ttl.is_zero()
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The age of a value stored at `stored`, as of `now`.
    pub fn age(&self, stored: Instant, now: Instant) -> Age {
        let age = now.saturating_duration_since(stored);
        if age >= self.ttl {
            Age::Expired
        } else if age >= self.ttl - self.ttl / 4 {
            Age::RefreshAhead
        } else {
            Age::Fresh
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_served_then_refreshed_ahead_then_expired() {
        let life = Lifetime::new(Duration::from_secs(8));
        let stored = Instant::now();
        let at = |secs: f64| life.age(stored, stored + Duration::from_secs_f64(secs));
        assert_eq!(at(0.0), Age::Fresh);
        assert_eq!(at(5.99), Age::Fresh);
        assert_eq!(at(6.0), Age::RefreshAhead);
        assert_eq!(at(7.99), Age::RefreshAhead);
        assert_eq!(at(8.0), Age::Expired);
        assert_eq!(at(3600.0), Age::Expired);
        // A clock read before `stored` (another thread's `now`) is not an error.
        assert_eq!(
            life.age(stored + Duration::from_secs(1), stored),
            Age::Fresh
        );
    }

    #[test]
    fn a_zero_lifetime_serves_nothing() {
        let life = Lifetime::new(Duration::ZERO);
        assert!(life.is_zero());
        let now = Instant::now();
        assert_eq!(life.age(now, now), Age::Expired);
    }
}
