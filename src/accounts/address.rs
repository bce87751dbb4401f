//! Postal addresses: the address book now, shipping and billing at checkout. What a
//! form sends is checked here, field by field, so each message can sit by its field.

#[cfg(feature = "server")]
pub mod store;

use crate::error::FieldErrors;
use serde::{Deserialize, Serialize};

/// The countries the shop knows, by ISO 3166-1 alpha-2 code, in the order the form
/// lists them. Shipping zones (checkout) choose which of these are delivered to.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("AT", "Austria"),
    ("AU", "Australia"),
    ("BE", "Belgium"),
    ("CA", "Canada"),
    ("CH", "Switzerland"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DK", "Denmark"),
    ("ES", "Spain"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("IT", "Italy"),
    ("JP", "Japan"),
    ("LU", "Luxembourg"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("SE", "Sweden"),
    ("US", "United States"),
];
/// Countries where a postcode is optional.
const POSTCODE_OPTIONAL: &[&str] = &["IE"];

/// Why the address book refused an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AddressError {
    #[error("Your address book is full ({0} addresses). Delete one you no longer use, then add this one.")]
    BookFull(i64),
}

/// The known countries among `codes`, as codes in [`COUNTRIES`]' order, each once.
pub fn in_list_order<S: AsRef<str>>(codes: &[S]) -> Vec<String> {
    COUNTRIES
        .iter()
        .filter(|(code, _)| codes.iter().any(|c| c.as_ref() == *code))
        .map(|(code, _)| (*code).to_owned())
        .collect()
}

/// The country's name, for a known code.
pub fn country_name(code: &str) -> Option<&'static str> {
    COUNTRIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// An address as typed into a form: every field a string, nothing checked yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressInput {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    pub country: String,
    #[serde(default)]
    pub phone: String,
}

/// A checked address: trimmed, within the limits, in a known country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, in capitals.
    pub country: String,
    pub phone: String,
}

/// An address in someone's address book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAddress {
    pub id: i64,
    pub address: Address,
    pub is_default: bool,
}

