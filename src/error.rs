//! The domain's error type. The web layer maps it once to what a shopper sees.

/// Everything a domain service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or is not visible to the asker).
    #[error("not found")]
    NotFound,
    /// Input broke a rule of the domain; the message says which, for the person who sent it.
    #[error("{0}")]
    Invalid(String),
    /// A form broke rules field by field; each message belongs next to its field.
    #[error("{0}")]
    Fields(FieldErrors),
    /// The payment provider could not be reached or failed; nothing was charged. The
    /// detail is for the logs only.
    #[error("payment service: {0}")]
    PaymentService(String),
    /// The database refused or could not be reached. The detail is for the logs only.
    #[cfg(feature = "server")]
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl Error {
    /// True when the fault is passing (the database is down or saturated), so the shopper
    /// should simply try again in a moment.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::NotFound | Error::Invalid(_) | Error::Fields(_) => false,
            Error::PaymentService(_) => true,
            #[cfg(feature = "server")]
            Error::Database(e) => matches!(
                e,
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::WorkerCrashed
            ),
        }
    }
}

/// What is wrong with a form, field by field, in the order of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// The form field's `name`.
    pub field: String,
    pub message: String,
}

impl FieldErrors {
    /// Records a problem with `field`; only the first one per field is kept.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push(FieldError {
                field: field.to_owned(),
                message: message.into(),
            });
        }
    }

    /// The message for `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` when nothing was wrong.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Please check the form:")?;
        for e in &self.0 {
            write!(f, " {}", e.message)?;
        }
        Ok(())
    }
}
