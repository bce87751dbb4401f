//! `/admin/products/new` and `/admin/products/{id}`: the product editor. Details, status
//! and category, search-engine text, options and the variant table they make, saved
//! as one form with the version it was opened at. The rules (parsing, the matrix, the
//! stale-save refusal) are `mercato::catalog::edit`.

// `save_product` takes the form's fields one argument each, so that they are named as
// on the page; the server macro copies them onto the browser's side too, where an
// allow on the function does not reach.
#![allow(clippy::too_many_arguments)]

use super::{AdminHeader, DataTable};
use crate::components::form::{
    action_error, field_message, Outcome, SelectField, TextArea, TextField, BUTTON, INPUT, LABEL,
    SECONDARY,
};
use crate::components::loaded;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
#[cfg(feature = "ssr")]
use mercato::admin::Permission;
use mercato::catalog::edit::{
    Editor, MatrixRow, OptionForm, Saved, SavedVariant, VariantForm, MAX_OPTIONS,
};
use mercato::catalog::ProductStatus;

/// The editor for product `id`, or for a new product.
#[server(prefix = "/api", endpoint = "admin/products/editor")]
pub async fn load_product_editor(id: Option<i64>) -> Result<Editor, AppError> {
    crate::accounts::require_permission(Permission::Catalog).await?;
    let state = crate::state::state()?;
    Ok(mercato::catalog::edit::editor(&state.pool, id, state.currency).await?)
}

/// Saves the editor's form: a new product when `id` is absent, else over product `id`
/// as it was at `version`. The shop shows the change at once. Without JavaScript, a
/// new product's editor opens next; a save comes back to the editor.
#[server(prefix = "/api", endpoint = "admin/products/save")]
pub async fn save_product(
    id: Option<i64>,
    #[server(default)] version: String,
    #[server(default)] name: String,
    #[server(default)] slug: String,
    #[server(default)] description: String,
    #[server(default)] status: String,
    #[server(default)] category: String,
    #[server(default)] seo_title: String,
    #[server(default)] seo_description: String,
    #[server(default)] options: Vec<OptionForm>,
    #[server(default)] variants: Vec<VariantForm>,
    #[server(default)] confirm_removal: String,
) -> Result<Saved, AppError> {
    use mercato::catalog::edit::{ProductDraft, ProductForm};
    let staff = crate::accounts::require_permission(Permission::Catalog).await?;
    let version = mercato::catalog::edit::opened_version(id, &version).ok_or_else(|| {
        AppError::BadRequest("The form lacks the product's version: reload the page.".to_owned())
    })?;
    let form = ProductForm {
        name,
        slug,
        description,
        status,
        category,
        seo_title,
        seo_description,
        options,
        variants,
        confirm_removal,
    };
    let state = crate::state::state()?;
    let draft = ProductDraft::parse(&form, state.currency).map_err(mercato::Error::Fields)?;
    let saved = mercato::catalog::edit::save(&state.pool, &staff, id, version, &draft).await?;
    state.catalog_changes.report();
    let message = match id {
        None => format!("Added {}.", draft.name),
        Some(_) => format!("Saved {}.", draft.name),
    };
    crate::session::flash_if_plain_form(message).await?;
    if id.is_none() && crate::request::is_plain_form_post() {
        leptos_axum::redirect(&format!("/admin/products/{}", saved.id));
    }
    Ok(saved)
}

/// `/admin/products/new` and `/admin/products/{id}`.
#[component]
pub fn ProductEditorPage() -> impl IntoView {
    let params = use_params_map();
    // `None`: a new product; `Some(None)`: an id that is not a number.
    let id = move || params.read().get("id").map(|id| id.parse::<i64>().ok());
    let editor = Resource::new(id, |id| async move {
        match id {
            None => load_product_editor(None).await,
            Some(Some(id)) => load_product_editor(Some(id)).await,
            Some(None) => Err(AppError::NotFound),
        }
    });
    view! { {loaded(editor, |editor| view! { <EditorForm editor /> })} }
}

