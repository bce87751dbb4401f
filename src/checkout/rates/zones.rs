//! Zones (the countries a set of rates ships to) and their rates, as staff set them at
//! `/admin/settings/shipping`. A country ships by one zone at most.

use super::{estimate, MAX_DAYS, MAX_NAME, MAX_PRICE};
use crate::accounts::address::{country_name, in_list_order, COUNTRIES};
use crate::checkout::ShippingOption;
use crate::error::FieldErrors;
use crate::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

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
        !self.rates.iter().any(|r| r.saved.active)
    }
}

/// A way to ship to a zone, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub id: i64,
    pub version: i32,
    pub zone_id: i64,
    pub saved: RateDraft,
}

impl From<Rate> for ShippingOption {
    /// The rate as checkout offers it (whether it is offered at all, `saved.active`, is
    /// the caller's to check).
    fn from(rate: Rate) -> ShippingOption {
        let RateDraft {
            name,
            price,
            free_over,
            min_days,
            max_days,
            ..
        } = rate.saved;
        ShippingOption {
            id: rate.id,
            name,
            price,
            free_over,
            min_days,
            max_days,
        }
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
            .take(COUNTRIES.len() + 1)
            .map(|c| c.trim().to_ascii_uppercase())
            .collect();
        if ticked.len() > COUNTRIES.len() {
            errors.add(
                "countries",
                "More countries than the shop knows were sent: reload the page.",
            );
        } else if let Some(unknown) = ticked.iter().find(|c| country_name(c).is_none()) {
            errors.add(
                "countries",
                format!(
                    "{} is not a country the shop knows. Tick countries from the list.",
                    unknown.chars().take(10).collect::<String>()
                ),
            );
        }
        let countries = in_list_order(&ticked);
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

/// A rate's terms, as checked from its form (or as stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateDraft {
    pub name: String,
    pub price: Money,
    pub free_over: Option<Money>,
    pub min_days: u32,
    pub max_days: u32,
    pub active: bool,
}

impl RateDraft {
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

    /// "Arrives in 2–4 working days".
    pub fn estimate(&self) -> String {
        estimate(self.min_days, self.max_days)
    }
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

    /// A `shipping_rates` row, for staff and for checkout alike.
    pub(crate) struct RateRow {
        pub id: i64,
        pub version: i32,
        pub zone_id: i64,
        pub name: String,
        pub price: Decimal,
        pub free_over: Option<Decimal>,
        pub min_days: i32,
        pub max_days: i32,
        pub active: bool,
    }

    impl RateRow {
        pub(crate) fn into_rate(self, currency: Currency) -> Rate {
            let days = |d: i32| u32::try_from(d).unwrap_or(0);
            Rate {
                id: self.id,
                version: self.version,
                zone_id: self.zone_id,
                saved: RateDraft {
                    name: self.name,
                    price: Money::new(self.price, currency),
                    free_over: self.free_over.map(|f| Money::new(f, currency)),
                    min_days: days(self.min_days),
                    max_days: days(self.max_days),
                    active: self.active,
                },
            }
        }
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
        let mut rates: Vec<Rate> = sqlx::query_as!(
            RateRow,
            "SELECT id, version, zone_id, name, price, free_over, min_days, max_days, active
             FROM shipping_rates ORDER BY price, id"
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| r.into_rate(currency))
        .collect();
        let zoned: Vec<&String> = zones.iter().flat_map(|z| &z.countries).collect();
        let unzoned = COUNTRIES
            .iter()
            .filter(|(code, _)| !zoned.iter().any(|c| c == code))
            .map(|(_, name)| (*name).to_owned())
            .collect();
        let zones = zones
            .into_iter()
            .map(|z| Zone {
                id: z.id,
                version: z.version,
                countries: in_list_order(&z.countries),
                name: z.name,
                rates: rates.extract_if(.., |r| r.zone_id == z.id).collect(),
            })
            .collect();
        Ok(ShippingSettings {
            currency,
            zones,
            unzoned,
        })
    }

    fn zone_json(zone: &ZoneDraft) -> serde_json::Value {
        serde_json::json!({ "name": zone.name, "countries": zone.countries })
    }

