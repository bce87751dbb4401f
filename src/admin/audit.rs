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
        /// A staff-only note was added to an order.
        OrderNote = "order.note",
        /// Units of an order left in a parcel.
        OrderShip = "order.ship",
        /// Money was given back for an order (or asked of the payment provider).
        OrderRefund = "order.refund",
        /// A return answered, received or refunded.
        OrderReturn = "order.return",
        /// A staff note about a customer.
        CustomerNote = "customer.note",
        /// A password reset mail sent for a customer.
        CustomerReset = "customer.reset",
        /// A customer's data downloaded.
        CustomerExport = "customer.export",
        /// A customer anonymised.
        CustomerAnonymise = "customer.anonymise",
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
        /// A product was added in the editor.
        ProductCreate = "product.create",
        /// A product's fields, options or variants were saved in the editor.
        ProductEdit = "product.edit",
        /// A product's pictures changed: one added, moved or removed.
        ProductImages = "product.images",
        CategoryCreate = "category.create",
        /// A category was renamed or its description or slug changed.
        CategoryEdit = "category.edit",
        /// A category moved under another one, or among its siblings.
        CategoryMove = "category.move",
        /// A category was deleted (its products moved to another first).
        CategoryDelete = "category.delete",
        CouponCreate = "coupon.create",
        /// A coupon's code, value, conditions, dates or limits were saved.
        CouponEdit = "coupon.edit",
        /// A coupon was paused or resumed.
        CouponPause = "coupon.pause",
        /// A coupon was deleted (its row and figures kept).
        CouponDelete = "coupon.delete",
        /// A shipping zone added, changed (name, countries) or deleted.
        ShippingZone = "shipping.zone",
        /// A shipping rate added, changed or deleted.
        ShippingRate = "shipping.rate",
        /// A tax rate added, changed or deleted.
        TaxRate = "tax.rate",
    }
}

impl Action {
    /// What the log's page says was done.
    pub fn describe(self) -> &'static str {
        match self {
            Action::OrderStatus => "Changed an order's status",
            Action::OrderNote => "Added a note to an order",
            Action::OrderShip => "Shipped items of an order",
            Action::OrderRefund => "Refunded an order",
            Action::OrderReturn => "Dealt with a return",
            Action::CustomerNote => "Added a note to a customer",
            Action::CustomerReset => "Sent a customer a password reset mail",
            Action::CustomerExport => "Downloaded a customer's data",
            Action::CustomerAnonymise => "Anonymised a customer",
            Action::StaffRole => "Changed a staff member's role",
            Action::StaffDeactivate => "Deactivated a staff account",
            Action::StaffReactivate => "Reactivated a staff account",
            Action::StaffInvite => "Invited someone to the staff",
            Action::StockAdjust => "Adjusted stock",
            Action::StockThreshold => "Set a low-stock threshold",
            Action::Setting => "Changed a setting",
            Action::ProductStatus => "Changed a product's status",
            Action::ProductCategory => "Moved a product to another category",
            Action::ProductCreate => "Added a product",
            Action::ProductEdit => "Edited a product",
            Action::ProductImages => "Changed a product's pictures",
            Action::CategoryCreate => "Added a category",
            Action::CategoryEdit => "Edited a category",
            Action::CategoryMove => "Moved a category",
            Action::CategoryDelete => "Deleted a category",
            Action::CouponCreate => "Added a coupon",
            Action::CouponEdit => "Edited a coupon",
            Action::CouponPause => "Paused or resumed a coupon",
            Action::CouponDelete => "Deleted a coupon",
            Action::ShippingZone => "Added, changed or deleted a shipping zone",
            Action::ShippingRate => "Added, changed or deleted a shipping rate",
            Action::TaxRate => "Added, changed or deleted a tax rate",
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
        /// A category, by its id.
        Category = "category",
        /// A coupon, by its id.
        Coupon = "coupon",
        /// A shop setting, by its key.
        Setting = "setting",
        /// A shipping zone, by its id.
        ShippingZone = "shipping_zone",
        /// A shipping rate, by its id.
        ShippingRate = "shipping_rate",
        /// A tax rate, by its id.
        TaxRate = "tax_rate",
    }
}

impl SubjectKind {
    /// How the log's filter names it.
    pub fn label(self) -> &'static str {
        match self {
            SubjectKind::Order => "Orders",
            SubjectKind::User => "Accounts",
            SubjectKind::Variant => "Variants (stock)",
            SubjectKind::Setting => "Settings",
            SubjectKind::Product => "Products",
            SubjectKind::Category => "Categories",
            SubjectKind::Coupon => "Coupons",
            SubjectKind::ShippingZone => "Shipping zones",
            SubjectKind::ShippingRate => "Shipping rates",
            SubjectKind::TaxRate => "Tax rates",
        }
    }
}

