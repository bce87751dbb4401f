//! Checkout in three steps (details, delivery, review and pay) and its server functions.
//! What the shopper has entered so far lives in their session, never in hidden fields:
//! a post carries only what its step asks for.

mod details;
mod review;
mod shipping;

pub use details::DetailsPage;
pub use review::{ReturnPage, ReviewPage};
pub use shipping::ShippingPage;

use crate::error::{AppError, Shown};
use leptos::prelude::*;
use mercato::accounts::address::{AddressInput, SavedAddress};
#[cfg(feature = "ssr")]
use mercato::checkout::CheckoutError;
use mercato::checkout::{Details, Quote, ShippingOption};
#[cfg(feature = "ssr")]
use mercato::error::Rule;
use mercato::payments::{PayWith, PaymentError};
use serde::{Deserialize, Serialize};

/// The first step's page: what is known already.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetailsStep {
    pub cart_empty: bool,
    pub email: String,
    pub shipping: AddressInput,
    pub billing: Option<AddressInput>,
    pub saved: Vec<SavedAddress>,
    pub signed_in: bool,
}

/// The second step: where it goes, and the ways to get it there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShippingStep {
    pub country: String,
    pub options: Vec<ShippingOption>,
    pub chosen: Option<i64>,
}

/// The third step: exactly what will be charged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReviewStep {
    pub quote: Quote,
    pub details: Details,
    /// Posted with the payment, and compared with the session's.
    pub token: String,
    /// How the payment is taken.
    pub pay_with: PayWith,
}

/// Billing fields, named `billing_…` in the form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BillingInput {
    #[serde(default)]
    pub billing_name: String,
    #[serde(default)]
    pub billing_line1: String,
    #[serde(default)]
    pub billing_line2: String,
    #[serde(default)]
    pub billing_city: String,
    #[serde(default)]
    pub billing_region: String,
    #[serde(default)]
    pub billing_postal_code: String,
    #[serde(default)]
    pub billing_country: String,
}

impl BillingInput {
    pub fn into_address(self) -> AddressInput {
        AddressInput {
            name: self.billing_name,
            line1: self.billing_line1,
            line2: self.billing_line2,
            city: self.billing_city,
            region: self.billing_region,
            postal_code: self.billing_postal_code,
            country: self.billing_country,
            phone: String::new(),
        }
    }
}

#[cfg(feature = "ssr")]
use crate::session;
#[cfg(feature = "ssr")]
use mercato::checkout::session::Posted;

#[server(prefix = "/api", endpoint = "checkout/details/load")]
pub async fn load_details(use_address: Option<i64>) -> Result<DetailsStep, AppError> {
    let state = crate::state::state()?;
    let s = session::current().await?;
    let cart = session::cart(&s).await?;
    let cart_empty = mercato::cart::store::item_count(&state.pool, cart).await? == 0;
    let user = crate::accounts::current_user().await?;
    let saved = match &user {
        Some(u) => mercato::accounts::address::store::list(&state.pool, u.id).await?,
        None => Vec::new(),
    };
    let checkout = session::checkout(&s).await?;
    let chosen = use_address
        .and_then(|id| saved.iter().find(|a| a.id == id))
        .or_else(|| {
            checkout
                .details()
                .is_none()
                .then(|| saved.iter().find(|a| a.is_default))
                .flatten()
        });
    let (shipping, billing) = match (&chosen, checkout.details()) {
        (Some(a), _) => (a.address.to_input(), None),
        (None, Some(d)) => (
            d.shipping.to_input(),
            d.billing.as_ref().map(|b| b.to_input()),
        ),
        (None, None) => (AddressInput::default(), None),
    };
    let email = checkout
        .details()
        .map(|d| d.email.to_string())
        .or(user.as_ref().map(|u| u.email.clone()))
        .unwrap_or_default();
    Ok(DetailsStep {
        cart_empty,
        email,
        shipping,
        billing,
        saved,
        signed_in: user.is_some(),
    })
}

/// Step 1: contact and addresses. Every field is checked; each message goes by its field.
#[server(prefix = "/api", endpoint = "checkout/details")]
pub async fn save_details(
    email: String,
    #[server(flatten)] shipping: AddressInput,
    #[server(default)] billing_differs: Option<String>,
    #[server(flatten)] billing: BillingInput,
) -> Result<(), AppError> {
    let billing = billing_differs.map(|_| billing.into_address());
    let details = Details::parse(&email, &shipping, billing.as_ref()).map_err(AppError::Fields)?;
    let s = session::current().await?;
    let mut checkout = session::checkout(&s).await?;
    checkout.set_details(details);
    session::set_checkout(&s, &checkout).await?;
    leptos_axum::redirect("/checkout/shipping");
    Ok(())
}

