use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};

/// The shop's public address (`https://shop.example`, no trailing slash), for absolute
/// links in canonical tags, Open Graph and structured data. The server knows it from its
/// configuration; in the browser it is the page's own origin.
pub fn public_url() -> String {
    #[cfg(feature = "ssr")]
    {
        crate::state::state()
            .map(|s| s.public_url.trim_end_matches('/').to_owned())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        window().location().origin().unwrap_or_default()
    }
}

/// `path` (which starts with `/`) as an absolute URL.
pub fn absolute(path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        path.to_owned()
    } else {
        format!("{}{path}", public_url())
    }
}

/// A page's title, description, canonical link and Open Graph tags.
#[component]
pub fn PageMeta(
    #[prop(into)] title: String,
    #[prop(into)] description: String,
    /// The canonical path of the page, with its query string if that matters.
    #[prop(into)]
    path: String,
    #[prop(default = None)] image: Option<String>,
    /// Open Graph type: `website` unless given.
    #[prop(optional)]
    og_type: Option<&'static str>,
) -> impl IntoView {
    let url = absolute(&path);
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=description.clone() />
        <Link rel="canonical" href=url.clone() />
        <Meta property="og:type" content=og_type.unwrap_or("website") />
        <Meta property="og:url" content=url />
        <Meta property="og:title" content=title />
        <Meta property="og:description" content=description />
        {image.map(|i| view! { <Meta property="og:image" content=absolute(&i) /> })}
    }
}

/// Structured data for search engines, as a `<script type="application/ld+json">`.
#[component]
pub fn JsonLd(doc: serde_json::Value) -> impl IntoView {
    // `</` inside a script element would end it early.
    let text = doc.to_string().replace("</", "<\\/");
    view! { <script type="application/ld+json" inner_html=text></script> }
}

/// schema.org `BreadcrumbList` for a trail of (name, path), top first.
pub fn breadcrumb_list(trail: &[(String, String)]) -> serde_json::Value {
    let items: Vec<serde_json::Value> = trail
        .iter()
        .enumerate()
        .map(|(n, (name, path))| {
            serde_json::json!({
                "@type": "ListItem",
                "position": n + 1,
                "name": name,
                "item": absolute(path),
            })
        })
        .collect();
    serde_json::json!({
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": items,
    })
}
