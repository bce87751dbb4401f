//! The address book: `/account/addresses`, and the form to add or change an address.

use super::password::SignInFirst;
use super::{load_address, load_addresses, DeleteAddress, MakeDefaultAddress, SaveAddress};
use crate::components::form::{action_error, Outcome, BUTTON, SECONDARY};
use crate::components::PageTitle;
use crate::components::{loaded, AddressFields};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::use_params_map;
use mercato::accounts::address::{AddressInput, SavedAddress};

const PAGE: &str = "mx-auto max-w-3xl px-4 py-12";

fn back_to_account() -> impl IntoView {
    view! { <p><a href="/account" class="text-sm font-semibold text-teal-800 underline">"← Your account"</a></p> }
}

/// A guest gets the sign-in prompt instead of an error page.
pub(super) fn signed_in<T, V: IntoView + 'static>(
    result: Result<T, AppError>,
    page: impl FnOnce(T) -> V,
) -> AnyView {
    match result {
        Ok(value) => page(value).into_any(),
        Err(AppError::SignInRequired) => view! { <SignInFirst /> }.into_any(),
        Err(e) => view! {
            <p role="alert" class="mt-6 rounded-xl bg-rose-50 px-4 py-3 text-sm font-medium text-rose-800">{e.to_string()}</p>
        }
        .into_any(),
    }
}

/// `/account/addresses`
#[component]
pub fn AddressesPage() -> impl IntoView {
    let delete = ServerAction::<DeleteAddress>::new();
    let default = ServerAction::<MakeDefaultAddress>::new();
    let addresses = Resource::new(
        || (),
        |_| async { Ok::<_, AppError>(load_addresses().await) },
    );
    view! {
        <PageTitle text="Your addresses" />
        <Meta name="robots" content="noindex" />
        <div class=PAGE>
            {back_to_account()}
            <div class="mt-2 flex flex-wrap items-end justify-between gap-4">
                <h1 class="text-3xl font-bold tracking-tight">"Your addresses"</h1>
                <a href="/account/addresses/new" class=format!("{BUTTON} inline-flex items-center")>"Add an address"</a>
            </div>
            <div class="mt-4">{action_error(delete.value())} {action_error(default.value())}</div>
            {loaded(addresses, move |result| signed_in(result, move |list: Vec<SavedAddress>| {
                if list.is_empty() {
                    return view! {
                        <p class="mt-8 rounded-2xl border border-dashed border-stone-300 bg-white p-8 text-center text-stone-600">
                            "No addresses yet. Add one and checkout fills it in for you."
                        </p>
                    }
                    .into_any();
                }
                view! {
                    <ul class="mt-8 grid gap-4 sm:grid-cols-2">
                        {list.into_iter().map(|a| view! { <AddressCard saved=a delete default /> }).collect_view()}
                    </ul>
                }
                .into_any()
            }))}
        </div>
    }
}

#[component]
fn AddressCard(
    saved: SavedAddress,
    delete: ServerAction<DeleteAddress>,
    default: ServerAction<MakeDefaultAddress>,
) -> impl IntoView {
    let lines = saved.address.lines();
    let label = lines.first().cloned().unwrap_or_default();
    view! {
        <li class="flex flex-col rounded-2xl border border-stone-200 bg-white p-5 shadow-sm" data-testid="address">
            {saved.is_default.then(|| view! {
                <span class="mb-2 self-start rounded-full bg-teal-50 px-3 py-1 text-xs font-semibold text-teal-800">"Default"</span>
            })}
            <address class="not-italic leading-relaxed text-stone-800">
                {lines.into_iter().map(|l| view! { <span class="block">{l}</span> }).collect_view()}
            </address>
            <div class="mt-4 flex flex-wrap items-center gap-3 border-t border-stone-100 pt-4 text-sm">
                <a href=format!("/account/addresses/{}", saved.id) class="font-semibold text-teal-800 underline">
                    "Edit" <span class="sr-only">" " {label.clone()}</span>
                </a>
                {(!saved.is_default).then(|| view! {
                    <ActionForm action=default>
                        <input type="hidden" name="id" value=saved.id />
                        <button type="submit" class="font-semibold text-teal-800 underline">"Make default"</button>
                    </ActionForm>
                })}
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=saved.id />
                    <button type="submit" class="font-semibold text-rose-700 underline">
                        "Delete" <span class="sr-only">" " {label}</span>
                    </button>
                </ActionForm>
            </div>
        </li>
    }
}

/// `/account/addresses/new`
#[component]
pub fn NewAddressPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| super::load_user());
    view! {
        <PageTitle text="Add an address" />
        <Meta name="robots" content="noindex" />
        <div class=PAGE>
            {back_to_account()}
            <h1 class="mt-2 text-3xl font-bold tracking-tight">"Add an address"</h1>
            {loaded(user, |user| match user {
                Some(_) => view! { <AddressForm id=None input=AddressInput::default() is_default=false /> }.into_any(),
                None => view! { <SignInFirst /> }.into_any(),
            })}
        </div>
    }
}

/// `/account/addresses/:id`
#[component]
pub fn EditAddressPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let address = Resource::new(id, |id| async move {
        Ok::<_, AppError>(match id {
            Some(id) => load_address(id).await,
            None => Err(AppError::NotFound),
        })
    });
    view! {
        <PageTitle text="Change an address" />
        <Meta name="robots" content="noindex" />
        <div class=PAGE>
            {back_to_account()}
            <h1 class="mt-2 text-3xl font-bold tracking-tight">"Change an address"</h1>
            {loaded(address, |result| signed_in(result, |saved: SavedAddress| view! {
                <AddressForm id=Some(saved.id) input=saved.address.to_input() is_default=saved.is_default />
            }))}
        </div>
    }
}

#[component]
fn AddressForm(id: Option<i64>, input: AddressInput, is_default: bool) -> impl IntoView {
    let save = ServerAction::<SaveAddress>::new();
    let outcome: Signal<Outcome<()>> = save.value().into();
    view! {
        <ActionForm action=save attr:class="mt-8 grid gap-5 sm:grid-cols-2" attr:novalidate=true>
            <div class="sm:col-span-2">{action_error(save.value())}</div>
            {id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <AddressFields input outcome />
            {(!is_default).then(|| view! {
                <label class="flex items-center gap-3 text-sm font-medium sm:col-span-2">
                    <input type="checkbox" name="make_default" value="on" class="h-5 w-5 rounded border-stone-300 text-teal-700" />
                    "Use as my default address"
                </label>
            })}
            <div class="flex gap-3 sm:col-span-2">
                <button type="submit" class=BUTTON>"Save address"</button>
                <a href="/account/addresses" class=format!("{SECONDARY} inline-flex items-center")>"Cancel"</a>
            </div>
        </ActionForm>
    }
}
