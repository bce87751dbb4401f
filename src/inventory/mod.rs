//! Stock: every change of a variant's `inventory.on_hand` is written with a movement
//! saying how much and why, so the stock can always be explained (`admin::stock_audit`).
//!
//! Staff adjust stock with a reason ([`Adjustment`]); the database refuses stock below
//! zero and a reason moving the wrong way (damage that adds units). A variant is low at
//! or below its own threshold, or the shop's ([`StockState`]).

#[cfg(feature = "server")]
pub mod store;

use crate::error::FieldErrors;
use serde::{Deserialize, Serialize};

crate::text_enum! {
    /// Why a variant's stock moved.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum MovementReason {
        /// The stock a variant was created with.
        Initial = "initial",
        /// Taken by an order when it was placed.
        Order = "order",
        /// Given back by an order cancelled before it was paid.
        Cancel = "cancel",
        /// New stock arrived.
        Restock = "restock",
        /// A staff member corrected the count (a stock take).
        Correction = "correction",
        /// Units were found damaged and taken out of stock.
        Damage = "damage",
        /// A customer sent units back.
        Return = "return",
    }
}

/// Which way a reason may move stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    Either,
}

impl MovementReason {
    /// Moves staff make after a variant was created: restocks, corrections, damage and
    /// returns, in the order the adjustment form offers them.
    pub const ADJUSTMENTS: [MovementReason; 4] = [
        MovementReason::Restock,
        MovementReason::Correction,
        MovementReason::Damage,
        MovementReason::Return,
    ];

    /// Which way this reason moves stock (the database checks the same).
    pub fn direction(self) -> Direction {
        match self {
            MovementReason::Restock | MovementReason::Return | MovementReason::Cancel => {
                Direction::In
            }
            MovementReason::Damage | MovementReason::Order => Direction::Out,
            MovementReason::Initial | MovementReason::Correction => Direction::Either,
        }
    }

    /// How the movement log and the adjustment form name it.
    pub fn label(self) -> &'static str {
        match self {
            MovementReason::Initial => "Initial stock",
            MovementReason::Order => "Order",
            MovementReason::Cancel => "Order cancelled",
            MovementReason::Restock => "Restock",
            MovementReason::Correction => "Correction",
            MovementReason::Damage => "Damaged",
            MovementReason::Return => "Returned",
        }
    }
}

/// The most units one adjustment moves either way.
pub const MAX_ADJUSTMENT: i32 = 1_000_000;

/// The longest note an adjustment keeps (the database's limit).
pub const MAX_NOTE: usize = 500;

/// A staff member's change of one variant's stock, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub variant_id: i64,
    /// Units in (positive) or out (negative); never zero.
    pub delta: i32,
    pub reason: MovementReason,
    pub note: Option<String>,
}

