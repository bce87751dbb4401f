//! A form's error after a plain form post (no JavaScript), kept in the session.
//!
//! Leptos answers a failed plain post with a redirect back to the form's page carrying
//! the error in the query string (`?__path=…&__err=<base64>`), and shows whatever error
//! a URL carries. That let anyone write a link that shows their own words as the shop's
//! error message. Here the error moves from the redirect into the session instead, like
//! the success flash: the next view of that page shows it once. A page asked for with
//! `__err` or `__path` in its URL is sent to the same URL without them.
//!
//! What the shopper typed comes back with the error (but never a password or a card
//! number): the form is shown again as it was sent, with the message by the field, and
//! nothing typed is lost. [`kept`] gives a field's value.

use leptos::prelude::*;

/// Gives this page's server actions the error its last plain post failed with, if any,
/// and its forms the values that post sent. Pages are rendered on the server, where it
/// comes from the session (see [`keep`]).
pub fn provide_form_error() {
    #[cfg(feature = "ssr")]
    if let Some(error) = server::for_this_request() {
        provide_context(leptos::server::ServerActionError::new(
            &error.path,
            &error.err,
        ));
        provide_context(Kept(std::sync::Arc::new(
            error.values.into_iter().collect(),
        )));
    }
}

/// The error the server function `S` refused a plain post with, when this page shows
/// it. For islands, which get it as a prop: the browser has no session to read it from,
/// and an island must start as the server rendered it.
pub fn refused<S>() -> Option<crate::error::Shown>
where
    S: leptos::server_fn::ServerFn<Error = crate::error::Shown>,
{
    #[cfg(feature = "ssr")]
    {
        use leptos::server_fn::error::ServerFnUrlError;
        server::for_this_request()
            .filter(|e| e.path == S::PATH)
            .map(|e| ServerFnUrlError::<crate::error::Shown>::decode_err(&e.err))
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// The error the server function `S` refused a plain post with, when this page shows
/// it: for a form that is no `ActionForm` (a file upload, whose arguments cannot be
/// kept by an action).
pub fn refused_post<S>() -> Option<crate::error::AppError>
where
    S: leptos::server_fn::ServerFn<Error = crate::error::AppError>,
{
    #[cfg(feature = "ssr")]
    {
        use leptos::server_fn::error::ServerFnUrlError;
        server::for_this_request()
            .filter(|e| e.path == S::PATH)
            .map(|e| ServerFnUrlError::<crate::error::AppError>::decode_err(&e.err))
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// The values of the plain post that failed, for the page that shows its error (by
/// name: the product editor asks for a thousand of them).
#[derive(Debug, Clone)]
struct Kept(std::sync::Arc<std::collections::HashMap<String, String>>);

/// What the failed post sent in the field `name`, to show it again.
pub fn kept(name: &str) -> Option<String> {
    use_context::<Kept>().and_then(|Kept(values)| values.get(name).cloned())
}

/// Whether the checkbox `name` is ticked: as the failed post of its form sent it, when
/// this page shows one (recognised by `sent_with`, a field that form always sends: an
/// unticked box sends nothing), else `saved`.
pub fn ticked(name: &str, sent_with: &str, saved: bool) -> bool {
    if kept(sent_with).is_some() {
        kept(name).is_some()
    } else {
        saved
    }
}

/// Fields (and query parameters) whose values are secrets: never kept for a page to
/// show again, never written to the log. A name is a secret when one of its
/// `_`-separated words is (`current_password`, `card_number`, `client_secret`), so
/// that `shipping_*` is not taken for a `pin`.
pub fn is_secret(name: &str) -> bool {
    const SECRET_WORDS: &[&str] = &[
        "password", "card", "token", "secret", "cvc", "cvv", "pin", "otp", "iban", "key",
    ];
    name.to_ascii_lowercase()
        .split(['_', '-'])
        .any(|word| SECRET_WORDS.contains(&word))
}

/// How much of a failed post is kept for its page: a post with more fields, or longer
/// ones, keeps nothing (it would only fill the session table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The longest body read for it.
    pub body: usize,
    pub fields: usize,
    pub value: usize,
    pub total: usize,
}

impl Budget {
    /// The shop's forms: a dozen short fields.
    pub const SHOP: Budget = Budget {
        body: 64 * 1024,
        fields: 40,
        value: 1024,
        total: 4096,
    };
    /// The back office's: the product editor has a row of inputs per variant (up to
    /// 250) and a description of up to 20,000 characters. Kept only for staff (see
    /// `keep`).
    pub const STAFF: Budget = Budget {
        body: 512 * 1024,
        fields: 2500,
        value: 96 * 1024,
        total: 384 * 1024,
    };

    /// The budget of a post to the server function at `path`.
    pub fn for_path(path: &str) -> Budget {
        if path.starts_with("/api/admin/") {
            Budget::STAFF
        } else {
            Budget::SHOP
        }
    }
}

/// The fields of a post worth keeping, or none when it is larger than `budget`.
pub fn to_keep(
    fields: impl Iterator<Item = (String, String)>,
    budget: Budget,
) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    let mut total = 0;
    for (n, (name, value)) in fields.enumerate() {
        total += name.len() + value.len();
        if n == budget.fields || value.len() > budget.value || total > budget.total {
            return Vec::new();
        }
        if !is_secret(&name) {
            kept.push((name, value));
        }
    }
    kept
}

#[cfg(feature = "ssr")]
pub use server::{for_this_request, keep, waiting_in};

/// An error waiting for the page at `page`, for the server function at `path`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FormError {
    pub page: String,
    pub path: String,
    /// As Leptos encodes it (base64 of the error's JSON).
    pub err: String,
    /// The fields the post sent, but the secret ones ([`is_secret`]).
    #[serde(default)]
    pub values: Vec<(String, String)>,
}

#[cfg(feature = "ssr")]
mod server {
    use super::FormError;
    use axum::extract::Request;
    use axum::http::header::LOCATION;
    use axum::http::{HeaderValue, Method, StatusCode};
    use axum::middleware::Next;
    use axum::response::{IntoResponse, Response};
    use tower_sessions::Session;

    const KEY: &str = "form_error";

    /// Whether an error waits in `session` for its page (one that cannot be read counts).
    pub async fn waiting_in(session: &Session) -> bool {
        !matches!(session.get::<FormError>(KEY).await, Ok(None))
    }

    /// The error this page request brought along (put there by [`keep`]).
    pub fn for_this_request() -> Option<FormError> {
        leptos::prelude::use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<FormError>().cloned())
    }

    /// Middleware: moves a plain post's error from its redirect into the session, hands
    /// a waiting error to the page it was meant for, and turns away page URLs that carry
    /// an error of their own making.
    pub async fn keep(session: Session, mut req: Request, next: Next) -> Response {
        let path = req.uri().path().to_owned();
        let api = path.starts_with("/api/");
        if req.method() == Method::GET && !api {
            if let Some(clean) = req.uri().query().and_then(without_error_params) {
                // One leading slash only: `//evil.example` would send the browser away.
                let path = format!("/{}", path.trim_start_matches('/'));
                let to = if clean.is_empty() {
                    path
                } else {
                    format!("{path}?{clean}")
                };
                return (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response();
            }
            // Only a browser's page view can show it: images, scripts and the wasm
            // (which do not ask for HTML) never load the session for it.
            let page_view = req
                .headers()
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"));
            // Read first, removed only when there is one: a removal marks the session
            // changed, which would rewrite it (and set its cookie) on every page view.
            if page_view {
                if let Ok(Some(waiting)) = session.get::<FormError>(KEY).await {
                    let _ = session.remove::<FormError>(KEY).await;
                    if waiting.page == path {
                        req.extensions_mut().insert(waiting);
                    }
                }
            }
            return next.run(req).await;
        }
        let post = req.method() == Method::POST && api;
        let budget = super::Budget::for_path(&path);
        let (req, mut values) = if post {
            sent_values(req, budget).await
        } else {
            (req, Vec::new())
        };
        let mut res = next.run(req).await;
        if !post || !res.status().is_redirection() {
            return res;
        }
        let location = res
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let Some((clean, mut error)) = location.as_deref().and_then(split_error) else {
            return res;
        };
        // The back office's larger budget is for its staff: values are kept only for an
        // error its functions give after their permission check (a field or a rule
        // broken), never for a guest's or a customer's post, nor for one refused before
        // it reached the function (a malformed form).
        if budget == super::Budget::STAFF && !is_after_permission_check(&error.err) {
            values = Vec::new();
        }
        // An error is words for a page: one longer than a form's worth is not kept (a
        // hand-made post can make the framework's own message echo a huge field name).
        if error.err.len() <= budget.total.max(16 * 1024) {
            error.values = values;
            if let Err(e) = session.insert(KEY, &error).await {
                tracing::warn!(error = %e, "could not keep a form's error in the session");
            }
        }
        match HeaderValue::from_str(&clean) {
            Ok(value) => {
                res.headers_mut().insert(LOCATION, value);
            }
            Err(_) => {
                res.headers_mut()
                    .insert(LOCATION, HeaderValue::from_static("/"));
            }
        }
        res
    }

    /// A form post's fields, read from its body (which is put back for the handler):
    /// only a form's urlencoded body, of a length it declares and within `budget`.
    async fn sent_values(req: Request, budget: super::Budget) -> (Request, Vec<(String, String)>) {
        let max = budget.body;
        let headers = req.headers();
        let form = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let small = headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n <= max);
        if !form || !small {
            return (req, Vec::new());
        }
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, max).await else {
            // Shorter or longer than it said: the handler gets an empty body, and says so.
            return (
                Request::from_parts(parts, axum::body::Body::empty()),
                Vec::new(),
            );
        };
        let values = super::to_keep(
            form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned())),
            budget,
        );
        (
            Request::from_parts(parts, axum::body::Body::from(bytes)),
            values,
        )
    }

    /// Whether a post's error is one a back-office function gives only after its
    /// permission check passed: a field or a rule of the shop broken.
    fn is_after_permission_check(err: &str) -> bool {
        use crate::error::AppError;
        use leptos::server_fn::error::ServerFnUrlError;
        matches!(
            ServerFnUrlError::<AppError>::decode_err(err),
            AppError::Fields(_) | AppError::Rule(_)
        )
    }

    /// The query without `__path` and `__err`, when it had either.
    fn without_error_params(query: &str) -> Option<String> {
        let mut had = false;
        let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| {
                let error_param = k == "__path" || k == "__err";
                had |= error_param;
                !error_param
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        had.then(|| {
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish()
        })
    }

    /// Splits a redirect's location into the location without the error and the error.
    fn split_error(location: &str) -> Option<(String, FormError)> {
        let (before, query) = location.split_once('?')?;
        let mut path = None;
        let mut err = None;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "__path" => path = Some(v.into_owned()),
                "__err" => err = Some(v.into_owned()),
                _ => {}
            }
        }
        let (path, err) = (path?, err?);
        let clean = match without_error_params(query) {
            Some(rest) if !rest.is_empty() => format!("{before}?{rest}"),
            _ => before.to_owned(),
        };
        // The page's path, whether the location is absolute or not.
        let after_scheme = before.split_once("://").map_or(before, |(_, rest)| rest);
        let page = if before.starts_with('/') {
            before.to_owned()
        } else {
            after_scheme
                .find('/')
                .map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
        };
        Some((
            clean,
            FormError {
                page,
                path,
                err,
                values: Vec::new(),
            },
        ))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn an_error_is_split_off_the_redirect_with_its_page() {
            let (clean, error) = split_error(
                "http://127.0.0.1:3000/account?x=1&__path=%2Fapi%2Faccount%2Fsign-in&__err=eyJ9",
            )
            .expect("an error");
            assert_eq!(clean, "http://127.0.0.1:3000/account?x=1");
            assert_eq!(error.page, "/account");
            assert_eq!(error.path, "/api/account/sign-in");
            assert_eq!(error.err, "eyJ9");
            let (clean, error) =
                split_error("/cart?__path=%2Fapi%2Fcart&__err=e30%3D").expect("an error");
            assert_eq!(clean, "/cart");
            assert_eq!(error.page, "/cart");
            assert_eq!(error.err, "e30=");
            assert_eq!(split_error("/cart?page=2"), None);
            assert_eq!(split_error("/cart"), None);
        }

        #[test]
        fn page_urls_lose_their_error_params() {
            assert_eq!(
                without_error_params("q=hat&__err=abc&__path=x").as_deref(),
                Some("q=hat")
            );
            assert_eq!(without_error_params("__err=abc").as_deref(), Some(""));
            assert_eq!(without_error_params("q=hat&page=2"), None);
        }
    }
}