impl Address {
    /// The address as lines for a label or a page: name, street, town, country.
    pub fn lines(&self) -> Vec<String> {
        let town = [
            self.postal_code.as_str(),
            self.city.as_str(),
            self.region.as_str(),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
        [
            self.name.clone(),
            self.line1.clone(),
            self.line2.clone(),
            town,
            country_name(&self.country)
                .unwrap_or(&self.country)
                .to_owned(),
            self.phone.clone(),
        ]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect()
    }

    /// The form's view of this address (for editing it).
    pub fn to_input(&self) -> AddressInput {
        AddressInput {
            name: self.name.clone(),
            line1: self.line1.clone(),
            line2: self.line2.clone(),
            city: self.city.clone(),
            region: self.region.clone(),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
            phone: self.phone.clone(),
        }
    }
}

impl AddressInput {
    /// Checks every field and reports all problems at once, each under its field's name.
    pub fn validate(&self) -> Result<Address, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut text =
            |field: &'static str, value: &str, label: &str, max: usize, required: bool| {
                let value = value.trim();
                if required && value.is_empty() {
                    errors.add(field, format!("Enter the {label}."));
                } else if value.chars().count() > max {
                    errors.add(
                        field,
                        format!("Shorten the {label} to at most {max} characters."),
                    );
                } else if value.chars().any(char::is_control) {
                    errors.add(
                        field,
                        format!("The {label} has characters we can't print on a label."),
                    );
                }
                value.to_owned()
            };
        let name = text("name", &self.name, "full name", 100, true);
        let line1 = text("line1", &self.line1, "street address", 200, true);
        let line2 = text("line2", &self.line2, "second address line", 200, false);
        let city = text("city", &self.city, "town or city", 100, true);
        let country = self.country.trim().to_uppercase();
        let known_regions = super::regions::regions(&country);
        let mut region = text(
            "region",
            &self.region,
            "state or province",
            100,
            known_regions.is_some(),
        );
        let postcode_required = !POSTCODE_OPTIONAL.contains(&country.as_str());
        let postal_code = text(
            "postal_code",
            &self.postal_code,
            "postcode",
            20,
            postcode_required,
        );
        let phone = text("phone", &self.phone, "phone number", 40, false);
        if !postal_code.is_empty()
            && !postal_code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            errors.add(
                "postal_code",
                "A postcode has only letters, digits, spaces and dashes.",
            );
        }
        if !phone.is_empty()
            && !phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            errors.add(
                "phone",
                "A phone number has only digits, spaces and + - ( ).",
            );
        }
        if known_regions.is_some() && !region.is_empty() {
            match super::regions::region_code(&country, &region) {
                Some(code) => region = code.to_owned(),
                None => errors.add(
                    "region",
                    format!(
                        "We don't know the state or province \"{region}\" in {}. Use its \
                         two-letter code or its full name, such as {}.",
                        country_name(&country).unwrap_or("that country"),
                        super::regions::example(&country),
                    ),
                ),
            }
        }
        if country.is_empty() {
            errors.add("country", "Choose a country.");
        } else if country_name(&country).is_none() {
            errors.add(
                "country",
                "We don't deliver to that country. Choose one from the list.",
            );
        }
        errors.into_result(Address {
            name,
            line1,
            line2,
            city,
            region,
            postal_code: postal_code.to_uppercase(),
            country,
            phone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            name: " Ada Lovelace ".into(),
            line1: "12 St James's Square".into(),
            line2: String::new(),
            city: "London".into(),
            region: String::new(),
            postal_code: "sw1y 4jh".into(),
            country: "gb".into(),
            phone: "+44 20 7946 0000".into(),
        }
    }

    #[test]
    fn countries_come_in_the_lists_order_once_and_unknown_ones_drop() {
        assert_eq!(
            in_list_order(&["US", "DE", "ZZ", "AT", "DE", "de"]),
            ["AT", "DE", "US"]
        );
        assert!(in_list_order::<&str>(&[]).is_empty());
    }

    #[test]
    fn a_good_address_is_trimmed_and_capitalised() {
        let a = input().validate().expect("valid");
        assert_eq!(a.name, "Ada Lovelace");
        assert_eq!(a.country, "GB");
        assert_eq!(a.postal_code, "SW1Y 4JH");
        assert_eq!(
            a.lines(),
            [
                "Ada Lovelace",
                "12 St James's Square",
                "SW1Y 4JH London",
                "United Kingdom",
                "+44 20 7946 0000"
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_under_its_field() {
        let bad = AddressInput {
            name: "".into(),
            line1: "x".repeat(10_000),
            city: "  ".into(),
            country: "ZZ".into(),
            phone: "call me".into(),
            postal_code: "<script>".into(),
            ..AddressInput::default()
        };
        let errors = bad.validate().expect_err("invalid");
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "line1", "city", "postal_code", "phone", "country"]
        );
        assert_eq!(
            errors.get("line1"),
            Some("Shorten the street address to at most 200 characters.")
        );
        assert_eq!(
            errors.get("country"),
            Some("We don't deliver to that country. Choose one from the list.")
        );
    }

    #[test]
    fn some_countries_need_a_region_and_some_no_postcode() {
        let us = AddressInput {
            country: "US".into(),
            ..input()
        };
        assert_eq!(
            us.validate().expect_err("no state").get("region"),
            Some("Enter the state or province.")
        );
        // A state the tax tables could not match is refused, not taxed at 0 %.
        let vague = AddressInput {
            region: "Calif.".into(),
            ..us.clone()
        };
        assert!(vague
            .validate()
            .expect_err("unknown state")
            .get("region")
            .is_some_and(|m| m.contains("CA or California")));
        let named = AddressInput {
            region: "california".into(),
            ..us.clone()
        };
        assert_eq!(named.validate().expect("valid").region, "CA");
        let ie = AddressInput {
            country: "IE".into(),
            postal_code: "".into(),
            ..input()
        };
        assert!(ie.validate().is_ok());
        let de = AddressInput {
            country: "DE".into(),
            postal_code: "".into(),
            ..input()
        };
        assert_eq!(
            de.validate().expect_err("no postcode").get("postal_code"),
            Some("Enter the postcode.")
        );
    }
}