impl Adjustment {
    /// Reads the adjustment form: `quantity` a whole number of units, signed ("+12",
    /// "-3"; a restock or a return may leave the sign out, damage counts units out
    /// whichever sign is typed), `reason` one of [`MovementReason::ADJUSTMENTS`], a note
    /// of up to [`MAX_NOTE`] characters. Errors name the form's fields.
    pub fn parse(
        variant_id: i64,
        quantity: &str,
        reason: &str,
        note: &str,
    ) -> Result<Adjustment, FieldErrors> {
        let mut errors = FieldErrors::default();
        let reason = MovementReason::parse(reason.trim())
            .filter(|r| MovementReason::ADJUSTMENTS.contains(r));
        if reason.is_none() {
            errors.add("reason", "Choose why the stock changes.");
        }
        let quantity = quantity.trim();
        let number = quantity
            .strip_prefix('+')
            .unwrap_or(quantity)
            .parse::<i32>()
            .ok();
        let delta = match (number, reason) {
            (None, _) if quantity.is_empty() => {
                errors.add("quantity", "Enter how many units come in or go out.");
                None
            }
            (None, _) => {
                errors.add(
                    "quantity",
                    "Enter a whole number of units, such as 12 or -3.",
                );
                None
            }
            (Some(0), _) => {
                errors.add("quantity", "Enter a number other than 0.");
                None
            }
            (Some(n), _) if n.unsigned_abs() > MAX_ADJUSTMENT as u32 => {
                errors.add(
                    "quantity",
                    format!("One adjustment moves at most {MAX_ADJUSTMENT} units."),
                );
                None
            }
            (Some(n), Some(reason)) => match reason.direction() {
                Direction::Out => Some(-n.abs()),
                Direction::In if n < 0 => {
                    errors.add(
                        "quantity",
                        format!(
                            "{} adds units: enter a positive number, or choose Correction or Damaged to take units out.",
                            reason.label()
                        ),
                    );
                    None
                }
                _ => Some(n),
            },
            (Some(n), None) => Some(n),
        };
        let note = note.trim();
        if note.chars().count() > MAX_NOTE {
            errors.add(
                "note",
                format!("Keep the note to {MAX_NOTE} characters or fewer."),
            );
        }
        match (delta, reason) {
            (Some(delta), Some(reason)) if errors.is_empty() => Ok(Adjustment {
                variant_id,
                delta,
                reason,
                note: (!note.is_empty()).then(|| note.to_owned()),
            }),
            _ => Err(errors),
        }
    }
}

/// The highest low-stock threshold (the database's limit).
pub const MAX_THRESHOLD: i32 = 1_000_000;

/// Reads a low-stock threshold form field: a whole number of units from 0, or empty
/// when `empty_allowed` (a variant then follows the shop's threshold).
pub fn parse_threshold(s: &str, empty_allowed: bool) -> Result<Option<i32>, FieldErrors> {
    let s = s.trim();
    if s.is_empty() && empty_allowed {
        return Ok(None);
    }
    match s.parse::<i32>() {
        Ok(n) if (0..=MAX_THRESHOLD).contains(&n) => Ok(Some(n)),
        _ => {
            let mut errors = FieldErrors::default();
            errors.add(
                "threshold",
                if empty_allowed {
                    "Enter a whole number of units from 0, or leave it empty to use the shop's threshold."
                } else {
                    "Enter a whole number of units from 0."
                },
            );
            Err(errors)
        }
    }
}

/// How a variant's stock stands against its low-stock threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StockState {
    InStock,
    /// At or below the threshold, not sold out.
    Low,
    SoldOut,
}

impl StockState {
    pub fn of(on_hand: i32, threshold: i32) -> StockState {
        if on_hand <= 0 {
            StockState::SoldOut
        } else if on_hand <= threshold {
            StockState::Low
        } else {
            StockState::InStock
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StockState::InStock => "In stock",
            StockState::Low => "Low",
            StockState::SoldOut => "Sold out",
        }
    }
}

/// Which variants the inventory page lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Show {
    /// Low or sold out: what needs restocking.
    #[default]
    NeedsStock,
    SoldOut,
    All,
}

impl Show {
    pub const ALL: [Show; 3] = [Show::NeedsStock, Show::SoldOut, Show::All];

    /// As in the page's URL (`?show=…`).
    pub fn as_str(self) -> &'static str {
        match self {
            Show::NeedsStock => "needs-stock",
            Show::SoldOut => "sold-out",
            Show::All => "all",
        }
    }

    /// From the URL; anything else is the default.
    pub fn parse(s: &str) -> Show {
        Show::ALL
            .into_iter()
            .find(|show| show.as_str() == s)
            .unwrap_or_default()
    }

    pub fn label(self) -> &'static str {
        match self {
            Show::NeedsStock => "Low or sold out",
            Show::SoldOut => "Sold out",
            Show::All => "All variants",
        }
    }
}

