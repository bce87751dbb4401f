//! Signing up, in and out, the account page, and the role checks every protected
//! server function starts with.

mod addresses;
mod orders;
mod pages;
mod password;

pub use addresses::{AddressesPage, EditAddressPage, NewAddressPage};
pub use orders::OrdersPage;
pub use pages::{AccountPage, RegisterPage, VerifyEmailPage};
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

/// Whether the header links to "Account" rather than "Sign in": while a shared page
/// renders, from its facts (`session::SharedPage`), never from the session.
pub async fn signed_in_for_header() -> Result<bool, AppError> {
    #[cfg(feature = "ssr")]
    {
        if let Some(shared) = crate::session::rendering_shared() {
            return Ok(shared.signed_in);
        }
        Ok(current_user().await?.is_some())
    }
    // The header is server HTML: the browser never renders it.
    #[cfg(not(feature = "ssr"))]
    Ok(false)
}

/// Starts an account: a link to confirm the address goes to it (or, when the address
/// has an account already, a note to its owner). The answer is the same either way and
/// signs nobody in, so nobody learns here which addresses have accounts.
#[server(prefix = "/api", endpoint = "account/register")]
pub async fn register(
    email: String,
    password: String,
    password_again: String,
) -> Result<String, AppError> {
    let state = crate::state::state()?;
    let client = crate::request::client().await?;
    let email = mercato::accounts::store::register(
        &state.pool,
        &state.hashing,
        &email,
        &password,
        &password_again,
        &client,
        &state.public_url,
    )
    .await?;
    crate::session::flash_if_plain_form(check_inbox(email.as_str())).await?;
    Ok(email.to_string())
}

/// What the shopper reads after registering.
pub fn check_inbox(email: &str) -> String {
    format!(
        "Check your inbox: we've sent a link to {email}. Open it to confirm your address and sign in."
    )
}

#[server(prefix = "/api", endpoint = "account/sign-in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    let state = crate::state::state()?;
    let pool = state.pool.clone();
    let client = crate::request::client().await?;
    let user = mercato::accounts::store::sign_in(&pool, &state.hashing, &email, &password, &client)
        .await?;
    let session = crate::session::current().await?;
    crate::session::sign_in_as(&session, &pool, user.id).await?;
    leptos_axum::redirect("/account");
    Ok(())
}

/// Whether a confirmation link still works, for the page that offers to confirm.
#[server(prefix = "/api", endpoint = "account/verify/check")]
pub async fn check_verify_token(token: String) -> Result<bool, AppError> {
    let pool = crate::state::pool()?;
    Ok(mercato::accounts::verify::link_valid(&pool, &token).await?)
}

/// Confirms the address with the link from the mail and the password chosen when
/// registering, and signs in. A form on the link's page does this, not the link itself:
/// mail scanners open links too.
#[server(prefix = "/api", endpoint = "account/verify")]
pub async fn confirm_email(token: String, password: String) -> Result<(), AppError> {
    let state = crate::state::state()?;
    let client = crate::request::client().await?;
    let user =
        mercato::accounts::verify::confirm(&state.pool, &state.hashing, &token, &password, &client)
            .await?;
    let session = crate::session::current().await?;
    crate::session::sign_in_as(&session, &state.pool, user.id).await?;
    crate::session::flash_if_plain_form(EMAIL_CONFIRMED).await?;
    leptos_axum::redirect("/account");
    Ok(())
}

pub const EMAIL_CONFIRMED: &str = "Your email is confirmed, and you are signed in.";

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
    let client = crate::request::client().await?;
    mercato::accounts::reset::request_reset(&state.pool, &email, &client, &state.public_url)
        .await?;
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
    let state = crate::state::state()?;
    let pool = state.pool.clone();
    let client = crate::request::client().await?;
    let (user, _) = mercato::accounts::reset::reset_password(
        &pool,
        &state.hashing,
        &token,
        &password,
        &password_again,
        &client,
    )
    .await?;
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
    let state = crate::state::state()?;
    let client = crate::request::client().await?;
    let epoch = mercato::accounts::reset::change_password(
        &state.pool,
        &state.hashing,
        user.id,
        &current_password,
        &password,
        &password_again,
        &client,
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

/// The signed-in account, or `None` for a guest (the session check vouched for it).
#[cfg(feature = "ssr")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    Ok(crate::session::signed_in().await?.map(|a| a.user))
}

/// The first line of every server function for signed-in shoppers.
#[cfg(feature = "ssr")]
pub async fn require_user() -> Result<User, AppError> {
    current_user().await?.ok_or(AppError::SignInRequired)
}

/// The first line of every staff server function: the signed-in staff member as a
/// capability (their permissions), which every staff write in `mercato` takes; a guest
/// gets 401, a customer 403. A function that needs a permission asks `require_permission`.
#[cfg(feature = "ssr")]
pub async fn require_staff() -> Result<mercato::admin::Staff, AppError> {
    staff_of(crate::session::signed_in().await?)
}

/// The staff capability of a signed-in account (`None`: a guest, 401); a customer
/// gets 403.
#[cfg(feature = "ssr")]
pub fn staff_of(
    account: Option<mercato::accounts::session::Account>,
) -> Result<mercato::admin::Staff, AppError> {
    let account = account.ok_or(AppError::SignInRequired)?;
    let id = account.user.id;
    mercato::admin::Staff::of(account.user, &account.staff_permissions).ok_or_else(|| {
        tracing::warn!(user = id, "refused: not staff");
        AppError::Forbidden(None)
    })
}

/// [`require_staff`], and the one permission the function needs.
#[cfg(feature = "ssr")]
pub async fn require_permission(
    permission: mercato::admin::Permission,
) -> Result<mercato::admin::Staff, AppError> {
    let staff = require_staff().await?;
    staff.require(permission).map_err(mercato::Error::from)?;
    Ok(staff)
}

/// [`require_permission`] for a request that no Leptos handler serves (the catalog's
/// download), from the request's session check and session.
#[cfg(feature = "ssr")]
pub async fn require_permission_for(
    check: &crate::session::Check,
    session: &tower_sessions::Session,
    state: &crate::state::AppState,
    permission: mercato::admin::Permission,
) -> Result<mercato::admin::Staff, AppError> {
    let staff = staff_of(check.signed_in(session, state).await?)?;
    staff.require(permission).map_err(mercato::Error::from)?;
    Ok(staff)
}