#[server(prefix = "/api", endpoint = "checkout/shipping/load")]
pub async fn load_shipping() -> Result<Option<ShippingStep>, AppError> {
    let state = crate::state::state()?;
    let checkout = session::checkout(&session::current().await?).await?;
    let Some(details) = checkout.details().cloned() else {
        return Ok(None);
    };
    let mut conn = state.pool.acquire().await.map_err(mercato::Error::from)?;
    let options = mercato::checkout::shipping::options_for(
        &mut conn,
        &details.shipping.country,
        state.currency,
    )
    .await?;
    let chosen = checkout
        .rate()
        .filter(|r| options.iter().any(|o| o.id == *r))
        .or(options.first().map(|o| o.id));
    Ok(Some(ShippingStep {
        country: details.shipping.country,
        options,
        chosen,
    }))
}

/// Step 2: the delivery option.
#[server(prefix = "/api", endpoint = "checkout/shipping")]
pub async fn choose_shipping(rate: i64) -> Result<(), AppError> {
    let state = crate::state::state()?;
    let s = session::current().await?;
    let mut checkout = session::checkout(&s).await?;
    let details = checkout.details().cloned().ok_or_else(start_again)?;
    let mut conn = state.pool.acquire().await.map_err(mercato::Error::from)?;
    mercato::checkout::shipping::choose(&mut conn, rate, &details.shipping.country, state.currency)
        .await?;
    checkout.choose_rate(rate);
    session::set_checkout(&s, &checkout).await?;
    leptos_axum::redirect("/checkout/review");
    Ok(())
}

/// What placing an order needs, from the session's checkout and the shop's settings.
#[cfg(feature = "ssr")]
fn order_of<'a>(
    state: &crate::state::AppState,
    token: &'a str,
    cart: i64,
    user: Option<i64>,
    details: &'a Details,
    rate: i64,
    client: mercato::limits::client::ClientKey,
) -> mercato::checkout::place::Checkout<'a> {
    mercato::checkout::place::Checkout {
        token,
        cart,
        user,
        email: &details.email,
        shipping_address: &details.shipping,
        billing_address: details.billing_address(),
        shipping_rate: rate,
        currency: state.currency,
        client,
    }
}

#[cfg(feature = "ssr")]
fn start_again() -> AppError {
    AppError::Rule(CheckoutError::StartAgain.into())
}

/// Step 3: the quote the shopper reviews. Its total is remembered in the session; the
/// payment is taken only if placing the order arrives at the same total.
#[server(prefix = "/api", endpoint = "checkout/review/load")]
pub async fn load_review() -> Result<Option<ReviewStep>, AppError> {
    let state = crate::state::state()?;
    let s = session::current().await?;
    let mut checkout = session::checkout(&s).await?;
    let (Some(details), Some(rate)) = (checkout.details().cloned(), checkout.rate()) else {
        return Ok(None);
    };
    let cart = session::cart(&s)
        .await?
        .ok_or(Rule::from(CheckoutError::EmptyCart))?;
    let user = session::user().await?;
    let client = crate::request::client().await?;
    let quote = mercato::checkout::place::quote(
        &state.pool,
        &order_of(&state, checkout.token(), cart, user, &details, rate, client),
    )
    .await?;
    checkout.reviewed(&quote);
    session::set_checkout(&s, &checkout).await?;
    Ok(Some(ReviewStep {
        quote,
        details,
        token: checkout.token().to_owned(),
        pay_with: state.payments.pay_with(),
    }))
}

/// What placing the reviewed checkout came to.
#[cfg(feature = "ssr")]
enum Placing {
    /// This checkout was paid already (a repeated submit): its order's page.
    Paid(String),
    Placed(String, mercato::checkout::place::Placed),
}