/// Who last changed a record, and when: what a stale save is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastChange {
    /// The staff member's email.
    pub by: String,
    /// `YYYY-MM-DD HH:MM` UTC.
    pub at: String,
}

impl LastChange {
    /// Who `did` (changed, saved) `what` after a form was opened, for a stale save's
    /// message: "ada@example.com changed this coupon at 2026-12-03 10:00 UTC", or
    /// "Someone else changed this coupon" when the log does not say.
    pub fn who(change: Option<&LastChange>, did: &str, what: &str) -> String {
        match change {
            Some(c) => format!("{} {did} this {what} at {} UTC", c.by, c.at),
            None => format!("Someone else changed this {what}"),
        }
    }
}

/// The latest of `actions` on the subject `kind` `id`, from the log.
#[cfg(feature = "server")]
pub async fn last_change(
    conn: &mut PgConnection,
    kind: SubjectKind,
    id: &str,
    actions: &[Action],
) -> Result<Option<LastChange>, Error> {
    let actions: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
    Ok(sqlx::query_as!(
        LastChange,
        r#"SELECT staff_email AS by, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "at!"
           FROM audit_log
           WHERE subject_kind = $1 AND subject_id = $2 AND action = ANY($3)
           ORDER BY at DESC, id DESC LIMIT 1"#,
        kind as SubjectKind,
        id,
        &actions as &[&str],
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// What a change was about: an order by its number, a product by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    pub kind: SubjectKind,
    pub id: &'a str,
}

/// The fields that differ between before and after, as the two objects an audit entry
/// records: `[("name", json!(old), json!(new)), …]`.
#[cfg(feature = "server")]
pub fn changed<K: Into<String>>(
    fields: impl IntoIterator<Item = (K, serde_json::Value, serde_json::Value)>,
) -> (
    serde_json::Map<String, serde_json::Value>,
    serde_json::Map<String, serde_json::Value>,
) {
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    for (field, was, now) in fields {
        if was != now {
            let field = field.into();
            before.insert(field.clone(), was);
            after.insert(field, now);
        }
    }
    (before, after)
}

/// Records the same change to each of `subjects` (of one kind) in one statement: a
/// category deleted moves its products, each of which gets its entry.
#[cfg(feature = "server")]
pub async fn record_each(
    conn: &mut PgConnection,
    staff: &Staff,
    action: Action,
    kind: SubjectKind,
    subjects: &[String],
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), Error> {
    sqlx::query!(
        "INSERT INTO audit_log (staff_id, staff_email, action, subject_kind, subject_id, before, after)
         SELECT $1, $2, $3, $4, subject, $6, $7 FROM UNNEST($5::text[]) AS subject",
        staff.id(),
        staff.user().email,
        action as Action,
        kind as SubjectKind,
        subjects,
        before,
        after,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
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

/// [`record`] for a subject known by its numeric id (a coupon, a category).
#[cfg(feature = "server")]
pub async fn record_by_id(
    conn: &mut PgConnection,
    staff: &Staff,
    action: Action,
    kind: SubjectKind,
    id: i64,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Result<(), Error> {
    let id = id.to_string();
    record(
        conn,
        staff,
        action,
        Subject { kind, id: &id },
        before,
        Some(after),
    )
    .await
}

/// One change as the audit log's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::FromRow))]
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

/// A calendar day, as `YYYY-MM-DD` (an `<input type="date">`'s value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Day {
    year: u16,
    month: u8,
    day: u8,
}

impl Day {
    /// A real day of the Gregorian calendar from year 2000 to 9999, or `None`.
    pub fn parse(s: &str) -> Option<Day> {
        let mut parts = s.trim().splitn(3, '-');
        let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return None;
        }
        // Digits only: `parse` alone would take a sign.
        if ![year, month, day]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let (year, month, day): (u16, u8, u8) =
            (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        ((2000..=9999).contains(&year) && (1..=days).contains(&day)).then_some(Day {
            year,
            month,
            day,
        })
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Which entries the log's page lists, as in its URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryQuery {
    /// The staff member's account id.
    pub staff: Option<i64>,
    pub kind: Option<SubjectKind>,
    /// A subject's id ("12" for product 12), with `kind`.
    pub subject: String,
    /// From the start of this day (UTC).
    pub from: Option<Day>,
    /// To the end of this day (UTC).
    pub to: Option<Day>,
    /// Entries older than this one.
    pub before: Option<i64>,
}

impl EntryQuery {
    /// From the URL's parameters; what does not parse is left out.
    pub fn from_params(
        staff: Option<&str>,
        kind: Option<&str>,
        subject: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        before: Option<&str>,
    ) -> EntryQuery {
        EntryQuery {
            staff: staff.and_then(|s| s.parse().ok()),
            kind: kind.and_then(SubjectKind::parse),
            subject: subject
                .unwrap_or_default()
                .trim()
                .chars()
                .take(100)
                .collect(),
            from: from.and_then(Day::parse),
            to: to.and_then(Day::parse),
            before: before.and_then(|b| b.parse().ok()),
        }
    }

    /// The page's URL for this query.
    pub fn href(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if let Some(staff) = self.staff {
            out.append_pair("staff", &staff.to_string());
        }
        if let Some(kind) = self.kind {
            out.append_pair("kind", kind.as_str());
        }
        if !self.subject.is_empty() {
            out.append_pair("subject", &self.subject);
        }
        if let Some(from) = self.from {
            out.append_pair("from", &from.to_string());
        }
        if let Some(to) = self.to {
            out.append_pair("to", &to.to_string());
        }
        if let Some(before) = self.before {
            out.append_pair("before", &before.to_string());
        }
        match out.finish() {
            q if q.is_empty() => "/admin/audit".to_owned(),
            q => format!("/admin/audit?{q}"),
        }
    }

    /// The same entries from before `before` (`None`: the newest).
    pub fn starting(&self, before: Option<i64>) -> EntryQuery {
        EntryQuery {
            before,
            ..self.clone()
        }
    }

    pub fn is_filtered(&self) -> bool {
        self.staff.is_some()
            || self.kind.is_some()
            || !self.subject.is_empty()
            || self.from.is_some()
            || self.to.is_some()
    }
}

/// The entries `query` asks for, newest first, [`PER_PAGE`] at a time: a keyset page,
/// as fast on the millionth entry as on the first.
#[cfg(feature = "server")]
pub async fn page(pool: &sqlx::PgPool, query: &EntryQuery) -> Result<EntryPage, Error> {
    let mut sql = sqlx::QueryBuilder::<sqlx::Postgres>::new(
        "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at,
                staff_email, action, subject_kind, subject_id,
                before::text AS before, after::text AS after
         FROM audit_log WHERE true",
    );
    if let Some(staff) = query.staff {
        sql.push(" AND staff_id = ").push_bind(staff);
    }
    if let Some(kind) = query.kind {
        sql.push(" AND subject_kind = ").push_bind(kind.as_str());
    }
    if !query.subject.is_empty() {
        sql.push(" AND subject_id = ")
            .push_bind(query.subject.clone());
    }
    if let Some(from) = query.from {
        sql.push(" AND at >= (")
            .push_bind(from.to_string())
            .push("::date)::timestamp AT TIME ZONE 'UTC'");
    }
    if let Some(to) = query.to {
        sql.push(" AND at < (")
            .push_bind(to.to_string())
            .push("::date + 1)::timestamp AT TIME ZONE 'UTC'");
    }
    if let Some(before) = query.before {
        sql.push(" AND id < ").push_bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ").push_bind(PER_PAGE + 1);
    let mut entries: Vec<Entry> = sql.build_query_as().fetch_all(pool).await?;
    let next = super::keyset_page(&mut entries, PER_PAGE, |e| e.id);
    Ok(EntryPage { entries, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_a_real_calendar_day() {
        assert_eq!(
            Day::parse("2026-12-01").map(|d| d.to_string()).as_deref(),
            Some("2026-12-01")
        );
        assert!(Day::parse("2028-02-29").is_some());
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-04-31",
            "26-12-01",
            "2026-1-01",
            "1999-12-31",
            "2026-12-01x",
            "",
            "2026-00-10",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_entry_query_reads_back_from_its_url() {
        let query = EntryQuery::from_params(
            Some("7"),
            Some("product"),
            Some(" 12 "),
            Some("2026-12-01"),
            Some("2026-12-02"),
            Some("99"),
        );
        assert_eq!(query.kind, Some(SubjectKind::Product));
        assert_eq!(
            query.href(),
            "/admin/audit?staff=7&kind=product&subject=12&from=2026-12-01&to=2026-12-02&before=99"
        );
        let nonsense = EntryQuery::from_params(
            Some("x"),
            Some("order'--"),
            None,
            Some("yesterday"),
            None,
            None,
        );
        assert_eq!(nonsense, EntryQuery::default());
        assert_eq!(nonsense.href(), "/admin/audit");
    }
}
