//! `/admin/settings/shipping`: the zones the shop ships to, each with its countries and
//! rates; `/admin/settings/tax`: whether prices include tax, and the tax rate of each
//! destination. Each page lists everything and opens one form at a time from its
//! address (`?zone=3`, `?rate=new&zone=3`, `?rate=7`), so the lists stay links and
//! every form works without JavaScript. The rules are `mercato::checkout::rates`.

use super::{AdminHeader, DataTable, BADGE, CARD};
use crate::components::form::{
    action_error, field_message, Outcome, SelectField, TextField, BUTTON, SECONDARY,
};
use crate::components::loaded;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use mercato::accounts::address::{country_name, COUNTRIES};
use mercato::checkout::rates::{
    Rate, RateForm, ShippingSettings, TaxForm, TaxRateRow, TaxSettings, Zone, SHIPPING_PATH,
    TAX_PATH,
};
use std::collections::BTreeMap;

#[cfg(feature = "ssr")]
use mercato::admin::Permission;

/// Zones and their rates.
#[server(prefix = "/api", endpoint = "admin/settings/shipping")]
pub async fn load_shipping() -> Result<ShippingSettings, AppError> {
    let staff = crate::accounts::require_permission(Permission::Settings).await?;
    let shop = crate::state::state()?;
    Ok(mercato::checkout::rates::shipping(&shop.pool, &staff, shop.currency).await?)
}

/// Adds a zone (no `id`) or saves zone `id` opened at `version`: its `name` and the
/// countries ticked (`countries[DE]=on`).
#[server(prefix = "/api", endpoint = "admin/settings/shipping/zone")]
pub async fn save_zone(
    #[server(default)] id: String,
    #[server(default)] version: String,
    #[server(default)] name: String,
    #[server(default)] countries: BTreeMap<String, String>,
) -> Result<i64, AppError> {
    let staff = crate::accounts::require_permission(Permission::Settings).await?;
    let opened = super::opened_record(&id, &version)?;
    let draft =
        mercato::checkout::rates::ZoneDraft::parse(&name, countries.keys().map(String::as_str))
            .map_err(mercato::Error::Fields)?;
    let pool = crate::state::pool()?;
    let zone = mercato::checkout::rates::save_zone(&pool, &staff, opened, &draft).await?;
    crate::session::flash_and_go(
        format!(
            "Saved the zone {}: checkouts from now on ship by it.",
            draft.name
        ),
        SHIPPING_PATH,
    )
    .await?;
    Ok(zone)
}

/// Adds a rate to zone `zone` (no `id`) or saves rate `id` opened at `version`.
#[server(prefix = "/api", endpoint = "admin/settings/shipping/rate")]
pub async fn save_rate(
    #[server(default)] id: String,
    #[server(default)] version: String,
    #[server(default)] zone: String,
    #[server(flatten)] form: RateForm,
) -> Result<i64, AppError> {
    let staff = crate::accounts::require_permission(Permission::Settings).await?;
    let opened = super::opened_record(&id, &version)?;
    let zone: i64 = zone.trim().parse().map_err(|_| {
        AppError::BadRequest("The form lacks the rate's zone: reload the page.".to_owned())
    })?;
    let shop = crate::state::state()?;
    let draft = mercato::checkout::rates::RateDraft::parse(&form, shop.currency)
        .map_err(mercato::Error::Fields)?;
    let rate =
        mercato::checkout::rates::save_rate(&shop.pool, &staff, zone, opened, &draft).await?;
    crate::session::flash_and_go(
        format!(
            "Saved the rate {}: checkouts from now on are offered it as saved; placed orders keep what they paid.",
            draft.name
        ),
        SHIPPING_PATH,
    )
    .await?;
    Ok(rate)
}

