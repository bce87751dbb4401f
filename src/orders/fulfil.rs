//! Fulfilment: shipping some or all of a paid order's units in a parcel with a carrier
//! and a tracking number (the link made from the carrier's template), the order's
//! parcels as it goes (partly shipped, then shipped), the "shipped" mail, and marking
//! it delivered.
//!
//! Never more units leave than a line has: the order is locked while a shipment is
//! counted, and the database refuses a line shipped past its quantity
//! (`shipment_lines_within_order`), so two staff shipping the same units at once ship
//! them once.

use super::{FulfilmentState, OrderStatus};
use serde::{Deserialize, Serialize};

/// Why a shipment, or marking one delivered, was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ShipError {
    #[error("Only a paid order can be shipped; this one is {0}.")]
    NotPaid(OrderStatus),
    #[error("Choose at least one item to ship.")]
    Nothing,
    #[error("{name}: only {left} left to ship. Someone may have shipped it meanwhile: reload the order.")]
    TooMany { name: String, left: u32 },
    #[error("Someone shipped some of these items meanwhile: reload the order.")]
    Changed,
    #[error("That carrier isn't available any more: choose another.")]
    UnknownCarrier,
    #[error("Only a shipped order can be marked delivered; this one is {0}.")]
    NotShipped(OrderStatus),
    #[error("A refund of this order waits for the payment provider: nothing ships until it ends (retry it, or wait for the provider).")]
    RefundWaiting,
}

/// A carrier staff may choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    pub id: i64,
    pub name: String,
    /// Whether its tracking numbers become links.
    pub links: bool,
}

/// A line of an order as the ship form lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineToShip {
    pub line_id: i64,
    pub name: String,
    pub sku: String,
    pub ordered: u32,
    pub shipped: u32,
    /// Units refunded before they shipped: they need not ship.
    pub refunded: u32,
}

impl LineToShip {
    /// Units still to ship: those neither shipped nor refunded before they shipped.
    pub fn left(&self) -> u32 {
        self.ordered
            .saturating_sub(self.shipped)
            .saturating_sub(self.refunded)
    }
}

/// A parcel that left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub id: i64,
    pub carrier: String,
    pub tracking_number: String,
    /// The carrier's page for the parcel, when it has one.
    pub tracking_url: Option<String>,
    /// `YYYY-MM-DD HH:MM` (UTC).
    pub shipped_at: String,
    pub delivered_at: Option<String>,
    /// (item name, units)
    pub lines: Vec<(String, u32)>,
}

/// One row of the ship form, as posted: `lines[i][id]` and `lines[i][quantity]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipLineForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub quantity: String,
}

/// A shipment staff asked for, checked for form: which lines and how many of each (at
/// least one unit), the carrier, and the tracking number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipRequest {
    pub lines: Vec<(i64, u32)>,
    pub carrier: i64,
    /// Without spaces; may be empty (a parcel without tracking).
    pub tracking: String,
}

/// The longest tracking number, in characters.
pub const MAX_TRACKING: usize = 64;

/// The most rows one ship form may have (an order has at most this many lines).
pub const MAX_LINES: usize = 200;

/// The statuses in which an order may ship (more of) its units: once paid (and after
/// part of it was refunded), until everything has left.
pub const SHIPPABLE: [OrderStatus; 2] = [OrderStatus::Paid, OrderStatus::PartiallyRefunded];

/// Where an order's parcels stand while some of its units have not left.
pub const LEFT_TO_SHIP: [FulfilmentState; 2] = [
    FulfilmentState::Unfulfilled,
    FulfilmentState::PartiallyShipped,
];

/// Whether an order in `status` may ship (more of) its units.
pub fn may_ship(status: OrderStatus) -> bool {
    SHIPPABLE.contains(&status)
}

/// Whether the ship form has anything to offer: the order may ship and some of
/// `lines` have units left.
pub fn may_ship_more(status: OrderStatus, lines: &[LineToShip]) -> bool {
    may_ship(status) && lines.iter().any(|l| l.left() > 0)
}

