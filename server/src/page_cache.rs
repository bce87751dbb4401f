//! Whole catalog pages kept for a few seconds, for visitors without a session.
//!
//! A visitor with no session cookie has no cart, no account and no flash message, so
//! the home page, a category, a product or a search renders the same for all of them:
//! the first one's page is served to the others for `MERCATO_PAGE_CACHE_SECS` (stock
//! and prices shown may be that old; adding to the cart always checks them afresh).
//! Anyone with a session (a cart, a sign-in) gets a page rendered for them. Only `200`
//! HTML answers that set no cookie are kept.
//!
//! A page still asked for in the last quarter of its lifetime is rendered again in the
//! background while it is served as it is (see [`mercato::freshness`]): a popular page
//! is never rendered on a shopper's request, and connections never all miss at once. A
//! page nobody asked for during that quarter is rendered by the next request; no page
//! older than `MERCATO_PAGE_CACHE_SECS` is served. While a page nobody has (or whose
//! copy expired) is being rendered, the other requests for it wait for that one render
//! instead of each rendering it.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mercato::freshness::{Age, Lifetime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A page larger than this is not kept (catalog pages are tens of kilobytes).
const MAX_PAGE_BYTES: usize = 2 << 20;

#[derive(Debug)]
pub struct PageCache {
    life: Lifetime,
    max_entries: usize,
    pages: Mutex<HashMap<String, Page>>,
    /// Pages being rendered on a request's path, each with what its waiters wait on.
    rendering: Arc<Mutex<HashMap<String, watch::Receiver<()>>>>,
}

#[derive(Debug, Clone)]
struct Page {
    stored: Instant,
    headers: HeaderMap,
    body: Bytes,
    /// A background task is rendering this page again.
    refreshing: bool,
}

/// What the cache has for a request.
#[derive(Debug)]
enum Lookup {
    /// Serve this.
    Hit(Page),
    /// Serve this, and render the page again in the background.
    HitAndRefresh(Page),
    /// Render the page for this request (and keep it): nothing usable is kept. Others
    /// asking meanwhile wait until the guard is dropped.
    Render(Rendering),
    /// Another request is rendering the page: wait for it, then look again.
    Wait(watch::Receiver<()>),
}

/// A request rendering a page others may be waiting for; dropping it (the page kept,
/// refused, or the request cancelled) lets them go on.
#[derive(Debug)]
struct Rendering {
    key: String,
    done: Option<watch::Sender<()>>,
    rendering: Arc<Mutex<HashMap<String, watch::Receiver<()>>>>,
}

impl Drop for Rendering {
    fn drop(&mut self) {
        drop(self.done.take());
        let mut rendering = lock(&self.rendering);
        // Only this render's entry: a newer one may have replaced it.
        if rendering
            .get(&self.key)
            .is_some_and(|rx| rx.has_changed().is_err())
        {
            rendering.remove(&self.key);
        }
    }
}

