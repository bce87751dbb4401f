//! `/checkout`: contact and addresses.

use super::{load_details, DetailsStep, SaveDetails, Steps};
use crate::components::form::{action_error, Outcome, TextField, BUTTON};
use crate::components::PageTitle;
use crate::components::{loaded, AddressFields};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;

pub(super) const PAGE: &str = "mx-auto max-w-3xl px-4 py-8";

#[component]
pub fn DetailsPage() -> impl IntoView {
    let query = use_query_map();
    let use_address = move || {
        query
            .read()
            .get("use")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let data = Resource::new(use_address, load_details);
    view! {
        <PageTitle text="Checkout: your details" />
        <Meta name="robots" content="noindex" />
        <div class=PAGE>
            <h1 class="text-3xl font-bold tracking-tight">"Checkout"</h1>
            <div class="mt-4"><Steps current=1 /></div>
            {loaded(data, |step| view! { <DetailsForm step /> })}
        </div>
    }
}

#[component]
fn DetailsForm(step: DetailsStep) -> impl IntoView {
    if step.cart_empty {
        return view! {
            <div class="mt-8 rounded-2xl border border-dashed border-stone-300 bg-white p-10 text-center">
                <p class="text-lg font-semibold">"Your cart is empty."</p>
                <a href="/search" class="mt-4 inline-block rounded-full bg-teal-700 px-6 py-3 text-sm font-semibold text-white">"Browse the shop"</a>
            </div>
        }
        .into_any();
    }
    let save = ServerAction::<SaveDetails>::new();
    let outcome: Signal<Outcome<()>> = save.value().into();
    let saved = (!step.saved.is_empty()).then(|| {
        view! {
            <section aria-labelledby="saved-heading" class="sm:col-span-2">
                <h2 id="saved-heading" class="text-sm font-semibold text-stone-800">"Ship to a saved address"</h2>
                <ul class="mt-2 flex flex-wrap gap-2">
                    {step.saved.iter().map(|a| {
                        let label = a.address.lines().into_iter().take(3).collect::<Vec<_>>().join(", ");
                        view! {
                            <li>
                                <a href=format!("/checkout?use={}", a.id) class="block rounded-xl border border-stone-300 bg-white px-3 py-2 text-sm hover:border-teal-600">{label}</a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        }
    });
    // A post that came back with errors says what it asked for.
    let differs = crate::form_errors::ticked("billing_differs", "name", step.billing.is_some());
    let billing = step.billing.unwrap_or_default();
    view! {
        <ActionForm action=save attr:class="mt-8 grid gap-5 sm:grid-cols-2" attr:novalidate=true>
            <div class="sm:col-span-2">{action_error(save.value())}</div>
            <div class="sm:col-span-2">
                <TextField name="email" label="Email" value=step.email kind="email" autocomplete="email" required=true maxlength=254 hint="For the order confirmation. No account needed." outcome />
            </div>
            {saved}
            <h2 class="text-lg font-bold sm:col-span-2">"Delivery address"</h2>
            <AddressFields input=step.shipping outcome />
            <details class="sm:col-span-2 rounded-xl border border-stone-200 bg-white p-4" open=differs>
                <summary class="cursor-pointer text-sm font-semibold">"Billing address (if different)"</summary>
                <label class="mt-3 flex items-center gap-3 text-sm font-medium">
                    <input type="checkbox" name="billing_differs" value="on" checked=differs class="h-5 w-5 rounded border-stone-300" />
                    "Bill to a different address"
                </label>
                <div class="mt-4 grid gap-5 sm:grid-cols-2">
                    <AddressFields prefix="billing_" input=billing outcome />
                </div>
            </details>
            <div class="sm:col-span-2">
                <button type="submit" class=BUTTON>"Continue to delivery"</button>
            </div>
        </ActionForm>
    }
    .into_any()
}
