//! Whole catalog pages kept for a few seconds, for visitors without a session.
//!
//! A visitor with no session cookie has no cart, no account and no flash message, so
//! the home page, a category, a product or a search renders the same for all of them:
//! the first one's page is served to the others for `MERCATO_PAGE_CACHE_SECS` (stock
//! and prices shown may be that old; adding to the cart always checks them afresh).
//! Anyone with a session (a cart, a sign-in) gets a page rendered for them. Only `200`
//! HTML answers that set no cookie are kept.
//!
//! When a page expires, the next request renders it again while the others are still
//! served the expired copy (for at most another `ttl`): otherwise every connection
//! would miss at once and render the same slow page together.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A page larger than this is not kept (catalog pages are tens of kilobytes).
const MAX_PAGE_BYTES: usize = 2 << 20;

#[derive(Debug)]
pub struct PageCache {
    ttl: Duration,
    max_entries: usize,
    pages: Mutex<HashMap<String, Page>>,
}

#[derive(Debug, Clone)]
struct Page {
    stored: Instant,
    headers: HeaderMap,
    body: Bytes,
    /// A request is rendering this page again.
    refreshing: bool,
}

/// What the cache has for a request.
#[derive(Debug)]
enum Lookup {
    /// Serve this.
    Hit(Page),
    /// Render the page (and keep it): nothing usable is kept, or it expired and this
    /// request is the one to render it again.
    Render,
}

impl PageCache {
    /// Keeps up to `max_entries` pages for `ttl` each; a zero `ttl` keeps nothing.
    pub fn new(ttl: Duration, max_entries: usize) -> Arc<PageCache> {
        Arc::new(PageCache {
            ttl,
            max_entries,
            pages: Mutex::new(HashMap::new()),
        })
    }

    fn lookup(&self, key: &str) -> Lookup {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        let Some(page) = pages.get_mut(key) else {
            return Lookup::Render;
        };
        let age = page.stored.elapsed();
        if age < self.ttl || (page.refreshing && age < self.ttl * 2) {
            Lookup::Hit(page.clone())
        } else {
            page.refreshing = true;
            Lookup::Render
        }
    }

    /// The render that was to refresh `key` gave nothing to keep: the next one tries.
    fn refresh_failed(&self, key: &str) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(page) = pages.get_mut(key) {
            page.refreshing = false;
        }
    }

    fn put(&self, key: String, page: Page) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= self.max_entries {
            pages.retain(|_, p| p.stored.elapsed() < self.ttl * 2);
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
    if cache.ttl.is_zero() || !cacheable_request(req.method(), req.uri().path(), req.headers()) {
        return next.run(req).await;
    }
    let key = req.uri().to_string();
    if let Lookup::Hit(page) = cache.lookup(&key) {
        let mut res = Response::new(Body::from(page.body));
        *res.headers_mut() = page.headers;
        return res;
    }
    let res = next.run(req).await;
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
    use axum::http::HeaderValue;

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
    fn an_expired_page_is_rendered_by_one_request_while_the_others_get_it_as_it_was() {
        let ttl = Duration::from_secs(10);
        let cache = PageCache::new(ttl, 10);
        assert!(matches!(cache.lookup("/a"), Lookup::Render));
        cache.put("/a".into(), page(Duration::ZERO));
        assert!(matches!(cache.lookup("/a"), Lookup::Hit(_)));

        cache.put("/b".into(), page(Duration::from_secs(11)));
        assert!(
            matches!(cache.lookup("/b"), Lookup::Render),
            "the first renders"
        );
        assert!(
            matches!(cache.lookup("/b"), Lookup::Hit(_)),
            "the next get the old one"
        );
        cache.refresh_failed("/b");
        assert!(
            matches!(cache.lookup("/b"), Lookup::Render),
            "after a failure, another tries"
        );

        // Too old to serve even while it is being rendered again.
        let mut old = page(Duration::from_secs(21));
        old.refreshing = true;
        cache.put("/c".into(), old);
        assert!(matches!(cache.lookup("/c"), Lookup::Render));
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
        assert!(matches!(never.lookup("/a"), Lookup::Render));
    }
}
