//! Where the shop ships, at what price, and the tax of each destination, as staff set
//! them (`/admin/settings/shipping`, `/admin/settings/tax`), and whether catalog prices
//! include tax. Checkout reads all of it afresh for every quote ([`super::shipping`]);
//! placed orders keep what they were charged (their shipping, method, tax and whether
//! it was included are columns of the order), so a change reaches new checkouts only. A
//! shopper who reviewed an order before a change is asked to review it again if the
//! change moved its total (placing compares the totals).
//!
//! Every change is one transaction with its audit entry; an edit carries the version
//! the form was opened at, and a stale one is refused with who changed the row and when.

mod tax;
mod zones;

pub use tax::*;
pub use zones::*;

use crate::admin::audit::LastChange;
use serde::{Deserialize, Serialize};

/// The pages' addresses.
pub const SHIPPING_PATH: &str = "/admin/settings/shipping";
pub const TAX_PATH: &str = "/admin/settings/tax";

/// The longest zone or rate name (the columns allow 100), and tax name (60).
pub const MAX_NAME: usize = 100;
pub const MAX_TAX_NAME: usize = 60;
/// The longest delivery estimate, in working days.
pub const MAX_DAYS: u32 = 365;
/// The most a rate may cost (or be free from), in the shop's currency: far above any
/// parcel, and far below what an order's total column holds.
pub const MAX_PRICE: i64 = 100_000;

/// What a settings change was about, for the messages that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Thing {
    Zone,
    Rate,
    TaxRate,
}

impl Thing {
    fn name(self) -> &'static str {
        match self {
            Thing::Zone => "shipping zone",
            Thing::Rate => "shipping rate",
            Thing::TaxRate => "tax rate",
        }
    }
}

/// A settings change staff cannot make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SettingsError {
    /// Someone changed the row after this form was opened.
    #[error("{}", stale_message(*.0, .1.as_ref()))]
    Stale(Thing, Option<LastChange>),
    /// Someone deleted it meanwhile (or the link was made up).
    #[error("This {} no longer exists: someone may have deleted it. Nothing was saved; the list below is as it is now.", .0.name())]
    Gone(Thing),
}

fn stale_message(thing: Thing, change: Option<&LastChange>) -> String {
    let who = LastChange::who(change, "changed", thing.name());
    format!("Not saved: {who}, after you opened it. What you typed is still below, and saving it stays refused: open it again from the list to see their change, then make yours.")
}

/// "Arrives in 2–4 working days".
pub fn estimate(min_days: u32, max_days: u32) -> String {
    match (min_days, max_days) {
        (0, 0) => "Arrives today".to_owned(),
        (1, 1) => "Arrives in 1 working day".to_owned(),
        (a, b) if a == b => format!("Arrives in {a} working days"),
        (a, b) => format!("Arrives in {a}–{b} working days"),
    }
}

