//! Coupons as staff run them: a list with what each did (uses, orders, revenue), and a
//! coupon created, edited, paused, resumed or deleted, each change one transaction with
//! its audit entry. What a coupon takes off and when it applies is [`super::coupon`];
//! the shopper's side is [`super::coupons`].
//!
//! An edit carries the version it was opened at: a stale one is refused with who
//! changed the coupon and when, and changes nothing. A deleted coupon keeps its row (its
//! orders and redemptions point at it) and never applies again; its code is free for a
//! new coupon. A change applies to carts from their next view and to checkouts not yet
//! placed (placing re-checks the coupon under a lock); placed orders keep what they
//! were given.

pub use super::coupon::CouponState;
use super::coupon::{self, CouponKind, DiscountKind};
use crate::admin::audit::{Day, LastChange};
use crate::error::FieldErrors;
use crate::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The list's address.
pub const LIST_PATH: &str = "/admin/discounts";

/// The most a limit may say (uses in all, or per customer).
pub const MAX_LIMIT: i32 = 1_000_000_000;

/// The longest description, as the column allows.
pub const MAX_DESCRIPTION: usize = 200;

/// A minute of UTC time, as a `datetime-local` field sends it (`2026-12-24T18:00`). A
/// day alone is refused: as an end it could mean its first minute or its last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UtcMinute {
    day: Day,
    hour: u8,
    minute: u8,
}

impl UtcMinute {
    pub fn parse(s: &str) -> Option<UtcMinute> {
        let s = s.trim();
        let (day, time) = s.split_once(['T', ' '])?;
        let day = Day::parse(day)?;
        // Seconds (which some browsers send) are dropped: a coupon's times are minutes.
        let mut parts = time.split(':');
        let (hour, minute) = (parts.next()?, parts.next()?);
        let seconds_ok = parts
            .next()
            .is_none_or(|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()));
        let two_digits = |p: &str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(hour) || !two_digits(minute) || !seconds_ok || parts.next().is_some() {
            return None;
        }
        let (hour, minute): (u8, u8) = (hour.parse().ok()?, minute.parse().ok()?);
        (hour < 24 && minute < 60).then_some(UtcMinute { day, hour, minute })
    }

    /// As a `datetime-local` field's value.
    pub fn field_value(&self) -> String {
        format!("{}T{:02}:{:02}", self.day, self.hour, self.minute)
    }
}

/// `2026-12-24 18:00`, which Postgres reads as a timestamp.
impl fmt::Display for UtcMinute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:02}:{:02}", self.day, self.hour, self.minute)
    }
}

/// A coupon's form as staff filled it in, every field as typed (a field not sent is
/// empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CouponForm {
    pub code: String,
    pub description: String,
    /// `percent`, `fixed` or `free_shipping`.
    pub kind: String,
    /// The percentage, or the amount off; unused for free shipping.
    pub value: String,
    pub min_subtotal: String,
    pub starts: String,
    pub ends: String,
    pub max_uses: String,
    pub max_uses_per_customer: String,
}

/// A coupon as staff mean it to be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponDraft {
    pub code: String,
    pub description: String,
    pub kind: DiscountKind,
    /// As stored: the percentage, the amount off, or 0 for free shipping.
    pub value: Decimal,
    pub min_subtotal: Decimal,
    pub starts: Option<UtcMinute>,
    pub ends: Option<UtcMinute>,
    pub max_uses: Option<i32>,
    pub max_uses_per_customer: Option<i32>,
}

/// A percentage as typed: more than 0, at most 100, two decimals at most.
fn parse_percent(typed: &str) -> Result<Decimal, &'static str> {
    use crate::money::PercentError;
    match crate::money::parse_percent(typed, 2) {
        Err(PercentError::Empty) => Err("Enter the percentage off, such as 10."),
        Err(PercentError::Malformed) => Err("Enter a number such as 10 or 12.5."),
        Err(PercentError::TooPrecise) => Err("Use at most two decimals, such as 12.55."),
        Ok(value) if value <= Decimal::ZERO || value > Decimal::ONE_HUNDRED => {
            Err("A percentage off is more than 0 and at most 100.")
        }
        Ok(value) => Ok(value),
    }
}

