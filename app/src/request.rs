//! What server functions need to know about the request itself: whether it is a plain
//! form post, and which client it comes from. Server-side only.

use crate::error::AppError;

/// True for a plain HTML form post (no JavaScript), which expects a page back. False
/// while a page renders (a GET), even though its browser accepts HTML too.
pub fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts.method == axum::http::Method::POST
            && parts
                .headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
    })
}

/// Who the request came from, for rate limits: the TCP peer, or the client a trusted
/// proxy forwarded it for (`MERCATO_TRUSTED_PROXIES`).
pub async fn client() -> Result<mercato::limits::client::ClientKey, AppError> {
    use axum::extract::ConnectInfo;
    let state = crate::state::state()?;
    let peer = leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr.ip())
        .map_err(|e| {
            tracing::error!(error = %e, "the server was started without peer addresses");
            AppError::Internal
        })?;
    let headers = leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .unwrap_or_default();
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    Ok(mercato::limits::client::ClientKey::of(
        state.trusted_proxies.client(peer, &forwarded),
    ))
}
