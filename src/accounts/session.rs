//! When a signed-in session ends by itself: the rule the session check applies to every
//! request, kept here so it is written once and tested without a server.

use super::{Role, User};
use crate::admin::Permission;

/// An account as the session check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user: User,
    /// Bumped by every password change (and, for staff, role changes and
    /// deactivation): a session signed in under an older epoch is over.
    pub epoch: i32,
    /// Whether its owner opened a link mailed to the address.
    pub verified: bool,
    /// Deactivated by an administrator: it cannot sign in.
    pub deactivated: bool,
    /// What its staff role lets a staff account do (empty for others; an admin may do
    /// everything: see `admin::Staff::of`).
    pub staff_permissions: Vec<Permission>,
}

/// What a session remembers of its sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn {
    /// The account's epoch when this session signed in (or last changed the password).
    pub epoch: i32,
    /// When it signed in, in Unix seconds.
    pub at: i64,
}

/// Why a signed-in session is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    AccountGone,
    Deactivated,
    EpochChanged,
    StaffLifetimeOver,
}

impl Ended {
    pub fn as_str(self) -> &'static str {
        match self {
            Ended::AccountGone => "the account is gone",
            Ended::Deactivated => "the account was deactivated",
            Ended::EpochChanged => "its password or staff role changed since it signed in",
            Ended::StaffLifetimeOver => "a staff session past its lifetime",
        }
    }
}

/// Whether a session that signed in as `signed_in` still holds, given the account as it
/// is now (`None`: deleted), the time `now` and how long a staff sign-in may last (in
/// seconds). Shoppers' sessions end only by inactivity, which the cookie's expiry handles.
pub fn verdict(
    account: Option<&Account>,
    signed_in: SignedIn,
    now: i64,
    staff_lifetime: i64,
) -> Result<(), Ended> {
    let Some(account) = account else {
        return Err(Ended::AccountGone);
    };
    if account.deactivated {
        return Err(Ended::Deactivated);
    }
    if account.epoch != signed_in.epoch {
        return Err(Ended::EpochChanged);
    }
    if account.user.role >= Role::Staff && now.saturating_sub(signed_in.at) >= staff_lifetime {
        return Err(Ended::StaffLifetimeOver);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role, epoch: i32) -> Account {
        Account {
            user: User {
                id: 7,
                email: "ada@example.com".to_owned(),
                role,
            },
            epoch,
            verified: true,
            deactivated: false,
            staff_permissions: Vec::new(),
        }
    }

    const HOUR: i64 = 3600;

    #[test]
    fn a_session_holds_while_the_account_and_its_password_are_the_same() {
        let signed_in = SignedIn { epoch: 3, at: 0 };
        let shopper = account(Role::Customer, 3);
        assert_eq!(
            verdict(Some(&shopper), signed_in, 400 * 24 * HOUR, 12 * HOUR),
            Ok(())
        );
        assert_eq!(
            verdict(Some(&account(Role::Customer, 4)), signed_in, 1, 12 * HOUR),
            Err(Ended::EpochChanged)
        );
        assert_eq!(
            verdict(None, signed_in, 1, 12 * HOUR),
            Err(Ended::AccountGone)
        );
    }

    #[test]
    fn a_deactivated_account_has_no_sessions_whatever_its_epoch() {
        let signed_in = SignedIn { epoch: 3, at: 0 };
        let mut staff = account(Role::Staff, 3);
        staff.deactivated = true;
        assert_eq!(
            verdict(Some(&staff), signed_in, 1, 12 * HOUR),
            Err(Ended::Deactivated)
        );
    }

    #[test]
    fn a_staff_session_ends_at_its_lifetime_however_active() {
        let signed_in = SignedIn {
            epoch: 1,
            at: 1_000,
        };
        for role in [Role::Staff, Role::Admin] {
            let staff = account(role, 1);
            assert_eq!(
                verdict(Some(&staff), signed_in, 1_000 + 12 * HOUR - 1, 12 * HOUR),
                Ok(())
            );
            assert_eq!(
                verdict(Some(&staff), signed_in, 1_000 + 12 * HOUR, 12 * HOUR),
                Err(Ended::StaffLifetimeOver)
            );
        }
        // A session from before the clock moved back is not "in the future" forever.
        let staff = account(Role::Staff, 1);
        assert_eq!(verdict(Some(&staff), signed_in, 0, 12 * HOUR), Ok(()));
    }
}
