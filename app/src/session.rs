//! What the session holds (the guest's cart, the signed-in account) and the request
//! details server functions need. Server-side only.

use crate::components::Flash;
use crate::error::AppError;
use mercato::accounts::session::Account;
use mercato::checkout::session::CheckoutSession;
use std::sync::Arc;
use tokio::sync::OnceCell;
use tower_sessions::Session;

const CART: &str = "cart_id";
const USER: &str = "user_id";
const EPOCH: &str = "session_epoch";
const SIGNED_IN_AT: &str = "signed_in_at";
const FLASH: &str = "flash";
const CHECKOUT: &str = "checkout";

/// The checkout under way, or a fresh one.
pub async fn checkout(session: &Session) -> Result<CheckoutSession, AppError> {
    Ok(session
        .get::<CheckoutSession>(CHECKOUT)
        .await
        .map_err(unavailable)?
        .unwrap_or_default())
}

pub async fn set_checkout(session: &Session, state: &CheckoutSession) -> Result<(), AppError> {
    session.insert(CHECKOUT, state).await.map_err(unavailable)
}

/// The request's session, checked first ([`signed_in`]).
pub async fn current() -> Result<Session, AppError> {
    signed_in().await?;
    session_of_request().await
}

async fn session_of_request() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer in front of the app");
        AppError::Internal
    })
}

/// A session the store cannot read (the database is down) is "briefly unavailable",
/// never "your cart is empty" or "you are signed out".
fn unavailable(e: tower_sessions::session::Error) -> AppError {
    tracing::warn!(error = %e, "could not read or write the session");
    AppError::Unavailable
}

/// The shopper's cart id, if they have one.
pub async fn cart(session: &Session) -> Result<Option<i64>, AppError> {
    session.get::<i64>(CART).await.map_err(unavailable)
}

pub async fn set_cart(session: &Session, cart: Option<i64>) -> Result<(), AppError> {
    match cart {
        Some(cart) => session.insert(CART, cart).await.map_err(unavailable),
        None => session
            .remove::<i64>(CART)
            .await
            .map(|_| ())
            .map_err(unavailable),
    }
}

/// The signed-in account's id, if any. Only the check reads it: everything else asks
/// [`signed_in`].
async fn user_id(session: &Session) -> Result<Option<i64>, AppError> {
    session.get::<i64>(USER).await.map_err(unavailable)
}

/// Signs the session in as `user`: a new session id (so an id seen before sign-in is
/// worth nothing after), and the guest cart merged into the account's.
pub async fn sign_in_as(session: &Session, pool: &sqlx::PgPool, user: i64) -> Result<(), AppError> {
    let guest = cart(session).await?;
    session.cycle_id().await.map_err(unavailable)?;
    let merged = mercato::cart::store::merge_into_account(pool, guest, user).await?;
    set_cart(session, merged).await?;
    let account = mercato::accounts::store::account(pool, user)
        .await?
        .ok_or(AppError::NotFound)?;
    set_epoch(session, account.epoch).await?;
    session
        .insert(SIGNED_IN_AT, unix_now())
        .await
        .map_err(unavailable)?;
    session.insert(USER, user).await.map_err(unavailable)
}

/// The account's session epoch this session signed in under; a password change bumps
/// the account's, which ends every session holding an older one.
async fn epoch(session: &Session) -> Result<i32, AppError> {
    Ok(session
        .get::<i32>(EPOCH)
        .await
        .map_err(unavailable)?
        .unwrap_or(0))
}

