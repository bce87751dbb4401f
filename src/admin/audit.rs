//! The audit log: every staff change, who made it, when, and the fields before and after,
//! written in the same transaction as the change (so a change without its entry, or an
//! entry without its change, cannot be). The table refuses updates and deletes.

use super::Staff;
use crate::Error;
use sqlx::PgConnection;

crate::text_enum! {
    /// What a staff member did, as the log names it. One variant per kind of change, so
    /// a screen cannot misspell one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Action {
        /// An order moved to another status.
        OrderStatus = "order.status",
    }
}

crate::text_enum! {
    /// What kind of thing a change was about.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum SubjectKind {
        Order = "order",
    }
}

/// What a change was about: an order by its number, a product by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    pub kind: SubjectKind,
    pub id: &'a str,
}

/// Records that `staff` did `action` to `subject`, with the changed fields `before` and
/// `after` (JSON objects, or `None` for a creation or a deletion).
pub async fn record(
    conn: &mut PgConnection,
    staff: &Staff,
    action: Action,
    subject: Subject<'_>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), Error> {
    sqlx::query!(
        "INSERT INTO audit_log (staff_id, staff_email, action, subject_kind, subject_id, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        staff.id(),
        staff.user().email,
        action as Action,
        subject.kind as SubjectKind,
        subject.id,
        before,
        after,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
