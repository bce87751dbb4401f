//! The shop's staff: their accounts, the roles that group their permissions, and the
//! rules for changing who may do what.
//!
//! - An admin may do everything; a staff account may do what its staff role lists.
//! - Only an admin grants or takes away admin, and nobody grants a role with more than
//!   they may do themselves (so the `staff` permission is not a way to become admin).
//! - Nobody changes or deactivates their own account here, and nobody changes someone
//!   who may do more than they may: an admin, or a role with permissions they lack.
//! - Every change re-reads the actor's own account first (locked), so a member demoted
//!   or deactivated a moment ago no longer acts with what they had.
//! - So the shop always keeps an active admin: only an active admin changes an admin,
//!   never themselves, so one stays. Two admins demoting each other at once: changes
//!   take the admins' row locks first, so the second finds its actor demoted.
//! - Only an admin turns an existing customer account into staff (so the `staff`
//!   permission is not a way to lock shoppers out of their accounts).
//! - A role change or a deactivation bumps the account's session epoch: every session
//!   of that person ends on its next request.
//! - Every change writes its audit row in the same transaction.

use super::Role;
use crate::admin::Permission;
use serde::{Deserialize, Serialize};

/// A named set of permissions staff accounts are given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRole {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub permissions: Vec<Permission>,
}

/// A staff member as the staff list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The staff role's id and name (staff accounts only; admins have none).
    pub staff_role: Option<(i64, String)>,
    pub active: bool,
    /// Whether the address was confirmed (an invited member who has not set a password
    /// yet has not).
    pub confirmed: bool,
    /// When the account was made, as `YYYY-MM-DD`.
    pub since: String,
}

impl Member {
    /// "Administrator" or the staff role's name.
    pub fn role_name(&self) -> &str {
        match (&self.role, &self.staff_role) {
            (Role::Admin, _) => "Administrator",
            (_, Some((_, name))) => name,
            _ => "Customer",
        }
    }
}

/// What a staff member is made: an admin, or a staff account with a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assignment {
    Admin,
    Role(i64),
}

impl Assignment {
    /// The form's spelling: `admin`, or `role-<id>`.
    pub fn parse(s: &str) -> Result<Assignment, StaffError> {
        match s.trim() {
            "admin" => Ok(Assignment::Admin),
            other => other
                .strip_prefix("role-")
                .and_then(|id| id.parse::<i64>().ok())
                .filter(|id| *id > 0)
                .map(Assignment::Role)
                .ok_or(StaffError::UnknownRole),
        }
    }

    pub fn as_form_value(self) -> String {
        match self {
            Assignment::Admin => "admin".to_owned(),
            Assignment::Role(id) => format!("role-{id}"),
        }
    }
}

/// Why a change to the staff was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum StaffError {
    #[error("That role doesn't exist any more. Reload the page and choose another.")]
    UnknownRole,
    #[error("That person isn't on the staff. Reload the list.")]
    NotStaff,
    #[error("You can't change or deactivate your own account. Ask another administrator.")]
    OwnAccount,
    #[error("Only an administrator can make someone an administrator or change one.")]
    AdminsOnly,
    #[error("That role can do things you can't, so you can't give it. Ask an administrator.")]
    RoleBeyondYours,
    #[error("That person may do things you can't, so you can't change their account. Ask an administrator.")]
    MemberBeyondYours,
    #[error("Your own access changed a moment ago. Reload the page to see what you may do now.")]
    YourAccessChanged,
    #[error("That person is already on the staff.")]
    AlreadyStaff,
    #[error("That person is on the staff but deactivated: reactivate them in the list above.")]
    AlreadyStaffDeactivated,
    #[error(
        "That address has a shopper's account. Only an administrator can make it a staff account."
    )]
    CustomerAccount,
    #[error("That address has an account that was never confirmed. Ask them to confirm it first (or reset its password), then invite them again.")]
    UnconfirmedAccount,
}

/// What an invitation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Invited {
    /// A new account: a link to set its password went out.
    NewAccount,
    /// The address had a customer account: it is staff now, with its password.
    ExistingAccount,
}

/// How long an invitation's link works: a week.
pub const INVITE_VALID_MINUTES: i32 = 7 * 24 * 60;

#[cfg(feature = "server")]
pub use store::*;

#[cfg(feature = "server")]
mod store {
    use super::*;
    use crate::accounts::User;
    use crate::admin::audit::{self, Action, Subject, SubjectKind};
    use crate::admin::Staff;
    use crate::Error;
    use sqlx::{PgConnection, PgPool};

