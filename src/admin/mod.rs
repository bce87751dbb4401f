//! The staff side of the shop: who acts ([`Staff`], a capability with permissions), what
//! they did (the audit log), and the figures of the admin's first page. Staff rules
//! themselves live with the data they change (orders, catalog, inventory); each takes a
//! `&Staff` and writes its audit row in the same transaction as the change.

pub mod audit;
pub mod dashboard;

/// Keyset pages: a list query asks for one row more than a page, and this trims it to
/// the page and says where the next one starts (`None`: this is the last page).
pub fn keyset_page<T, C>(rows: &mut Vec<T>, per_page: i64, cursor: impl Fn(&T) -> C) -> Option<C> {
    let per_page = usize::try_from(per_page).unwrap_or(0);
    if rows.len() > per_page {
        rows.truncate(per_page);
        rows.last().map(cursor)
    } else {
        None
    }
}

/// A list page's address: `path` with the parameters that have a value, in order
/// (`/admin/discounts?q=spring&after=12`; just `path` when none has).
pub fn list_href<'a>(path: &str, params: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let mut url = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        if !value.is_empty() {
            url.append_pair(name, &value);
        }
    }
    let query = url.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

use crate::accounts::{Role, User};

/// A staff-only note (on an order, on a customer): what it says, who wrote it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffNote {
    pub body: String,
    /// Who wrote it (their email then).
    pub by: String,
    /// `YYYY-MM-DD HH:MM` (UTC).
    pub at: String,
}

/// The longest note, in characters.
pub const MAX_NOTE: usize = 2000;

/// A note as staff typed it: trimmed, not empty, at most [`MAX_NOTE`] characters. Lines
/// and tabs stay; other control characters go.
pub fn parse_note(body: &str) -> Result<String, crate::Error> {
    let Some(body) = crate::text::typed(body, usize::MAX) else {
        return Err(crate::Error::field("body", "Write the note first."));
    };
    if body.chars().count() > MAX_NOTE {
        return Err(crate::Error::field(
            "body",
            format!("A note holds at most {MAX_NOTE} characters: split it in two."),
        ));
    }
    Ok(body)
}
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

crate::text_enum! {
    /// What a staff member may do. Reading is allowed with the permission to change.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Permission {
        /// Products, categories, images, imports.
        Catalog = "catalog",
        /// Stock levels and their movements.
        Inventory = "inventory",
        /// Orders: fulfil, cancel an unpaid order.
        Orders = "orders",
        /// Money back to customers.
        Refunds = "refunds",
        /// Customers' accounts and data.
        Customers = "customers",
        /// A customer's data taken out of the shop (downloaded) or erased (anonymised).
        CustomerData = "customer_data",
        /// Coupons.
        Discounts = "discounts",
        /// Shipping, tax and shop settings.
        Settings = "settings",
        /// Staff accounts and their roles.
        Staff = "staff",
    }
}

impl Permission {
    /// What a permission lets staff do, for the screens that grant them.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::Catalog => "Products, categories, images and imports",
            Permission::Inventory => "Stock levels and their movements",
            Permission::Orders => "Orders: fulfil, cancel",
            Permission::Refunds => "Money back to customers",
            Permission::Customers => "Customers' accounts: find, note, send a reset mail",
            Permission::CustomerData => "Download or anonymise a customer's data",
            Permission::Discounts => "Coupons",
            Permission::Settings => "Shipping, tax and the shop's settings",
            Permission::Staff => "Staff accounts and their roles",
        }
    }
}

/// A staff member, as the server found them signed in: the capability every staff write
/// takes, and each write asks it for the one permission it needs. The web layer makes
/// one from the account its session check read (`Staff::of`). It cannot be serialized,
/// so no server function can take one from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    user: User,
    permissions: BTreeSet<Permission>,
}

/// A staff member tried something their permissions do not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("This needs the {} permission. Ask an administrator if you need it.", .0.as_str())]
pub struct Missing(pub Permission);

impl Staff {
    /// The capability of a signed-in account, if it is staff at all: an admin may do
    /// everything; a staff account what its staff role lists (`role_permissions`,
    /// possibly nothing but the dashboard); a customer is not staff.
    pub fn of(user: User, role_permissions: &[Permission]) -> Option<Staff> {
        let permissions = match user.role {
            Role::Customer => return None,
            Role::Staff => role_permissions.iter().copied().collect(),
            Role::Admin => Permission::ALL.into_iter().collect(),
        };
        Some(Staff { user, permissions })
    }

