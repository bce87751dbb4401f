//! Whole catalog pages kept for a few seconds, shared by the shoppers they look the same
//! for.
//!
//! The home page, a category, a product or a search renders the same for every visitor
//! without a session, and for every shopper whose header would read the same: signed
//! in or not, and as many items in the cart (`app::session::SharedPage`; the rest of
//! these pages is nobody's own). The first one's page is served to the others for
//! `MERCATO_PAGE_CACHE_SECS` (stock and prices shown may be that old; adding to the
//! cart, the cart page and the checkout always check them afresh). Every session is
//! still checked on every request before a page is chosen for it; which sessions get a
//! page rendered for them alone (one the check ends, a message waiting, a large cart)
//! is `app::session::shared_page`'s to say. Only `200` HTML answers that set no cookie
//! are kept.
//!
//! A staff change to the catalog retires every kept page at once (`catalog_changes`,
//! reported by the back office's writes): what staff change shows on the next request.
//!
//! The pages are a [`mercato::cache::Cache`]: a popular page is rendered again in the
//! background before it expires, never on a shopper's request, and requests for a page
//! being rendered wait for that one render instead of each rendering it.

use app::state::CspNonce;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mercato::cache::{Cache, How, Served};
use std::sync::Arc;
use std::time::Duration;

/// A page larger than this is not kept (catalog pages are tens of kilobytes).
const MAX_PAGE_BYTES: usize = 2 << 20;

/// Rendered pages by variant and URL.
#[derive(Debug)]
pub struct PageCache {
    pages: Cache<String, Page>,
    /// For the session check and the size of a shopper's cart.
    pool: sqlx::PgPool,
    /// The longest a staff member's sign-in lasts (the session check ends older ones).
    staff_session: Duration,
}

#[derive(Debug, Clone)]
struct Page {
    headers: HeaderMap,
    body: Bytes,
    /// The CSP nonce the page was rendered with: each later response gets its own in
    /// its place, so nobody learns a nonce that a page served to someone else uses.
    nonce: Option<CspNonce>,
}

impl PageCache {
    /// Keeps up to `max_entries` pages for `ttl` each; a zero `ttl` keeps nothing.
    pub fn new(
        ttl: Duration,
        max_entries: usize,
        pool: sqlx::PgPool,
        staff_session: Duration,
        catalog_changes: mercato::cache::Changes,
    ) -> Arc<PageCache> {
        Arc::new(PageCache {
            pages: Cache::new(ttl, max_entries).watching(catalog_changes),
            pool,
            staff_session,
        })
    }
}

/// Middleware (inside the session layer): answers cacheable requests from the cache,
/// and keeps cacheable answers.
pub async fn serve(State(cache): State<Arc<PageCache>>, req: Request, next: Next) -> Response {
    if cache.pages.is_off() || !cacheable_request(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let mut req = req;
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    // Whether the session layer found a session id in the request (however its cookie
    // was spelled), not a reading of the header of our own.
    let check = req.extensions().get::<app::session::Check>().cloned();
    let (shared, variant) = match (session.as_ref(), check) {
        (Some(session), Some(check)) if session.id().is_some() => {
            match app::session::shared_page(session, &check, &cache.pool, cache.staff_session).await
            {
                Ok(Some(shared)) => (shared, shared.variant()),
                // Theirs alone, or unknown (the database is down: the render says so).
                Ok(None) | Err(_) => return next.run(req).await,
            }
        }
        (Some(session), None) if session.id().is_some() => {
            tracing::error!("a session reached the page cache without the session check");
            return next.run(req).await;
        }
        // The same page as a guest's with an empty cart.
        _ => (
            app::session::SharedPage::NO_SESSION,
            app::session::SharedPage::NO_SESSION.variant(),
        ),
    };
    // A kept page never reads a session: its header shows these facts.
    req.extensions_mut().insert(shared);
    let key = page_key(&variant, &req.uri().to_string());
    let nonce = req.extensions().get::<CspNonce>().cloned();
    let render = {
        let nonce = nonce.clone();
        move || async move {
            let res = next.run(req).await;
            // A render that changed the session (the session layer adds its cookie
            // later, outside this one) was that shopper's own.
            if session
                .as_ref()
                .is_some_and(tower_sessions::Session::is_modified)
            {
                return Err(res);
            }
            page_in(res, nonce).await
        }
    };
    match cache.pages.get_or_compute(key, render).await {
        Ok(Served { value: page, how }) => {
            let body = match (&page.nonce, &nonce) {
                (Some(CspNonce(then)), Some(CspNonce(now))) if then != now => {
                    replace_all(&page.body, then.as_bytes(), now.as_bytes())
                }
                _ => page.body,
            };
            let mut res = Response::new(Body::from(body));
            *res.headers_mut() = page.headers;
            let how = match how {
                How::Kept => HIT,
                How::Refreshing => REFRESH,
                How::Computed => MISS,
            };
            res.headers_mut().insert(X_PAGE_CACHE, how);
            res
        }
        Err(mut res) => {
            res.headers_mut().insert(X_PAGE_CACHE, MISS);
            res
        }
    }
}

/// A kept page's key: the variant (empty without a session) and the URL. No URL holds
/// a space, so no two keys meet.
fn page_key(variant: &str, uri: &str) -> String {
    format!("{variant} {uri}")
}

/// Says how a catalog page was answered: `hit` (kept), `refresh` (kept, and being
/// rendered again) or `miss` (rendered for this request). For operators and tests.
pub const X_PAGE_CACHE: HeaderName = HeaderName::from_static("x-page-cache");
const HIT: HeaderValue = HeaderValue::from_static("hit");
const REFRESH: HeaderValue = HeaderValue::from_static("refresh");
const MISS: HeaderValue = HeaderValue::from_static("miss");

/// `body` with every `from` replaced by `to`.
fn replace_all(body: &Bytes, from: &[u8], to: &[u8]) -> Bytes {
    let finder = memchr::memmem::Finder::new(from);
    let mut out = Vec::with_capacity(body.len());
    let mut rest = &body[..];
    while let Some(at) = finder.find(rest) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    Bytes::from(out)
}

/// The page `res` carries, if it may be kept; otherwise the answer to give instead.
async fn page_in(res: Response, nonce: Option<CspNonce>) -> Result<Page, Response> {
    if !cacheable_response(res.status(), res.headers()) {
        return Err(res);
    }
    let (parts, body) = res.into_parts();
    match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(body) => Ok(Page {
            headers: parts.headers,
            body,
            nonce,
        }),
        Err(error) => {
            tracing::warn!(%error, "a page could not be read whole");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "The page could not be built just now. Please reload it.",
            )
                .into_response())
        }
    }
}

