//! Customers as staff see them: a list with search, each account's order count and what
//! it spent; an account's page with its orders, addresses and staff notes; a password
//! reset mail sent for them; and, with the customer data permission, the account's data as JSON and
//! its anonymisation (orders keep their lines and totals; the email, the address book
//! and the addresses and emails on its orders, mails and coupon uses are gone). Every
//! change is audited in its own transaction, without the customer's personal data (the
//! audit log is kept whole).

use super::address::SavedAddress;
use crate::orders::OrderSummary;
use crate::Money;
use serde::{Deserialize, Serialize};

/// A customer in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: i64,
    pub email: String,
    /// `YYYY-MM-DD`.
    pub joined: String,
    pub orders: i64,
    /// Paid and not refunded, per currency.
    pub spent: Vec<Money>,
    pub anonymised: bool,
}

/// A page of the staff list, newest accounts first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerList {
    pub rows: Vec<CustomerRow>,
    /// The account the next page starts after.
    pub next: Option<i64>,
}

/// The list's search: words of an email or of a name in the address book, or an
/// account's number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerQuery {
    pub q: String,
    pub after: Option<i64>,
}

impl CustomerQuery {
    pub const MAX_SEARCH: usize = 100;

    /// From the list's URL (`q`, `after`); what cannot be read is left out.
    pub fn from_params(q: Option<&str>, after: Option<&str>) -> CustomerQuery {
        CustomerQuery {
            q: crate::text::search(q.unwrap_or_default(), Self::MAX_SEARCH),
            after: after.and_then(|a| a.trim().parse().ok()),
        }
    }

    /// The list's address for this search, starting after `after`.
    pub fn href(&self, after: Option<i64>) -> String {
        crate::admin::list_href(
            LIST_PATH,
            [
                ("q", self.q.clone()),
                ("after", after.map(|a| a.to_string()).unwrap_or_default()),
            ],
        )
    }
}

pub const LIST_PATH: &str = "/admin/customers";

/// The route of an account's data as a JSON download (`{id}`: the account).
pub const EXPORT_ROUTE: &str = "/admin/customers/{id}/data.json";

/// The address of account `id`'s data as a JSON download.
pub fn export_href(id: i64) -> String {
    EXPORT_ROUTE.replace("{id}", &id.to_string())
}

/// The email an anonymised account `id` and its orders keep: one no mail can reach and
/// no one can register (its domain has no dot, which [`super::Email`] refuses).
pub fn placeholder_email(id: i64) -> String {
    format!("anonymised-{id}@anonymised")
}

use crate::admin::StaffNote;

/// One customer whole, for their staff page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: i64,
    pub email: String,
    /// `YYYY-MM-DD`.
    pub joined: String,
    pub verified: bool,
    /// When it was anonymised (`YYYY-MM-DD`), if it was.
    pub anonymised: Option<String>,
    pub orders: Vec<OrderSummary>,
    pub spent: Vec<Money>,
    pub addresses: Vec<SavedAddress>,
    pub notes: Vec<StaffNote>,
    /// Whether the reader may download the data and anonymise the account (the
    /// customer data permission).
    pub may_take_data: bool,
}

