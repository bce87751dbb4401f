//! `/sitemap.xml` and `/robots.txt`.
//!
//! A sitemap may list at most 50,000 addresses, so `/sitemap.xml` is an index of parts
//! (`/sitemaps/1.xml`, …) of [`PER_PART`] pages each; the first part starts with the
//! home page.

/// Pages listed per part (well under the protocol's 50,000, and small to download).
pub const PER_PART: i64 = 10_000;

/// How many parts `pages` category and product pages need (at least one: the home page).
pub fn parts(pages: i64) -> i64 {
    ((pages.max(0) + PER_PART - 1) / PER_PART).max(1)
}

/// The index of `parts` sitemap parts under `base` (e.g. `https://shop.example`).
pub fn index_xml(base: &str, parts: i64) -> String {
    let base = base.trim_end_matches('/');
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for n in 1..=parts {
        xml.push_str("  <sitemap><loc>");
        xml.push_str(&escape(&format!("{base}/sitemaps/{n}.xml")));
        xml.push_str("</loc></sitemap>\n");
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

/// A sitemap part of `paths` under `base`; the first part lists the home page too.
pub fn sitemap_xml(base: &str, first: bool, paths: &[String]) -> String {
    let base = base.trim_end_matches('/');
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let home = first.then_some("/");
    for path in home.into_iter().chain(paths.iter().map(String::as_str)) {
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
        let xml = sitemap_xml("https://shop.example/", true, &["/p/a&b".to_owned()]);
        assert!(xml.contains("<loc>https://shop.example/</loc>"));
        assert!(xml.contains("<loc>https://shop.example/p/a&amp;b</loc>"));
        assert!(xml.starts_with("<?xml"));
        let later = sitemap_xml("https://shop.example", false, &["/p/x".to_owned()]);
        assert!(!later.contains("<loc>https://shop.example/</loc>"));
    }

    #[test]
    fn the_index_names_one_part_per_ten_thousand_pages() {
        assert_eq!(parts(0), 1);
        assert_eq!(parts(10_000), 1);
        assert_eq!(parts(10_001), 2);
        assert_eq!(parts(100_012), 11);
        let xml = index_xml("https://shop.example", 2);
        assert!(xml.contains("<sitemapindex"));
        assert!(xml.contains("<loc>https://shop.example/sitemaps/1.xml</loc>"));
        assert!(xml.contains("<loc>https://shop.example/sitemaps/2.xml</loc>"));
        assert!(!xml.contains("sitemaps/3.xml"));
    }

    #[test]
    fn robots_points_at_the_sitemap() {
        assert!(robots_txt("https://shop.example")
            .ends_with("Sitemap: https://shop.example/sitemap.xml\n"));
    }
}
