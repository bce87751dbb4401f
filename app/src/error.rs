//! The error type every `#[server]` function returns ([`Shown`], its words, for those
//! the browser's islands call). Domain errors are mapped to it once, here; what it
//! displays is what the shopper reads.

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
    #[error("{INTERNAL}")]
    Internal,
    /// The request never reached us, or its answer never reached the browser.
    #[error("{NETWORK}")]
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
    #[error("{BAD_REQUEST}{0}")]
    BadRequest(String),
}

const INTERNAL: &str =
    "Something went wrong on our side. Please try again; if it keeps happening, contact us.";
const NETWORK: &str = "We couldn't reach the shop. Check your connection and try again.";
const BAD_REQUEST: &str = "That request didn't make sense to us: ";

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

/// An error as the browser shows it: the status and the words of an [`AppError`]
/// (decided above, once). The server functions that islands call answer with this
/// instead: an island only shows an error, and decoding the words keeps the decoder of
/// every error type of the shop out of each shopper's download (23 KB brotli of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Shown {
    pub status: u16,
    pub message: String,
}

impl From<AppError> for Shown {
    fn from(e: AppError) -> Self {
        Shown {
            status: e.status(),
            message: e.to_string(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<mercato::Error> for Shown {
    fn from(e: mercato::Error) -> Self {
        AppError::from(e).into()
    }
}

impl FromServerFnError for Shown {
    type Encoder = JsonEncoding;

    /// As [`AppError`]'s, in words, without formatting an `AppError` in the browser
    /// (which would bring every error's words into the download).
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let (status, message) = match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                (500, NETWORK.to_owned())
            }
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                (400, format!("{BAD_REQUEST}{m}"))
            }
            _ => (500, INTERNAL.to_owned()),
        };
        Shown { status, message }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_fault_reads_the_same_whichever_error_type_answers() {
        let faults = [
            ServerFnErrorErr::Request("down".into()),
            ServerFnErrorErr::Response("cut".into()),
            ServerFnErrorErr::Args("bad".into()),
            ServerFnErrorErr::Deserialization("odd".into()),
            ServerFnErrorErr::ServerError("boom".into()),
        ];
        for fault in faults {
            assert_eq!(
                Shown::from_server_fn_error(fault.clone()),
                Shown::from(AppError::from_server_fn_error(fault.clone())),
                "{fault:?}"
            );
        }
    }

    #[test]
    fn shown_keeps_the_status_and_the_words() {
        let e = AppError::TooManyRequests(40);
        assert_eq!(
            Shown::from(e.clone()),
            Shown {
                status: 429,
                message: e.to_string()
            }
        );
    }
}
