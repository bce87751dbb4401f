//! The states and provinces of the countries where an address needs one: sales tax
//! and delivery depend on them, so free text ("Calif.") would be charged the wrong tax
//! (none at all). An address there names one of these, by code or by name; it is
//! stored as the code.

/// (code, name) of each region of `country`, for the countries that need one.
pub fn regions(country: &str) -> Option<&'static [(&'static str, &'static str)]> {
    match country {
        "US" => Some(US),
        "CA" => Some(CA),
        "AU" => Some(AU),
        _ => None,
    }
}

/// A region of `country` to show as an example in a message.
pub fn example(country: &str) -> &'static str {
    match country {
        "US" => "CA or California",
        "CA" => "ON or Ontario",
        "AU" => "NSW or New South Wales",
        _ => "the region's name",
    }
}

/// The code of the region `typed` (its code or its name, any case) in `country`.
pub fn region_code(country: &str, typed: &str) -> Option<&'static str> {
    let typed = typed.trim();
    regions(country)?
        .iter()
        .find(|(code, name)| code.eq_ignore_ascii_case(typed) || name.eq_ignore_ascii_case(typed))
        .map(|(code, _)| *code)
}

const US: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("PR", "Puerto Rico"),
    ("GU", "Guam"),
    ("VI", "U.S. Virgin Islands"),
    ("AS", "American Samoa"),
    ("MP", "Northern Mariana Islands"),
    ("AA", "Armed Forces Americas"),
    ("AE", "Armed Forces Europe"),
    ("AP", "Armed Forces Pacific"),
];

const CA: &[(&str, &str)] = &[
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon"),
];

const AU: &[(&str, &str)] = &[
    ("ACT", "Australian Capital Territory"),
    ("NSW", "New South Wales"),
    ("NT", "Northern Territory"),
    ("QLD", "Queensland"),
    ("SA", "South Australia"),
    ("TAS", "Tasmania"),
    ("VIC", "Victoria"),
    ("WA", "Western Australia"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_named_by_code_or_name_in_any_case() {
        assert_eq!(region_code("US", "ca"), Some("CA"));
        assert_eq!(region_code("US", " California "), Some("CA"));
        assert_eq!(region_code("US", "new york"), Some("NY"));
        assert_eq!(region_code("CA", "Ontario"), Some("ON"));
        assert_eq!(region_code("AU", "vic"), Some("VIC"));
        assert_eq!(region_code("US", "Calif."), None);
        assert_eq!(region_code("US", "Ontario"), None);
        assert_eq!(region_code("GB", "London"), None);
    }

    #[test]
    fn codes_are_unique_within_a_country() {
        for country in ["US", "CA", "AU"] {
            let list = regions(country).expect("a list");
            let mut codes: Vec<_> = list.iter().map(|(c, _)| *c).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), list.len(), "{country}");
        }
    }
}
