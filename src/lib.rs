//! Mercato's domain.
//!
//! The types here compile everywhere, the browser's wasm build included. Services and SQL
//! compile only with the `server` feature, so nothing database-shaped reaches the wasm.

#[macro_use]
mod text_enum;

pub mod accounts;
pub mod admin;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod error;
pub mod inventory;
pub mod money;
pub mod orders;
pub mod payments;
pub mod shop;
pub mod text;

#[cfg(feature = "server")]
pub mod cache;
#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod limits;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod storage;
pub mod token;

pub use error::Error;
pub use money::{Currency, Money};
