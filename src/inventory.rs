//! Stock: every change of a variant's `inventory.on_hand` is written with a movement
//! saying how much and why, so the stock can always be explained (`admin::stock_audit`).

use serde::{Deserialize, Serialize};

/// Why a variant's stock moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementReason {
    /// The stock a variant was created with.
    Initial,
    /// Taken by an order when it was placed.
    Order,
    /// Given back by an order cancelled before it was paid.
    Cancel,
    /// New stock arrived.
    Restock,
    /// A staff member corrected the count.
    StaffEdit,
    /// A customer sent units back.
    Return,
}

impl MovementReason {
    pub const ALL: [MovementReason; 6] = [
        MovementReason::Initial,
        MovementReason::Order,
        MovementReason::Cancel,
        MovementReason::Restock,
        MovementReason::StaffEdit,
        MovementReason::Return,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementReason::Initial => "initial",
            MovementReason::Order => "order",
            MovementReason::Cancel => "cancel",
            MovementReason::Restock => "restock",
            MovementReason::StaffEdit => "staff_edit",
            MovementReason::Return => "return",
        }
    }

    pub fn parse(s: &str) -> Option<MovementReason> {
        MovementReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Moves made outside orders after a variant was created: restocks, corrections and
    /// returns.
    pub const ADJUSTMENTS: [MovementReason; 3] = [
        MovementReason::Restock,
        MovementReason::StaffEdit,
        MovementReason::Return,
    ];
}

#[cfg(feature = "server")]
crate::text_enum!(MovementReason);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_as_itself() {
        for reason in MovementReason::ALL {
            assert_eq!(MovementReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(MovementReason::parse("theft"), None);
    }
}