/// A panic while holding the lock leaves a map of plain values: still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl PageCache {
    /// Keeps up to `max_entries` pages for `ttl` each; a zero `ttl` keeps nothing.
    pub fn new(ttl: Duration, max_entries: usize) -> Arc<PageCache> {
        Arc::new(PageCache {
            life: Lifetime::new(ttl),
            max_entries,
            pages: Mutex::new(HashMap::new()),
            rendering: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    fn lookup(&self, key: &str) -> Lookup {
        if let Some(page) = lock(&self.pages).get_mut(key) {
            match self.life.age(page.stored, Instant::now()) {
                Age::Fresh => return Lookup::Hit(page.clone()),
                Age::RefreshAhead if page.refreshing => return Lookup::Hit(page.clone()),
                Age::RefreshAhead => {
                    page.refreshing = true;
                    return Lookup::HitAndRefresh(page.clone());
                }
                Age::Expired => {}
            }
        }
        let mut rendering = lock(&self.rendering);
        if let Some(rx) = rendering.get(key).filter(|rx| rx.has_changed().is_ok()) {
            return Lookup::Wait(rx.clone());
        }
        let (done, rx) = watch::channel(());
        rendering.insert(key.to_owned(), rx);
        Lookup::Render(Rendering {
            key: key.to_owned(),
            done: Some(done),
            rendering: self.rendering.clone(),
        })
    }

    /// The page kept for `key`, if it may still be served.
    fn fresh(&self, key: &str) -> Option<Page> {
        let pages = lock(&self.pages);
        let page = pages.get(key)?;
        (self.life.age(page.stored, Instant::now()) != Age::Expired).then(|| page.clone())
    }

    /// The render that was to refresh `key` gave nothing to keep: the next one tries.
    fn refresh_failed(&self, key: &str) {
        if let Some(page) = lock(&self.pages).get_mut(key) {
            page.refreshing = false;
        }
    }

    fn put(&self, key: String, page: Page) {
        let mut pages = lock(&self.pages);
        if pages.len() >= self.max_entries {
            let now = Instant::now();
            pages.retain(|_, p| self.life.age(p.stored, now) != Age::Expired);
            if pages.len() >= self.max_entries {
                // Still full of fresh pages: start over rather than track recency.
                pages.clear();
            }
        }
        pages.insert(key, page);
    }
}

/// Middleware: answers cacheable requests from the cache, and keeps cacheable answers.
pub async fn serve(State(cache): State<Arc<PageCache>>, req: Request, next: Next) -> Response {
    if cache.life.is_zero() || !cacheable_request(req.method(), req.uri().path(), req.headers()) {
        return next.run(req).await;
    }
    let key = req.uri().to_string();
    match cache.lookup(&key) {
        Lookup::Hit(page) => page.into_response(HIT),
        Lookup::HitAndRefresh(page) => {
            tokio::spawn(async move {
                let render = tokio::time::timeout(BACKGROUND_RENDER_LIMIT, next.run(req));
                match render.await {
                    Ok(res) => {
                        keep(&cache, key, res).await;
                    }
                    Err(_) => {
                        cache.refresh_failed(&key);
                        tracing::warn!(page = %key, "a page took too long to render again");
                    }
                }
            });
            page.into_response(REFRESH)
        }
        Lookup::Render(rendering) => {
            let mut res = keep(&cache, key, next.run(req).await).await;
            drop(rendering);
            res.headers_mut().insert(X_PAGE_CACHE, MISS);
            res
        }
        Lookup::Wait(mut rendered) => {
            // Resolves when the render ends, whatever its outcome.
            let _ = tokio::time::timeout(WAIT_FOR_RENDER_LIMIT, rendered.changed()).await;
            if let Some(page) = cache.fresh(&key) {
                return page.into_response(HIT);
            }
            // That render gave nothing to keep (a 404, say) or took too long: this
            // request renders its own answer.
            let mut res = next.run(req).await;
            res.headers_mut().insert(X_PAGE_CACHE, MISS);
            res
        }
    }
}

/// How long a request waits for another's render of the same page before rendering it
/// itself.
const WAIT_FOR_RENDER_LIMIT: Duration = Duration::from_secs(5);

/// Says how a catalog page was answered: `hit` (kept), `refresh` (kept, and being
/// rendered again) or `miss` (rendered for this request). For operators and tests.
pub const X_PAGE_CACHE: HeaderName = HeaderName::from_static("x-page-cache");
const HIT: HeaderValue = HeaderValue::from_static("hit");
const REFRESH: HeaderValue = HeaderValue::from_static("refresh");
const MISS: HeaderValue = HeaderValue::from_static("miss");

/// How long a page rendered in the background may take (no request timeout covers it).
const BACKGROUND_RENDER_LIMIT: Duration = Duration::from_secs(30);

impl Page {
    fn into_response(self, how: HeaderValue) -> Response {
        let mut res = Response::new(Body::from(self.body));
        *res.headers_mut() = self.headers;
        res.headers_mut().insert(X_PAGE_CACHE, how);
        res
    }
}

/// Keeps `res` as the page for `key` if it may be kept, and gives it back.
async fn keep(cache: &PageCache, key: String, res: Response) -> Response {
    if !cacheable_response(res.status(), res.headers()) {
        cache.refresh_failed(&key);
        return res;
    }
    let (parts, body) = res.into_parts();
    match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => {
            cache.put(
                key,
                Page {
                    stored: Instant::now(),
                    headers: parts.headers.clone(),
                    body: bytes.clone(),
                    refreshing: false,
                },
            );
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(error) => {
            cache.refresh_failed(&key);
            tracing::warn!(%error, "a page could not be read whole");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The page could not be built just now. Please reload it.",
            )
                .into_response()
        }
    }
}

/// Catalog pages, asked for by someone without a session.
fn cacheable_request(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    let catalog =
        path == "/" || path.starts_with("/c/") || path.starts_with("/p/") || path == "/search";
    let has_session = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("mercato_session="));
    *method == Method::GET && catalog && !has_session
}

