//! A named database constraint, broken by a write, as an error beside the form field it
//! is about: the database decides "that slug is taken" (no read-then-write race), and
//! the shopper or staff member reads it next to the slug field.
//!
//! ```ignore
//! sqlx::query!("INSERT INTO products (slug, …) VALUES ($1, …)", slug, …)
//!     .execute(&mut *tx)
//!     .await
//!     .on_constraint("products_slug_key", || Error::field("slug", "That slug is taken."))?
//! ```

use crate::Error;

/// Maps the violation of one named constraint to an error; anything else passes through.
/// Chains: `.on_constraint("a", …).on_constraint("b", …)`.
pub trait OnConstraint<T> {
    fn on_constraint(self, name: &str, error: impl FnOnce() -> Error) -> Result<T, Error>;
}

impl<T> OnConstraint<T> for Result<T, sqlx::Error> {
    fn on_constraint(self, name: &str, error: impl FnOnce() -> Error) -> Result<T, Error> {
        self.map_err(Error::from).on_constraint(name, error)
    }
}

impl<T> OnConstraint<T> for Result<T, Error> {
    fn on_constraint(self, name: &str, error: impl FnOnce() -> Error) -> Result<T, Error> {
        match self {
            Err(Error::Database(e)) if violated(&e) == Some(name) => Err(error()),
            other => other,
        }
    }
}

/// The constraint (or unique index) a write broke, if that is what failed.
pub fn violated(e: &sqlx::Error) -> Option<&str> {
    e.as_database_error()?.constraint()
}
