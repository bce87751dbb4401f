use super::{check_inbox, check_verify_token, load_user, ConfirmEmail};
use super::{Register, SignIn, SignOut};
use crate::components::form::{action_error, action_success, TextField, BUTTON, INPUT, LABEL};
use crate::components::loaded;
use crate::components::PageTitle;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;
use mercato::accounts::{User, MAX_PASSWORD_CHARS};

#[component]
pub(super) fn EmailField() -> impl IntoView {
    view! {
        <div>
            <label for="email" class=LABEL>"Email"</label>
            <input id="email" name="email" type="email" autocomplete="email" required maxlength="254" value=crate::form_errors::kept("email") class=INPUT />
        </div>
    }
}

/// `/account`: the profile and order history when signed in, the sign-in form when not.
#[component]
pub fn AccountPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| load_user());
    view! {
        <Meta name="robots" content="noindex" />
        {loaded(user, |user| match user {
            Some(user) => view! { <Profile user /> }.into_any(),
            None => view! { <SignInForm /> }.into_any(),
        })}
    }
}

#[component]
fn SignInForm() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    view! {
        <PageTitle text="Sign in" />
        <div class="mx-auto max-w-md px-4 py-12">
            <h1 class="text-3xl font-bold tracking-tight">"Sign in"</h1>
            <p class="mt-2 text-stone-600">"See your orders and keep your cart on every device."</p>
            <ActionForm action=sign_in attr:class="mt-8 space-y-5">
                {action_error(sign_in.value())}
                <EmailField />
                <div>
                    <label for="password" class=LABEL>"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required maxlength=MAX_PASSWORD_CHARS class=INPUT />
                </div>
                <button type="submit" class=format!("{BUTTON} w-full")>"Sign in"</button>
            </ActionForm>
            <p class="mt-6 text-center text-sm text-stone-600">
                <a href="/account/forgot" class="font-semibold text-teal-800 underline">"Forgot your password?"</a>
            </p>
            <p class="mt-2 text-center text-sm text-stone-600">
                "New here? " <a href="/account/register" class="font-semibold text-teal-800 underline">"Create an account"</a>
            </p>
        </div>
    }
}

/// `/account/register`: after the form, a link to confirm the address comes by mail.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = ServerAction::<Register>::new();
    let sent = move || matches!(register.value().get(), Some(Ok(_)));
    view! {
        <PageTitle text="Create an account" />
        <Meta name="robots" content="noindex" />
        <div class="mx-auto max-w-md px-4 py-12">
            <h1 class="text-3xl font-bold tracking-tight">"Create an account"</h1>
            {action_success(register.value(), |email: &String| check_inbox(email))}
            <div class:hidden=sent>
                <p class="mt-2 text-stone-600">"Your cart comes with you."</p>
                <ActionForm action=register attr:class="mt-8 space-y-5">
                    {action_error(register.value())}
                    <EmailField />
                    <super::password::NewPasswordFields label="Password" hint=" A few words you will remember work well." />
                    <p class="text-sm text-stone-600">"We'll send a link to confirm your email; it signs you in."</p>
                    <button type="submit" class=format!("{BUTTON} w-full")>"Create account"</button>
                </ActionForm>
            </div>
            <p class="mt-6 text-center text-sm text-stone-600">
                "Have an account? " <a href="/account" class="font-semibold text-teal-800 underline">"Sign in"</a>
            </p>
        </div>
    }
}

/// `/account/verify?token=…`: the link from the confirmation mail. Confirming takes a
/// click, so a mail scanner opening the link confirms nothing.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let valid = Resource::new(token, check_verify_token);
    let confirm = ServerAction::<ConfirmEmail>::new();
    view! {
        <PageTitle text="Confirm your email" />
        <Meta name="robots" content="noindex" />
        // The link's token goes to no other site; our own form posts keep their Origin.
        <Meta name="referrer" content="same-origin" />
        <div class="mx-auto max-w-md px-4 py-12">
            <h1 class="text-3xl font-bold tracking-tight">"Confirm your email"</h1>
            {loaded(valid, move |valid| {
                if valid {
                    view! {
                        <ActionForm action=confirm attr:class="mt-6 space-y-5">
                            {action_error(confirm.value())}
                            <input type="hidden" name="token" value=token() />
                            <p class="text-stone-700">"Type the password you chose when you created the account, and it is ready: you will be signed in."</p>
                            <TextField name="password" label="Password" kind="password" autocomplete="current-password" required=true maxlength=MAX_PASSWORD_CHARS outcome=confirm.value().into() />
                            <button type="submit" class=format!("{BUTTON} w-full")>"Confirm and sign in"</button>
                        </ActionForm>
                    }
                    .into_any()
                } else {
                    view! {
                        <super::password::LinkUsedUp
                            message="This confirmation link has expired or was already used. Create the account again for a new link, or sign in if you already confirmed it."
                            href="/account/register"
                            label="Create the account again"
                        />
                    }
                    .into_any()
                }
            })}
        </div>
    }
}

#[component]
fn Profile(user: User) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <PageTitle text="Your account" />
        <div class="mx-auto max-w-3xl px-4 py-12">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-3xl font-bold tracking-tight">"Your account"</h1>
                    <p class="mt-1 text-stone-600" data-testid="account-email">{user.email.clone()}</p>
                </div>
                <ActionForm action=sign_out>
                    <button type="submit" class="rounded-full border border-stone-300 bg-white px-5 py-2 text-sm font-semibold hover:bg-stone-100">"Sign out"</button>
                </ActionForm>
            </div>
            <nav aria-label="Your account" class="mt-10 grid gap-4 sm:grid-cols-3">
                <AccountLink href="/account/orders" title="Orders" text="Track what you bought and its status." />
                <AccountLink href="/account/addresses" title="Addresses" text="Where we deliver: add, change, choose a default." />
                <AccountLink href="/account/password" title="Password" text="Change it; other devices are signed out." />
            </nav>
            {(user.role >= mercato::accounts::Role::Staff).then(|| view! {
                <p class="mt-6 text-sm text-stone-600">
                    "You are " {user.role.as_str()} ". " <a href="/admin" class="font-semibold text-teal-800 underline">"Open the shop's admin"</a>
                </p>
            })}
        </div>
    }
}

#[component]
fn AccountLink(href: &'static str, title: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <a href=href class="block rounded-2xl border border-stone-200 bg-white p-5 shadow-sm hover:border-teal-600 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600">
            <span class="block text-lg font-bold">{title}</span>
            <span class="mt-1 block text-sm text-stone-600">{text}</span>
        </a>
    }
}
