//! `/admin/customers`: customers' accounts, searched by email, name or number, newest
//! first, with their orders and what they spent; `/admin/customers/{id}`: one
//! customer whole, staff notes, a password reset mail, and with the customer data permission the
//! account's data as JSON and its anonymisation. The rules are
//! `mercato::accounts::customers`.

use super::{AdminHeader, DataTable, EmptyList, KeysetPager};
use crate::components::form::{action_error, Outcome, TextArea, BUTTON, INPUT, LABEL, SECONDARY};
use crate::components::loaded;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use mercato::accounts::customers::{
    export_href, Customer, CustomerList, CustomerQuery, CustomerRow, LIST_PATH,
};

/// The list as `q` and `after` ask.
#[server(prefix = "/api", endpoint = "admin/customers")]
pub async fn load_customers(
    q: Option<String>,
    after: Option<String>,
) -> Result<CustomerList, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Customers).await?;
    let query = CustomerQuery::from_params(q.as_deref(), after.as_deref());
    let pool = crate::state::pool()?;
    Ok(mercato::accounts::customers::list(&pool, &staff, &query).await?)
}

/// Customer `id` whole.
#[server(prefix = "/api", endpoint = "admin/customers/detail")]
pub async fn load_customer(id: i64) -> Result<Customer, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Customers).await?;
    let pool = crate::state::pool()?;
    Ok(mercato::accounts::customers::customer(&pool, &staff, id).await?)
}

/// Adds a staff-only note to customer `id`.
#[server(prefix = "/api", endpoint = "admin/customers/note")]
pub async fn add_customer_note(id: i64, #[server(default)] body: String) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Customers).await?;
    let pool = crate::state::pool()?;
    mercato::accounts::customers::add_note(&pool, &staff, id, &body).await?;
    crate::session::flash_if_plain_form("Note added.").await
}

/// Sends customer `id` a password reset mail.
#[server(prefix = "/api", endpoint = "admin/customers/reset")]
pub async fn send_customer_reset(id: i64) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Customers).await?;
    let state = crate::state::state()?;
    mercato::accounts::customers::send_reset(&state.pool, &staff, id, &state.public_url).await?;
    crate::session::flash_if_plain_form(
        "Reset mail sent: its link works for an hour, once. Their password stays as it is until they use it.",
    )
    .await
}

/// Anonymises customer `id`, once `confirm` is ticked. Needs the customer data
/// permission.
#[server(prefix = "/api", endpoint = "admin/customers/anonymise")]
pub async fn anonymise_customer(
    id: i64,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    let staff =
        crate::accounts::require_permission(mercato::admin::Permission::CustomerData).await?;
    super::confirmed(&confirm, "you understand this cannot be undone")?;
    let pool = crate::state::pool()?;
    mercato::accounts::customers::anonymise(&pool, &staff, id).await?;
    crate::session::flash_if_plain_form(
        "Anonymised: the account can no longer sign in, and its email, name and addresses are gone. Its orders stay.",
    )
    .await
}

use super::CARD;

/// `/admin/customers[?q=…&after=…]`
#[component]
pub fn CustomersPage() -> impl IntoView {
    let args = super::url_params(["q", "after"]);
    let list = Resource::new(args, |[q, after]| load_customers(q, after));
    let query = move || {
        let [q, after] = args();
        CustomerQuery::from_params(q.as_deref(), after.as_deref())
    };
    view! {
        <AdminHeader title="Customers" />
        {loaded(list, move |page| view! { <Customers page query=query() /> })}
    }
}

