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

use crate::accounts::address::{country_name, COUNTRIES};
use crate::accounts::regions;
use crate::admin::audit::LastChange;
use crate::error::FieldErrors;
use crate::money::PercentError;
use crate::{Currency, Money};
use rust_decimal::Decimal;
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
    let who = match change {
        Some(c) => format!("{} changed this {} at {} UTC", c.by, thing.name(), c.at),
        None => format!("Someone else changed this {}", thing.name()),
    };
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

/// A zone: the countries one set of rates ships to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub id: i64,
    pub version: i32,
    pub name: String,
    /// Country codes, in [`COUNTRIES`]' order.
    pub countries: Vec<String>,
    /// Cheapest first.
    pub rates: Vec<Rate>,
}

impl Zone {
    /// True when no rate of it is offered: its countries can't check out.
    pub fn ships_nowhere(&self) -> bool {
        !self.rates.iter().any(|r| r.active)
    }
}

/// A way to ship to a zone, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub id: i64,
    pub version: i32,
    pub zone_id: i64,
    pub name: String,
    pub price: Money,
    /// Free when the discounted subtotal reaches this.
    pub free_over: Option<Money>,
    pub min_days: u32,
    pub max_days: u32,
    /// Offered at checkout.
    pub active: bool,
}

impl Rate {
    /// The rate as its form shows it.
    pub fn form(&self) -> RateForm {
        RateForm {
            name: self.name.clone(),
            price: self.price.typed(),
            free_over: self.free_over.map(|m| m.typed()).unwrap_or_default(),
            min_days: self.min_days.to_string(),
            max_days: self.max_days.to_string(),
            active: self.active.then(|| "on".to_owned()),
        }
    }

    pub fn estimate(&self) -> String {
        estimate(self.min_days, self.max_days)
    }
}

/// The shipping page: zones with their rates, and the countries no zone has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingSettings {
    pub currency: Currency,
    pub zones: Vec<Zone>,
    /// Known countries no zone ships to: an address there gets no delivery option.
    pub unzoned: Vec<String>,
}

/// A zone as checked from its form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneDraft {
    pub name: String,
    /// Known country codes, in [`COUNTRIES`]' order, each once.
    pub countries: Vec<String>,
}

impl ZoneDraft {
    /// From the form: its name and the codes of the countries ticked.
    pub fn parse<'a>(
        name: &str,
        countries: impl IntoIterator<Item = &'a str>,
    ) -> Result<ZoneDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = crate::text::line(name, MAX_NAME).unwrap_or_else(|| {
            errors.add(
                "name",
                format!("Name the zone (up to {MAX_NAME} characters), such as European Union."),
            );
            String::new()
        });
        let ticked: Vec<String> = countries
            .into_iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .collect();
        if let Some(unknown) = ticked.iter().find(|c| country_name(c).is_none()) {
            errors.add(
                "countries",
                format!(
                    "{} is not a country the shop knows. Tick countries from the list.",
                    unknown.chars().take(10).collect::<String>()
                ),
            );
        }
        let countries: Vec<String> = COUNTRIES
            .iter()
            .filter(|(code, _)| ticked.iter().any(|t| t == code))
            .map(|(code, _)| (*code).to_owned())
            .collect();
        if countries.is_empty() && errors.get("countries").is_none() {
            errors.add(
                "countries",
                "Tick at least one country. To stop shipping to all of a zone's countries, delete the zone.",
            );
        }
        errors.into_result(ZoneDraft { name, countries })
    }
}

/// A rate's form as sent: every field text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub free_over: String,
    #[serde(default)]
    pub min_days: String,
    #[serde(default)]
    pub max_days: String,
    /// The "offered at checkout" box: present when ticked.
    #[serde(default)]
    pub active: Option<String>,
}

