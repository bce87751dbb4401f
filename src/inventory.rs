//! Stock: every change of a variant's `inventory.on_hand` is written with a movement
//! saying how much and why, so the stock can always be explained (`admin::stock_audit`).

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
        /// A staff member corrected the count.
        StaffEdit = "staff_edit",
        /// A customer sent units back.
        Return = "return",
    }
}

impl MovementReason {
    /// Moves made outside orders after a variant was created: restocks, corrections and
    /// returns.
    pub const ADJUSTMENTS: [MovementReason; 3] = [
        MovementReason::Restock,
        MovementReason::StaffEdit,
        MovementReason::Return,
    ];
}

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
