//! Rejects state-changing requests sent from other sites (cross-site request forgery),
//! on top of `SameSite=Lax` session cookies.
//!
//! A browser names the page a request comes from in `Origin` (every POST from a modern
//! browser) or, failing that, `Referer`. A request whose origin is neither the shop's
//! public address nor the host it was sent to gets 403. A request with neither header
//! did not come from a page in a browser (curl, a payment provider's webhook): it
//! carries no shopper's cookies by accident, so it passes.

use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN, REFERER};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The shop's own origin, `scheme://host[:port]`, from its public address.
#[derive(Debug, Clone)]
pub struct OwnOrigin(String);

impl OwnOrigin {
    pub fn new(public_url: &str) -> OwnOrigin {
        OwnOrigin(
            origin_of(public_url)
                .unwrap_or_default()
                .to_ascii_lowercase(),
        )
    }
}

pub async fn check_origin(State(own): State<OwnOrigin>, req: Request, next: Next) -> Response {
    match foreign_origin(&req, &own) {
        None => next.run(req).await,
        Some(origin) => {
            tracing::warn!(
                method = %req.method(),
                uri = %req.uri(),
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
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let claimed = match (header(ORIGIN), header(REFERER)) {
        (Some(origin), _) => origin.to_owned(),
        (None, Some(referer)) => origin_of(referer).unwrap_or_else(|| "null".to_owned()),
        (None, None) => return None,
    };
    (!is_own(&claimed, own, header(HOST))).then_some(claimed)
}

/// Whether `origin` is the shop's public origin or the host the request was sent to
/// (the same shop reached under another name, such as `localhost` in development).
fn is_own(origin: &str, own: &OwnOrigin, host: Option<&str>) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    if origin == own.0 {
        return true;
    }
    let host_part = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((host_part, host), (Some(o), Some(h)) if o == h.trim().to_ascii_lowercase())
}

/// `scheme://host[:port]` of an absolute http(s) URL.
fn origin_of(url: &str) -> Option<String> {
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
    fn own_origins_are_the_public_one_and_the_requested_host() {
        let own = OwnOrigin::new("https://shop.example");
        assert!(is_own("https://shop.example", &own, None));
        assert!(is_own("HTTPS://Shop.Example", &own, None));
        assert!(is_own(
            "http://localhost:3000",
            &own,
            Some("localhost:3000")
        ));
        assert!(!is_own("https://evil.example", &own, Some("shop.example")));
        assert!(!is_own("https://shop.example.evil.example", &own, None));
        assert!(!is_own("null", &own, Some("shop.example")));
        assert!(!is_own(
            "http://shop.example:8080",
            &own,
            Some("shop.example")
        ));
    }
}
