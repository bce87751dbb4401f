//! What checkout reads of the shop's shipping and tax settings (staff set them through
//! [`super::rates`]): the rates to a destination, its tax, and whether prices include
//! tax. Read afresh for every quote.

use super::rates::RateRow;
use super::{CheckoutError, ShippingOption};
use crate::{Currency, Error};
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// The `settings` key of whether catalog prices include tax.
pub(crate) const PRICES_INCLUDE_TAX: &str = "prices_include_tax";

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

/// The ways to ship to `country`, cheapest first; empty when the shop does not ship there.
pub async fn options_for(
    conn: &mut PgConnection,
    country: &str,
    currency: Currency,
) -> Result<Vec<ShippingOption>, Error> {
    let rows = sqlx::query_as!(
        RateRow,
        "SELECT r.id, r.version, r.zone_id, r.name, r.price, r.free_over, r.min_days,
                r.max_days, r.active
         FROM shipping_rates r JOIN shipping_zone_countries c ON c.zone_id = r.zone_id
         WHERE r.active AND c.country = $1
         ORDER BY r.price, r.id",
        country,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_rate(currency).into())
        .collect())
}

/// The rate `id`, if it ships to `country`; otherwise
/// [`CheckoutError::RateNotForCountry`] (a made-up id, a rate switched off since, an
/// address changed to another country).
pub async fn choose(
    conn: &mut PgConnection,
    id: i64,
    country: &str,
    currency: Currency,
) -> Result<ShippingOption, Error> {
    options_for(conn, country, currency)
        .await?
        .into_iter()
        .find(|option| option.id == id)
        .ok_or_else(|| CheckoutError::RateNotForCountry.into())
}

/// A tax that applies at a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRate {
    pub name: String,
    /// Percent.
    pub rate: Decimal,
}

/// The tax at a destination: the region's rate where it has one, else the country's;
/// none (0 %) where the shop has no rate.
pub async fn tax_rate(
    conn: &mut PgConnection,
    country: &str,
    region: &str,
) -> Result<Option<TaxRate>, Error> {
    Ok(sqlx::query_as!(
        TaxRate,
        "SELECT name, rate FROM tax_rates
         WHERE country = $1 AND (region = '' OR upper(region) = upper($2))
         ORDER BY region DESC LIMIT 1",
        country,
        region.trim(),
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// Zones, rates and taxes for the demo shop (the README lists them).
pub const DEMO: &str = "
    INSERT INTO shipping_zones (name) VALUES
      ('European Union'), ('United Kingdom, Switzerland and Norway'), ('North America'),
      ('Australia and Japan')
    ON CONFLICT (name) DO NOTHING;
    INSERT INTO shipping_zone_countries (country, zone_id)
    SELECT c, z.id
    FROM (VALUES
      ('European Union', ARRAY['AT','BE','CZ','DE','DK','ES','FI','FR','IE','IT','LU','NL','PL','PT','SE']),
      ('United Kingdom, Switzerland and Norway', ARRAY['GB','CH','NO']),
      ('North America', ARRAY['US','CA']),
      ('Australia and Japan', ARRAY['AU','JP'])
    ) AS d(zone, countries)
    JOIN shipping_zones z ON z.name = d.zone, unnest(d.countries) AS c
    ON CONFLICT (country) DO NOTHING;
    INSERT INTO shipping_rates (zone_id, name, price, free_over, min_days, max_days)
    SELECT z.id, r.name, r.price, r.free_over, r.min_days, r.max_days
    FROM (VALUES
      ('European Union', 'Standard', 4.95, 50.00, 2, 4),
      ('European Union', 'Express', 12.90, NULL, 1, 1),
      ('United Kingdom, Switzerland and Norway', 'Standard', 9.90, 120.00, 3, 6),
      ('North America', 'International', 19.90, NULL, 5, 10),
      ('Australia and Japan', 'International', 24.90, NULL, 7, 14)
    ) AS r(zone, name, price, free_over, min_days, max_days)
    JOIN shipping_zones z ON z.name = r.zone
    WHERE NOT EXISTS (SELECT 1 FROM shipping_rates);
    INSERT INTO tax_rates (country, region, name, rate) VALUES
      ('AT', '', 'VAT', 20), ('BE', '', 'VAT', 21), ('CZ', '', 'VAT', 21),
      ('DE', '', 'VAT', 19), ('DK', '', 'VAT', 25), ('ES', '', 'VAT', 21),
      ('FI', '', 'VAT', 25.5), ('FR', '', 'VAT', 20), ('IE', '', 'VAT', 23),
      ('IT', '', 'VAT', 22), ('LU', '', 'VAT', 17), ('NL', '', 'VAT', 21),
      ('PL', '', 'VAT', 23), ('PT', '', 'VAT', 23), ('SE', '', 'VAT', 25),
      ('GB', '', 'VAT', 20), ('CH', '', 'VAT', 8.1), ('NO', '', 'VAT', 25),
      ('CA', '', 'GST', 5), ('CA', 'ON', 'HST', 13),
      ('US', 'CA', 'Sales tax', 7.25), ('US', 'NY', 'Sales tax', 4),
      ('AU', '', 'GST', 10), ('JP', '', 'Consumption tax', 10)
    ON CONFLICT (country, region) DO NOTHING";
