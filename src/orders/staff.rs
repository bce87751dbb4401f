//! Orders as staff see them: the list (filters by status, payment and fulfilment state
//! and date, search by number, email or name, sorts, keyset pages, a CSV export of the
//! filtered list), one order whole (its payments, history with who moved it, and
//! staff-only notes), and adding a note.
//!
//! The list is one statement per page (two for a name search: see `named`): the
//! sort's index leads (`orders_placed`, `orders_total`, or the `(state, placed_at, id)`
//! index of a filter), the filters narrow it, and a page ends 50 rows in. A filter that
//! finds few orders combined with a sort by total can still walk far (bench/README.md
//! has the figures).

use super::{FulfilmentState, OrderStatus, OrderView, PaymentState};
use crate::accounts::address::Address;
use crate::Money;
use serde::{Deserialize, Serialize};

crate::text_enum! {
    /// How the list is ordered, as in the URL (`?sort=…`).
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum OrderSort {
        #[default]
        Newest = "newest",
        Oldest = "oldest",
        /// Highest total first.
        TotalDesc = "-total",
        /// Lowest total first.
        Total = "total",
    }
}

impl OrderSort {
    pub fn label(self) -> &'static str {
        match self {
            OrderSort::Newest => "Newest first",
            OrderSort::Oldest => "Oldest first",
            OrderSort::TotalDesc => "Highest total first",
            OrderSort::Total => "Lowest total first",
        }
    }
}

/// A calendar day (UTC), as a date field sends it: `YYYY-MM-DD`.
pub use crate::admin::audit::Day;

/// What the list's search looks for, read from what staff typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// Digits (perhaps after a `#`): that order number.
    Number(i64),
    /// Something with an `@`: emails that start with it, in any case.
    Email(String),
    /// Anything else: names with words starting with each of these (letters and
    /// digits only).
    Name(Vec<String>),
}

impl Search {
    /// `None` for an empty search. Words are cut to letters and digits, so what reaches
    /// the text-search parser is never its syntax.
    pub fn parse(q: &str) -> Option<Search> {
        let q = q.trim();
        if q.is_empty() {
            return None;
        }
        let digits = q.strip_prefix('#').unwrap_or(q).trim();
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            // A number too long to be an order's finds nothing, as it should.
            return Some(Search::Number(digits.parse().unwrap_or(-1)));
        }
        if q.contains('@') {
            return Some(Search::Email(q.to_lowercase()));
        }
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(8)
            .map(str::to_lowercase)
            .collect();
        Some(Search::Name(words))
    }
}

/// What the order list shows, as in its URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderQuery {
    /// An order number, (the start of) an email, or words of a name.
    pub q: String,
    pub status: Option<OrderStatus>,
    pub payment: Option<PaymentState>,
    pub fulfilment: Option<FulfilmentState>,
    /// Placed on or after this day (UTC).
    pub from: Option<Day>,
    /// Placed on or before this day (UTC).
    pub to: Option<Day>,
    pub sort: OrderSort,
    /// The last order (its id) of the previous page.
    pub after: Option<i64>,
}

/// The longest search the list takes.
pub const MAX_SEARCH: usize = 100;

/// Orders per page.
pub const PER_PAGE: i64 = 50;

/// The list's path.
pub const LIST_PATH: &str = "/admin/orders";

/// Where the filtered list is downloaded as CSV (a plain GET, streamed: not a server
/// function, but under `/api/admin/` and checked like one). It takes the list's own
/// query string.
pub const EXPORT_PATH: &str = "/api/admin/orders/export";

/// The URL parameters of the list, in the order [`OrderQuery::from_params`] takes them.
pub const PARAMS: [&str; 8] = [
    "q",
    "status",
    "payment",
    "fulfilment",
    "from",
    "to",
    "sort",
    "after",
];

