//! `/admin/categories`: the category tree, reordered in place, with a form to add one;
//! `/admin/categories/{id}`: rename, move or delete one (its products moved to a
//! category chosen first). The rules are `mercato::catalog::categories`.

use super::{AdminHeader, DataTable};
use crate::components::form::{
    action_error, Outcome, SelectField, TextArea, TextField, BUTTON, SECONDARY,
};
use crate::components::loaded;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
#[cfg(feature = "ssr")]
use mercato::admin::Permission;
use mercato::catalog::categories::{CategoryDetail, TreeRow};
use mercato::catalog::staff::CategoryChoice;
use mercato::catalog::Direction;

/// The tree, and every category's path (to choose a parent from).
#[server(prefix = "/api", endpoint = "admin/categories")]
pub async fn load_categories() -> Result<(Vec<TreeRow>, Vec<CategoryChoice>), AppError> {
    crate::accounts::require_permission(Permission::Catalog).await?;
    let pool = crate::state::pool()?;
    Ok(tokio::try_join!(
        mercato::catalog::categories::tree(&pool),
        mercato::catalog::staff::category_choices(&pool),
    )?)
}

#[server(prefix = "/api", endpoint = "admin/categories/detail")]
pub async fn load_category(id: i64) -> Result<CategoryDetail, AppError> {
    crate::accounts::require_permission(Permission::Catalog).await?;
    let pool = crate::state::pool()?;
    Ok(mercato::catalog::categories::detail(&pool, id).await?)
}

/// A new category (`parent` empty: top level).
#[server(prefix = "/api", endpoint = "admin/categories/create")]
pub async fn create_category(
    name: String,
    #[server(default)] slug: String,
    #[server(default)] description: String,
    #[server(default)] parent: String,
) -> Result<i64, AppError> {
    let staff = crate::accounts::require_permission(Permission::Catalog).await?;
    let draft =
        mercato::catalog::categories::CategoryDraft::parse(&name, &slug, &description, &parent)
            .map_err(mercato::Error::Fields)?;
    let state = crate::state::state()?;
    let id = mercato::catalog::categories::create(&state.pool, &staff, &draft).await?;
    state.catalog_changes.report();
    crate::session::flash_if_plain_form(format!("Added {}.", draft.name)).await?;
    Ok(id)
}

/// Renames or moves category `id`.
#[server(prefix = "/api", endpoint = "admin/categories/update")]
pub async fn update_category(
    id: i64,
    name: String,
    #[server(default)] slug: String,
    #[server(default)] description: String,
    #[server(default)] parent: String,
) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Catalog).await?;
    let draft =
        mercato::catalog::categories::CategoryDraft::parse(&name, &slug, &description, &parent)
            .map_err(mercato::Error::Fields)?;
    let state = crate::state::state()?;
    mercato::catalog::categories::update(&state.pool, &staff, id, &draft).await?;
    state.catalog_changes.report();
    crate::session::flash_if_plain_form(format!("Saved {}.", draft.name)).await
}

/// Moves category `id` one place `up` or `down` among its siblings.
#[server(prefix = "/api", endpoint = "admin/categories/shift")]
pub async fn shift_category(id: i64, direction: String) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Catalog).await?;
    let direction = Direction::parse(&direction)
        .ok_or_else(|| AppError::BadRequest("move a category up or down".to_owned()))?;
    let state = crate::state::state()?;
    mercato::catalog::categories::shift(&state.pool, &staff, id, direction).await?;
    state.catalog_changes.report();
    Ok(())
}

/// Deletes category `id`, its products moved to `move_to` first; without JavaScript,
/// on to the tree.
#[server(prefix = "/api", endpoint = "admin/categories/delete")]
pub async fn delete_category(id: i64, #[server(default)] move_to: String) -> Result<u64, AppError> {
    let staff = crate::accounts::require_permission(Permission::Catalog).await?;
    let move_to = match move_to.trim() {
        "" => None,
        to => Some(to.parse::<i64>().map_err(|_| {
            mercato::Error::field("move_to", "Choose the category its products move to.")
        })?),
    };
    let state = crate::state::state()?;
    let moved = mercato::catalog::categories::delete(&state.pool, &staff, id, move_to).await?;
    state.catalog_changes.report();
    let message = match moved {
        0 => "Category deleted.".to_owned(),
        1 => "Category deleted; its product moved.".to_owned(),
        n => format!("Category deleted; its {n} products moved."),
    };
    crate::session::flash_and_go(message, "/admin/categories").await?;
    Ok(moved)
}

