-- The staff's product list: search by name or SKU, filter by status, category and stock
-- state, sort by name, price, stock or last update, a keyset page at a time, on a
-- catalog of 100,000 products.

-- Every edit of a product bumps its version: a save based on an older one is refused.
ALTER TABLE products ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version > 0);

-- Each product's units on hand and whether a variant is at or below its low-stock
-- threshold, for sorting and filtering the list. Kept apart from `products`: it is
-- refreshed from a queue a moment after stock changes (see below), and nothing else
-- locks these rows, so the refresh never waits for a checkout nor a checkout for it.
CREATE TABLE product_stock (
    product_id bigint PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    units      bigint NOT NULL,
    -- A variant in stock at or below its threshold (the variant's own, or the shop's).
    low        boolean NOT NULL
);
CREATE INDEX product_stock_units ON product_stock (units, product_id);

-- Products whose stock changed since the last refresh. Written by a trigger on every
-- stock change: an insert takes no lock another transaction waits for, so checkouts
-- selling the same product never queue behind each other here.
CREATE UNLOGGED TABLE product_stock_queue (
    product_id bigint NOT NULL
);

CREATE FUNCTION refresh_product_stock(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO product_stock (product_id, units, low)
    SELECT p.id,
           coalesce(sum(i.on_hand), 0),
           coalesce(bool_or(i.on_hand > 0 AND i.on_hand <= coalesce(
               v.low_stock_threshold,
               (SELECT value::integer FROM settings WHERE key = 'low_stock_threshold'),
               5)), false)
    FROM products p
    LEFT JOIN variants v ON v.product_id = p.id
    LEFT JOIN inventory i ON i.variant_id = v.id
    WHERE ids IS NULL OR p.id = ANY (ids)
    GROUP BY p.id
    ON CONFLICT (product_id) DO UPDATE
        SET units = EXCLUDED.units, low = EXCLUDED.low
        WHERE (product_stock.units, product_stock.low)
              IS DISTINCT FROM (EXCLUDED.units, EXCLUDED.low);
$$;

-- Takes the queue (only what committed) and refreshes those products.
CREATE FUNCTION refresh_queued_product_stock() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    WITH taken AS (DELETE FROM product_stock_queue RETURNING product_id)
    SELECT array_agg(DISTINCT product_id) INTO ids FROM taken;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM refresh_product_stock(ids);
    RETURN cardinality(ids);
END $$;

CREATE FUNCTION product_stock_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO product_stock_queue (product_id)
    SELECT product_id FROM variants WHERE id = NEW.variant_id;
    RETURN NULL;
END $$;
CREATE TRIGGER inventory_product_stock AFTER INSERT OR UPDATE OF on_hand ON inventory
    FOR EACH ROW EXECUTE FUNCTION product_stock_enqueue();

-- A threshold's change changes what is low.
CREATE FUNCTION product_stock_enqueue_variant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO product_stock_queue (product_id) VALUES (NEW.product_id);
    RETURN NULL;
END $$;
CREATE TRIGGER variants_product_stock AFTER UPDATE OF low_stock_threshold ON variants
    FOR EACH ROW EXECUTE FUNCTION product_stock_enqueue_variant();

-- The shop's threshold is a whole number (the refresh reads it as one).
ALTER TABLE settings ADD CONSTRAINT settings_low_stock_threshold
    CHECK (key <> 'low_stock_threshold' OR value ~ '^[0-9]{1,7}$');

SELECT refresh_product_stock(NULL);

-- The list's sorts, each with the id as the tie-break of its keyset.
CREATE INDEX products_name_id ON products (name, id);
-- A product without variants has no price: it sorts first.
CREATE INDEX products_price_id ON products ((coalesce(min_price, -1)), id);
CREATE INDEX products_updated_id ON products (updated_at, id);
-- SKU search by prefix, whatever the database's collation.
CREATE INDEX variants_sku_prefix ON variants (sku text_pattern_ops);
