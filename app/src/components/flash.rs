//! A success message for a page reached by a plain form post (every form outside an
//! island): the post answers with a redirect, and the page it lands on says what
//! happened ("Coupon applied"). Errors take the same way through the session
//! (`crate::form_errors`) and are shown by the form's action.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What went well, in a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash(pub String);

/// The message waiting in the session, taken (it shows once).
#[server(prefix = "/api", endpoint = "flash")]
pub async fn take_flash() -> Result<Option<Flash>, AppError> {
    // A page shared by several shoppers shows none (see `session::SharedPage`).
    if crate::session::rendering_shared().is_some() {
        return Ok(None);
    }
    crate::session::take_flash().await
}

/// Shows the waiting message at the top of the page it was meant for; gone once the
/// shopper moves on.
#[component]
pub fn FlashMessage() -> impl IntoView {
    let flash = OnceResource::new(take_flash());
    let location = leptos_router::hooks::use_location();
    let landed_on = location.pathname.get_untracked();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let landed_on = landed_on.clone();
                Suspend::new(async move {
                let flash = flash.await.ok().flatten();
                let here = location.pathname.get() == landed_on;
                flash.filter(|_| here).map(|Flash(text)| view! {
                    <div role="status" data-testid="flash" class="mx-auto mt-4 max-w-4xl px-4">
                        <p class="rounded-xl bg-teal-50 px-4 py-3 text-sm font-medium text-teal-900">{text}</p>
                    </div>
                })
            })}}
        </Suspense>
    }
}
