//! Text as people type it into forms and search boxes, made safe to keep: no control
//! characters (a NUL is not text to Postgres), no surrounding spaces, bounded.

/// Words typed into a form: control characters (but lines and tabs) left out, trimmed,
/// and between 1 and `max` characters (`None` otherwise).
pub(crate) fn typed(body: &str, max: usize) -> Option<String> {
    let body: String = body
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    let body = body.trim();
    (!body.is_empty() && body.chars().count() <= max).then(|| body.to_owned())
}

/// A name typed into a one-line field: line breaks and tabs read as spaces, other
/// control characters left out, trimmed, and between 1 and `max` characters (`None`
/// otherwise).
pub(crate) fn line(text: &str, max: usize) -> Option<String> {
    let text: String = text
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    let text = text.trim();
    (!text.is_empty() && text.chars().count() <= max).then(|| text.to_owned())
}

/// A search box's text: control characters left out, trimmed, and cut to `max`
/// characters (what a list's URL may carry).
pub fn search(q: &str, max: usize) -> String {
    let kept: String = q.chars().filter(|c| !c.is_control()).collect();
    kept.trim().chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_keeps_lines_and_drops_what_is_not_text() {
        assert_eq!(typed(" a\0b\r\nc ", 10).as_deref(), Some("ab\nc"));
        assert_eq!(typed(" \0 ", 10), None);
        assert_eq!(typed("abc", 2), None);
        assert_eq!(line(" a\nb\u{0} ", 10).as_deref(), Some("a b"));
        assert_eq!(line("abc", 2), None);
    }

    #[test]
    fn search_text_is_trimmed_and_bounded() {
        assert_eq!(search("  ada@\u{0}example ", 100), "ada@example");
        assert_eq!(search(&"x".repeat(500), 100).len(), 100);
    }
}
