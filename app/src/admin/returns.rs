//! `/admin/returns`: the returns customers asked for, those waiting for staff first, and
//! the shop's return policy; on `/admin/orders/{number}`, each return of the order with
//! the step it waits for (answer, receive, refund). The rules are
//! `mercato::orders::returns`; the refund goes through `mercato::orders::refund`.

use super::{select_options, AdminHeader, DataTable, EmptyList, KeysetPager, BADGE};
use crate::components::form::{
    action_error, Outcome, TextArea, TextField, BUTTON, INPUT, LABEL, SECONDARY,
};
use crate::components::loaded;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use mercato::orders::fulfil::ShipLineForm;
use mercato::orders::refund::{Refundable, Refunded};
use mercato::orders::returns::{
    Return, ReturnFilter, ReturnPage, ReturnPolicy, ReturnRow, ReturnState,
};

const LIST_PATH: &str = "/admin/returns";

/// The list as `show` and `after` ask.
#[server(prefix = "/api", endpoint = "admin/returns")]
pub async fn load_returns(
    show: Option<String>,
    after: Option<String>,
) -> Result<ReturnPage, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Orders).await?;
    let filter = show
        .as_deref()
        .and_then(ReturnFilter::parse)
        .unwrap_or_default();
    let after = after.and_then(|a| a.parse().ok());
    let pool = crate::state::pool()?;
    Ok(mercato::orders::returns::list(&pool, &staff, filter, after).await?)
}

/// Approves or rejects (`decision`) requested return `id` of order `number`, with
/// `message` to the customer (needed to reject).
#[server(prefix = "/api", endpoint = "admin/returns/answer")]
pub async fn answer_return(
    number: i64,
    id: i64,
    #[server(default)] decision: String,
    #[server(default)] message: String,
) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Orders).await?;
    let answer = mercato::orders::returns::Answer::parse(&decision, &message)?;
    let state = crate::state::state()?;
    mercato::orders::returns::answer(&state.pool, &staff, number, id, &answer, &state.public_url)
        .await?;
    crate::session::flash_if_plain_form(match answer {
        mercato::orders::returns::Answer::Approve(_) => {
            "Return approved: the customer has a mail saying how to send it back."
        }
        mercato::orders::returns::Answer::Reject(_) => {
            "Return rejected: the customer has a mail with your words."
        }
    })
    .await
}

/// Return `id` of order `number` came back; `restock[i][quantity]` of each line
/// (`restock[i][id]`) go back in stock.
#[server(prefix = "/api", endpoint = "admin/returns/receive")]
pub async fn receive_return(
    number: i64,
    id: i64,
    #[server(default)] restock: Vec<ShipLineForm>,
) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Orders).await?;
    let restock = mercato::orders::returns::parse_restock(&restock)?;
    let state = crate::state::state()?;
    mercato::orders::returns::receive(&state.pool, &staff, number, id, &restock, &state.public_url)
        .await?;
    crate::session::flash_if_plain_form(
        "Marked received: the items chosen are back in stock, and the customer has a mail. The return waits for its refund.",
    )
    .await
}

/// Refunds received return `id` of order `number`: its items, with `shipping`, or an
/// `amount` instead, in `currency` (the order's).
#[server(prefix = "/api", endpoint = "admin/returns/refund")]
pub async fn refund_return(
    number: i64,
    id: i64,
    #[server(default)] shipping: String,
    #[server(default)] amount: String,
    #[server(default)] currency: String,
    #[server(default)] key: String,
) -> Result<Refunded, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Refunds).await?;
    let extra = mercato::orders::refund::RefundChoice::parse_without_lines(
        &shipping, &amount, &currency, "", &key,
    )?;
    let state = crate::state::state()?;
    let refunded = mercato::orders::refund::refund_return(
        &state.pool,
        &state.payments,
        &staff,
        number,
        id,
        &extra,
        &state.public_url,
    )
    .await?;
    crate::session::flash_if_plain_form(super::orders::refunded_message(refunded)).await?;
    Ok(refunded)
}

/// Sets the return window (`days` after delivery; 0 for none) and the instructions an
/// approved return's customer gets.
#[server(prefix = "/api", endpoint = "admin/returns/policy")]
pub async fn save_return_policy(
    #[server(default)] days: String,
    #[server(default)] instructions: String,
) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Settings).await?;
    let policy = ReturnPolicy::parse(&days, &instructions)?;
    let pool = crate::state::pool()?;
    mercato::orders::returns::set_policy(&pool, &staff, &policy).await?;
    crate::session::flash_if_plain_form("Return policy saved.").await
}

use super::CARD;