/// Catalog pages.
fn cacheable_request(method: &Method, path: &str) -> bool {
    let catalog =
        path == "/" || path.starts_with("/c/") || path.starts_with("/p/") || path == "/search";
    *method == Method::GET && catalog
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

    /// A pool that never connects: requests without a session never use it.
    fn unused_pool() -> sqlx::PgPool {
        sqlx::postgres::PgPoolOptions::new()
            .connect_lazy("postgres:///unused")
            .expect("a lazy pool")
    }

    #[test]
    fn a_kept_page_gets_the_nonce_of_the_response_it_is_served_in() {
        let body = Bytes::from_static(b"<script nonce=\"aaaa\">x</script><script nonce=\"aaaa\">");
        assert_eq!(
            replace_all(&body, b"aaaa", b"bbbb"),
            Bytes::from_static(b"<script nonce=\"bbbb\">x</script><script nonce=\"bbbb\">")
        );
        assert_eq!(replace_all(&body, b"zzzz", b"bbbb"), body);
    }

    #[test]
    fn only_catalog_pages_are_kept() {
        for path in ["/", "/c/clothing", "/p/harbor-fleece-hoodie", "/search"] {
            assert!(cacheable_request(&Method::GET, path), "{path}");
            assert!(!cacheable_request(&Method::POST, path), "{path}");
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
            assert!(!cacheable_request(&Method::GET, path), "{path}");
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
        mercato::cache::at_once(n, |_| {
            let app = app.clone();
            async move { get(&app).await }
        })
        .await
    }

    #[tokio::test]
    async fn requests_for_a_page_being_rendered_wait_for_that_render() {
        use std::sync::atomic::Ordering;
        let cache = PageCache::new(
            Duration::from_secs(60),
            10,
            unused_pool(),
            Duration::ZERO,
            Default::default(),
        );
        let (app, renders) = counting_app(cache, StatusCode::OK, Duration::from_millis(50));
        let answers = together(&app, 8).await;
        assert_eq!(renders.load(Ordering::SeqCst), 1, "{answers:?}");
        assert!(answers.iter().all(|(_, body)| body == "render 1"));
        assert_eq!(answers.iter().filter(|(how, _)| how == "miss").count(), 1);
    }

    #[tokio::test]
    async fn when_the_awaited_render_gives_nothing_to_keep_each_request_renders_its_own() {
        use std::sync::atomic::Ordering;
        let cache = PageCache::new(
            Duration::from_secs(60),
            10,
            unused_pool(),
            Duration::ZERO,
            Default::default(),
        );
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
        let cache = PageCache::new(
            Duration::from_secs(8),
            10,
            unused_pool(),
            Duration::ZERO,
            Default::default(),
        );
        let (app, renders) = counting_app(cache.clone(), StatusCode::OK, Duration::ZERO);
        assert_eq!(get(&app).await, ("miss".into(), "render 1".into()));
        assert_eq!(get(&app).await, ("hit".into(), "render 1".into()));

        // Age the kept page into its last quarter.
        cache.pages.backdate(
            &page_key(&app::session::SharedPage::NO_SESSION.variant(), "/c/a"),
            Duration::from_secs(7),
        );
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