/// One variant's stock, as the inventory page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::FromRow))]
pub struct Level {
    pub variant_id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub product_slug: String,
    /// Shoppers see only active products.
    pub product_status: crate::catalog::ProductStatus,
    pub sku: String,
    /// The variant's option values, "M / Blue" (empty for a product without options).
    pub options: String,
    pub on_hand: i32,
    /// The variant's own threshold, if it has one.
    pub own_threshold: Option<i32>,
    /// The threshold that applies: its own, or the shop's.
    pub threshold: i32,
    /// Whether orders take this variant's stock; one that is not tracked is always
    /// available and never low or sold out.
    pub tracked: bool,
}

impl Level {
    /// How its stock stands; `None` when its stock is not tracked.
    pub fn state(&self) -> Option<StockState> {
        self.tracked
            .then(|| StockState::of(self.on_hand, self.threshold))
    }
}

/// Where a page of levels starts: after this (stock, variant id), lowest stock first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LevelCursor {
    pub on_hand: i32,
    pub variant_id: i64,
}

impl LevelCursor {
    /// As in the page's URL: `12.3456` (stock, then variant).
    pub fn to_param(self) -> String {
        format!("{}.{}", self.on_hand, self.variant_id)
    }

    pub fn parse(s: &str) -> Option<LevelCursor> {
        let (on_hand, variant_id) = s.split_once('.')?;
        Some(LevelCursor {
            on_hand: on_hand.parse().ok()?,
            variant_id: variant_id.parse().ok()?,
        })
    }
}

/// What the inventory page lists, as in its URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelQuery {
    pub show: Show,
    /// A SKU's start or part of a product's name (trimmed; empty: every variant).
    pub q: String,
    pub after: Option<LevelCursor>,
}

impl LevelQuery {
    /// From the URL's parameters; what does not parse is left at its default.
    pub fn from_params(show: Option<&str>, q: Option<&str>, after: Option<&str>) -> LevelQuery {
        LevelQuery {
            show: Show::parse(show.unwrap_or_default()),
            q: q.unwrap_or_default().trim().chars().take(100).collect(),
            after: after.and_then(LevelCursor::parse),
        }
    }

    /// The page's URL for this query.
    pub fn href(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("show", self.show.as_str());
        if !self.q.is_empty() {
            out.append_pair("q", &self.q);
        }
        if let Some(after) = self.after {
            out.append_pair("after", &after.to_param());
        }
        format!("/admin/inventory?{}", out.finish())
    }

    /// The same list from `after` (`None`: its first page).
    pub fn starting(&self, after: Option<LevelCursor>) -> LevelQuery {
        LevelQuery {
            after,
            ..self.clone()
        }
    }
}

/// A page of levels and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelPage {
    pub levels: Vec<Level>,
    pub next: Option<LevelCursor>,
    /// The shop's low-stock threshold.
    pub shop_threshold: i32,
}

/// One movement of a variant's stock, as its log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub id: i64,
    /// When, as `YYYY-MM-DD HH:MM` (UTC).
    pub at: String,
    pub delta: i32,
    pub reason: MovementReason,
    pub note: Option<String>,
    /// The staff member who made it (none: an order, or the shop's set-up).
    pub by: Option<String>,
}