impl OrderQuery {
    /// From the URL's parameters, in the order of [`PARAMS`] (each `None` when absent);
    /// what does not parse is left at its default.
    pub fn from_params(params: [Option<&str>; 8]) -> OrderQuery {
        let [q, status, payment, fulfilment, from, to, sort, after] = params;
        OrderQuery {
            // (No control characters: a NUL is not text to Postgres.)
            q: crate::text::search(q.unwrap_or_default(), MAX_SEARCH),
            status: status.and_then(OrderStatus::parse),
            payment: payment.and_then(PaymentState::parse),
            fulfilment: fulfilment.and_then(FulfilmentState::parse),
            from: from.and_then(Day::parse),
            to: to.and_then(Day::parse),
            sort: sort.and_then(OrderSort::parse).unwrap_or_default(),
            after: after.and_then(|a| a.parse().ok()),
        }
    }

    /// The query string (defaults left out), without the `?`.
    pub fn query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            out.append_pair("q", &self.q);
        }
        if let Some(status) = self.status {
            out.append_pair("status", status.as_str());
        }
        if let Some(payment) = self.payment {
            out.append_pair("payment", payment.as_str());
        }
        if let Some(fulfilment) = self.fulfilment {
            out.append_pair("fulfilment", fulfilment.as_str());
        }
        if let Some(from) = self.from {
            out.append_pair("from", &from.to_string());
        }
        if let Some(to) = self.to {
            out.append_pair("to", &to.to_string());
        }
        if self.sort != OrderSort::default() {
            out.append_pair("sort", self.sort.as_str());
        }
        if let Some(after) = self.after {
            out.append_pair("after", &after.to_string());
        }
        out.finish()
    }

    /// `path` with this query.
    fn at(&self, path: &str) -> String {
        match self.query_string() {
            q if q.is_empty() => path.to_owned(),
            q => format!("{path}?{q}"),
        }
    }

    /// The list's URL for this query.
    pub fn href(&self) -> String {
        self.at(LIST_PATH)
    }

    /// The CSV download of everything this query finds (from its first page).
    pub fn export_href(&self) -> String {
        self.starting(None).at(EXPORT_PATH)
    }

    /// The same list from after `after` (`None`: its first page).
    pub fn starting(&self, after: Option<i64>) -> OrderQuery {
        OrderQuery {
            after,
            ..self.clone()
        }
    }

    /// Whether anything narrows the list (for "clear filters").
    pub fn is_filtered(&self) -> bool {
        !self.q.is_empty()
            || self.status.is_some()
            || self.payment.is_some()
            || self.fulfilment.is_some()
            || self.from.is_some()
            || self.to.is_some()
    }
}

/// Where "back to the orders" goes: `back` when it is the order list's own URL (the
/// list links to an order with it), else the list's first page. Never another site,
/// nor anything that is not a plain path and query.
pub fn list_url(back: Option<&str>) -> String {
    back.filter(|b| *b == LIST_PATH || b.starts_with("/admin/orders?"))
        .filter(|b| b.chars().all(|c| c.is_ascii_graphic()) && !b.contains('\\'))
        .unwrap_or(LIST_PATH)
        .to_owned()
}

/// Order `number`'s page, with the way back to the list at `back` (see [`list_url`]).
pub fn order_href(number: i64, back: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("back", back)
        .finish();
    format!("{LIST_PATH}/{number}?{query}")
}

/// An order as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRow {
    pub id: i64,
    pub number: i64,
    /// When it was placed, `YYYY-MM-DD HH:MM` (UTC).
    pub placed: String,
    pub customer: String,
    pub email: String,
    pub status: OrderStatus,
    pub payment: PaymentState,
    pub fulfilment: FulfilmentState,
    pub items: i64,
    pub total: Money,
}

/// A page of the list, and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPage {
    pub rows: Vec<OrderRow>,
    pub next: Option<i64>,
}

/// A payment attempt, as the order's page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    /// "test", "stripe".
    pub provider: String,
    /// The provider's id for it.
    pub reference: String,
    pub amount: Money,
    /// "succeeded", "declined", "failed".
    pub status: String,
    pub message: String,
    pub at: String,
}

impl PaymentRecord {
    /// How the attempt ended, as staff read it.
    pub fn outcome(&self) -> &'static str {
        match self.status.as_str() {
            "succeeded" => "Succeeded",
            "declined" => "Declined",
            _ => "Failed",
        }
    }
}

