//! Values kept for a short while and worked out again without keeping anyone waiting:
//! the listing cache (facet counts, the order of first pages) and the page cache
//! (whole catalog pages) are both this.
//!
//! - A value asked for constantly is refreshed before it expires, in the background,
//!   while it is still served: no request waits for it, and no burst of them waits
//!   together. A value nobody asked for in its last quarter of life is worked out again
//!   by the next request; nothing older than its lifetime is served.
//! - While a value is being worked out on a request's path, the other requests for it
//!   wait for that one computation instead of each running it. If it fails (or gives
//!   nothing to keep), each waiter works out its own answer, side by side.
//! - A cache may watch [`Changes`] to what its values are worked out from: once one is
//!   reported, nothing worked out before it is served again (nor kept, when its
//!   computation was under way at the time). Staff edits report catalog changes, so
//!   shoppers see them at once rather than when the cached pages expire.

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

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

/// How long a request waits for another's computation of the same value before it
/// works the value out itself.
const WAIT_LIMIT: Duration = Duration::from_secs(5);

/// How long a background refresh may take (no request's timeout covers it).
const BACKGROUND_LIMIT: Duration = Duration::from_secs(30);

/// Changes to what cached values are worked out from, counted: a value worked out
/// before the latest change is stale. Clones count the same changes.
#[derive(Debug, Clone, Default)]
pub struct Changes(Arc<AtomicU64>);

impl Changes {
    pub fn new() -> Changes {
        Changes::default()
    }

