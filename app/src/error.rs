//! The one error type every `#[server]` function returns. Domain errors are mapped to it
//! once, here; what it displays is what the shopper reads.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use mercato::error::Rule;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("We couldn't find what you were looking for.")]
    NotFound,
    #[error("The shop is briefly unavailable. Please try again in a moment.")]
    Unavailable,
    #[error(
        "Something went wrong on our side. Please try again; if it keeps happening, contact us."
    )]
    Internal,
    /// The request never reached us, or its answer never reached the browser.
    #[error("We couldn't reach the shop. Check your connection and try again.")]
    Network,
    /// The payment provider could not be reached: nothing was charged.
    #[error("The payment service is unavailable right now. Nothing was charged and your cart is safe: please try again in a few minutes.")]
    PaymentUnavailable,
    /// Too many people are signing in or registering at this moment.
    #[error("Lots of people are signing in right now. Please try again in a few seconds.")]
    Busy,
    /// A rate limit: this client or account tried too often.
    #[error("Too many attempts in a short time. Please try again in {}.", mercato::error::wait_in_words(*.0))]
    TooManyRequests(u32),
    #[error("Please sign in to continue.")]
    SignInRequired,
    /// Not staff at all (`None`), or staff without the permission named.
    #[error("Your account can't do that{}. Ask an administrator if you need to.", .0.map(|p| format!(": it needs the {} permission", p.as_str())).unwrap_or_default())]
    Forbidden(Option<mercato::admin::Permission>),
    /// The shopper's input broke one of the shop's rules; says which and what to do.
    #[error("{0}")]
    Rule(Rule),
    /// A form broke rules field by field; each message is shown by its field.
    #[error("{0}")]
    Fields(mercato::error::FieldErrors),
    /// The request was malformed (for example a hand-made form post).
    #[error("That request didn't make sense to us: {0}")]
    BadRequest(String),
}

impl AppError {
    /// The HTTP status a page showing this error is served with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::BadRequest(_) => 400,
            AppError::Rule(_) | AppError::Fields(_) => 422,
            AppError::SignInRequired => 401,
            AppError::Forbidden(_) => 403,
            AppError::TooManyRequests(_) => 429,
            AppError::Unavailable | AppError::PaymentUnavailable | AppError::Busy => 503,
            AppError::Internal | AppError::Network => 500,
        }
    }
}

impl AppError {
    /// The message for one form field, when the error is about that field.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Fields(errors) => errors.get(name).map(str::to_owned),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Network,
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                AppError::BadRequest(m)
            }
            _ => AppError::Internal,
        }
    }
}

impl From<Rule> for AppError {
    fn from(broken: Rule) -> Self {
        AppError::Rule(broken)
    }
}

#[cfg(feature = "ssr")]
impl From<mercato::Error> for AppError {
    fn from(e: mercato::Error) -> Self {
        match e {
            mercato::Error::NotFound => AppError::NotFound,
            mercato::Error::Rule(broken) => AppError::Rule(broken),
            mercato::Error::Fields(errors) => AppError::Fields(errors),
            mercato::Error::PaymentService(detail) => {
                tracing::warn!(%detail, "payment service unavailable");
                AppError::PaymentUnavailable
            }
            mercato::Error::Busy => {
                tracing::warn!("refused: every password-hashing place is taken");
                AppError::Busy
            }
            mercato::Error::TooManyAttempts { wait_secs } => AppError::TooManyRequests(wait_secs),
            mercato::Error::NotPermitted(missing) => {
                tracing::warn!(%missing, "refused: a permission is missing");
                AppError::Forbidden(Some(missing.0))
            }
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                AppError::Unavailable
            }
            e => {
                tracing::error!(error = %e, "internal error");
                AppError::Internal
            }
        }
    }
}
