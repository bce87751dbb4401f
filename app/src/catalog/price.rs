use leptos::prelude::*;
use mercato::catalog::view::is_on_sale;
use mercato::Money;

/// A price as shoppers read it: "from" when variants differ, and the compare-at price
/// struck through when the item is on sale.
#[component]
pub fn Price(
    price: Money,
    compare_at: Option<Money>,
    #[prop(optional)] from: bool,
    #[prop(optional)] large: bool,
) -> impl IntoView {
    let size = if large { "text-2xl" } else { "text-base" };
    let on_sale = is_on_sale(price, compare_at);
    view! {
        <p class=format!("flex flex-wrap items-baseline gap-x-2 {size}")>
            {from.then(|| view! { <span class="text-sm text-stone-500">"from"</span> })}
            <span class=if on_sale { "font-semibold text-rose-700" } else { "font-semibold text-stone-900" }>
                {price.format()}
            </span>
            {on_sale
                .then(|| {
                    compare_at
                        .map(|c| {
                            view! {
                                <span class="text-sm text-stone-500 line-through">
                                    <span class="sr-only">"was "</span>
                                    {c.format()}
                                </span>
                            }
                        })
                })}
        </p>
    }
}
