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

/// The page's `<title>`, whatever its text. leptos_meta 0.8 writes a title's text into
/// the server's HTML as it is, so a search for `</title><script>…` or a product named so
/// would become markup; the server escapes it here. In the browser the text is set as
/// `document.title`, which is never parsed, so it stays as typed. Every page's title goes
/// through this component (clippy refuses `leptos_meta::Title` elsewhere).
#[component]
#[allow(clippy::disallowed_methods)]
pub fn PageTitle(#[prop(into)] text: TextProp) -> impl IntoView {
    view! { <Title formatter=title_text text /> }
}

/// What the server writes between `<title>` and `</title>`.
fn title_text(text: String) -> String {
    #[cfg(feature = "ssr")]
    {
        escape_text(&text)
    }
    #[cfg(not(feature = "ssr"))]
    {
        text
    }
}

/// `text` as HTML character data: `&`, `<` and `>` as entities.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
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
        <PageTitle text=title.clone() />
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
    view! { <script type="application/ld+json" inner_html=script_json(&doc)></script> }
}

/// `doc` as JSON that is safe inside a `<script>` element: `<`, `>` and `&` are written
/// as `\u003c`, `\u003e` and `\u0026`, which JSON reads as the same characters. Escaping
/// `</` alone is not enough: `<!--<script>` inside a script element makes the parser
/// swallow the rest of the page.
pub fn script_json(doc: &serde_json::Value) -> String {
    let json = doc.to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            // Valid JSON, but line terminators in JavaScript source before ES2019.
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_text_cannot_close_the_title_element() {
        assert_eq!(
            escape_text("</title><img src=x onerror=alert(1)> & more"),
            "&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt; &amp; more"
        );
        assert_eq!(escape_text("Plain name"), "Plain name");
    }

    #[test]
    fn json_in_a_script_has_no_markup_characters_and_reads_back_the_same() {
        let doc = serde_json::json!({
            "name": "<!--<script>alert(1)</script> & </script>",
            "x": "\u{2028}",
        });
        let text = script_json(&doc);
        assert!(
            !text.contains('<') && !text.contains('>') && !text.contains('&'),
            "{text}"
        );
        assert!(!text.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back, doc);
    }
}