#[component]
fn Customers(page: CustomerList, query: CustomerQuery) -> impl IntoView {
    let searched = !query.q.is_empty();
    let first = query.after.is_none();
    let table = if page.rows.is_empty() {
        let message = match (first, searched) {
            (false, _) => "No more customers.",
            (true, true) => "No customer matches this search.",
            (true, false) => "No customers yet. They appear here when shoppers create accounts.",
        };
        view! { <EmptyList message filtered=searched list=LIST_PATH /> }.into_any()
    } else {
        let next = page.next.map(|n| query.href(Some(n)));
        let newest = (!first).then(|| query.href(None));
        view! {
            <div class="mt-4">
                <DataTable min_width="min-w-[40rem]" columns=&["Customer", "Joined", "Orders", "Spent"]>
                    {page.rows.into_iter().map(|row| view! { <Row row /> }).collect_view()}
                </DataTable>
            </div>
            <KeysetPager label="Customer pages" first=newest next first_label="Newest" next_label="Older customers" />
        }
        .into_any()
    };
    view! {
        <form method="get" action=LIST_PATH role="search" class="mt-5 flex flex-wrap items-end gap-3 rounded-2xl border border-stone-200 bg-white p-4">
            <div class="min-w-0 flex-1">
                <label for="customers-q" class=LABEL>"Email, name or account number"</label>
                <input id="customers-q" name="q" type="search" value=query.q.clone() maxlength=CustomerQuery::MAX_SEARCH class=INPUT />
            </div>
            <button type="submit" class=SECONDARY>"Search"</button>
        </form>
        {table}
    }
}

#[component]
fn Row(row: CustomerRow) -> impl IntoView {
    view! {
        <tr data-testid="customer-row" class="align-middle">
            <th scope="row" class="px-4 py-3 text-left font-semibold">
                <a href=format!("{LIST_PATH}/{}", row.id) class="break-all text-teal-800 underline-offset-4 hover:underline">{row.email}</a>
                <span class="block text-xs font-normal text-stone-500">
                    {format!("No. {}", row.id)}
                    {row.anonymised.then_some(" · anonymised")}
                </span>
            </th>
            <td class="whitespace-nowrap px-4 py-3 text-stone-600">{row.joined}</td>
            <td class="px-4 py-3 tabular-nums">{row.orders}</td>
            <td class="whitespace-nowrap px-4 py-3 font-semibold tabular-nums">{super::amounts(&row.spent)}</td>
        </tr>
    }
}

/// `/admin/customers/{id}`
#[component]
pub fn CustomerPage() -> impl IntoView {
    let customer = super::record_resource("id", load_customer);
    view! { {loaded(customer, |customer| view! { <CustomerDetail customer /> })} }
}