    /// Every staff role, by name.
    pub async fn roles(pool: &PgPool) -> Result<Vec<StaffRole>, Error> {
        Ok(sqlx::query_as!(
            StaffRole,
            r#"SELECT id, name, description, permissions AS "permissions: Vec<Permission>"
               FROM staff_roles ORDER BY lower(name)"#
        )
        .fetch_all(pool)
        .await?)
    }

    /// Staff lists are short; past this many, the oldest accounts are not shown.
    const MAX_MEMBERS: i64 = 1_000;

    /// Every staff and admin account, admins first, then by email.
    pub async fn members(pool: &PgPool) -> Result<Vec<Member>, Error> {
        let rows = sqlx::query!(
            r#"SELECT u.id, u.email, u.role AS "role: Role", r.id AS "role_id?", r.name AS "role_name?",
                      u.deactivated_at IS NULL AS "active!",
                      u.email_verified_at IS NOT NULL AS "confirmed!",
                      to_char(u.created_at, 'YYYY-MM-DD') AS "since!"
               FROM users u LEFT JOIN staff_roles r ON r.id = u.staff_role_id
               WHERE u.role <> 'customer'
               ORDER BY u.role = 'admin' DESC, lower(u.email)
               LIMIT $1"#,
            MAX_MEMBERS,
        )
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Member {
                id: r.id,
                email: r.email,
                role: r.role,
                staff_role: r.role_id.zip(r.role_name),
                active: r.active,
                confirmed: r.confirmed,
                since: r.since,
            })
            .collect())
    }

    /// The member as they are, locked for the change.
    struct Locked {
        user: User,
        role_id: Option<i64>,
        /// What their staff role lets them do.
        permissions: Vec<Permission>,
        active: bool,
    }

    async fn lock_member(conn: &mut PgConnection, id: i64) -> Result<Locked, Error> {
        let row = sqlx::query!(
            r#"SELECT u.id, u.email, u.role AS "role: Role", u.staff_role_id,
                      coalesce(r.permissions, '{}') AS "permissions!: Vec<Permission>",
                      u.deactivated_at IS NULL AS "active!"
               FROM users u LEFT JOIN staff_roles r ON r.id = u.staff_role_id
               WHERE u.id = $1 FOR UPDATE OF u"#,
            id,
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StaffError::NotStaff)?;
        if row.role == Role::Customer {
            return Err(StaffError::NotStaff.into());
        }
        Ok(Locked {
            user: User {
                id: row.id,
                email: row.email,
                role: row.role,
            },
            role_id: row.staff_role_id,
            permissions: row.permissions,
            active: row.active,
        })
    }

    /// The start of every change to the staff: the permission; a transaction that
    /// holds every admin's row lock (taken in id order, by every change, so two changes
    /// never run side by side nor deadlock: the second sees what the first did); and
    /// the actor's own account read again, locked, so that someone demoted or
    /// deactivated a moment ago acts with what they have now, not what they had.
    async fn begin(
        pool: &PgPool,
        staff: &Staff,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, Error> {
        staff.require(Permission::Staff)?;
        let mut tx = pool.begin().await?;
        sqlx::query!("SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE")
            .fetch_all(&mut *tx)
            .await?;
        let me = sqlx::query!(
            r#"SELECT u.email, u.role AS "role: Role", u.deactivated_at IS NULL AS "active!",
                      coalesce(r.permissions, '{}') AS "permissions!: Vec<Permission>"
               FROM users u LEFT JOIN staff_roles r ON r.id = u.staff_role_id
               WHERE u.id = $1 FOR SHARE OF u"#,
            staff.id(),
        )
        .fetch_optional(&mut *tx)
        .await?;
        let now = me.filter(|me| me.active).and_then(|me| {
            let user = User {
                id: staff.id(),
                email: me.email,
                role: me.role,
            };
            Staff::of(user, &me.permissions)
        });
        if now.as_ref() != Some(staff) {
            return Err(StaffError::YourAccessChanged.into());
        }
        Ok(tx)
    }

    /// Writes the audit row of a change to the account `member`.
    async fn record(
        conn: &mut PgConnection,
        staff: &Staff,
        action: Action,
        member: i64,
        before: Option<serde_json::Value>,
        after: serde_json::Value,
    ) -> Result<(), Error> {
        let id = member.to_string();
        let subject = Subject {
            kind: SubjectKind::User,
            id: &id,
        };
        audit::record(conn, staff, action, subject, before, Some(after)).await
    }

    /// Who may change `member` at all: not themselves, and only someone who may do
    /// all that `member` may (an admin, for an admin).
    fn may_change(staff: &Staff, member: &Locked) -> Result<(), Error> {
        if member.user.id == staff.id() {
            return Err(StaffError::OwnAccount.into());
        }
        if member.user.role == Role::Admin && staff.user().role != Role::Admin {
            return Err(StaffError::AdminsOnly.into());
        }
        if !member.permissions.iter().all(|p| staff.may(*p)) {
            return Err(StaffError::MemberBeyondYours.into());
        }
        Ok(())
    }

    /// Whether `staff` may give `to`: admin only by an admin; a role only with no more
    /// than `staff` may do.
    async fn may_give(
        conn: &mut PgConnection,
        staff: &Staff,
        to: Assignment,
    ) -> Result<Option<StaffRole>, Error> {
        match to {
            Assignment::Admin if staff.user().role == Role::Admin => Ok(None),
            Assignment::Admin => Err(StaffError::AdminsOnly.into()),
            Assignment::Role(id) => {
                let role = sqlx::query_as!(
                    StaffRole,
                    r#"SELECT id, name, description, permissions AS "permissions: Vec<Permission>"
                       FROM staff_roles WHERE id = $1"#,
                    id,
                )
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StaffError::UnknownRole)?;
                if role.permissions.iter().all(|p| staff.may(*p)) {
                    Ok(Some(role))
                } else {
                    Err(StaffError::RoleBeyondYours.into())
                }
            }
        }
    }

    /// Makes `member` an admin or gives them a staff role; their sessions end.
    pub async fn assign(
        pool: &PgPool,
        staff: &Staff,
        member: i64,
        to: Assignment,
    ) -> Result<(), Error> {
        let mut tx = begin(pool, staff).await?;
        let locked = lock_member(&mut tx, member).await?;
        may_change(staff, &locked)?;
        let role = may_give(&mut tx, staff, to).await?;
        let (new_role, new_role_id) = match &role {
            None => (Role::Admin, None),
            Some(role) => (Role::Staff, Some(role.id)),
        };
        if (new_role, new_role_id) == (locked.user.role, locked.role_id) {
            return Ok(());
        }
        sqlx::query!(
            "UPDATE users SET role = $2, staff_role_id = $3,
                    session_epoch = session_epoch + 1, updated_at = now()
             WHERE id = $1",
            member,
            new_role as Role,
            new_role_id,
        )
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            staff,
            Action::StaffRole,
            member,
            Some(serde_json::json!({
                "email": locked.user.email,
                "role": locked.user.role.as_str(),
                "staff_role_id": locked.role_id,
            })),
            serde_json::json!({
                "role": new_role.as_str(),
                "staff_role_id": new_role_id,
                "staff_role": role.map(|r| r.name),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deactivates `member` (their sessions end and they cannot sign in), or makes them
    /// active again.
    pub async fn set_active(
        pool: &PgPool,
        staff: &Staff,
        member: i64,
        active: bool,
    ) -> Result<(), Error> {
        let mut tx = begin(pool, staff).await?;
        let locked = lock_member(&mut tx, member).await?;
        may_change(staff, &locked)?;
        if locked.active == active {
            return Ok(());
        }
        if !active {
            // A link mailed before (an invitation, a reset) opens nothing any more.
            crate::accounts::link::Link::Reset
                .use_up(&mut tx, member)
                .await?;
        }
        sqlx::query!(
            "UPDATE users SET deactivated_at = CASE WHEN $2 THEN NULL ELSE now() END,
                    session_epoch = session_epoch + 1, updated_at = now()
             WHERE id = $1",
            member,
            active,
        )
        .execute(&mut *tx)
        .await?;
        let action = if active {
            Action::StaffReactivate
        } else {
            Action::StaffDeactivate
        };
        record(
            &mut tx,
            staff,
            action,
            member,
            Some(serde_json::json!({ "email": locked.user.email, "active": locked.active })),
            serde_json::json!({ "active": active }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Invites `email` to the staff as `to`. A new address gets an account that cannot
    /// sign in until its owner chooses a password with the link mailed to them; an
    /// existing customer account becomes staff (its sessions end, so the new role
    /// applies at once). An address already on the staff is a field error.
    pub async fn invite(
        pool: &PgPool,
        staff: &Staff,
        email: &str,
        to: Assignment,
        public_url: &str,
    ) -> Result<Invited, Error> {
        use crate::accounts::Email;
        staff.require(Permission::Staff)?;
        let email = Email::parse(email).map_err(|e| Error::field("email", e.to_string()))?;
        let mut tx = begin(pool, staff).await?;
        let role = may_give(&mut tx, staff, to).await?;
        let (new_role, new_role_id, role_name) = match &role {
            None => (Role::Admin, None, "an administrator".to_owned()),
            Some(role) => (Role::Staff, Some(role.id), format!("\"{}\"", role.name)),
        };
        let existing = sqlx::query!(
            r#"SELECT id, role AS "role: Role", deactivated_at IS NULL AS "active!",
                      email_verified_at IS NOT NULL AS "confirmed!"
               FROM users WHERE lower(email) = lower($1) FOR UPDATE"#,
            email.as_str(),
        )
        .fetch_optional(&mut *tx)
        .await?;
        let refused = |e: StaffError| Err(Error::field("email", e.to_string()));
        let (id, invited, link) = match existing {
            Some(row) if row.role != Role::Customer && row.active => {
                return refused(StaffError::AlreadyStaff);
            }
            Some(row) if row.role != Role::Customer => {
                return refused(StaffError::AlreadyStaffDeactivated);
            }
            Some(_) if staff.user().role != Role::Admin => {
                return refused(StaffError::CustomerAccount);
            }
            Some(row) if !row.confirmed => return refused(StaffError::UnconfirmedAccount),
            Some(row) => {
                sqlx::query!(
                    "UPDATE users SET role = $2, staff_role_id = $3,
                            session_epoch = session_epoch + 1, updated_at = now()
                     WHERE id = $1",
                    row.id,
                    new_role as Role,
                    new_role_id,
                )
                .execute(&mut *tx)
                .await?;
                (row.id, Invited::ExistingAccount, None)
            }
            None => {
                // Unconfirmed, the account cannot sign in: it opens once its owner has
                // chosen a password with the link. Until then its hash is the decoy's
                // (a sign-in takes as long as any other, so it tells nobody that an
                // invitation is pending).
                use crate::db::constraint::OnConstraint;
                let id = sqlx::query_scalar!(
                    "INSERT INTO users (email, password_hash, role, staff_role_id)
                     VALUES ($1, $2, $3, $4) RETURNING id",
                    email.as_str(),
                    crate::accounts::password::DECOY,
                    new_role as Role,
                    new_role_id,
                )
                .fetch_one(&mut *tx)
                .await
                // Registered a moment ago, between the look-up and here.
                .on_constraint("users_email", || {
                    Error::field(
                        "email",
                        "That address got an account a moment ago. Try again.",
                    )
                })?;
                let token = crate::accounts::link::Link::Reset
                    .create(&mut tx, id, INVITE_VALID_MINUTES)
                    .await?;
                let link = format!("{public_url}/account/reset?token={token}");
                (id, Invited::NewAccount, Some(link))
            }
        };
        crate::mail::enqueue(
            &mut tx,
            &invite_mail(email.as_str(), &role_name, link.as_deref(), public_url),
        )
        .await?;
        record(
            &mut tx,
            staff,
            Action::StaffInvite,
            id,
            None,
            serde_json::json!({
                "email": email.as_str(),
                "role": new_role.as_str(),
                "staff_role": role.map(|r| r.name),
                "existing_account": invited == Invited::ExistingAccount,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(invited)
    }

    /// The invitation mail: a link to choose a password (a new account), or word that an
    /// existing account is on the staff now.
    fn invite_mail(
        to: &str,
        role: &str,
        link: Option<&str>,
        public_url: &str,
    ) -> crate::mail::Message {
        let body = match link {
            Some(link) => format!(
                "Hello,\r\n\r\nYou have been invited to run the shop at {public_url} as \
                 {role}. To accept, choose your password with this link (it works for seven \
                 days, once):\r\n\r\n{link}\r\n\r\nThen sign in and open \
                 {public_url}/admin.\r\n\r\nIf you did not expect this, ignore this mail.\r\n\r\nMercato\r\n"
            ),
            None => format!(
                "Hello,\r\n\r\nYour account at {public_url} is now on the shop's staff, as \
                 {role}. Sign in as usual and open {public_url}/admin.\r\n\r\nIf you did \
                 not expect this, tell the shop.\r\n\r\nMercato\r\n"
            ),
        };
        crate::mail::Message {
            kind: "staff_invite",
            dedupe_key: None,
            to: to.to_owned(),
            subject: "You're invited to the shop's back office".to_owned(),
            text: body,
            html: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_is_chosen_by_its_form_value_and_nothing_else() {
        assert_eq!(Assignment::parse("admin"), Ok(Assignment::Admin));
        assert_eq!(Assignment::parse(" role-12 "), Ok(Assignment::Role(12)));
        assert_eq!(
            Assignment::parse(&Assignment::Role(3).as_form_value()),
            Ok(Assignment::Role(3))
        );
        for bad in [
            "",
            "Admin",
            "role-",
            "role-0",
            "role--1",
            "role-x",
            "12",
            "role-1 OR 1=1",
        ] {
            assert_eq!(
                Assignment::parse(bad),
                Err(StaffError::UnknownRole),
                "{bad}"
            );
        }
    }
}