/// Levels per page, and movements per page of a variant's log.
pub const PER_PAGE: i64 = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_as_itself() {
        for reason in MovementReason::ALL {
            assert_eq!(MovementReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(MovementReason::parse("theft"), None);
        assert_eq!(MovementReason::parse("staff_edit"), None);
    }

    fn parse(quantity: &str, reason: &str) -> Result<i32, String> {
        Adjustment::parse(7, quantity, reason, "")
            .map(|a| a.delta)
            .map_err(|e| {
                e.0.iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
    }

    #[test]
    fn an_adjustment_moves_the_way_its_reason_says() {
        assert_eq!(parse("12", "restock"), Ok(12));
        assert_eq!(parse(" +12 ", "restock"), Ok(12));
        assert_eq!(parse("2", "return"), Ok(2));
        assert_eq!(parse("-3", "correction"), Ok(-3));
        assert_eq!(parse("3", "correction"), Ok(3));
        // Damage takes units out whichever sign is typed.
        assert_eq!(parse("3", "damage"), Ok(-3));
        assert_eq!(parse("-3", "damage"), Ok(-3));
        let refused = parse("-3", "restock").expect_err("a restock adds");
        assert!(
            refused.starts_with("quantity: Restock adds units"),
            "{refused}"
        );
    }

    #[test]
    fn a_bad_adjustment_names_each_field() {
        for (quantity, expected) in [
            ("", "quantity: Enter how many units"),
            ("abc", "quantity: Enter a whole number"),
            ("1.5", "quantity: Enter a whole number"),
            ("1e3", "quantity: Enter a whole number"),
            ("0", "quantity: Enter a number other than 0."),
            ("1000001", "quantity: One adjustment moves at most"),
            ("-99999999999", "quantity: Enter a whole number"),
        ] {
            let refused = parse(quantity, "correction").expect_err(quantity);
            assert!(refused.starts_with(expected), "{quantity:?}: {refused}");
        }
        for reason in ["", "order", "initial", "cancel", "theft"] {
            let refused = parse("1", reason).expect_err(reason);
            assert_eq!(refused, "reason: Choose why the stock changes.");
        }
        let long = "x".repeat(MAX_NOTE + 1);
        let refused = Adjustment::parse(7, "1", "restock", &long).expect_err("too long");
        assert_eq!(refused.get("note").map(|m| &m[..9]), Some("Keep the "));
        let both = Adjustment::parse(7, "abc", "theft", "").expect_err("two fields");
        assert_eq!(both.0.len(), 2);
        let kept = Adjustment::parse(7, "5", "restock", "  Delivery 42 ").expect("valid");
        assert_eq!(kept.note.as_deref(), Some("Delivery 42"));
        assert_eq!(
            Adjustment::parse(7, "5", "restock", "   ").map(|a| a.note),
            Ok(None)
        );
    }

    #[test]
    fn a_threshold_is_a_whole_number_or_the_shops() {
        assert_eq!(parse_threshold(" 3 ", true), Ok(Some(3)));
        assert_eq!(parse_threshold("0", false), Ok(Some(0)));
        assert_eq!(parse_threshold("", true), Ok(None));
        for bad in ["", "-1", "2.5", "abc", "1000001"] {
            assert!(parse_threshold(bad, false).is_err(), "{bad:?}");
        }
        assert!(parse_threshold("-1", true).is_err());
    }

    #[test]
    fn stock_is_low_at_or_below_its_threshold() {
        assert_eq!(StockState::of(0, 5), StockState::SoldOut);
        assert_eq!(StockState::of(1, 5), StockState::Low);
        assert_eq!(StockState::of(5, 5), StockState::Low);
        assert_eq!(StockState::of(6, 5), StockState::InStock);
        assert_eq!(StockState::of(1, 0), StockState::InStock);
    }

    #[test]
    fn a_cursor_reads_back_from_the_url() {
        let cursor = LevelCursor {
            on_hand: 12,
            variant_id: 3456,
        };
        assert_eq!(LevelCursor::parse(&cursor.to_param()), Some(cursor));
        assert_eq!(LevelCursor::parse("12"), None);
        assert_eq!(LevelCursor::parse("a.b"), None);
        let query = LevelQuery::from_params(Some("sold-out"), Some(" tee & co "), Some("0.77"));
        assert_eq!(query.q, "tee & co");
        assert_eq!(
            query.href(),
            "/admin/inventory?show=sold-out&q=tee+%26+co&after=0.77"
        );
        assert_eq!(
            LevelQuery::from_params(Some("nonsense"), None, Some("x")),
            LevelQuery::default()
        );
    }
}