#[cfg(test)]
mod kept_tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn secrets_are_never_kept() {
        for name in [
            "password",
            "password_again",
            "current_password",
            "new_Password",
            "card_number",
            "token",
            "payment_intent_client_secret",
            "cvc",
            "iban",
            "key",
            "client_secret",
            "Card-Number",
        ] {
            assert!(is_secret(name), "{name}");
        }
        for name in [
            "email",
            "name",
            "line1",
            "code",
            "quantity",
            "billing_city",
            "shipping_rate",
            "keyboard",
        ] {
            assert!(!is_secret(name), "{name}");
        }
        assert_eq!(
            to_keep(
                fields(&[("email", "a@b.c"), ("password", "hunter2")]),
                Budget::SHOP
            ),
            [("email".to_owned(), "a@b.c".to_owned())]
        );
    }

    #[test]
    fn a_post_larger_than_a_form_of_ours_keeps_nothing() {
        for budget in [Budget::SHOP, Budget::STAFF] {
            let many: Vec<(String, String)> = (0..=budget.fields)
                .map(|n| (format!("f{n}"), "x".to_owned()))
                .collect();
            assert!(to_keep(many.iter().cloned(), budget).is_empty());
            assert_eq!(
                to_keep(many[1..].iter().cloned(), budget).len(),
                budget.fields
            );
            let long = "x".repeat(budget.value + 1);
            assert!(to_keep(fields(&[("name", &long)]), budget).is_empty());
            let total: Vec<(String, String)> = (0..10)
                .map(|n| (format!("f{n}"), "x".repeat(budget.total / 8)))
                .collect();
            assert!(to_keep(total.into_iter(), budget).is_empty());
        }
        assert_eq!(Budget::for_path("/api/admin/products/save"), Budget::STAFF);
        assert_eq!(Budget::for_path("/api/cart/add"), Budget::SHOP);
    }
}