impl RateForm {
    /// A new rate's form: offered, 2–4 days.
    pub fn new_rate() -> RateForm {
        RateForm {
            min_days: "2".to_owned(),
            max_days: "4".to_owned(),
            active: Some("on".to_owned()),
            ..RateForm::default()
        }
    }
}

/// A rate as checked from its form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateDraft {
    pub name: String,
    pub price: Money,
    pub free_over: Option<Money>,
    pub min_days: u32,
    pub max_days: u32,
    pub active: bool,
}

fn parse_days(typed: &str) -> Result<u32, String> {
    typed
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|d| *d <= MAX_DAYS)
        .ok_or_else(|| format!("Type a whole number of working days from 0 to {MAX_DAYS}."))
}

impl RateDraft {
    /// From the form; amounts in `currency`. Every field's problem is named at once.
    pub fn parse(form: &RateForm, currency: Currency) -> Result<RateDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = crate::text::line(&form.name, MAX_NAME).unwrap_or_else(|| {
            errors.add(
                "name",
                format!("Name the rate as shoppers will read it (up to {MAX_NAME} characters), such as Standard."),
            );
            String::new()
        });
        let mut amount = |field: &str, typed: &str| match Money::parse_typed(typed, currency) {
            Ok(m) if m.amount() > Decimal::from(MAX_PRICE) => {
                errors.add(
                    field,
                    format!(
                        "At most {}.",
                        Money::new(Decimal::from(MAX_PRICE), currency)
                    ),
                );
                None
            }
            Ok(m) => Some(m),
            Err(e) => {
                errors.add(field, e.to_string());
                None
            }
        };
        let price = amount("price", &form.price);
        let free_over = if form.free_over.trim().is_empty() {
            None
        } else {
            amount("free_over", &form.free_over)
        };
        let min_days = parse_days(&form.min_days)
            .map_err(|e| errors.add("min_days", e))
            .ok();
        let max_days = parse_days(&form.max_days)
            .map_err(|e| errors.add("max_days", e))
            .ok();
        if let (Some(min), Some(max)) = (min_days, max_days) {
            if max < min {
                errors.add("max_days", "The latest day can't come before the earliest.");
            }
        }
        match (price, min_days, max_days) {
            (Some(price), Some(min_days), Some(max_days)) => errors.into_result(RateDraft {
                name,
                price,
                free_over,
                min_days,
                max_days,
                active: form.active.is_some(),
            }),
            _ => Err(errors),
        }
    }
}

/// The tax page: whether prices include tax, and the rates by destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSettings {
    pub prices_include_tax: bool,
    /// By country's name, the country-wide rate before its regions'.
    pub rates: Vec<TaxRateRow>,
}

/// A tax rate as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRateRow {
    pub id: i64,
    pub version: i32,
    pub country: String,
    /// The region's code; empty for the whole country.
    pub region: String,
    pub name: String,
    /// Percent.
    pub rate: Decimal,
}

/// "Germany", or "United States · California".
fn destination(country: &str, region: &str) -> String {
    let name = country_name(country).unwrap_or(country);
    if region.is_empty() {
        return name.to_owned();
    }
    let region = regions::regions(country)
        .and_then(|list| list.iter().find(|(code, _)| *code == region))
        .map_or(region, |(_, name)| *name);
    format!("{name} · {region}")
}

impl TaxRateRow {
    /// "Germany", or "United States · California".
    pub fn destination(&self) -> String {
        destination(&self.country, &self.region)
    }

    pub fn form(&self) -> TaxForm {
        TaxForm {
            country: self.country.clone(),
            region: self.region.clone(),
            name: self.name.clone(),
            rate: self.rate.normalize().to_string(),
        }
    }
}

/// A tax rate's form as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxForm {
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub rate: String,
}

/// A tax rate as checked from its form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxDraft {
    pub country: String,
    /// A region code of the country, or empty for all of it.
    pub region: String,
    pub name: String,
    pub rate: Decimal,
}

