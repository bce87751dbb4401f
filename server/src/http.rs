//! The HTTP stack: Leptos pages and server functions, health checks, static files, and
//! the layers every request passes through.

use crate::origin::{check_origin, OwnOrigin};
use app::state::AppState;
use app::{shell, App};
use axum::extract::{Path, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos_axum::{file_and_error_handler, generate_route_list, LeptosRoutes};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Hashed file names never change content, so browsers may keep them for a year.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// Other static files (favicon, images in `public/`) may change between releases.
const STATIC: HeaderValue = HeaderValue::from_static("public, max-age=3600");
/// Unhashed bundles must be revalidated, or a release would run a stale wasm.
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// How many catalog pages each process keeps for visitors without a session (pages are
/// 30-100 KB: at most about 50 MB).
const PAGE_CACHE_ENTRIES: usize = 500;

/// The whole HTTP stack. `page_cache`: how long a catalog page is served to the next
/// shoppers it looks the same for (zero: never; see `page_cache`).
pub fn router(state: AppState, request_timeout: Duration, page_cache: Duration) -> Router {
    let options = state.leptos_options.clone();
    let hashed = options.hash_files;
    let routes = route_list();
    let secure_cookies = state.public_url.starts_with("https://");
    let own_origin = OwnOrigin::new(&state.public_url);
    let sessions = crate::sessions::layer(state.pool.clone(), secure_cookies);
    let state_pool = state.pool.clone();
    let staff_session = state.staff_session;
    let catalog_changes = state.catalog_changes.clone();
    let policy = crate::security::Policy::new(&state.public_url, state.payments.stripe_urls());
    let sitemaps = Arc::new(crate::sitemap::Sitemaps::new());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/media/art/{file}", get(artwork))
        .route("/media/{file}", get(media))
        .route(
            "/sitemap.xml",
            get({
                let sitemaps = sitemaps.clone();
                move |State(state): State<AppState>| async move { sitemaps.index(&state).await }
            }),
        )
        .route(
            "/sitemaps/{file}",
            get(
                move |State(state): State<AppState>, Path(file): Path<String>| async move {
                    sitemaps.part(&state, &file).await
                },
            ),
        )
        .route(app::admin::EXPORT_PATH, get(export_catalog))
        .route(mercato::orders::staff::EXPORT_PATH, get(export_orders))
        .route(
            mercato::accounts::customers::EXPORT_ROUTE,
            get(export_customer),
        )
        .route("/robots.txt", get(robots))
        .route("/webhooks/stripe", post(stripe_webhook))
        // The bundle, straight from disk: the .br/.gz files a release build writes beside
        // each asset are sent as they are, so nothing is compressed per request.
        .nest_service("/pkg", pkg_files(&options))
        .leptos_routes(&state, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
        // A plain post's error waits in the session for its page, never in a URL.
        .layer(middleware::from_fn(app::form_errors::keep))
        .layer(middleware::from_fn(multipart_only))
        // Inside the session layer, which saves a changed session only when the status
        // is not 5xx: it must see a refused payment's 422, not the 500 every server
        // function error starts as, or what the function changed (a checkout started
        // again) would be lost.
        .layer(middleware::from_fn(server_fn_error_status))
        // Inside the session layer: the shopper's header (signed in? cart size?)
        // picks the shared page.
        .layer(middleware::from_fn_with_state(
            crate::page_cache::PageCache::new(
                page_cache,
                PAGE_CACHE_ENTRIES,
                state_pool,
                staff_session,
                catalog_changes,
            ),
            crate::page_cache::serve,
        ))
        // Every session is checked (password changed since? staff lifetime?) before
        // any page or server function reads it (the page cache included), once per
        // request.
        .layer(middleware::from_fn(app::session::prepare_check))
        // Only handlers that touch the session load or save it.
        .layer(sessions)
        .layer(middleware::from_fn_with_state(own_origin, check_origin))
        // Outside the origin check, so its refusals carry the headers too.
        .layer(middleware::from_fn_with_state(
            policy,
            crate::security::headers,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    let uri = loggable_uri(req.uri());
                    tracing::info_span!("request", id, method = %req.method(), uri)
                }))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    request_timeout,
                ))
                // Pages are small and dynamic: the fastest level keeps most of the gain for
                // a fraction of the CPU. Release bundles are precompressed at build time.
                .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
                .layer(middleware::from_fn_with_state(hashed, cache_headers)),
        )
}