fn state_class(state: ReturnState) -> &'static str {
    match state {
        ReturnState::Requested => "bg-amber-100 text-amber-900",
        ReturnState::Approved => "bg-sky-100 text-sky-900",
        ReturnState::Received => "bg-indigo-100 text-indigo-900",
        ReturnState::Refunded => "bg-teal-100 text-teal-900",
        ReturnState::Rejected => "bg-stone-200 text-stone-700",
    }
}

/// A badge for a return's state.
#[component]
pub fn ReturnBadge(state: ReturnState) -> impl IntoView {
    view! { <span class=format!("{BADGE} {}", state_class(state)) data-testid="return-state">{state.label()}</span> }
}

/// `/admin/returns[?show=…&after=…]`
#[component]
pub fn ReturnsPage() -> impl IntoView {
    let args = super::url_params(["show", "after"]);
    let list = Resource::new(args, |[show, after]| load_returns(show, after));
    let filter = move || {
        args()[0]
            .as_deref()
            .and_then(ReturnFilter::parse)
            .unwrap_or_default()
    };
    let first = move || args()[1].is_none();
    view! {
        <AdminHeader title="Returns" />
        {loaded(list, move |page| view! { <Returns page filter=filter() first=first() /> })}
    }
}

#[component]
fn Returns(page: ReturnPage, filter: ReturnFilter, first: bool) -> impl IntoView {
    let href = |after: Option<i64>| {
        let mut url = format!("{LIST_PATH}?show={}", filter.as_str());
        if let Some(after) = after {
            url.push_str(&format!("&after={after}"));
        }
        url
    };
    let shows = ReturnFilter::ALL
        .into_iter()
        .map(|f| (f.as_str().to_owned(), f.label().to_owned()));
    let filtered = filter != ReturnFilter::default();
    let table = if page.rows.is_empty() {
        let message = match (first, filter) {
            (false, _) => "No more returns.",
            (true, ReturnFilter::Open) => {
                "No return waits for you. Customers ask for returns on their order's page."
            }
            (true, _) => "No return is in this state.",
        };
        view! { <EmptyList message filtered list=LIST_PATH /> }.into_any()
    } else {
        let next = page.next.map(|n| href(Some(n)));
        let newest = (!first).then(|| href(None));
        view! {
            <div class="mt-4">
                <DataTable min_width="min-w-[48rem]" columns=&["Return", "Order", "Customer", "Items", "Reason", "State", "Asked (UTC)"]>
                    {page.rows.into_iter().map(|row| view! { <Row row /> }).collect_view()}
                </DataTable>
            </div>
            <KeysetPager label="Return pages" first=newest next first_label="Newest" next_label="Older returns" />
        }
        .into_any()
    };
    view! {
        <form method="get" action=LIST_PATH class="mt-5 flex flex-wrap items-end gap-3 rounded-2xl border border-stone-200 bg-white p-4">
            <div>
                <label for="returns-show" class=LABEL>"Show"</label>
                <select id="returns-show" name="show" class=INPUT>{select_options(shows, filter.as_str())}</select>
            </div>
            <button type="submit" class=SECONDARY>"Apply"</button>
        </form>
        {table}
        <Policy policy=page.policy may_edit=page.may_edit_policy />
    }
}

#[component]
fn Row(row: ReturnRow) -> impl IntoView {
    let href = format!("/admin/orders/{}#return-{}", row.number, row.id);
    view! {
        <tr data-testid="return-row" class="align-middle">
            <th scope="row" class="whitespace-nowrap px-4 py-3 text-left font-semibold">
                <a href=href class="text-teal-800 underline-offset-4 hover:underline">{format!("Return {}", row.id)}</a>
            </th>
            <td class="whitespace-nowrap px-4 py-3">{format!("#{}", row.number)}</td>
            <td class="px-4 py-3 text-stone-700">{row.email}</td>
            <td class="px-4 py-3 tabular-nums">{row.units}</td>
            <td class="max-w-xs truncate px-4 py-3 text-stone-700" title=row.reason.clone()>{row.reason.clone()}</td>
            <td class="px-4 py-3"><ReturnBadge state=row.state /></td>
            <td class="whitespace-nowrap px-4 py-3 text-stone-600">{row.requested_at}</td>
        </tr>
    }
}

