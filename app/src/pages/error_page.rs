use crate::components::set_status;
use crate::components::PageTitle;
use crate::error::AppError;
use leptos::prelude::*;

/// The page shown when something failed on our side: says what happened and what to do,
/// and is served with the matching status (500, or 503 while the database is away).
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    set_status(error.status());
    let heading = match error {
        AppError::Unavailable | AppError::Network => "We'll be right back",
        AppError::NotFound => "We couldn't find that",
        AppError::TooManyRequests(_) | AppError::Busy => "One moment, please",
        _ => "Something went wrong",
    };
    view! {
        <PageTitle text=heading />
        <section class="mx-auto max-w-2xl px-4 py-20 text-center" aria-labelledby="error-heading">
            <p class="text-sm font-semibold uppercase tracking-wider text-amber-700">
                {format!("Error {}", error.status())}
            </p>
            <h1 id="error-heading" class="mt-2 text-3xl font-bold tracking-tight sm:text-4xl">{heading}</h1>
            <p class="mt-4 text-stone-600">{error.to_string()}</p>
            <p class="mt-2 text-stone-600">"Nothing in your cart has been lost."</p>
            <div class="mt-8 flex flex-wrap justify-center gap-3">
                <a href="" rel="external" class="rounded-full bg-teal-700 px-5 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-teal-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600 focus-visible:ring-offset-2">
                    "Try again"
                </a>
                <a href="/" class="rounded-full border border-stone-300 bg-white px-5 py-2.5 text-sm font-semibold text-stone-800 hover:bg-stone-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-teal-600 focus-visible:ring-offset-2">
                    "Go to the home page"
                </a>
            </div>
        </section>
    }
}
