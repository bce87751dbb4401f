//! `/sitemap.xml` and `/robots.txt`.

/// A sitemap of `paths` under `base` (e.g. `https://shop.example`), XML-escaped.
pub fn sitemap_xml(base: &str, paths: &[String]) -> String {
    let base = base.trim_end_matches('/');
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in std::iter::once("/").chain(paths.iter().map(String::as_str)) {
        xml.push_str("  <url><loc>");
        xml.push_str(&escape(&format!("{base}{path}")));
        xml.push_str("</loc></url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

pub fn robots_txt(base: &str) -> String {
    format!(
        "User-agent: *\nAllow: /\nDisallow: /api/\nSitemap: {}/sitemap.xml\n",
        base.trim_end_matches('/')
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sitemap_lists_the_home_page_and_every_path_escaped() {
        let xml = sitemap_xml("https://shop.example/", &["/p/a&b".to_owned()]);
        assert!(xml.contains("<loc>https://shop.example/</loc>"));
        assert!(xml.contains("<loc>https://shop.example/p/a&amp;b</loc>"));
        assert!(xml.starts_with("<?xml"));
    }

    #[test]
    fn robots_points_at_the_sitemap() {
        assert!(robots_txt("https://shop.example")
            .ends_with("Sitemap: https://shop.example/sitemap.xml\n"));
    }
}
