//! Returns: a customer sends back chosen units of a delivered order.
//!
//! 1. Within the shop's return window (days after the order was delivered, a setting,
//!    30 unless staff change it), the customer (signed in, or a guest with the order's
//!    link) asks to return units that were delivered and not yet returned or refunded,
//!    with a reason. Each unit is asked back once: the database refuses more units in
//!    returns than a line has (`return_lines_within_order`), and the form's key makes
//!    a form sent twice one request.
//! 2. Staff approve (the customer is told how to send the parcel) or reject it (with
//!    their words to the customer).
//! 3. Staff mark the parcel received, putting the units that can be sold again back in
//!    stock then and there.
//! 4. Staff refund it through the refund path (`refund::refund_return`): the refund
//!    names its return, and when it succeeds the return is refunded.
//!
//! Each step is one transaction with the order locked, a line in the order's history,
//! an audit entry (staff's steps), and a mail to the customer.

use super::fulfil::ShipLineForm;
use super::refund::{Plan, RefundChoice, RefundError, RefundState, Refundable};
use crate::text::typed;
use crate::Money;
use serde::{Deserialize, Serialize};

/// Why a return, or a step of one, was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ReturnError {
    #[error("Items can be returned once the order is delivered; this one has not arrived yet.")]
    NotDelivered,
    #[error("This shop does not take returns online: write to us if something is wrong with your order.")]
    NoReturns,
    #[error("The return window for this order closed on {closed}, {days} days after it was delivered. Write to us if something is wrong with it.")]
    WindowClosed { days: u32, closed: String },
    #[error("Nothing in this order can be returned any more: everything delivered has been returned, refunded or asked about already.")]
    NothingLeft,
    #[error("Choose how many of which items you are sending back.")]
    Nothing,
    #[error("{name}: at most {left} can be returned.")]
    TooManyUnits { name: String, left: u32 },
    #[error("That item is not in this order: reload the page.")]
    UnknownLine,
    #[error("That item is not in this return: reload the order.")]
    NotInReturn,
    #[error("This return was rejected: there is nothing to refund.")]
    Rejected,
    #[error("This return request was sent already: reload the page to see it.")]
    AlreadySent,
    #[error("Someone dealt with this return meanwhile (it is {now} now): reload the order.")]
    Changed { now: String },
    #[error("{name}: only {units} came back in this return.")]
    TooManyRestocked { name: String, units: u32 },
    #[error("Refund a return once its parcel is back: mark it received first.")]
    NotReceived,
    #[error(
        "This return is refunded already, or its refund is on its way: see the order's refunds."
    )]
    Refunded,
}

crate::text_enum! {
    /// Where a return stands (`returns.state`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ReturnState {
        /// The customer asked; staff have not answered.
        Requested = "requested",
        /// Staff said "send it back"; the parcel is on its way.
        Approved = "approved",
        Rejected = "rejected",
        /// The parcel came back: it waits for its refund.
        Received = "received",
        /// Its refund succeeded.
        Refunded = "refunded",
    }
}

/// The states of returns still waiting for staff, as stored, for queries.
pub fn open_states() -> Vec<String> {
    ReturnState::ALL
        .into_iter()
        .filter(|s| s.awaits_staff())
        .map(|s| s.as_str().to_owned())
        .collect()
}

impl ReturnState {
    pub fn label(self) -> &'static str {
        match self {
            ReturnState::Requested => "Requested",
            ReturnState::Approved => "Approved",
            ReturnState::Rejected => "Rejected",
            ReturnState::Received => "Received",
            ReturnState::Refunded => "Refunded",
        }
    }

    /// What the customer reads about it.
    pub fn for_customer(self) -> &'static str {
        match self {
            ReturnState::Requested => "We have your request and will answer soon.",
            ReturnState::Approved => "Please send the items back.",
            ReturnState::Rejected => "We cannot take these items back.",
            ReturnState::Received => {
                "The items are back with us; we will refund you shortly and send a mail when we do."
            }
            ReturnState::Refunded => "Refunded.",
        }
    }

    /// Still waiting for staff to do something (and holding its units).
    pub fn awaits_staff(self) -> bool {
        matches!(
            self,
            ReturnState::Requested | ReturnState::Approved | ReturnState::Received
        )
    }
}

/// Units of one line in a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    pub line_id: i64,
    pub name: String,
    pub units: u32,
    /// Of `units`, those put back in stock when the parcel came back.
    pub restocked: u32,
}

/// A return as pages show it. `answered_by`, `received_by` are for staff: the
/// customer's view leaves them out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Return {
    pub id: i64,
    pub state: ReturnState,
    /// The customer's words.
    pub reason: String,
    /// Staff's words to the customer, when they answered.
    pub answer: Option<String>,
    pub lines: Vec<ReturnLine>,
    /// `YYYY-MM-DD HH:MM` (UTC), for each step it reached.
    pub requested_at: String,
    pub answered_at: Option<String>,
    pub received_at: Option<String>,
    pub refunded_at: Option<String>,
    /// Its refund (the latest one that did not fail), and where that stands.
    pub refund: Option<(Money, RefundState)>,
    /// How to send it back (the shop's instructions), once it is approved.
    pub instructions: Option<String>,
    pub answered_by: Option<String>,
    pub received_by: Option<String>,
}