/// A deletion's record and the version its page showed.
#[cfg(feature = "ssr")]
fn shown(id: &str, version: &str) -> Result<(i64, i32), AppError> {
    super::opened_record(id, version)?.ok_or_else(|| {
        AppError::BadRequest("The form lacks what to delete: reload the page.".to_owned())
    })
}

/// Deletes zone (`what` = `zone`) or rate (`rate`) `id`, if still at `version`, once
/// `confirm` is ticked.
#[server(prefix = "/api", endpoint = "admin/settings/shipping/delete")]
pub async fn delete_shipping(
    #[server(default)] what: String,
    #[server(default)] id: String,
    #[server(default)] version: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Settings).await?;
    let id = shown(&id, &version)?;
    super::confirmed(&confirm, "you understand what deleting it changes")?;
    let shop = crate::state::state()?;
    let message = match what.as_str() {
        "zone" => {
            let name = mercato::checkout::rates::delete_zone(&shop.pool, &staff, id).await?;
            format!("Deleted the zone {name} and its rates. Placed orders keep their shipping.")
        }
        "rate" => {
            let name = mercato::checkout::rates::delete_rate(&shop.pool, &staff, id, shop.currency)
                .await?;
            format!("Deleted the rate {name}. Placed orders keep their shipping.")
        }
        _ => return Err(AppError::BadRequest("delete a zone or a rate".to_owned())),
    };
    crate::session::flash_and_go(message, SHIPPING_PATH).await
}

/// Whether prices include tax, and the tax rates.
#[server(prefix = "/api", endpoint = "admin/settings/tax")]
pub async fn load_tax() -> Result<TaxSettings, AppError> {
    let staff = crate::accounts::require_permission(Permission::Settings).await?;
    let pool = crate::state::pool()?;
    Ok(mercato::checkout::rates::tax(&pool, &staff).await?)
}

/// Sets whether catalog prices include tax (`included`) or tax is added (`added`).
#[server(prefix = "/api", endpoint = "admin/settings/tax/included")]
pub async fn save_prices_include_tax(
    #[server(default)] prices_include_tax: String,
) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Settings).await?;
    let included = mercato::checkout::rates::parse_prices_include_tax(&prices_include_tax)?;
    let pool = crate::state::pool()?;
    mercato::checkout::rates::set_prices_include_tax(&pool, &staff, included).await?;
    crate::session::flash_and_go(
        if included {
            "Saved: prices include tax. Checkouts from now on show the tax inside the total."
        } else {
            "Saved: tax is added to prices. Checkouts from now on add it at the end."
        },
        TAX_PATH,
    )
    .await
}

/// Adds a tax rate (no `id`) or saves rate `id` opened at `version`.
#[server(prefix = "/api", endpoint = "admin/settings/tax/rate")]
pub async fn save_tax_rate(
    #[server(default)] id: String,
    #[server(default)] version: String,
    #[server(flatten)] form: TaxForm,
) -> Result<i64, AppError> {
    let staff = crate::accounts::require_permission(Permission::Settings).await?;
    let opened = super::opened_record(&id, &version)?;
    let draft = mercato::checkout::rates::TaxDraft::parse(&form).map_err(mercato::Error::Fields)?;
    let pool = crate::state::pool()?;
    let rate = mercato::checkout::rates::save_tax_rate(&pool, &staff, opened, &draft).await?;
    crate::session::flash_and_go(
        format!(
            "Saved {}: {} at {} %. Checkouts from now on charge it; placed orders keep their tax.",
            draft.destination(),
            draft.name,
            draft.rate
        ),
        TAX_PATH,
    )
    .await?;
    Ok(rate)
}

/// Deletes tax rate `id`, if still at `version`, once `confirm` is ticked.
#[server(prefix = "/api", endpoint = "admin/settings/tax/delete")]
pub async fn delete_tax_rate(
    #[server(default)] id: String,
    #[server(default)] version: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Settings).await?;
    let id = shown(&id, &version)?;
    super::confirmed(&confirm, "you understand what deleting it changes")?;
    let pool = crate::state::pool()?;
    let destination = mercato::checkout::rates::delete_tax_rate(&pool, &staff, id).await?;
    crate::session::flash_and_go(
        format!("Deleted the tax rate of {destination}. Placed orders keep their tax."),
        TAX_PATH,
    )
    .await
}