/// The app's routes, worked out once per process. Working them out renders the app with
/// resource loading switched off for the whole process (a global flag in leptos_server,
/// not a per-thread one), so a page that another router renders meanwhile waits for
/// data that never loads: two shops built in one process (the integration tests) hung.
pub fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

fn pkg_files(options: &leptos::config::LeptosOptions) -> ServeDir {
    let dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

/// Serves `router` on `listener` until `shutdown` resolves; requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Leptos streams a page in several writes; with Nagle's algorithm on, each response
    // waits for a delayed ACK (measured 10x slower on loopback).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    // The peer's address reaches handlers (rate limits count per client address).
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Server functions answer every error with 500. The error knows better: a refused
/// quantity is 422, someone else's cart line 404, a database outage 503. This gives
/// each `AppError` its own status, once, for every server function (and keeps a wrong
/// password out of the error log).
async fn server_fn_error_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // An error is a short JSON document; anything longer is passed on as it was.
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => return Response::from_parts(parts, axum::body::Body::empty()),
    };
    let status = serde_json::from_slice::<app::error::AppError>(&bytes)
        .map(|error| error.status())
        .or_else(|_| serde_json::from_slice::<app::error::Shown>(&bytes).map(|shown| shown.status));
    if let Ok(Ok(status)) = status.map(StatusCode::from_u16) {
        parts.status = status;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The process is up and answering.
async fn healthz() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], "ok")
}

/// The process can serve shoppers: its database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ready = mercato::db::is_ready(&state.pool, Duration::from_secs(2)).await;
    let (status, body) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    };
    (status, [(header::CACHE_CONTROL, "no-store")], body)
}

/// Generated product artwork (the demo catalog's images). Same name, same picture: cached
/// for a year.
async fn artwork(Path(file): Path<String>) -> Response {
    match mercato::catalog::art::svg(&file) {
        Some(svg) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("image/svg+xml"),
                ),
                (header::CACHE_CONTROL, IMMUTABLE),
            ],
            svg,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Refuses a post to a function that takes a multipart form when it is not one: the
/// framework's decoder would panic on it (server_fn 0.8 `expect`s a boundary).
async fn multipart_only(req: Request, next: Next) -> Response {
    let limit = app::admin::multipart_limits()
        .into_iter()
        .find(|(path, _)| *path == req.uri().path())
        .map(|(_, most)| most);
    if let Some(most) = limit.filter(|_| req.method() == axum::http::Method::POST) {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| multer::parse_boundary(v).is_ok());
        if !multipart {
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "This form sends a file: post it as multipart/form-data.",
            )
                .into_response();
        }
        // The framework reads this body as a stream, past axum's limit: bounded here
        // to the file and its form's few fields.
        let (parts, body) = req.into_parts();
        let limited = axum::body::Body::new(http_body_util::Limited::new(body, most));
        return next.run(Request::from_parts(parts, limited)).await;
    }
    next.run(req).await
}

/// The catalog as a CSV file, for staff with the catalog permission: written a page of
/// products at a time as the download reads it, so its memory stays the same whatever
/// the catalog's size.
async fn export_catalog(
    State(state): State<AppState>,
    axum::Extension(check): axum::Extension<app::session::Check>,
    session: tower_sessions::Session,
) -> Response {
    let permission = mercato::admin::Permission::Catalog;
    if let Err(refused) = may_export(&check, &session, &state, permission).await {
        return refused;
    }
    let Some(turn) = export_turn(catalog_exports()) else {
        return busy_exporting();
    };
    let pages = mercato::catalog::export::stream(state.pool.clone(), state.currency);
    csv_download("catalog.csv", turn, pages)
}

/// The order list as filtered (the list's own query string), as a CSV file, for staff
/// with the orders permission: a page of orders at a time, as for the catalog.
async fn export_orders(
    State(state): State<AppState>,
    axum::Extension(check): axum::Extension<app::session::Check>,
    session: tower_sessions::Session,
    axum::extract::Query(pairs): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    use mercato::orders::staff as orders;
    let permission = mercato::admin::Permission::Orders;
    let staff = match may_export(&check, &session, &state, permission).await {
        Ok(staff) => staff,
        Err(refused) => return refused,
    };
    let Some(turn) = export_turn(order_exports()) else {
        return busy_exporting();
    };
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let filter = orders::OrderQuery::from_params(orders::PARAMS.map(get)).starting(None);
    match orders::export(state.pool.clone(), &staff, filter) {
        Ok(pages) => csv_download("orders.csv", turn, pages),
        Err(error) => refused(app::error::AppError::from(error)),
    }
}