/// "1 product", "3 products".
fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn parent_options(choices: &[CategoryChoice]) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), "Top level".to_owned())];
    options.extend(choices.iter().map(|c| (c.id.to_string(), c.path.clone())));
    options
}

/// `/admin/categories`
#[component]
pub fn CategoriesPage() -> impl IntoView {
    let tree = Resource::new(|| (), |_| load_categories());
    view! {
        <AdminHeader title="Categories" />
        <p class="mt-2 max-w-2xl text-sm text-stone-600">
            "The shop's navigation, in this order. Move a category up or down among its neighbours, or open it to rename it, put it under another or delete it."
        </p>
        {loaded(tree, |(rows, choices)| view! {
            <Tree rows />
            <AddCategory choices />
        })}
    }
}

#[component]
fn Tree(rows: Vec<TreeRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <p class="mt-6 rounded-2xl border border-dashed border-stone-300 bg-white px-4 py-10 text-center text-stone-600">
                "No categories yet: add the first below."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="mt-6">
            <DataTable min_width="min-w-[40rem]" columns=&["Category", "Slug", "Products", "Order"]>
                {rows.into_iter().map(|row| view! { <TreeRowView row /> }).collect_view()}
            </DataTable>
        </div>
    }
    .into_any()
}

#[component]
fn TreeRowView(row: TreeRow) -> impl IntoView {
    let shift = ServerAction::<ShiftCategory>::new();
    // Written out whole, so Tailwind sees each (an inline style would break the CSP).
    let indent = match row.depth {
        0 => "pl-4",
        1 => "pl-10",
        2 => "pl-16",
        _ => "pl-24",
    };
    let button = "inline-flex h-8 w-8 items-center justify-center rounded-full border border-stone-300 bg-white text-sm hover:bg-stone-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600";
    let mover = |direction: &'static str, arrow: &'static str, label: String| {
        view! {
            <ActionForm action=shift attr:class="inline">
                <input type="hidden" name="id" value=row.id />
                <input type="hidden" name="direction" value=direction />
                <button type="submit" class=button aria-label=label>
                    <span aria-hidden="true">{arrow}</span>
                </button>
            </ActionForm>
        }
    };
    view! {
        <tr data-testid="category-row">
            <th scope="row" class=format!("py-3 pr-4 text-left font-medium {indent}")>
                {(row.depth > 0).then(|| view! { <span aria-hidden="true" class="mr-1 text-stone-400">"└"</span> })}
                <a href=format!("/admin/categories/{}", row.id) class="text-teal-800 underline underline-offset-4">{row.name.clone()}</a>
                {(row.children > 0).then(|| view! {
                    <span class="ml-2 text-xs font-normal text-stone-500">{plural(row.children, "subcategory", "subcategories")}</span>
                })}
            </th>
            <td class="px-4 py-3 font-mono text-xs">{row.slug.clone()}</td>
            <td class="px-4 py-3 tabular-nums">{row.products}</td>
            <td class="whitespace-nowrap px-4 py-2">
                <span class="inline-flex gap-1">
                    // An empty slot keeps each arrow in its column.
                    {if row.first { view! { <span class="inline-block w-8"></span> }.into_any() } else { mover(Direction::Up.as_str(), "↑", format!("Move {} up", row.name)).into_any() }}
                    {(!row.last).then(|| mover(Direction::Down.as_str(), "↓", format!("Move {} down", row.name)))}
                </span>
            </td>
        </tr>
    }
}