    fn rate_json(rate: &RateDraft) -> serde_json::Value {
        serde_json::json!({
            "name": rate.name,
            "price": rate.price.amount(),
            "free_over": rate.free_over.map(|m| m.amount()),
            "min_days": rate.min_days,
            "max_days": rate.max_days,
            "active": rate.active,
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
                let before = load_zone(&mut tx, id).await?;
                if before == *draft {
                    return Ok(id);
                }
                Some(zone_json(&before))
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
        record(
            &mut tx,
            staff,
            Thing::Zone,
            zone,
            before,
            Some(zone_json(draft)),
        )
        .await?;
        tx.commit().await?;
        Ok(zone)
    }

    async fn load_zone(conn: &mut PgConnection, id: i64) -> Result<ZoneDraft, Error> {
        let row = sqlx::query!(
            r#"SELECT z.name,
                      coalesce(array_agg(c.country) FILTER (WHERE c.country IS NOT NULL),
                               '{}') AS "countries!"
               FROM shipping_zones z LEFT JOIN shipping_zone_countries c ON c.zone_id = z.id
               WHERE z.id = $1 GROUP BY z.id"#,
            id
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(SettingsError::Gone(Thing::Zone))?;
        Ok(ZoneDraft {
            name: row.name,
            countries: in_list_order(&row.countries),
        })
    }

    /// Deletes zone `id` with its rates, if still at `version` (as the staff member saw
    /// it): its countries are no longer shipped to until another zone takes them.
    /// Orders keep their shipping. Answers its name.
    pub async fn delete_zone(
        pool: &PgPool,
        staff: &Staff,
        (id, version): (i64, i32),
    ) -> Result<String, Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        lock(&mut tx, Thing::Zone, id, Some(version)).await?;
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

    /// Saves rate `draft`: a new one in zone `zone` (`id` none), or over rate `id` of
    /// that zone, opened at `version`. Answers the rate's id. Needs the settings
    /// permission.
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
        let before = match id {
            Some((id, version)) => {
                lock(&mut tx, Thing::Rate, id, Some(version)).await?;
                // A rate of another zone is gone from this form's point of view.
                let before = Some(load_rate(&mut tx, id, draft.price.currency()).await?)
                    .filter(|r| r.zone_id == zone)
                    .ok_or(SettingsError::Gone(Thing::Rate))?;
                if before.saved == *draft {
                    return Ok(id);
                }
                Some(rate_json(&before.saved))
            }
            None => None,
        };
        let rate = sqlx::query_scalar!(
            r#"WITH saved AS (
                   UPDATE shipping_rates
                   SET name = $3, price = $4, free_over = $5, min_days = $6, max_days = $7,
                       active = $8, version = version + 1
                   WHERE id = $1 AND zone_id = $2 RETURNING id),
               added AS (
                   INSERT INTO shipping_rates
                       (zone_id, name, price, free_over, min_days, max_days, active)
                   SELECT $2, $3, $4, $5, $6, $7, $8 WHERE $1::bigint IS NULL RETURNING id)
               SELECT id AS "id!" FROM saved UNION ALL SELECT id FROM added"#,
            id.map(|(id, _)| id),
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
        let mut after = rate_json(draft);
        if before.is_none() {
            after["zone"] = serde_json::json!(zone);
        }
        record(&mut tx, staff, Thing::Rate, rate, before, Some(after)).await?;
        tx.commit().await?;
        Ok(rate)
    }

    async fn load_rate(
        conn: &mut PgConnection,
        id: i64,
        currency: Currency,
    ) -> Result<Rate, Error> {
        Ok(sqlx::query_as!(
            RateRow,
            "SELECT id, version, zone_id, name, price, free_over, min_days, max_days, active
             FROM shipping_rates WHERE id = $1",
            id
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(SettingsError::Gone(Thing::Rate))?
        .into_rate(currency))
    }

    /// Deletes rate `id`, if still at `version` (as the staff member saw it): checkouts
    /// that chose it are asked to choose again; orders keep their shipping. Answers its
    /// name.
    pub async fn delete_rate(
        pool: &PgPool,
        staff: &Staff,
        (id, version): (i64, i32),
        currency: Currency,
    ) -> Result<String, Error> {
        staff.require(Permission::Settings)?;
        let mut tx = pool.begin().await?;
        lock(&mut tx, Thing::Rate, id, Some(version)).await?;
        let was = load_rate(&mut tx, id, currency).await?.saved;
        sqlx::query!("DELETE FROM shipping_rates WHERE id = $1", id)
            .execute(&mut *tx)
            .await?;
        record(&mut tx, staff, Thing::Rate, id, Some(rate_json(&was)), None).await?;
        tx.commit().await?;
        Ok(was.name)
    }
}