/// Places the order reviewed in this session, once per checkout however often it is
/// posted: the posted token must be the session's, and the total the one reviewed.
#[cfg(feature = "ssr")]
async fn place_reviewed(
    state: &crate::state::AppState,
    s: &tower_sessions::Session,
    token: &str,
) -> Result<Placing, AppError> {
    let checkout = session::checkout(s).await?;
    match checkout.posted(token) {
        Posted::Paid { page } => return Ok(Placing::Paid(page.to_owned())),
        Posted::Stale => return Err(AppError::Rule(CheckoutError::Stale.into())),
        Posted::Current => {}
    }
    let ready = checkout.ready().ok_or_else(start_again)?;
    let cart = session::cart(s).await?.ok_or_else(start_again)?;
    let user = session::user().await?;
    let client = crate::request::client().await?;
    let placed = mercato::checkout::place::place(
        &state.pool,
        &order_of(
            state,
            ready.token,
            cart,
            user,
            ready.details,
            ready.rate,
            client,
        ),
        &ready.reviewed,
    )
    .await;
    match placed {
        Ok(placed) => Ok(Placing::Placed(ready.token.to_owned(), placed)),
        Err(e) => Err(restart_if_cancelled(s, e).await),
    }
}

/// When the order a checkout placed was cancelled before it was paid (not paid in
/// time), the checkout starts again under a new token, so the next review can place a
/// new order: the shopper reads why, and reviews again. Returns the error to show.
#[cfg(feature = "ssr")]
async fn restart_if_cancelled(s: &tower_sessions::Session, e: mercato::Error) -> AppError {
    use mercato::error::Rule;
    if let mercato::Error::Rule(Rule::Payment(PaymentError::OrderCancelled)) = &e {
        let restarted = async {
            let mut checkout = session::checkout(s).await?;
            checkout.order_cancelled();
            session::set_checkout(s, &checkout).await
        };
        if let Err(fault) = restarted.await {
            return fault;
        }
    }
    AppError::from(e)
}

/// Places the order and pays it with the test provider. Paid: off to the order's page.
/// Declined: the order waits, the cart is kept, and the shopper may try another card.
#[server(prefix = "/api", endpoint = "checkout/pay")]
pub async fn pay(token: String, card_number: String) -> Result<(), AppError> {
    use mercato::payments::TestCard;
    let state = crate::state::state()?;
    let card = TestCard::parse(&card_number).map_err(|e| Rule::from(PaymentError::Card(e)))?;
    let s = session::current().await?;
    let (token, placed) = match place_reviewed(&state, &s, &token).await? {
        Placing::Paid(page) => {
            leptos_axum::redirect(&page);
            return Ok(());
        }
        Placing::Placed(token, placed) => (token, placed),
    };
    if let Err(e) = state
        .payments
        .pay_with_test_card(&state.pool, &placed.payable(), card, &state.public_url)
        .await
    {
        return Err(restart_if_cancelled(&s, e).await);
    }
    let page = order_page(placed.number.0, &placed.access_key);
    paid(&s, &token, &page).await?;
    leptos_axum::redirect(&page);
    Ok(())
}

/// The next thing the Stripe pay button does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StripeStep {
    /// Mount the Payment Element for this intent, and come back to `return_url`.
    Pay {
        client_secret: String,
        return_url: String,
    },
    /// Already paid: go to the order.
    Done { page: String },
}

/// Places the order and opens its Stripe PaymentIntent (the same one however often this
/// is called). Stripe unreachable: nothing is charged, the cart is untouched, and the
/// placed order waits for a retry (or expires and gives its stock back).
#[server(prefix = "/api", endpoint = "checkout/stripe/start")]
pub async fn start_stripe(token: String) -> Result<StripeStep, Shown> {
    Ok(stripe_step(&token).await?)
}

#[cfg(feature = "ssr")]
async fn stripe_step(token: &str) -> Result<StripeStep, AppError> {
    use mercato::payments::Started;
    let state = crate::state::state()?;
    let s = session::current().await?;
    let (token, placed) = match place_reviewed(&state, &s, token).await? {
        Placing::Paid(page) => return Ok(StripeStep::Done { page }),
        Placing::Placed(token, placed) => (token, placed),
    };
    let started = match state
        .payments
        .start(&state.pool, &placed.payable(), &state.public_url)
        .await
    {
        Ok(started) => started,
        Err(e) => return Err(restart_if_cancelled(&s, e).await),
    };
    match started {
        Started::Stripe {
            client_secret,
            return_url,
        } => Ok(StripeStep::Pay {
            client_secret,
            return_url,
        }),
        Started::Paid => {
            let page = order_page(placed.number.0, &placed.access_key);
            paid(&s, &token, &page).await?;
            Ok(StripeStep::Done { page })
        }
    }
}