/// What the shop keeps about customer `id`, as a JSON download, for staff with the
/// customer data permission (audited).
async fn export_customer(
    State(state): State<AppState>,
    axum::Extension(check): axum::Extension<app::session::Check>,
    session: tower_sessions::Session,
    Path(id): Path<String>,
) -> Response {
    let permission = mercato::admin::Permission::CustomerData;
    let staff = match may_export(&check, &session, &state, permission).await {
        Ok(staff) => staff,
        Err(refused) => return refused,
    };
    let Ok(id) = id.parse::<i64>() else {
        return refused(app::error::AppError::NotFound);
    };
    match mercato::accounts::customers::export(&state.pool, &staff, id).await {
        Ok(data) => (
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"customer-{id}.json\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            serde_json::to_string_pretty(&data).unwrap_or_default(),
        )
            .into_response(),
        Err(error) => refused(app::error::AppError::from(error)),
    }
}

/// The staff member who may download with `permission`, or the answer for someone who
/// may not.
async fn may_export(
    check: &app::session::Check,
    session: &tower_sessions::Session,
    state: &AppState,
    permission: mercato::admin::Permission,
) -> Result<mercato::admin::Staff, Response> {
    app::accounts::require_permission_for(check, session, state, permission)
        .await
        .map_err(refused)
}

/// An error as a download's answer: its status and its sentence.
fn refused(error: app::error::AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, error.to_string()).into_response()
}

/// A turn to stream an export, if one of `turns` is free: each holds a database
/// connection while it reads a page.
fn export_turn(turns: &Arc<tokio::sync::Semaphore>) -> Option<tokio::sync::OwnedSemaphorePermit> {
    turns.clone().try_acquire_owned().ok()
}

fn busy_exporting() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, HeaderValue::from_static("30"))],
        "Other exports are running: try again in a minute.",
    )
        .into_response()
}

/// `pages` streamed as the CSV download `filename`, holding `turn` until the stream is
/// dropped (done, failed, or the download cancelled). A failure part-way ends the
/// download as failed, never as a shorter file that looks whole.
fn csv_download(
    filename: &'static str,
    turn: tokio::sync::OwnedSemaphorePermit,
    pages: impl futures_util::Stream<Item = Result<Vec<u8>, mercato::Error>> + Send + 'static,
) -> Response {
    use futures_util::StreamExt;
    let body = pages.map(move |page| {
        let _turn = &turn;
        page.map_err(|error| {
            tracing::warn!(%error, filename, "an export stopped part-way");
            std::io::Error::other("the export stopped")
        })
    });
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

/// How many catalog exports may stream at once (per process).
fn catalog_exports() -> &'static Arc<tokio::sync::Semaphore> {
    static EXPORTS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    EXPORTS.get_or_init(|| {
        Arc::new(tokio::sync::Semaphore::new(
            mercato::catalog::export::AT_ONCE,
        ))
    })
}

/// How many order exports may stream at once (per process).
fn order_exports() -> &'static Arc<tokio::sync::Semaphore> {
    static EXPORTS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    EXPORTS.get_or_init(|| {
        Arc::new(tokio::sync::Semaphore::new(
            mercato::orders::staff::EXPORTS_AT_ONCE,
        ))
    })
}