#[component]
fn AddCategory(choices: Vec<CategoryChoice>) -> impl IntoView {
    let create = ServerAction::<CreateCategory>::new();
    let outcome: Signal<Outcome<i64>> = create.value().into();
    view! {
        <section aria-labelledby="add-category-heading" class="mt-10 max-w-2xl rounded-2xl border border-stone-200 bg-white p-5">
            <h2 id="add-category-heading" class="text-lg font-bold">"Add a category"</h2>
            <ActionForm action=create attr:class="mt-4 grid gap-4 sm:grid-cols-2" attr:novalidate=true>
                <div class="sm:col-span-2">{action_error(create.value())}</div>
                <TextField name="name" label="Name" required=true maxlength=100 outcome />
                <TextField name="slug" label="Slug" maxlength=100 outcome hint="Empty: made from the name." />
                <div class="sm:col-span-2">
                    <SelectField name="parent" label="Inside" options=parent_options(&choices) outcome />
                </div>
                <div class="sm:col-span-2">
                    <button type="submit" class=BUTTON>"Add category"</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// `/admin/categories/{id}`
#[component]
pub fn CategoryPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_category(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! { {loaded(detail, |detail| view! { <CategoryForms detail /> })} }
}

#[component]
fn CategoryForms(detail: CategoryDetail) -> impl IntoView {
    let update = ServerAction::<UpdateCategory>::new();
    let outcome: Signal<Outcome<()>> = update.value().into();
    let remove = ServerAction::<DeleteCategory>::new();
    let removed: Signal<Outcome<u64>> = remove.value().into();
    let mut others = vec![(String::new(), "Choose a category".to_owned())];
    others.extend(
        detail
            .others
            .iter()
            .map(|c| (c.id.to_string(), c.path.clone())),
    );
    let can_delete = detail.children == 0;
    view! {
        <AdminHeader crumbs=vec![("Categories", "/admin/categories")] title=detail.name.clone() />
        <div class="mt-5 grid grid-cols-1 gap-4 lg:grid-cols-[minmax(0,1fr)_22rem]">
            <section aria-labelledby="category-heading" class="rounded-2xl border border-stone-200 bg-white p-5">
                <h2 id="category-heading" class="text-lg font-bold">"Details"</h2>
                <ActionForm action=update attr:class="mt-4 grid gap-4" attr:novalidate=true>
                    {action_error(update.value())}
                    <input type="hidden" name="id" value=detail.id />
                    <TextField name="name" label="Name" value=detail.name.clone() required=true maxlength=100 outcome />
                    <TextField name="slug" label="Slug" value=detail.slug.clone() maxlength=100 outcome
                        hint="The category's address in the shop: /c/<slug>." />
                    <TextArea name="description" label="Description" value=detail.description.clone() rows=4 maxlength=2000 outcome />
                    <SelectField name="parent" label="Inside" options=parent_options(&detail.parents)
                        selected=detail.parent.map(|p| p.to_string()).unwrap_or_default() outcome />
                    <p class="text-xs text-stone-500">"It can't go inside itself or its own subcategories: those aren't offered."</p>
                    <div><button type="submit" class=BUTTON>"Save category"</button></div>
                </ActionForm>
            </section>
            <section aria-labelledby="delete-heading" class="self-start rounded-2xl border border-rose-200 bg-white p-5">
                <h2 id="delete-heading" class="text-lg font-bold">"Delete this category"</h2>
                {if can_delete {
                    view! {
                        <ActionForm action=remove attr:class="mt-3 grid gap-3" attr:novalidate=true>
                            {action_error(remove.value())}
                            <input type="hidden" name="id" value=detail.id />
                            {if detail.products > 0 {
                                view! {
                                    <p class="text-sm text-stone-700">{format!("It has {}. Choose where they go first:", plural(detail.products, "product", "products"))}</p>
                                    <SelectField name="move_to" label="Move its products to" options=others.clone() outcome=removed />
                                }.into_any()
                            } else {
                                view! { <p class="text-sm text-stone-700">"It has no products."</p> }.into_any()
                            }}
                            <div><button type="submit" class=format!("{SECONDARY} border-rose-300 text-rose-800 hover:bg-rose-50")>"Delete category"</button></div>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! {
                        <p class="mt-3 text-sm text-stone-700">
                            {format!("It has {}: move them elsewhere or delete them first.", plural(detail.children, "subcategory", "subcategories"))}
                        </p>
                    }.into_any()
                }}
            </section>
        </div>
    }
}