impl Return {
    /// What the customer sees: staff's names left out, and a refund only once it is
    /// back or on its way (as [`super::refund::Refund::for_customer`]).
    pub fn for_customer(self) -> Return {
        Return {
            answered_by: None,
            received_by: None,
            refund: self.refund.filter(|(_, state)| state.shown_to_customer()),
            ..self
        }
    }

    /// What refunding its units would give back, as the order stands (`refundable`),
    /// worked out by the refund path itself.
    pub fn refund_plan(&self, refundable: &Refundable) -> Result<Plan, RefundError> {
        let units: Vec<(i64, u32)> = self.lines.iter().map(|l| (l.line_id, l.units)).collect();
        let nothing_more = RefundChoice {
            lines: Vec::new(),
            shipping: None,
            amount: None,
            key: None,
            currency: refundable.left.currency(),
            reason: String::new(),
        };
        refundable.plan_return(&nothing_more.for_return(self.id, &units))
    }
}

/// A line of a delivered order as the return form offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnableLine {
    pub line_id: i64,
    pub name: String,
    pub sku: String,
    /// Units in delivered parcels.
    pub delivered: u32,
    /// Of those, units not returned, refunded or asked back already.
    pub returnable: u32,
}

/// What of an order may be returned now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Returnable {
    /// Whether everything that shipped has been delivered.
    pub delivered: bool,
    /// The shop's window, in days after delivery (0: no returns).
    pub days: u32,
    /// The last day of the window ("15 January 2027"), once delivered: the day of
    /// delivery (UTC) plus the window's days.
    pub closes: Option<String>,
    /// Whether today (UTC) is that day or before.
    pub within: bool,
    /// Whether the order still has money to give back (paid, not all refunded).
    pub refundable: bool,
    pub lines: Vec<ReturnableLine>,
}

impl Returnable {
    /// Whether a return may be asked for at all, and if not, why.
    pub fn may_ask(&self) -> Result<(), ReturnError> {
        if !self.delivered {
            return Err(ReturnError::NotDelivered);
        }
        if self.days == 0 {
            return Err(ReturnError::NoReturns);
        }
        if !self.refundable {
            return Err(ReturnError::NothingLeft);
        }
        if !self.within {
            return Err(ReturnError::WindowClosed {
                days: self.days,
                closed: self.closes.clone().unwrap_or_default(),
            });
        }
        if self.lines.iter().all(|l| l.returnable == 0) {
            return Err(ReturnError::NothingLeft);
        }
        Ok(())
    }

    /// Checks `request` against the order as it is now: (line, units) to ask back.
    pub fn plan(&self, request: &ReturnRequest) -> Result<Vec<(i64, u32)>, ReturnError> {
        self.may_ask()?;
        if request.lines.is_empty() {
            return Err(ReturnError::Nothing);
        }
        request
            .lines
            .iter()
            .map(|&(id, units)| {
                let line = self
                    .lines
                    .iter()
                    .find(|l| l.line_id == id)
                    .ok_or(ReturnError::UnknownLine)?;
                if units > line.returnable {
                    return Err(ReturnError::TooManyUnits {
                        name: line.name.clone(),
                        left: line.returnable,
                    });
                }
                Ok((id, units))
            })
            .collect()
    }
}

/// What the order page offers its customer about returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnOffer {
    /// A return may be asked for until `closes`, of these lines, with a form carrying
    /// `key`.
    Open {
        closes: String,
        lines: Vec<ReturnableLine>,
        key: String,
    },
    /// Not now, and why (not delivered yet: the page says nothing).
    Refused(ReturnError),
}

/// The refund form's key for return `return_id` on a page whose refund forms carry
/// `page_key`: one key per return, so refunding two returns from one page refunds
/// both, and sending one form twice refunds it once.
pub fn refund_key(page_key: &str, return_id: i64) -> String {
    let kept: String = page_key.chars().take(48).collect();
    format!("{kept}{return_id:016x}")
}

/// The longest reason or answer, in characters.
pub const MAX_TEXT: usize = 500;

/// A return the customer asked for, checked for form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRequest {
    /// (line, units), each with at least one unit.
    pub lines: Vec<(i64, u32)>,
    pub reason: String,
    /// The form's own key: a form sent twice asks once.
    pub key: String,
}

impl ReturnRequest {
    /// From the order page's form: `lines[i][id]`, `lines[i][quantity]`, the reason and
    /// the form's key. Rows with 0 are left out.
    pub fn parse(
        lines: &[ShipLineForm],
        reason: &str,
        key: &str,
    ) -> Result<ReturnRequest, crate::Error> {
        let key = key.trim();
        if !crate::token::plausible(key) {
            return Err(crate::Error::field(
                "reason",
                "Reload the page: the form is damaged.",
            ));
        }
        let chosen = super::fulfil::lines_chosen("lines", lines)?;
        let reason = typed(reason, MAX_TEXT).ok_or_else(|| {
            crate::Error::field(
                "reason",
                format!("Say in a few words why you are returning them (at most {MAX_TEXT} characters)."),
            )
        })?;
        if chosen.is_empty() {
            return Err(ReturnError::Nothing.into());
        }
        Ok(ReturnRequest {
            lines: chosen,
            reason,
            key: key.to_owned(),
        })
    }
}

/// Staff's answer to a return request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// "Send it back", with optional words to the customer.
    Approve(Option<String>),
    /// "We cannot take it back", with the words that say why.
    Reject(String),
}

