//! Accounts: who a shopper or a staff member is, and what they may do.

#[cfg(feature = "server")]
pub mod limits;
#[cfg(feature = "server")]
mod link;
#[cfg(feature = "server")]
pub mod password;
#[cfg(feature = "server")]
pub mod reset;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod verify;

pub mod address;
pub mod customers;
pub mod regions;
pub mod session;
pub mod staff;

use serde::{Deserialize, Serialize};
use std::fmt;

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Passwords longer than this are refused before any hashing, so an oversize one costs
/// nothing (a passphrase of 128 characters is still welcome).
pub const MAX_PASSWORD_CHARS: usize = 128;

crate::text_enum! {
    /// What an account may do. Each role may do everything the ones before it may.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Role {
        Customer = "customer",
        Staff = "staff",
        Admin = "admin",
    }
}

/// An email address, trimmed; compared without regard to case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

/// Why an account step did not go through. Each message says what happened and what to
/// do; none says whether an email has an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AccountError {
    #[error("Enter your email address, such as name@example.com.")]
    EmailMissing,
    #[error("That doesn't look like an email address. Check it has an @ and a domain, such as name@example.com.")]
    EmailMalformed,
    #[error("Choose a password of at least {MIN_PASSWORD_CHARS} characters.")]
    PasswordTooShort,
    #[error("Choose a password of at most {MAX_PASSWORD_CHARS} characters.")]
    PasswordTooLong,
    #[error("That password is your email address. Choose something harder to guess.")]
    PasswordIsEmail,
    #[error("The two passwords are different. Type the same password twice.")]
    PasswordsDiffer,
    #[error("That email and password don't match an account. Check both, or reset your password. Just created your account? Open the link we mailed you first.")]
    WrongCredentials,
    #[error("This reset link has expired or was already used. Ask for a new one below; it works for an hour.")]
    ResetLinkExpired,
    #[error("This confirmation link has expired or was already used. Create the account again for a new link, or reset the password: either works.")]
    ConfirmLinkExpired,
    #[error("Your current password isn't right. Type it again, or sign out and reset it.")]
    WrongCurrentPassword,
    #[error("The new password is the same as the current one. Choose a different one.")]
    SamePassword,
    #[error(
        "This account has been deactivated. Ask the shop's administrator if you need it again."
    )]
    Deactivated,
}

impl Email {
    pub fn parse(s: &str) -> Result<Email, AccountError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(AccountError::EmailMissing);
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(AccountError::EmailMalformed);
        };
        let well_formed = s.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && !local.contains('@');
        if well_formed {
            Ok(Email(s.to_owned()))
        } else {
            Err(AccountError::EmailMalformed)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password against the rules (length, not the email), before hashing.
pub fn check_new_password(password: &str, email: &Email) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AccountError::PasswordTooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AccountError::PasswordTooLong);
    }
    if password.trim().eq_ignore_ascii_case(email.as_str()) {
        return Err(AccountError::PasswordIsEmail);
    }
    Ok(())
}

/// The signed-in account, as pages see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_an_at_and_a_dotted_domain() {
        assert_eq!(
            Email::parse("  Ada@Example.com ").map(|e| e.to_string()),
            Ok("Ada@Example.com".to_owned())
        );
        assert_eq!(Email::parse(""), Err(AccountError::EmailMissing));
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@.example.com",
            "ada@example..com",
            "a da@example.com",
            "ada@exa@mple.com",
        ] {
            assert_eq!(
                Email::parse(bad),
                Err(AccountError::EmailMalformed),
                "{bad}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(AccountError::EmailMalformed));
    }

    #[test]
    fn passwords_have_a_length_range_and_are_not_the_email() {
        let email = Email::parse("ada@example.com").expect("email");
        assert_eq!(
            check_new_password("short", &email),
            Err(AccountError::PasswordTooShort)
        );
        assert_eq!(
            check_new_password(&"x".repeat(10_000), &email),
            Err(AccountError::PasswordTooLong)
        );
        assert_eq!(
            check_new_password("ADA@example.com", &email),
            Err(AccountError::PasswordIsEmail)
        );
        assert_eq!(check_new_password("correct horse battery", &email), Ok(()));
        // Characters, not bytes: ten emoji are ten characters.
        assert_eq!(check_new_password(&"🔑".repeat(10), &email), Ok(()));
    }

    #[test]
    fn roles_are_ordered_by_what_they_may_do() {
        assert!(Role::Admin > Role::Staff && Role::Staff > Role::Customer);
        assert_eq!(Role::parse("staff"), Some(Role::Staff));
        assert_eq!(Role::parse("root"), None);
    }
}
