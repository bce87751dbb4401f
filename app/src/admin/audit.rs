//! `/admin/audit`: every staff change, newest first, a keyset page at a time, filtered
//! by staff member, kind of subject (and which one) and days, all in the URL.

use super::{AdminHeader, DataTable, KeysetPager};
use crate::components::form::{INPUT, LABEL, SECONDARY};
use crate::components::loaded;
use crate::error::AppError;
use leptos::prelude::*;
use mercato::accounts::staff::Member;
use mercato::admin::audit::{Entry, EntryPage, EntryQuery, SubjectKind};
use serde::{Deserialize, Serialize};

/// A page of the log and the staff to filter by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLog {
    pub page: EntryPage,
    pub staff: Vec<Member>,
}

/// The log as the page's URL asks (see [`EntryQuery::from_params`]).
#[server(prefix = "/api", endpoint = "admin/audit")]
pub async fn load_audit(
    staff: Option<String>,
    kind: Option<String>,
    subject: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
) -> Result<AuditLog, AppError> {
    crate::accounts::require_permission(mercato::admin::Permission::Staff).await?;
    let query = query_of(&[staff, kind, subject, from, to, before]);
    let pool = crate::state::pool()?;
    let (page, staff) = tokio::try_join!(
        mercato::admin::audit::page(&pool, &query),
        mercato::accounts::staff::members(&pool),
    )?;
    Ok(AuditLog { page, staff })
}

/// The log's URL parameters: staff, kind, subject, from, to, before.
type Params = [Option<String>; 6];

fn query_of([staff, kind, subject, from, to, before]: &Params) -> EntryQuery {
    EntryQuery::from_params(
        staff.as_deref(),
        kind.as_deref(),
        subject.as_deref(),
        from.as_deref(),
        to.as_deref(),
        before.as_deref(),
    )
}

/// `/admin/audit[?staff=…&kind=…&subject=…&from=…&to=…&before=…]`
#[component]
pub fn AuditPage() -> impl IntoView {
    let args = super::url_params(["staff", "kind", "subject", "from", "to", "before"]);
    let log = Resource::new(args, |[staff, kind, subject, from, to, before]| {
        load_audit(staff, kind, subject, from, to, before)
    });
    let query = move || query_of(&args());
    view! {
        <AdminHeader title="Audit log" />
        <p class="mt-2 max-w-2xl text-sm text-stone-600">
            "Every change staff made, who made it and when, with the fields before and after. Entries can't be changed or deleted."
        </p>
        {loaded(log, move |log| {
            let query = query();
            view! {
                <Filters query=query.clone() staff=log.staff />
                <Entries page=log.page query />
            }
        })}
    }
}

#[component]
fn Filters(query: EntryQuery, staff: Vec<Member>) -> impl IntoView {
    let staff_options = staff
        .into_iter()
        .map(|m| {
            let selected = query.staff == Some(m.id);
            view! { <option value=m.id selected=selected>{m.email}</option> }
        })
        .collect_view();
    let kinds = SubjectKind::ALL
        .into_iter()
        .map(|k| {
            let selected = query.kind == Some(k);
            view! { <option value=k.as_str() selected=selected>{k.label()}</option> }
        })
        .collect_view();
    let day = |d: Option<mercato::admin::audit::Day>| d.map(|d| d.to_string()).unwrap_or_default();
    view! {
        <form method="get" action="/admin/audit" role="search" class="mt-5 grid gap-3 rounded-2xl border border-stone-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-[1.5fr_1fr_1fr_1fr_1fr_auto] lg:items-end">
            <div>
                <label for="audit-staff" class=LABEL>"Staff member"</label>
                <select id="audit-staff" name="staff" class=INPUT>
                    <option value="">"Anyone"</option>
                    {staff_options}
                </select>
            </div>
            <div>
                <label for="audit-kind" class=LABEL>"About"</label>
                <select id="audit-kind" name="kind" class=INPUT>
                    <option value="">"Anything"</option>
                    {kinds}
                </select>
            </div>
            <div>
                <label for="audit-subject" class=LABEL>"Id " <span class="font-normal text-stone-500">"(optional)"</span></label>
                <input id="audit-subject" name="subject" value=query.subject.clone() maxlength=100 class=INPUT />
            </div>
            <div>
                <label for="audit-from" class=LABEL>"From (UTC)"</label>
                <input id="audit-from" name="from" type="date" value=day(query.from) class=INPUT />
            </div>
            <div>
                <label for="audit-to" class=LABEL>"To (UTC)"</label>
                <input id="audit-to" name="to" type="date" value=day(query.to) class=INPUT />
            </div>
            <button type="submit" class=SECONDARY>"Apply"</button>
        </form>
    }
}

#[component]
fn Entries(page: EntryPage, query: EntryQuery) -> impl IntoView {
    let first = query.before.is_none();
    if page.entries.is_empty() {
        let message = match (first, query.is_filtered()) {
            (false, _) => "No older entries.",
            (true, true) => "No entry matches these filters.",
            (true, false) => "No staff changes yet.",
        };
        return view! {
            <p class="mt-6 rounded-2xl border border-dashed border-stone-300 bg-white px-4 py-10 text-center text-stone-600">
                {message}
                {query.is_filtered().then(|| view! {
                    " " <a href="/admin/audit" class="font-semibold text-teal-800 underline">"Clear filters"</a>
                })}
            </p>
        }
        .into_any();
    }
    let next = page.next.map(|id| query.starting(Some(id)).href());
    let newest = (!first).then(|| query.starting(None).href());
    view! {
        <div class="mt-6">
            <DataTable min_width="min-w-[48rem]" columns=&["When (UTC)", "Who", "What", "Subject", "Change"]>
                {page.entries.into_iter().map(|e| view! { <Row entry=e /> }).collect_view()}
            </DataTable>
        </div>
        <KeysetPager label="Audit log pages" first=newest next first_label="Newest" next_label="Older entries" />
    }
    .into_any()
}

#[component]
fn Row(entry: Entry) -> impl IntoView {
    let change = |label: &'static str, json: Option<String>| {
        json.map(|json| {
            view! {
                <div>
                    <span class="font-semibold text-stone-700">{label}</span>
                    <code class="ml-1 break-all font-mono text-xs text-stone-700">{json}</code>
                </div>
            }
        })
    };
    view! {
        <tr data-testid="audit-entry">
            <td class="whitespace-nowrap px-4 py-3 text-stone-600">{entry.at}</td>
            <td class="px-4 py-3">{entry.staff_email}</td>
            <td class="px-4 py-3">{entry.action.describe()}</td>
            <td class="whitespace-nowrap px-4 py-3">{format!("{} {}", entry.subject_kind.as_str(), entry.subject_id)}</td>
            <td class="px-4 py-3">
                <div class="grid gap-1">
                    {change("Before", entry.before)}
                    {change("After", entry.after)}
                </div>
            </td>
        </tr>
    }
}