/// The return window and instructions; a form for staff with the settings permission.
#[component]
fn Policy(policy: ReturnPolicy, may_edit: bool) -> impl IntoView {
    let save = ServerAction::<SaveReturnPolicy>::new();
    let outcome: Signal<Outcome<()>> = save.value().into();
    let window = if policy.days == 0 {
        "Customers cannot ask for returns online.".to_owned()
    } else {
        format!(
            "Customers may ask to return delivered items for {} days after delivery.",
            policy.days
        )
    };
    view! {
        <section aria-labelledby="policy-heading" class=format!("mt-6 {CARD}")>
            <h2 id="policy-heading" class="text-lg font-bold">"Return policy"</h2>
            <p class="mt-1 text-sm text-stone-600" data-testid="return-window">{window}</p>
            {if may_edit {
                view! {
                    <ActionForm action=save attr:class="mt-3 space-y-4" attr:novalidate=true>
                        {action_error(save.value())}
                        <div class="max-w-xs">
                            <TextField name="days" label="Return window (days after delivery)" kind="number" value=policy.days.to_string() maxlength=3 required=true outcome hint="0 turns online returns off. Changes apply to delivered orders at once." />
                        </div>
                        <TextArea name="instructions" label="How customers send a return back" value=policy.instructions.clone() rows=4 maxlength=ReturnPolicy::MAX_INSTRUCTIONS required=true outcome hint="The approval mail and the order page show this: your return address, the label, what to put in the parcel." />
                        <button type="submit" class=BUTTON>"Save the policy"</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <p class="mt-2 whitespace-pre-line text-sm text-stone-700">{policy.instructions.clone()}</p>
                    <p class="mt-2 text-xs text-stone-600">"Changing the policy needs the settings permission."</p>
                }.into_any()
            }}
        </section>
    }
}

