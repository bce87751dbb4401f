//! `/admin/staff`: who is on the staff, their roles, and deactivating an account. The
//! rules (who may give which role, the last admin) are `mercato::accounts::staff`.

use super::{AdminHeader, DataTable};
use crate::components::form::action_error;
use crate::components::form::{action_success, Outcome, TextField, BUTTON, LABEL};
use crate::components::loaded;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use mercato::accounts::staff::{Assignment, Invited, Member, StaffRole};
use serde::{Deserialize, Serialize};

/// The staff list and the roles they can be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffList {
    pub members: Vec<Member>,
    pub roles: Vec<StaffRole>,
    /// The signed-in member's own id (their row has no actions).
    pub me: i64,
}

#[server(prefix = "/api", endpoint = "admin/staff")]
pub async fn load_staff() -> Result<StaffList, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Staff).await?;
    let pool = crate::state::pool()?;
    Ok(StaffList {
        members: mercato::accounts::staff::members(&pool).await?,
        roles: mercato::accounts::staff::roles(&pool).await?,
        me: staff.id(),
    })
}

/// Makes `member` an admin (`role` = `admin`) or gives them a staff role
/// (`role-<id>`). Their sessions end.
#[server(prefix = "/api", endpoint = "admin/staff/role")]
pub async fn assign_role(member: i64, role: String) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Staff).await?;
    let to = Assignment::parse(&role).map_err(mercato::Error::from)?;
    let pool = crate::state::pool()?;
    mercato::accounts::staff::assign(&pool, &staff, member, to).await?;
    crate::session::flash_if_plain_form(
        "Role changed. Their sessions have ended: the new role applies when they sign in again.",
    )
    .await
}

/// Deactivates `member`: they are signed out everywhere and cannot sign in.
#[server(prefix = "/api", endpoint = "admin/staff/deactivate")]
pub async fn deactivate_member(member: i64) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Staff).await?;
    let pool = crate::state::pool()?;
    mercato::accounts::staff::set_active(&pool, &staff, member, false).await?;
    crate::session::flash_if_plain_form(
        "Account deactivated. They have been signed out everywhere.",
    )
    .await
}

/// Lets a deactivated `member` sign in again.
#[server(prefix = "/api", endpoint = "admin/staff/reactivate")]
pub async fn reactivate_member(member: i64) -> Result<(), AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Staff).await?;
    let pool = crate::state::pool()?;
    mercato::accounts::staff::set_active(&pool, &staff, member, true).await?;
    crate::session::flash_if_plain_form("Account reactivated. They can sign in again.").await
}

/// Invites `email` to the staff as `role` (`admin` or `role-<id>`).
#[server(prefix = "/api", endpoint = "admin/staff/invite")]
pub async fn invite_member(email: String, role: String) -> Result<Invited, AppError> {
    let staff = crate::accounts::require_permission(mercato::admin::Permission::Staff).await?;
    let to = Assignment::parse(&role).map_err(mercato::Error::from)?;
    let state = crate::state::state()?;
    let invited =
        mercato::accounts::staff::invite(&state.pool, &staff, &email, to, &state.public_url)
            .await?;
    crate::session::flash_if_plain_form(invited_message(invited, email.trim())).await?;
    Ok(invited)
}

/// What staff read once an invitation went out.
#[cfg(feature = "ssr")]
fn invited_message(invited: Invited, email: &str) -> String {
    match invited {
        Invited::NewAccount => format!(
            "Invitation sent to {email}. They can sign in once they've chosen a password with the link (it works for seven days)."
        ),
        Invited::ExistingAccount => format!(
            "{email} already had an account: it's on the staff now, and they've been told by mail."
        ),
    }
}

#[derive(Clone, Copy)]
struct Actions {
    assign: ServerAction<AssignRole>,
    deactivate: ServerAction<DeactivateMember>,
    reactivate: ServerAction<ReactivateMember>,
}

