/// Sets the HTTP status of the page being rendered on the server; does nothing in the
/// browser, where the page has already been served.
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(
                http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}
