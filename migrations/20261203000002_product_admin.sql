-- The staff's product list: search by name or SKU, filter by status, category and stock
-- state, sort by name, price, stock or last update, a keyset page at a time, on a
-- catalog of 100,000 products.

-- Every edit of a product bumps its version: a save based on an older one is refused.
ALTER TABLE products ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version > 0);

-- Each product's units on hand and whether a variant is at or below its low-stock
-- threshold, for sorting and filtering the list. Kept apart from `products`: it is
-- refreshed from a queue a moment after stock changes (see below), and only that
-- refresh writes these rows, so it never waits for a checkout nor a checkout for it.
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
-- A NULL asks for every product (the shop's threshold changed).
CREATE TABLE product_stock_queue (
    product_id bigint
);

-- The shop's low-stock threshold: a variant without its own is low at or below it.
-- The one place its default is written.
CREATE FUNCTION shop_low_stock_threshold() RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT value::integer FROM settings WHERE key = 'low_stock_threshold'), 5);
$$;

CREATE FUNCTION refresh_product_stock(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO product_stock (product_id, units, low)
    SELECT p.id,
           coalesce(sum(i.on_hand), 0),
           coalesce(bool_or(i.on_hand > 0
                            AND i.on_hand <= coalesce(v.low_stock_threshold, shop)), false)
    FROM shop_low_stock_threshold() AS shop, products p
    LEFT JOIN variants v ON v.product_id = p.id
    LEFT JOIN inventory i ON i.variant_id = v.id
    WHERE ids IS NULL OR p.id = ANY (ids)
    GROUP BY p.id
    ON CONFLICT (product_id) DO UPDATE
        SET units = EXCLUDED.units, low = EXCLUDED.low
        WHERE (product_stock.units, product_stock.low)
              IS DISTINCT FROM (EXCLUDED.units, EXCLUDED.low);
$$;

-- Takes up to 10,000 entries of the queue (only what committed) and refreshes those
-- products, or all of them when one entry asks for all; gives how many entries it
-- took (the worker comes back at once while there are more).
CREATE FUNCTION refresh_queued_product_stock() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    taken_n integer;
    everything boolean;
    ids bigint[];
BEGIN
    WITH taken AS (
        DELETE FROM product_stock_queue
        WHERE ctid IN (SELECT ctid FROM product_stock_queue LIMIT 10000)
        RETURNING product_id
    )
    SELECT count(*), coalesce(bool_or(product_id IS NULL), false),
           array_agg(DISTINCT product_id) FILTER (WHERE product_id IS NOT NULL)
    INTO taken_n, everything, ids FROM taken;
    IF everything THEN
        PERFORM refresh_product_stock(NULL);
    ELSIF ids IS NOT NULL THEN
        PERFORM refresh_product_stock(ids);
    END IF;
    RETURN taken_n;
END $$;

CREATE FUNCTION product_stock_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO product_stock_queue (product_id)
    SELECT product_id FROM variants WHERE id = NEW.variant_id;
    RETURN NULL;
END $$;
CREATE TRIGGER inventory_product_stock_new AFTER INSERT ON inventory
    FOR EACH ROW EXECUTE FUNCTION product_stock_enqueue();
CREATE TRIGGER inventory_product_stock AFTER UPDATE OF on_hand ON inventory
    FOR EACH ROW WHEN (OLD.on_hand IS DISTINCT FROM NEW.on_hand)
    EXECUTE FUNCTION product_stock_enqueue();

-- A new product gets its figures (none, until it has stock), and a variant removed
-- takes its units with it.
CREATE FUNCTION product_stock_enqueue_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'products' THEN
        INSERT INTO product_stock_queue (product_id) VALUES (NEW.id);
    ELSE
        INSERT INTO product_stock_queue (product_id) VALUES (OLD.product_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER products_product_stock AFTER INSERT ON products
    FOR EACH ROW EXECUTE FUNCTION product_stock_enqueue_product();
CREATE TRIGGER variants_deleted_product_stock AFTER DELETE ON variants
    FOR EACH ROW EXECUTE FUNCTION product_stock_enqueue_product();

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
    CHECK (key <> 'low_stock_threshold'
           OR (value ~ '^[0-9]{1,7}$' AND value::integer <= 1000000));

SELECT refresh_product_stock(NULL);

-- The list's sorts, each with the id as the tie-break of its keyset.
CREATE INDEX products_name_id ON products (name, id);
-- A product without variants has no price: it sorts first.
CREATE INDEX products_price_id ON products ((coalesce(min_price, -1)), id);
CREATE INDEX products_updated_id ON products (updated_at, id);
-- SKU search by prefix, whatever the database's collation.
CREATE INDEX variants_sku_prefix ON variants (sku text_pattern_ops);
-- Within a category, the same sorts: a category's first page is read from its own
-- products, however few and wherever they fall in the whole catalog's order.
CREATE INDEX products_category_name ON products (category_id, name, id);
CREATE INDEX products_category_price ON products (category_id, (coalesce(min_price, -1)), id);
CREATE INDEX products_category_updated ON products (category_id, updated_at, id);
-- Drafts and archived products are few: a filter by either reads them from here.
CREATE INDEX products_status ON products (status);
