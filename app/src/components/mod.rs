//! Components shared by several pages.

mod address_fields;
mod flash;
mod footer;
pub mod form;
mod header;
mod icons;
mod live;
mod loaded;
mod page_meta;
mod search_box;
mod status;

pub use address_fields::AddressFields;
pub use flash::{Flash, FlashMessage};
pub use footer::Footer;
pub use header::{Header, ShopName};
pub use icons::CartIcon;
pub use live::{AutoSubmit, HydratedMarker};
pub use loaded::loaded;
pub use page_meta::{absolute, breadcrumb_list, JsonLd, PageMeta, PageTitle};
pub use search_box::SearchBox;
pub use status::set_status;