/// An uploaded picture or one of its copies, streamed. Named by the hash of the upload
/// (and, for a copy, how copies are made), so its bytes never change: browsers and
/// caches keep it for a year.
async fn media(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let kind = file
        .rsplit_once('.')
        .and_then(|(_, ext)| mercato::catalog::images::ImageKind::of_extension(ext));
    let Some(kind) = kind.filter(|_| mercato::storage::is_valid_name(&file)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.media.open(&file).await {
        Ok(Some((len, reader))) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(kind.content_type()),
                ),
                (header::CACHE_CONTROL, IMMUTABLE),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
                (header::CONTENT_LENGTH, HeaderValue::from(len)),
            ],
            axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(reader)),
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::warn!(%error, file, "could not read a stored picture");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Stripe's events. 200: handled or nothing to do (Stripe stops sending it); 400: not
/// believed (a bad signature, an old timestamp) or not understood; 503: believed but
/// not handled now (Stripe sends it again later).
async fn stripe_webhook(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use mercato::payments::stripe::WebhookError;
    use mercato::payments::Payments;
    let Payments::Stripe(stripe) = &state.payments else {
        return (StatusCode::NOT_FOUND, "Stripe is not configured").into_response();
    };
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    match stripe
        .handle_webhook(&state.pool, &body, signature, now, &state.public_url)
        .await
    {
        Ok(handled) => {
            tracing::info!(?handled, "stripe webhook");
            (StatusCode::OK, "ok").into_response()
        }
        Err(error @ (WebhookError::Signature(_) | WebhookError::Malformed(_))) => {
            tracing::warn!(%error, "stripe webhook refused");
            (StatusCode::BAD_REQUEST, error.to_string()).into_response()
        }
        Err(WebhookError::Failed(error)) if error.is_unavailable() => {
            tracing::warn!(%error, "stripe webhook not handled now; Stripe will retry");
            (StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response()
        }
        Err(WebhookError::Failed(error)) => {
            tracing::error!(%error, "stripe webhook failed");
            (StatusCode::BAD_REQUEST, "not handled").into_response()
        }
    }
}

async fn robots(State(state): State<AppState>) -> Response {
    (
        [(header::CACHE_CONTROL, STATIC)],
        mercato::catalog::sitemap::robots_txt(&state.public_url),
    )
        .into_response()
}

/// Whether a query parameter's value stays out of the log: secrets (reset and
/// confirmation tokens, order keys, Stripe's client secret; the one list of secret
/// names is `app::form_errors::is_secret`) and Leptos's error parameter, not ours.
fn secret_param(name: &str) -> bool {
    app::form_errors::is_secret(name) || name == "__err"
}

/// A request's path and query for the log, with secret values replaced by `…`.
pub fn loggable_uri(uri: &axum::http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.path().to_owned();
    };
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if secret_param(name) => format!("{name}=…"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{}?{}", uri.path(), redacted.join("&"))
}

/// Adds `Cache-Control` to successful static-file responses that do not set their own.
async fn cache_headers(State(hashed): State<bool>, req: Request, next: Next) -> Response {
    let policy = cache_policy(req.uri().path(), hashed);
    let mut res = next.run(req).await;
    if let Some(value) = policy {
        if res.status().is_success() && !res.headers().contains_key(header::CACHE_CONTROL) {
            res.headers_mut().insert(header::CACHE_CONTROL, value);
        }
    }
    res
}

/// How long a browser may keep the file at `path`; `None` for pages and server functions.
fn cache_policy(path: &str, hashed: bool) -> Option<HeaderValue> {
    if path.starts_with("/pkg/") {
        Some(if hashed { IMMUTABLE } else { REVALIDATE })
    } else if is_file_path(path) {
        Some(STATIC)
    } else {
        None
    }
}

/// Static files have an extension; pages and server functions do not.
fn is_file_path(path: &str) -> bool {
    !path.starts_with("/api/")
        && path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_bundles_are_cached_for_a_year_and_unhashed_ones_revalidated() {
        assert_eq!(
            cache_policy("/pkg/mercato.1a2b.wasm", true),
            Some(IMMUTABLE)
        );
        assert_eq!(cache_policy("/pkg/mercato.wasm", false), Some(REVALIDATE));
        assert_eq!(cache_policy("/favicon.svg", true), Some(STATIC));
        assert_eq!(cache_policy("/", true), None);
        assert_eq!(cache_policy("/api/load_shop_info", true), None);
    }

    #[test]
    fn secrets_in_query_strings_stay_out_of_the_log() {
        let uri = |s: &str| s.parse::<axum::http::Uri>().expect("uri");
        assert_eq!(
            loggable_uri(&uri("/account/reset?token=abcdef")),
            "/account/reset?token=…"
        );
        assert_eq!(
            loggable_uri(&uri("/orders/1001?key=secret&placed=1")),
            "/orders/1001?key=…&placed=1"
        );
        assert_eq!(
            loggable_uri(&uri(
                "/checkout/return?payment_intent=pi_1&payment_intent_client_secret=pi_1_secret_x"
            )),
            "/checkout/return?payment_intent=pi_1&payment_intent_client_secret=…"
        );
        assert_eq!(loggable_uri(&uri("/search?q=hat")), "/search?q=hat");
        assert_eq!(loggable_uri(&uri("/c/clothing")), "/c/clothing");
    }

    #[test]
    fn only_paths_with_an_extension_count_as_files() {
        assert!(is_file_path("/favicon.svg"));
        assert!(is_file_path("/images/a/b.png"));
        assert!(!is_file_path("/"));
        assert!(!is_file_path("/c/clothing"));
        assert!(!is_file_path("/api/shop_info12345"));
        assert!(!is_file_path("/v1.2/products"));
    }
}