#[cfg(feature = "server")]
use server::{lock, record};

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, SubjectKind};
    use crate::admin::Staff;
    use crate::Error;
    use sqlx::PgConnection;

    /// Locks row `id` of a settings table and checks it is still at `version`.
    pub(super) async fn lock(
        conn: &mut PgConnection,
        thing: Thing,
        id: i64,
        version: Option<i32>,
    ) -> Result<(), Error> {
        let found = match thing {
            Thing::Zone => {
                sqlx::query_scalar!(
                    "SELECT version FROM shipping_zones WHERE id = $1 FOR UPDATE",
                    id
                )
                .fetch_optional(&mut *conn)
                .await?
            }
            Thing::Rate => {
                sqlx::query_scalar!(
                    "SELECT version FROM shipping_rates WHERE id = $1 FOR UPDATE",
                    id
                )
                .fetch_optional(&mut *conn)
                .await?
            }
            Thing::TaxRate => {
                sqlx::query_scalar!("SELECT version FROM tax_rates WHERE id = $1 FOR UPDATE", id)
                    .fetch_optional(&mut *conn)
                    .await?
            }
        };
        let now = found.ok_or(SettingsError::Gone(thing))?;
        if version.is_some_and(|v| v != now) {
            let (kind, action) = subject(thing);
            let last = audit::last_change(conn, kind, &id.to_string(), &[action]).await?;
            return Err(SettingsError::Stale(thing, last).into());
        }
        Ok(())
    }

    fn subject(thing: Thing) -> (SubjectKind, Action) {
        match thing {
            Thing::Zone => (SubjectKind::ShippingZone, Action::ShippingZone),
            Thing::Rate => (SubjectKind::ShippingRate, Action::ShippingRate),
            Thing::TaxRate => (SubjectKind::TaxRate, Action::TaxRate),
        }
    }

    /// The audit entry of a change to `thing` `id`: `before` and `after` are the whole
    /// row's fields (`None` for a creation or a deletion); only what differs is kept.
    pub(super) async fn record(
        conn: &mut PgConnection,
        staff: &Staff,
        thing: Thing,
        id: i64,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), Error> {
        let (before, after) = match (before, after) {
            (Some(serde_json::Value::Object(was)), Some(serde_json::Value::Object(mut now))) => {
                // Every field of either side: one only `after` has was null before.
                let fields: Vec<_> = was
                    .into_iter()
                    .map(|(field, old)| {
                        let new = now.remove(&field).unwrap_or_default();
                        (field, old, new)
                    })
                    .collect();
                let added = now
                    .into_iter()
                    .map(|(field, new)| (field, serde_json::Value::Null, new));
                let (was, now) = audit::changed(fields.into_iter().chain(added));
                (Some(was.into()), Some(now.into()))
            }
            other => other,
        };
        let (kind, action) = subject(thing);
        let id = id.to_string();
        audit::record(
            conn,
            staff,
            action,
            audit::Subject { kind, id: &id },
            before,
            after,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldErrors;
    use crate::{Currency, Money};
    use rust_decimal::Decimal;

    fn field(errors: &FieldErrors, name: &str) -> Option<String> {
        errors.get(name).map(str::to_owned)
    }

    #[test]
    fn a_zone_keeps_known_countries_in_list_order_each_once() {
        let zone = ZoneDraft::parse("  Benelux ", ["NL", "be", "LU", "NL"]).expect("valid");
        assert_eq!(zone.name, "Benelux");
        assert_eq!(zone.countries, ["BE", "LU", "NL"]);
        let errors = ZoneDraft::parse("", ["XX"]).expect_err("invalid");
        assert!(field(&errors, "name").is_some());
        assert_eq!(
            field(&errors, "countries").as_deref(),
            Some("XX is not a country the shop knows. Tick countries from the list.")
        );
        let errors = ZoneDraft::parse("Nowhere", []).expect_err("no country");
        assert!(
            field(&errors, "countries").is_some_and(|m| m.starts_with("Tick at least one country"))
        );
    }

    #[test]
    fn a_rate_is_read_exactly_and_every_field_says_what_is_wrong() {
        let form = RateForm {
            name: "Courier".into(),
            price: "12.50".into(),
            free_over: "".into(),
            min_days: "1".into(),
            max_days: "2".into(),
            active: None,
        };
        let rate = RateDraft::parse(&form, Currency::EUR).expect("valid");
        assert_eq!(rate.price.typed(), "12.50");
        assert_eq!(rate.free_over, None);
        assert!(!rate.active);
        let bad = RateForm {
            name: " \u{0} ".into(),
            price: "12.505".into(),
            free_over: "-1".into(),
            min_days: "5".into(),
            max_days: "3".into(),
            active: Some("on".into()),
        };
        let errors = RateDraft::parse(&bad, Currency::EUR).expect_err("invalid");
        for name in ["name", "price", "free_over", "max_days"] {
            assert!(field(&errors, name).is_some(), "{name}: {errors:?}");
        }
        assert_eq!(
            field(&errors, "max_days").as_deref(),
            Some("The latest day can't come before the earliest.")
        );
        let far = RateForm {
            min_days: "366".into(),
            ..form
        };
        assert_eq!(
            field(
                &RateDraft::parse(&far, Currency::EUR).expect_err("too far"),
                "min_days"
            )
            .as_deref(),
            Some("Type a whole number of working days from 0 to 365.")
        );
    }

    #[test]
    fn a_tax_rate_names_a_known_region_by_code_or_name() {
        let form = |country: &str, region: &str, rate: &str| TaxForm {
            country: country.into(),
            region: region.into(),
            name: "Sales tax".into(),
            rate: rate.into(),
        };
        let ny = TaxDraft::parse(&form("us", "new york", "8.875")).expect("valid");
        assert_eq!((ny.country.as_str(), ny.region.as_str()), ("US", "NY"));
        assert_eq!(ny.rate.to_string(), "8.875");
        assert_eq!(
            TaxDraft::parse(&form("DE", "", "0"))
                .expect("zero is a rate")
                .rate,
            Decimal::ZERO
        );
        let errors = TaxDraft::parse(&form("DE", "Bavaria", "19")).expect_err("no regions");
        assert_eq!(
            field(&errors, "region").as_deref(),
            Some("Addresses in Germany name no region: leave this empty. Regional rates are for Australia, Canada and United States.")
        );
        let errors = TaxDraft::parse(&form("US", "Calif.", "100")).expect_err("invalid");
        assert!(field(&errors, "region").is_some_and(|m| m.contains("CA or California")));
        assert_eq!(
            field(&errors, "rate").as_deref(),
            Some("A tax rate is less than 100 %.")
        );
        let errors = TaxDraft::parse(&form("ZZ", "", "1.2345")).expect_err("invalid");
        assert_eq!(
            field(&errors, "country").as_deref(),
            Some("Choose a country from the list.")
        );
        assert_eq!(
            field(&errors, "rate").as_deref(),
            Some("Use at most three decimals, such as 8.125.")
        );
    }

    #[test]
    fn a_stored_rate_comes_back_as_its_form() {
        let rate = RateDraft {
            name: "Standard".into(),
            price: Money::parse("4.95", Currency::EUR).expect("amount"),
            free_over: Some(Money::parse("50", Currency::EUR).expect("amount")),
            min_days: 2,
            max_days: 4,
            active: true,
        };
        let again = RateDraft::parse(&rate.form(), Currency::EUR).expect("round trip");
        // Exactly equal: an unchanged save is recognised by this comparison.
        assert_eq!(again, rate);
        assert_eq!(rate.estimate(), "Arrives in 2–4 working days");
        let tax = TaxRateRow {
            id: 1,
            version: 1,
            country: "US".into(),
            region: "CA".into(),
            name: "Sales tax".into(),
            rate: Decimal::new(7250, 3),
        };
        assert_eq!(tax.destination(), "United States · California");
        assert_eq!(tax.form().rate, "7.25");
        assert_eq!(
            TaxDraft::parse(&tax.form()).expect("round trip").rate,
            tax.rate
        );
    }

    #[test]
    fn prices_include_tax_is_one_of_two_choices() {
        assert_eq!(parse_prices_include_tax("included").ok(), Some(true));
        assert_eq!(parse_prices_include_tax("added").ok(), Some(false));
        assert!(parse_prices_include_tax("maybe").is_err());
    }
}
