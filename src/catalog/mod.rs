//! The catalog: categories, products, their options and variants.

pub mod categories;
pub mod edit;
pub mod images;
pub mod imports;
pub mod listing;
mod slug;
pub mod view;

#[cfg(feature = "server")]
pub mod art;
#[cfg(feature = "server")]
pub mod browse;
#[cfg(feature = "server")]
pub mod cards;
#[cfg(feature = "server")]
pub mod export;
#[cfg(feature = "server")]
pub mod read;
#[cfg(feature = "server")]
pub mod seed;
#[cfg(feature = "server")]
pub mod sitemap;
pub mod staff;
#[cfg(feature = "server")]
pub mod transfer;

pub use slug::{Sku, SkuError, Slug, SlugError};

use serde::{Deserialize, Serialize};

crate::text_enum! {
    /// Whether shoppers can see a product. Drafts and archived products answer 404.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ProductStatus {
        Draft = "draft",
        Active = "active",
        Archived = "archived",
    }
}

impl ProductStatus {
    /// How staff screens name it.
    pub fn label(self) -> &'static str {
        match self {
            ProductStatus::Draft => "Draft",
            ProductStatus::Active => "Active",
            ProductStatus::Archived => "Archived",
        }
    }
}

/// Which way staff move an item of an ordered list (a category among its siblings, a
/// picture among a product's), as forms send it: `up` or `down`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// One place earlier.
    Up,
    /// One place later.
    Down,
}

impl Direction {
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "up" => Some(Direction::Up),
            "down" => Some(Direction::Down),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// Moves `id` one place `direction` in `order`: the places it left and took, or
/// `None` when it is at that end already (nothing moves). `Err` when `id` is not there.
pub fn move_one(
    order: &mut [i64],
    id: i64,
    direction: Direction,
) -> Result<Option<(usize, usize)>, crate::Error> {
    let at = order
        .iter()
        .position(|i| *i == id)
        .ok_or(crate::Error::NotFound)?;
    let to = match direction {
        Direction::Up => at.checked_sub(1),
        Direction::Down => Some(at + 1).filter(|t| *t < order.len()),
    };
    Ok(to.map(|to| {
        order.swap(at, to);
        (at, to)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_moves_one_place_and_not_past_either_end() {
        let mut order = [1, 2, 3];
        assert_eq!(
            move_one(&mut order, 3, Direction::Up).ok(),
            Some(Some((2, 1)))
        );
        assert_eq!(order, [1, 3, 2]);
        assert_eq!(move_one(&mut order, 1, Direction::Up).ok(), Some(None));
        assert_eq!(move_one(&mut order, 2, Direction::Down).ok(), Some(None));
        assert_eq!(order, [1, 3, 2]);
        assert!(move_one(&mut order, 9, Direction::Down).is_err());
        assert_eq!(Direction::parse("down"), Some(Direction::Down));
        assert_eq!(Direction::parse("sideways"), None);
    }
}