use super::CARD;

#[component]
fn EditorForm(editor: Editor) -> impl IntoView {
    let save = ServerAction::<SaveProduct>::new();
    let outcome: Signal<Outcome<Saved>> = save.value().into();
    let title = if editor.id.is_some() {
        editor.name.clone()
    } else {
        "New product".to_owned()
    };
    let statuses = [
        ProductStatus::Draft,
        ProductStatus::Active,
        ProductStatus::Archived,
    ]
    .into_iter()
    .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
    .collect::<Vec<_>>();
    let mut categories = vec![(String::new(), "Choose a category".to_owned())];
    categories.extend(
        editor
            .categories
            .iter()
            .map(|c| (c.id.to_string(), c.path.clone())),
    );
    let shop_link = (editor.id.is_some() && editor.status == ProductStatus::Active)
        .then(|| format!("/p/{}", editor.slug));
    let last_change = editor
        .last_change
        .clone()
        .map(|c| format!("Last saved by {} on {} UTC.", c.by, c.at));
    let option_rows = (0..MAX_OPTIONS)
        .map(|row| {
            let option = editor.options.get(row);
            view! {
                <OptionRow
                    row
                    name=option.map(|o| o.name.clone()).unwrap_or_default()
                    values=option.map(|o| o.values.join(", ")).unwrap_or_default()
                    outcome
                />
            }
        })
        .collect_view();
    let options_error = field_message(outcome, "options").0;
    let option_names: Vec<String> = editor.options.iter().map(|o| o.name.clone()).collect();
    let currency = editor.currency.code().to_owned();
    let has_options = !editor.options.is_empty();
    let rows = editor
        .rows
        .into_iter()
        .enumerate()
        .map(|(n, row)| view! { <VariantRow n row names=option_names.clone() outcome /> })
        .collect_view();
    view! {
        <AdminHeader crumbs=vec![("Products", "/admin/products")] title=title />
        <p class="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-sm text-stone-600">
            {last_change.map(|t| view! { <span data-testid="last-change">{t}</span> })}
            {shop_link.map(|href| view! {
                <a href=href class="font-semibold text-teal-800 underline">"View in the shop"</a>
            })}
        </p>
        <ActionForm action=save attr:class="mt-5" attr:novalidate=true>
            <div class="mb-4">{action_error(save.value())}</div>
            {editor.id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <input type="hidden" name="version" value=editor.version />
            <div class="grid grid-cols-1 gap-4 lg:grid-cols-[minmax(0,1fr)_20rem]">
                <div class="grid min-w-0 grid-cols-1 content-start gap-4">
                    <section aria-labelledby="details-heading" class=CARD>
                        <h2 id="details-heading" class="text-lg font-bold">"Details"</h2>
                        <div class="mt-4 grid gap-4">
                            <TextField name="name" label="Name" value=editor.name.clone() required=true maxlength=200 outcome />
                            <TextField name="slug" label="Slug" value=editor.slug.clone() maxlength=200 outcome
                                hint="The product's address in the shop: /p/<slug>. Leave it empty to make it from the name." />
                            <TextArea name="description" label="Description" value=editor.description.clone() rows=8 maxlength=20000 outcome
                                hint="Plain text: a blank line starts a new paragraph." />
                        </div>
                    </section>
                    <section aria-labelledby="options-heading" class=CARD>
                        <h2 id="options-heading" class="text-lg font-bold">"Options"</h2>
                        <p class="mt-1 text-sm text-stone-600">
                            "Up to three, such as Size (S, M, L) and Colour (Red, Blue). Save to see a row for every combination; a combination becomes a variant when it has a SKU and a price."
                        </p>
                        <div class="mt-4 grid gap-3">{option_rows}</div>
                        {move || options_error().map(|e| view! {
                            <p id="field-options-error" role="alert" class="mt-3 rounded-xl bg-rose-50 px-4 py-3 text-sm font-medium text-rose-800">{e}</p>
                        })}
                        <label class="mt-3 flex items-center gap-2 text-sm">
                            <input type="checkbox" name="confirm_removal" value="on" class="h-4 w-4 rounded border-stone-400" />
                            "Remove those variants (ticked Remove, or whose values I took out), with their stock history"
                        </label>
                    </section>

                </div>
                <div class="grid min-w-0 grid-cols-1 content-start gap-4">
                    <section aria-labelledby="publishing-heading" class=CARD>
                        <h2 id="publishing-heading" class="text-lg font-bold">"Publishing"</h2>
                        <div class="mt-4 grid gap-4">
                            <SelectField name="status" label="Status" options=statuses selected=editor.status.as_str() outcome />
                            <SelectField name="category" label="Category" options=categories
                                selected=editor.category.map(|c| c.to_string()).unwrap_or_default() outcome />
                        </div>
                        <p class="mt-3 text-xs text-stone-500">"Only active products are in the shop."</p>
                    </section>
                    <section aria-labelledby="seo-heading" class=CARD>
                        <h2 id="seo-heading" class="text-lg font-bold">"Search engines"</h2>
                        <div class="mt-4 grid gap-4">
                            <TextField name="seo_title" label="Page title" value=editor.seo_title.clone() maxlength=200 outcome
                                hint="Empty: the product's name." />
                            <TextArea name="seo_description" label="Description" value=editor.seo_description.clone() rows=4 maxlength=400 outcome
                                hint="Empty: the start of the description." />
                        </div>
                    </section>
                </div>
            </div>
            // The variant table takes the page's whole width: it has eight columns.
            <div class="mt-4">
                <section aria-labelledby="variants-heading" class=CARD>
                    <h2 id="variants-heading" class="text-lg font-bold">"Variants"</h2>
                    <p class="mt-1 text-sm text-stone-600">
                        {format!("Prices in {currency}, such as 1234.50. Weight in grams. Stock is kept on the Inventory page; a variant whose stock is not tracked (made to order, a download) is always for sale.")}
                    </p>
                    <div class="mt-4">
                        <DataTable min_width="min-w-[58rem]" columns=&["Variant", "SKU", "Price", "Compare at", "Weight (g)", "On hand", "Not tracked", "Remove"]>
                            {rows}
                        </DataTable>
                    </div>
                    {(!has_options).then(|| view! {
                        <p class="mt-2 text-xs text-stone-500">"Without options a product has one variant."</p>
                    })}
                </section>
            </div>
            <div class="sticky bottom-0 z-10 -mx-4 mt-6 flex flex-wrap items-center justify-end gap-3 border-t border-stone-200 bg-white/95 px-4 py-3 backdrop-blur lg:-mx-8 lg:px-8">
                <a href="/admin/products" class=format!("{SECONDARY} inline-flex items-center")>"Back to products"</a>
                <button type="submit" class=BUTTON>"Save product"</button>
            </div>
        </ActionForm>
        // Outside the product's form: a picture goes up in a form of its own.
        <div class="mt-6">
            {match editor.id {
                Some(id) => view! { <super::product_images::Pictures product=id images=editor.images.clone() /> }.into_any(),
                None => view! {
                    <p class="rounded-2xl border border-dashed border-stone-300 bg-white px-4 py-6 text-sm text-stone-600">"Save the product to add pictures."</p>
                }.into_any(),
            }}
        </div>
    }
}

/// One option's name and values.
#[component]
fn OptionRow(
    row: usize,
    name: String,
    values: String,
    outcome: Signal<Outcome<Saved>>,
) -> impl IntoView {
    let name_field = format!("options[{row}][name]");
    let values_field = format!("options[{row}][values]");
    let name = crate::form_errors::kept(&name_field).unwrap_or(name);
    let values = crate::form_errors::kept(&values_field).unwrap_or(values);
    let (name_error, name_described) = field_message(outcome, &name_field);
    let (values_error, values_described) = field_message(outcome, &values_field);
    let name_error_id = format!("field-{name_field}-error");
    let values_error_id = format!("field-{values_field}-error");
    view! {
        <fieldset class="grid gap-3 sm:grid-cols-[12rem_minmax(0,1fr)]">
            <legend class="sr-only">{format!("Option {}", row + 1)}</legend>
            <div>
                <label for=format!("field-{name_field}") class=LABEL>{format!("Option {} name", row + 1)}</label>
                <input id=format!("field-{name_field}") name=name_field.clone() value=name maxlength=50 class=INPUT
                    aria-invalid={ let e = name_error.clone(); move || e().is_some().to_string() }
                    aria-describedby=name_described />
                {move || name_error().map(|e| view! { <p id=name_error_id.clone() class="mt-1 text-sm font-medium text-rose-700">{e}</p> })}
            </div>
            <div>
                <label for=format!("field-{values_field}") class=LABEL>{format!("Option {} values", row + 1)}</label>
                <input id=format!("field-{values_field}") name=values_field.clone() value=values maxlength=3000 class=INPUT
                    placeholder="Such as S, M, L"
                    aria-invalid={ let e = values_error.clone(); move || e().is_some().to_string() }
                    aria-describedby=values_described />
                {move || values_error().map(|e| view! { <p id=values_error_id.clone() class="mt-1 text-sm font-medium text-rose-700">{e}</p> })}
            </div>
        </fieldset>
    }
}

/// One row of the variant table: a saved variant, or a combination offered.
#[component]
fn VariantRow(
    n: usize,
    row: MatrixRow<SavedVariant>,
    names: Vec<String>,
    outcome: Signal<Outcome<Saved>>,
) -> impl IntoView {
    let label = if row.values.is_empty() {
        "Default".to_owned()
    } else {
        row.values.join(" / ")
    };
    let described = names
        .iter()
        .zip(&row.values)
        .map(|(name, value)| format!("{name}: {value}"))
        .collect::<Vec<_>>()
        .join(", ");
    let saved = row.variant.clone();
    let hidden = (0..MAX_OPTIONS)
        .map(|i| {
            view! {
                <input type="hidden" name=format!("variants[{n}][option{}]", i + 1)
                    value=row.values.get(i).cloned().unwrap_or_default() />
            }
        })
        .collect_view();
    let state = match (&saved, row.fits) {
        (None, _) => Some((
            "Not created yet: give it a SKU and a price to add it.",
            "text-stone-500",
        )),
        (Some(_), false) => Some((
            "Its values are no longer offered: it is removed when you confirm.",
            "text-rose-700",
        )),
        (Some(_), true) => None,
    };
    // What a failed post sent for row `n` belongs to this row only if it was drawn for
    // the same variant and values (after someone else's save, rows may have moved).
    let same_row = {
        use crate::form_errors::kept;
        let id = saved.as_ref().map(|v| v.id.to_string());
        kept(&format!("variants[{n}][id]")) == id
            && (0..MAX_OPTIONS).all(|i| {
                kept(&format!("variants[{n}][option{}]", i + 1)).unwrap_or_default()
                    == row.values.get(i).cloned().unwrap_or_default()
            })
    };
    // Ticked as a failed post sent it (an unticked box sends nothing, so the row's
    // SKU says whether there was one), else as saved; a new row is tracked.
    let saved_untracked = saved.as_ref().is_some_and(|v| !v.track_stock);
    let untracked = if same_row {
        crate::form_errors::ticked(
            &format!("variants[{n}][untracked]"),
            &format!("variants[{n}][sku]"),
            saved_untracked,
        )
    } else {
        saved_untracked
    };
    let untracked_name = format!("variants[{n}][untracked]");
    let (untracked_error, untracked_described) = field_message(outcome, &untracked_name);
    let untracked_error_id = format!("field-{untracked_name}-error");
    let cell = |field: &'static str,
                what: &'static str,
                value: String,
                width: &'static str,
                mode: &'static str| {
        view! { <Cell n field what=format!("{what}, {label}") value width mode keep=same_row outcome /> }
    };
    view! {
        <tr data-testid="variant-row" class=if saved.is_none() { "bg-stone-50" } else { "" }>
            <th scope="row" class="min-w-[9rem] px-4 py-3 text-left font-medium">
                {saved.as_ref().map(|v| view! { <input type="hidden" name=format!("variants[{n}][id]") value=v.id /> })}
                {hidden}
                <span title=described.clone()>{label.clone()}</span>
                {state.map(|(text, class)| view! { <span class=format!("mt-1 block text-xs font-normal {class}")>{text}</span> })}
            </th>
            <td class="px-2 py-2">{cell("sku", "SKU", saved.as_ref().map(|v| v.sku.clone()).unwrap_or_default(), "w-36", "text")}</td>
            <td class="px-2 py-2">{cell("price", "Price", saved.as_ref().map(|v| v.price.clone()).unwrap_or_default(), "w-28", "decimal")}</td>
            <td class="px-2 py-2">{cell("compare_at", "Compare-at price", saved.as_ref().map(|v| v.compare_at.clone()).unwrap_or_default(), "w-28", "decimal")}</td>
            <td class="px-2 py-2">{cell("weight", "Weight in grams", saved.as_ref().map(|v| v.weight_grams.to_string()).unwrap_or_default(), "w-24", "numeric")}</td>
            <td class="px-4 py-3 tabular-nums">
                {match &saved {
                    Some(v) => view! { <a href=format!("/admin/inventory/{}", v.id) class="text-teal-800 underline-offset-4 hover:underline">{v.on_hand}</a> }.into_any(),
                    None => view! { <span class="text-stone-400">"—"</span> }.into_any(),
                }}
            </td>
            <td class="px-4 py-3">
                <input type="checkbox" id=format!("field-{untracked_name}") name=untracked_name.clone() value="on" checked=untracked
                    aria-label=format!("Don't track the stock of {label}: always for sale")
                    aria-invalid={ let e = untracked_error.clone(); move || e().is_some().to_string() }
                    aria-describedby=untracked_described
                    class="h-4 w-4 rounded border-stone-400" />
                {move || untracked_error().map(|e| view! { <p id=untracked_error_id.clone() class="mt-1 w-48 text-xs font-medium text-rose-700">{e}</p> })}
            </td>
            <td class="px-4 py-3">
                <input type="checkbox" name=format!("variants[{n}][remove]") value="on"
                    aria-label=format!("Remove {label}") class="h-4 w-4 rounded border-stone-400" />
            </td>
        </tr>
    }
}