impl Answer {
    /// From the form: `decision` is "approve" or "reject"; a rejection must say why.
    pub fn parse(decision: &str, message: &str) -> Result<Answer, crate::Error> {
        let too_long = || {
            crate::Error::field(
                "message",
                format!("Say it in at most {MAX_TEXT} characters."),
            )
        };
        let message = if message.trim().is_empty() {
            None
        } else {
            Some(typed(message, MAX_TEXT).ok_or_else(too_long)?)
        };
        match decision.trim() {
            "approve" => Ok(Answer::Approve(message)),
            "reject" => message.map(Answer::Reject).ok_or_else(|| {
                crate::Error::field(
                    "message",
                    "Say why the return is rejected: the customer reads it.",
                )
            }),
            _ => Err(crate::Error::field(
                "message",
                "Reload the order: the form is damaged.",
            )),
        }
    }

    /// The state it moves a return to.
    pub fn state(&self) -> ReturnState {
        match self {
            Answer::Approve(_) => ReturnState::Approved,
            Answer::Reject(_) => ReturnState::Rejected,
        }
    }

    /// The words the customer reads.
    pub fn message(&self) -> Option<&str> {
        match self {
            Answer::Approve(m) => m.as_deref(),
            Answer::Reject(m) => Some(m),
        }
    }
}

/// The units of a received return to put back in stock (`restock[i][id]`,
/// `restock[i][quantity]`; 0 for none of a line).
pub fn parse_restock(rows: &[ShipLineForm]) -> Result<Vec<(i64, u32)>, crate::Error> {
    super::fulfil::lines_chosen("restock", rows)
}

/// The shop's return policy (settings `return_window_days`, `return_instructions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnPolicy {
    /// Days after delivery a return may be asked for; 0: no returns.
    pub days: u32,
    /// What an approved return's customer is told to do.
    pub instructions: String,
}

impl ReturnPolicy {
    pub const DEFAULT_DAYS: u32 = 30;
    pub const MAX_DAYS: u32 = 365;
    pub const MAX_INSTRUCTIONS: usize = 2000;

    /// From the settings form.
    pub fn parse(days: &str, instructions: &str) -> Result<ReturnPolicy, crate::Error> {
        let days = days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= Self::MAX_DAYS)
            .ok_or_else(|| {
                crate::Error::field(
                    "days",
                    format!(
                        "Type a whole number of days from 0 (no returns) to {}.",
                        Self::MAX_DAYS
                    ),
                )
            })?;
        let instructions = typed(instructions, Self::MAX_INSTRUCTIONS).ok_or_else(|| {
            crate::Error::field(
                "instructions",
                format!(
                    "Say how customers send a return back (at most {} characters).",
                    Self::MAX_INSTRUCTIONS
                ),
            )
        })?;
        Ok(ReturnPolicy { days, instructions })
    }
}

crate::text_enum! {
    /// Which returns the staff list shows.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
    #[serde(rename_all = "snake_case")]
    pub enum ReturnFilter {
        /// Waiting for staff: requested, approved or received.
        #[default]
        Open = "open",
        Requested = "requested",
        Approved = "approved",
        Received = "received",
        Refunded = "refunded",
        Rejected = "rejected",
        All = "all",
    }
}

impl ReturnFilter {
    pub fn label(self) -> &'static str {
        match self {
            ReturnFilter::Open => "Waiting for us",
            ReturnFilter::Requested => "Requested",
            ReturnFilter::Approved => "Approved",
            ReturnFilter::Received => "Received",
            ReturnFilter::Refunded => "Refunded",
            ReturnFilter::Rejected => "Rejected",
            ReturnFilter::All => "All",
        }
    }

    /// The states it lists.
    pub fn states(self) -> Vec<ReturnState> {
        match self {
            ReturnFilter::Open => ReturnState::ALL
                .into_iter()
                .filter(|s| s.awaits_staff())
                .collect(),
            ReturnFilter::Requested => vec![ReturnState::Requested],
            ReturnFilter::Approved => vec![ReturnState::Approved],
            ReturnFilter::Received => vec![ReturnState::Received],
            ReturnFilter::Refunded => vec![ReturnState::Refunded],
            ReturnFilter::Rejected => vec![ReturnState::Rejected],
            ReturnFilter::All => ReturnState::ALL.to_vec(),
        }
    }
}

/// A return in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRow {
    pub id: i64,
    pub number: i64,
    pub email: String,
    pub state: ReturnState,
    pub units: u32,
    pub reason: String,
    /// `YYYY-MM-DD HH:MM` (UTC).
    pub requested_at: String,
}