/// A limit as typed: empty for none, else a whole number from 1.
fn parse_limit(typed: &str) -> Result<Option<i32>, &'static str> {
    let s = typed.trim().replace(',', "");
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(n) if n >= 1 && n <= i64::from(MAX_LIMIT) => Ok(Some(n as i32)),
        Ok(n) if n < 1 => Err("A limit is at least 1. Leave it empty for no limit."),
        _ => Err("Enter a whole number such as 100, or leave it empty for no limit."),
    }
}

impl CouponDraft {
    /// From the form; amounts in `currency`. Every field's problem is named at once.
    pub fn parse(form: &CouponForm, currency: Currency) -> Result<CouponDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        // What a shopper may type (`normalize_code`), and what a stored code also needs
        // (the column's CHECK): two characters at least, a letter or digit first.
        let code = match coupon::normalize_code(&form.code) {
            Err(_) => {
                errors.add("code", "Enter the code shoppers type, such as SPRING10.");
                String::new()
            }
            Ok(Some(code))
                if code.chars().count() >= 2
                    && code.starts_with(|c: char| c.is_ascii_alphanumeric()) =>
            {
                code
            }
            Ok(_) => {
                errors.add(
                    "code",
                    "Use 2 to 40 letters, digits, hyphens or underscores, starting with a letter or digit (such as SPRING-10).",
                );
                String::new()
            }
        };
        let description: String = form
            .description
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let description = description.trim().to_owned();
        if description.chars().count() > MAX_DESCRIPTION {
            errors.add("description", "A description can be up to 200 characters.");
        }
        let kind = DiscountKind::parse(form.kind.trim());
        let value = match kind {
            None => {
                errors.add(
                    "kind",
                    "Choose what it gives: a percentage, an amount, or free shipping.",
                );
                None
            }
            Some(DiscountKind::Percent) => parse_percent(&form.value)
                .map_err(|e| errors.add("value", e))
                .ok(),
            Some(DiscountKind::Fixed) => match Money::parse_typed(&form.value, currency) {
                Ok(m) if m.is_zero() => {
                    errors.add("value", "An amount off is more than 0.");
                    None
                }
                Ok(m) => Some(m.amount()),
                Err(e) => {
                    errors.add("value", e.to_string());
                    None
                }
            },
            Some(DiscountKind::FreeShipping) => Some(Decimal::ZERO),
        };
        let min_subtotal = if form.min_subtotal.trim().is_empty() {
            Some(Decimal::ZERO)
        } else {
            Money::parse_typed(&form.min_subtotal, currency)
                .map(|m| m.amount())
                .map_err(|e| errors.add("min_subtotal", e.to_string()))
                .ok()
        };
        let mut when = |field: &str, typed: &str| {
            if typed.trim().is_empty() {
                return None;
            }
            let parsed = UtcMinute::parse(typed);
            if parsed.is_none() {
                errors.add(
                    field,
                    "Enter a date and time such as 2026-12-24 18:00 (UTC), or leave it empty.",
                );
            }
            parsed
        };
        let starts = when("starts", &form.starts);
        let ends = when("ends", &form.ends);
        if let (Some(s), Some(e)) = (starts, ends) {
            if e <= s {
                errors.add("ends", "It must end after it starts.");
            }
        }
        let max_uses = parse_limit(&form.max_uses)
            .map_err(|e| errors.add("max_uses", e))
            .ok()
            .flatten();
        let max_uses_per_customer = parse_limit(&form.max_uses_per_customer)
            .map_err(|e| errors.add("max_uses_per_customer", e))
            .ok()
            .flatten();
        match (kind, value, min_subtotal) {
            (Some(kind), Some(value), Some(min_subtotal)) if errors.is_empty() => Ok(CouponDraft {
                code,
                description,
                kind,
                value,
                min_subtotal,
                starts,
                ends,
                max_uses,
                max_uses_per_customer,
            }),
            _ => Err(errors),
        }
    }
}

/// A coupon change the rules refuse, in the words staff read above the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum DiscountError {
    /// Someone changed the coupon after this form was opened.
    #[error("{}", stale_message(.0.as_ref()))]
    Stale(Option<LastChange>),
    /// The coupon was deleted: nothing about it can change.
    #[error("This coupon was deleted, so it can't be changed. Its figures stay here; to offer the code again, create a new coupon with it.")]
    Deleted,
}

