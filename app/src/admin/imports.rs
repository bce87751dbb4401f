//! `/admin/imports`: export the catalog as CSV, upload a file to import, and the latest
//! imports; `/admin/imports/{id}`: one import's check (what it would create and change,
//! its problems by line and column), the button that applies it, and its progress. The
//! worker does the work (`mercato::catalog::imports`); these pages read where it is,
//! and reload themselves every two seconds while it runs, with or without JavaScript.

use super::{AdminHeader, DataTable};
use crate::components::form::{action_error, field_message, Outcome, BUTTON, LABEL};
use crate::components::loaded;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};
use leptos_router::hooks::use_params_map;
#[cfg(feature = "ssr")]
use mercato::admin::Permission;
use mercato::catalog::imports::{Import, ImportState};

/// Where the catalog's CSV file is downloaded (a plain GET, streamed: not a server
/// function, but under `/api/admin/` and checked like one).
pub const EXPORT_PATH: &str = "/api/admin/products/export";

/// The latest imports, newest first.
#[server(prefix = "/api", endpoint = "admin/imports")]
pub async fn load_imports() -> Result<Vec<Import>, AppError> {
    crate::accounts::require_permission(Permission::Catalog).await?;
    let pool = crate::state::pool()?;
    Ok(mercato::catalog::imports::recent(&pool).await?)
}

/// Import `id`, with its first problems.
#[server(prefix = "/api", endpoint = "admin/imports/detail")]
pub async fn load_import(id: i64) -> Result<Import, AppError> {
    crate::accounts::require_permission(Permission::Catalog).await?;
    let pool = crate::state::pool()?;
    Ok(mercato::catalog::imports::get(&pool, id).await?)
}

/// Takes a CSV file to import (a multipart form with `file`): the worker checks it,
/// and the page of the import shows what it found. Without JavaScript, to that page.
#[server(prefix = "/api", endpoint = "admin/imports/upload", input = MultipartFormData)]
pub async fn upload_import(data: MultipartData) -> Result<i64, AppError> {
    use mercato::catalog::imports::MAX_FILE_BYTES;
    let staff = crate::accounts::require_permission(Permission::Catalog).await?;
    let form = super::read_multipart(data, "file", MAX_FILE_BYTES).await?;
    let pool = crate::state::pool()?;
    let id = mercato::catalog::imports::upload(
        &pool,
        &staff,
        form.file_name.as_deref().unwrap_or_default(),
        &form.file,
    )
    .await?;
    leptos_axum::redirect(&format!("/admin/imports/{id}"));
    Ok(id)
}

/// Applies checked import `id`: the worker does it, product by product.
#[server(prefix = "/api", endpoint = "admin/imports/apply")]
pub async fn apply_import(id: i64) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Catalog).await?;
    let pool = crate::state::pool()?;
    mercato::catalog::imports::apply(&pool, &staff, id).await?;
    crate::session::flash_if_plain_form("Applying the file: this page shows how far it is.").await
}

use super::CARD;

/// `/admin/imports`.
#[component]
pub fn ImportsPage() -> impl IntoView {
    let imports = Resource::new(|| (), |_| load_imports());
    view! {
        <AdminHeader crumbs=vec![("Products", "/admin/products")] title="Import and export" />
        // Nothing but the refusal for whoever may not import (the list asks first).
        {loaded(imports, |imports| view! { <Imports imports /> })}
    }
}

#[component]
fn Imports(imports: Vec<Import>) -> impl IntoView {
    view! {
        <div class="mt-5 grid gap-4 lg:grid-cols-2">
            <section aria-labelledby="export-heading" class=CARD>
                <h2 id="export-heading" class="text-lg font-bold">"Export"</h2>
                <p class="mt-1 text-sm text-stone-600">
                    "Every product and variant as a CSV file: one row per variant, the product's fields on its first row. Edit it in a spreadsheet and import it back."
                </p>
                <a href=EXPORT_PATH download="catalog.csv" class=format!("mt-4 inline-flex items-center {BUTTON}")>"Export the catalog"</a>
            </section>
            <UploadForm />
        </div>
        <section aria-labelledby="recent-heading" class="mt-8">
            <h2 id="recent-heading" class="text-lg font-bold">"Latest imports"</h2>
            <div class="mt-3">
                <ImportList imports />
            </div>
        </section>
        <FileGuide />
    }
}