/// Whether an order in `status` with its parcels at `fulfilment` may be marked
/// delivered: once everything has left (a partly refunded order too).
pub fn may_mark_delivered(status: OrderStatus, fulfilment: FulfilmentState) -> bool {
    status == OrderStatus::Fulfilled
        || (status == OrderStatus::PartiallyRefunded && fulfilment == FulfilmentState::Shipped)
}

impl ShipRequest {
    /// From the form. Rows with 0 (or nothing) are left out; a quantity that is not a
    /// whole number from 0 to 99 is refused beside its field.
    pub fn parse(
        lines: &[ShipLineForm],
        carrier: &str,
        tracking: &str,
    ) -> Result<ShipRequest, crate::Error> {
        let chosen = lines_chosen("lines", lines)?;
        if chosen.is_empty() {
            return Err(ShipError::Nothing.into());
        }
        let carrier = carrier
            .trim()
            .parse()
            .map_err(|_| crate::Error::field("carrier", "Choose the carrier."))?;
        // As printed on a label: no spaces, nothing outside plain ASCII (no invisible or
        // right-to-left characters to make one number look like another).
        let tracking: String = tracking.chars().filter(|c| !c.is_whitespace()).collect();
        if !tracking.chars().all(|c| c.is_ascii_graphic()) || tracking.len() > MAX_TRACKING {
            return Err(crate::Error::field(
                "tracking",
                format!(
                    "A tracking number has at most {MAX_TRACKING} letters, digits and signs, as on the label."
                ),
            ));
        }
        Ok(ShipRequest {
            lines: chosen,
            carrier,
            tracking,
        })
    }
}

/// The rows of a form that choose units of an order's lines (`lines[i][id]`,
/// `lines[i][quantity]`): (row, line, units) for each row with at least one unit. A
/// quantity that is not a whole number from 0 to 99, a damaged id, or a line twice is
/// refused beside its field.
pub(crate) fn units_chosen<'a>(
    name: &str,
    rows: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<(usize, i64, u32)>, crate::Error> {
    if rows.len() > MAX_LINES {
        return Err(crate::Error::field(
            name,
            "Reload the page: the order's items changed.",
        ));
    }
    let mut chosen = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, (id, quantity)) in rows.enumerate() {
        let field = format!("{name}[{i}][quantity]");
        let quantity = quantity.trim();
        if quantity.is_empty() {
            continue;
        }
        let quantity: u32 = match quantity.parse() {
            Ok(q) if q <= 99 => q,
            _ => return Err(crate::Error::field(&field, "Type a whole number of units.")),
        };
        let id: i64 = id
            .trim()
            .parse()
            .map_err(|_| crate::Error::field(&field, "Reload the order and try again."))?;
        if !seen.insert(id) {
            return Err(crate::Error::field(
                &field,
                "This item is in the form twice: reload the order.",
            ));
        }
        if quantity > 0 {
            chosen.push((i, id, quantity));
        }
    }
    Ok(chosen)
}

/// [`units_chosen`] from rows named `{name}[i][id]`, `{name}[i][quantity]`: (line,
/// units) for each row with at least one unit.
pub(crate) fn lines_chosen(
    name: &str,
    rows: &[ShipLineForm],
) -> Result<Vec<(i64, u32)>, crate::Error> {
    Ok(
        units_chosen(name, rows.iter().map(|l| (&*l.id, &*l.quantity)))?
            .into_iter()
            .map(|(_, id, units)| (id, units))
            .collect(),
    )
}

/// The carrier's page for `tracking`, from its template (`{tracking}` where the number
/// goes), with the number escaped so it can only ever be one part of the address.
pub fn tracking_link(template: Option<&str>, tracking: &str) -> Option<String> {
    let template = template?;
    if tracking.is_empty() {
        return None;
    }
    let escaped: String = form_urlencoded::byte_serialize(tracking.as_bytes()).collect();
    Some(template.replace("{tracking}", &escaped))
}

