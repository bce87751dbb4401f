-- Staff set where the shop ships, at what price, and the tax of each destination
-- (/admin/settings/shipping, /admin/settings/tax), and whether catalog prices include
-- tax. Orders keep their own snapshots (shipping, shipping_method, tax, tax_included),
-- so a change reaches checkouts priced after it only.

-- A country is in one zone at most, so that staff see in one place what a country is
-- offered. (A country that was in two zones was offered the rates of both; it stays in
-- the older zone, and the newer one's rates no longer reach it.)
CREATE TABLE shipping_zone_countries (
    country text PRIMARY KEY CHECK (country ~ '^[A-Z]{2}$'),
    zone_id bigint NOT NULL REFERENCES shipping_zones (id) ON DELETE CASCADE
);
CREATE INDEX shipping_zone_countries_zone ON shipping_zone_countries (zone_id);
INSERT INTO shipping_zone_countries (country, zone_id)
SELECT DISTINCT ON (c) c, z.id
FROM shipping_zones z, unnest(z.countries) AS c
WHERE c ~ '^[A-Z]{2}$'
ORDER BY c, z.id;
ALTER TABLE shipping_zones DROP COLUMN countries;

-- A stale save (someone changed the row after the form was opened) is refused.
ALTER TABLE shipping_zones ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE shipping_rates ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE tax_rates ADD COLUMN version integer NOT NULL DEFAULT 1;

-- Two rates of a zone with one name could not be told apart at checkout.
UPDATE shipping_rates r SET name = left(r.name, 80) || ' (' || r.id || ')'
WHERE EXISTS (SELECT 1 FROM shipping_rates o
              WHERE o.zone_id = r.zone_id AND o.name = r.name AND o.id < r.id);
ALTER TABLE shipping_rates ADD CONSTRAINT shipping_rates_zone_name UNIQUE (zone_id, name);
UPDATE shipping_rates SET min_days = least(min_days, 365), max_days = least(max_days, 365)
WHERE max_days > 365;
ALTER TABLE shipping_rates ADD CONSTRAINT shipping_rates_days CHECK (max_days <= 365);

-- Deleting a rate clears it from the orders that used it (their method's name stays).
CREATE INDEX orders_shipping_rate ON orders (shipping_rate_id) WHERE shipping_rate_id IS NOT NULL;

-- Absent: prices include tax (the shop's default). The server seeds it once from
-- MERCATO_PRICES_INCLUDE_TAX when that is set, for shops configured before this.
ALTER TABLE settings ADD CONSTRAINT settings_prices_include_tax
    CHECK (key <> 'prices_include_tax' OR value IN ('true', 'false'));
