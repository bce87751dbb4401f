use super::{coupon_applied, load_cart, ApplyCoupon, RemoveCartLine, RemoveCoupon, UpdateCartLine};
use crate::catalog::Price;
use crate::components::form::{action_error, INPUT};
use crate::components::loaded;
use crate::components::PageTitle;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Meta;
use mercato::cart::{CartLine, CartView};

/// `/cart`: every line re-checked against the catalog, with what changed said plainly.
/// Changing a quantity, removing a line and the coupon are plain form posts that land
/// back here, said in the page (an error by its form, a success in the flash).
#[component]
pub fn CartPage() -> impl IntoView {
    let update = ServerAction::<UpdateCartLine>::new();
    let remove = ServerAction::<RemoveCartLine>::new();
    let coupons = Coupons {
        apply: ServerAction::<ApplyCoupon>::new(),
        remove: ServerAction::<RemoveCoupon>::new(),
    };
    let data = Resource::new(|| (), |_| load_cart());
    let error = move || {
        let failed = |r: Option<Result<_, crate::error::AppError>>| r.and_then(Result::err);
        failed(update.value().get().map(|r| r.map(|_| ()))).or_else(|| failed(remove.value().get()))
    };
    view! {
        <PageTitle text="Your cart" />
        <Meta name="robots" content="noindex" />
        <div class="mx-auto max-w-4xl px-4 py-8">
            <h1 class="text-3xl font-bold tracking-tight">"Your cart"</h1>
            {move || {
                error()
                    .map(|e| {
                        view! {
                            <p role="alert" class="mt-4 rounded-xl bg-rose-50 px-4 py-3 text-sm font-medium text-rose-800">
                                {e.to_string()}
                            </p>
                        }
                    })
            }}
            {loaded(data, move |cart| view! { <Cart cart update remove coupons /> })}
        </div>
    }
}