#[component]
fn UploadForm() -> impl IntoView {
    // A plain form (a file cannot go through an action): its error comes with the page.
    let refused = crate::form_errors::refused_post::<UploadImport>();
    let outcome: Signal<Outcome<i64>> = Signal::derive(move || refused.clone().map(Err));
    let (file_error, file_described) = field_message(outcome, "file");
    view! {
        <section aria-labelledby="import-heading" class=CARD>
            <h2 id="import-heading" class="text-lg font-bold">"Import"</h2>
            <p class="mt-1 text-sm text-stone-600">
                {format!(
                    "Rows are matched to variants by SKU: a SKU that exists is updated, a new one added. The file is checked first, and nothing changes until you apply it. Up to {} MB.",
                    mercato::catalog::imports::MAX_FILE_BYTES / (1024 * 1024)
                )}
            </p>
            <form method="post" action="/api/admin/imports/upload" enctype="multipart/form-data" class="mt-4 grid gap-3">
                {action_error(outcome)}
                <div>
                    <label for="field-file" class=LABEL>"CSV file"</label>
                    <input id="field-file" name="file" type="file" accept=".csv,text/csv" required=true
                        aria-invalid={ let e = file_error.clone(); move || e().is_some().to_string() }
                        aria-describedby=file_described
                        class="mt-1 block w-full text-sm file:mr-3 file:h-10 file:rounded-full file:border-0 file:bg-stone-100 file:px-4 file:font-semibold" />
                    {move || file_error().map(|e| view! { <p id="field-file-error" class="mt-1 text-sm font-medium text-rose-700">{e}</p> })}
                </div>
                <div><button type="submit" class=BUTTON>"Upload and check"</button></div>
            </form>
        </section>
    }
}