/// A small link that opens a form on this page.
const EDIT_LINK: &str = "font-semibold text-teal-800 underline-offset-4 hover:underline";

/// The link between the two settings pages.
#[component]
fn SettingsTabs(current: &'static str) -> impl IntoView {
    let tab = |label: &'static str, href: &'static str| {
        view! {
            <a href=href aria-current=(href == current).then_some("page")
                class="rounded-full px-4 py-1.5 text-sm font-semibold text-stone-700 hover:bg-stone-200 aria-[current=page]:bg-stone-900 aria-[current=page]:text-white">
                {label}
            </a>
        }
    };
    view! {
        <nav aria-label="Settings" class="mt-3 flex gap-2">
            {tab("Shipping", SHIPPING_PATH)}
            {tab("Tax", TAX_PATH)}
        </nav>
    }
}

/// `/admin/settings/shipping[?zone=…|?rate=…&zone=…]`
#[component]
pub fn ShippingSettingsPage() -> impl IntoView {
    let args = super::url_params(["zone", "rate"]);
    let settings = Resource::new(|| (), |_| load_shipping());
    view! {
        <AdminHeader title="Shipping" />
        <SettingsTabs current=SHIPPING_PATH />
        <p class="mt-3 max-w-3xl text-sm text-stone-600">"Each zone is a set of countries with the ways to ship there. A change applies to checkouts priced after it: a shopper reviewing their order when its total changes is asked to review it again, and placed orders keep the shipping they paid."</p>
        {loaded(settings, move |settings| {
            let [zone, rate] = args();
            view! { <Shipping settings zone rate /> }
        })}
    }
}

#[component]
fn Shipping(
    settings: ShippingSettings,
    zone: Option<String>,
    rate: Option<String>,
) -> impl IntoView {
    let find_zone = |id: &str| {
        settings
            .zones
            .iter()
            .find(|z| z.id.to_string() == id)
            .cloned()
    };
    let open = match (zone.as_deref(), rate.as_deref()) {
        (_, Some("new")) => zone
            .as_deref()
            .and_then(find_zone)
            .map(|z| view! { <RateEditor zone_id=z.id zone_name=z.name rate=None currency=settings.currency /> }.into_any()),
        (_, Some(id)) => settings.zones.iter().find_map(|z| {
            z.rates
                .iter()
                .find(|r| r.id.to_string() == id)
                .map(|r| view! { <RateEditor zone_id=z.id zone_name=z.name.clone() rate=Some(r.clone()) currency=settings.currency /> }.into_any())
        }),
        (Some("new"), None) => Some(view! { <ZoneEditor zone=None zones=settings.zones.clone() /> }.into_any()),
        (Some(id), None) => find_zone(id)
            .map(|z| view! { <ZoneEditor zone=Some(z) zones=settings.zones.clone() /> }.into_any()),
        (None, None) => None,
    };
    // A link to something deleted since: say so rather than open nothing.
    let gone = (open.is_none() && (zone.is_some() || rate.is_some())).then(|| view! {
        <p role="alert" class="mt-4 rounded-xl bg-amber-50 px-4 py-3 text-sm font-medium text-amber-900">
            "That zone or rate no longer exists: someone may have deleted it. The list below is as it is now."
        </p>
    });
    view! {
        {gone}
        {open}
        <p class="mt-5 flex flex-wrap items-center justify-between gap-3">
            <span class="text-sm text-stone-600" data-testid="unzoned">
                {if settings.unzoned.is_empty() {
                    "Every country the shop knows is in a zone.".to_owned()
                } else {
                    format!("Not shipped to (in no zone): {}.", settings.unzoned.join(", "))
                }}
            </span>
            <a href=format!("{SHIPPING_PATH}?zone=new") class=format!("{BUTTON} inline-flex items-center")>"Add a zone"</a>
        </p>
        {if settings.zones.is_empty() {
            view! { <p class=format!("mt-4 {CARD} text-sm text-stone-600")>"No zones yet: shoppers can't check out until a zone ships to their country. Add one."</p> }.into_any()
        } else {
            settings.zones.into_iter().map(|zone| view! { <ZoneCard zone /> }).collect_view().into_any()
        }}
    }
}