/// `/admin/staff`
#[component]
pub fn StaffPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| load_staff());
    let actions = Actions {
        assign: ServerAction::new(),
        deactivate: ServerAction::new(),
        reactivate: ServerAction::new(),
    };
    view! {
        <AdminHeader title="Staff" />
        <p class="mt-2 max-w-2xl text-sm text-stone-600">
            "An administrator may do everything. Everyone else may do what their role allows. A change of role or a deactivation signs that person out everywhere at once."
        </p>
        <div class="mt-4 grid gap-2">
            {action_error(actions.assign.value())}
            {action_error(actions.deactivate.value())}
            {action_error(actions.reactivate.value())}
        </div>
        {loaded(list, move |list| {
            let roles = list.roles.clone();
            view! {
                <Members list actions />
                <InviteForm roles=roles.clone() />
                <Roles roles />
            }
        })}
    }
}

#[component]
fn Members(list: StaffList, actions: Actions) -> impl IntoView {
    let StaffList { members, roles, me } = list;
    let rows = members
        .into_iter()
        .map(|member| {
            let own = member.id == me;
            view! { <MemberRow member roles=roles.clone() own actions /> }
        })
        .collect_view();
    view! {
        <section aria-labelledby="members-heading" class="mt-6">
            <h2 id="members-heading" class="sr-only">"Staff members"</h2>
            <DataTable min_width="min-w-[52rem]" columns=&["Email", "Role", "Status", "Since", ""]>
                {rows}
            </DataTable>
        </section>
    }
}

