//! One module per page.

mod error_page;
mod home;
mod not_found;

pub use error_page::ErrorPage;
pub use home::HomePage;
pub use not_found::NotFoundPage;
