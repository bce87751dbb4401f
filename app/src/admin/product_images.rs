//! The product editor's pictures: upload (a plain multipart form, with or without
//! JavaScript), reorder and remove. The rules (type from the bytes, size and pixel
//! caps, alt text required) are `mercato::catalog::images`.

use crate::components::form::{action_error, field_message, Outcome, BUTTON, INPUT, LABEL};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};
#[cfg(feature = "ssr")]
use mercato::admin::Permission;
use mercato::catalog::images::{StaffImage, MAX_IMAGES};
use mercato::catalog::Direction;

/// Adds a picture to a product: a multipart form with `product`, `alt` and `file`.
/// Without JavaScript, back to the editor with what happened.
#[server(prefix = "/api", endpoint = "admin/products/images/upload", input = MultipartFormData)]
pub async fn upload_image(data: MultipartData) -> Result<i64, AppError> {
    use mercato::catalog::images::MAX_BYTES;
    let staff = crate::accounts::require_permission(Permission::Catalog).await?;
    let form = super::read_multipart(data, "file", MAX_BYTES).await?;
    let product = form
        .fields
        .get("product")
        .and_then(|p| p.trim().parse::<i64>().ok())
        .ok_or_else(|| AppError::BadRequest("the upload's form could not be read".to_owned()))?;
    let alt = form.fields.get("alt").cloned().unwrap_or_default();
    let file = form.file;
    let state = crate::state::state()?;
    mercato::catalog::images::upload(&state.pool, &*state.media, &staff, product, file, &alt)
        .await?;
    state.catalog_changes.report();
    crate::session::flash_if_plain_form("Picture added.").await?;
    Ok(product)
}

/// Moves picture `image` of `product` one place `up` or `down`.
#[server(prefix = "/api", endpoint = "admin/products/images/shift")]
pub async fn shift_image(product: i64, image: i64, direction: String) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Catalog).await?;
    let direction = Direction::parse(&direction)
        .ok_or_else(|| AppError::BadRequest("move a picture up or down".to_owned()))?;
    let state = crate::state::state()?;
    mercato::catalog::images::shift(&state.pool, &staff, product, image, direction).await?;
    state.catalog_changes.report();
    Ok(())
}

/// Removes picture `image` from `product`.
#[server(prefix = "/api", endpoint = "admin/products/images/remove")]
pub async fn remove_image(product: i64, image: i64) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(Permission::Catalog).await?;
    let state = crate::state::state()?;
    mercato::catalog::images::remove(&state.pool, &staff, product, image).await?;
    state.catalog_changes.report();
    crate::session::flash_if_plain_form("Picture removed.").await
}