#[component]
fn ZoneCard(zone: Zone) -> impl IntoView {
    let heading = format!("zone-{}-heading", zone.id);
    let labelled_by = heading.clone();
    let countries: Vec<&str> = zone
        .countries
        .iter()
        .map(|c| country_name(c).unwrap_or(c))
        .collect();
    let warning = zone.ships_nowhere().then(|| {
        view! {
            <p class="mt-3 text-sm font-medium text-rose-800" data-testid="zone-ships-nowhere">
                {if zone.rates.is_empty() {
                    "No rates: shoppers in these countries can't check out. Add one."
                } else {
                    "No rate is offered: shoppers in these countries can't check out. Offer one."
                }}
            </p>
        }
    });
    let rates = if zone.rates.is_empty() {
        ().into_any()
    } else {
        view! {
            <div class="mt-3">
                <DataTable min_width="min-w-[40rem]" columns=&["Rate", "Price", "Free from", "Delivery", "Offered", ""]>
                    {zone.rates.into_iter().map(|rate| view! { <RateLine rate /> }).collect_view()}
                </DataTable>
            </div>
        }.into_any()
    };
    view! {
        <section aria-labelledby=labelled_by class=format!("mt-4 {CARD}") data-testid="zone">
            <div class="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                <h2 id=heading class="text-lg font-bold">{zone.name.clone()}</h2>
                <span class="flex gap-4 text-sm">
                    <a href=format!("{SHIPPING_PATH}?zone={}", zone.id) class=EDIT_LINK>"Edit zone"<span class="sr-only">{format!(" {}", zone.name)}</span></a>
                    <a href=format!("{SHIPPING_PATH}?rate=new&zone={}", zone.id) class=EDIT_LINK>"Add a rate"<span class="sr-only">{format!(" to {}", zone.name)}</span></a>
                </span>
            </div>
            <p class="mt-1 text-sm text-stone-600" data-testid="zone-countries">{countries.join(", ")}</p>
            {warning}
            {rates}
        </section>
    }
}

#[component]
fn RateLine(rate: Rate) -> impl IntoView {
    let Rate { id, saved, .. } = rate;
    let rate = saved;
    let estimate = rate.estimate();
    view! {
        <tr data-testid="rate-row">
            <th scope="row" class="px-4 py-3 text-left font-semibold">{rate.name.clone()}</th>
            <td class="whitespace-nowrap px-4 py-3 tabular-nums">{rate.price.format()}</td>
            <td class="whitespace-nowrap px-4 py-3 tabular-nums text-stone-600">{rate.free_over.map(|m| m.format()).unwrap_or_else(|| "—".to_owned())}</td>
            <td class="px-4 py-3 text-stone-600">{estimate}</td>
            <td class="px-4 py-3">
                {if rate.active {
                    view! { <span class=format!("{BADGE} bg-teal-50 text-teal-900")>"Offered"</span> }.into_any()
                } else {
                    view! { <span class=format!("{BADGE} bg-stone-200 text-stone-700")>"Switched off"</span> }.into_any()
                }}
            </td>
            <td class="px-4 py-3 text-right"><a href=format!("{SHIPPING_PATH}?rate={id}") class=EDIT_LINK>"Edit"<span class="sr-only">{format!(" {}", rate.name)}</span></a></td>
        </tr>
    }
}

