use crate::error::AppError;
use crate::pages::{ErrorPage, NotFoundPage};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A page's data once loaded: the page itself, the 404 page when the thing does not
/// exist, or the error page (with its status) when something failed.
pub fn loaded<T, V>(
    data: Resource<Result<T, AppError>>,
    render: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    view! {
        // Rendered on the server, which waits for the data (`SsrMode::Async`): the
        // fallback is never sent.
        <Transition fallback=|| view! { <p class="mx-auto max-w-6xl px-4 py-12 text-stone-500">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(value) => EitherOf3::A(render(value)),
                        Err(AppError::NotFound) => EitherOf3::B(view! { <NotFoundPage /> }),
                        Err(error) => EitherOf3::C(view! { <ErrorPage error /> }),
                    }
                })
            }}
        </Transition>
    }
}
