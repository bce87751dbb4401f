//! `/checkout/shipping`: how the order travels.

use super::details::PAGE;
use super::{load_shipping, BackToStart, ChooseShipping, ShippingStep, Steps};
use crate::components::form::{action_error, BUTTON};
use crate::components::loaded;
use crate::components::PageTitle;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Meta;
use mercato::accounts::address::country_name;

#[component]
pub fn ShippingPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_shipping());
    view! {
        <PageTitle text="Checkout: delivery" />
        <Meta name="robots" content="noindex" />
        <div class=PAGE>
            <h1 class="text-3xl font-bold tracking-tight">"Checkout"</h1>
            <div class="mt-4"><Steps current=2 /></div>
            {loaded(data, |step| match step {
                Some(step) => view! { <Options step /> }.into_any(),
                None => view! { <BackToStart /> }.into_any(),
            })}
        </div>
    }
}

#[component]
fn Options(step: ShippingStep) -> impl IntoView {
    let country = country_name(&step.country)
        .unwrap_or("your country")
        .to_owned();
    if step.options.is_empty() {
        return view! {
            <div role="alert" class="mt-8 rounded-2xl bg-amber-50 p-6 text-amber-900">
                <p>{format!("Sorry, we don't deliver to {country} yet.")}</p>
                <a href="/checkout" class="mt-3 inline-block font-semibold underline">"Change the address"</a>
            </div>
        }
        .into_any();
    }
    let choose = ServerAction::<ChooseShipping>::new();
    view! {
        <ActionForm action=choose attr:class="mt-8 space-y-5">
            {action_error(choose.value())}
            <fieldset>
                <legend class="text-lg font-bold">{format!("Delivery to {country}")}</legend>
                <div class="mt-4 space-y-3">
                    {step.options.into_iter().map(|o| {
                        let id = format!("rate-{}", o.id);
                        let price = if o.price.is_zero() { "Free".to_owned() } else { o.price.format() };
                        let free = o.free_over.map(|f| format!("Free from {}", f.format()));
                        view! {
                            <label for=id.clone() class="flex cursor-pointer items-start gap-4 rounded-2xl border border-stone-200 bg-white p-4 has-[:checked]:border-teal-600 has-[:checked]:ring-2 has-[:checked]:ring-teal-600/30">
                                <input id=id.clone() type="radio" name="rate" value=o.id checked=step.chosen == Some(o.id) required class="mt-1 h-5 w-5 text-teal-700" />
                                <span class="flex-1">
                                    <span class="block font-semibold">{o.name.clone()}</span>
                                    <span class="block text-sm text-stone-600">{o.estimate()}</span>
                                    {free.map(|f| view! { <span class="block text-sm text-teal-800">{f}</span> })}
                                </span>
                                <span class="font-semibold">{price}</span>
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <button type="submit" class=BUTTON>"Continue to review"</button>
        </ActionForm>
    }
    .into_any()
}
