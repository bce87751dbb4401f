//! The audit log: every staff change, who made it, when, and the fields before and after,
//! written in the same transaction as the change (so a change without its entry, or an
//! entry without its change, cannot be). The table refuses updates and deletes.

#[cfg(feature = "server")]
use super::Staff;
#[cfg(feature = "server")]
use crate::Error;
use serde::{Deserialize, Serialize};
#[cfg(feature = "server")]
use sqlx::PgConnection;

crate::text_enum! {
    /// What a staff member did, as the log names it. One variant per kind of change, so
    /// a screen cannot misspell one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Action {
        /// An order moved to another status.
        OrderStatus = "order.status",
        /// A staff member was made an admin or given another staff role.
        StaffRole = "staff.role",
        StaffDeactivate = "staff.deactivate",
        StaffReactivate = "staff.reactivate",
        /// Someone was invited to the staff (a new account, or a customer's made staff).
        StaffInvite = "staff.invite",
        /// A variant's stock was adjusted (restock, correction, damage, return).
        StockAdjust = "stock.adjust",
        /// A variant's own low-stock threshold was set or cleared.
        StockThreshold = "stock.threshold",
        /// One of the shop's settings changed.
        Setting = "setting",
        /// A product was published, archived or put back to draft.
        ProductStatus = "product.status",
        /// A product was moved to another category.
        ProductCategory = "product.category",
    }
}

impl Action {
    /// What the log's page says was done.
    pub fn describe(self) -> &'static str {
        match self {
            Action::OrderStatus => "Changed an order's status",
            Action::StaffRole => "Changed a staff member's role",
            Action::StaffDeactivate => "Deactivated a staff account",
            Action::StaffReactivate => "Reactivated a staff account",
            Action::StaffInvite => "Invited someone to the staff",
            Action::StockAdjust => "Adjusted stock",
            Action::StockThreshold => "Set a low-stock threshold",
            Action::Setting => "Changed a setting",
            Action::ProductStatus => "Changed a product's status",
            Action::ProductCategory => "Moved a product to another category",
        }
    }
}

crate::text_enum! {
    /// What kind of thing a change was about.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum SubjectKind {
        Order = "order",
        /// An account, by its id.
        User = "user",
        /// A product's variant, by its id.
        Variant = "variant",
        /// A product, by its id.
        Product = "product",
        /// A shop setting, by its key.
        Setting = "setting",
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
#[cfg(feature = "server")]
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

/// One change as the audit log's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    /// When, as `YYYY-MM-DD HH:MM:SS` (UTC).
    pub at: String,
    pub staff_email: String,
    pub action: Action,
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    /// The changed fields before and after, as JSON text.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A page of the log, newest first, and where the next (older) one starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryPage {
    pub entries: Vec<Entry>,
    /// Pass as `before` for the next page; `None` on the last.
    pub next: Option<i64>,
}

/// Entries per page.
pub const PER_PAGE: i64 = 50;

/// The entries older than `before` (an entry id; `None`: the newest), [`PER_PAGE`] at a
/// time: a keyset page, as fast on the millionth entry as on the first.
#[cfg(feature = "server")]
pub async fn page(pool: &sqlx::PgPool, before: Option<i64>) -> Result<EntryPage, Error> {
    let mut entries = sqlx::query_as!(
        Entry,
        r#"SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS "at!",
                  staff_email, action AS "action: Action",
                  subject_kind AS "subject_kind: SubjectKind", subject_id,
                  before::text AS before, after::text AS after
           FROM audit_log WHERE id < coalesce($1, 9223372036854775807)
           ORDER BY id DESC LIMIT $2"#,
        before,
        PER_PAGE + 1,
    )
    .fetch_all(pool)
    .await?;
    let next = super::keyset_page(&mut entries, PER_PAGE, |e| e.id);
    Ok(EntryPage { entries, next })
}