/// An input in the variant table, its label read by screen readers only, its error
/// beneath it.
#[component]
fn Cell(
    n: usize,
    field: &'static str,
    /// What a screen reader calls it ("Price, S / Red").
    what: String,
    value: String,
    width: &'static str,
    mode: &'static str,
    /// Whether the failed post's value for this cell (if any) is shown.
    keep: bool,
    outcome: Signal<Outcome<Saved>>,
) -> impl IntoView {
    let name = format!("variants[{n}][{field}]");
    let value = keep
        .then(|| crate::form_errors::kept(&name))
        .flatten()
        .unwrap_or(value);
    let (error, described) = field_message(outcome, &name);
    let error_id = format!("field-{name}-error");
    view! {
        <input
            id=format!("field-{name}")
            name=name
            value=value
            aria-label=what
            inputmode=mode
            maxlength=64
            aria-invalid={ let e = error.clone(); move || e().is_some().to_string() }
            aria-describedby=described
            class=format!("block h-10 {width} rounded-lg border border-stone-300 bg-white px-2 text-sm focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30 aria-[invalid=true]:border-rose-500")
        />
        {move || error().map(|e| view! { <p id=error_id.clone() class="mt-1 max-w-[14rem] text-xs font-medium text-rose-700">{e}</p> })}
    }
}