/// The order's returns on its staff page, each with the step it waits for: an answer,
/// the parcel, or its refund (`refundable`: the order as it can be refunded now).
#[component]
pub fn OrderReturns(
    number: i64,
    returns: Vec<Return>,
    refundable: Refundable,
    may_refund: bool,
    refund_key: String,
) -> impl IntoView {
    if returns.is_empty() {
        return ().into_any();
    }
    view! {
        <section aria-labelledby="returns-heading" class=CARD>
            <h2 id="returns-heading" class="text-lg font-bold">"Returns"</h2>
            <ul class="mt-2 divide-y divide-stone-100 text-sm">
                {returns.into_iter().map(|r| {
                    let step = match r.state {
                        ReturnState::Requested => view! { <AnswerForm number id=r.id /> <ReceiveForm number ret=r.clone() /> }.into_any(),
                        ReturnState::Approved => view! { <ReceiveForm number ret=r.clone() /> }.into_any(),
                        ReturnState::Received if r.refund.is_some() => ().into_any(),
                        ReturnState::Received if may_refund => view! {
                            <RefundReturnForm number ret=r.clone() refundable=refundable.clone() key=mercato::orders::returns::refund_key(&refund_key, r.id) />
                        }.into_any(),
                        ReturnState::Received => view! {
                            <p class="mt-2 text-xs text-stone-600">"Refunding it needs the refunds permission: ask an administrator if you need it."</p>
                        }.into_any(),
                        ReturnState::Rejected | ReturnState::Refunded => ().into_any(),
                    };
                    view! {
                        <li class="py-3" id=format!("return-{}", r.id) data-testid="staff-return">
                            <div class="flex flex-wrap items-baseline justify-between gap-2">
                                <span class="flex items-center gap-2">
                                    <h3 class="font-semibold">{format!("Return {}", r.id)}</h3>
                                    <ReturnBadge state=r.state />
                                </span>
                                <span class="text-xs text-stone-600">{format!("Asked {} UTC", r.requested_at)}</span>
                            </div>
                            <ul class="mt-1 text-stone-700">
                                {r.lines.iter().map(|l| view! {
                                    <li>
                                        {format!("{} × {}", l.units, l.name)}
                                        {r.received_at.is_some().then(|| view! { <span class="text-xs text-stone-600">{format!(" · {} back in stock", l.restocked)}</span> })}
                                    </li>
                                }).collect_view()}
                            </ul>
                            <p class="mt-1 break-words text-stone-700"><span class="font-semibold">"Customer: "</span>{r.reason.clone()}</p>
                            {r.answer.clone().map(|a| view! { <p class="mt-1 break-words text-stone-700"><span class="font-semibold">"Our answer: "</span>{a}</p> })}
                            <ul class="mt-1 text-xs text-stone-600">
                                {r.answered_at.clone().map(|at| view! { <li>{format!("Answered {at} UTC{}", r.answered_by.clone().map(|b| format!(" by {b}")).unwrap_or_default())}</li> })}
                                {r.received_at.clone().map(|at| view! { <li>{format!("Received {at} UTC{}", r.received_by.clone().map(|b| format!(" by {b}")).unwrap_or_default())}</li> })}
                                {r.refund.map(|(amount, state)| view! { <li>{format!("Refund {} · {}", amount.format(), state.label())}</li> })}
                            </ul>
                            {step}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn AnswerForm(number: i64, id: i64) -> impl IntoView {
    let answer = ServerAction::<AnswerReturn>::new();
    let outcome: Signal<Outcome<()>> = answer.value().into();
    view! {
        <ActionForm action=answer attr:class="mt-3 space-y-3" attr:novalidate=true>
            {action_error(answer.value())}
            <input type="hidden" name="number" value=number />
            <input type="hidden" name="id" value=id />
            <TextField name="message" label="Words to the customer" maxlength=mercato::orders::returns::MAX_TEXT outcome hint="Needed to reject: the customer reads it in the mail and on their order." />
            <div class="flex flex-wrap gap-3">
                <button type="submit" name="decision" value="approve" class=BUTTON>"Approve"</button>
                <button type="submit" name="decision" value="reject" class=SECONDARY>"Reject"</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn ReceiveForm(number: i64, ret: Return) -> impl IntoView {
    let receive = ServerAction::<ReceiveReturn>::new();
    let outcome: Signal<Outcome<()>> = receive.value().into();
    let rows = ret
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let id = format!("receive-{}-{i}", ret.id);
            let field = format!("restock[{i}][quantity]");
            let error_id = format!("{id}-error");
            let error = {
                let field = field.clone();
                move || outcome.get().and_then(Result::err).and_then(|e| e.field(&field))
            };
            let invalid = {
                let error = error.clone();
                move || error().is_some().to_string()
            };
            let described = {
                let (error, error_id) = (error.clone(), error_id.clone());
                move || error().map(|_| error_id.clone())
            };
            view! {
                <li class="flex flex-wrap items-center justify-between gap-2">
                    <label for=id.clone()>{format!("{} back in stock", l.name)}</label>
                    <span>
                        <input type="hidden" name=format!("restock[{i}][id]") value=l.line_id />
                        <input id=id name=field type="number" min="0" max=l.units value=l.units inputmode="numeric" aria-invalid=invalid aria-describedby=described class="h-10 w-20 rounded-xl border border-stone-300 px-2 text-right tabular-nums focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30" />
                        <span class="ml-1 text-xs text-stone-600">{format!("of {}", l.units)}</span>
                        {move || error().map(|e| view! { <span id=error_id.clone() class="block text-xs font-medium text-rose-800">{e}</span> })}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="mt-3">
            <summary class="cursor-pointer font-semibold text-teal-800">"The parcel came back"</summary>
            <ActionForm action=receive attr:class="mt-2 space-y-3" attr:novalidate=true>
                {action_error(receive.value())}
                <input type="hidden" name="number" value=number />
                <input type="hidden" name="id" value=ret.id />
                <p class="text-xs text-stone-600">"Units that can be sold again go back in stock now; set a line to 0 for damaged ones."</p>
                <ul class="space-y-2">{rows}</ul>
                <button type="submit" class=SECONDARY>"Mark received"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn RefundReturnForm(
    number: i64,
    ret: Return,
    refundable: Refundable,
    key: String,
) -> impl IntoView {
    let refund = ServerAction::<RefundReturn>::new();
    let outcome: Signal<Outcome<Refunded>> = refund.value().into();
    let value = ret.refund_plan(&refundable).map(|p| p.amount);
    let restocked: u32 = ret.lines.iter().map(|l| l.restocked).sum();
    let shipping_left = refundable.shipping_left;
    let currency = refundable.left.currency();
    view! {
        <ActionForm action=refund attr:class="mt-3 space-y-3" attr:novalidate=true>
            {action_error(refund.value())}
            <input type="hidden" name="number" value=number />
            <input type="hidden" name="id" value=ret.id />
            <input type="hidden" name="currency" value=currency.code().to_owned() />
            <input type="hidden" name="key" value=key />
            <p class="text-xs text-stone-600" data-testid="return-value">
                {match &value {
                    Ok(value) => format!("The items are worth {} of what was paid. ", value.format()),
                    Err(why) => format!("{why} "),
                }}
                {format!("{restocked} went back in stock when the parcel came; refunding puts nothing back again.")}
            </p>
            <div class="grid gap-3 sm:grid-cols-2">
                {(!shipping_left.is_zero()).then(|| view! {
                    <TextField name="shipping" label="Shipping to refund too" maxlength=20 outcome hint=format!("At most {}; empty for none.", shipping_left.format()) />
                })}
                <TextField name="amount" label="Refund this amount instead" maxlength=20 outcome hint="Less than the items' value: less a restocking fee, say." />
            </div>
            <button type="submit" class=BUTTON>
                {match value {
                    Ok(value) => format!("Refund the return ({})", value.format()),
                    Err(_) => "Refund the return".to_owned(),
                }}
            </button>
        </ActionForm>
    }
}
