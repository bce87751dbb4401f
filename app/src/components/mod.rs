//! Components shared by several pages.

mod footer;
mod header;
mod icons;
mod search_box;
mod status;

pub use footer::Footer;
pub use header::Header;
pub use search_box::SearchBox;
pub use status::set_status;
