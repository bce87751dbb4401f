//! Rejects state-changing requests sent from other sites (cross-site request forgery),
//! on top of `SameSite=Lax` session cookies.
//!
//! A browser names the page a request comes from in `Origin` (every POST from a modern
//! browser; `null` from a page that sends no referrer), `Referer`, or at least
//! `Sec-Fetch-Site` (which pages cannot set). A state-changing request passes
//! when the first of these it carries says it came from the shop itself: the shop's
//! public origin, or the host it was sent to under the public address's scheme. A
//! request that carries none of them passes only without the session cookie: it did not
//! come from a page in a browser (a payment provider's webhook, curl), and it acts for
//! nobody. With the cookie and no proof of origin, it is refused: a browser extension,
//! a privacy proxy or an old browser may strip those headers, and the shop cannot tell
//! that apart from a forged request.

use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN, REFERER};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The shop's own origin, `scheme://host[:port]`, from its public address.
#[derive(Debug, Clone)]
pub struct OwnOrigin {
    origin: String,
    /// `http` or `https`: an origin under the requested host must use it too.
    scheme: String,
}

impl OwnOrigin {
    pub fn new(public_url: &str) -> OwnOrigin {
        let origin = origin_of(public_url)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let scheme = origin.split("://").next().unwrap_or("http").to_owned();
        OwnOrigin { origin, scheme }
    }
}

pub async fn check_origin(State(own): State<OwnOrigin>, req: Request, next: Next) -> Response {
    match foreign_origin(&req, &own) {
        None => next.run(req).await,
        Some(origin) => {
            tracing::warn!(
                method = %req.method(),
                uri = %crate::http::loggable_uri(req.uri()),
                origin,
                "refused a state-changing request from another site"
            );
            (
                StatusCode::FORBIDDEN,
                "This form was sent from another website, so it was refused. \
                 Please use the shop's own pages.",
            )
                .into_response()
        }
    }
}

/// The origin a state-changing request claims, when it is not the shop's own.
fn foreign_origin(req: &Request, own: &OwnOrigin) -> Option<String> {
    if matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return None;
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let fetch_site = header("sec-fetch-site");
    let same_origin = fetch_site.is_some_and(|site| site.eq_ignore_ascii_case("same-origin"));
    let claimed = match (
        header(ORIGIN.as_str()),
        header(REFERER.as_str()),
        fetch_site,
    ) {
        // A page under `Referrer-Policy: no-referrer` posts with `Origin: null`; the
        // browser's own Sec-Fetch-Site, which no page can set, still says where from.
        (Some("null"), _, _) if same_origin => return None,
        (Some(origin), _, _) => origin.to_owned(),
        (None, Some(referer), _) => origin_of(referer).unwrap_or_else(|| "null".to_owned()),
        (None, None, Some(_)) if same_origin => return None,
        (None, None, Some(site)) => return Some(format!("(Sec-Fetch-Site: {site})")),
        (None, None, None) if crate::sessions::carries_session(req.headers()) => {
            return Some("(no Origin, Referer or Sec-Fetch-Site)".to_owned())
        }
        (None, None, None) => return None,
    };
    (!is_own(&claimed, own, header(HOST.as_str()))).then_some(claimed)
}

/// Whether `origin` is the shop's public origin, or the host the request was sent to
/// under the public scheme (the same shop reached under another name, such as
/// `localhost` in development). `http://` never passes for an `https://` shop.
fn is_own(origin: &str, own: &OwnOrigin, host: Option<&str>) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    if origin == own.origin {
        return true;
    }
    let host_part = origin
        .strip_prefix(&own.scheme)
        .and_then(|rest| rest.strip_prefix("://"));
    matches!((host_part, host), (Some(o), Some(h)) if o == h.trim().to_ascii_lowercase())
}

/// `scheme://host[:port]` of an absolute http(s) URL.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    // Userinfo in a Referer would be odd; it is not part of the origin either way.
    let authority = authority.rsplit('@').next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_of_a_url_is_its_scheme_and_authority() {
        assert_eq!(
            origin_of("https://shop.example/cart?x=1").as_deref(),
            Some("https://shop.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://"), None);
    }

    #[test]
    fn own_origins_are_the_public_one_and_the_requested_host_under_its_scheme() {
        let own = OwnOrigin::new("https://shop.example");
        assert!(is_own("https://shop.example", &own, None));
        assert!(is_own("HTTPS://Shop.Example", &own, None));
        assert!(is_own(
            "https://localhost:3000",
            &own,
            Some("localhost:3000")
        ));
        assert!(!is_own("http://shop.example", &own, Some("shop.example")));
        assert!(!is_own(
            "http://localhost:3000",
            &own,
            Some("localhost:3000")
        ));
        assert!(!is_own("https://evil.example", &own, Some("shop.example")));
        assert!(!is_own("https://shop.example.evil.example", &own, None));
        assert!(!is_own("null", &own, Some("shop.example")));
        assert!(!is_own(
            "https://shop.example:8080",
            &own,
            Some("shop.example")
        ));
        let dev = OwnOrigin::new("http://127.0.0.1:3000");
        assert!(is_own(
            "http://localhost:3000",
            &dev,
            Some("localhost:3000")
        ));
    }

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut req = Request::builder().method(Method::POST).uri("/api/cart/add");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(axum::body::Body::empty()).expect("request")
    }

    #[test]
    fn a_post_must_prove_where_it_comes_from_when_it_acts_for_someone() {
        let own = OwnOrigin::new("https://shop.example");
        let cookie = ("cookie", "mercato_session=abc");
        assert_eq!(foreign_origin(&post(&[]), &own), None, "a webhook or curl");
        assert!(foreign_origin(&post(&[cookie]), &own).is_some());
        assert_eq!(
            foreign_origin(&post(&[cookie, ("sec-fetch-site", "same-origin")]), &own),
            None
        );
        assert!(foreign_origin(&post(&[cookie, ("sec-fetch-site", "cross-site")]), &own).is_some());
        assert!(foreign_origin(&post(&[cookie, ("sec-fetch-site", "same-site")]), &own).is_some());
        assert_eq!(
            foreign_origin(
                &post(&[cookie, ("referer", "https://shop.example/cart")]),
                &own
            ),
            None
        );
        assert!(foreign_origin(
            &post(&[cookie, ("referer", "https://evil.example/x")]),
            &own
        )
        .is_some());
        assert!(foreign_origin(&post(&[("origin", "https://evil.example")]), &own).is_some());
        // A no-referrer page's post: Origin null, but the browser vouches for it.
        assert_eq!(
            foreign_origin(
                &post(&[
                    cookie,
                    ("origin", "null"),
                    ("sec-fetch-site", "same-origin")
                ]),
                &own
            ),
            None
        );
        assert!(foreign_origin(&post(&[cookie, ("origin", "null")]), &own).is_some());
        // A cookie of another name is not the session.
        assert_eq!(
            foreign_origin(&post(&[("cookie", "theme=dark")]), &own),
            None
        );
    }
}
