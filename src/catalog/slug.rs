//! URL slugs and stock-keeping units: parsed once, valid ever after.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A URL path segment: lowercase letters, digits and single hyphens (`merino-hoodie`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug uses lowercase letters, digits and single hyphens, up to 200 characters")]
    Invalid,
}

impl Slug {
    pub const MAX_LEN: usize = 200;

    pub fn parse(s: &str) -> Result<Slug, SlugError> {
        let valid = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if valid {
            Ok(Slug(s.to_owned()))
        } else {
            Err(SlugError::Invalid)
        }
    }

    /// A slug made from a display name: `"Alpine Merino Hoodie!"` → `alpine-merino-hoodie`.
    pub fn from_name(name: &str) -> Result<Slug, SlugError> {
        let mut out = String::with_capacity(name.len());
        for c in name.chars().flat_map(char::to_lowercase) {
            if let Some(plain) = fold_accent(c) {
                out.push_str(plain);
            } else if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        while out.ends_with('-') {
            out.pop();
        }
        out.truncate(Self::MAX_LEN);
        while out.ends_with('-') {
            out.pop();
        }
        Slug::parse(&out)
    }

    /// The slug a staff form asks for: what was typed, or, when nothing was, one made
    /// from `name` (cut to `max` bytes at a word); `None` when what was typed is no
    /// slug, or longer than `max`.
    pub fn from_form(typed: &str, name: &str, max: usize) -> Option<Slug> {
        match typed.trim() {
            "" => {
                let mut made = Slug::from_name(name).ok()?.0;
                if made.len() > max {
                    made.truncate(max);
                    // Cut at a word: never a trailing hyphen.
                    while made.ends_with('-') {
                        made.pop();
                    }
                }
                Slug::parse(&made).ok()
            }
            typed => Slug::parse(typed).ok().filter(|s| s.0.len() <= max),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The plain letters for common accented Latin letters (`é` → `e`, `ß` → `ss`).
fn fold_accent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'æ' => "ae",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'œ' => "oe",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        _ => return None,
    })
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Slug::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

/// A stock-keeping unit: uppercase letters, digits and hyphens, up to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkuError {
    #[error("a SKU uses uppercase letters, digits and hyphens, up to 64 characters, starting with a letter or digit")]
    Invalid,
}

impl Sku {
    pub fn parse(s: &str) -> Result<Sku, SkuError> {
        let s = s.trim();
        let valid = (1..=64).contains(&s.len())
            && !s.starts_with('-')
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Sku(s.to_owned()))
        } else {
            Err(SkuError::Invalid)
        }
    }

    /// A SKU as staff typed it, as it is stored and matched: trimmed, upper case
    /// (`tee-s` and `TEE-S` are one SKU).
    pub fn normalise(typed: &str) -> String {
        typed.trim().to_ascii_uppercase()
    }

    /// [`Sku::parse`] of what staff typed, after [`Sku::normalise`].
    pub fn from_typed(typed: &str) -> Result<Sku, SkuError> {
        Sku::parse(&Sku::normalise(typed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Sku {
    type Error = SkuError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Sku::parse(&s)
    }
}

impl From<Sku> for String {
    fn from(s: Sku) -> String {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_only_the_url_safe_form() {
        assert!(Slug::parse("merino-hoodie-2").is_ok());
        for bad in [
            "", "-a", "a-", "a--b", "Hoodie", "a b", "a_b", "café", "a/b", "..", "%20",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Slug::parse(&"a".repeat(201)).is_err());
    }

    #[test]
    fn slugs_from_names_drop_punctuation_and_accents() {
        let slug = |s: &str| Slug::from_name(s).map(|s| s.to_string());
        assert_eq!(
            slug("Alpine Merino Hoodie!"),
            Ok("alpine-merino-hoodie".into())
        );
        assert_eq!(slug("  Home & Living  "), Ok("home-living".into()));
        assert_eq!(slug("Crème brûlée mug"), Ok("creme-brulee-mug".into()));
        assert_eq!(slug("Große Tasse"), Ok("grosse-tasse".into()));
        assert!(slug("!!!").is_err());
    }

    #[test]
    fn skus_are_uppercase_codes() {
        assert!(Sku::parse("HOOD-MER-M-BLK").is_ok());
        assert_eq!(
            Sku::parse(" AB-1 ").map(|s| s.to_string()),
            Ok("AB-1".into())
        );
        for bad in ["", "-AB", "ab-1", "AB_1", "AB 1"] {
            assert!(Sku::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Sku::parse(&"A".repeat(65)).is_err());
    }
}
