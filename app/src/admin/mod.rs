//! `/admin`: the back office. Its own layout (a side navigation filtered by what the
//! staff member may do, breadcrumbs, flash messages); every page is `noindex`; every
//! server function here has an explicit endpoint under `/api/admin/…` and starts with
//! its permission check (`require_staff` for what any staff member may see,
//! `require_permission` otherwise). The rules themselves live in `mercato`.

mod audit;
mod categories;
mod customers;
mod dashboard;
mod discounts;
mod imports;
mod inventory;
mod orders;
mod product_edit;
mod product_images;
mod products;
mod returns;
mod settings;
mod staff;

pub use audit::AuditPage;
pub use categories::{CategoriesPage, CategoryPage};
pub use customers::{CustomerPage, CustomersPage};
pub use dashboard::DashboardPage;
pub use discounts::{CouponPage, DiscountsPage, NewCouponPage};
pub use imports::{ImportPage, ImportsPage, EXPORT_PATH};
pub use inventory::{InventoryPage, VariantStockPage};
pub use orders::{OrderDetailPage, OrdersPage};
pub use product_edit::ProductEditorPage;
pub use products::{BulkConfirmPage, ProductsPage};
pub use returns::ReturnsPage;
pub use settings::{ShippingSettingsPage, TaxSettingsPage};
pub use staff::StaffPage;

use crate::components::{FlashMessage, PageTitle};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::{Meta, Script};
use leptos_router::components::Outlet;
use mercato::admin::Permission;
use mercato::inventory::StockState;
use serde::{Deserialize, Serialize};

/// The signed-in staff member, as the back office's layout needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub role: String,
    pub permissions: Vec<Permission>,
}

