//! `/admin/audit`: every staff change, newest first, a keyset page at a time.

use super::{AdminHeader, DataTable, KeysetPager};
use crate::components::loaded;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use mercato::admin::audit::{Entry, EntryPage};

/// The log's entries older than `before` (an entry id; none: the newest).
#[server(prefix = "/api", endpoint = "admin/audit")]
pub async fn load_audit(before: Option<i64>) -> Result<EntryPage, AppError> {
    crate::accounts::require_permission(mercato::admin::Permission::Staff).await?;
    let pool = crate::state::pool()?;
    Ok(mercato::admin::audit::page(&pool, before).await?)
}

/// `/admin/audit[?before=ID]`
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
    };
    let page = Resource::new(before, load_audit);
    let first = move || before().is_none();
    view! {
        <AdminHeader title="Audit log" />
        <p class="mt-2 max-w-2xl text-sm text-stone-600">
            "Every change staff made, who made it and when, with the fields before and after. Entries can't be changed or deleted."
        </p>
        {loaded(page, move |page| view! { <Entries page first=first() /> })}
    }
}

#[component]
fn Entries(page: EntryPage, first: bool) -> impl IntoView {
    if page.entries.is_empty() {
        return view! {
            <p class="mt-6 rounded-2xl border border-dashed border-stone-300 bg-white px-4 py-10 text-center text-stone-600">
                {if first { "No staff changes yet." } else { "No older entries." }}
            </p>
        }
        .into_any();
    }
    let next = page.next.map(|id| format!("/admin/audit?before={id}"));
    view! {
        <div class="mt-6">
            <DataTable min_width="min-w-[48rem]" columns=&["When (UTC)", "Who", "What", "Subject", "Change"]>
                {page.entries.into_iter().map(|e| view! { <Row entry=e /> }).collect_view()}
            </DataTable>
        </div>
        <KeysetPager label="Audit log pages" first=(!first).then(|| "/admin/audit".to_owned()) next first_label="Newest" next_label="Older entries" />
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