#[component]
fn Cart(
    cart: CartView,
    update: ServerAction<UpdateCartLine>,
    remove: ServerAction<RemoveCartLine>,
    coupons: Coupons,
) -> impl IntoView {
    let subtotal = cart.subtotal();
    let discount = cart.discount();
    let total = cart.total();
    let coupon = cart.coupon.clone();
    let waiting = cart.coupon_waiting.clone();
    let count = cart.item_count();
    let notices = (!cart.notices.is_empty()).then(|| {
        view! {
            <ul role="status" class="mt-4 space-y-2">
                {cart
                    .notices
                    .iter()
                    .map(|n| {
                        view! {
                            <li class="rounded-xl bg-amber-50 px-4 py-3 text-sm text-amber-900">{n.to_string()}</li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    });
    if cart.lines.is_empty() {
        return view! {
            {notices}
            <div class="mt-8 rounded-2xl border border-dashed border-stone-300 bg-white p-10 text-center">
                <p class="text-lg font-semibold text-stone-800">"Your cart is empty."</p>
                <p class="mt-2 text-stone-600">"Find something you like and it will wait for you here."</p>
                <a href="/search" class="mt-6 inline-block rounded-full bg-teal-700 px-6 py-3 text-sm font-semibold text-white hover:bg-teal-800">
                    "Browse the shop"
                </a>
            </div>
        }
        .into_any();
    }
    view! {
        {notices}
        <ul class="mt-6 divide-y divide-stone-200 border-y border-stone-200" aria-label="Items in your cart">
            {cart
                .lines
                .into_iter()
                .map(|line| view! { <Line line update remove /> })
                .collect_view()}
        </ul>
        <div class="mt-6 grid gap-6 sm:grid-cols-2">
            <CouponBox coupons coupon=coupon.clone() waiting />
            <section aria-label="Summary" class="flex flex-col gap-2 rounded-2xl border border-stone-200 bg-white p-5">
                <p class="flex items-baseline justify-between gap-3">
                    <span class="text-stone-600">{format!("Subtotal ({count} {})", if count == 1 { "item" } else { "items" })}</span>
                    <span class="font-semibold" data-testid="subtotal">{subtotal.format()}</span>
                </p>
                {coupon.map(|c| view! {
                    <p class="flex items-baseline justify-between gap-3 text-teal-800">
                        <span>{format!("Coupon {} ({})", c.code, c.label)}</span>
                        <span class="font-semibold" data-testid="discount">
                            {if c.free_shipping { "Free shipping".to_owned() } else { format!("−{}", discount.format()) }}
                        </span>
                    </p>
                })}
                <p class="flex items-baseline justify-between gap-3 border-t border-stone-200 pt-2 text-lg">
                    <span class="font-semibold">"Total"</span>
                    <span class="font-bold" data-testid="total">{total.format()}</span>
                </p>
                <p class="text-sm text-stone-500">"Shipping and taxes are worked out at checkout."</p>
                <a href="/checkout" class="mt-2 block rounded-full bg-teal-700 px-6 py-3 text-center font-semibold text-white hover:bg-teal-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600 focus-visible:ring-offset-2">
                    "Check out"
                </a>
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn Line(
    line: CartLine,
    update: ServerAction<UpdateCartLine>,
    remove: ServerAction<RemoveCartLine>,
) -> impl IntoView {
    let href = format!("/p/{}?variant={}", line.product_slug, line.variant_id);
    let quantity_id = format!("quantity-{}", line.id);
    let label_for = quantity_id.clone();
    let total = line.total();
    let low = (line.available <= 5).then(|| {
        view! { <p class="mt-1 text-xs font-semibold text-amber-700">{format!("Only {} left", line.available)}</p> }
    });
    view! {
        <li class="flex gap-4 py-5" data-testid="cart-line">
            <a href=href.clone() class="block h-24 w-24 shrink-0 overflow-hidden rounded-xl bg-stone-100">
                {line.image.map(|img| view! { <img src=img.url srcset=img.srcset sizes="96px" alt=img.alt width=img.width height=img.height class="h-full w-full object-cover" /> })}
            </a>
            <div class="flex flex-1 flex-col gap-2 sm:flex-row sm:justify-between">
                <div>
                    <a href=href class="font-semibold text-stone-900 hover:underline">{line.name.clone()}</a>
                    {(!line.variant_label.is_empty()).then(|| view! { <p class="text-sm text-stone-600">{line.variant_label.clone()}</p> })}
                    <p class="text-xs text-stone-500">"SKU " {line.sku.clone()}</p>
                    <Price price=line.unit_price compare_at=None />
                    {low}
                </div>
                <div class="flex flex-col items-start gap-2 sm:items-end">
                    <ActionForm action=update attr:class="flex items-end gap-2">
                        <input type="hidden" name="line_id" value=line.id />
                        <label for=label_for class="text-xs font-semibold text-stone-700">
                            "Quantity"
                            <input
                                id=quantity_id
                                name="quantity"
                                type="number"
                                inputmode="numeric"
                                min="1"
                                max=line.available
                                value=line.quantity
                                prop:value=line.quantity.to_string()
                                class="mt-1 block h-10 w-20 rounded-lg border border-stone-300 px-2 text-center text-sm focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30"
                            />
                        </label>
                        <button type="submit" class="h-10 rounded-full border border-stone-300 bg-white px-4 text-sm font-medium hover:bg-stone-100">"Update"</button>
                    </ActionForm>
                    <ActionForm action=remove>
                        <input type="hidden" name="line_id" value=line.id />
                        <button type="submit" class="text-sm font-medium text-rose-700 underline-offset-4 hover:underline">
                            "Remove"
                            <span class="sr-only">" " {line.name.clone()}</span>
                        </button>
                    </ActionForm>
                    <p class="font-semibold" data-testid="line-total">{total.format()}</p>
                </div>
            </div>
        </li>
    }
}

/// The two coupon actions, handed down together.
#[derive(Clone, Copy)]
struct Coupons {
    apply: ServerAction<ApplyCoupon>,
    remove: ServerAction<RemoveCoupon>,
}

/// Apply a code, or see the one applied and take it off.
#[component]
fn CouponBox(
    coupons: Coupons,
    coupon: Option<mercato::cart::coupon::AppliedCoupon>,
    waiting: Option<mercato::cart::WaitingCoupon>,
) -> impl IntoView {
    let Coupons { apply, remove } = coupons;
    let has_coupon = coupon.is_some();
    let applied_code = coupon
        .as_ref()
        .map(|c| c.code.clone())
        .or(waiting.as_ref().map(|w| w.code.clone()));
    view! {
        <section aria-labelledby="coupon-heading" class="rounded-2xl border border-stone-200 bg-white p-5">
            <h2 id="coupon-heading" class="font-semibold">"Coupon"</h2>
            <div class="mt-2 space-y-2">
                {action_error(apply.value())}
                {action_error(remove.value())}
                {move || apply.value().get().and_then(Result::ok).filter(|_| has_coupon).map(|a| view! {
                    <p role="status" class="rounded-xl bg-teal-50 px-4 py-3 text-sm font-medium text-teal-900">{coupon_applied(&a)}</p>
                })}
                {waiting.map(|w| view! {
                    <p role="status" class="rounded-xl bg-amber-50 px-4 py-3 text-sm text-amber-900" data-testid="coupon-waiting">{w.why.to_string()}</p>
                })}
            </div>
            {match applied_code {
                Some(code) => view! {
                    <div class="mt-3 flex items-center justify-between gap-3">
                        <span class="rounded-full bg-teal-50 px-3 py-1 font-mono text-sm font-semibold text-teal-800" data-testid="coupon-code">{code}</span>
                        <ActionForm action=remove>
                            <button type="submit" class="text-sm font-semibold text-rose-700 underline">"Remove coupon"</button>
                        </ActionForm>
                    </div>
                }.into_any(),
                None => view! {
                    <ActionForm action=apply attr:class="mt-3 flex items-end gap-2">
                        <label class="flex-1 text-sm font-medium text-stone-700">
                            "Code"
                            <input name="code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="60" required value=crate::form_errors::kept("code") class=INPUT />
                        </label>
                        <button type="submit" class="h-11 rounded-full border border-stone-300 bg-white px-5 text-sm font-semibold hover:bg-stone-100">"Apply"</button>
                    </ActionForm>
                }.into_any(),
            }}
        </section>
    }
}
