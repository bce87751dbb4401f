//! An address's fields, for the address book and both checkout addresses.

use crate::components::form::{Outcome, TextField, INPUT, LABEL};
use crate::error::AppError;
use leptos::prelude::*;
use mercato::accounts::address::{AddressInput, COUNTRIES};

/// The fields of an address, named `<prefix><field>` (`billing_city`), each with its
/// message from the last outcome. The phone is asked for only without a prefix.
#[component]
pub fn AddressFields(
    #[prop(optional)] prefix: &'static str,
    input: AddressInput,
    outcome: Signal<Outcome<()>>,
) -> impl IntoView {
    let name = move |f: &str| format!("{prefix}{f}");
    let country = name("country");
    let country_id = format!("field-{country}");
    let error = move || {
        outcome
            .get()
            .and_then(Result::err)
            .and_then(|e: AppError| e.field(&format!("{prefix}country")))
    };
    let selected = crate::form_errors::kept(&country).unwrap_or_else(|| input.country.clone());
    view! {
        <div class="sm:col-span-2">
            <TextField name=name("name") label="Full name" value=input.name autocomplete="name" required=true maxlength=100 outcome />
        </div>
        <div class="sm:col-span-2">
            <TextField name=name("line1") label="Street address" value=input.line1 autocomplete="address-line1" required=true outcome />
        </div>
        <div class="sm:col-span-2">
            <TextField name=name("line2") label="Flat, floor, building" value=input.line2 autocomplete="address-line2" outcome />
        </div>
        <TextField name=name("city") label="Town or city" value=input.city autocomplete="address-level2" required=true maxlength=100 outcome />
        <TextField name=name("region") label="State or province" value=input.region autocomplete="address-level1" maxlength=100 hint="Needed in the United States, Canada and Australia: its code or name, such as CA or California." outcome />
        <TextField name=name("postal_code") label="Postcode" value=input.postal_code autocomplete="postal-code" required=true maxlength=20 outcome />
        <div>
            <label for=country_id.clone() class=LABEL>"Country"</label>
            <select id=country_id name=country autocomplete="country" required
                aria-invalid=move || error().is_some().to_string() class=INPUT>
                <option value="" selected=selected.is_empty()>"Choose…"</option>
                {COUNTRIES.iter().map(|(code, label)| view! {
                    <option value=*code selected=selected == *code>{*label}</option>
                }).collect_view()}
            </select>
            {move || error().map(|e| view! { <p class="mt-1 text-sm font-medium text-rose-700">{e}</p> })}
        </div>
        {prefix.is_empty().then(|| view! {
            <div class="sm:col-span-2">
                <TextField name="phone" label="Phone" value=input.phone kind="tel" autocomplete="tel" maxlength=40 hint="For the courier, only if a delivery needs it." outcome />
            </div>
        })}
    }
}