/// A page of the staff list, newest first; `next`: where the next starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnPage {
    pub rows: Vec<ReturnRow>,
    pub next: Option<i64>,
    /// The shop's policy, for the settings form beside the list.
    pub policy: ReturnPolicy,
    /// Whether the reader may change the policy.
    pub may_edit_policy: bool,
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, Subject, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::inventory::MovementReason;
    use crate::orders::read::Viewer;
    use crate::orders::transition::{self, lock_order};
    use crate::orders::FulfilmentState;
    use crate::{Currency, Error};
    use sqlx::{PgConnection, PgPool};

    const DAYS: &str = "return_window_days";
    const INSTRUCTIONS: &str = "return_instructions";

    /// The shop's return policy; a setting missing (or damaged) keeps its default.
    pub async fn policy(conn: &mut PgConnection) -> Result<ReturnPolicy, Error> {
        let rows = sqlx::query!(
            "SELECT key, value FROM settings WHERE key IN ($1, $2)",
            DAYS,
            INSTRUCTIONS,
        )
        .fetch_all(&mut *conn)
        .await?;
        let value = |key: &str| rows.iter().find(|r| r.key == key).map(|r| r.value.clone());
        Ok(ReturnPolicy {
            days: value(DAYS)
                .and_then(|d| d.parse().ok())
                .filter(|d| *d <= ReturnPolicy::MAX_DAYS)
                .unwrap_or(ReturnPolicy::DEFAULT_DAYS),
            instructions: value(INSTRUCTIONS).unwrap_or_else(|| {
                "Send the items back to the address on your delivery note.".to_owned()
            }),
        })
    }

    /// Changes the return policy (for returns asked for from now on, and the window of
    /// delivered orders). Needs the settings permission.
    pub async fn set_policy(
        pool: &PgPool,
        staff: &Staff,
        policy: &ReturnPolicy,
    ) -> Result<(), Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        // Locked, so two changes at once each audit a true "before".
        sqlx::query!(
            "SELECT key FROM settings WHERE key IN ($1, $2) FOR UPDATE",
            DAYS,
            INSTRUCTIONS
        )
        .fetch_all(&mut *tx)
        .await?;
        let before = super::policy(&mut tx).await?;
        if &before == policy {
            return Ok(());
        }
        for (key, value) in [
            (DAYS, policy.days.to_string()),
            (INSTRUCTIONS, policy.instructions.clone()),
        ] {
            sqlx::query!(
                "INSERT INTO settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
                key,
                value,
            )
            .execute(&mut *tx)
            .await?;
        }
        let (was, now) = audit::changed([
            (
                "days",
                serde_json::json!(before.days),
                serde_json::json!(policy.days),
            ),
            (
                "instructions",
                serde_json::json!(before.instructions),
                serde_json::json!(policy.instructions),
            ),
        ]);
        audit::record(
            &mut tx,
            staff,
            Action::Setting,
            Subject {
                kind: SubjectKind::Setting,
                id: "returns",
            },
            Some(serde_json::Value::Object(was)),
            Some(serde_json::Value::Object(now)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What of order `order_id` may be returned now, under a window of `days`.
    pub async fn returnable(
        conn: &mut PgConnection,
        order_id: i64,
        days: u32,
    ) -> Result<Returnable, Error> {
        let days_i32 = i32::try_from(days).unwrap_or(i32::MAX);
        let order = sqlx::query!(
            r#"SELECT o.fulfilment_state AS "fulfilment: FulfilmentState",
                      o.status AS "status: crate::orders::OrderStatus",
                      (SELECT coalesce(sum(p.amount - p.refunded), 0) FROM payments p
                       WHERE p.order_id = o.id AND p.status = 'succeeded') > 0 AS "money_left!",
                      to_char((d.at AT TIME ZONE 'UTC')::date + $2::int, 'FMDD FMMonth YYYY') AS closes,
                      coalesce((d.at AT TIME ZONE 'UTC')::date + $2::int
                               >= (now() AT TIME ZONE 'UTC')::date, false) AS "within!"
               FROM orders o,
                    LATERAL (SELECT max(delivered_at) AS at FROM shipments
                             WHERE order_id = o.id) d
               WHERE o.id = $1"#,
            order_id,
            days_i32,
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
        // Delivered units, less those refunded after they shipped (other than by a
        // return: those are counted as returned) and those in returns.
        let lines = sqlx::query!(
            r#"SELECT l.id, l.name, l.sku,
                      (SELECT coalesce(sum(sl.quantity), 0) FROM shipment_lines sl
                       JOIN shipments s ON s.id = sl.shipment_id
                       WHERE sl.order_line_id = l.id AND s.delivered_at IS NOT NULL)::int
                          AS "delivered!",
                      (SELECT coalesce(sum(rl.quantity - rl.unshipped), 0) FROM refund_lines rl
                       JOIN refunds r ON r.id = rl.refund_id
                       WHERE rl.order_line_id = l.id AND r.state <> 'failed'
                         AND r.return_id IS NULL)::int AS "refunded!",
                      (SELECT coalesce(sum(quantity), 0) FROM return_lines
                       WHERE order_line_id = l.id)::int AS "returned!"
               FROM order_lines l WHERE l.order_id = $1 ORDER BY l.id"#,
            order_id,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|l| {
            let delivered = u32::try_from(l.delivered).unwrap_or(0);
            let gone = u32::try_from(l.refunded.saturating_add(l.returned)).unwrap_or(u32::MAX);
            ReturnableLine {
                line_id: l.id,
                name: l.name,
                sku: l.sku,
                delivered,
                returnable: delivered.saturating_sub(gone),
            }
        })
        .collect();
        Ok(Returnable {
            delivered: order.fulfilment == FulfilmentState::Delivered,
            days,
            closes: order.closes,
            within: order.within,
            refundable: crate::orders::refund::gives_back(order.status, order.money_left),
            lines,
        })
    }

    /// What the order page offers its customer (`Open` with a fresh form key).
    pub async fn offer(conn: &mut PgConnection, order_id: i64) -> Result<ReturnOffer, Error> {
        let policy = policy(conn).await?;
        let returnable = returnable(conn, order_id, policy.days).await?;
        Ok(match returnable.may_ask() {
            Ok(()) => ReturnOffer::Open {
                closes: returnable.closes.unwrap_or_default(),
                lines: returnable
                    .lines
                    .into_iter()
                    .filter(|l| l.returnable > 0)
                    .collect(),
                key: crate::token::random_hex(),
            },
            Err(why) => ReturnOffer::Refused(why),
        })
    }

    /// Order `order_id`'s returns, oldest first, as staff see them (see
    /// [`Return::for_customer`]).
    pub async fn returns(conn: &mut PgConnection, order_id: i64) -> Result<Vec<Return>, Error> {
        let rows = sqlx::query!(
            r#"SELECT r.id, r.state AS "state: ReturnState", r.reason, r.answer,
                      to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "requested_at!",
                      to_char(r.answered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS answered_at,
                      to_char(r.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS received_at,
                      to_char(r.refunded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS refunded_at,
                      a.email AS "answered_by?", b.email AS "received_by?",
                      f.amount AS "refund_amount?", f.currency AS "refund_currency?: Currency",
                      f.state AS "refund_state?: RefundState",
                      coalesce((SELECT array_agg(rl.order_line_id ORDER BY rl.order_line_id)
                                FROM return_lines rl WHERE rl.return_id = r.id), '{}') AS "line_ids!",
                      coalesce((SELECT array_agg(l.name ORDER BY rl.order_line_id)
                                FROM return_lines rl JOIN order_lines l ON l.id = rl.order_line_id
                                WHERE rl.return_id = r.id), '{}') AS "names!",
                      coalesce((SELECT array_agg(rl.quantity ORDER BY rl.order_line_id)
                                FROM return_lines rl WHERE rl.return_id = r.id), '{}') AS "units!",
                      coalesce((SELECT array_agg(rl.restocked ORDER BY rl.order_line_id)
                                FROM return_lines rl WHERE rl.return_id = r.id), '{}') AS "restocked!"
               FROM returns r
               LEFT JOIN users a ON a.id = r.answered_by
               LEFT JOIN users b ON b.id = r.received_by
               LEFT JOIN LATERAL (SELECT amount, currency, state FROM refunds
                                  WHERE return_id = r.id AND state <> 'failed'
                                  ORDER BY id DESC LIMIT 1) f ON true
               WHERE r.order_id = $1 ORDER BY r.id"#,
            order_id,
        )
        .fetch_all(&mut *conn)
        .await?;
        let instructions = if rows.iter().any(|r| r.state == ReturnState::Approved) {
            Some(policy(conn).await?.instructions)
        } else {
            None
        };
        Ok(rows
            .into_iter()
            .map(|r| {
                let count = |n: i32| u32::try_from(n).unwrap_or(0);
                Return {
                    id: r.id,
                    state: r.state,
                    reason: r.reason,
                    answer: r.answer,
                    lines: r
                        .line_ids
                        .into_iter()
                        .zip(r.names)
                        .zip(r.units.into_iter().zip(r.restocked))
                        .map(|((line_id, name), (units, restocked))| ReturnLine {
                            line_id,
                            name,
                            units: count(units),
                            restocked: count(restocked),
                        })
                        .collect(),
                    requested_at: r.requested_at,
                    answered_at: r.answered_at,
                    received_at: r.received_at,
                    refunded_at: r.refunded_at,
                    refund: r
                        .refund_amount
                        .zip(r.refund_currency)
                        .zip(r.refund_state)
                        .map(|((amount, currency), state)| (Money::new(amount, currency), state)),
                    instructions: (r.state == ReturnState::Approved)
                        .then(|| instructions.clone())
                        .flatten(),
                    answered_by: r.answered_by,
                    received_by: r.received_by,
                }
            })
            .collect())
    }

    /// The customer of order `number` (`viewer`: signed in, or holding its key) asks to
    /// return `request`. Returns the new return's id.
    pub async fn request(
        pool: &PgPool,
        number: i64,
        viewer: Viewer<'_>,
        request: &ReturnRequest,
        public_url: &str,
    ) -> Result<i64, Error> {
        // Who asks is checked before anything is locked: a stranger's post locks nothing.
        let owner = sqlx::query!(
            "SELECT user_id, access_key FROM orders WHERE number = $1",
            number
        )
        .fetch_optional(pool)
        .await?
        .ok_or(Error::NotFound)?;
        // Staff ask on nobody's behalf: a return is the customer's request.
        if matches!(viewer, Viewer::Staff(_))
            || !crate::orders::read::allows(viewer, owner.user_id, &owner.access_key)
        {
            return Err(Error::NotFound);
        }
        let mut tx = pool.begin().await?;
        let order = lock_order(&mut tx, number).await?;
        // A form sent twice: the first one took its units.
        let sent = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM returns WHERE request_key = $1) AS "sent!""#,
            request.key,
        )
        .fetch_one(&mut *tx)
        .await?;
        if sent {
            return Err(ReturnError::AlreadySent.into());
        }
        let policy = policy(&mut tx).await?;
        let lines = returnable(&mut tx, order.id, policy.days)
            .await?
            .plan(request)?;
        let id = sqlx::query_scalar!(
            "INSERT INTO returns (order_id, reason, request_key) VALUES ($1, $2, $3)
             RETURNING id",
            order.id,
            request.reason,
            request.key,
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(refused_by_database)?;
        let ids: Vec<i64> = lines.iter().map(|l| l.0).collect();
        let units: Vec<i32> = lines
            .iter()
            .map(|l| i32::try_from(l.1).unwrap_or(i32::MAX))
            .collect();
        sqlx::query!(
            "INSERT INTO return_lines (return_id, order_line_id, quantity)
             SELECT $1, * FROM unnest($2::bigint[], $3::int[])",
            id,
            &ids,
            &units,
        )
        .execute(&mut *tx)
        .await
        .map_err(refused_by_database)?;
        transition::note(&mut tx, order.id, order.status, "Return requested", None).await?;
        crate::orders::mail::queue_return(&mut tx, order.id, id, public_url).await?;
        tx.commit().await?;
        Ok(id)
    }

    fn refused_by_database(e: sqlx::Error) -> Error {
        match e.as_database_error().and_then(|d| d.constraint()) {
            Some("returns_request_key_key") => ReturnError::AlreadySent.into(),
            Some("return_lines_within_order") => ReturnError::NothingLeft.into(),
            _ => Error::from(e),
        }
    }

    /// Return `return_id` of locked order `order_id` with its state, locked too;
    /// "not found" when it is another order's.
    async fn lock_return(
        conn: &mut PgConnection,
        order_id: i64,
        return_id: i64,
    ) -> Result<ReturnState, Error> {
        sqlx::query_scalar!(
            r#"SELECT state AS "state: ReturnState" FROM returns
               WHERE id = $1 AND order_id = $2 FOR UPDATE"#,
            return_id,
            order_id,
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)
    }

    fn changed(now: ReturnState) -> Error {
        ReturnError::Changed {
            now: now.label().to_lowercase(),
        }
        .into()
    }

    async fn audit_step(
        conn: &mut PgConnection,
        staff: &Staff,
        number: i64,
        after: serde_json::Value,
    ) -> Result<(), Error> {
        audit::record(
            conn,
            staff,
            Action::OrderReturn,
            Subject {
                kind: SubjectKind::Order,
                id: &number.to_string(),
            },
            None,
            Some(after),
        )
        .await
    }

    /// Approves or rejects requested return `return_id` of order `number`; the customer
    /// gets a mail with staff's words (and, approved, how to send it back). Needs the
    /// orders permission.
    pub async fn answer(
        pool: &PgPool,
        staff: &Staff,
        number: i64,
        return_id: i64,
        answer: &Answer,
        public_url: &str,
    ) -> Result<(), Error> {
        staff.require(Permission::Orders)?;
        let mut tx = pool.begin().await?;
        let order = lock_order(&mut tx, number).await?;
        let state = lock_return(&mut tx, order.id, return_id).await?;
        if state != ReturnState::Requested {
            return Err(changed(state));
        }
        let to = answer.state();
        sqlx::query!(
            "UPDATE returns SET state = $2, answer = $3, answered_at = now(), answered_by = $4
             WHERE id = $1",
            return_id,
            to as ReturnState,
            answer.message(),
            staff.id(),
        )
        .execute(&mut *tx)
        .await?;
        let note = match to {
            ReturnState::Approved => "Return approved",
            _ => "Return rejected",
        };
        transition::note(&mut tx, order.id, order.status, note, Some(staff)).await?;
        audit_step(
            &mut tx,
            staff,
            number,
            serde_json::json!({ "return": return_id, "state": to.as_str(), "answer": answer.message() }),
        )
        .await?;
        crate::orders::mail::queue_return(&mut tx, order.id, return_id, public_url).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Return `return_id` of order `number` came back: `restock` (line, units) go back
    /// in stock now, with movements; the customer gets a mail. A request not answered
    /// yet is approved by receiving it. Needs the orders permission.
    pub async fn receive(
        pool: &PgPool,
        staff: &Staff,
        number: i64,
        return_id: i64,
        restock: &[(i64, u32)],
        public_url: &str,
    ) -> Result<(), Error> {
        staff.require(Permission::Orders)?;
        let mut tx = pool.begin().await?;
        let order = lock_order(&mut tx, number).await?;
        let state = lock_return(&mut tx, order.id, return_id).await?;
        if !matches!(state, ReturnState::Requested | ReturnState::Approved) {
            return Err(changed(state));
        }
        let lines = sqlx::query!(
            "SELECT rl.order_line_id, rl.quantity, l.name
             FROM return_lines rl JOIN order_lines l ON l.id = rl.order_line_id
             WHERE rl.return_id = $1",
            return_id,
        )
        .fetch_all(&mut *tx)
        .await?;
        for &(line_id, units) in restock {
            let line = lines
                .iter()
                .find(|l| l.order_line_id == line_id)
                .ok_or(ReturnError::NotInReturn)?;
            if i64::from(units) > i64::from(line.quantity) {
                return Err(ReturnError::TooManyRestocked {
                    name: line.name.clone(),
                    units: u32::try_from(line.quantity).unwrap_or(0),
                }
                .into());
            }
            let units = i32::try_from(units).unwrap_or(i32::MAX);
            sqlx::query!(
                "UPDATE return_lines SET restocked = $3 WHERE return_id = $1 AND order_line_id = $2",
                return_id,
                line_id,
                units,
            )
            .execute(&mut *tx)
            .await?;
        }
        // A movement per variant (lines whose stock was not tracked, or whose variant
        // is gone, took none), as a refund's restock groups them.
        let back: Vec<(i64, i32)> = sqlx::query!(
            r#"SELECT l.variant_id AS "variant_id!", sum(rl.restocked)::int AS "units!"
               FROM return_lines rl JOIN order_lines l ON l.id = rl.order_line_id
               WHERE rl.return_id = $1 AND rl.restocked > 0 AND l.stock_taken
                 AND l.variant_id IS NOT NULL
               GROUP BY l.variant_id"#,
            return_id,
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|u| (u.variant_id, u.units))
        .collect();
        crate::inventory::store::put_back(
            &mut tx,
            &back,
            MovementReason::Return,
            &format!("Order {number}, return received"),
            Some(staff),
        )
        .await?;
        sqlx::query!(
            "UPDATE returns SET state = 'received', received_at = now(), received_by = $2,
                    answered_at = coalesce(answered_at, now()),
                    answered_by = coalesce(answered_by, $2)
             WHERE id = $1",
            return_id,
            staff.id(),
        )
        .execute(&mut *tx)
        .await?;
        transition::note(
            &mut tx,
            order.id,
            order.status,
            "Return received",
            Some(staff),
        )
        .await?;
        audit_step(
            &mut tx,
            staff,
            number,
            serde_json::json!({
                "return": return_id,
                "state": "received",
                "restocked": restock.iter().map(|(l, u)| serde_json::json!({"line": l, "quantity": u})).collect::<Vec<_>>(),
            }),
        )
        .await?;
        crate::orders::mail::queue_return(&mut tx, order.id, return_id, public_url).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The units of received return `return_id` of locked order `order_id`, for its
    /// refund: refused when it is not received, or refunded (or on its way) already.
    pub(crate) async fn to_refund(
        conn: &mut PgConnection,
        order_id: i64,
        return_id: i64,
    ) -> Result<Vec<(i64, u32)>, Error> {
        match lock_return(conn, order_id, return_id).await? {
            ReturnState::Received => {}
            ReturnState::Refunded => return Err(ReturnError::Refunded.into()),
            ReturnState::Rejected => return Err(ReturnError::Rejected.into()),
            ReturnState::Requested | ReturnState::Approved => {
                return Err(ReturnError::NotReceived.into())
            }
        }
        let waiting = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM refunds WHERE return_id = $1 AND state <> 'failed')
               AS "waiting!""#,
            return_id,
        )
        .fetch_one(&mut *conn)
        .await?;
        if waiting {
            return Err(ReturnError::Refunded.into());
        }
        Ok(sqlx::query!(
            "SELECT order_line_id, quantity FROM return_lines WHERE return_id = $1
             ORDER BY order_line_id",
            return_id,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|l| (l.order_line_id, u32::try_from(l.quantity).unwrap_or(0)))
        .collect())
    }

    /// Refund `refund_id` succeeded: the return it was made for (if any) is refunded.
    pub(crate) async fn refunded(conn: &mut PgConnection, refund_id: i64) -> Result<(), Error> {
        sqlx::query!(
            "UPDATE returns SET state = 'refunded', refunded_at = now()
             WHERE id = (SELECT return_id FROM refunds WHERE id = $1) AND state = 'received'",
            refund_id,
        )
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The size of a page of the staff list.
    pub const PER_PAGE: i64 = 50;

    /// Returns as `filter` picks them, newest first, after return `after`. Needs the
    /// orders permission.
    pub async fn list(
        pool: &PgPool,
        staff: &Staff,
        filter: ReturnFilter,
        after: Option<i64>,
    ) -> Result<ReturnPage, Error> {
        staff.require(Permission::Orders)?;
        let states: Vec<String> = filter
            .states()
            .into_iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        let mut conn = pool.acquire().await?;
        let mut rows = sqlx::query!(
            r#"SELECT r.id, o.number, o.email, r.state AS "state: ReturnState", r.reason,
                      to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "requested_at!",
                      (SELECT coalesce(sum(quantity), 0) FROM return_lines
                       WHERE return_id = r.id)::int AS "units!"
               FROM returns r JOIN orders o ON o.id = r.order_id
               WHERE r.state = ANY($1) AND ($2::bigint IS NULL OR r.id < $2)
               ORDER BY r.id DESC LIMIT $3"#,
            &states,
            after,
            PER_PAGE + 1,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| ReturnRow {
            id: r.id,
            number: r.number,
            email: r.email,
            state: r.state,
            units: u32::try_from(r.units).unwrap_or(0),
            reason: r.reason,
            requested_at: r.requested_at,
        })
        .collect::<Vec<_>>();
        let next = crate::admin::keyset_page(&mut rows, PER_PAGE, |r| r.id);
        Ok(ReturnPage {
            rows,
            next,
            policy: policy(&mut conn).await?,
            may_edit_policy: staff.may(Permission::Settings),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: i64, delivered: u32, returnable: u32) -> ReturnableLine {
        ReturnableLine {
            line_id: id,
            name: format!("Item {id}"),
            sku: format!("SKU-{id}"),
            delivered,
            returnable,
        }
    }

    fn delivered(lines: Vec<ReturnableLine>) -> Returnable {
        Returnable {
            delivered: true,
            days: 30,
            closes: Some("31 December 2026".to_owned()),
            within: true,
            refundable: true,
            lines,
        }
    }

    fn form(rows: &[(&str, &str)]) -> Vec<ShipLineForm> {
        rows.iter()
            .map(|(id, q)| ShipLineForm {
                id: (*id).to_owned(),
                quantity: (*q).to_owned(),
            })
            .collect()
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_return_is_refused_before_delivery_after_the_window_and_when_nothing_is_left() {
        let open = delivered(vec![line(1, 2, 2)]);
        assert_eq!(open.may_ask(), Ok(()));
        let not_yet = Returnable {
            delivered: false,
            closes: None,
            within: false,
            ..open.clone()
        };
        assert_eq!(not_yet.may_ask(), Err(ReturnError::NotDelivered));
        let late = Returnable {
            within: false,
            ..open.clone()
        };
        assert_eq!(
            late.may_ask(),
            Err(ReturnError::WindowClosed {
                days: 30,
                closed: "31 December 2026".to_owned()
            })
        );
        let none = Returnable {
            days: 0,
            ..open.clone()
        };
        assert_eq!(none.may_ask(), Err(ReturnError::NoReturns));
        let gone = delivered(vec![line(1, 2, 0), line(2, 1, 0)]);
        assert_eq!(gone.may_ask(), Err(ReturnError::NothingLeft));
        let all_refunded = Returnable {
            refundable: false,
            ..open.clone()
        };
        assert_eq!(all_refunded.may_ask(), Err(ReturnError::NothingLeft));
    }

    #[test]
    fn a_plan_takes_only_what_is_returnable() {
        let order = delivered(vec![line(1, 3, 2), line(2, 1, 0)]);
        let ask = |lines: Vec<(i64, u32)>| ReturnRequest {
            lines,
            reason: "Too small".to_owned(),
            key: KEY.to_owned(),
        };
        assert_eq!(order.plan(&ask(vec![(1, 2)])), Ok(vec![(1, 2)]));
        assert_eq!(
            order.plan(&ask(vec![(1, 3)])),
            Err(ReturnError::TooManyUnits {
                name: "Item 1".to_owned(),
                left: 2
            })
        );
        assert_eq!(
            order.plan(&ask(vec![(2, 1)])),
            Err(ReturnError::TooManyUnits {
                name: "Item 2".to_owned(),
                left: 0
            })
        );
        assert_eq!(
            order.plan(&ask(vec![(9, 1)])),
            Err(ReturnError::UnknownLine)
        );
        assert_eq!(order.plan(&ask(vec![])), Err(ReturnError::Nothing));
    }

    #[test]
    fn a_request_needs_items_a_reason_and_its_key() {
        let ok = ReturnRequest::parse(&form(&[("1", "1"), ("2", "0")]), "  Too small \u{0}", KEY)
            .expect("a good form");
        assert_eq!(ok.lines, vec![(1, 1)]);
        assert_eq!(ok.reason, "Too small");
        // The field a refusal names, or "rule" for a broken rule.
        let refused = |r: Result<ReturnRequest, crate::Error>| match r {
            Err(crate::Error::Fields(f)) => ["reason", "lines[0][quantity]"]
                .into_iter()
                .find(|name| f.get(name).is_some())
                .unwrap_or("another field"),
            Err(crate::Error::Rule(crate::error::Rule::Return(ReturnError::Nothing))) => "nothing",
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(
            refused(ReturnRequest::parse(&form(&[("1", "0")]), "Too small", KEY)),
            "nothing"
        );
        assert_eq!(
            refused(ReturnRequest::parse(&form(&[("1", "1")]), "   ", KEY)),
            "reason"
        );
        assert_eq!(
            refused(ReturnRequest::parse(
                &form(&[("1", "1")]),
                &"x".repeat(501),
                KEY
            )),
            "reason"
        );
        assert_eq!(
            refused(ReturnRequest::parse(
                &form(&[("1", "1")]),
                "Too small",
                "nope"
            )),
            "reason"
        );
        assert_eq!(
            refused(ReturnRequest::parse(&form(&[("1", "x")]), "Too small", KEY)),
            "lines[0][quantity]"
        );
    }

    #[test]
    fn a_rejection_says_why() {
        assert_eq!(
            Answer::parse("approve", " ").ok(),
            Some(Answer::Approve(None))
        );
        assert_eq!(
            Answer::parse("approve", "Use the label inside").ok(),
            Some(Answer::Approve(Some("Use the label inside".to_owned())))
        );
        assert_eq!(
            Answer::parse("reject", "Worn").ok(),
            Some(Answer::Reject("Worn".to_owned()))
        );
        assert!(Answer::parse("reject", "").is_err());
        assert!(Answer::parse("refund", "x").is_err());
        assert!(Answer::parse("approve", &"x".repeat(501)).is_err());
    }

    #[test]
    fn the_policy_takes_days_from_0_to_365_and_instructions() {
        assert_eq!(
            ReturnPolicy::parse(" 14 ", "Send it to us").ok(),
            Some(ReturnPolicy {
                days: 14,
                instructions: "Send it to us".to_owned()
            })
        );
        assert_eq!(ReturnPolicy::parse("0", "x").map(|p| p.days).ok(), Some(0));
        assert!(ReturnPolicy::parse("366", "x").is_err());
        assert!(ReturnPolicy::parse("-1", "x").is_err());
        assert!(ReturnPolicy::parse("thirty", "x").is_err());
        assert!(ReturnPolicy::parse("30", " ").is_err());
    }

    #[test]
    fn the_open_filter_lists_what_waits_for_staff() {
        assert_eq!(
            ReturnFilter::Open.states(),
            vec![
                ReturnState::Requested,
                ReturnState::Approved,
                ReturnState::Received
            ]
        );
        assert_eq!(ReturnFilter::All.states().len(), 5);
    }
}
