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
            Error::NotFound | Error::Invalid(_) => false,
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
