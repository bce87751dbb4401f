//! The audit log: every staff change, who made it, when, and the fields before and after,
//! written in the same transaction as the change (so a change without its entry, or an
//! entry without its change, cannot be). The table refuses updates and deletes.

use super::Staff;
use crate::Error;
use sqlx::PgConnection;

/// What a change was about: `("order", "10042")`, `("product", "17")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    pub kind: &'static str,
    pub id: &'a str,
}

/// Records that `staff` did `action` (`order.cancel`, `product.update`) to `subject`,
/// with the changed fields `before` and `after` (JSON objects, or `None` for a creation
/// or a deletion).
pub async fn record(
    conn: &mut PgConnection,
    staff: &Staff,
    action: &str,
    subject: Subject<'_>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), Error> {
    sqlx::query!(
        "INSERT INTO audit_log (staff_id, staff_email, action, subject_kind, subject_id, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        staff.id(),
        staff.user().email,
        action,
        subject.kind,
        subject.id,
        before,
        after,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
