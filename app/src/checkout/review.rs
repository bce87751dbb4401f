//! `/checkout/review`: everything that will be charged, and the payment.

use super::details::PAGE;
use super::{
    finish_stripe, load_review, BackToStart, Pay, ReturnView, ReviewStep, StartStripe, Steps,
    StripeStep,
};
use crate::components::form::{action_error, BUTTON, INPUT, LABEL};
use crate::components::loaded;
use crate::components::PageTitle;
use crate::orders::TotalsTable;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::{Meta, Script};
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use mercato::money::Money;
use mercato::payments::{PayWith, TEST_CARDS};

#[component]
pub fn ReviewPage() -> impl IntoView {
    // The test card's form is a plain post: paid, it lands on the order; refused, it
    // comes back here, whose review is loaded again (the cart may have changed).
    let pay = ServerAction::<Pay>::new();
    let data = Resource::new(|| (), |_| load_review());
    view! {
        <PageTitle text="Checkout: review and pay" />
        <Meta name="robots" content="noindex" />
        <div class=PAGE>
            <h1 class="text-3xl font-bold tracking-tight">"Checkout"</h1>
            <div class="mt-4"><Steps current=3 /></div>
            <div class="mt-6">{action_error(pay.value())}</div>
            {loaded(data, move |step| match step {
                Some(step) => view! { <Review step pay /> }.into_any(),
                None => view! { <BackToStart /> }.into_any(),
            })}
        </div>
    }
}

#[component]
fn Review(step: ReviewStep, pay: ServerAction<Pay>) -> impl IntoView {
    let quote = step.quote;
    let address = step.details.shipping.lines();
    view! {
        <div class="mt-6 grid gap-6 md:grid-cols-5">
            <section aria-labelledby="items-heading" class="md:col-span-3">
                <h2 id="items-heading" class="text-lg font-bold">"Your order"</h2>
                <ul class="mt-3 divide-y divide-stone-200 rounded-2xl border border-stone-200 bg-white">
                    {quote.lines.iter().map(|l| view! {
                        <li class="flex justify-between gap-4 p-4 text-sm" data-testid="review-line">
                            <span>{format!("{} × {}", l.quantity, l.name)}</span>
                            <span class="font-semibold">{l.line_total.format()}</span>
                        </li>
                    }).collect_view()}
                </ul>
                <div class="mt-4 grid gap-4 sm:grid-cols-2">
                    <div class="rounded-2xl border border-stone-200 bg-white p-4 text-sm">
                        <h3 class="font-semibold">"Delivery to"</h3>
                        <address class="mt-1 not-italic text-stone-700">
                            {address.into_iter().map(|l| view! { <span class="block">{l}</span> }).collect_view()}
                        </address>
                        <a href="/checkout" class="mt-2 inline-block font-semibold text-teal-800 underline">"Change"</a>
                    </div>
                    <div class="rounded-2xl border border-stone-200 bg-white p-4 text-sm">
                        <h3 class="font-semibold">"Delivery"</h3>
                        <p class="mt-1 text-stone-700">{quote.shipping.name.clone()} " · " {quote.shipping.estimate()}</p>
                        <p class="text-stone-700">{step.details.email.to_string()}</p>
                        <a href="/checkout/shipping" class="mt-2 inline-block font-semibold text-teal-800 underline">"Change"</a>
                    </div>
                </div>
            </section>
            <section aria-labelledby="pay-heading" class="md:col-span-2">
                <h2 id="pay-heading" class="text-lg font-bold">"Total"</h2>
                <div class="mt-3 rounded-2xl border border-stone-200 bg-white p-4">
                    <TotalsTable totals=quote.totals coupon=quote.coupon.map(|c| c.code) shipping=quote.shipping.name.clone() tax_name=quote.tax_name.clone() />
                </div>
                {match step.pay_with {
                    PayWith::TestCard => view! { <TestCardForm pay token=step.token.clone() total=quote.totals.total /> }.into_any(),
                    PayWith::Stripe { publishable_key, js_url } => view! {
                        <Script src="/stripe-checkout.js" defer="true" />
                        <StripePay token=step.token.clone() total=quote.totals.total publishable_key js_url
                            refused={crate::form_errors::refused::<StartStripe>()} />
                    }.into_any(),
                }}
            </section>
        </div>
    }
}

/// The test provider's form: a card number from the list decides what happens.
#[component]
fn TestCardForm(pay: ServerAction<Pay>, token: String, total: Money) -> impl IntoView {
    view! {
                <ActionForm action=pay attr:class="mt-4 space-y-4 rounded-2xl border-2 border-dashed border-amber-400 bg-amber-50 p-4">
                    <p class="text-sm font-semibold text-amber-900">"Test payment: no real money moves. For demos and tests only."</p>
                    <input type="hidden" name="token" value=token />
                    <div>
                        <label for="card-number" class=LABEL>"Card number"</label>
                        <input id="card-number" name="card_number" inputmode="numeric" autocomplete="off" required maxlength="40" value="4242 4242 4242 4242" class=INPUT />
                        <ul class="mt-2 space-y-0.5 text-xs text-amber-900">
                            {TEST_CARDS.iter().map(|(n, what)| view! { <li>{format!("{n} {what}")}</li> }).collect_view()}
                        </ul>
                    </div>
                    <button type="submit" class=format!("{BUTTON} w-full")>
                        {format!("Pay {}", total.format())}
                    </button>
                </ActionForm>
    }
}