/// The pictures of product `product` and the form to add one.
#[component]
pub fn Pictures(product: i64, images: Vec<StaffImage>) -> impl IntoView {
    // A plain form (a file cannot go through an action): its error comes with the page.
    let refused = crate::form_errors::refused_post::<UploadImage>();
    let outcome: Signal<Outcome<i64>> = Signal::derive(move || refused.clone().map(Err));
    let (file_error, file_described) = field_message(outcome, "file");
    let (alt_error, alt_described) = field_message(outcome, "alt");
    let count = images.len();
    let last = count.saturating_sub(1);
    let full = count as i64 >= MAX_IMAGES;
    view! {
        <section aria-labelledby="pictures-heading" class="rounded-2xl border border-stone-200 bg-white p-5">
            <h2 id="pictures-heading" class="text-lg font-bold">"Pictures"</h2>
            <p class="mt-1 text-sm text-stone-600">
                {format!(
                    "The first is the one listings show. JPEG, PNG or WebP, up to {} MB and {} megapixels. A picture goes up on its own: save your other changes first.",
                    mercato::catalog::images::MAX_BYTES / (1024 * 1024),
                    mercato::catalog::images::MAX_PIXELS / 1_000_000,
                )}
            </p>
            {if images.is_empty() {
                view! { <p class="mt-4 rounded-xl border border-dashed border-stone-300 px-4 py-6 text-center text-sm text-stone-600">"No pictures yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="mt-4 grid gap-3 sm:grid-cols-2 xl:grid-cols-3">
                        {images.into_iter().enumerate().map(|(n, image)| view! {
                            <PictureItem product image first=n == 0 last=n == last />
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            // A plain multipart form: the file goes up with or without JavaScript.
            <form method="post" action="/api/admin/products/images/upload" enctype="multipart/form-data" class="mt-5 grid gap-3 border-t border-stone-200 pt-4 sm:grid-cols-2">
                <div class="sm:col-span-2">{action_error(outcome)}</div>
                <input type="hidden" name="product" value=product />
                <div>
                    <label for="field-alt" class=LABEL>"Alt text"</label>
                    <input id="field-alt" name="alt" maxlength=300 class=INPUT disabled=full required=true
                        aria-invalid={ let e = alt_error.clone(); move || e().is_some().to_string() }
                        aria-describedby=alt_described />
                    <p class="mt-1 text-xs text-stone-500">"What the picture shows, for people who can't see it."</p>
                    {move || alt_error().map(|e| view! { <p id="field-alt-error" class="mt-1 text-sm font-medium text-rose-700">{e}</p> })}
                </div>
                <div>
                    <label for="field-file" class=LABEL>"Picture"</label>
                    <input id="field-file" name="file" type="file" accept="image/jpeg,image/png,image/webp" disabled=full required=true
                        aria-invalid={ let e = file_error.clone(); move || e().is_some().to_string() }
                        aria-describedby=file_described
                        class="mt-1 block w-full text-sm file:mr-3 file:h-10 file:rounded-full file:border-0 file:bg-stone-100 file:px-4 file:font-semibold" />
                    {move || file_error().map(|e| view! { <p id="field-file-error" class="mt-1 text-sm font-medium text-rose-700">{e}</p> })}
                </div>
                <div class="sm:col-span-2">
                    {if full {
                        view! { <p class="text-sm text-stone-600">{format!("A product can have up to {MAX_IMAGES} pictures: remove one to add another.")}</p> }.into_any()
                    } else {
                        view! { <button type="submit" class=BUTTON>"Upload picture"</button> }.into_any()
                    }}
                </div>
            </form>
        </section>
    }
}

#[component]
fn PictureItem(product: i64, image: StaffImage, first: bool, last: bool) -> impl IntoView {
    let shift = ServerAction::<ShiftImage>::new();
    let remove = ServerAction::<RemoveImage>::new();
    let button = "inline-flex h-8 items-center justify-center rounded-full border border-stone-300 bg-white px-3 text-xs font-semibold hover:bg-stone-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600";
    let alt = image.alt.clone();
    let mover = |direction: &'static str, text: &'static str| {
        let label = format!("{text}: {alt}");
        view! {
            <ActionForm action=shift attr:class="inline">
                <input type="hidden" name="product" value=product />
                <input type="hidden" name="image" value=image.id />
                <input type="hidden" name="direction" value=direction />
                <button type="submit" class=button aria-label=label>{text}</button>
            </ActionForm>
        }
    };
    view! {
        <li data-testid="picture" class="overflow-hidden rounded-xl border border-stone-200">
            // The caption below says what it shows: the picture itself is not read twice.
            <img src=image.thumbnail.clone() alt="" width="400" height="400" loading="lazy" class="aspect-square w-full bg-stone-100 object-cover" />
            <div class="grid gap-2 p-3">
                <p class="text-sm text-stone-700">{image.alt.clone()}</p>
                {image.width.zip(image.height).map(|(w, h)| view! { <p class="text-xs text-stone-500">{format!("{w} × {h} px")}</p> })}
                {image.preparing.then(|| view! { <p class="text-xs font-medium text-amber-800">"Making the shop's smaller copies…"</p> })}
                <div class="flex flex-wrap gap-2">
                    {(!first).then(|| mover(Direction::Up.as_str(), "Move earlier"))}
                    {(!last).then(|| mover(Direction::Down.as_str(), "Move later"))}
                    <ActionForm action=remove attr:class="inline">
                        <input type="hidden" name="product" value=product />
                        <input type="hidden" name="image" value=image.id />
                        <button type="submit" class=format!("{button} text-rose-800") aria-label=format!("Remove: {}", image.alt)>"Remove"</button>
                    </ActionForm>
                </div>
            </div>
        </li>
    }
}