#[component]
fn MemberRow(member: Member, roles: Vec<StaffRole>, own: bool, actions: Actions) -> impl IntoView {
    let current = match (&member.role, &member.staff_role) {
        (mercato::accounts::Role::Admin, _) => Assignment::Admin.as_form_value(),
        (_, Some((id, _))) => Assignment::Role(*id).as_form_value(),
        _ => String::new(),
    };
    let status = match (member.active, member.confirmed) {
        (false, _) => ("Deactivated", "bg-stone-200 text-stone-700"),
        (true, false) => ("Invited", "bg-amber-100 text-amber-900"),
        (true, true) => ("Active", "bg-teal-50 text-teal-900"),
    };
    let select_id = format!("role-of-{}", member.id);
    let label = format!("Role of {}", member.email);
    let options = std::iter::once(("admin".to_owned(), "Administrator".to_owned()))
        .chain(
            roles
                .iter()
                .map(|r| (Assignment::Role(r.id).as_form_value(), r.name.clone())),
        )
        .map(|(value, name)| {
            let selected = value == current;
            view! { <option value=value selected=selected>{name}</option> }
        })
        .collect_view();
    let id = member.id;
    let email = member.email.clone();
    let role_of = member.email.clone();
    let actions_cell = if own {
        view! { <span class="text-stone-500">"You"</span> }.into_any()
    } else {
        view! {
            <div class="flex items-center gap-2">
                <ActionForm action=actions.assign attr:class="flex items-center gap-2">
                    <input type="hidden" name="member" value=id />
                    <label for=select_id.clone() class="sr-only">{label}</label>
                    <select id=select_id name="role" class="h-9 rounded-lg border border-stone-300 bg-white px-2 text-sm focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30">
                        {options}
                    </select>
                    <button type="submit" class="h-9 whitespace-nowrap rounded-full border border-stone-300 bg-white px-3 text-sm font-semibold hover:bg-stone-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">
                        "Change role" <span class="sr-only">" of " {role_of}</span>
                    </button>
                </ActionForm>
                {if member.active {
                    view! {
                        <ActionForm action=actions.deactivate>
                            <input type="hidden" name="member" value=id />
                            <button type="submit" class="h-9 rounded-full px-3 text-sm font-semibold text-rose-700 hover:bg-rose-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-rose-600">
                                "Deactivate" <span class="sr-only">" " {email.clone()}</span>
                            </button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! {
                        <ActionForm action=actions.reactivate>
                            <input type="hidden" name="member" value=id />
                            <button type="submit" class="h-9 rounded-full px-3 text-sm font-semibold text-teal-800 hover:bg-teal-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">
                                "Reactivate" <span class="sr-only">" " {email.clone()}</span>
                            </button>
                        </ActionForm>
                    }.into_any()
                }}
            </div>
        }
        .into_any()
    };
    view! {
        <tr data-testid="staff-row" class="align-middle">
            <th scope="row" class="whitespace-nowrap px-4 py-3 text-left font-medium text-stone-900">{member.email.clone()}</th>
            <td class="px-4 py-3">{member.role_name().to_owned()}</td>
            <td class="px-4 py-3">
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {}", status.1)>{status.0}</span>
            </td>
            <td class="px-4 py-3 whitespace-nowrap text-stone-600">{member.since.clone()}</td>
            <td class="px-4 py-3">{actions_cell}</td>
        </tr>
    }
}

/// An invitation: an address and the role it gets.
#[component]
fn InviteForm(roles: Vec<StaffRole>) -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    let outcome: Signal<Outcome<Invited>> = invite.value().into();
    let kept_role = crate::form_errors::kept("role");
    let options = roles
        .iter()
        .map(|r| (Assignment::Role(r.id).as_form_value(), r.name.clone()))
        .chain(std::iter::once((
            "admin".to_owned(),
            "Administrator".to_owned(),
        )))
        .map(|(value, name)| {
            let selected = kept_role.as_deref() == Some(value.as_str());
            view! { <option value=value selected=selected>{name}</option> }
        })
        .collect_view();
    view! {
        <section aria-labelledby="invite-heading" class="mt-10 max-w-2xl rounded-2xl border border-stone-200 bg-white p-5">
            <h2 id="invite-heading" class="text-lg font-bold">"Invite someone"</h2>
            <p class="mt-1 text-sm text-stone-600">
                "They get a mail with a link to choose their password. Someone who already shops here keeps their account and password."
            </p>
            <ActionForm action=invite attr:class="mt-4 grid gap-4 sm:grid-cols-[1fr_auto] sm:items-start" attr:novalidate=true>
                <div class="sm:col-span-2">
                    {action_error(invite.value())}
                    {action_success(invite.value(), |_| "Invitation sent.".to_owned())}
                </div>
                <TextField name="email" label="Email" kind="email" autocomplete="off" required=true maxlength=254 outcome />
                <div>
                    <label for="invite-role" class=LABEL>"Role"</label>
                    <select id="invite-role" name="role" class="mt-1 block h-11 w-full rounded-xl border border-stone-300 bg-white px-3 focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30">
                        {options}
                    </select>
                </div>
                <div class="sm:col-span-2">
                    <button type="submit" class=BUTTON>"Send invitation"</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// The roles and what each may do.
#[component]
fn Roles(roles: Vec<StaffRole>) -> impl IntoView {
    view! {
        <section aria-labelledby="roles-heading" class="mt-10">
            <h2 id="roles-heading" class="text-lg font-bold">"Roles"</h2>
            <ul class="mt-3 grid gap-3 md:grid-cols-2">
                <li class="rounded-2xl border border-stone-200 bg-white p-4">
                    <h3 class="font-semibold">"Administrator"</h3>
                    <p class="mt-1 text-sm text-stone-600">"Everything, including staff and settings."</p>
                </li>
                {roles.into_iter().map(|role| view! {
                    <li class="rounded-2xl border border-stone-200 bg-white p-4">
                        <h3 class="font-semibold">{role.name}</h3>
                        <p class="mt-1 text-sm text-stone-600">{role.description}</p>
                        <ul class="mt-2 flex flex-wrap gap-1" aria-label="Permissions">
                            {role.permissions.into_iter().map(|p| view! {
                                <li class="rounded-full bg-stone-100 px-2 py-0.5 text-xs font-medium text-stone-700" title=p.describe()>{p.as_str()}</li>
                            }).collect_view()}
                        </ul>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}