/// Stripe: "Continue to payment" places the order and opens its PaymentIntent; then
/// Stripe's Payment Element (mounted by `/stripe-checkout.js`) takes the card, and
/// Stripe sends the shopper to `/checkout/return`. An island: the step happens in place.
#[island]
fn StripePay(
    token: String,
    total: Money,
    publishable_key: String,
    js_url: String,
    /// Why the last try (a plain post) was refused, shown until the next.
    refused: Option<crate::error::Shown>,
) -> impl IntoView {
    // Reference-counted, as in every island (see the product panel).
    // Starts as the server rendered it: with the refusal of a plain post, if any.
    let start = ArcAction::new_with_value(refused.map(Err), |input: &StartStripe| {
        <StartStripe as leptos::server_fn::ServerFn>::run_on_client(input.clone())
    });
    Effect::new({
        let start = start.clone();
        move |_| {
            if let Some(Ok(StripeStep::Done { page })) = start.value().get() {
                let _ = window().location().assign(&page);
            }
        }
    });
    let pay_label = format!("Pay {}", total.format());
    let (value, pending) = (start.value(), start.pending());
    let refused = value.clone();
    let step = move || {
        match value.get() {
        Some(Ok(StripeStep::Pay { client_secret, return_url })) => view! {
            <div data-stripe-payment="" data-publishable-key=publishable_key.clone() data-client-secret=client_secret
                data-return-url=return_url data-js-url=js_url.clone() class="space-y-4">
                <div data-payment-element="" class="min-h-40">
                    <p data-stripe-loading="" class="text-sm text-stone-600">"Loading the secure card form…"</p>
                </div>
                <p data-stripe-message="" role="alert" class="text-sm font-semibold text-red-700"></p>
                <button type="button" data-stripe-pay="" class=format!("{BUTTON} w-full")>{pay_label.clone()}</button>
                <p class="text-xs text-stone-600">"Card details go straight to Stripe; this shop never sees them."</p>
            </div>
        }.into_any(),
        _ => {
            let token = token.clone();
            let sent = token.clone();
            // Sent from here, not through `ActionForm`: see the product page's add to
            // cart.
            let submit = {
                let start = start.clone();
                move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    start.dispatch(StartStripe { token: sent.clone() });
                }
            };
            let (busy, label) = (pending.clone(), pending.clone());
            view! {
            <form action={<StartStripe as leptos::server_fn::ServerFn>::url()} method="post" on:submit=submit>
                <input type="hidden" name="token" value=token />
                <button type="submit" class=format!("{BUTTON} w-full") disabled=move || busy.get()>
                    {move || if label.get() { "Preparing payment…" } else { "Continue to payment" }}
                </button>
                <p class="mt-2 text-center text-xs text-stone-600">"You'll enter your card on the next step, securely with Stripe."</p>
            </form>
            }.into_any()
        }
    }
    };
    view! {
        <div class="mt-4 space-y-4 rounded-2xl border border-stone-200 bg-white p-4">
            <noscript>
                <p class="text-sm text-red-700">"Paying by card needs JavaScript. Turn it on and reload this page; your cart is kept."</p>
            </noscript>
            {step}
            {move || refused.get().and_then(Result::err).map(|e| view! {
                <p role="alert" class="rounded-xl bg-rose-50 px-4 py-3 text-sm font-medium text-rose-800">{e.message}</p>
            })}
        </div>
    }
}

/// `/checkout/return`: where Stripe sends the shopper after paying.
#[component]
pub fn ReturnPage() -> impl IntoView {
    let query = use_query_map();
    let data = Resource::new(
        move || {
            query.with(|q| {
                (
                    q.get("payment_intent").unwrap_or_default(),
                    q.get("payment_intent_client_secret").unwrap_or_default(),
                )
            })
        },
        |(intent, secret)| finish_stripe(intent, secret),
    );
    view! {
        <PageTitle text="Checkout: payment" />
        <Meta name="robots" content="noindex" />
        <div class=PAGE>
            <h1 class="text-3xl font-bold tracking-tight">"Payment"</h1>
            {loaded(data, |returned| match returned {
                ReturnView::Paid { page } => view! { <Redirect path=page /> }.into_any(),
                ReturnView::Processing { page } => view! {
                    <div class="mt-6 rounded-2xl border border-stone-200 bg-white p-6">
                        <p class="text-stone-700">"Your bank is still confirming the payment. We'll email you as soon as it's through; there is no need to pay again."</p>
                        <a href=page class="mt-4 inline-block font-semibold text-teal-800 underline">"See your order"</a>
                    </div>
                }.into_any(),
                ReturnView::Unknown => view! {
                    <div class="mt-6 rounded-2xl border border-stone-200 bg-white p-6">
                        <p class="text-stone-700">"We couldn't find that payment. If you paid, the confirmation mail has a link to your order; otherwise go back to your checkout, where nothing has been charged."</p>
                        <a href="/checkout/review" class="mt-4 inline-block rounded-full bg-teal-700 px-6 py-3 text-sm font-semibold text-white hover:bg-teal-800">"Back to review and pay"</a>
                    </div>
                }.into_any(),
                ReturnView::NotPaid { why } => view! {
                    <div class="mt-6 rounded-2xl border border-red-200 bg-red-50 p-6" role="alert">
                        <p class="text-red-800">{why.to_string()}</p>
                        <a href="/checkout/review" class="mt-4 inline-block rounded-full bg-teal-700 px-6 py-3 text-sm font-semibold text-white hover:bg-teal-800">"Back to review and pay"</a>
                    </div>
                }.into_any(),
            })}
        </div>
    }
}