/// A move of the order's status, and who made it (`None`: the shop itself, or a staff
/// account since deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffEvent {
    pub status: OrderStatus,
    pub note: String,
    pub at: String,
    pub by: Option<String>,
}

use crate::admin::StaffNote;

/// The account that placed an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: i64,
    pub email: String,
}

/// One order, whole, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOrder {
    /// Lines, totals, shipping address, as its customer sees them too.
    pub order: OrderView,
    pub payment: PaymentState,
    pub fulfilment: FulfilmentState,
    pub billing_address: Option<Address>,
    /// The account it was placed from; `None` for a guest (or a deleted account).
    pub customer: Option<Customer>,
    pub payments: Vec<PaymentRecord>,
    /// The status history, oldest first, with who moved it.
    pub history: Vec<StaffEvent>,
    /// Oldest first.
    pub notes: Vec<StaffNote>,
    /// Each line with how many of it have shipped.
    pub to_ship: Vec<super::fulfil::LineToShip>,
    /// The carriers a shipment may go with.
    pub carriers: Vec<super::fulfil::Carrier>,
    /// What may still be refunded.
    pub refundable: super::refund::Refundable,
    /// What "Cancel the order" would do, when it may be cancelled.
    pub cancel: Option<super::refund::Cancel>,
    /// Whether the staff member reading it has the refunds permission (others see
    /// what is left to refund, read-only).
    pub has_refunds_permission: bool,
    /// The idempotency key the refund form sends: the same form sent twice refunds
    /// once.
    pub refund_key: String,
    /// The key a return's refund form sends (another form, another key).
    pub return_refund_key: String,
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, Subject, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::orders::read;
    use crate::{Currency, Error};
    use rust_decimal::Decimal;
    use sqlx::{PgPool, Postgres, QueryBuilder};

    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        number: i64,
        placed: String,
        customer_name: String,
        email: String,
        status: OrderStatus,
        payment_state: PaymentState,
        fulfilment_state: FulfilmentState,
        items: i64,
        total: Decimal,
        currency: Currency,
    }

    /// At most this many orders found by a name search are fetched by id (see
    /// [`named`]).
    const FEW_NAMED: i64 = 2000;

    /// For a name search, the orders it finds (with the list's other filters) when they
    /// are few: their ids, from the words' index and the filters' own. A rare name (or a
    /// miss) is then a lookup of those ids, rather than a walk of the whole list in its
    /// order looking for them; a common one (more than [`FEW_NAMED`]) is found soon
    /// enough by that walk, which stops at a page.
    async fn named(pool: &PgPool, query: &OrderQuery) -> Result<Option<Vec<i64>>, Error> {
        let Some(Search::Name(words)) = Search::parse(&query.q) else {
            return Ok(None);
        };
        if words.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(
            "SELECT o.id FROM orders o WHERE o.name_words @@ to_tsquery('simple', ",
        );
        sql.push_bind(tsquery(&words)).push(")");
        filters(&mut sql, query);
        sql.push(" LIMIT ").push_bind(FEW_NAMED + 1);
        let ids: Vec<i64> = sql.build_query_scalar().fetch_all(pool).await?;
        Ok((ids.len() as i64 <= FEW_NAMED).then_some(ids))
    }

    /// Letters and digits only (see `Search::parse`): each a prefix, all of them.
    fn tsquery(words: &[String]) -> String {
        words
            .iter()
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// The list's filters other than its search, as conditions on `o` (an order).
    fn filters(sql: &mut QueryBuilder<'_, Postgres>, query: &OrderQuery) {
        if let Some(status) = query.status {
            sql.push(" AND o.status = ").push_bind(status);
        }
        if let Some(payment) = query.payment {
            sql.push(" AND o.payment_state = ").push_bind(payment);
        }
        if let Some(fulfilment) = query.fulfilment {
            sql.push(" AND o.fulfilment_state = ").push_bind(fulfilment);
        }
        // Days are UTC days, whatever the session's time zone.
        if let Some(from) = query.from {
            sql.push(" AND o.placed_at >= (")
                .push_bind(from.to_string())
                .push("::date)::timestamp AT TIME ZONE 'UTC'");
        }
        if let Some(to) = query.to {
            sql.push(" AND o.placed_at < (")
                .push_bind(to.to_string())
                .push("::date + 1)::timestamp AT TIME ZONE 'UTC'");
        }
    }

    /// The statement for `query`'s rows after `query.after`, at most `limit` of them;
    /// `columns` is what each row selects (the list's or the export's); `named`, the
    /// ids a rare name search found ([`named`]).
    fn select<'q>(
        query: &'q OrderQuery,
        columns: &str,
        limit: i64,
        named: Option<Vec<i64>>,
    ) -> QueryBuilder<'q, Postgres> {
        let mut sql: QueryBuilder<Postgres> =
            QueryBuilder::new(format!("SELECT {columns} FROM orders o WHERE true"));
        filters(&mut sql, query);
        match Search::parse(&query.q) {
            None => {}
            Some(Search::Number(number)) => {
                sql.push(" AND o.number = ").push_bind(number);
            }
            Some(Search::Email(start)) => {
                let pattern = format!(
                    "{}%",
                    start
                        .replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                );
                sql.push(" AND lower(o.email) LIKE ").push_bind(pattern);
            }
            Some(Search::Name(words)) => match named {
                Some(ids) => {
                    sql.push(" AND o.id = ANY(").push_bind(ids).push(")");
                }
                None => {
                    sql.push(" AND o.name_words @@ to_tsquery('simple', ")
                        .push_bind(tsquery(&words))
                        .push(")");
                }
            },
        }
        let (key, cmp, order) = match query.sort {
            OrderSort::Newest => ("placed_at, id", "<", "o.placed_at DESC, o.id DESC"),
            OrderSort::Oldest => ("placed_at, id", ">", "o.placed_at, o.id"),
            OrderSort::TotalDesc => ("total, id", "<", "o.total DESC, o.id DESC"),
            OrderSort::Total => ("total, id", ">", "o.total, o.id"),
        };
        if let Some(after) = query.after {
            let columns = key
                .split(", ")
                .map(|c| format!("o.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            sql.push(format!(
                " AND ({columns}) {cmp} (SELECT {key} FROM orders WHERE id = "
            ))
            .push_bind(after)
            .push(")");
        }
        sql.push(format!(" ORDER BY {order} LIMIT "))
            .push_bind(limit);
        sql
    }

    const LIST_COLUMNS: &str = "o.id, o.number,
        to_char(o.placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS placed,
        o.customer_name, o.email, o.status, o.payment_state, o.fulfilment_state,
        (SELECT coalesce(sum(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id)::bigint
            AS items,
        o.total, o.currency";

    /// A page of the list for `query`.
    pub async fn list(
        pool: &PgPool,
        staff: &Staff,
        query: &OrderQuery,
    ) -> Result<OrderPage, Error> {
        staff.require(Permission::Orders)?;
        let named = named(pool, query).await?;
        let mut rows: Vec<Row> = select(query, LIST_COLUMNS, PER_PAGE + 1, named)
            .build_query_as()
            .fetch_all(pool)
            .await?;
        let next = crate::admin::keyset_page(&mut rows, PER_PAGE, |r| r.id);
        Ok(OrderPage {
            rows: rows
                .into_iter()
                .map(|r| OrderRow {
                    id: r.id,
                    number: r.number,
                    placed: r.placed,
                    customer: r.customer_name,
                    email: r.email,
                    status: r.status,
                    payment: r.payment_state,
                    fulfilment: r.fulfilment_state,
                    items: r.items,
                    total: Money::new(r.total, r.currency),
                })
                .collect(),
            next,
        })
    }

    /// How many orders one page of an export reads.
    pub const EXPORT_PAGE: i64 = 1000;

    /// How many exports of orders one process streams at once.
    pub const EXPORTS_AT_ONCE: usize = 2;

    /// The export's columns, in order.
    const EXPORT_HEADER: [&str; 16] = [
        "number",
        "placed_at",
        "status",
        "payment",
        "fulfilment",
        "name",
        "email",
        "items",
        "subtotal",
        "discount",
        "shipping",
        "tax",
        "total",
        "currency",
        "coupon",
        "country",
    ];

    #[derive(sqlx::FromRow)]
    struct ExportRow {
        id: i64,
        number: i64,
        placed: String,
        status: OrderStatus,
        payment_state: PaymentState,
        fulfilment_state: FulfilmentState,
        customer_name: String,
        email: String,
        items: i64,
        subtotal: Decimal,
        discount: Decimal,
        shipping: Decimal,
        tax: Decimal,
        total: Decimal,
        currency: Currency,
        coupon_code: Option<String>,
        country: Option<String>,
    }

    const EXPORT_COLUMNS: &str = "o.id, o.number,
        to_char(o.placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS placed,
        o.status, o.payment_state, o.fulfilment_state, o.customer_name, o.email,
        (SELECT coalesce(sum(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id)::bigint
            AS items,
        o.subtotal, o.discount, o.shipping, o.tax, o.total, o.currency, o.coupon_code,
        o.shipping_address ->> 'country' AS country";

    /// Every order `query` finds (from its first page, in its order) as CSV, the header
    /// first, then [`EXPORT_PAGE`] orders at a time as the reader asks. An error ends
    /// the stream after it is given, so a download that fails part-way never looks
    /// whole.
    pub fn export(
        pool: PgPool,
        staff: &Staff,
        query: OrderQuery,
    ) -> Result<impl futures_util::Stream<Item = Result<Vec<u8>, Error>> + Send, Error> {
        use futures_util::StreamExt;
        staff.require(Permission::Orders)?;
        let failed = |e: csv::Error| Error::Internal(format!("writing the export: {e}"));
        let header = {
            // A BOM first, so that spreadsheets read the file as UTF-8.
            let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
            out.write_record(EXPORT_HEADER)
                .map_err(failed)
                .and_then(|()| out.into_inner().map_err(|e| failed(e.into_error().into())))
        };
        // Where the next page starts (`Some(None)`: the first page); `None` once done.
        let pages = futures_util::stream::unfold(Some(None), move |after| {
            let pool = pool.clone();
            let query = after.map(|after| query.starting(after));
            async move {
                match export_page(&pool, &query?).await {
                    Ok((bytes, next)) => Some((Ok(bytes), next.map(Some))),
                    Err(error) => Some((Err(error), None)),
                }
            }
        });
        Ok(futures_util::stream::once(async { header })
            .chain(pages)
            .fuse())
    }

    async fn export_page(
        pool: &PgPool,
        query: &OrderQuery,
    ) -> Result<(Vec<u8>, Option<i64>), Error> {
        let failed = |e: csv::Error| Error::Internal(format!("writing the export: {e}"));
        let named = named(pool, query).await?;
        let rows: Vec<ExportRow> = select(query, EXPORT_COLUMNS, EXPORT_PAGE, named)
            .build_query_as()
            .fetch_all(pool)
            .await?;
        let next = (rows.len() as i64 == EXPORT_PAGE)
            .then(|| rows.last().map(|r| r.id))
            .flatten();
        let mut out = csv::Writer::from_writer(Vec::new());
        for r in rows {
            let text = crate::catalog::transfer::defused;
            out.write_record([
                r.number.to_string(),
                r.placed,
                r.status.as_str().to_owned(),
                r.payment_state.as_str().to_owned(),
                r.fulfilment_state.as_str().to_owned(),
                text(&r.customer_name),
                text(&r.email),
                r.items.to_string(),
                r.subtotal.to_string(),
                r.discount.to_string(),
                r.shipping.to_string(),
                r.tax.to_string(),
                r.total.to_string(),
                r.currency.to_string(),
                text(r.coupon_code.as_deref().unwrap_or_default()),
                text(r.country.as_deref().unwrap_or_default()),
            ])
            .map_err(failed)?;
        }
        let bytes = out
            .into_inner()
            .map_err(|e| failed(e.into_error().into()))?;
        Ok((bytes, next))
    }

    /// Order `number` whole, for staff with the orders permission.
    pub async fn order(pool: &PgPool, staff: &Staff, number: i64) -> Result<StaffOrder, Error> {
        let mut conn = pool.acquire().await?;
        let order = read::order_on_conn(&mut conn, number, read::Viewer::Staff(staff)).await?;
        let extra = sqlx::query!(
            r#"SELECT o.payment_state AS "payment: PaymentState",
                      o.fulfilment_state AS "fulfilment: FulfilmentState",
                      o.billing_address, o.user_id, u.email AS "customer_email?"
               FROM orders o LEFT JOIN users u ON u.id = o.user_id
               WHERE o.id = $1"#,
            order.id,
        )
        .fetch_one(&mut *conn)
        .await?;
        let payments = sqlx::query!(
            r#"SELECT provider, reference, amount, currency AS "currency: Currency", status,
                      message,
                      to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "at!"
               FROM payments WHERE order_id = $1 ORDER BY id"#,
            order.id,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|p| PaymentRecord {
            provider: p.provider,
            reference: p.reference,
            amount: Money::new(p.amount, p.currency),
            status: p.status,
            message: p.message,
            at: p.at,
        })
        .collect();
        let history = sqlx::query!(
            r#"SELECT e.to_status AS "status: OrderStatus", e.note,
                      to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "at!",
                      u.email AS "by?"
               FROM order_events e LEFT JOIN users u ON u.id = e.staff_id
               WHERE e.order_id = $1 ORDER BY e.id"#,
            order.id,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|e| StaffEvent {
            status: e.status,
            note: e.note,
            at: e.at,
            by: e.by,
        })
        .collect();
        let notes = sqlx::query_as!(
            StaffNote,
            r#"SELECT body, staff_email AS by,
                      to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "at!"
               FROM order_notes WHERE order_id = $1 ORDER BY id"#,
            order.id,
        )
        .fetch_all(&mut *conn)
        .await?;
        let to_ship = crate::orders::fulfil::lines(&mut conn, order.id).await?;
        // The guest's key to the order is the customer's: staff pages do without it.
        let order = OrderView {
            access_key: String::new(),
            ..order
        };
        let carriers = crate::orders::fulfil::carriers(pool).await?;
        let refundable = crate::orders::refund::refundable(&mut conn, order.id).await?;
        let cancel =
            crate::orders::refund::Cancel::offered(order.status, extra.fulfilment, &refundable);
        Ok(StaffOrder {
            order,
            payment: extra.payment,
            fulfilment: extra.fulfilment,
            billing_address: serde_json::from_value(extra.billing_address).ok(),
            customer: extra
                .user_id
                .zip(extra.customer_email)
                .map(|(id, email)| Customer { id, email }),
            payments,
            history,
            notes,
            to_ship,
            carriers,
            refundable,
            cancel,
            has_refunds_permission: staff.require(Permission::Refunds).is_ok(),
            refund_key: crate::token::random_hex(),
            return_refund_key: crate::token::random_hex(),
        })
    }

    /// Adds a staff-only note to order `number`, with its audit entry. Needs the orders
    /// permission.
    pub async fn add_note(
        pool: &PgPool,
        staff: &Staff,
        number: i64,
        body: &str,
    ) -> Result<(), Error> {
        staff.require(Permission::Orders)?;
        let body = crate::admin::parse_note(body)?;
        let mut tx = pool.begin().await?;
        let added = sqlx::query_scalar!(
            "INSERT INTO order_notes (order_id, staff_id, staff_email, body)
             SELECT id, $2, $3, $4 FROM orders WHERE number = $1
             RETURNING id",
            number,
            staff.id(),
            staff.user().email,
            body,
        )
        .fetch_optional(&mut *tx)
        .await?;
        if added.is_none() {
            return Err(Error::NotFound);
        }
        audit::record(
            &mut tx,
            staff,
            Action::OrderNote,
            Subject {
                kind: SubjectKind::Order,
                id: &number.to_string(),
            },
            None,
            Some(serde_json::json!({ "note": body })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_reads_back_from_its_url() {
        let query = OrderQuery::from_params([
            Some(" anna smith "),
            Some("paid"),
            Some("partially_refunded"),
            Some("partially_shipped"),
            Some("2026-01-31"),
            Some("2026-02-28"),
            Some("-total"),
            Some("42"),
        ]);
        assert_eq!(query.q, "anna smith");
        assert_eq!(query.status, Some(OrderStatus::Paid));
        assert_eq!(query.payment, Some(PaymentState::PartiallyRefunded));
        assert_eq!(query.fulfilment, Some(FulfilmentState::PartiallyShipped));
        assert_eq!(
            query.from.map(|d| d.to_string()).as_deref(),
            Some("2026-01-31")
        );
        assert_eq!(query.sort, OrderSort::TotalDesc);
        assert_eq!(query.after, Some(42));
        let href = query.href();
        let back: Vec<(String, String)> = form_urlencoded::parse(
            href.split_once('?')
                .map(|(_, q)| q)
                .unwrap_or("")
                .as_bytes(),
        )
        .into_owned()
        .collect();
        let get = |k: &str| back.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let again = OrderQuery::from_params(PARAMS.map(get));
        assert_eq!(again, query);
        assert!(query.export_href().starts_with(EXPORT_PATH));
        assert!(!query.export_href().contains("after="));
    }

    #[test]
    fn what_does_not_parse_is_left_at_its_default() {
        let query = OrderQuery::from_params([
            None,
            Some("shipped"),
            Some("owed"),
            Some(""),
            Some("2026-02-30"),
            Some("31/01/2026"),
            Some("price"),
            Some("x"),
        ]);
        assert_eq!(query, OrderQuery::default());
        assert!(!query.is_filtered());
        assert_eq!(query.href(), "/admin/orders");
        let nul =
            OrderQuery::from_params([Some("a\0b@x"), None, None, None, None, None, None, None]);
        assert_eq!(nul.q, "ab@x");
        let long = "a".repeat(MAX_SEARCH + 50);
        let query =
            OrderQuery::from_params([Some(&long), None, None, None, None, None, None, None]);
        assert_eq!(query.q.chars().count(), MAX_SEARCH);
    }

    #[test]
    fn days_are_real_days() {
        assert!(Day::parse("2024-02-29").is_some());
        assert!(Day::parse("2026-02-29").is_none());
        assert!(Day::parse("2100-02-29").is_none());
        assert!(Day::parse("2000-02-29").is_some());
        assert!(Day::parse("2026-13-01").is_none());
        assert!(Day::parse("2026-1-01").is_none());
        assert!(Day::parse("+026-01-01").is_none());
        assert!(Day::parse("1999-12-31").is_none());
        assert!(Day::parse("2026-+1-01").is_none());
        assert_eq!(
            Day::parse(" 2026-12-02 ").map(|d| d.to_string()).as_deref(),
            Some("2026-12-02")
        );
    }

    #[test]
    fn a_search_is_a_number_an_email_or_words_of_a_name() {
        assert_eq!(Search::parse("  "), None);
        assert_eq!(Search::parse("10042"), Some(Search::Number(10042)));
        assert_eq!(Search::parse("#10042"), Some(Search::Number(10042)));
        assert_eq!(
            Search::parse("99999999999999999999999"),
            Some(Search::Number(-1))
        );
        assert_eq!(
            Search::parse("Anna@Example"),
            Some(Search::Email("anna@example".to_owned()))
        );
        assert_eq!(
            Search::parse("O'Brien, Zoë"),
            Some(Search::Name(vec!["o".into(), "brien".into(), "zoë".into()]))
        );
        // Text-search syntax never reaches the parser.
        assert_eq!(
            Search::parse("a:* | !b & (c)"),
            Some(Search::Name(vec!["a".into(), "b".into(), "c".into()]))
        );
        assert_eq!(Search::parse("&&&"), Some(Search::Name(vec![])));
    }

    #[test]
    fn back_to_the_list_goes_only_to_the_order_list() {
        assert_eq!(
            list_url(Some("/admin/orders?status=paid")),
            "/admin/orders?status=paid"
        );
        assert_eq!(
            list_url(Some("https://evil.example/admin/orders")),
            LIST_PATH
        );
        assert_eq!(list_url(Some("/admin/ordersx")), LIST_PATH);
        assert_eq!(list_url(Some("/admin/orders?q=a b")), LIST_PATH);
        assert_eq!(list_url(None), LIST_PATH);
    }
}