/// The account's session epoch, recorded in this session after a password change it
/// made itself (the other sessions end; this one goes on).
pub async fn set_epoch(session: &Session, epoch: i32) -> Result<(), AppError> {
    session.insert(EPOCH, epoch).await.map_err(unavailable)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The request's session check, done at most once per request (on first use) and
/// shared by every server function and page part that reads the session; and the
/// message taken for this request's page, taken once however often a part of the page
/// that shows it is rendered.
#[derive(Debug, Clone, Default)]
pub struct Check(Arc<OnceCell<Option<Account>>>, Arc<OnceCell<Option<Flash>>>);

/// Middleware: gives the request its (not yet done) session check. Costs nothing until
/// something reads the session: static files never do.
pub async fn prepare_check(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    req.extensions_mut().insert(Check::default());
    next.run(req).await
}

/// The signed-in account, or `None` for a guest: the one check of the session, which
/// runs before anything reads it ([`current`] and every account lookup come here
/// first). A session signed in to an account that is gone, whose password changed
/// since, or a staff session past `MERCATO_STAFF_SESSION_HOURS` is ended here
/// (`mercato::accounts::session::verdict`), so whatever runs after finds a guest with an
/// empty session, whether it asks for the account, the cart or the checkout.
pub async fn signed_in() -> Result<Option<Account>, AppError> {
    // A page shared by several shoppers is nobody's: what of it is a shopper's own
    // comes from its `SharedPage` facts, never from the session of whoever's request
    // rendered it.
    if rendering_shared().is_some() {
        tracing::error!("a shared page read the session");
        return Err(AppError::Internal);
    }
    let check = request_check()?;
    let state = crate::state::state()?;
    check
        .account(
            &session_of_request().await?,
            &state.pool,
            state.staff_session,
        )
        .await
}

fn request_check() -> Result<Check, AppError> {
    let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>() else {
        // No request at all: a render still running after its client went away (the
        // request's context is gone with it). Nobody reads the answer.
        tracing::debug!("a session was read after its request ended");
        return Err(AppError::Internal);
    };
    parts.extensions.get::<Check>().cloned().ok_or_else(|| {
        tracing::error!("a session was read without the session check in front");
        AppError::Internal
    })
}

impl Check {
    /// The signed-in account of a request that no Leptos handler serves: the same
    /// check as [`signed_in`].
    pub async fn signed_in(
        &self,
        session: &Session,
        state: &crate::state::AppState,
    ) -> Result<Option<Account>, AppError> {
        self.account(session, &state.pool, state.staff_session)
            .await
    }

    /// The signed-in account, checked on first use.
    async fn account(
        &self,
        session: &Session,
        pool: &sqlx::PgPool,
        staff_session: std::time::Duration,
    ) -> Result<Option<Account>, AppError> {
        self.0
            .get_or_try_init(|| checked_account(pool, staff_session, session))
            .await
            .cloned()
    }
}

async fn checked_account(
    pool: &sqlx::PgPool,
    staff_session: std::time::Duration,
    session: &Session,
) -> Result<Option<Account>, AppError> {
    use mercato::accounts::session::{verdict, SignedIn};
    let Some(id) = user_id(session).await? else {
        return Ok(None);
    };
    let account = mercato::accounts::store::account(pool, id).await?;
    let signed_in = SignedIn {
        epoch: epoch(session).await?,
        at: session
            .get::<i64>(SIGNED_IN_AT)
            .await
            .map_err(unavailable)?
            .unwrap_or(0),
    };
    let staff_lifetime = i64::try_from(staff_session.as_secs()).unwrap_or(i64::MAX);
    match verdict(account.as_ref(), signed_in, unix_now(), staff_lifetime) {
        Ok(()) => Ok(account),
        Err(ended) => {
            tracing::info!(user = id, reason = ended.as_str(), "session ended");
            sign_out(session).await?;
            Ok(None)
        }
    }
}

/// The signed-in account's id, if any.
pub async fn user() -> Result<Option<i64>, AppError> {
    Ok(signed_in().await?.map(|a| a.user.id))
}

/// Leaves a message for the next page this shopper sees (after a plain form post).
pub async fn flash(session: &Session, flash: Flash) -> Result<(), AppError> {
    session.insert(FLASH, flash).await.map_err(unavailable)
}

/// Leaves `message` for the next page, if this request is a plain form post (with
/// JavaScript the form shows its outcome itself).
pub async fn flash_if_plain_form(message: impl Into<String>) -> Result<(), AppError> {
    if crate::request::is_plain_form_post() {
        flash(&current().await?, Flash(message.into())).await?;
    }
    Ok(())
}

/// After a plain form post (no JavaScript), says `message` on the page at `to` and
/// sends the browser there; a script's call gets the function's answer instead. `to` is
/// a path the caller built (a list, a record's page), never one read from the request:
/// that would make this an open redirect.
pub async fn flash_and_go(message: impl Into<String>, to: &str) -> Result<(), AppError> {
    if crate::request::is_plain_form_post() {
        flash(&current().await?, Flash(message.into())).await?;
        leptos_axum::redirect(to);
    }
    Ok(())
}

/// A catalog page rendered to be shared by every shopper whose header would look the
/// same: signed in or not, and as many items in the cart. That is all of such a page
/// that is a shopper's own. While it renders (the page cache puts it in the request),
/// the header reads these facts ([`rendering_shared`]) and not the session, so that a
/// render for one shopper (a background refresh included) shows nothing else of theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedPage {
    pub cart_count: u32,
    /// "Account" in the header rather than "Sign in".
    pub signed_in: bool,
}