/// What shipping did to the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shipped {
    /// Some units are still to ship.
    Partly,
    /// Everything left: the order is shipped.
    All,
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, Subject, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::orders::transition::{transition, By};
    use crate::Error;
    use sqlx::{PgConnection, PgPool};

    /// The carriers staff may choose, in their order.
    pub async fn carriers(pool: &PgPool) -> Result<Vec<Carrier>, Error> {
        Ok(sqlx::query_as!(
            Carrier,
            r#"SELECT id, name, tracking_url IS NOT NULL AS "links!"
               FROM carriers WHERE active ORDER BY position, name"#
        )
        .fetch_all(pool)
        .await?)
    }

    /// Order `order_id`'s lines with how many of each have shipped.
    pub async fn lines(conn: &mut PgConnection, order_id: i64) -> Result<Vec<LineToShip>, Error> {
        let rows = sqlx::query!(
            r#"SELECT l.id, l.name, l.sku, l.quantity,
                      coalesce((SELECT sum(s.quantity) FROM shipment_lines s
                                WHERE s.order_line_id = l.id), 0)::int AS "shipped!",
                      coalesce((SELECT sum(rl.unshipped) FROM refund_lines rl
                                JOIN refunds r ON r.id = rl.refund_id
                                WHERE rl.order_line_id = l.id AND r.state <> 'failed'), 0)::int
                          AS "refunded!"
               FROM order_lines l WHERE l.order_id = $1 ORDER BY l.id"#,
            order_id,
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| LineToShip {
                line_id: r.id,
                name: r.name,
                sku: r.sku,
                ordered: u32::try_from(r.quantity).unwrap_or(0),
                shipped: u32::try_from(r.shipped).unwrap_or(0),
                refunded: u32::try_from(r.refunded).unwrap_or(0),
            })
            .collect())
    }

    /// Order `order_id`'s shipments, oldest first.
    pub async fn shipments(conn: &mut PgConnection, order_id: i64) -> Result<Vec<Shipment>, Error> {
        let rows = sqlx::query!(
            r#"SELECT s.id, s.carrier, s.tracking_number, s.tracking_url,
                      to_char(s.shipped_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "shipped_at!",
                      to_char(s.delivered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS delivered_at,
                      coalesce(array_agg(l.name ORDER BY l.id) FILTER (WHERE l.id IS NOT NULL), '{}')
                          AS "names!",
                      coalesce(array_agg(sl.quantity ORDER BY l.id) FILTER (WHERE l.id IS NOT NULL), '{}')
                          AS "units!"
               FROM shipments s
               LEFT JOIN shipment_lines sl ON sl.shipment_id = s.id
               LEFT JOIN order_lines l ON l.id = sl.order_line_id
               WHERE s.order_id = $1 GROUP BY s.id ORDER BY s.id"#,
            order_id,
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Shipment {
                id: r.id,
                carrier: r.carrier,
                tracking_number: r.tracking_number,
                tracking_url: r.tracking_url,
                shipped_at: r.shipped_at,
                delivered_at: r.delivered_at,
                lines: r
                    .names
                    .into_iter()
                    .zip(r.units)
                    .map(|(n, u)| (n, u32::try_from(u).unwrap_or(0)))
                    .collect(),
            })
            .collect())
    }

    /// Ships `request`'s units of order `number` in one parcel: the shipment, the
    /// order's fulfilment (partly shipped, or shipped with its history row when nothing
    /// is left), the "shipped" mail with the tracking link, and the audit entry, in one
    /// transaction. Needs the orders permission.
    pub async fn ship(
        pool: &PgPool,
        staff: &Staff,
        number: i64,
        request: &ShipRequest,
        public_url: &str,
    ) -> Result<Shipped, Error> {
        staff.require(Permission::Orders)?;
        let mut tx = pool.begin().await?;
        let order = sqlx::query!(
            r#"SELECT id, status AS "status: OrderStatus" FROM orders WHERE number = $1
               FOR UPDATE"#,
            number,
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        if !may_ship(order.status) {
            return Err(ShipError::NotPaid(order.status).into());
        }
        // A refund still waiting may cancel the order or units of it: what is left to
        // ship is known when it ends.
        let waiting = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM refunds WHERE order_id = $1
                              AND state IN ('requested', 'pending')) AS "waiting!""#,
            order.id,
        )
        .fetch_one(&mut *tx)
        .await?;
        if waiting {
            return Err(ShipError::RefundWaiting.into());
        }
        let carrier = sqlx::query!(
            "SELECT name, tracking_url FROM carriers WHERE id = $1 AND active",
            request.carrier,
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ShipError::UnknownCarrier)?;
        let lines = lines(&mut tx, order.id).await?;
        for (id, quantity) in &request.lines {
            let line = lines
                .iter()
                .find(|l| l.line_id == *id)
                .ok_or_else(|| Error::field("lines", "Reload the order: its items changed."))?;
            if *quantity > line.left() {
                return Err(ShipError::TooMany {
                    name: line.name.clone(),
                    left: line.left(),
                }
                .into());
            }
        }
        let url = tracking_link(carrier.tracking_url.as_deref(), &request.tracking);
        let shipment = sqlx::query_scalar!(
            "INSERT INTO shipments (order_id, carrier, tracking_number, tracking_url, staff_id)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            order.id,
            carrier.name,
            request.tracking,
            url,
            staff.id(),
        )
        .fetch_one(&mut *tx)
        .await?;
        let (ids, units): (Vec<i64>, Vec<i32>) = request
            .lines
            .iter()
            .map(|(id, q)| (*id, i32::try_from(*q).unwrap_or(i32::MAX)))
            .unzip();
        sqlx::query!(
            "INSERT INTO shipment_lines (shipment_id, order_line_id, quantity)
             SELECT $1, * FROM unnest($2::bigint[], $3::int[])",
            shipment,
            &ids,
            &units,
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            // The order's lock makes this unreachable; the database's own check is
            // there for a writer that forgets it.
            match e.as_database_error().and_then(|d| d.constraint()) {
                Some("shipment_lines_within_order") => ShipError::Changed.into(),
                _ => Error::from(e),
            }
        })?;
        let left: u32 = lines
            .iter()
            .map(|l| {
                let now = request
                    .lines
                    .iter()
                    .find(|(id, _)| *id == l.line_id)
                    .map_or(0, |(_, q)| *q);
                l.left() - now
            })
            .sum();
        let shipped = if left == 0 && order.status == OrderStatus::PartiallyRefunded {
            // Partly refunded stays its status: the parcels say the rest left.
            crate::orders::transition::parcels(
                &mut tx,
                order.id,
                order.status,
                FulfilmentState::Shipped,
                "Shipped",
                staff,
            )
            .await?;
            Shipped::All
        } else if left == 0 {
            transition(
                &mut tx,
                order.id,
                &[OrderStatus::Paid],
                OrderStatus::Fulfilled,
                "Shipped",
                By::Staff {
                    staff,
                    reason: "Shipped the last items",
                },
            )
            .await?;
            Shipped::All
        } else {
            sqlx::query!(
                "UPDATE orders SET fulfilment_state = $2, updated_at = now() WHERE id = $1",
                order.id,
                FulfilmentState::PartiallyShipped as FulfilmentState,
            )
            .execute(&mut *tx)
            .await?;
            Shipped::Partly
        };
        audit::record(
            &mut tx,
            staff,
            Action::OrderShip,
            Subject {
                kind: SubjectKind::Order,
                id: &number.to_string(),
            },
            None,
            Some(serde_json::json!({
                "carrier": carrier.name,
                "tracking": request.tracking,
                "lines": request.lines.iter().map(|(id, q)| serde_json::json!({"line": id, "quantity": q})).collect::<Vec<_>>(),
            })),
        )
        .await?;
        super::super::mail::queue_shipped(&mut tx, order.id, shipment, public_url).await?;
        tx.commit().await?;
        Ok(shipped)
    }

    /// Marks shipped order `number` delivered, with its parcels. Needs the orders
    /// permission.
    pub async fn mark_delivered(pool: &PgPool, staff: &Staff, number: i64) -> Result<(), Error> {
        staff.require(Permission::Orders)?;
        let mut tx = pool.begin().await?;
        let order = crate::orders::transition::lock_order(&mut tx, number).await?;
        if !may_mark_delivered(order.status, order.fulfilment) {
            return Err(ShipError::NotShipped(order.status).into());
        }
        if order.status == OrderStatus::Fulfilled {
            transition(
                &mut tx,
                order.id,
                &[OrderStatus::Fulfilled],
                OrderStatus::Delivered,
                "Delivered",
                By::Staff {
                    staff,
                    reason: "Marked delivered",
                },
            )
            .await?;
        } else {
            crate::orders::transition::parcels(
                &mut tx,
                order.id,
                order.status,
                FulfilmentState::Delivered,
                "Delivered",
                staff,
            )
            .await?;
            audit::record(
                &mut tx,
                staff,
                Action::OrderStatus,
                Subject {
                    kind: SubjectKind::Order,
                    id: &number.to_string(),
                },
                Some(serde_json::json!({ "fulfilment": order.fulfilment.as_str() })),
                Some(serde_json::json!({ "fulfilment": FulfilmentState::Delivered.as_str() })),
            )
            .await?;
        }
        sqlx::query!(
            "UPDATE shipments SET delivered_at = now() WHERE order_id = $1 AND delivered_at IS NULL",
            order.id,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, quantity: &str) -> ShipLineForm {
        ShipLineForm {
            id: id.to_owned(),
            quantity: quantity.to_owned(),
        }
    }

    #[test]
    fn a_ship_form_reads_its_units_carrier_and_tracking() {
        let request = ShipRequest::parse(
            &[row("7", "2"), row("8", "0"), row("9", "")],
            "3",
            " JV GL 01 ",
        )
        .expect("parsed");
        assert_eq!(request.lines, [(7, 2)]);
        assert_eq!(request.carrier, 3);
        assert_eq!(request.tracking, "JVGL01");
        assert!(matches!(
            ShipRequest::parse(&[row("7", "0")], "3", ""),
            Err(crate::Error::Rule(crate::error::Rule::Ship(
                ShipError::Nothing
            )))
        ));
        for bad in ["-1", "1.5", "100", "two"] {
            assert!(
                matches!(
                    ShipRequest::parse(&[row("7", bad)], "3", ""),
                    Err(crate::Error::Fields(_))
                ),
                "{bad}"
            );
        }
        assert!(ShipRequest::parse(&[row("7", "1")], "", "").is_err());
        assert!(ShipRequest::parse(&[row("7", "1")], "3", &"A".repeat(65)).is_err());
        assert!(ShipRequest::parse(&[row("7", "1")], "3", "A\u{0}B").is_err());
        // Invisible and right-to-left characters could make one number look like
        // another.
        assert!(ShipRequest::parse(&[row("7", "1")], "3", "AB\u{202E}12").is_err());
        assert!(ShipRequest::parse(&[row("7", "1")], "3", "AB\u{200B}12").is_err());
        // One row per line, and not too many rows.
        assert!(matches!(
            ShipRequest::parse(&[row("7", "1"), row("7", "1")], "3", ""),
            Err(crate::Error::Fields(_))
        ));
        let many: Vec<ShipLineForm> = (0..=MAX_LINES).map(|i| row(&i.to_string(), "1")).collect();
        assert!(ShipRequest::parse(&many, "3", "").is_err());
    }

    #[test]
    fn a_tracking_number_is_only_ever_one_part_of_its_link() {
        let dhl = Some("https://track.example/parcel?id={tracking}");
        assert_eq!(
            tracking_link(dhl, "JVGL0123").as_deref(),
            Some("https://track.example/parcel?id=JVGL0123")
        );
        assert_eq!(
            tracking_link(dhl, "<b>x</b>&a=1/../").as_deref(),
            Some("https://track.example/parcel?id=%3Cb%3Ex%3C%2Fb%3E%26a%3D1%2F..%2F")
        );
        assert_eq!(tracking_link(dhl, ""), None);
        assert_eq!(tracking_link(None, "JVGL0123"), None);
    }
}
