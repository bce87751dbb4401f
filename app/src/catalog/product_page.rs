use super::category_page::Breadcrumbs;
use super::{load_product, Price};
use crate::cart::AddToCart;
use crate::components::{absolute, loaded, JsonLd, PageMeta};
use crate::error::Shown;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use mercato::catalog::view::{ProductDetail, VariantChoice, VariantView};
use std::sync::Arc;

/// Below this many units, the page says "only N left".
const LOW_STOCK: u32 = 5;

/// `/p/:slug`: pictures, description, and a variant picker that updates price,
/// availability and SKU. The chosen variant lives in the URL (`?variant=`), so the picker
/// is made of links: it works without JavaScript and a link reproduces the choice. With
/// it, [`ProductPanel`] (an island) switches in place.
#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        load_product,
    );
    loaded(data, |product| view! { <ProductView product /> })
}

#[component]
fn ProductView(product: ProductDetail) -> impl IntoView {
    let requested = use_query_map()
        .read_untracked()
        .get("variant")
        .and_then(|v| v.parse::<i64>().ok());
    let choice = product.choice();
    let selected = choice.initial_variant(requested).map(|v| v.id);
    let product = StoredValue::new(product);
    let (name, title, description, categories, images, slug) = product.with_value(|p| {
        let description = p.seo_description.clone().unwrap_or_else(|| {
            let mut d: String = p.description.chars().take(155).collect();
            if p.description.chars().count() > 155 {
                d.push('…');
            }
            d
        });
        (
            p.name.clone(),
            p.seo_title.clone().unwrap_or_else(|| p.name.clone()),
            description,
            p.categories.clone(),
            p.images.clone(),
            p.slug.clone(),
        )
    });
    let body = product.with_value(|p| p.description.clone());
    let json_ld = product.with_value(json_ld);
    let (ancestors, current) = match categories.split_last() {
        Some((own, above)) => {
            let mut links = above.to_vec();
            links.push(own.clone());
            (links, name.clone())
        }
        None => (Vec::new(), name.clone()),
    };

    view! {
        <PageMeta
            title
            description
            path=format!("/p/{slug}")
            image=images.first().map(|i| i.url.clone())
            og_type="product"
        />
        <JsonLd doc=json_ld />
        <div class="mx-auto max-w-6xl px-4 py-8">
            <Breadcrumbs ancestors current />
            <div class="mt-6 grid gap-8 md:grid-cols-2 md:gap-12">
                <section aria-label="Pictures">
                    <ul class="flex snap-x snap-mandatory gap-3 overflow-x-auto pb-2">
                        {images
                            .into_iter()
                            .map(|img| {
                                view! {
                                    <li class="w-full shrink-0 snap-center">
                                        <img src=img.url srcset=img.srcset sizes="(min-width: 1152px) 552px, (min-width: 768px) 50vw, 100vw" alt=img.alt width=img.width height=img.height class="aspect-square w-full rounded-2xl bg-stone-100 object-cover" />
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </section>
                <section aria-labelledby="product-name">
                    <h1 id="product-name" class="text-3xl font-bold tracking-tight">{name}</h1>
                    <ProductPanel choice selected refused={crate::form_errors::refused::<AddToCart>()} />
                    <div class="prose mt-8 max-w-none text-stone-700">
                        <h2 class="text-sm font-semibold text-stone-900">"About this product"</h2>
                        // Staff write plain text: a blank line starts a paragraph, a line
                        // break stays one. Text, never markup.
                        {body
                            .split("\n\n")
                            .map(str::trim)
                            .filter(|p| !p.is_empty())
                            .map(|p| view! { <p class="mt-2 whitespace-pre-line leading-relaxed">{p.to_owned()}</p> })
                            .collect_view()}
                    </div>
                </section>
            </div>
        </div>
    }
}

/// Price, availability, SKU, the variant picker and the add-to-cart form of the chosen
/// variant. Sent to the browser as an island: choosing a value switches all of them in
/// place and puts the choice in the URL; adding says what was added and updates the
/// header's count. Without JavaScript the values are links and the form a plain post.
#[island]
fn ProductPanel(
    choice: VariantChoice,
    selected: Option<i64>,
    /// Why the last add (a plain post) was refused, shown until the next try.
    refused: Option<Shown>,
) -> impl IntoView {
    // Reference-counted state, not the arena's (`StoredValue`, `RwSignal`, `Memo`): under
    // load the server rendered a memo whose arena slot had been freed (a panic about once
    // in 8,000 product pages, bench/sessions.sh). What a closure holds stays alive here.
    let options = choice.options.clone();
    let selected = ArcRwSignal::new(choice.initial_variant(selected).cloned());
    let choice = Arc::new(choice);
    let shown = {
        let selected = selected.clone();
        move |f: fn(&VariantView) -> AnyView| {
            let selected = selected.clone();
            move || selected.get().map(|v| f(&v))
        }
    };
    view! {
        // Announced when a choice changes them in place.
        <div class="mt-3" data-testid="price" aria-live="polite">
            {shown(|v| view! { <Price price=v.price compare_at=v.compare_at large=true /> }.into_any())}
        </div>
        <p class="mt-2 text-sm" data-testid="availability" aria-live="polite">{shown(availability)}</p>
        <p class="mt-1 text-xs text-stone-500">
            "SKU: " <span data-testid="sku">{shown(|v| v.sku.clone().into_any())}</span>
        </p>
        <div class="mt-6 space-y-5">
            {options
                .into_iter()
                .enumerate()
                .map(|(n, option)| {
                    let current = {
                        let selected = selected.clone();
                        move || selected.get().and_then(|v| v.values.get(n).cloned())
                    };
                    view! {
                        <fieldset>
                            <legend class="text-sm font-semibold text-stone-900">
                                {option.name.clone()} ": "
                                <span class="font-normal text-stone-600">{current}</span>
                            </legend>
                            <ul class="mt-2 flex flex-wrap gap-2">
                                {option
                                    .values
                                    .into_iter()
                                    .map(|value| {
                                        let (choice, selected) = (choice.clone(), selected.clone());
                                        view! { <OptionValue choice selected option=n value /> }
                                    })
                                    .collect_view()}
                            </ul>
                        </fieldset>
                    }
                })
                .collect_view()}
        </div>
        {
            // Shown with the variant the page opened with (the one refused); another
            // choice starts afresh.
            let first = selected.get_untracked().map(|v| v.id);
            move || {
                selected.get().map(|v| {
                    let refused = refused.clone().filter(|_| Some(v.id) == first);
                    view! { <BuyBox variant=v refused /> }
                })
            }
        }
    }
}

/// One value of an option, as a link to the variant that has it.
#[component]
fn OptionValue(
    choice: Arc<VariantChoice>,
    selected: ArcRwSignal<Option<VariantView>>,
    option: usize,
    value: String,
) -> impl IntoView {
    let target = ArcMemo::new({
        let (selected, value) = (selected.clone(), value.clone());
        move |_| {
            let current = selected.get()?;
            choice.switch(&current, option, &value).cloned()
        }
    });
    let is_current = ArcMemo::new({
        let (selected, value) = (selected.clone(), value.clone());
        move |_| {
            selected
                .get()
                .is_some_and(|v| v.values.get(option) == Some(&value))
        }
    });
    let href = {
        let target = target.clone();
        move || {
            target
                .get()
                .map(|v| format!("?variant={}", v.id))
                .unwrap_or_default()
        }
    };
    let sold_out = {
        let target = target.clone();
        move || target.get().is_some_and(|v| v.available == 0)
    };
    let class = {
        let (is_current, sold_out) = (is_current.clone(), sold_out.clone());
        move || {
            let base = "block rounded-full border px-4 py-1.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600";
            let state = if is_current.get() {
                "border-teal-700 bg-teal-700 text-white"
            } else {
                "border-stone-300 bg-white text-stone-800 hover:border-teal-700"
            };
            let stock = if sold_out() {
                " line-through decoration-stone-400"
            } else {
                ""
            };
            format!("{base} {state}{stock}")
        }
    };
    // A plain click switches in place and keeps the choice in the URL (replacing it:
    // the back button leaves the product); a click meant for a new tab is left alone.
    let choose = move |ev: leptos::ev::MouseEvent| {
        if ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() || ev.button() != 0 {
            return;
        }
        let Some(variant) = target.get_untracked() else {
            return;
        };
        ev.prevent_default();
        let url = format!("?variant={}", variant.id);
        selected.set(Some(variant));
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(
                &leptos::wasm_bindgen::JsValue::NULL,
                "",
                Some(&url),
            );
        }
    };
    view! {
        <li>
            <a
                href=href
                on:click=choose
                class=class
                aria-current=move || is_current.get().then_some("true")
                rel="nofollow"
                attr:data-option-value=value.clone()
            >
                {value.clone()}
                {move || sold_out().then(|| view! { <span class="sr-only">" (sold out)"</span> })}
            </a>
        </li>
    }
}

fn availability(v: &VariantView) -> AnyView {
    match v.available {
        0 => view! { <span class="font-semibold text-stone-700">"Sold out"</span> }.into_any(),
        n if n <= LOW_STOCK => {
            view! { <span class="font-semibold text-amber-700">{format!("Only {n} left")}</span> }
                .into_any()
        }
        _ => view! { <span class="font-semibold text-emerald-700">"In stock"</span> }.into_any(),
    }
}

/// Quantity and the add-to-cart button for the chosen variant. A plain form post to
/// the server function: without JavaScript the shopper lands on the cart page; with
/// it, the page says what was added and the header's count follows.
#[component]
fn BuyBox(variant: VariantView, refused: Option<Shown>) -> impl IntoView {
    let max = variant.available.clamp(1, mercato::cart::MAX_PER_LINE);
    let sold_out = variant.available == 0;
    // Starts as the server rendered it: with the refusal of a plain post, if any.
    let add = ArcAction::new_with_value(refused.map(Err), |input: &AddToCart| {
        <AddToCart as leptos::server_fn::ServerFn>::run_on_client(input.clone())
    });
    Effect::new({
        let add = add.clone();
        move |_| {
            if let Some(Ok(added)) = add.value().get() {
                crate::cart::show_count(added.item_count);
            }
        }
    });
    let result = {
        let add = add.clone();
        move || {
            add.value().get().map(|result| match result {
            Ok(added) => view! {
                <p role="status" class="mt-3 text-sm font-medium text-emerald-800">
                    {added.to_string()} " "
                    <a href="/cart" class="font-semibold underline">"View cart"</a>
                </p>
            }
            .into_any(),
            Err(error) => view! {
                <p role="alert" class="mt-3 text-sm font-medium text-rose-700">{error.to_string()}</p>
            }
            .into_any(),
        })
        }
    };
    // The form posts to the server function as it is; with the page's code running, the
    // add is sent from here instead and the page stays. (Read from the field, not through
    // `ActionForm`: that would bring a form-data parser into every shopper's download.)
    let quantity = NodeRef::<leptos::html::Input>::new();
    let id = variant.id;
    let submit = {
        let add = add.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let quantity = quantity.get().map(|q| q.value()).unwrap_or_default();
            add.dispatch(AddToCart {
                variant_id: id,
                quantity,
            });
        }
    };
    let pending = add.pending();
    view! {
        <form action={<AddToCart as leptos::server_fn::ServerFn>::url()} method="post" on:submit=submit class="mt-8 flex items-end gap-3">
            <input type="hidden" name="variant_id" value=variant.id />
            <div>
                <label for="quantity" class="block text-sm font-semibold text-stone-900">"Quantity"</label>
                <input
                    id="quantity"
                    node_ref=quantity
                    name="quantity"
                    type="number"
                    inputmode="numeric"
                    min="1"
                    max=max
                    value="1"
                    disabled=sold_out
                    class="mt-1 h-12 w-20 rounded-xl border border-stone-300 bg-white px-3 text-center focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30 disabled:bg-stone-100"
                />
            </div>
            <button
                type="submit"
                disabled=move || sold_out || pending.get()
                class="h-12 flex-1 rounded-full bg-teal-700 px-6 font-semibold text-white shadow-sm hover:bg-teal-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:bg-stone-300 disabled:text-stone-600"
            >
                {if sold_out { "Sold out" } else { "Add to cart" }}
            </button>
        </form>
        {result}
    }
}

/// schema.org `Product` with one `Offer` per variant, for search engines.
fn json_ld(p: &ProductDetail) -> serde_json::Value {
    let offers: Vec<serde_json::Value> = p
        .variants
        .iter()
        .map(|v| {
            serde_json::json!({
                "@type": "Offer",
                "sku": v.sku,
                "price": v.price.amount().to_string(),
                "priceCurrency": v.price.currency().code(),
                "availability": if v.available > 0 {
                    "https://schema.org/InStock"
                } else {
                    "https://schema.org/OutOfStock"
                },
                "url": absolute(&format!("/p/{}?variant={}", p.slug, v.id)),
            })
        })
        .collect();
    serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": p.name,
        "description": p.description,
        "url": absolute(&format!("/p/{}", p.slug)),
        "image": p.images.iter().map(|i| absolute(&i.url)).collect::<Vec<_>>(),
        "offers": offers,
    })
}