/// The hidden fields of a form opened on an existing record: its id, and the version
/// it was opened at (after a refused save, the version that save carried, so that
/// saving again stays refused until it is opened again).
fn opened_fields(record: Option<(i64, i32)>) -> impl IntoView {
    record.map(|(id, version)| {
        view! {
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="version" value=crate::form_errors::kept("version").unwrap_or_else(|| version.to_string()) />
        }
    })
}

/// The open form's frame: a title, the form, and a way back to the list.
#[component]
fn Editor(title: String, back: &'static str, children: Children) -> impl IntoView {
    view! {
        <section aria-labelledby="editor-heading" class=format!("mt-5 max-w-3xl {CARD} ring-2 ring-teal-600/30") id="editor">
            <div class="flex flex-wrap items-baseline justify-between gap-3">
                <h2 id="editor-heading" class="text-lg font-bold">{title}</h2>
                <a href=back class=EDIT_LINK>"Cancel"</a>
            </div>
            {children()}
        </section>
    }
}

#[component]
fn ZoneEditor(zone: Option<Zone>, zones: Vec<Zone>) -> impl IntoView {
    let save = ServerAction::<SaveZone>::new();
    let outcome: Signal<Outcome<i64>> = save.value().into();
    let (error, described) = field_message(outcome, "countries");
    let own = zone.as_ref().map(|z| z.id);
    let boxes = COUNTRIES
        .iter()
        .map(|(code, name)| {
            let field = format!("countries[{code}]");
            let checked = crate::form_errors::ticked(
                &field,
                "name",
                zone.as_ref().is_some_and(|z| z.countries.iter().any(|c| c == code)),
            );
            let elsewhere = zones
                .iter()
                .find(|z| Some(z.id) != own && z.countries.iter().any(|c| c == code))
                .map(|z| z.name.clone());
            view! {
                <label class="flex items-start gap-2 text-sm">
                    <input type="checkbox" name=field value="on" checked=checked class="mt-0.5 h-4 w-4 accent-teal-700" />
                    <span>
                        {*name}
                        {elsewhere.map(|z| view! { <span class="block text-xs text-stone-500">{format!("in {z}")}</span> })}
                    </span>
                </label>
            }
        })
        .collect_view();
    let title = zone
        .as_ref()
        .map_or_else(|| "New zone".to_owned(), |z| format!("Zone: {}", z.name));
    let record = zone.as_ref().map(|z| (z.id, z.version));
    view! {
        <Editor title back=SHIPPING_PATH>
            <ActionForm action=save attr:class="mt-4 space-y-4" attr:novalidate=true>
                {action_error(save.value())}
                {opened_fields(record)}
                <TextField name="name" label="Name" value=zone.as_ref().map(|z| z.name.clone()).unwrap_or_default() required=true maxlength=100 outcome
                    hint="For staff: shoppers see the rates' names." />
                <fieldset aria-describedby=described>
                    <legend class="text-sm font-semibold text-stone-800">"Countries"</legend>
                    <p class="mt-1 text-xs text-stone-500">"A country ships by one zone: one shown \"in\" another zone must be taken out there first."</p>
                    <div class="mt-2 grid grid-cols-2 gap-2 sm:grid-cols-3">{boxes}</div>
                    {move || error().map(|e| view! { <p id="field-countries-error" class="mt-2 text-sm font-medium text-rose-700">{e}</p> })}
                </fieldset>
                <button type="submit" class=BUTTON>{if record.is_some() { "Save zone" } else { "Add zone" }}</button>
            </ActionForm>
            {record.map(|record| {
                let remove = ServerAction::<DeleteShipping>::new();
                view! {
                    <DeleteBox consequence="Its rates go with it, and its countries are no longer shipped to until another zone takes them. Placed orders keep their shipping.">
                        <ActionForm action=remove attr:class="mt-3 space-y-3" attr:novalidate=true>
                            {delete_fields(remove.value().into(), record, Some("zone"), "I understand shoppers in these countries can't check out until another zone ships there.", "Delete zone")}
                        </ActionForm>
                    </DeleteBox>
                }
            })}
        </Editor>
    }
}