/// What the return page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnView {
    /// Paid: the page redirects to the order.
    Paid { page: String },
    /// The bank has not answered yet.
    Processing { page: String },
    /// Not paid, and why. The order and cart are kept.
    NotPaid { why: PaymentError },
    /// No payment of ours matches the link.
    Unknown,
}

/// Stripe sends the shopper back here after paying. The intent is retrieved from Stripe
/// (the query string proves nothing by itself) and a success is recorded, unless the
/// webhook came first.
#[server(prefix = "/api", endpoint = "checkout/stripe/return")]
pub async fn finish_stripe(
    payment_intent: String,
    payment_intent_client_secret: String,
) -> Result<ReturnView, AppError> {
    use mercato::payments::stripe::Finished;
    let state = crate::state::state()?;
    let returned = match state
        .payments
        .finish(
            &state.pool,
            &payment_intent,
            &payment_intent_client_secret,
            &state.public_url,
            &crate::request::client().await?,
        )
        .await
    {
        // A made-up or mistyped link: say so on a 404, naming nothing. (A form posted
        // here by hand gets its error on the page it came from, like any other.)
        Err(mercato::Error::NotFound) if crate::request::is_plain_form_post() => {
            return Err(AppError::NotFound);
        }
        Err(mercato::Error::NotFound) => {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::NOT_FOUND);
            }
            return Ok(ReturnView::Unknown);
        }
        other => other?,
    };
    let page = order_page(returned.number, &returned.access_key);
    Ok(match returned.outcome {
        Finished::Paid => {
            let s = session::current().await?;
            paid(&s, &returned.checkout_token, &page).await?;
            // The page's <Redirect> sends the shopper on (a 302 when rendered on the server).
            ReturnView::Paid { page }
        }
        Finished::Processing => ReturnView::Processing { page },
        Finished::NotPaid(why) => ReturnView::NotPaid { why },
    })
}

/// The order's page, with the key that shows it to whoever paid.
#[cfg(feature = "ssr")]
fn order_page(number: i64, access_key: &str) -> String {
    format!(
        "{}&placed=1",
        mercato::orders::keyed_page(number, access_key)
    )
}

/// The checkout with `token` was paid, its order is at `page`: if it is the session's
/// checkout, a fresh one starts next time, and a repeated submit goes to `page`.
#[cfg(feature = "ssr")]
async fn paid(s: &tower_sessions::Session, token: &str, page: &str) -> Result<(), AppError> {
    if let Some(next) = session::checkout(s).await?.paid(token, page) {
        session::set_checkout(s, &next).await?;
    }
    Ok(())
}

/// Where the shopper is among the three steps; finished steps link back.
#[component]
fn Steps(current: u8) -> impl IntoView {
    let step = move |n: u8, label: &'static str, href: &'static str| {
        let state = match n.cmp(&current) {
            std::cmp::Ordering::Less => "done",
            std::cmp::Ordering::Equal => "current",
            std::cmp::Ordering::Greater => "next",
        };
        let class = match state {
            "current" => "font-semibold text-teal-800",
            "done" => "text-stone-700 underline",
            _ => "text-stone-500",
        };
        view! {
            <li class="flex items-center gap-2">
                <span aria-hidden="true" class="flex h-6 w-6 items-center justify-center rounded-full border border-current text-xs">{n}</span>
                {if state == "done" {
                    view! { <a href=href class=class>{label}</a> }.into_any()
                } else {
                    view! { <span class=class aria-current=(state == "current").then_some("step")>{label}</span> }.into_any()
                }}
            </li>
        }
    };
    view! {
        <ol aria-label="Checkout steps" class="flex flex-wrap gap-x-6 gap-y-2 text-sm">
            {step(1, "Details", "/checkout")}
            {step(2, "Delivery", "/checkout/shipping")}
            {step(3, "Review and pay", "/checkout/review")}
        </ol>
    }
}

/// Shown by a later step when an earlier one is missing (an expired session).
#[component]
fn BackToStart() -> impl IntoView {
    view! {
        <div class="mt-8 rounded-2xl border border-stone-200 bg-white p-6">
            <p class="text-stone-700">"We need your details first (your session may have expired)."</p>
            <a href="/checkout" class="mt-4 inline-block rounded-full bg-teal-700 px-6 py-3 text-sm font-semibold text-white hover:bg-teal-800">"Start checkout"</a>
        </div>
    }
}