/// Why a step on a customer was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CustomerError {
    #[error("This account is anonymised: there is nobody to write to or about.")]
    Anonymised,
    #[error("This customer has orders still under way (unpaid, not yet delivered, or with a return open): anonymise them once those are done, so nothing paid for is lost.")]
    OpenOrders,
    #[error("This customer was sent {0} reset mails in the last hour: ask them to look in their spam folder before sending another.")]
    TooManyResets(i64),
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, Subject, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::orders::read::TakenBy;
    use crate::Error;
    use sqlx::{PgConnection, PgPool};

    const PER_PAGE: i64 = 50;

    /// Customers `query` finds, newest first. Needs the customers permission.
    pub async fn list(
        pool: &PgPool,
        staff: &Staff,
        query: &CustomerQuery,
    ) -> Result<CustomerList, Error> {
        staff.require(Permission::Customers)?;
        let number: Option<i64> = query.q.parse().ok();
        let pattern = crate::db::contains_pattern(&query.q);
        let mut conn = pool.acquire().await?;
        let mut rows = sqlx::query!(
            r#"SELECT u.id, u.email, to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "joined!",
                      u.anonymised_at IS NOT NULL AS "anonymised!",
                      (SELECT count(*) FROM orders o WHERE o.user_id = u.id) AS "orders!"
               FROM users u
               WHERE u.role = 'customer'
                 AND ($1 = '' OR u.id = $2 OR u.email ILIKE $3
                      OR EXISTS (SELECT 1 FROM addresses a WHERE a.user_id = u.id
                                 AND a.name ILIKE $3))
                 AND ($4::bigint IS NULL OR u.id < $4)
               ORDER BY u.id DESC LIMIT $5"#,
            query.q,
            number,
            pattern,
            query.after,
            PER_PAGE + 1,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| CustomerRow {
            id: r.id,
            email: r.email,
            joined: r.joined,
            orders: r.orders,
            spent: Vec::new(),
            anonymised: r.anonymised,
        })
        .collect::<Vec<_>>();
        let next = crate::admin::keyset_page(&mut rows, PER_PAGE, |r| r.id);
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut spent = crate::orders::read::taken(&mut conn, TakenBy::Customer, &ids).await?;
        for row in &mut rows {
            row.spent = spent.remove(&row.id).unwrap_or_default();
        }
        Ok(CustomerList { rows, next })
    }

    /// Customer `id` whole. Needs the customers permission.
    pub async fn customer(pool: &PgPool, staff: &Staff, id: i64) -> Result<Customer, Error> {
        staff.require(Permission::Customers)?;
        let mut conn = pool.acquire().await?;
        let row = sqlx::query!(
            r#"SELECT u.email, to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "joined!",
                      u.email_verified_at IS NOT NULL AS "verified!",
                      to_char(u.anonymised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS anonymised
               FROM users u WHERE u.id = $1 AND u.role = 'customer'"#,
            id,
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
        let spent = crate::orders::read::taken(&mut conn, TakenBy::Customer, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        drop(conn);
        let notes = sqlx::query_as!(
            StaffNote,
            r#"SELECT body, staff_email AS by,
                      to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "at!"
               FROM customer_notes WHERE user_id = $1 ORDER BY id"#,
            id,
        )
        .fetch_all(pool)
        .await?;
        Ok(Customer {
            id,
            email: row.email,
            joined: row.joined,
            verified: row.verified,
            anonymised: row.anonymised,
            orders: crate::orders::read::orders_of(pool, id).await?,
            spent,
            addresses: crate::accounts::address::store::list(pool, id).await?,
            notes,
            may_take_data: staff.may(Permission::CustomerData),
        })
    }

    /// Customer `id`'s row, locked, if it is a customer's account: its email and
    /// whether it was anonymised.
    async fn lock(conn: &mut PgConnection, id: i64) -> Result<(String, bool), Error> {
        let row = sqlx::query!(
            r#"SELECT email, anonymised_at IS NOT NULL AS "anonymised!" FROM users
               WHERE id = $1 AND role = 'customer' FOR UPDATE"#,
            id,
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
        Ok((row.email, row.anonymised))
    }

    fn subject(id: &str) -> Subject<'_> {
        Subject {
            kind: SubjectKind::User,
            id,
        }
    }

    /// Adds a staff note to customer `id`. Needs the customers permission.
    pub async fn add_note(pool: &PgPool, staff: &Staff, id: i64, body: &str) -> Result<(), Error> {
        staff.require(Permission::Customers)?;
        let body = crate::admin::parse_note(body)?;
        let mut tx = pool.begin().await?;
        let (_, anonymised) = lock(&mut tx, id).await?;
        if anonymised {
            return Err(CustomerError::Anonymised.into());
        }
        let note = sqlx::query_scalar!(
            "INSERT INTO customer_notes (user_id, staff_id, staff_email, body)
             VALUES ($1, $2, $3, $4) RETURNING id",
            id,
            staff.id(),
            staff.user().email,
            body,
        )
        .fetch_one(&mut *tx)
        .await?;
        let key = id.to_string();
        audit::record(
            &mut tx,
            staff,
            Action::CustomerNote,
            subject(&key),
            None,
            // The note's number, not its words: the audit log is kept whole, and what
            // was written about a customer goes when they are anonymised.
            Some(serde_json::json!({ "note": note })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends customer `id` a password reset mail (as "forgot password" would), within
    /// the same hourly limit. Needs the customers permission.
    pub async fn send_reset(
        pool: &PgPool,
        staff: &Staff,
        id: i64,
        public_url: &str,
    ) -> Result<(), Error> {
        staff.require(Permission::Customers)?;
        let mut tx = pool.begin().await?;
        let (email, anonymised) = lock(&mut tx, id).await?;
        if anonymised {
            return Err(CustomerError::Anonymised.into());
        }
        if let Err(sent) =
            crate::accounts::reset::send_link(&mut tx, id, &email, public_url).await?
        {
            return Err(CustomerError::TooManyResets(sent).into());
        }
        let key = id.to_string();
        audit::record(
            &mut tx,
            staff,
            Action::CustomerReset,
            subject(&key),
            None,
            // Not the address: the audit log is kept whole, and an anonymised
            // customer's email must not outlive the account.
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What the shop keeps about customer `id`, as JSON: the account, its address
    /// book, its orders (lines, totals, addresses, payments, parcels, history,
    /// returns) and staff notes. Needs the customer data permission; audited.
    pub async fn export(pool: &PgPool, staff: &Staff, id: i64) -> Result<serde_json::Value, Error> {
        staff.require(Permission::CustomerData)?;
        let mut tx = pool.begin().await?;
        lock(&mut tx, id).await?;
        let data = sqlx::query_scalar!(
            r#"SELECT jsonb_build_object(
                   'account', (SELECT jsonb_build_object(
                       'id', u.id, 'email', u.email, 'created_at', u.created_at,
                       'email_verified_at', u.email_verified_at,
                       'anonymised_at', u.anonymised_at) FROM users u WHERE u.id = $1),
                   'addresses', coalesce((SELECT jsonb_agg(to_jsonb(a) - 'user_id' ORDER BY a.id)
                                          FROM addresses a WHERE a.user_id = $1), '[]'),
                   'orders', coalesce((SELECT jsonb_agg(jsonb_build_object(
                       'number', o.number, 'placed_at', o.placed_at, 'status', o.status,
                       'email', o.email, 'currency', o.currency, 'subtotal', o.subtotal,
                       'discount', o.discount, 'shipping', o.shipping, 'tax', o.tax,
                       'total', o.total, 'coupon_code', o.coupon_code,
                       'shipping_method', o.shipping_method,
                       'shipping_address', o.shipping_address,
                       'billing_address', o.billing_address,
                       'lines', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                    'name', l.name, 'sku', l.sku, 'unit_price', l.unit_price,
                                    'quantity', l.quantity, 'line_total', l.line_total)
                                    ORDER BY l.id) FROM order_lines l WHERE l.order_id = o.id), '[]'),
                       'payments', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                    'provider', p.provider, 'amount', p.amount, 'status', p.status,
                                    'refunded', p.refunded, 'at', p.created_at) ORDER BY p.id)
                                    FROM payments p WHERE p.order_id = o.id), '[]'),
                       'shipments', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                    'carrier', s.carrier, 'tracking_number', s.tracking_number,
                                    'shipped_at', s.shipped_at, 'delivered_at', s.delivered_at)
                                    ORDER BY s.id) FROM shipments s WHERE s.order_id = o.id), '[]'),
                       'history', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                      'status', e.to_status, 'note', e.note, 'at', e.at)
                                      ORDER BY e.id) FROM order_events e WHERE e.order_id = o.id), '[]'),
                       'returns', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                      'state', r.state, 'reason', r.reason, 'answer', r.answer,
                                      'created_at', r.created_at) ORDER BY r.id)
                                   FROM returns r WHERE r.order_id = o.id), '[]'))
                       ORDER BY o.placed_at, o.id) FROM orders o WHERE o.user_id = $1), '[]'),
                   'staff_notes', coalesce((SELECT jsonb_agg(jsonb_build_object(
                       'body', n.body, 'by', n.staff_email, 'at', n.at) ORDER BY n.id)
                       FROM customer_notes n WHERE n.user_id = $1), '[]')
               ) AS "data!""#,
            id,
        )
        .fetch_one(&mut *tx)
        .await?;
        let key = id.to_string();
        audit::record(
            &mut tx,
            staff,
            Action::CustomerExport,
            subject(&key),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(data)
    }

    /// Anonymises customer `id`: the account keeps its number and orders (their lines,
    /// totals and history) but loses its email (a placeholder that can receive
    /// nothing), its password (it can no longer sign in; its sessions end), its address
    /// book and staff notes; its orders lose the email, name and addresses they were
    /// placed with, what it wrote about returns is erased, and mail waiting for it is
    /// not sent. Needs the customer data permission; audited (without the data that is gone).
    /// Staff's own notes on its orders and refunds stay: say nothing personal there.
    pub async fn anonymise(pool: &PgPool, staff: &Staff, id: i64) -> Result<(), Error> {
        staff.require(Permission::CustomerData)?;
        let mut tx = pool.begin().await?;
        let (email, anonymised) = lock(&mut tx, id).await?;
        if anonymised {
            return Ok(());
        }
        let open = sqlx::query_scalar!(
            r#"SELECT EXISTS (
                   SELECT 1 FROM orders o WHERE o.user_id = $1
                   AND (o.status IN ('pending_payment', 'paid', 'fulfilled')
                        OR (o.status = 'partially_refunded' AND o.fulfilment_state <> 'delivered')
                        OR EXISTS (SELECT 1 FROM returns r WHERE r.order_id = o.id
                                   AND r.state = ANY($2)))
               ) AS "open!""#,
            id,
            &crate::orders::returns::open_states(),
        )
        .fetch_one(&mut *tx)
        .await?;
        if open {
            return Err(CustomerError::OpenOrders.into());
        }
        let placeholder = placeholder_email(id);
        // Every address it was written to: the account's, and those its orders were
        // placed with.
        let emails = sqlx::query_scalar!(
            r#"SELECT lower($2) AS "email!" UNION SELECT lower(email) FROM orders WHERE user_id = $1"#,
            id,
            email,
        )
        .fetch_all(&mut *tx)
        .await?;
        let orders = sqlx::query_scalar!(
            "UPDATE orders SET email = $2,
                    shipping_address = jsonb_build_object('country', shipping_address->'country'),
                    billing_address = jsonb_build_object('country', billing_address->'country'),
                    updated_at = now()
             WHERE user_id = $1 RETURNING id",
            id,
            placeholder,
        )
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE outbox SET recipient = $2, subject = 'Anonymised', body_text = '',
                    body_html = NULL, sent_at = coalesce(sent_at, now())
             WHERE lower(recipient) = ANY($1)",
            &emails,
            placeholder,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE coupon_redemptions SET email = $2 WHERE user_id = $1 OR lower(email) = ANY($3)",
            id,
            placeholder,
            &emails,
        )
        .execute(&mut *tx)
        .await?;
        // Links mailed before (a password reset) stop working.
        sqlx::query!("DELETE FROM account_links WHERE user_id = $1", id)
            .execute(&mut *tx)
            .await?;
        // What the customer wrote about a return may name them.
        sqlx::query!(
            "UPDATE returns SET reason = 'Anonymised'
             WHERE order_id IN (SELECT id FROM orders WHERE user_id = $1)",
            id,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!("DELETE FROM addresses WHERE user_id = $1", id)
            .execute(&mut *tx)
            .await?;
        sqlx::query!("DELETE FROM customer_notes WHERE user_id = $1", id)
            .execute(&mut *tx)
            .await?;
        sqlx::query!(
            "UPDATE users SET email = $2, password_hash = '!', anonymised_at = now(),
                    deactivated_at = now(), session_epoch = session_epoch + 1,
                    updated_at = now()
             WHERE id = $1",
            id,
            placeholder,
        )
        .execute(&mut *tx)
        .await?;
        let key = id.to_string();
        audit::record(
            &mut tx,
            staff,
            Action::CustomerAnonymise,
            subject(&key),
            None,
            Some(serde_json::json!({ "orders": orders.len() })),
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
    fn the_search_is_trimmed_bounded_and_written_back_to_the_url() {
        let q = CustomerQuery::from_params(Some("  ada@\u{0}example "), Some("42"));
        assert_eq!(q.q, "ada@example");
        assert_eq!(q.after, Some(42));
        assert_eq!(q.href(None), "/admin/customers?q=ada%40example");
        assert_eq!(q.href(Some(7)), "/admin/customers?q=ada%40example&after=7");
        assert_eq!(CustomerQuery::default().href(None), "/admin/customers");
        let long = "x".repeat(500);
        assert_eq!(
            CustomerQuery::from_params(Some(&long), Some("nope")),
            CustomerQuery {
                q: "x".repeat(CustomerQuery::MAX_SEARCH),
                after: None
            }
        );
    }
}