/// The countries whose addresses name a region (and so may have regional rates), in
/// words: "Australia, Canada and United States".
pub fn countries_with_regions() -> String {
    let names: Vec<&str> = COUNTRIES
        .iter()
        .filter(|(code, _)| regions::regions(code).is_some())
        .map(|(_, name)| *name)
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => String::new(),
    }
}

impl TaxDraft {
    /// "Germany", or "United States · California".
    pub fn destination(&self) -> String {
        destination(&self.country, &self.region)
    }

    pub fn parse(form: &TaxForm) -> Result<TaxDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let country = form.country.trim().to_ascii_uppercase();
        let known = country_name(&country).is_some();
        if !known {
            errors.add("country", "Choose a country from the list.");
        }
        let typed_region = form.region.trim();
        let region = if typed_region.is_empty() || !known {
            String::new()
        } else if regions::regions(&country).is_none() {
            errors.add(
                "region",
                format!(
                    "Addresses in {} name no region: leave this empty. Regional rates are for {}.",
                    country_name(&country).unwrap_or("that country"),
                    countries_with_regions()
                ),
            );
            String::new()
        } else {
            match regions::region_code(&country, typed_region) {
                Some(code) => code.to_owned(),
                None => {
                    errors.add(
                        "region",
                        format!(
                            "Type a region of {} by its code or name (such as {}), or leave it empty for the whole country.",
                            country_name(&country).unwrap_or("that country"),
                            regions::example(&country)
                        ),
                    );
                    String::new()
                }
            }
        };
        let name = crate::text::line(&form.name, MAX_TAX_NAME).unwrap_or_else(|| {
            errors.add(
                "name",
                format!("Name the tax as receipts show it (up to {MAX_TAX_NAME} characters), such as VAT."),
            );
            String::new()
        });
        let rate = match crate::money::parse_percent(&form.rate, 3) {
            Err(PercentError::Empty) => Err("Type the rate in percent, such as 21 or 7.25."),
            Err(PercentError::Malformed) => Err("Type a number such as 21 or 7.25."),
            Err(PercentError::TooPrecise) => Err("Use at most three decimals, such as 8.125."),
            Ok(r) if r >= Decimal::ONE_HUNDRED => Err("A tax rate is less than 100 %."),
            Ok(r) => Ok(r),
        }
        .map_err(|e| errors.add("rate", e))
        .ok();
        match rate {
            Some(rate) => errors.into_result(TaxDraft {
                country,
                region,
                name,
                rate,
            }),
            None => Err(errors),
        }
    }
}