    /// The capability account `id` has now, for work done on its behalf away from a
    /// request (the worker applying an import): `None` when it is gone, deactivated or
    /// not staff.
    #[cfg(feature = "server")]
    pub async fn acting(pool: &sqlx::PgPool, id: i64) -> Result<Option<Staff>, crate::Error> {
        let account = crate::accounts::store::account(pool, id).await?;
        Ok(account
            .filter(|a| !a.deactivated)
            .and_then(|a| Staff::of(a.user, &a.staff_permissions)))
    }

    /// Everything this staff member may do, in the order declared.
    pub fn permissions(&self) -> impl Iterator<Item = Permission> + '_ {
        self.permissions.iter().copied()
    }

    /// A staff member with exactly `permissions`, for tests of what each one allows.
    #[cfg(feature = "test-support")]
    pub fn with_permissions(user: User, permissions: &[Permission]) -> Staff {
        Staff {
            user,
            permissions: permissions.iter().copied().collect(),
        }
    }

    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn id(&self) -> i64 {
        self.user.id
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// `Ok` when this staff member has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Missing> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(Missing(permission))
        }
    }
}

/// Whether stock adds up: what is on hand plus what was sold equals what the shop
/// started with (when nothing was restocked), every variant's stock equals the sum of
/// its movements, and none is below zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockAudit {
    pub initial: i64,
    pub on_hand: i64,
    /// Units taken from stock by orders not cancelled.
    pub sold: i64,
    pub restocked: i64,
    /// Variants whose stock differs from the sum of their movements.
    pub mismatched_variants: i64,
    pub negative_variants: i64,
}

impl StockAudit {
    pub fn balances(&self) -> bool {
        self.on_hand + self.sold == self.initial + self.restocked
            && self.mismatched_variants == 0
            && self.negative_variants == 0
    }
}

#[cfg(feature = "server")]
pub async fn stock_audit(pool: &sqlx::PgPool) -> Result<StockAudit, crate::Error> {
    use crate::inventory::MovementReason;
    use crate::orders::OrderStatus;
    Ok(sqlx::query_as!(
        StockAudit,
        r#"SELECT
           (SELECT coalesce(sum(delta), 0) FROM inventory_movements WHERE reason = $1)::bigint
               AS "initial!",
           (SELECT coalesce(sum(on_hand), 0) FROM inventory)::bigint AS "on_hand!",
           (SELECT coalesce(sum(l.quantity), 0) FROM order_lines l
            JOIN orders o ON o.id = l.order_id WHERE l.stock_taken AND o.status <> $2)::bigint
               AS "sold!",
           (SELECT coalesce(sum(delta), 0) FROM inventory_movements
            WHERE reason = ANY ($3))::bigint AS "restocked!",
           (SELECT count(*) FROM inventory i WHERE i.on_hand <> coalesce(
               (SELECT sum(delta) FROM inventory_movements m WHERE m.variant_id = i.variant_id), 0))
               AS "mismatched_variants!",
           (SELECT count(*) FROM inventory WHERE on_hand < 0) AS "negative_variants!""#,
        MovementReason::Initial as MovementReason,
        OrderStatus::Cancelled as OrderStatus,
        &MovementReason::ADJUSTMENTS[..] as &[MovementReason],
    )
    .fetch_one(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> User {
        User {
            id: 1,
            email: "sam@example.com".to_owned(),
            role,
        }
    }

    #[test]
    fn only_staff_accounts_are_staff_and_admins_may_do_everything() {
        assert_eq!(Staff::of(user(Role::Customer), &Permission::ALL), None);
        let admin = Staff::of(user(Role::Admin), &[]).expect("staff");
        assert!(Permission::ALL.iter().all(|p| admin.may(*p)));
        let fulfilment = Staff::of(
            user(Role::Staff),
            &[Permission::Orders, Permission::Inventory],
        )
        .expect("staff");
        assert!(fulfilment.require(Permission::Orders).is_ok());
        assert_eq!(
            fulfilment.require(Permission::Refunds),
            Err(Missing(Permission::Refunds))
        );
        assert!(!fulfilment.may(Permission::Staff));
        let nothing = Staff::of(user(Role::Staff), &[]).expect("still staff");
        assert_eq!(nothing.permissions().count(), 0);
        assert_eq!(
            Missing(Permission::Refunds).to_string(),
            "This needs the refunds permission. Ask an administrator if you need it."
        );
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(
            parse_note("  Called: will pick up  ").ok().as_deref(),
            Some("Called: will pick up")
        );
        assert!(parse_note("   ").is_err());
        assert!(parse_note("\0\r").is_err());
        assert_eq!(parse_note("a\0b\r\nc").ok().as_deref(), Some("ab\nc"));
        assert!(parse_note(&"é".repeat(MAX_NOTE)).is_ok());
        assert!(parse_note(&"é".repeat(MAX_NOTE + 1)).is_err());
    }
}