#[component]
fn ImportList(imports: Vec<Import>) -> impl IntoView {
    if imports.is_empty() {
        return view! {
            <p class="rounded-2xl border border-dashed border-stone-300 bg-white px-4 py-8 text-center text-stone-600">
                "No imports yet. Export the catalog for a file to start from."
            </p>
        }
        .into_any();
    }
    view! {
        <DataTable min_width="min-w-[44rem]" columns=&["File", "Uploaded (UTC)", "By", "Status", "Rows", "Problems"]>
            {imports.into_iter().map(|i| view! {
                <tr data-testid="import-row">
                    <td class="px-4 py-3"><a href=format!("/admin/imports/{}", i.id) class="font-semibold text-teal-800 underline-offset-4 hover:underline">{i.file_name.clone()}</a></td>
                    <td class="whitespace-nowrap px-4 py-3 text-stone-600">{i.created_at.clone()}</td>
                    <td class="px-4 py-3">{i.uploaded_by.clone()}</td>
                    <td class="px-4 py-3"><StateBadge state=i.state /></td>
                    <td class="px-4 py-3 tabular-nums">{i.rows_total}</td>
                    <td class="px-4 py-3 tabular-nums">{i.problem_count}</td>
                </tr>
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}

#[component]
fn StateBadge(state: ImportState) -> impl IntoView {
    let class = match state {
        ImportState::Checking | ImportState::Applying => "bg-amber-100 text-amber-900",
        ImportState::Checked => "bg-sky-100 text-sky-900",
        ImportState::Applied => "bg-teal-50 text-teal-900",
        ImportState::Failed => "bg-rose-100 text-rose-900",
    };
    view! {
        <span class=format!("whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold {class}")>{state.label()}</span>
    }
}

/// What the file holds, for whoever writes one by hand.
#[component]
fn FileGuide() -> impl IntoView {
    let columns = [
        ("handle", "The product's slug. Rows with the same handle are one product. A handle no product has starts a new one, unless the row's SKU is a saved variant's: then that product's address becomes the handle."),
        ("name, status, category", "On the product's first row. Status is draft, active or archived; category is a category's slug."),
        ("description, seo_title, seo_description", "On the first row too. A description keeps its line breaks."),
        ("option1_name … option3_name", "The product's options (Size, Colour), on its first row."),
        ("option1_value … option3_value", "The variant's value of each option."),
        ("sku", "Required: matches a row to its variant."),
        ("price, compare_at_price", "Amounts such as 1234.50, at most two decimals. An empty compare-at price means none."),
        ("weight_grams", "A whole number of grams."),
        ("track_stock", "yes: orders take its stock; no: not tracked, always for sale (made to order, a download). Empty keeps it; a new variant is tracked."),
        ("stock", "The stock of a variant the file adds. A saved variant's stock is changed on Inventory, which records why."),
    ];
    view! {
        <section aria-labelledby="guide-heading" class=format!("mt-8 {CARD}")>
            <h2 id="guide-heading" class="text-lg font-bold">"What a file holds"</h2>
            <p class="mt-1 text-sm text-stone-600">
                "A column left out, or an empty cell, keeps what is saved. Nothing is removed because a file leaves it out. A product with a problem is left out whole; the others go in."
            </p>
            <dl class="mt-4 grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[14rem_1fr]">
                {columns.into_iter().map(|(name, what)| view! {
                    <dt class="font-mono text-stone-900">{name}</dt>
                    <dd class="text-stone-700">{what}</dd>
                }).collect_view()}
            </dl>
        </section>
    }
}

/// `/admin/imports/{id}`.
#[component]
pub fn ImportPage() -> impl IntoView {
    let params = use_params_map();
    let import = Resource::new(
        move || {
            params
                .read()
                .get("id")
                .and_then(|id| id.parse::<i64>().ok())
        },
        |id| async move {
            match id {
                Some(id) => load_import(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        {loaded(import, |import| view! { <ImportDetail import /> })}
    }
}

#[component]
fn ImportDetail(import: Import) -> impl IntoView {
    let apply = ServerAction::<ApplyImport>::new();
    let running = import.state.running();
    let doing = if import.state == ImportState::Applying {
        "applied"
    } else {
        "checked"
    };
    // The worker writes its progress about twice a second; the page is fetched again
    // every two seconds (by /admin.js, or without JavaScript by the refresh).
    let refresh = running.then(|| {
        view! {
            <noscript><meta http-equiv="refresh" content="2" /></noscript>
            <span hidden data-refresh="2"></span>
        }
    });
    let applied = import.state == ImportState::Applied;
    let (would, created, updated) = if applied {
        ("", "Created", "Changed")
    } else {
        ("Would ", "create", "change")
    };
    let summary = (!running && import.state != ImportState::Failed).then(|| {
        let figures = [
            (format!("{would}{created}"), import.created),
            (format!("{would}{updated}"), import.updated),
            ("Unchanged".to_owned(), import.unchanged),
            ("Left out for problems".to_owned(), import.skipped),
        ];
        view! {
            <dl data-testid="import-summary" class="mt-5 grid grid-cols-2 gap-3 md:grid-cols-4">
                {figures.into_iter().map(|(label, n)| view! {
                    <div class="rounded-2xl border border-stone-200 bg-white p-4">
                        <dt class="text-sm text-stone-600">{format!("{label} (products)")}</dt>
                        <dd class="mt-1 text-2xl font-bold tabular-nums">{n}</dd>
                    </div>
                }).collect_view()}
            </dl>
        }
    });
    let can_apply = import.can_apply();
    let id = import.id;
    view! {
        {refresh}
        <AdminHeader crumbs=vec![("Products", "/admin/products"), ("Import and export", "/admin/imports")] title=import.file_name.clone() />
        <p class="mt-1 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-stone-600">
            <StateBadge state=import.state />
            <span>{format!("Uploaded {} UTC by {}", import.created_at, import.uploaded_by)}</span>
            {import.applied_by.clone().map(|by| view! { <span>{format!("· applied by {by}{}", import.finished_at.clone().map(|at| format!(" at {at} UTC")).unwrap_or_default())}</span> })}
        </p>
        {running.then(|| view! {
            <section aria-labelledby="progress-heading" class=format!("mt-5 {CARD}")>
                <h2 id="progress-heading" class="text-lg font-bold">{format!("Being {doing}")}</h2>
                <progress data-testid="import-progress" class="mt-3 h-3 w-full accent-teal-700" max=import.rows_total.max(1) value=import.rows_done aria-describedby="progress-text"></progress>
                <p id="progress-text" role="status" class="mt-2 text-sm text-stone-700">
                    {format!("{} of {} rows {doing}. This page refreshes by itself; you can leave it and come back.", import.rows_done, import.rows_total)}
                </p>
            </section>
        })}
        {import.failure.clone().map(|why| view! {
            <p role="alert" class="mt-5 rounded-xl bg-rose-50 px-4 py-3 text-sm font-medium text-rose-800">{why}</p>
        })}
        {summary}
        {(import.stock_ignored > 0).then(|| view! {
            <p class="mt-4 rounded-xl bg-amber-50 px-4 py-3 text-sm text-amber-900">
                {format!("{} rows give a stock figure other than their saved variant's: those are left as they are. Change a saved variant's stock on Inventory, which records why.", import.stock_ignored)}
            </p>
        })}
        {(import.state == ImportState::Checked).then(|| {
            let message = if can_apply {
                let mut m = format!("Applying creates {} and changes {} products", import.created, import.updated);
                match import.skipped {
                    0 => {}
                    1 => m.push_str("; the one with problems is left out"),
                    n => m.push_str(&format!("; the {n} with problems are left out")),
                }
                m.push('.');
                m
            } else if !import.applicable {
                "Nothing of this file can be applied: correct the problems below and upload it again.".to_owned()
            } else if import.skipped > 0 && import.unchanged == 0 {
                "Nothing to apply: every product in this file has a problem. Correct them and upload the file again.".to_owned()
            } else if import.skipped > 0 {
                "Nothing to apply: the products without problems are as this file says already. Correct the problems below and upload the file again.".to_owned()
            } else {
                "Nothing to apply: the catalog already holds what this file says.".to_owned()
            };
            view! {
                <section aria-labelledby="apply-heading" class=format!("mt-5 {CARD}")>
                    <h2 id="apply-heading" class="text-lg font-bold">"Apply"</h2>
                    <p class="mt-1 text-sm text-stone-700">{message}</p>
                    {can_apply.then(|| view! {
                        <ActionForm action=apply attr:class="mt-4">
                            {action_error(apply.value())}
                            <input type="hidden" name="id" value=id />
                            <button type="submit" class=format!("mt-2 {BUTTON}")>"Apply the file"</button>
                        </ActionForm>
                    })}
                </section>
            }
        })}
        <Problems import />
    }
}

#[component]
fn Problems(import: Import) -> impl IntoView {
    if import.problem_count == 0 {
        return (!import.state.running() && import.state != ImportState::Failed)
            .then(|| view! { <p data-testid="no-problems" class="mt-5 text-sm text-teal-900">"No problems found."</p> })
            .into_any();
    }
    let shown = import.problems.len() as i32;
    view! {
        <section aria-labelledby="problems-heading" class="mt-8">
            <h2 id="problems-heading" class="text-lg font-bold">{format!("Problems ({})", import.problem_count)}</h2>
            {(shown < import.problem_count).then(|| view! {
                <p class="mt-1 text-sm text-stone-600">{format!("The first {shown} are listed.")}</p>
            })}
            <div class="mt-3">
                <DataTable min_width="min-w-[28rem]" columns=&["Line", "Column", "Problem"]>
                    {import.problems.into_iter().map(|p| view! {
                        <tr data-testid="import-problem">
                            <td class="px-4 py-3 tabular-nums">{p.line}</td>
                            <td class="px-4 py-3 font-mono">{p.column.unwrap_or_else(|| "—".to_owned())}</td>
                            <td class="px-4 py-3 text-stone-800">{p.message}</td>
                        </tr>
                    }).collect_view()}
                </DataTable>
            </div>
        </section>
    }
    .into_any()
}