impl SharedPage {
    /// What a visitor without a session sees.
    pub const NO_SESSION: SharedPage = SharedPage {
        cart_count: 0,
        signed_in: false,
    };

    /// The part of the page cache's key that is not the URL.
    pub fn variant(&self) -> String {
        let who = if self.signed_in { "account" } else { "guest" };
        format!("{who},cart={}", self.cart_count)
    }
}

/// Carts of up to this many items share pages.
const MAX_SHARED_CART: u32 = 20;

/// The shared page this request renders, if it renders one.
pub fn rendering_shared() -> Option<SharedPage> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SharedPage>().copied())
}

/// The shared catalog page this session may be given. The session is checked first,
/// as for any page ([`signed_in`]; the request's `check` keeps the answer for the
/// render): a session that the check ends, or with a message waiting for its next page,
/// gets a page rendered for it alone (`None`).
pub async fn shared_page(
    session: &Session,
    check: &Check,
    pool: &sqlx::PgPool,
    staff_session: std::time::Duration,
) -> Result<Option<SharedPage>, AppError> {
    let account = check.account(session, pool, staff_session).await?;
    // A session the check ended (password or role changed, account gone or
    // deactivated, staff lifetime over) was flushed, which marks it modified: its page,
    // a guest's, is rendered for it alone, and the session layer clears its cookie.
    if session.is_modified()
        || session
            .get::<Flash>(FLASH)
            .await
            .map_err(unavailable)?
            .is_some()
        || crate::form_errors::waiting_in(session).await
    {
        return Ok(None);
    }
    let cart_count = mercato::cart::store::item_count(pool, cart(session).await?).await?;
    // Few shoppers hold more: their pages are rendered for them, rather than kept in
    // variants that would push popular pages out of the cache.
    Ok((cart_count <= MAX_SHARED_CART).then_some(SharedPage {
        cart_count,
        signed_in: account.is_some(),
    }))
}

/// The waiting message, removed, for this request's page: taken once per request, so a
/// part of the page rendered twice (inside a `Transition`) shows it both times. A
/// session without one is not written to (so a guest's page view creates no session).
pub async fn take_flash() -> Result<Option<Flash>, AppError> {
    let check = request_check()?;
    check
        .1
        .get_or_try_init(|| async {
            let session = current().await?;
            let waiting = session.get::<Flash>(FLASH).await.map_err(unavailable)?;
            if waiting.is_some() {
                session.remove::<Flash>(FLASH).await.map_err(unavailable)?;
            }
            Ok(waiting)
        })
        .await
        .cloned()
}

/// Ends the session: its data is deleted and the next request starts a new one.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(unavailable)
}
