//! Tax by destination, and whether catalog prices include it, as staff set them at
//! `/admin/settings/tax`. A region's rate, where it has one, is charged instead of its
//! country's.

use super::MAX_TAX_NAME;
use crate::accounts::address::{country_name, COUNTRIES};
use crate::accounts::regions;
use crate::error::FieldErrors;
use crate::money::PercentError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

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
    use super::super::{lock, record, SettingsError, Thing};
    use super::*;
    use crate::admin::{Permission, Staff};
    use crate::db::constraint::OnConstraint;
    use crate::Error;
    use sqlx::{PgConnection, PgPool};

    use crate::checkout::shipping::{prices_include_tax, PRICES_INCLUDE_TAX};

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
        let current = prices_include_tax(&mut tx).await?;
        // Stored even when unchanged (it may have been the default until now): a
        // start-up variable no longer fills it in.
        crate::shop::set_setting(
            &mut tx,
            staff,
            PRICES_INCLUDE_TAX,
            &current.to_string(),
            &included.to_string(),
            |v| serde_json::json!(v == "true"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
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
        let before = match id {
            Some((id, version)) => {
                lock(&mut tx, Thing::TaxRate, id, Some(version)).await?;
                // (A stored 19.000 % equals a typed 19.)
                let before = load_tax_rate(&mut tx, id).await?;
                if before == *draft {
                    return Ok(id);
                }
                Some(tax_json(&before))
            }
            None => None,
        };
        // The row `id` names, or a new one.
        let rate = sqlx::query_scalar!(
            r#"WITH saved AS (
                   UPDATE tax_rates SET country = $2, region = $3, name = $4, rate = $5,
                                        version = version + 1
                   WHERE id = $1 RETURNING id),
               added AS (
                   INSERT INTO tax_rates (country, region, name, rate)
                   SELECT $2, $3, $4, $5 WHERE $1::bigint IS NULL RETURNING id)
               SELECT id AS "id!" FROM saved UNION ALL SELECT id FROM added"#,
            id.map(|(id, _)| id),
            draft.country,
            draft.region,
            draft.name,
            draft.rate,
        )
        .fetch_one(&mut *tx)
        .await
        .on_constraint("tax_rates_country_region_key", destination_taken(draft))?;
        record(
            &mut tx,
            staff,
            Thing::TaxRate,
            rate,
            before,
            Some(tax_json(draft)),
        )
        .await?;
        tx.commit().await?;
        Ok(rate)
    }

    async fn load_tax_rate(conn: &mut PgConnection, id: i64) -> Result<TaxDraft, Error> {
        Ok(sqlx::query_as!(
            TaxDraft,
            "SELECT country, region, name, rate FROM tax_rates WHERE id = $1",
            id
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(SettingsError::Gone(Thing::TaxRate))?)
    }

    /// Deletes tax rate `id`, if still at `version`: its destination is taxed by the
    /// country's rate (for a region), or not at all. Orders keep their tax. Answers where
    /// it applied.
    pub async fn delete_tax_rate(
        pool: &PgPool,
        staff: &Staff,
        (id, version): (i64, i32),
    ) -> Result<String, Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        lock(&mut tx, Thing::TaxRate, id, Some(version)).await?;
        let was = load_tax_rate(&mut tx, id).await?;
        sqlx::query!("DELETE FROM tax_rates WHERE id = $1", id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            staff,
            Thing::TaxRate,
            id,
            Some(tax_json(&was)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(was.destination())
    }
}
