//! The Mercato server as a library, so integration tests run exactly what the binary runs.

// The app's route tree is a deep type (as in `app`).
#![recursion_limit = "256"]

pub mod commands;
pub mod config;
pub mod http;
pub mod origin;
pub mod page_cache;
pub mod security;
pub mod sessions;
pub mod sitemap;
pub mod start;
pub mod worker;

pub use config::Config;
pub use start::{run, StartError};