#[component]
fn CustomerDetail(customer: Customer) -> impl IntoView {
    let id = customer.id;
    let note = ServerAction::<AddCustomerNote>::new();
    let note_outcome: Signal<Outcome<()>> = note.value().into();
    let reset = ServerAction::<SendCustomerReset>::new();
    view! {
        <AdminHeader crumbs=vec![("Customers", LIST_PATH)] title=customer.email.clone() />
        <dl class="mt-3 flex flex-wrap gap-x-6 gap-y-1 text-sm text-stone-700">
            <div class="flex gap-1"><dt class="text-stone-600">"Account"</dt><dd>{format!("No. {id}")}</dd></div>
            <div class="flex gap-1"><dt class="text-stone-600">"Joined"</dt><dd>{customer.joined.clone()}</dd></div>
            <div class="flex gap-1"><dt class="text-stone-600">"Email"</dt><dd>{if customer.verified { "confirmed" } else { "not confirmed" }}</dd></div>
            <div class="flex gap-1"><dt class="text-stone-600">"Spent"</dt><dd class="font-semibold" data-testid="customer-spent">{super::amounts(&customer.spent)}</dd></div>
        </dl>
        {customer.anonymised.clone().map(|at| view! {
            <p class="mt-3 rounded-xl bg-stone-100 px-4 py-3 text-sm text-stone-700" data-testid="customer-anonymised">
                {format!("Anonymised on {at}: the person's email, name and addresses are gone; the orders stay.")}
            </p>
        })}
        <div class="mt-5 grid gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
            <div class="min-w-0 space-y-4">
                <section aria-labelledby="orders-heading" class=CARD>
                    <h2 id="orders-heading" class="text-lg font-bold">"Orders"</h2>
                    {if customer.orders.is_empty() {
                        view! { <p class="mt-2 text-sm text-stone-600">"No orders yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="mt-2 divide-y divide-stone-100 text-sm">
                                {customer.orders.iter().map(|o| view! {
                                    <li class="flex flex-wrap items-center justify-between gap-3 py-2" data-testid="customer-order">
                                        <a href=format!("/admin/orders/{}", o.number) class="font-semibold text-teal-800 underline-offset-4 hover:underline">{format!("#{}", o.number)}</a>
                                        <span class="text-stone-600">{o.placed.clone()}</span>
                                        <super::orders::OrderStatusBadge status=o.status />
                                        <span class="font-semibold tabular-nums">{o.total.format()}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
                <section aria-labelledby="notes-heading" class=CARD>
                    <h2 id="notes-heading" class="text-lg font-bold">"Staff notes"</h2>
                    <p class="mt-1 text-xs text-stone-600">"Only staff see these; the customer never does."</p>
                    {super::note_list(customer.notes.clone(), "customer-note")}
                    {customer.anonymised.is_none().then(|| view! {
                        <ActionForm action=note attr:class="mt-4 space-y-3" attr:novalidate=true>
                            {action_error(note.value())}
                            <input type="hidden" name="id" value=id />
                            <TextArea name="body" label="Add a note" rows=3 maxlength=mercato::admin::MAX_NOTE required=true outcome=note_outcome />
                            <button type="submit" class=BUTTON>"Add note"</button>
                        </ActionForm>
                    })}
                </section>
            </div>
            <div class="min-w-0 space-y-4">
                <section aria-labelledby="addresses-heading" class=format!("{CARD} text-sm")>
                    <h2 id="addresses-heading" class="text-lg font-bold">"Address book"</h2>
                    {if customer.addresses.is_empty() {
                        view! { <p class="mt-2 text-stone-600">"No saved addresses."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="mt-2 space-y-3">
                                {customer.addresses.iter().map(|a| view! {
                                    <li data-testid="customer-address">
                                        <address class="not-italic text-stone-700">
                                            {a.address.lines().into_iter().map(|l| view! { <span class="block">{l}</span> }).collect_view()}
                                        </address>
                                        {a.is_default.then(|| view! { <span class="text-xs font-semibold text-teal-800">"Default"</span> })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
                {customer.anonymised.is_none().then(|| view! {
                    <section aria-labelledby="access-heading" class=CARD>
                        <h2 id="access-heading" class="text-lg font-bold">"Signing in"</h2>
                        <p class="mt-1 text-sm text-stone-600">"Sends them the same link as \"Forgot your password?\": it works once, for an hour. It counts toward their own three an hour."</p>
                        <ActionForm action=reset attr:class="mt-3">
                            {action_error(reset.value())}
                            <input type="hidden" name="id" value=id />
                            <button type="submit" class=SECONDARY>"Send a password reset mail"</button>
                        </ActionForm>
                    </section>
                })}
                {customer.may_take_data.then(|| view! { <Erase id anonymised=customer.anonymised.is_some() /> })}
            </div>
        </div>
    }
}

/// The customer's data as JSON, and anonymising the account (the customer data
/// permission).
#[component]
fn Erase(id: i64, anonymised: bool) -> impl IntoView {
    let erase = ServerAction::<AnonymiseCustomer>::new();
    let outcome: Signal<Outcome<()>> = erase.value().into();
    view! {
        <section aria-labelledby="data-heading" class=CARD>
            <h2 id="data-heading" class="text-lg font-bold">"Their data"</h2>
            <p class="mt-2 text-sm"><a href=export_href(id) download=format!("customer-{id}.json") class="font-semibold text-teal-800 underline">"Download everything we keep about them (JSON)"</a></p>
            {(!anonymised).then(|| view! {
                <details class="mt-4" open=outcome.get_untracked().is_some_and(|o| o.is_err())>
                    <summary class="cursor-pointer font-semibold text-rose-800">"Anonymise this customer"</summary>
                    <p class="mt-2 text-sm text-stone-700">"Their email, password, address book and notes are erased, and their orders lose the name, email and addresses they were placed with; mail to them is erased too. The orders themselves (items and totals) stay for the accounts. Staff notes on their orders stay as written. This cannot be undone."</p>
                    <ActionForm action=erase attr:class="mt-3 space-y-3" attr:novalidate=true>
                        {action_error(erase.value())}
                        <input type="hidden" name="id" value=id />
                        {super::confirm_box(outcome, "I understand this cannot be undone.")}
                        <button type="submit" class="h-11 rounded-full bg-rose-700 px-6 font-semibold text-white hover:bg-rose-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-rose-600 focus-visible:ring-offset-2">"Anonymise"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}