#[component]
fn RateEditor(
    zone_id: i64,
    zone_name: String,
    rate: Option<Rate>,
    currency: mercato::Currency,
) -> impl IntoView {
    let save = ServerAction::<SaveRate>::new();
    let outcome: Signal<Outcome<i64>> = save.value().into();
    let form = rate
        .as_ref()
        .map_or_else(RateForm::new_rate, |r| r.saved.form());
    let record = rate.as_ref().map(|r| (r.id, r.version));
    let title = match &rate {
        Some(r) => format!("Rate: {} ({zone_name})", r.saved.name),
        None => format!("New rate for {zone_name}"),
    };
    let active = crate::form_errors::ticked("active", "name", form.active.is_some());
    view! {
        <Editor title back=SHIPPING_PATH>
            <ActionForm action=save attr:class="mt-4" attr:novalidate=true>
                <div class="mb-4">{action_error(save.value())}</div>
                {opened_fields(record)}
                <input type="hidden" name="zone" value=zone_id />
                <div class="grid gap-4 sm:grid-cols-2">
                    <TextField name="name" label="Name" value=form.name required=true maxlength=100 outcome
                        hint="Shoppers choose by it: Standard, Express." />
                    <TextField name="price" label="Price" value=form.price required=true maxlength=20 outcome
                        hint=format!("In {}; 0 for free shipping.", currency.code()) />
                    <TextField name="free_over" label="Free from" value=form.free_over maxlength=20 outcome
                        hint=format!("In {}: free when the subtotal after discounts reaches this. Empty: never free.", currency.code()) />
                    <div class="hidden sm:block"></div>
                    <TextField name="min_days" label="Arrives in, at the soonest" kind="number" value=form.min_days required=true maxlength=3 outcome
                        hint="Working days." />
                    <TextField name="max_days" label="At the latest" kind="number" value=form.max_days required=true maxlength=3 outcome
                        hint="Working days." />
                </div>
                <label class="mt-4 flex items-start gap-2 text-sm">
                    <input type="checkbox" name="active" value="on" checked=active class="mt-0.5 h-4 w-4 accent-teal-700" />
                    <span>"Offered at checkout"<span class="block text-xs text-stone-500">"Untick to stop offering it without deleting it."</span></span>
                </label>
                <div class="mt-5"><button type="submit" class=BUTTON>{if record.is_some() { "Save rate" } else { "Add rate" }}</button></div>
            </ActionForm>
            {record.map(|record| {
                let remove = ServerAction::<DeleteShipping>::new();
                view! {
                    <DeleteBox consequence="Shoppers who chose it are asked to choose again. Placed orders keep their shipping.">
                        <ActionForm action=remove attr:class="mt-3 space-y-3" attr:novalidate=true>
                            {delete_fields(remove.value().into(), record, Some("rate"), "I understand shoppers can no longer choose this rate.", "Delete rate")}
                        </ActionForm>
                    </DeleteBox>
                }
            })}
        </Editor>
    }
}

/// A deletion's frame: what it changes, then its form (`children`).
#[component]
fn DeleteBox(consequence: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="mt-6 border-t border-stone-200 pt-4">
            <h3 class="font-semibold text-rose-900">"Delete"</h3>
            <p class="mt-1 text-sm text-stone-600">{consequence}</p>
            {children()}
        </div>
    }
}