fn cacheable_response(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::OK
        && !headers.contains_key(SET_COOKIE)
        && headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_catalog_pages_without_a_session_are_kept() {
        let none = HeaderMap::new();
        let mut session = HeaderMap::new();
        session.insert(COOKIE, HeaderValue::from_static("a=1; mercato_session=xyz"));
        let mut other_cookie = HeaderMap::new();
        other_cookie.insert(COOKIE, HeaderValue::from_static("theme=dark"));
        for path in ["/", "/c/clothing", "/p/harbor-fleece-hoodie", "/search"] {
            assert!(cacheable_request(&Method::GET, path, &none), "{path}");
            assert!(
                cacheable_request(&Method::GET, path, &other_cookie),
                "{path}"
            );
            assert!(!cacheable_request(&Method::GET, path, &session), "{path}");
            assert!(!cacheable_request(&Method::POST, path, &none), "{path}");
        }
        for path in [
            "/cart",
            "/account",
            "/checkout/review",
            "/orders/10001",
            "/api/cart/add",
            "/admin",
            "/searching",
        ] {
            assert!(!cacheable_request(&Method::GET, path, &none), "{path}");
        }
    }

    #[test]
    fn only_plain_successful_html_is_kept() {
        let mut html = HeaderMap::new();
        html.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        assert!(cacheable_response(StatusCode::OK, &html));
        assert!(!cacheable_response(StatusCode::NOT_FOUND, &html));
        assert!(!cacheable_response(StatusCode::SERVICE_UNAVAILABLE, &html));
        let mut with_cookie = html.clone();
        with_cookie.insert(SET_COOKIE, HeaderValue::from_static("mercato_session=1"));
        assert!(!cacheable_response(StatusCode::OK, &with_cookie));
        let mut json = HeaderMap::new();
        json.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        assert!(!cacheable_response(StatusCode::OK, &json));
    }

    fn page(age: Duration) -> Page {
        Page {
            stored: Instant::now() - age,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"<html>"),
            refreshing: false,
        }
    }

    #[test]
    fn a_page_near_its_end_is_rendered_again_once_in_the_background_while_it_is_served() {
        let cache = PageCache::new(Duration::from_secs(8), 10);
        assert!(matches!(cache.lookup("/a"), Lookup::Render(_)));
        cache.put("/a".into(), page(Duration::ZERO));
        assert!(matches!(cache.lookup("/a"), Lookup::Hit(_)));

        // In its last quarter: the first request starts one refresh, all are served.
        cache.put("/b".into(), page(Duration::from_secs(7)));
        assert!(
            matches!(cache.lookup("/b"), Lookup::HitAndRefresh(_)),
            "the first starts the refresh"
        );
        assert!(
            matches!(cache.lookup("/b"), Lookup::Hit(_)),
            "the next are served while it runs"
        );
        cache.refresh_failed("/b");
        assert!(
            matches!(cache.lookup("/b"), Lookup::HitAndRefresh(_)),
            "after a failure, another tries"
        );

        // Too old to serve, even while it is being rendered again.
        let mut old = page(Duration::from_secs(9));
        old.refreshing = true;
        cache.put("/c".into(), old);
        assert!(matches!(cache.lookup("/c"), Lookup::Render(_)));
    }

    #[test]
    fn a_full_cache_makes_room_and_a_zero_ttl_keeps_nothing() {
        let cache = PageCache::new(Duration::from_secs(60), 2);
        cache.put("/a".into(), page(Duration::ZERO));
        cache.put("/b".into(), page(Duration::ZERO));
        cache.put("/c".into(), page(Duration::ZERO));
        assert!(matches!(cache.lookup("/c"), Lookup::Hit(_)));
        assert!(cache.pages.lock().map(|p| p.len() <= 2).unwrap_or(false));
        let never = PageCache::new(Duration::ZERO, 2);
        never.put("/a".into(), page(Duration::ZERO));
        assert!(matches!(never.lookup("/a"), Lookup::Render(_)));
    }

    /// A router whose one page says how many times it was rendered, behind `cache`;
    /// each render answers `status` after `slow`.
    fn counting_app(
        cache: Arc<PageCache>,
        status: StatusCode,
        slow: Duration,
    ) -> (axum::Router, Arc<std::sync::atomic::AtomicU32>) {
        use std::sync::atomic::{AtomicU32, Ordering};
        let renders = Arc::new(AtomicU32::new(0));
        let counter = renders.clone();
        let app = axum::Router::new()
            .route(
                "/c/a",
                axum::routing::get(move || {
                    let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    async move {
                        tokio::time::sleep(slow).await;
                        (status, axum::response::Html(format!("render {n}")))
                    }
                }),
            )
            .layer(axum::middleware::from_fn_with_state(cache, serve));
        (app, renders)
    }

    /// `n` requests at once.
    async fn together(app: &axum::Router, n: usize) -> Vec<(String, String)> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let app = app.clone();
                tokio::spawn(async move { get(&app).await })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("request"));
        }
        answers
    }

    #[tokio::test]
    async fn requests_for_a_page_being_rendered_wait_for_that_render() {
        use std::sync::atomic::Ordering;
        let cache = PageCache::new(Duration::from_secs(60), 10);
        let (app, renders) = counting_app(cache, StatusCode::OK, Duration::from_millis(50));
        let answers = together(&app, 8).await;
        assert_eq!(renders.load(Ordering::SeqCst), 1, "{answers:?}");
        assert!(answers.iter().all(|(_, body)| body == "render 1"));
        assert_eq!(answers.iter().filter(|(how, _)| how == "miss").count(), 1);
    }

    #[tokio::test]
    async fn when_the_awaited_render_gives_nothing_to_keep_each_request_renders_its_own() {
        use std::sync::atomic::Ordering;
        let cache = PageCache::new(Duration::from_secs(60), 10);
        let (app, renders) = counting_app(cache, StatusCode::NOT_FOUND, Duration::from_millis(50));
        let answers = together(&app, 4).await;
        assert_eq!(renders.load(Ordering::SeqCst), 4, "{answers:?}");
        assert!(answers.iter().all(|(how, _)| how == "miss"));
    }

    async fn get(app: &axum::Router) -> (String, String) {
        use tower::ServiceExt;
        let req = Request::get("/c/a").body(Body::empty()).expect("request");
        let res = app
            .clone()
            .oneshot(req)
            .await
            .unwrap_or_else(|e| match e {});
        let how = res.headers()[X_PAGE_CACHE]
            .to_str()
            .expect("ascii")
            .to_owned();
        let body = axum::body::to_bytes(res.into_body(), 1024)
            .await
            .expect("body");
        (how, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_background_render_replaces_the_page_without_a_request_waiting_for_it() {
        use std::sync::atomic::Ordering;
        let cache = PageCache::new(Duration::from_secs(8), 10);
        let (app, renders) = counting_app(cache.clone(), StatusCode::OK, Duration::ZERO);
        assert_eq!(get(&app).await, ("miss".into(), "render 1".into()));
        assert_eq!(get(&app).await, ("hit".into(), "render 1".into()));

        // Age the kept page into its last quarter.
        if let Ok(mut pages) = cache.pages.lock() {
            if let Some(page) = pages.get_mut("/c/a") {
                page.stored -= Duration::from_secs(7);
            }
        }
        assert_eq!(get(&app).await, ("refresh".into(), "render 1".into()));
        for _ in 0..500 {
            if renders.load(Ordering::SeqCst) == 2 && get(&app).await.1 == "render 2" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(get(&app).await, ("hit".into(), "render 2".into()));
        assert_eq!(
            renders.load(Ordering::SeqCst),
            2,
            "rendered once more, not per request"
        );
    }
}