    /// Something changed: every cache watching these changes stops serving what it
    /// worked out before now.
    pub fn report(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn current(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Up to `capacity` values by key, each for its [`Lifetime`] and until the next of the
/// [`Changes`] it watches.
#[derive(Debug)]
pub struct Cache<K, V> {
    life: Lifetime,
    capacity: usize,
    changes: Changes,
    state: Arc<Mutex<State<K, V>>>,
}

#[derive(Debug)]
struct State<K, V> {
    kept: HashMap<K, Kept<V>>,
    /// Keys being worked out on a request's path, with what their waiters wait on.
    computing: HashMap<K, watch::Receiver<()>>,
}

#[derive(Debug)]
struct Kept<V> {
    stored: Instant,
    /// The count of changes when its computation started.
    seen: u64,
    value: V,
    /// A background task is working the value out again.
    refreshing: bool,
}

/// A value, and how the cache came by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served<V> {
    pub value: V,
    pub how: How,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Kept, served as it is.
    Kept,
    /// Kept, served as it is while it is worked out again in the background.
    Refreshing,
    /// Worked out for this request.
    Computed,
}

/// What the cache has for a key, and what the caller is to do.
enum Slot<K: Eq + Hash, V> {
    Kept(V),
    /// Serve this, and start the refresh.
    Refresh(V),
    /// Another request is working it out: wait for it, then look again.
    Wait(watch::Receiver<()>),
    /// Work it out; the guard lets the waiters go when dropped.
    Compute(Computing<K, V>),
}

/// A request working out a value others may be waiting for. Dropping it (the value
/// kept, refused, or the request cancelled) lets them go on.
struct Computing<K: Eq + Hash, V> {
    key: K,
    done: Option<watch::Sender<()>>,
    state: Arc<Mutex<State<K, V>>>,
}

impl<K: Eq + Hash, V> Drop for Computing<K, V> {
    fn drop(&mut self) {
        drop(self.done.take());
        let mut state = lock(&self.state);
        // Only this computation's entry: a newer one may have replaced it.
        if state
            .computing
            .get(&self.key)
            .is_some_and(|rx| rx.has_changed().is_err())
        {
            state.computing.remove(&self.key);
        }
    }
}

/// A panic while holding the lock leaves a map of plain values: still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl<K, V> Cache<K, V>
where
    K: Eq + Hash + Clone + Debug + Send + 'static,
    V: Clone + Send + 'static,
{
    /// Keeps up to `capacity` values for `ttl` each; a zero `ttl` or `capacity` keeps
    /// nothing.
    pub fn new(ttl: Duration, capacity: usize) -> Cache<K, V> {
        Cache {
            life: Lifetime::new(ttl),
            capacity,
            changes: Changes::new(),
            state: Arc::new(Mutex::new(State {
                kept: HashMap::new(),
                computing: HashMap::new(),
            })),
        }
    }

    /// The same cache, serving nothing worked out before the latest of `changes`.
    pub fn watching(self, changes: Changes) -> Cache<K, V> {
        Cache { changes, ..self }
    }

    /// Whether this cache keeps nothing.
    pub fn is_off(&self) -> bool {
        self.life.is_zero() || self.capacity == 0
    }

    /// The value for `key`: kept, or worked out by `compute` (here, or in the
    /// background when the kept one nears its end). An `Err` is the caller's answer,
    /// not kept: a failure, or a value not fit to keep.
    pub async fn get_or_compute<E, F, Fut>(&self, key: K, compute: F) -> Result<Served<V>, E>
    where
        E: Debug + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
    {
        if self.is_off() {
            return served(compute().await, How::Computed);
        }
        match self.slot(&key) {
            Slot::Kept(value) => Ok(Served {
                value,
                how: How::Kept,
            }),
            Slot::Refresh(value) => {
                self.refresh(key, compute);
                Ok(Served {
                    value,
                    how: How::Refreshing,
                })
            }
            Slot::Compute(computing) => {
                let seen = self.changes.current();
                let result = compute().await;
                if let Ok(value) = &result {
                    self.put(key, value.clone(), seen);
                }
                drop(computing);
                served(result, How::Computed)
            }
            Slot::Wait(mut done) => {
                // Resolves when that computation ends, whatever its outcome.
                let _ = tokio::time::timeout(WAIT_LIMIT, done.changed()).await;
                if let Some(value) = self.fresh(&key) {
                    return Ok(Served {
                        value,
                        how: How::Kept,
                    });
                }
                // It failed, gave nothing to keep, or took too long: work it out here.
                let seen = self.changes.current();
                let result = compute().await;
                if let Ok(value) = &result {
                    self.put(key, value.clone(), seen);
                }
                served(result, How::Computed)
            }
        }
    }

    fn slot(&self, key: &K) -> Slot<K, V> {
        let mut state = lock(&self.state);
        let now = self.changes.current();
        if let Some(kept) = state.kept.get_mut(key).filter(|kept| kept.seen == now) {
            match self.life.age(kept.stored, Instant::now()) {
                Age::Fresh => return Slot::Kept(kept.value.clone()),
                Age::RefreshAhead if kept.refreshing => return Slot::Kept(kept.value.clone()),
                Age::RefreshAhead => {
                    kept.refreshing = true;
                    return Slot::Refresh(kept.value.clone());
                }
                Age::Expired => {}
            }
        }
        if let Some(done) = state
            .computing
            .get(key)
            .filter(|rx| rx.has_changed().is_ok())
        {
            return Slot::Wait(done.clone());
        }
        let (done, waiters) = watch::channel(());
        state.computing.insert(key.clone(), waiters);
        Slot::Compute(Computing {
            key: key.clone(),
            done: Some(done),
            state: self.state.clone(),
        })
    }

    /// The kept value for `key`, if it may still be served.
    fn fresh(&self, key: &K) -> Option<V> {
        let state = lock(&self.state);
        let kept = state.kept.get(key)?;
        (kept.seen == self.changes.current()
            && self.life.age(kept.stored, Instant::now()) != Age::Expired)
            .then(|| kept.value.clone())
    }

    /// Keeps `value`, worked out from what stood when the count of changes was `seen`
    /// (unless something changed since).
    fn put(&self, key: K, value: V, seen: u64) {
        put(
            &self.state,
            (self.life, self.capacity, &self.changes),
            key,
            value,
            seen,
        );
    }

    /// Works the value for `key` out again in the background; the kept one is served
    /// meanwhile. A failure is logged, and the next request in the last quarter tries
    /// again.
    fn refresh<E, F, Fut>(&self, key: K, compute: F)
    where
        E: Debug + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
    {
        let (state, life, capacity) = (self.state.clone(), self.life, self.capacity);
        let changes = self.changes.clone();
        let seen = changes.current();
        tokio::spawn(async move {
            match tokio::time::timeout(BACKGROUND_LIMIT, compute()).await {
                Ok(Ok(value)) => put(&state, (life, capacity, &changes), key, value, seen),
                failed => {
                    match failed {
                        Ok(Err(error)) => tracing::warn!(?key, ?error, "could not refresh"),
                        _ => tracing::warn!(?key, "took too long to refresh"),
                    }
                    if let Some(kept) = lock(&state).kept.get_mut(&key) {
                        kept.refreshing = false;
                    }
                }
            }
        });
    }

    /// Ages the value kept for `key` by `by`, as if it had been stored that much earlier.
    #[cfg(any(test, feature = "test-support"))]
    pub fn backdate(&self, key: &K, by: Duration) {
        if let Some(kept) = lock(&self.state).kept.get_mut(key) {
            kept.stored -= by;
        }
    }
}

/// Runs `n` copies of `task` at once (each given its number, from 0) and gives their
/// outputs in order: for tests of what concurrent requests share.
#[cfg(any(test, feature = "test-support"))]
pub async fn at_once<T, F, Fut>(n: usize, task: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    let mut outputs = Vec::with_capacity(n);
    for joined in tasks {
        match joined.await {
            Ok(output) => outputs.push(output),
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    outputs
}

fn served<V, E>(result: Result<V, E>, how: How) -> Result<Served<V>, E> {
    result.map(|value| Served { value, how })
}

fn put<K: Eq + Hash + Clone, V>(
    state: &Mutex<State<K, V>>,
    (life, capacity, changes): (Lifetime, usize, &Changes),
    key: K,
    value: V,
    seen: u64,
) {
    let mut state = lock(state);
    // Checked under the lock: a change reported after this is seen by every reader.
    let current = changes.current();
    if seen != current {
        // Worked out from what has changed since: not worth keeping.
        state.kept.remove(&key);
        return;
    }
    let now = Instant::now();
    if state.kept.len() >= capacity {
        state
            .kept
            .retain(|_, kept| kept.seen == current && life.age(kept.stored, now) != Age::Expired);
        if state.kept.len() >= capacity {
            // Still full of live values: the quarter stored longest ago goes (at least
            // one). A value asked for in the last quarter of its life is stored again
            // by its refresh, so a burst of one-off keys pushes out other one-off keys
            // first, rather than emptying the whole cache.
            let mut by_age: Vec<(Instant, K)> = state
                .kept
                .iter()
                .map(|(key, kept)| (kept.stored, key.clone()))
                .collect();
            by_age.sort_unstable_by_key(|(stored, _)| *stored);
            let cut = (by_age.len() / 4).max(1);
            for (_, key) in by_age.into_iter().take(cut) {
                state.kept.remove(&key);
            }
        }
    }
    state.kept.insert(
        key,
        Kept {
            stored: now,
            seen,
            value,
            refreshing: false,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    type Computation = std::pin::Pin<Box<dyn Future<Output = Result<u32, String>> + Send>>;

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

    /// Counts its computations; each gives the number of the computation, after `slow`.
    fn counter(slow: Duration) -> (Arc<AtomicU32>, impl Fn() -> Computation + Clone) {
        let n = Arc::new(AtomicU32::new(0));
        let m = n.clone();
        let compute = move || {
            let m = m.clone();
            Box::pin(async move {
                let n = m.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(slow).await;
                Ok(n)
            }) as Computation
        };
        (n, compute)
    }

    async fn get<F, Fut>(cache: &Cache<&'static str, u32>, compute: F) -> (u32, How)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<u32, String>> + Send + 'static,
    {
        let served = cache.get_or_compute("k", compute).await.expect("value");
        (served.value, served.how)
    }

    #[tokio::test]
    async fn a_reported_change_retires_what_was_worked_out_before_it() {
        let changes = Changes::new();
        let cache = Cache::new(Duration::from_secs(60), 10).watching(changes.clone());
        let (_, compute) = counter(Duration::ZERO);
        assert_eq!(get(&cache, compute.clone()).await, (1, How::Computed));
        assert_eq!(get(&cache, compute.clone()).await, (1, How::Kept));
        changes.report();
        assert_eq!(get(&cache, compute.clone()).await, (2, How::Computed));
        assert_eq!(get(&cache, compute.clone()).await, (2, How::Kept));

        // A computation under way when the change comes is served to its request but
        // not kept: it may have read what stood before.
        let (_, slow) = counter(Duration::from_millis(200));
        let other: Cache<&'static str, u32> =
            Cache::new(Duration::from_secs(60), 10).watching(changes.clone());
        let under_way = {
            let slow = slow.clone();
            async move {
                other
                    .get_or_compute("k", slow)
                    .await
                    .map(|s| (s.value, other))
            }
        };
        let reporter = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            changes.report();
        };
        let (result, ()) = tokio::join!(under_way, reporter);
        let (value, other) = result.expect("value");
        assert_eq!(value, 1);
        assert_eq!(get(&other, slow).await, (2, How::Computed), "not kept");
    }

    #[tokio::test]
    async fn a_value_near_its_end_is_worked_out_again_in_the_background_once() {
        let cache = Cache::new(Duration::from_secs(8), 10);
        let (computed, compute) = counter(Duration::ZERO);
        assert_eq!(get(&cache, compute.clone()).await, (1, How::Computed));
        assert_eq!(get(&cache, compute.clone()).await, (1, How::Kept), "kept");

        // Into its last quarter: served as it is, refreshed once behind the scenes.
        cache.backdate(&"k", Duration::from_secs(7));
        assert_eq!(get(&cache, compute.clone()).await, (1, How::Refreshing));
        assert_eq!(get(&cache, compute.clone()).await.0, 1);
        for _ in 0..500 {
            if get(&cache, compute.clone()).await.0 == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(get(&cache, compute.clone()).await, (2, How::Kept));
        assert_eq!(computed.load(Ordering::SeqCst), 2, "once, not per request");

        // Expired: worked out on the request's path.
        cache.backdate(&"k", Duration::from_secs(9));
        assert_eq!(get(&cache, compute.clone()).await, (3, How::Computed));
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_old_value_until_it_expires() {
        let cache = Cache::new(Duration::from_secs(8), 10);
        assert_eq!(get(&cache, || async { Ok(1) }).await.0, 1);
        cache.backdate(&"k", Duration::from_secs(7));
        let failing = || async { Err::<u32, _>("database down".to_owned()) };
        assert_eq!(get(&cache, failing).await.0, 1, "the old value");
        for _ in 0..500 {
            if lock(&cache.state)
                .kept
                .get("k")
                .is_some_and(|e| !e.refreshing)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The next request in the last quarter tries again.
        assert_eq!(get(&cache, || async { Ok(2) }).await, (1, How::Refreshing));
    }

    /// `n` requests for the same key at once.
    async fn together<F>(
        cache: &Arc<Cache<&'static str, u32>>,
        n: usize,
        compute: F,
    ) -> Vec<Result<u32, String>>
    where
        F: Fn() -> Computation + Clone + Send + 'static,
    {
        at_once(n, |_| {
            let (cache, compute) = (cache.clone(), compute.clone());
            async move { cache.get_or_compute("k", compute).await.map(|s| s.value) }
        })
        .await
    }

    #[tokio::test]
    async fn requests_for_a_value_being_worked_out_wait_for_that_one_computation() {
        let cache = Arc::new(Cache::new(Duration::from_secs(60), 10));
        let (computed, compute) = counter(Duration::from_millis(50));
        let answers = together(&cache, 8, compute).await;
        assert_eq!(computed.load(Ordering::SeqCst), 1, "{answers:?}");
        assert!(answers.iter().all(|a| a == &Ok(1)), "{answers:?}");
    }

    #[tokio::test]
    async fn when_the_awaited_computation_fails_each_waiter_works_out_its_own() {
        let cache = Arc::new(Cache::new(Duration::from_secs(60), 10));
        let tried = Arc::new(AtomicU32::new(0));
        let counted = tried.clone();
        let failing = move || {
            let counted = counted.clone();
            Box::pin(async move {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err::<u32, _>("not found".to_owned())
            }) as Computation
        };
        let answers = together(&cache, 4, failing).await;
        assert_eq!(tried.load(Ordering::SeqCst), 4, "{answers:?}");
        assert!(answers.iter().all(|a| a.is_err()));
    }

    #[tokio::test]
    async fn a_full_cache_makes_room_and_an_off_cache_keeps_nothing() {
        let cache = Cache::new(Duration::from_secs(60), 2);
        for key in ["a", "b", "c"] {
            let _ = cache
                .get_or_compute(key, || async { Ok::<_, String>(1) })
                .await;
        }
        assert!(lock(&cache.state).kept.len() <= 2);
        assert!(cache.fresh(&"c").is_some(), "the newest is kept");

        // Full of live values, only the oldest quarter goes: the rest stays.
        let cache = Cache::new(Duration::from_secs(60), 8);
        for key in 0..8 {
            let _ = cache
                .get_or_compute(key, move || async move { Ok::<_, String>(key) })
                .await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let _ = cache
            .get_or_compute(8, || async { Ok::<_, String>(8) })
            .await;
        assert!(
            cache.fresh(&0).is_none() && cache.fresh(&1).is_none(),
            "the oldest go"
        );
        assert!((2..=8).all(|k| cache.fresh(&k).is_some()), "the rest stay");

        for off in [
            Cache::new(Duration::ZERO, 2),
            Cache::new(Duration::from_secs(60), 0),
        ] {
            assert!(off.is_off());
            let (computed, compute) = counter(Duration::ZERO);
            assert_eq!(get(&off, compute.clone()).await, (1, How::Computed));
            assert_eq!(get(&off, compute).await, (2, How::Computed));
            assert_eq!(computed.load(Ordering::SeqCst), 2);
        }
    }
}
