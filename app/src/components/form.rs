//! The look of forms, shared by every page that has one, and the messages under them.

use crate::error::AppError;
use leptos::prelude::*;

pub const INPUT: &str = "mt-1 block h-11 w-full rounded-xl border border-stone-300 bg-white px-3 focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30 aria-[invalid=true]:border-rose-500";
pub const LABEL: &str = "block text-sm font-semibold text-stone-800";
pub const BUTTON: &str = "h-11 rounded-full bg-teal-700 px-6 font-semibold text-white hover:bg-teal-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600 focus-visible:ring-offset-2 disabled:bg-stone-300";
pub const SECONDARY: &str = "h-11 rounded-full border border-stone-300 bg-white px-5 text-sm font-semibold hover:bg-stone-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600";

/// The last outcome of a server action, whatever it returns.
pub type Outcome<T> = Option<Result<T, AppError>>;

/// The error an action came back with, in an alert above its form. A form with
/// field-by-field errors shows them by the fields instead, and a summary here.
pub fn action_error<T: Clone + Send + Sync + 'static>(
    value: impl Get<Value = Outcome<T>> + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        value.get().and_then(Result::err).map(|e| {
            let text = match &e {
                AppError::Fields(_) => "Some fields need another look: see the messages below them.".to_owned(),
                e => e.to_string(),
            };
            view! {
                <p role="alert" class="rounded-xl bg-rose-50 px-4 py-3 text-sm font-medium text-rose-800">{text}</p>
            }
        })
    }
}

/// A success message for an action that went through.
pub fn action_success<T: Clone + Send + Sync + 'static>(
    value: impl Get<Value = Outcome<T>> + Send + Sync + 'static,
    message: impl Fn(&T) -> String + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        value.get().and_then(Result::ok).map(|v| {
            view! {
                <p role="status" class="rounded-xl bg-teal-50 px-4 py-3 text-sm font-medium text-teal-900">{message(&v)}</p>
            }
        })
    }
}

/// The error the last outcome has for the field `name`, and the id of the element
/// showing it for `aria-describedby` (when there is one).
fn field_error<T: Clone + Send + Sync + 'static>(
    outcome: Signal<Outcome<T>>,
    name: &str,
    error_id: &str,
) -> (
    impl Fn() -> Option<String> + Clone + Send + Sync + 'static,
    impl Fn() -> Option<String> + Clone + Send + Sync + 'static,
) {
    let error = {
        let name = name.to_owned();
        move || {
            outcome
                .get()
                .and_then(Result::err)
                .and_then(|e| e.field(&name))
        }
    };
    let described = {
        let error_id = error_id.to_owned();
        let error = error.clone();
        move || error().map(|_| error_id.clone())
    };
    (error, described)
}

/// A labelled text input whose field error (from the last outcome) shows beneath it.
#[component]
pub fn TextField<T: Clone + Send + Sync + 'static>(
    /// The form field's `name`; the element's id is `field-<name>`.
    #[prop(into)]
    name: String,
    label: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] required: bool,
    #[prop(default = 200)] maxlength: usize,
    #[prop(optional, into)] hint: String,
    outcome: Signal<Outcome<T>>,
) -> impl IntoView {
    // What the shopper sent, when the page shows that post's errors.
    let value = crate::form_errors::kept(&name).unwrap_or(value);
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let (error, described) = field_error(outcome, &name, &error_id);
    view! {
        <div>
            <label for=id.clone() class=LABEL>
                {label}
                {(!required).then(|| view! { <span class="font-normal text-stone-500">" (optional)"</span> })}
            </label>
            <input
                id=id
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                required=required
                maxlength=maxlength
                aria-invalid={
                    let error = error.clone();
                    move || error().is_some().to_string()
                }
                aria-describedby=described
                class=INPUT
            />
            {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-xs text-stone-500">{hint}</p> })}
            {move || error().map(|e| view! { <p id=error_id.clone() class="mt-1 text-sm font-medium text-rose-700">{e}</p> })}
        </div>
    }
}

/// A labelled `<select>` whose field error (from the last outcome) shows beneath it.
/// `options`: (value, label); the one equal to `selected` (or to what a failed post
/// sent) is chosen.
#[component]
pub fn SelectField<T: Clone + Send + Sync + 'static>(
    /// The form field's `name`; the element's id is `field-<name>`.
    #[prop(into)]
    name: String,
    label: &'static str,
    options: Vec<(String, String)>,
    #[prop(optional, into)] selected: String,
    outcome: Signal<Outcome<T>>,
) -> impl IntoView {
    let selected = crate::form_errors::kept(&name).unwrap_or(selected);
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let (error, described) = field_error(outcome, &name, &error_id);
    let options = options
        .into_iter()
        .map(|(value, text)| {
            let chosen = value == selected;
            view! { <option value=value selected=chosen>{text}</option> }
        })
        .collect_view();
    view! {
        <div>
            <label for=id.clone() class=LABEL>{label}</label>
            <select
                id=id
                name=name
                aria-invalid={
                    let error = error.clone();
                    move || error().is_some().to_string()
                }
                aria-describedby=described
                class=INPUT
            >
                {options}
            </select>
            {move || error().map(|e| view! { <p id=error_id.clone() class="mt-1 text-sm font-medium text-rose-700">{e}</p> })}
        </div>
    }
}

/// A labelled `<textarea>` whose field error (from the last outcome) shows beneath it.
#[component]
pub fn TextArea<T: Clone + Send + Sync + 'static>(
    /// The form field's `name`; the element's id is `field-<name>`.
    #[prop(into)]
    name: String,
    label: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = 6)] rows: u32,
    #[prop(default = 2000)] maxlength: usize,
    #[prop(optional)] hint: &'static str,
    /// Whether the form needs it (otherwise the label says "optional").
    #[prop(optional)]
    required: bool,
    outcome: Signal<Outcome<T>>,
) -> impl IntoView {
    let value = crate::form_errors::kept(&name).unwrap_or(value);
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let (error, described) = field_error(outcome, &name, &error_id);
    view! {
        <div>
            <label for=id.clone() class=LABEL>
                {label}
                {(!required).then(|| view! { <span class="font-normal text-stone-500">" (optional)"</span> })}
            </label>
            <textarea
                id=id
                name=name
                required=required
                rows=rows
                maxlength=maxlength
                aria-invalid={
                    let error = error.clone();
                    move || error().is_some().to_string()
                }
                aria-describedby=described
                class="mt-1 block w-full rounded-xl border border-stone-300 bg-white px-3 py-2 focus:border-teal-600 focus:outline-none focus:ring-2 focus:ring-teal-600/30 aria-[invalid=true]:border-rose-500"
            >
                {value}
            </textarea>
            {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-xs text-stone-500">{hint}</p> })}
            {move || error().map(|e| view! { <p id=error_id.clone() class="mt-1 text-sm font-medium text-rose-700">{e}</p> })}
        </div>
    }
}

/// The error the last outcome has for `name`, as a message under a field drawn by
/// hand (a table cell's input): its id is `field-<name>-error`.
pub fn field_message<T: Clone + Send + Sync + 'static>(
    outcome: Signal<Outcome<T>>,
    name: &str,
) -> (
    impl Fn() -> Option<String> + Clone + Send + Sync + 'static,
    impl Fn() -> Option<String> + Clone + Send + Sync + 'static,
) {
    field_error(outcome, name, &format!("field-{name}-error"))
}
