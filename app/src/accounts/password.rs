//! Forgotten passwords (a link by mail) and changing one's password.

use super::pages::EmailField;
use super::{
    check_reset_token, load_user, ChangePassword, ForgotPassword, ResetPassword, PASSWORD_CHANGED,
    SENT_IF_EXISTS,
};
use crate::components::form::{action_error, action_success, BUTTON, INPUT, LABEL};
use crate::components::loaded;
use crate::components::PageTitle;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;
use mercato::accounts::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

const PAGE: &str = "mx-auto max-w-md px-4 py-12";

/// The two "new password" fields: for a new account ("Password"), or a new password.
#[component]
pub(super) fn NewPasswordFields(
    #[prop(default = "New password")] label: &'static str,
    #[prop(default = "")] hint: &'static str,
) -> impl IntoView {
    view! {
        <div>
            <label for="password" class=LABEL>{label}</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required minlength=MIN_PASSWORD_CHARS maxlength=MAX_PASSWORD_CHARS aria-describedby="password-rules" class=INPUT />
            <p id="password-rules" class="mt-1 text-xs text-stone-500">{format!("At least {MIN_PASSWORD_CHARS} characters.{hint}")}</p>
        </div>
        <div>
            <label for="password-again" class=LABEL>{format!("{label} again")}</label>
            <input id="password-again" name="password_again" type="password" autocomplete="new-password" required maxlength=MAX_PASSWORD_CHARS class=INPUT />
        </div>
    }
}

/// `/account/forgot`: asks for the email to send a reset link to.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let forgot = ServerAction::<ForgotPassword>::new();
    view! {
        <PageTitle text="Reset your password" />
        <Meta name="robots" content="noindex" />
        <div class=PAGE>
            <h1 class="text-3xl font-bold tracking-tight">"Reset your password"</h1>
            <p class="mt-2 text-stone-600">"Enter the email of your account. We'll send you a link to choose a new password."</p>
            <ActionForm action=forgot attr:class="mt-8 space-y-5">
                {action_error(forgot.value())}
                {action_success(forgot.value(), |_| SENT_IF_EXISTS.to_owned())}
                <EmailField />
                <button type="submit" class=format!("{BUTTON} w-full")>"Send the link"</button>
            </ActionForm>
            <p class="mt-6 text-center text-sm text-stone-600">
                "Remembered it? " <a href="/account" class="font-semibold text-teal-800 underline">"Sign in"</a>
            </p>
        </div>
    }
}

/// `/account/reset?token=…`: the link from the mail. Says up front when the link no
/// longer works.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let valid = Resource::new(token, check_reset_token);
    view! {
        <PageTitle text="Choose a new password" />
        <Meta name="robots" content="noindex" />
        // The link's token goes to no other site; our own form posts keep their Origin.
        <Meta name="referrer" content="same-origin" />
        <div class=PAGE>
            <h1 class="text-3xl font-bold tracking-tight">"Choose a new password"</h1>
            {loaded(valid, move |valid| {
                if valid {
                    view! { <ResetForm token=token() /> }.into_any()
                } else {
                    view! {
                        <LinkUsedUp
                            message="This reset link has expired or was already used. Links work once, for an hour."
                            href="/account/forgot"
                            label="Ask for a new link"
                        />
                    }
                    .into_any()
                }
            })}
        </div>
    }
}

#[component]
fn ResetForm(token: String) -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    view! {
        <ActionForm action=reset attr:class="mt-8 space-y-5">
            {action_error(reset.value())}
            <input type="hidden" name="token" value=token />
            <NewPasswordFields />
            <button type="submit" class=format!("{BUTTON} w-full")>"Set the new password"</button>
        </ActionForm>
    }
}

/// `/account/password`: change the password, given the current one.
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| load_user());
    view! {
        <PageTitle text="Change your password" />
        <Meta name="robots" content="noindex" />
        <div class=PAGE>
            <p><a href="/account" class="text-sm font-semibold text-teal-800 underline">"← Your account"</a></p>
            <h1 class="mt-2 text-3xl font-bold tracking-tight">"Change your password"</h1>
            {loaded(user, |user| match user {
                Some(_) => view! { <ChangeForm /> }.into_any(),
                None => view! { <SignInFirst /> }.into_any(),
            })}
        </div>
    }
}

#[component]
fn ChangeForm() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    view! {
        <ActionForm action=change attr:class="mt-8 space-y-5">
            {action_error(change.value())}
            {action_success(change.value(), |_| PASSWORD_CHANGED.to_owned())}
            <div>
                <label for="current-password" class=LABEL>"Current password"</label>
                <input id="current-password" name="current_password" type="password" autocomplete="current-password" required maxlength=MAX_PASSWORD_CHARS class=INPUT />
            </div>
            <NewPasswordFields />
            <button type="submit" class=format!("{BUTTON} w-full")>"Change password"</button>
        </ActionForm>
    }
}

/// What an account page shows a guest.
#[component]
pub(super) fn SignInFirst() -> impl IntoView {
    view! {
        <div class="mt-6 rounded-2xl border border-stone-200 bg-white p-6">
            <p class="text-stone-700">"Sign in to see this page."</p>
            <a href="/account" class=format!("{BUTTON} mt-4 inline-flex items-center")>"Sign in"</a>
        </div>
    }
}

/// What the page of a mailed link shows once the link no longer works, and where to go.
#[component]
pub(super) fn LinkUsedUp(
    message: &'static str,
    href: &'static str,
    label: &'static str,
) -> impl IntoView {
    view! {
        <p role="alert" class="mt-6 rounded-xl bg-amber-50 px-4 py-3 text-amber-900">{message}</p>
        <a href=href class=format!("{BUTTON} mt-6 inline-flex items-center")>{label}</a>
    }
}