/// A deletion form's fields: the record at the version shown, what it is (`what`, for
/// the shipping deletion), the box to tick (`confirm`) and the button.
fn delete_fields(
    outcome: Signal<Outcome<()>>,
    record: (i64, i32),
    what: Option<&'static str>,
    confirm: &'static str,
    button: &'static str,
) -> impl IntoView {
    view! {
        {move || outcome.get().and_then(Result::err).filter(|e| e.field("confirm").is_none()).map(|e| view! {
            <p role="alert" class="rounded-xl bg-rose-50 px-4 py-3 text-sm font-medium text-rose-800">{e.to_string()}</p>
        })}
        {opened_fields(Some(record))}
        {what.map(|what| view! { <input type="hidden" name="what" value=what /> })}
        {super::confirm_box(outcome, confirm)}
        <button type="submit" class=format!("{SECONDARY} border-rose-300 text-rose-800 hover:bg-rose-50")>{button}</button>
    }
}

/// `/admin/settings/tax[?rate=…]`
#[component]
pub fn TaxSettingsPage() -> impl IntoView {
    let args = super::url_params(["rate"]);
    let settings = Resource::new(|| (), |_| load_tax());
    view! {
        <AdminHeader title="Tax" />
        <SettingsTabs current=TAX_PATH />
        {loaded(settings, move |settings| {
            let [rate] = args();
            view! { <Tax settings rate /> }
        })}
    }
}