fn stale_message(change: Option<&LastChange>) -> String {
    let who = LastChange::who(change, "changed", "coupon");
    format!("Not saved: {who}, after you opened it. What you typed is still below, and saving it stays refused: open the coupon again to see their change, then make yours.")
}

/// What a coupon gives, in words ("10% off", "€5.00 off", "Free shipping").
pub fn gives(kind: DiscountKind, value: Decimal, currency: Currency) -> String {
    CouponKind::stored(kind, value, currency).to_string()
}

/// A coupon's conditions in words ("Orders from €40.00 · 1 per customer"), or "".
pub fn conditions(
    min_subtotal: Money,
    max_uses: Option<i32>,
    max_uses_per_customer: Option<i32>,
) -> String {
    let mut parts = Vec::new();
    if !min_subtotal.is_zero() {
        parts.push(format!("Orders from {}", min_subtotal.format()));
    }
    if let Some(n) = max_uses_per_customer {
        parts.push(format!("{n} per customer"));
    }
    if let Some(n) = max_uses {
        parts.push(if n == 1 {
            "1 use in all".to_owned()
        } else {
            format!("{n} uses in all")
        });
    }
    parts.join(" · ")
}

/// One coupon in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponRow {
    pub id: i64,
    pub code: String,
    pub description: String,
    /// "10% off".
    pub gives: String,
    /// "Orders from €40.00 · 1 per customer", or "".
    pub conditions: String,
    /// "From 2026-12-01 00:00", "Until …", both, or "" (UTC).
    pub dates: String,
    pub state: CouponState,
    /// Redemptions: orders placed with it and not cancelled.
    pub uses: i64,
    pub max_uses: Option<i32>,
    /// Paid and not refunded, of the orders that used it, per currency.
    pub revenue: Vec<Money>,
}

/// A page of the list, newest first, and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponList {
    pub rows: Vec<CouponRow>,
    pub next: Option<i64>,
}

/// What the list shows: a search of codes and descriptions, one state (`None`: all but
/// deleted ones), from after coupon `after`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponQuery {
    pub q: String,
    pub state: Option<CouponState>,
    pub after: Option<i64>,
}

impl CouponQuery {
    pub const MAX_SEARCH: usize = 100;

    /// From the list's URL (`q`, `state`, `after`); what cannot be read is left out.
    pub fn from_params(q: Option<&str>, state: Option<&str>, after: Option<&str>) -> CouponQuery {
        CouponQuery {
            q: crate::text::search(q.unwrap_or_default(), Self::MAX_SEARCH),
            state: state.and_then(CouponState::parse),
            after: after.and_then(|a| a.trim().parse().ok()),
        }
    }

    pub fn filtered(&self) -> bool {
        !self.q.is_empty() || self.state.is_some()
    }

    /// The list's address for this query, starting after `after`.
    pub fn href(&self, after: Option<i64>) -> String {
        crate::admin::list_href(
            LIST_PATH,
            [
                ("q", self.q.clone()),
                (
                    "state",
                    self.state
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                ),
                ("after", after.map(|a| a.to_string()).unwrap_or_default()),
            ],
        )
    }
}

/// An order that used a coupon. No shopper's email: that is for staff with the orders
/// or customers permission, on the order's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponOrder {
    pub number: i64,
    /// `YYYY-MM-DD` (UTC).
    pub placed: String,
    pub status: crate::orders::OrderStatus,
    pub discount: Money,
    pub total: Money,
}

/// One coupon whole: its fields as the form shows them, where it stands, and what it
/// did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponDetail {
    pub id: i64,
    pub version: i32,
    /// The shop's, which its amounts are typed in.
    pub currency: Currency,
    /// The fields as saved, as the form shows them.
    pub form: CouponForm,
    pub gives: String,
    pub conditions: String,
    pub state: CouponState,
    /// `YYYY-MM-DD HH:MM` UTC.
    pub created: String,
    pub uses: i64,
    /// Orders that used it and were paid.
    pub paid_orders: i64,
    /// Paid and not refunded, of the orders that used it, per currency.
    pub revenue: Vec<Money>,
    /// What it took off those paid orders, per currency.
    pub discounted: Vec<Money>,
    /// The latest orders that used it, newest first.
    pub recent: Vec<CouponOrder>,
}

