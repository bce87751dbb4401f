//! Signing up, in and out, the account page, and the role checks every protected
//! server function starts with.

mod addresses;
mod orders;
mod pages;
mod password;

pub use addresses::{AddressesPage, EditAddressPage, NewAddressPage};
pub use orders::OrdersPage;
pub use pages::{AccountPage, RegisterPage};
pub use password::{ChangePasswordPage, ForgotPasswordPage, ResetPasswordPage};

use crate::error::AppError;
use leptos::prelude::*;
use mercato::accounts::address::SavedAddress;
use mercato::accounts::User;

/// The signed-in account, or `None` for a guest.
#[server(prefix = "/api", endpoint = "account/me")]
pub async fn load_user() -> Result<Option<User>, AppError> {
    current_user().await
}

/// Creates an account and signs it in; the guest cart comes along.
#[server(prefix = "/api", endpoint = "account/register")]
pub async fn register(
    email: String,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    let pool = crate::state::pool()?;
    let user =
        mercato::accounts::store::register(&pool, &email, &password, &password_again).await?;
    let session = crate::session::current().await?;
    crate::session::sign_in_as(&session, &pool, user.id).await?;
    leptos_axum::redirect("/account");
    Ok(())
}

#[server(prefix = "/api", endpoint = "account/sign-in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    let pool = crate::state::pool()?;
    let client = crate::session::client_address().await;
    let outcome = mercato::accounts::store::sign_in(&pool, &email, &password, &client).await?;
    let user = outcome.map_err(|e| AppError::Invalid(e.to_string()))?;
    let session = crate::session::current().await?;
    crate::session::sign_in_as(&session, &pool, user.id).await?;
    leptos_axum::redirect("/account");
    Ok(())
}

#[server(prefix = "/api", endpoint = "account/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    crate::session::sign_out(&crate::session::current().await?).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Sends a reset link if the email has an account. The answer is the same either way,
/// so nobody learns who has an account here.
#[server(prefix = "/api", endpoint = "account/forgot")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    let state = crate::state::state()?;
    mercato::accounts::reset::request_reset(&state.pool, &email, &state.public_url).await?;
    crate::session::flash_if_plain_form(SENT_IF_EXISTS).await
}

/// What the shopper reads after asking for a reset link.
pub const SENT_IF_EXISTS: &str = "If that email has an account, a link to reset its password is on its way. It works for an hour.";

/// Whether a reset link still works, for the page that asks for the new password.
#[server(prefix = "/api", endpoint = "account/reset/check")]
pub async fn check_reset_token(token: String) -> Result<bool, AppError> {
    let pool = crate::state::pool()?;
    Ok(mercato::accounts::reset::reset_token_valid(&pool, &token).await?)
}

/// Sets a new password from a reset link, and signs in with it.
#[server(prefix = "/api", endpoint = "account/reset")]
pub async fn reset_password(
    token: String,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    let pool = crate::state::pool()?;
    let (user, _) =
        mercato::accounts::reset::reset_password(&pool, &token, &password, &password_again).await?;
    let session = crate::session::current().await?;
    crate::session::sign_in_as(&session, &pool, user.id).await?;
    crate::session::flash_if_plain_form("Your new password is set, and you are signed in.").await?;
    leptos_axum::redirect("/account");
    Ok(())
}

/// Changes the signed-in account's password; every other session of it ends.
#[server(prefix = "/api", endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    let user = require_user().await?;
    let pool = crate::state::pool()?;
    let epoch = mercato::accounts::reset::change_password(
        &pool,
        user.id,
        &current_password,
        &password,
        &password_again,
    )
    .await?;
    let session = crate::session::current().await?;
    session
        .cycle_id()
        .await
        .map_err(|_| AppError::Unavailable)?;
    crate::session::set_epoch(&session, epoch).await?;
    crate::session::flash_if_plain_form(PASSWORD_CHANGED).await
}

pub const PASSWORD_CHANGED: &str =
    "Your password is changed. Other devices signed in to your account have been signed out.";

#[server(prefix = "/api", endpoint = "account/addresses")]
pub async fn load_addresses() -> Result<Vec<SavedAddress>, AppError> {
    let user = require_user().await?;
    let pool = crate::state::pool()?;
    Ok(mercato::accounts::address::store::list(&pool, user.id).await?)
}

#[server(prefix = "/api", endpoint = "account/address")]
pub async fn load_address(id: i64) -> Result<SavedAddress, AppError> {
    let user = require_user().await?;
    let pool = crate::state::pool()?;
    Ok(mercato::accounts::address::store::get(&pool, user.id, id).await?)
}

/// Adds an address (without `id`) or changes one; back to the address book after. The
/// address fields arrive under their own names (`name`, `line1`, …).
#[server(prefix = "/api", endpoint = "account/address/save")]
pub async fn save_address(
    id: Option<i64>,
    #[server(flatten)] input: mercato::accounts::address::AddressInput,
    #[server(default)] make_default: Option<String>,
) -> Result<(), AppError> {
    let user = require_user().await?;
    let pool = crate::state::pool()?;
    mercato::accounts::address::store::save(&pool, user.id, id, &input, make_default.is_some())
        .await?;
    crate::session::flash_if_plain_form(if id.is_some() {
        "Address saved."
    } else {
        "Address added."
    })
    .await?;
    leptos_axum::redirect("/account/addresses");
    Ok(())
}

#[server(prefix = "/api", endpoint = "account/address/delete")]
pub async fn delete_address(id: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    let pool = crate::state::pool()?;
    mercato::accounts::address::store::delete(&pool, user.id, id).await?;
    crate::session::flash_if_plain_form("Address deleted.").await
}

#[server(prefix = "/api", endpoint = "account/address/default")]
pub async fn make_default_address(id: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    let pool = crate::state::pool()?;
    mercato::accounts::address::store::set_default(&pool, user.id, id).await?;
    crate::session::flash_if_plain_form("Default address changed.").await
}

/// The signed-in account; a session naming an account that no longer exists is a guest.
#[cfg(feature = "ssr")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    let session = crate::session::current().await?;
    let Some(id) = crate::session::user_id(&session).await? else {
        return Ok(None);
    };
    let pool = crate::state::pool()?;
    let Some((user, epoch)) = mercato::accounts::store::user(&pool, id).await? else {
        return Ok(None);
    };
    // The password changed since this session signed in: it is signed out.
    if crate::session::epoch(&session).await? != epoch {
        crate::session::sign_out(&session).await?;
        return Ok(None);
    }
    Ok(Some(user))
}

/// The first line of every server function for signed-in shoppers.
#[cfg(feature = "ssr")]
pub async fn require_user() -> Result<User, AppError> {
    current_user().await?.ok_or(AppError::SignInRequired)
}

/// The first line of every server function for staff (admins included).
#[cfg(feature = "ssr")]
pub async fn require_staff() -> Result<User, AppError> {
    require_role(mercato::accounts::Role::Staff).await
}

/// The first line of every server function for admins only.
#[cfg(feature = "ssr")]
pub async fn require_admin() -> Result<User, AppError> {
    require_role(mercato::accounts::Role::Admin).await
}

#[cfg(feature = "ssr")]
async fn require_role(role: mercato::accounts::Role) -> Result<User, AppError> {
    let user = require_user().await?;
    if user.role >= role {
        Ok(user)
    } else {
        tracing::warn!(
            user = user.id,
            needed = role.as_str(),
            "refused: role too low"
        );
        Err(AppError::Forbidden)
    }
}
