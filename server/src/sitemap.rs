//! `/sitemap.xml` (an index) and its parts `/sitemaps/<n>.xml`, built once an hour:
//! search engines ask for them often, and a part of 10,000 pages is a real query.

use app::state::AppState;
use axum::body::Bytes;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mercato::cache::Cache;
use mercato::catalog::{read, sitemap};
use std::time::Duration;

/// How long a built sitemap is served before it is built again.
const KEPT_FOR: Duration = Duration::from_secs(3600);

/// Parts kept (a shop of a million products has 100).
const PARTS_KEPT: usize = 256;

const XML: HeaderValue = HeaderValue::from_static("application/xml");
const ONE_HOUR: HeaderValue = HeaderValue::from_static("public, max-age=3600");

/// The built index (key 0) and parts (key n), and how many pages there are.
#[derive(Debug)]
pub struct Sitemaps {
    built: Cache<i64, Bytes>,
    pages: Cache<(), i64>,
}

impl Default for Sitemaps {
    fn default() -> Self {
        Sitemaps::new()
    }
}

impl Sitemaps {
    pub fn new() -> Sitemaps {
        Sitemaps {
            built: Cache::new(KEPT_FOR, PARTS_KEPT + 1),
            pages: Cache::new(KEPT_FOR, 1),
        }
    }

    /// How many category and product pages the sitemap lists (counted once an hour).
    async fn pages(&self, state: &AppState) -> Result<i64, mercato::Error> {
        let pool = state.pool.clone();
        self.pages
            .get_or_compute((), move || async move { read::sitemap_len(&pool).await })
            .await
            .map(|served| served.value)
    }

    /// `/sitemap.xml`.
    pub async fn index(&self, state: &AppState) -> Response {
        let parts = match self.pages(state).await {
            Ok(pages) => sitemap::parts(pages),
            Err(e) => return unavailable(e),
        };
        let base = state.public_url.clone();
        self.serve(0, async move { Ok(sitemap::index_xml(&base, parts)) })
            .await
    }

    /// `/sitemaps/<n>.xml`; a part past the end, or a name that is not one, is not
    /// found (without a query).
    pub async fn part(&self, state: &AppState, file: &str) -> Response {
        let parts = match self.pages(state).await {
            Ok(pages) => sitemap::parts(pages),
            Err(e) => return unavailable(e),
        };
        let Some(n) = file
            .strip_suffix(".xml")
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| (1..=parts.min(PARTS_KEPT as i64)).contains(n))
        else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let (pool, base) = (state.pool.clone(), state.public_url.clone());
        self.serve(n, async move {
            let paths =
                read::sitemap_paths(&pool, (n - 1) * sitemap::PER_PART, sitemap::PER_PART).await?;
            Ok(sitemap::sitemap_xml(&base, n == 1, &paths))
        })
        .await
    }

    async fn serve(
        &self,
        key: i64,
        build: impl std::future::Future<Output = Result<String, mercato::Error>> + Send + 'static,
    ) -> Response {
        let built = self
            .built
            .get_or_compute(key, move || async move { build.await.map(Bytes::from) })
            .await;
        match built {
            Ok(served) => (
                [
                    (header::CONTENT_TYPE, XML),
                    (header::CACHE_CONTROL, ONE_HOUR),
                ],
                served.value,
            )
                .into_response(),
            Err(e) => unavailable(e),
        }
    }
}

fn unavailable(e: mercato::Error) -> Response {
    tracing::warn!(error = %e, "cannot build the sitemap");
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}