impl CouponDetail {
    /// How many of its latest orders the page lists.
    pub const RECENT: i64 = 20;
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::db::constraint::OnConstraint;
    use crate::orders::read::TakenBy;
    use crate::orders::OrderStatus;
    use crate::Error;
    use serde_json::json;
    use sqlx::{PgConnection, PgPool};

    const PER_PAGE: i64 = 50;

    fn dates(starts: Option<String>, ends: Option<String>) -> String {
        match (starts, ends) {
            (Some(s), Some(e)) => format!("{s} – {e}"),
            (Some(s), None) => format!("From {s}"),
            (None, Some(e)) => format!("Until {e}"),
            (None, None) => String::new(),
        }
    }

    /// Coupons `query` finds, newest first. Needs the discounts permission.
    pub async fn list(
        pool: &PgPool,
        staff: &Staff,
        query: &CouponQuery,
        currency: Currency,
    ) -> Result<CouponList, Error> {
        staff.require(Permission::Discounts)?;
        let mut conn = pool.acquire().await?;
        let pattern = crate::db::contains_pattern(&query.q);
        let mut rows = sqlx::query!(
            r#"SELECT * FROM (
                   SELECT c.id, c.code, c.description, c.kind AS "kind: DiscountKind", c.value,
                          c.min_subtotal, c.max_uses, c.max_uses_per_customer, c.deleted_at,
                          to_char(c.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS starts,
                          to_char(c.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS ends,
                          u.uses,
                          coupon_state(c.active, c.deleted_at, c.starts_at, c.ends_at,
                                       c.max_uses, u.uses) AS state
                   FROM coupons c,
                        LATERAL (SELECT count(*) AS uses FROM coupon_redemptions r
                                 WHERE r.coupon_id = c.id) u
                   WHERE ($1 = '' OR c.code ILIKE $2 OR c.description ILIKE $2)
                     AND ($3::bigint IS NULL OR c.id < $3)
               ) c
               WHERE CASE WHEN $4::text IS NULL THEN c.deleted_at IS NULL
                          ELSE c.state = $4::text END
               ORDER BY c.id DESC
               LIMIT $5"#,
            query.q,
            pattern,
            query.after,
            query.state.map(CouponState::as_str),
            PER_PAGE + 1,
        )
        .fetch_all(&mut *conn)
        .await?;
        let next = crate::admin::keyset_page(&mut rows, PER_PAGE, |r| r.id);
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut revenue = crate::orders::read::taken(&mut conn, TakenBy::Coupon, &ids).await?;
        let rows = rows
            .into_iter()
            .map(|r| {
                // Named in a subquery (to filter on it), so read as text here.
                let state = r
                    .state
                    .as_deref()
                    .and_then(CouponState::parse)
                    .ok_or_else(|| Error::internal(format!("coupon_state() gave {:?}", r.state)))?;
                Ok(CouponRow {
                    id: r.id,
                    gives: gives(r.kind, r.value, currency),
                    conditions: conditions(
                        Money::new(r.min_subtotal, currency),
                        r.max_uses,
                        r.max_uses_per_customer,
                    ),
                    dates: dates(r.starts, r.ends),
                    code: r.code,
                    description: r.description,
                    state,
                    uses: r.uses.unwrap_or(0),
                    max_uses: r.max_uses,
                    revenue: revenue.remove(&r.id).unwrap_or_default(),
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(CouponList { rows, next })
    }

    /// Coupon `id` whole, with its figures and latest orders. Needs the discounts
    /// permission.
    pub async fn detail(
        pool: &PgPool,
        staff: &Staff,
        id: i64,
        currency: Currency,
    ) -> Result<CouponDetail, Error> {
        staff.require(Permission::Discounts)?;
        let mut conn = pool.acquire().await?;
        let c = sqlx::query!(
            r#"SELECT c.code, c.description, c.kind AS "kind: DiscountKind", c.value,
                      c.min_subtotal, c.max_uses, c.max_uses_per_customer, c.version,
                      to_char(c.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS starts,
                      to_char(c.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS ends,
                      to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "created!",
                      u.uses AS "uses!",
                      coupon_state(c.active, c.deleted_at, c.starts_at, c.ends_at,
                                   c.max_uses, u.uses) AS "state!: CouponState"
               FROM coupons c,
                    LATERAL (SELECT count(*) AS uses FROM coupon_redemptions r
                             WHERE r.coupon_id = c.id) u
               WHERE c.id = $1"#,
            id,
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
        let paid = sqlx::query!(
            r#"SELECT o.currency, count(*) AS "orders!", sum(o.discount) AS "discounted!"
               FROM orders o
               WHERE o.coupon_id = $1
                 AND EXISTS (SELECT 1 FROM payments p
                             WHERE p.order_id = o.id AND p.status = 'succeeded')
               GROUP BY o.currency ORDER BY o.currency"#,
            id,
        )
        .fetch_all(&mut *conn)
        .await?;
        let recent = sqlx::query!(
            r#"SELECT number, to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "placed!",
                      status AS "status: OrderStatus", currency, discount, total
               FROM orders WHERE coupon_id = $1
               ORDER BY placed_at DESC, id DESC LIMIT $2"#,
            id,
            CouponDetail::RECENT,
        )
        .fetch_all(&mut *conn)
        .await?;
        let revenue = crate::orders::read::taken(&mut conn, TakenBy::Coupon, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        let money = |amount: Decimal, code: &str| {
            Currency::parse(code)
                .ok()
                .map(|currency| Money::new(amount, currency))
        };
        let value = match c.kind {
            DiscountKind::Percent => c.value.normalize().to_string(),
            DiscountKind::Fixed => Money::new(c.value, currency).typed(),
            DiscountKind::FreeShipping => String::new(),
        };
        let min_subtotal = Money::new(c.min_subtotal, currency);
        Ok(CouponDetail {
            id,
            version: c.version,
            currency,
            gives: gives(c.kind, c.value, currency),
            conditions: conditions(min_subtotal, c.max_uses, c.max_uses_per_customer),
            state: c.state,
            created: c.created,
            uses: c.uses,
            paid_orders: paid.iter().map(|p| p.orders).sum(),
            revenue,
            discounted: paid
                .iter()
                .filter_map(|p| money(p.discounted, &p.currency))
                .collect(),
            recent: recent
                .into_iter()
                .filter_map(|o| {
                    Some(CouponOrder {
                        discount: money(o.discount, &o.currency)?,
                        total: money(o.total, &o.currency)?,
                        number: o.number,
                        placed: o.placed,
                        status: o.status,
                    })
                })
                .collect(),
            form: CouponForm {
                code: c.code,
                description: c.description,
                kind: c.kind.as_str().to_owned(),
                value,
                min_subtotal: if min_subtotal.is_zero() {
                    String::new()
                } else {
                    min_subtotal.typed()
                },
                starts: c.starts.unwrap_or_default(),
                ends: c.ends.unwrap_or_default(),
                max_uses: c.max_uses.map(|n| n.to_string()).unwrap_or_default(),
                max_uses_per_customer: c
                    .max_uses_per_customer
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            },
        })
    }

    fn code_taken(code: &str) -> impl FnOnce() -> Error + '_ {
        move || {
            Error::field(
                "code",
                format!(
                    "Another coupon has the code {code}. Choose another, or delete that one first."
                ),
            )
        }
    }

    /// The fields of `draft` as the audit log records them.
    fn audited(draft: &CouponDraft) -> [(&'static str, serde_json::Value); 9] {
        [
            ("code", json!(draft.code)),
            ("description", json!(draft.description)),
            ("kind", json!(draft.kind.as_str())),
            // At the column's scale, so a value read back compares equal.
            ("value", json!(format!("{:.2}", draft.value))),
            ("min_subtotal", json!(format!("{:.2}", draft.min_subtotal))),
            ("starts", json!(draft.starts.map(|s| s.to_string()))),
            ("ends", json!(draft.ends.map(|e| e.to_string()))),
            ("max_uses", json!(draft.max_uses)),
            ("max_uses_per_customer", json!(draft.max_uses_per_customer)),
        ]
    }

    /// A new coupon, live from its start. Needs the discounts permission.
    pub async fn create(pool: &PgPool, staff: &Staff, draft: &CouponDraft) -> Result<i64, Error> {
        staff.require(Permission::Discounts)?;
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar!(
            "INSERT INTO coupons (code, description, kind, value, min_subtotal, starts_at, ends_at,
                                  max_uses, max_uses_per_customer)
             VALUES ($1, $2, $3, $4, $5, $6::text::timestamp AT TIME ZONE 'UTC',
                     $7::text::timestamp AT TIME ZONE 'UTC', $8, $9)
             RETURNING id",
            draft.code,
            draft.description,
            draft.kind as DiscountKind,
            draft.value,
            draft.min_subtotal,
            draft.starts.map(|s| s.to_string()),
            draft.ends.map(|e| e.to_string()),
            draft.max_uses,
            draft.max_uses_per_customer,
        )
        .fetch_one(&mut *tx)
        .await
        .on_constraint("coupons_code_live", code_taken(&draft.code))?;
        let after: serde_json::Map<_, _> = audited(draft)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        audit::record_by_id(
            &mut tx,
            staff,
            Action::CouponCreate,
            SubjectKind::Coupon,
            id,
            None,
            after.into(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Locks coupon `id` for a change: refused when it is deleted, or (with `version`)
    /// when someone saved it since that version.
    async fn lock(conn: &mut PgConnection, id: i64, version: Option<i32>) -> Result<(), Error> {
        let row = sqlx::query!(
            r#"SELECT version, deleted_at IS NOT NULL AS "deleted!"
               FROM coupons WHERE id = $1 FOR UPDATE"#,
            id
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
        if row.deleted {
            return Err(DiscountError::Deleted.into());
        }
        if version.is_some_and(|v| v != row.version) {
            let last = audit::last_change(
                conn,
                SubjectKind::Coupon,
                &id.to_string(),
                &[Action::CouponCreate, Action::CouponEdit],
            )
            .await?;
            return Err(DiscountError::Stale(last).into());
        }
        Ok(())
    }

    /// Saves `draft` over coupon `id`, opened at `version`; the new version. A save
    /// that changes nothing writes nothing. Needs the discounts permission.
    pub async fn update(
        pool: &PgPool,
        staff: &Staff,
        id: i64,
        version: i32,
        draft: &CouponDraft,
    ) -> Result<i32, Error> {
        staff.require(Permission::Discounts)?;
        let mut tx = pool.begin().await?;
        lock(&mut tx, id, Some(version)).await?;
        let old = sqlx::query!(
            r#"SELECT code, description, kind AS "kind: DiscountKind", value, min_subtotal,
                      to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS starts,
                      to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS ends,
                      max_uses, max_uses_per_customer
               FROM coupons WHERE id = $1"#,
            id
        )
        .fetch_one(&mut *tx)
        .await?;
        let was = CouponDraft {
            code: old.code,
            description: old.description,
            kind: old.kind,
            value: old.value,
            min_subtotal: old.min_subtotal,
            starts: old.starts.as_deref().and_then(UtcMinute::parse),
            ends: old.ends.as_deref().and_then(UtcMinute::parse),
            max_uses: old.max_uses,
            max_uses_per_customer: old.max_uses_per_customer,
        };
        let (before, after) = audit::changed(
            audited(&was)
                .into_iter()
                .zip(audited(draft))
                .map(|((field, old), (_, new))| (field, old, new)),
        );
        if after.is_empty() {
            return Ok(version);
        }
        let saved = sqlx::query_scalar!(
            "UPDATE coupons
             SET code = $2, description = $3, kind = $4, value = $5, min_subtotal = $6,
                 starts_at = $7::text::timestamp AT TIME ZONE 'UTC',
                 ends_at = $8::text::timestamp AT TIME ZONE 'UTC',
                 max_uses = $9, max_uses_per_customer = $10,
                 version = version + 1, updated_at = now()
             WHERE id = $1 RETURNING version",
            id,
            draft.code,
            draft.description,
            draft.kind as DiscountKind,
            draft.value,
            draft.min_subtotal,
            draft.starts.map(|s| s.to_string()),
            draft.ends.map(|e| e.to_string()),
            draft.max_uses,
            draft.max_uses_per_customer,
        )
        .fetch_one(&mut *tx)
        .await
        .on_constraint("coupons_code_live", code_taken(&draft.code))?;
        audit::record_by_id(
            &mut tx,
            staff,
            Action::CouponEdit,
            SubjectKind::Coupon,
            id,
            Some(before.into()),
            after.into(),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Pauses coupon `id` (`active` false: it stops applying, carts holding it lose it
    /// at their next view) or resumes it. Already so: nothing changes. Its version
    /// stays: a form open on it saves its fields, which this does not touch. Needs the
    /// discounts permission.
    pub async fn set_active(
        pool: &PgPool,
        staff: &Staff,
        id: i64,
        active: bool,
    ) -> Result<(), Error> {
        staff.require(Permission::Discounts)?;
        let mut tx = pool.begin().await?;
        lock(&mut tx, id, None).await?;
        let changed = sqlx::query!(
            "UPDATE coupons SET active = $2, updated_at = now() WHERE id = $1 AND active <> $2",
            id,
            active,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed > 0 {
            audit::record_by_id(
                &mut tx,
                staff,
                Action::CouponPause,
                SubjectKind::Coupon,
                id,
                Some(json!({ "active": !active })),
                json!({ "active": active }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes coupon `id`: it never applies again and its code is free, but its row
    /// stays for the orders and redemptions that used it. Returns its code. Needs the
    /// discounts permission.
    pub async fn delete(pool: &PgPool, staff: &Staff, id: i64) -> Result<String, Error> {
        staff.require(Permission::Discounts)?;
        let mut tx = pool.begin().await?;
        lock(&mut tx, id, None).await?;
        let code = sqlx::query_scalar!(
            "UPDATE coupons SET deleted_at = now(), active = false, version = version + 1,
                                updated_at = now()
             WHERE id = $1 RETURNING code",
            id,
        )
        .fetch_one(&mut *tx)
        .await?;
        audit::record_by_id(
            &mut tx,
            staff,
            Action::CouponDelete,
            SubjectKind::Coupon,
            id,
            Some(json!({ "code": code })),
            json!({ "deleted": true }),
        )
        .await?;
        tx.commit().await?;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> CouponForm {
        CouponForm {
            code: " spring-10 ".to_owned(),
            description: " Spring sale ".to_owned(),
            kind: "percent".to_owned(),
            value: "12.5".to_owned(),
            min_subtotal: "".to_owned(),
            starts: "2026-03-01T00:00".to_owned(),
            ends: "2026-03-31T23:59".to_owned(),
            max_uses: "1,000".to_owned(),
            max_uses_per_customer: "".to_owned(),
        }
    }

    #[test]
    fn a_draft_reads_what_staff_typed() {
        let draft = CouponDraft::parse(&form(), Currency::EUR).expect("valid");
        assert_eq!(draft.code, "SPRING-10");
        assert_eq!(draft.description, "Spring sale");
        assert_eq!(draft.kind, DiscountKind::Percent);
        assert_eq!(draft.value, Decimal::new(125, 1));
        assert_eq!(draft.min_subtotal, Decimal::ZERO);
        assert_eq!(
            draft.starts.map(|s| s.to_string()).as_deref(),
            Some("2026-03-01 00:00")
        );
        assert_eq!(
            draft.ends.map(|s| s.to_string()).as_deref(),
            Some("2026-03-31 23:59")
        );
        assert_eq!(draft.max_uses, Some(1000));
        assert_eq!(draft.max_uses_per_customer, None);
    }

    #[test]
    fn each_kind_takes_its_own_value() {
        let fixed = CouponForm {
            kind: "fixed".to_owned(),
            value: "5".to_owned(),
            min_subtotal: "40.00".to_owned(),
            ..form()
        };
        let draft = CouponDraft::parse(&fixed, Currency::EUR).expect("valid");
        assert_eq!(
            (draft.value, draft.min_subtotal),
            (Decimal::new(5, 0), Decimal::new(40, 0))
        );
        let free = CouponForm {
            kind: "free_shipping".to_owned(),
            value: "whatever was left in the field".to_owned(),
            ..form()
        };
        assert_eq!(
            CouponDraft::parse(&free, Currency::EUR)
                .expect("valid")
                .value,
            Decimal::ZERO
        );
    }

    #[test]
    fn bad_fields_are_named_each_with_its_reason() {
        let bad = CouponForm {
            code: "-NO SPACES".to_owned(),
            description: "x".repeat(201),
            kind: "percent".to_owned(),
            value: "150".to_owned(),
            min_subtotal: "-1".to_owned(),
            starts: "2026-03-31T10:00".to_owned(),
            ends: "2026-03-01T10:00".to_owned(),
            max_uses: "0".to_owned(),
            max_uses_per_customer: "lots".to_owned(),
        };
        let errors = CouponDraft::parse(&bad, Currency::EUR).expect_err("invalid");
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "code",
                "description",
                "value",
                "min_subtotal",
                "ends",
                "max_uses",
                "max_uses_per_customer"
            ]
        );
        assert_eq!(
            errors.get("value"),
            Some("A percentage off is more than 0 and at most 100.")
        );
        assert_eq!(errors.get("ends"), Some("It must end after it starts."));
        assert_eq!(
            errors.get("max_uses"),
            Some("A limit is at least 1. Leave it empty for no limit.")
        );
        let unknown = CouponForm {
            kind: "buy_one_get_one".to_owned(),
            ..form()
        };
        let errors = CouponDraft::parse(&unknown, Currency::EUR).expect_err("invalid");
        assert!(errors.get("kind").is_some());
    }

    #[test]
    fn amounts_and_percentages_are_never_rounded() {
        let cases = [
            ("percent", "0", None),
            ("percent", "0.01", Some(Decimal::new(1, 2))),
            ("percent", "100", Some(Decimal::ONE_HUNDRED)),
            ("percent", "100.01", None),
            ("percent", "12.345", None),
            ("percent", "12.50%", Some(Decimal::new(125, 1))),
            ("percent", "1e2", None),
            ("fixed", "0.00", None),
            ("fixed", "4.999", None),
            ("fixed", "1,250.00", Some(Decimal::new(1250, 0))),
        ];
        for (kind, value, parsed) in cases {
            let typed = CouponForm {
                kind: kind.to_owned(),
                value: value.to_owned(),
                ..form()
            };
            let draft = CouponDraft::parse(&typed, Currency::EUR);
            assert_eq!(draft.map(|d| d.value).ok(), parsed, "{kind} {value}");
        }
    }

    #[test]
    fn times_are_minutes_of_real_days() {
        assert!(UtcMinute::parse("2026-12-24T18:00").is_some());
        assert!(UtcMinute::parse("2026-12-24 18:00:30").is_some());
        assert!(UtcMinute::parse("2026-12-24T24:00").is_none());
        assert!(UtcMinute::parse("2026-02-30T10:00").is_none());
        assert!(UtcMinute::parse("2026-12-24T1:00").is_none());
        assert!(UtcMinute::parse("2026-12-24T10:00; DROP").is_none());
        // A day alone: its first minute, or its last? Neither is guessed.
        assert!(UtcMinute::parse("2026-12-24").is_none());
        assert_eq!(
            UtcMinute::parse(" 2026-12-24 18:05 ")
                .map(|m| m.field_value())
                .as_deref(),
            Some("2026-12-24T18:05")
        );
    }

    #[test]
    fn a_list_query_round_trips_through_its_url() {
        let query = CouponQuery::from_params(Some(" spring "), Some("paused"), Some("12"));
        let href = query.href(query.after);
        assert_eq!(href, "/admin/discounts?q=spring&state=paused&after=12");
        let (_, params) = href.split_once('?').expect("a query");
        let read: std::collections::HashMap<String, String> =
            form_urlencoded::parse(params.as_bytes())
                .into_owned()
                .collect();
        let again = CouponQuery::from_params(
            read.get("q").map(String::as_str),
            read.get("state").map(String::as_str),
            read.get("after").map(String::as_str),
        );
        assert_eq!(again, query);
        assert_eq!(
            CouponQuery::from_params(None, Some("bogus"), Some("x")),
            CouponQuery::default()
        );
    }

    #[test]
    fn conditions_are_written_as_staff_read_them() {
        let eur = |s| Money::parse(s, Currency::EUR).expect("amount");
        assert_eq!(conditions(eur("0"), None, None), "");
        assert_eq!(
            conditions(eur("40"), Some(1), Some(1)),
            "Orders from €40.00 · 1 per customer · 1 use in all"
        );
        assert_eq!(conditions(eur("0"), Some(500), None), "500 uses in all");
        assert_eq!(
            gives(DiscountKind::Fixed, Decimal::new(5, 0), Currency::EUR),
            "€5.00 off"
        );
    }
}
