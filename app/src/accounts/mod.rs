//! Signing up, in and out, the account page, and the role checks every protected
//! server function starts with.

mod pages;

pub use pages::{AccountPage, RegisterPage};

use crate::error::AppError;
use leptos::prelude::*;
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

/// The signed-in account; a session naming an account that no longer exists is a guest.
#[cfg(feature = "ssr")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    let session = crate::session::current().await?;
    let Some(id) = crate::session::user_id(&session).await? else {
        return Ok(None);
    };
    let pool = crate::state::pool()?;
    Ok(mercato::accounts::store::user(&pool, id).await?)
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