#[component]
fn Tax(settings: TaxSettings, rate: Option<String>) -> impl IntoView {
    let open = match rate.as_deref() {
        Some("new") => Some(view! { <TaxEditor rate=None /> }.into_any()),
        Some(id) => settings
            .rates
            .iter()
            .find(|r| r.id.to_string() == id)
            .map(|r| view! { <TaxEditor rate=Some(r.clone()) /> }.into_any()),
        None => None,
    };
    let gone = (open.is_none() && rate.is_some()).then(|| view! {
        <p role="alert" class="mt-4 rounded-xl bg-amber-50 px-4 py-3 text-sm font-medium text-amber-900">
            "That tax rate no longer exists: someone may have deleted it. The list below is as it is now."
        </p>
    });
    let rows = settings
        .rates
        .into_iter()
        .map(|r| {
            let destination = r.destination();
            view! {
                <tr data-testid="tax-row">
                    <th scope="row" class="px-4 py-3 text-left font-semibold">{destination.clone()}</th>
                    <td class="px-4 py-3">{r.name.clone()}</td>
                    <td class="whitespace-nowrap px-4 py-3 tabular-nums">{format!("{} %", r.rate.normalize())}</td>
                    <td class="px-4 py-3 text-right"><a href=format!("{TAX_PATH}?rate={}", r.id) class=EDIT_LINK>"Edit"<span class="sr-only">{format!(" {destination}")}</span></a></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {gone}
        {open}
        <PricesIncludeTax included=settings.prices_include_tax />
        <section aria-labelledby="tax-rates-heading" class=format!("mt-5 {CARD}")>
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h2 id="tax-rates-heading" class="text-lg font-bold">"Tax rates"</h2>
                <a href=format!("{TAX_PATH}?rate=new") class=format!("{BUTTON} inline-flex items-center")>"Add a tax rate"</a>
            </div>
            <p class="mt-1 max-w-3xl text-sm text-stone-600">"A region's rate, where it has one, is charged instead of its country's; a destination without a rate is charged no tax. Changes apply to checkouts priced after them; placed orders keep the tax they were charged."</p>
            <div class="mt-3">
                <DataTable min_width="min-w-[32rem]" columns=&["Where", "Tax", "Rate", ""]>{rows}</DataTable>
            </div>
        </section>
    }
}

/// The one choice about how prices are read.
#[component]
fn PricesIncludeTax(included: bool) -> impl IntoView {
    let save = ServerAction::<SavePricesIncludeTax>::new();
    let included = match crate::form_errors::kept("prices_include_tax").as_deref() {
        Some("included") => true,
        Some("added") => false,
        _ => included,
    };
    let choice = |value: &'static str, checked: bool, label: &'static str, hint: &'static str| {
        view! {
            <label class="flex items-start gap-2 rounded-xl border border-stone-200 p-3 text-sm has-[:checked]:border-teal-600 has-[:checked]:bg-teal-50/50">
                <input type="radio" name="prices_include_tax" value=value checked=checked class="mt-0.5 h-4 w-4 accent-teal-700" />
                <span><span class="font-semibold">{label}</span><span class="block text-stone-600">{hint}</span></span>
            </label>
        }
    };
    view! {
        <section aria-labelledby="included-heading" class=format!("mt-5 {CARD}")>
            <h2 id="included-heading" class="text-lg font-bold">"Prices"</h2>
            <ActionForm action=save attr:class="mt-3 space-y-3">
                {action_error(save.value())}
                <fieldset class="grid gap-3 sm:grid-cols-2">
                    <legend class="sr-only">"Catalog prices"</legend>
                    {choice("included", included, "Prices include tax", "A price is what the shopper pays; checkout shows the tax inside the total.")}
                    {choice("added", !included, "Prices exclude tax", "Tax is added at checkout, at the destination's rate.")}
                </fieldset>
                <p class="text-xs text-stone-500">"Switching changes the total of every checkout priced after it (where the destination has a tax rate); placed orders keep theirs."</p>
                <button type="submit" class=SECONDARY>"Save"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn TaxEditor(rate: Option<TaxRateRow>) -> impl IntoView {
    let save = ServerAction::<SaveTaxRate>::new();
    let outcome: Signal<Outcome<i64>> = save.value().into();
    let form = rate.as_ref().map(TaxRateRow::form).unwrap_or_default();
    let record = rate.as_ref().map(|r| (r.id, r.version));
    let title = rate.as_ref().map_or_else(
        || "New tax rate".to_owned(),
        |r| format!("Tax rate: {}", r.destination()),
    );
    let mut countries = vec![(String::new(), "Choose a country".to_owned())];
    countries.extend(
        COUNTRIES
            .iter()
            .map(|(code, name)| ((*code).to_owned(), (*name).to_owned())),
    );
    view! {
        <Editor title back=TAX_PATH>
            <ActionForm action=save attr:class="mt-4" attr:novalidate=true>
                <div class="mb-4">{action_error(save.value())}</div>
                {opened_fields(record)}
                <div class="grid gap-4 sm:grid-cols-2">
                    <SelectField name="country" label="Country" options=countries selected=form.country outcome />
                    <TextField name="region" label="Region" value=form.region maxlength=60 outcome
                        hint=format!("A state or province (code or name) of {}. Empty: the whole country.", mercato::checkout::rates::countries_with_regions()) />
                    <TextField name="name" label="Tax name" value=form.name required=true maxlength=60 outcome
                        hint="As the order shows it: VAT, GST, Sales tax." />
                    <TextField name="rate" label="Rate (%)" value=form.rate required=true maxlength=10 outcome
                        hint="Such as 21 or 7.25; 0 for none." />
                </div>
                <div class="mt-5"><button type="submit" class=BUTTON>{if record.is_some() { "Save tax rate" } else { "Add tax rate" }}</button></div>
            </ActionForm>
            {record.map(|record| {
                let remove = ServerAction::<DeleteTaxRate>::new();
                view! {
                    <DeleteBox consequence="Checkouts to this destination are then charged the country's rate, if this is a region's and the country has one; otherwise no tax. Regions with rates of their own keep them. Placed orders keep their tax.">
                        <ActionForm action=remove attr:class="mt-3 space-y-3" attr:novalidate=true>
                            {delete_fields(remove.value().into(), record, None, "I understand this destination's tax changes for new checkouts.", "Delete tax rate")}
                        </ActionForm>
                    </DeleteBox>
                }
            })}
        </Editor>
    }
}
