//! The headers that tell a browser what a page may do: a Content-Security-Policy that
//! allows only what the shop loads, no framing by other sites, no MIME sniffing, a
//! referrer policy, and HSTS for an https shop.
//!
//! The policy allows inline scripts only with the page's nonce: a fresh random one per
//! response, which Leptos writes on the scripts it emits (the hydration loader and the
//! streamed resource data). Markup that slipped into a page could not run, since it
//! cannot know the nonce. The page cache writes the current response's nonce into the
//! pages it serves again.

use crate::origin::origin_of;
use app::state::CspNonce;
use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// What the shop's pages load from elsewhere (Stripe, when it takes the payments).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Where Stripe.js comes from (`https://js.stripe.com`), when Stripe is on.
    stripe_js: Option<String>,
    /// Stripe's API (`https://api.stripe.com`), which Stripe.js calls.
    stripe_api: Option<String>,
    https: bool,
}

impl Policy {
    /// `stripe`: Stripe.js's URL and the API base, when Stripe takes the payments.
    pub fn new(public_url: &str, stripe: Option<(&str, &str)>) -> Arc<Policy> {
        Arc::new(Policy {
            stripe_js: stripe.and_then(|(js, _)| origin_of(js)),
            stripe_api: stripe.and_then(|(_, api)| origin_of(api)),
            https: public_url.starts_with("https://"),
        })
    }

    /// The Content-Security-Policy of a response whose scripts carry `nonce`.
    pub fn csp(&self, nonce: &str) -> String {
        let mut script = format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'");
        let mut connect = "'self'".to_owned();
        let mut frame = "'none'".to_owned();
        if let Some(js) = &self.stripe_js {
            // Stripe's own list: Stripe.js and its frames come from js.stripe.com and its
            // subdomains, 3-D Secure from hooks.stripe.com.
            let subdomains = if js == "https://js.stripe.com" {
                " https://*.js.stripe.com"
            } else {
                ""
            };
            script.push_str(&format!(" {js}{subdomains}"));
            frame = format!("{js}{subdomains} https://hooks.stripe.com");
        }
        if let Some(api) = &self.stripe_api {
            connect.push(' ');
            connect.push_str(api);
        }
        let mut csp = format!(
            "default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; \
             font-src 'self'; connect-src {connect}; frame-src {frame}; \
             frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
        );
        if self.https {
            csp.push_str("; upgrade-insecure-requests");
        }
        csp
    }
}

/// A fresh nonce: 128 random bits.
fn nonce() -> String {
    let mut hex = mercato::token::random_hex();
    hex.truncate(32);
    hex
}

/// Middleware: gives the request its nonce (the page renders with it) and the response
/// its headers.
pub async fn headers(State(policy): State<Arc<Policy>>, mut req: Request, next: Next) -> Response {
    let nonce = nonce();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&policy.csp(&nonce)) {
        headers.insert(CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if policy.https {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_shop_its_nonce_and_nothing_inline() {
        let csp = Policy::new("http://127.0.0.1:3000", None).csp("abc123");
        assert!(
            csp.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'self'"));
        assert!(csp.contains("frame-src 'none'"));
        assert!(!csp.contains("upgrade-insecure-requests"));
        assert!(!csp.contains("stripe"));
    }

    #[test]
    fn with_stripe_the_policy_allows_its_script_frames_and_api() {
        let csp = Policy::new(
            "https://shop.example",
            Some(("https://js.stripe.com/v3/", "https://api.stripe.com/")),
        )
        .csp("n");
        assert!(
            csp.contains(
                "script-src 'self' 'nonce-n' 'wasm-unsafe-eval' https://js.stripe.com https://*.js.stripe.com;"
            ),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self' https://api.stripe.com;"),
            "{csp}"
        );
        assert!(
            csp.contains(
                "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;"
            ),
            "{csp}"
        );
        assert!(csp.ends_with("upgrade-insecure-requests"));
    }

    #[test]
    fn nonces_differ_and_are_hex() {
        let (a, b) = (nonce(), nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
    }
}
