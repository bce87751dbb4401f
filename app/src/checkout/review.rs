//! `/checkout/review`: everything that will be charged, and the payment.

use super::details::PAGE;
use super::{load_review, BackToStart, Pay, ReviewStep, Steps};
use crate::components::form::{action_error, BUTTON, INPUT, LABEL};
use crate::components::loaded;
use crate::orders::TotalsTable;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use mercato::payments::TEST_CARDS;

#[component]
pub fn ReviewPage() -> impl IntoView {
    let pay = ServerAction::<Pay>::new();
    // Paid: the cart is empty now, and the header's count says so.
    let cart = crate::cart::cart_version();
    Effect::new(move |_| {
        if matches!(pay.value().get(), Some(Ok(()))) {
            cart.update(|v| *v += 1);
        }
    });
    // A refused payment may mean the cart changed: the review loads again after each try.
    let data = Resource::new(move || pay.version().get(), |_| load_review());
    view! {
        <Title text="Checkout: review and pay" />
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
                <ActionForm action=pay attr:class="mt-4 space-y-4 rounded-2xl border-2 border-dashed border-amber-400 bg-amber-50 p-4">
                    <p class="text-sm font-semibold text-amber-900">"Test payment: no real money moves. For demos and tests only."</p>
                    <input type="hidden" name="token" value=step.token />
                    <div>
                        <label for="card-number" class=LABEL>"Card number"</label>
                        <input id="card-number" name="card_number" inputmode="numeric" autocomplete="off" required maxlength="40" value="4242 4242 4242 4242" class=INPUT />
                        <ul class="mt-2 space-y-0.5 text-xs text-amber-900">
                            {TEST_CARDS.iter().map(|(n, what)| view! { <li>{format!("{n} {what}")}</li> }).collect_view()}
                        </ul>
                    </div>
                    <button type="submit" class=format!("{BUTTON} w-full") disabled=move || pay.pending().get()>
                        {format!("Pay {}", quote.totals.total.format())}
                    </button>
                </ActionForm>
            </section>
        </div>
    }
}