/// Whether catalog prices include tax, from the tax page's choice (`included` or
/// `added`).
pub fn parse_prices_include_tax(choice: &str) -> Result<bool, crate::Error> {
    match choice.trim() {
        "included" => Ok(true),
        "added" => Ok(false),
        _ => Err(crate::Error::field(
            "prices_include_tax",
            "Choose whether your prices include tax.",
        )),
    }
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::db::constraint::OnConstraint;
    use crate::Error;
    use sqlx::{PgConnection, PgPool};

    const PRICES_INCLUDE_TAX: &str = "prices_include_tax";

    /// Whether catalog prices include tax (the shop's default when never set).
    pub async fn prices_include_tax(conn: &mut PgConnection) -> Result<bool, Error> {
        let value = sqlx::query_scalar!(
            "SELECT value FROM settings WHERE key = $1",
            PRICES_INCLUDE_TAX
        )
        .fetch_optional(&mut *conn)
        .await?;
        Ok(value.as_deref() != Some("false"))
    }

    /// At start-up, with `MERCATO_PRICES_INCLUDE_TAX` set: stores it as the setting if
    /// the shop has none yet (a shop configured before staff could set it). Answers what
    /// the setting is now; staff's choice, once made, is never overwritten.
    pub async fn seed_prices_include_tax(pool: &PgPool, value: bool) -> Result<bool, Error> {
        sqlx::query!(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            PRICES_INCLUDE_TAX,
            value.to_string(),
        )
        .execute(pool)
        .await?;
        prices_include_tax(&mut *pool.acquire().await?).await
    }

    /// Sets whether catalog prices include tax, for checkouts priced from now on.
    pub async fn set_prices_include_tax(
        pool: &PgPool,
        staff: &Staff,
        included: bool,
    ) -> Result<(), Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        // Locked, so two changes at once each audit a true "before".
        sqlx::query!(
            "INSERT INTO settings (key, value) VALUES ($1, 'true') ON CONFLICT (key) DO NOTHING",
            PRICES_INCLUDE_TAX
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "SELECT key FROM settings WHERE key = $1 FOR UPDATE",
            PRICES_INCLUDE_TAX
        )
        .fetch_one(&mut *tx)
        .await?;
        let before = prices_include_tax(&mut tx).await?;
        if before == included {
            // Stored as chosen (it may have been the default until now): a start-up
            // variable no longer fills it in.
            tx.commit().await?;
            return Ok(());
        }
        sqlx::query!(
            "UPDATE settings SET value = $2, updated_at = now() WHERE key = $1",
            PRICES_INCLUDE_TAX,
            included.to_string(),
        )
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            staff,
            Action::Setting,
            audit::Subject {
                kind: SubjectKind::Setting,
                id: PRICES_INCLUDE_TAX,
            },
            Some(serde_json::json!({ "included": before })),
            Some(serde_json::json!({ "included": included })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Zones with their rates, by name. Needs the settings permission.
    pub async fn shipping(
        pool: &PgPool,
        staff: &Staff,
        currency: Currency,
    ) -> Result<ShippingSettings, Error> {
        staff.require(Permission::Settings)?;
        let mut conn = pool.acquire().await?;
        let zones = sqlx::query!(
            r#"SELECT z.id, z.version, z.name,
                      coalesce(array_agg(c.country) FILTER (WHERE c.country IS NOT NULL),
                               '{}') AS "countries!"
               FROM shipping_zones z
               LEFT JOIN shipping_zone_countries c ON c.zone_id = z.id
               GROUP BY z.id ORDER BY z.name, z.id"#
        )
        .fetch_all(&mut *conn)
        .await?;
        let rates = sqlx::query!(
            "SELECT id, version, zone_id, name, price, free_over, min_days, max_days, active
             FROM shipping_rates ORDER BY price, id"
        )
        .fetch_all(&mut *conn)
        .await?;
        let days = |d: i32| u32::try_from(d).unwrap_or(0);
        let mut zoned = Vec::new();
        let zones = zones
            .into_iter()
            .map(|z| {
                zoned.extend(z.countries.iter().cloned());
                Zone {
                    id: z.id,
                    version: z.version,
                    countries: COUNTRIES
                        .iter()
                        .filter(|(code, _)| z.countries.iter().any(|c| c == code))
                        .map(|(code, _)| (*code).to_owned())
                        .collect(),
                    name: z.name,
                    rates: rates
                        .iter()
                        .filter(|r| r.zone_id == z.id)
                        .map(|r| Rate {
                            id: r.id,
                            version: r.version,
                            zone_id: r.zone_id,
                            name: r.name.clone(),
                            price: Money::new(r.price, currency),
                            free_over: r.free_over.map(|f| Money::new(f, currency)),
                            min_days: days(r.min_days),
                            max_days: days(r.max_days),
                            active: r.active,
                        })
                        .collect(),
                }
            })
            .collect();
        let unzoned = COUNTRIES
            .iter()
            .filter(|(code, _)| !zoned.iter().any(|c| c == code))
            .map(|(_, name)| (*name).to_owned())
            .collect();
        Ok(ShippingSettings {
            currency,
            zones,
            unzoned,
        })
    }

    /// Locks row `id` of a settings table and checks it is still at `version`.
    async fn lock(
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
    async fn record(
        conn: &mut PgConnection,
        staff: &Staff,
        thing: Thing,
        id: i64,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), Error> {
        let (before, after) = match (before, after) {
            (Some(serde_json::Value::Object(was)), Some(serde_json::Value::Object(now))) => {
                let (was, now) = audit::changed(was.into_iter().filter_map(|(field, old)| {
                    let new = now.get(&field)?.clone();
                    // The audit's fields are named by the code; these are the forms'.
                    let field: &'static str = FIELDS.iter().find(|f| **f == field)?;
                    Some((field, old, new))
                }));
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

    /// Every field an audited settings row has.
    const FIELDS: &[&str] = &[
        "name",
        "countries",
        "price",
        "free_over",
        "min_days",
        "max_days",
        "active",
        "zone",
        "country",
        "region",
        "rate",
    ];

    fn zone_json(draft: &ZoneDraft) -> serde_json::Value {
        serde_json::json!({ "name": draft.name, "countries": draft.countries })
    }

    fn rate_json(draft: &RateDraft) -> serde_json::Value {
        serde_json::json!({
            "name": draft.name,
            "price": draft.price.amount(),
            "free_over": draft.free_over.map(|m| m.amount()),
            "min_days": draft.min_days,
            "max_days": draft.max_days,
            "active": draft.active,
        })
    }

    fn tax_json(draft: &TaxDraft) -> serde_json::Value {
        serde_json::json!({
            "country": draft.country,
            "region": draft.region,
            "name": draft.name,
            // As typed (`19`), not at the column's scale (`19.000`): an unchanged save
            // compares equal.
            "rate": draft.rate.normalize(),
        })
    }

    fn zone_name_taken() -> Error {
        Error::field("name", "Another zone has this name: choose another.")
    }

    /// Saves zone `draft`: a new one (`id` none), or over zone `id` opened at `version`.
    /// A country already in another zone is refused, named with its zone. Answers the
    /// zone's id. Needs the settings permission.
    pub async fn save_zone(
        pool: &PgPool,
        staff: &Staff,
        id: Option<(i64, i32)>,
        draft: &ZoneDraft,
    ) -> Result<i64, Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        let before = match id {
            Some((id, version)) => {
                lock(&mut tx, Thing::Zone, id, Some(version)).await?;
                Some(zone_json(&load_zone(&mut tx, id).await?))
            }
            None => None,
        };
        let elsewhere = sqlx::query!(
            "SELECT c.country, z.name FROM shipping_zone_countries c
             JOIN shipping_zones z ON z.id = c.zone_id
             WHERE c.country = ANY($1) AND c.zone_id IS DISTINCT FROM $2
             ORDER BY c.country",
            &draft.countries,
            id.map(|(id, _)| id),
        )
        .fetch_all(&mut *tx)
        .await?;
        if !elsewhere.is_empty() {
            let mut named: Vec<String> = elsewhere
                .iter()
                .map(|r| {
                    format!(
                        "{} is in “{}”",
                        country_name(&r.country).unwrap_or(&r.country),
                        r.name
                    )
                })
                .collect();
            named.sort();
            return Err(Error::field(
                "countries",
                format!(
                    "{}. A country ships by one zone: take it out of that zone first.",
                    named.join("; ")
                ),
            ));
        }
        let after = zone_json(draft);
        if before.as_ref() == Some(&after) {
            return id
                .map(|(id, _)| id)
                .ok_or_else(|| Error::internal("no zone"));
        }
        let zone = match id {
            Some((id, _)) => {
                sqlx::query!(
                    "UPDATE shipping_zones SET name = $2, version = version + 1 WHERE id = $1",
                    id,
                    draft.name
                )
                .execute(&mut *tx)
                .await
                .on_constraint("shipping_zones_name_key", zone_name_taken)?;
                id
            }
            None => sqlx::query_scalar!(
                "INSERT INTO shipping_zones (name) VALUES ($1) RETURNING id",
                draft.name
            )
            .fetch_one(&mut *tx)
            .await
            .on_constraint("shipping_zones_name_key", zone_name_taken)?,
        };
        sqlx::query!(
            "DELETE FROM shipping_zone_countries WHERE zone_id = $1 AND country <> ALL($2)",
            zone,
            &draft.countries
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO shipping_zone_countries (country, zone_id)
             SELECT c, $1 FROM unnest($2::text[]) AS c
             ON CONFLICT (country) DO NOTHING",
            zone,
            &draft.countries
        )
        .execute(&mut *tx)
        .await?;
        // A country another zone took meanwhile (after the check above) stays there.
        let taken = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM shipping_zone_countries
               WHERE zone_id = $1 AND country = ANY($2)"#,
            zone,
            &draft.countries
        )
        .fetch_one(&mut *tx)
        .await?;
        if usize::try_from(taken).ok() != Some(draft.countries.len()) {
            return Err(Error::field(
                "countries",
                "Someone just put one of these countries in another zone. Reload the page to see where, then try again.",
            ));
        }
        record(&mut tx, staff, Thing::Zone, zone, before, Some(after)).await?;
        tx.commit().await?;
        Ok(zone)
    }

    async fn load_zone(conn: &mut PgConnection, id: i64) -> Result<ZoneDraft, Error> {
        let row = sqlx::query!(
            r#"SELECT z.name,
                      coalesce(array_agg(c.country ORDER BY c.country)
                               FILTER (WHERE c.country IS NOT NULL), '{}') AS "countries!"
               FROM shipping_zones z LEFT JOIN shipping_zone_countries c ON c.zone_id = z.id
               WHERE z.id = $1 GROUP BY z.id"#,
            id
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(SettingsError::Gone(Thing::Zone))?;
        Ok(ZoneDraft {
            name: row.name,
            countries: COUNTRIES
                .iter()
                .filter(|(code, _)| row.countries.iter().any(|c| c == code))
                .map(|(code, _)| (*code).to_owned())
                .collect(),
        })
    }

    /// Deletes zone `id` with its rates: its countries are no longer shipped to until
    /// another zone takes them. Orders keep their shipping. Answers its name.
    pub async fn delete_zone(pool: &PgPool, staff: &Staff, id: i64) -> Result<String, Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        lock(&mut tx, Thing::Zone, id, None).await?;
        let was = load_zone(&mut tx, id).await?;
        sqlx::query!("DELETE FROM shipping_zones WHERE id = $1", id)
            .execute(&mut *tx)
            .await?;
        record(&mut tx, staff, Thing::Zone, id, Some(zone_json(&was)), None).await?;
        tx.commit().await?;
        Ok(was.name)
    }

    fn rate_name_taken() -> Error {
        Error::field(
            "name",
            "This zone has a rate with this name: choose another.",
        )
    }

    /// Saves rate `draft`: a new one in zone `zone` (`id` none), or over rate `id`
    /// opened at `version`. Answers the rate's id. Needs the settings permission.
    pub async fn save_rate(
        pool: &PgPool,
        staff: &Staff,
        zone: i64,
        id: Option<(i64, i32)>,
        draft: &RateDraft,
    ) -> Result<i64, Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        // The zone stays while its rate is written (a deletion waits).
        sqlx::query_scalar!(
            "SELECT id FROM shipping_zones WHERE id = $1 FOR SHARE",
            zone
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(SettingsError::Gone(Thing::Zone))?;
        let after = rate_json(draft);
        let (rate, before) = match id {
            Some((id, version)) => {
                lock(&mut tx, Thing::Rate, id, Some(version)).await?;
                let before = load_rate(&mut tx, id, zone, draft.price.currency()).await?;
                if before == after {
                    return Ok(id);
                }
                sqlx::query!(
                    "UPDATE shipping_rates
                     SET name = $3, price = $4, free_over = $5, min_days = $6, max_days = $7,
                         active = $8, version = version + 1
                     WHERE id = $1 AND zone_id = $2",
                    id,
                    zone,
                    draft.name,
                    draft.price.amount(),
                    draft.free_over.map(|m| m.amount()),
                    i32::try_from(draft.min_days).unwrap_or(0),
                    i32::try_from(draft.max_days).unwrap_or(0),
                    draft.active,
                )
                .execute(&mut *tx)
                .await
                .on_constraint("shipping_rates_zone_name", rate_name_taken)?;
                (id, Some(before))
            }
            None => {
                let id = sqlx::query_scalar!(
                    "INSERT INTO shipping_rates
                         (zone_id, name, price, free_over, min_days, max_days, active)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    zone,
                    draft.name,
                    draft.price.amount(),
                    draft.free_over.map(|m| m.amount()),
                    i32::try_from(draft.min_days).unwrap_or(0),
                    i32::try_from(draft.max_days).unwrap_or(0),
                    draft.active,
                )
                .fetch_one(&mut *tx)
                .await
                .on_constraint("shipping_rates_zone_name", rate_name_taken)?;
                (id, None)
            }
        };
        let after = match before {
            Some(_) => after,
            None => {
                let mut after = after;
                after["zone"] = serde_json::json!(zone);
                after
            }
        };
        record(&mut tx, staff, Thing::Rate, rate, before, Some(after)).await?;
        tx.commit().await?;
        Ok(rate)
    }

    /// Rate `id` of `zone`, as its audit entry records it.
    async fn load_rate(
        conn: &mut PgConnection,
        id: i64,
        zone: i64,
        currency: Currency,
    ) -> Result<serde_json::Value, Error> {
        let r = sqlx::query!(
            "SELECT name, price, free_over, min_days, max_days, active
             FROM shipping_rates WHERE id = $1 AND zone_id = $2",
            id,
            zone
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(SettingsError::Gone(Thing::Rate))?;
        Ok(rate_json(&RateDraft {
            name: r.name,
            price: Money::new(r.price, currency),
            free_over: r.free_over.map(|f| Money::new(f, currency)),
            min_days: u32::try_from(r.min_days).unwrap_or(0),
            max_days: u32::try_from(r.max_days).unwrap_or(0),
            active: r.active,
        }))
    }

    /// Deletes rate `id`: checkouts that chose it are asked to choose again; orders keep
    /// their shipping. Answers its name.
    pub async fn delete_rate(
        pool: &PgPool,
        staff: &Staff,
        id: i64,
        currency: Currency,
    ) -> Result<String, Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        lock(&mut tx, Thing::Rate, id, None).await?;
        let zone = sqlx::query_scalar!("SELECT zone_id FROM shipping_rates WHERE id = $1", id)
            .fetch_one(&mut *tx)
            .await?;
        let was = load_rate(&mut tx, id, zone, currency).await?;
        sqlx::query!("DELETE FROM shipping_rates WHERE id = $1", id)
            .execute(&mut *tx)
            .await?;
        let name = was["name"].as_str().unwrap_or_default().to_owned();
        record(&mut tx, staff, Thing::Rate, id, Some(was), None).await?;
        tx.commit().await?;
        Ok(name)
    }

    /// Whether prices include tax, and every tax rate. Needs the settings permission.
    pub async fn tax(pool: &PgPool, staff: &Staff) -> Result<TaxSettings, Error> {
        staff.require(Permission::Settings)?;
        let mut conn = pool.acquire().await?;
        let mut rates = sqlx::query_as!(
            TaxRateRow,
            "SELECT id, version, country, region, name, rate FROM tax_rates"
        )
        .fetch_all(&mut *conn)
        .await?;
        rates.sort_by_cached_key(|r| {
            (
                country_name(&r.country).unwrap_or(&r.country).to_owned(),
                !r.region.is_empty(),
                r.destination(),
            )
        });
        Ok(TaxSettings {
            prices_include_tax: prices_include_tax(&mut conn).await?,
            rates,
        })
    }

    fn destination_taken(draft: &TaxDraft) -> impl FnOnce() -> Error + '_ {
        move || {
            let (field, whose) = if draft.region.is_empty() {
                ("country", "This country has a country-wide rate already")
            } else {
                ("region", "This region has a rate already")
            };
            Error::field(field, format!("{whose}: change that one instead."))
        }
    }

    /// Saves tax rate `draft`: a new one (`id` none), or over rate `id` opened at
    /// `version`. Answers its id. Needs the settings permission.
    pub async fn save_tax_rate(
        pool: &PgPool,
        staff: &Staff,
        id: Option<(i64, i32)>,
        draft: &TaxDraft,
    ) -> Result<i64, Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        let after = tax_json(draft);
        let (rate, before) = match id {
            Some((id, version)) => {
                lock(&mut tx, Thing::TaxRate, id, Some(version)).await?;
                let before = load_tax_rate(&mut tx, id).await?;
                if before == after {
                    return Ok(id);
                }
                sqlx::query!(
                    "UPDATE tax_rates SET country = $2, region = $3, name = $4, rate = $5,
                                          version = version + 1
                     WHERE id = $1",
                    id,
                    draft.country,
                    draft.region,
                    draft.name,
                    draft.rate,
                )
                .execute(&mut *tx)
                .await
                .on_constraint("tax_rates_country_region_key", destination_taken(draft))?;
                (id, Some(before))
            }
            None => {
                let id = sqlx::query_scalar!(
                    "INSERT INTO tax_rates (country, region, name, rate)
                     VALUES ($1, $2, $3, $4) RETURNING id",
                    draft.country,
                    draft.region,
                    draft.name,
                    draft.rate,
                )
                .fetch_one(&mut *tx)
                .await
                .on_constraint("tax_rates_country_region_key", destination_taken(draft))?;
                (id, None)
            }
        };
        record(&mut tx, staff, Thing::TaxRate, rate, before, Some(after)).await?;
        tx.commit().await?;
        Ok(rate)
    }

    async fn load_tax_rate(conn: &mut PgConnection, id: i64) -> Result<serde_json::Value, Error> {
        let r = sqlx::query!(
            "SELECT country, region, name, rate FROM tax_rates WHERE id = $1",
            id
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(SettingsError::Gone(Thing::TaxRate))?;
        Ok(tax_json(&TaxDraft {
            country: r.country,
            region: r.region,
            name: r.name,
            rate: r.rate,
        }))
    }

    /// Deletes tax rate `id`: its destination is taxed by the country's rate (for a
    /// region), or not at all. Orders keep their tax. Answers where it applied.
    pub async fn delete_tax_rate(pool: &PgPool, staff: &Staff, id: i64) -> Result<String, Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        lock(&mut tx, Thing::TaxRate, id, None).await?;
        let was = load_tax_rate(&mut tx, id).await?;
        let row = sqlx::query_as!(
            TaxRateRow,
            "DELETE FROM tax_rates WHERE id = $1
             RETURNING id, version, country, region, name, rate",
            id
        )
        .fetch_one(&mut *tx)
        .await?;
        record(&mut tx, staff, Thing::TaxRate, id, Some(was), None).await?;
        tx.commit().await?;
        Ok(row.destination())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let rate = Rate {
            id: 1,
            version: 1,
            zone_id: 1,
            name: "Standard".into(),
            price: Money::parse("4.95", Currency::EUR).expect("amount"),
            free_over: Some(Money::parse("50", Currency::EUR).expect("amount")),
            min_days: 2,
            max_days: 4,
            active: true,
        };
        let again = RateDraft::parse(&rate.form(), Currency::EUR).expect("round trip");
        assert_eq!(again.price, rate.price);
        assert_eq!(again.free_over, rate.free_over);
        assert!(again.active);
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