impl Me {
    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

/// Who is signed in to the back office. Any staff member.
#[server(prefix = "/api", endpoint = "admin/me")]
pub async fn load_me() -> Result<Me, AppError> {
    let staff = crate::accounts::require_staff().await?;
    let role = match staff.user().role {
        mercato::accounts::Role::Admin => "Administrator".to_owned(),
        _ => "Staff".to_owned(),
    };
    Ok(Me {
        email: staff.user().email.clone(),
        role,
        permissions: staff.permissions().collect(),
    })
}

/// Whether stock adds up (for staff, and for the checkout benchmark's oversell check).
#[server(prefix = "/api", endpoint = "admin/stock-audit")]
pub async fn stock_audit() -> Result<mercato::admin::StockAudit, AppError> {
    crate::accounts::require_permission(Permission::Inventory).await?;
    let pool = crate::state::pool()?;
    Ok(mercato::admin::stock_audit(&pool).await?)
}

/// A form's record and the version it was opened at, as its hidden `id` and `version`
/// fields send them: `None` when both are empty (the form makes a new record).
#[cfg(feature = "ssr")]
pub(crate) fn opened_record(id: &str, version: &str) -> Result<Option<(i64, i32)>, AppError> {
    match (id.trim(), version.trim()) {
        ("", "") => Ok(None),
        (id, version) => match (id.parse(), version.parse()) {
            (Ok(id), Ok(version)) => Ok(Some((id, version))),
            _ => Err(AppError::BadRequest(
                "The form lacks its record's number or version: reload the page.".to_owned(),
            )),
        },
    }
}

/// A destructive form's "I understand" box, `label` beside it, and the refusal under it
/// when the form came back unticked ([`confirmed`] checks it).
pub(crate) fn confirm_box(
    outcome: Signal<crate::components::form::Outcome<()>>,
    label: &'static str,
) -> impl IntoView {
    let (error, described) = crate::components::form::field_message(outcome, "confirm");
    view! {
        <label class="flex items-start gap-2 text-sm">
            <input type="checkbox" name="confirm" value="yes" class="mt-1 h-4 w-4 accent-rose-700" aria-describedby=described />
            {label}
        </label>
        {move || error().map(|e| view! { <p id="field-confirm-error" class="text-sm font-medium text-rose-700">{e}</p> })}
    }
}

/// A destructive form's "I understand" box: refused beside it, saying `what`, when it
/// was not ticked.
#[cfg(feature = "ssr")]
pub(crate) fn confirmed(confirm: &Option<String>, what: &str) -> Result<(), AppError> {
    match confirm {
        Some(_) => Ok(()),
        None => {
            Err(mercato::Error::field("confirm", format!("Tick the box to say {what}.")).into())
        }
    }
}

/// The server functions that take a multipart form (a file), and the most each may be
/// sent: the HTTP stack refuses anything else before the framework reads it.
pub fn multipart_limits() -> [(&'static str, usize); 2] {
    use leptos::server_fn::ServerFn;
    // The file, and its form's few other fields.
    const FIELDS: usize = 64 * 1024;
    [
        (
            <product_images::UploadImage as ServerFn>::PATH,
            mercato::catalog::images::MAX_BYTES + FIELDS,
        ),
        (
            <imports::UploadImport as ServerFn>::PATH,
            mercato::catalog::imports::MAX_FILE_BYTES + FIELDS,
        ),
    ]
}

/// The paths of [`multipart_limits`].
pub fn multipart_paths() -> Vec<&'static str> {
    multipart_limits().iter().map(|(path, _)| *path).collect()
}

/// A multipart form as read: its small fields by name, and its file.
#[cfg(feature = "ssr")]
pub(crate) struct Multipart {
    pub fields: std::collections::HashMap<String, String>,
    pub file: Vec<u8>,
    /// The file's name as the browser sent it.
    pub file_name: Option<String>,
}

/// Reads a multipart form whose file (the field `file_field`, sent last) may be up to
/// `most` bytes and its other fields 4 KiB each: one byte past either is read, so the
/// rule that refuses it sees it is too big, and nothing more is buffered.
#[cfg(feature = "ssr")]
pub(crate) async fn read_multipart(
    data: leptos::server_fn::codec::MultipartData,
    file_field: &str,
    most: usize,
) -> Result<Multipart, AppError> {
    let malformed = || AppError::BadRequest("the upload's form could not be read".to_owned());
    let mut form = data.into_inner().ok_or_else(malformed)?;
    let mut read = Multipart {
        fields: Default::default(),
        file: Vec::new(),
        file_name: None,
    };
    while let Some(mut field) = form.next_field().await.map_err(|_| malformed())? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = name == file_field;
        let most = if is_file { most + 1 } else { 4096 };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| malformed())? {
            if bytes.len() + chunk.len() > most {
                let keep = most - bytes.len();
                bytes.extend_from_slice(&chunk[..keep]);
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            read.file_name = field.file_name().map(str::to_owned);
            read.file = bytes;
            // The form sends the file last: what follows is not read.
            break;
        }
        read.fields
            .insert(name, String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(read)
}

/// The back office's sections, each with the permission it needs to be shown (`None`:
/// every staff member). Only sections that exist are listed: none is a dead link.
const SECTIONS: &[(&str, &str, Option<Permission>)] = &[
    ("Dashboard", "/admin", None),
    ("Orders", "/admin/orders", Some(Permission::Orders)),
    ("Returns", "/admin/returns", Some(Permission::Orders)),
    ("Customers", "/admin/customers", Some(Permission::Customers)),
    ("Discounts", "/admin/discounts", Some(Permission::Discounts)),
    ("Products", "/admin/products", Some(Permission::Catalog)),
    ("Categories", "/admin/categories", Some(Permission::Catalog)),
    (
        "Import & export",
        "/admin/imports",
        Some(Permission::Catalog),
    ),
    ("Inventory", "/admin/inventory", Some(Permission::Inventory)),
    (
        "Shipping & tax",
        "/admin/settings/shipping",
        Some(Permission::Settings),
    ),
    ("Staff", "/admin/staff", Some(Permission::Staff)),
    ("Audit log", "/admin/audit", Some(Permission::Staff)),
];

/// The part of a section's address its pages share: `/admin/orders`, `/admin/settings`.
fn section_root(href: &str) -> &str {
    match href.match_indices('/').nth(2) {
        Some((at, _)) => &href[..at],
        None => href,
    }
}

/// The back office's frame: navigation, the signed-in member, and the page. A guest is
/// asked to sign in, a customer told the pages are for staff.
#[component]
pub fn AdminLayout() -> impl IntoView {
    let me = Resource::new(|| (), |_| load_me());
    view! {
        <Meta name="robots" content="noindex" />
        // Forms without a full page load (each works without it too).
        <Script src="/admin.js" defer="true" />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(me) => view! { <Shell me /> }.into_any(),
                    Err(error) => view! { <Refused error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Shell(me: Me) -> impl IntoView {
    let sign_out = ServerAction::<crate::accounts::SignOut>::new();
    let path = leptos_router::hooks::use_location()
        .pathname
        .get_untracked();
    let links = SECTIONS
        .iter()
        .filter(|(_, _, needs)| needs.is_none_or(|p| me.may(p)))
        .map(|(label, href, _)| {
            // A section's own pages (`/admin/inventory/12`) are in it too, and so are
            // its siblings (`/admin/settings/tax` for `/admin/settings/shipping`).
            let root = section_root(href);
            let current = path == *href
                || (*href != "/admin" && path.strip_prefix(root).is_some_and(|r| r.is_empty() || r.starts_with('/')));
            view! {
                <li class="shrink-0">
                    <a
                        href=*href
                        aria-current=current.then_some("page")
                        class="block rounded-lg px-3 py-2 text-sm font-medium text-stone-300 hover:bg-stone-800 hover:text-white focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-400 aria-[current=page]:bg-stone-800 aria-[current=page]:text-white"
                    >
                        {*label}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <a href="#admin-main" class="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:z-50 focus:rounded focus:bg-white focus:px-4 focus:py-2 focus:shadow">
            "Skip to content"
        </a>
        <div class="min-h-screen bg-stone-100 lg:flex">
            // The column is as tall as the page; the navigation in it stays in view.
            <div class="bg-stone-900 lg:w-60 lg:shrink-0">
            <aside class="text-white lg:sticky lg:top-0 lg:max-h-screen lg:overflow-y-auto">
                <div class="flex items-center justify-between gap-3 px-4 py-3 lg:block lg:py-5">
                    <a href="/admin" class="flex items-center gap-2 rounded font-bold focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-400">
                        <span aria-hidden="true" class="flex h-8 w-8 items-center justify-center rounded-lg bg-teal-600 font-black">"M"</span>
                        "Back office"
                    </a>
                    <a href="/" class="rounded text-sm text-stone-300 underline-offset-4 hover:text-white hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-400 lg:mt-3 lg:block">
                        "View the shop"
                    </a>
                </div>
                <nav aria-label="Back office">
                    <ul class="flex gap-1 overflow-x-auto px-2 pb-2 lg:flex-col lg:px-3">{links}</ul>
                </nav>
            </aside>
            </div>
            <div class="min-w-0 flex-1">
                <div class="flex flex-wrap items-center justify-end gap-x-4 gap-y-1 border-b border-stone-200 bg-white px-4 py-2 text-sm text-stone-600 lg:px-8">
                    <span>
                        <span class="sr-only">"Signed in as "</span>
                        <span data-testid="admin-me" class="font-medium text-stone-900">{me.email.clone()}</span>
                        " · " {me.role.clone()}
                    </span>
                    <ActionForm action=sign_out>
                        <button type="submit" class="rounded font-semibold text-teal-800 underline-offset-4 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">"Sign out"</button>
                    </ActionForm>
                </div>
                <main id="admin-main" class="px-4 pb-16 lg:px-8">
                    <FlashMessage />
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

/// The back office for someone who may not use it.
#[component]
fn Refused(error: AppError) -> impl IntoView {
    let (title, body) = match error {
        AppError::SignInRequired => ("Sign in to the back office", None),
        AppError::Forbidden(_) => (
            "Staff only",
            Some("This account isn't on the shop's staff. Sign in with a staff account."),
        ),
        _ => ("The back office is unavailable", None),
    };
    let message = match (&error, body) {
        (_, Some(body)) => body.to_owned(),
        (AppError::SignInRequired, None) => "Sign in with a staff account.".to_owned(),
        (error, None) => error.to_string(),
    };
    view! {
        <PageTitle text=title />
        <main id="main" class="mx-auto max-w-lg px-4 py-20 text-center">
            <h1 class="text-2xl font-bold tracking-tight">{title}</h1>
            <p class="mt-3 text-stone-700" role="alert">{message}</p>
            <p class="mt-6 flex justify-center gap-4">
                <a href="/account" class="font-semibold text-teal-800 underline">"Sign in"</a>
                <a href="/" class="font-semibold text-teal-800 underline">"Back to the shop"</a>
            </p>
        </main>
    }
}

/// A back-office page's top: breadcrumbs back up the sections, then the title.
#[component]
pub fn AdminHeader(
    /// The pages above this one, as (label, link).
    #[prop(optional)]
    crumbs: Vec<(&'static str, &'static str)>,
    #[prop(into)] title: String,
) -> impl IntoView {
    view! {
        <PageTitle text=format!("{title} · Back office") />
        <nav aria-label="Breadcrumb" class="pt-5 text-sm text-stone-600">
            <ol class="flex flex-wrap gap-1">
                <li><a href="/admin" class="underline-offset-4 hover:underline">"Back office"</a></li>
                {crumbs.into_iter().map(|(label, href)| view! {
                    <li><span aria-hidden="true">" / "</span><a href=href class="underline-offset-4 hover:underline">{label}</a></li>
                }).collect_view()}
                <li aria-current="page"><span aria-hidden="true">" / "</span>{title.clone()}</li>
            </ol>
        </nav>
        <h1 class="mt-1 text-2xl font-bold tracking-tight sm:text-3xl">{title}</h1>
    }
}

/// A back-office table: it scrolls sideways on a narrow screen rather than squeezing
/// its columns (`relative`, so that screen-reader-only labels inside scroll with it and
/// never widen the page). `columns`: the headings (an empty one is read as "Actions";
/// `sr:Choose` is a narrow column whose heading only screen readers read).
#[component]
pub fn DataTable(
    /// The narrowest the table gets before it scrolls, a Tailwind class such as
    /// `min-w-[48rem]` (written out whole where it is used, so Tailwind sees it).
    min_width: &'static str,
    columns: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    view! {
        <div class="relative overflow-x-auto rounded-2xl border border-stone-200 bg-white">
            <table class=format!("w-full {min_width} text-left text-sm")>
                <thead class="border-b border-stone-200 bg-stone-50 text-xs uppercase tracking-wide text-stone-600">
                    <tr>
                        {columns.iter().map(|c| match *c {
                            "" => view! { <th scope="col" class="px-4 py-3 font-semibold"><span class="sr-only">"Actions"</span></th> }.into_any(),
                            c if c.starts_with("sr:") => view! { <th scope="col" class="w-12 px-4 py-3 font-semibold"><span class="sr-only">{&c[3..]}</span></th> }.into_any(),
                            c => view! { <th scope="col" class="px-4 py-3 font-semibold">{c}</th> }.into_any(),
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody class="divide-y divide-stone-100 align-top">{children()}</tbody>
            </table>
        </div>
    }
}

/// A `<select>`'s options as (value, label), with `selected` chosen: a list's filters.
pub fn select_options(
    options: impl IntoIterator<Item = (String, String)>,
    selected: &str,
) -> impl IntoView {
    options
        .into_iter()
        .map(|(value, label)| {
            let chosen = value == selected;
            view! { <option value=value selected=chosen>{label}</option> }
        })
        .collect_view()
}

/// What a record's page shows: `load` of the route's `param` read as a number (one that
/// is not a number is not found).
pub fn record_resource<T, Fut>(
    param: &'static str,
    load: impl Fn(i64) -> Fut + Send + Sync + 'static,
) -> Resource<Result<T, AppError>>
where
    T: Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    let params = leptos_router::hooks::use_params_map();
    let id = move || params.read().get(param).and_then(|n| n.parse::<i64>().ok());
    Resource::new(id, move |id| {
        let loading = id.map(&load);
        async move {
            match loading {
                Some(loading) => loading.await,
                None => Err(AppError::NotFound),
            }
        }
    })
}

/// The values of the URL's parameters `names`, in that order: a list page's filters.
pub fn url_params<const N: usize>(
    names: [&'static str; N],
) -> impl Fn() -> [Option<String>; N] + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_query_map();
    move || {
        let params = params.read();
        names.map(|name| params.get(name))
    }
}

/// Staff notes, oldest first, each with who wrote it and when (`testid` on each).
pub(super) fn note_list(notes: Vec<mercato::admin::StaffNote>, testid: &'static str) -> AnyView {
    if notes.is_empty() {
        return view! { <p class="mt-3 text-sm text-stone-600">"No notes yet."</p> }.into_any();
    }
    view! {
        <ul class="mt-3 space-y-3 text-sm">
            {notes.into_iter().map(|n| view! {
                <li class="rounded-xl bg-stone-50 p-3" data-testid=testid>
                    <p class="whitespace-pre-line break-words">{n.body}</p>
                    <p class="mt-1 text-xs text-stone-500">{format!("{} · {} UTC", n.by, n.at)}</p>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// A list page with no rows: `message` (which says why: nothing yet, nothing for these
/// filters, no more pages) and, when filtered, a link back to the unfiltered `list`.
#[component]
pub fn EmptyList(message: &'static str, filtered: bool, list: &'static str) -> impl IntoView {
    view! {
        <p class="mt-6 rounded-2xl border border-dashed border-stone-300 bg-white px-4 py-10 text-center text-stone-600">
            {message}
            {filtered.then(|| view! {
                " " <a href=list class="font-semibold text-teal-800 underline">"Clear filters"</a>
            })}
        </p>
    }
}

/// Links to a keyset list's first page (when not on it) and its next one (when there
/// is one).
#[component]
pub fn KeysetPager(
    /// What the navigation is called ("Audit log pages").
    label: &'static str,
    first: Option<String>,
    next: Option<String>,
    first_label: &'static str,
    next_label: &'static str,
) -> impl IntoView {
    const LINK: &str = "inline-flex h-10 items-center rounded-full border border-stone-300 bg-white px-4 text-sm font-semibold hover:bg-stone-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600";
    view! {
        <nav aria-label=label class="mt-4 flex gap-3">
            {first.map(|href| view! { <a href=href class=LINK>{first_label}</a> })}
            {next.map(|href| view! { <a href=href class=LINK>{next_label}</a> })}
        </nav>
    }
}

/// A back-office card: a page's section.
pub(super) const CARD: &str = "rounded-2xl border border-stone-200 bg-white p-5";

/// Amounts in one or more currencies, as a list cell shows them ("€12.00 + $3.00"; "—"
/// for none).
pub(super) fn amounts(amounts: &[mercato::Money]) -> String {
    if amounts.is_empty() {
        return "—".to_owned();
    }
    amounts
        .iter()
        .map(mercato::Money::format)
        .collect::<Vec<_>>()
        .join(" + ")
}

/// A small status badge's shape; each badge adds its colours.
pub(super) const BADGE: &str = "whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold";

/// A badge for a variant's or a product's stock state; without one, the variant's
/// stock is not tracked.
#[component]
pub fn StockBadge(#[prop(into)] state: Option<StockState>) -> impl IntoView {
    let (class, label) = match state {
        Some(StockState::SoldOut) => ("bg-rose-100 text-rose-900", StockState::SoldOut.label()),
        Some(StockState::Low) => ("bg-amber-100 text-amber-900", StockState::Low.label()),
        Some(StockState::InStock) => ("bg-teal-50 text-teal-900", StockState::InStock.label()),
        None => ("bg-stone-200 text-stone-700", "Not tracked"),
    };
    view! {
        <span class=format!("{BADGE} {class}")>{label}</span>
    }
}
