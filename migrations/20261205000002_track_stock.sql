-- Whether a variant's stock is counted. One that is not (a print made to order, a gift
-- card) is always available: orders take none of its stock and give none back,
-- listings show it in stock, and staff's low-stock and sold-out figures leave it out.
ALTER TABLE variants ADD COLUMN track_stock boolean NOT NULL DEFAULT true;

-- Whether placing the line took its units from stock (its variant was tracked then):
-- only such a line gives them back when its order is cancelled, whatever the variant
-- says by then, and only such lines count as sold when stock is audited.
-- Every line placed before this took its units; a line placed from now on must say.
ALTER TABLE order_lines ADD COLUMN stock_taken boolean NOT NULL DEFAULT true;
ALTER TABLE order_lines ALTER COLUMN stock_taken DROP DEFAULT;

-- How many units of a variant a shopper may have: its stock, or, when its stock is not
-- tracked, as many as anyone buys (the cart's own per-line cap applies). NULL stock
-- (no such variant for sale) stays NULL; a NULL `tracked` counts as tracked. Listings,
-- the cart and the product page ask this; placing an order takes stock only from a
-- tracked variant (`take_stock`).
CREATE FUNCTION units_available(on_hand integer, tracked boolean) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN on_hand IS NULL THEN NULL
                WHEN tracked IS NOT FALSE THEN on_hand
                ELSE 1000000 END;
$$;

-- Listings: a product is in stock when a variant has units, or is not tracked.
CREATE OR REPLACE FUNCTION refresh_product_listing(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    WITH summary AS (
        SELECT p.id,
               min(v.price) AS min_price,
               max(v.price) AS max_price,
               max(v.compare_at_price) AS compare_at,
               coalesce(bool_or(units_available(i.on_hand, v.track_stock) > 0), false) AS in_stock,
               coalesce(
                   (SELECT array_agg(DISTINCT o.name || ':' || val ORDER BY o.name || ':' || val)
                    FROM product_options o
                    JOIN variants ov ON ov.product_id = o.product_id
                    CROSS JOIN LATERAL (SELECT CASE o.position
                                                   WHEN 1 THEN ov.option1
                                                   WHEN 2 THEN ov.option2
                                                   ELSE ov.option3 END) x(val)
                    WHERE o.product_id = p.id AND val IS NOT NULL),
                   '{}') AS facets
        FROM products p
        LEFT JOIN variants v ON v.product_id = p.id
        LEFT JOIN inventory i ON i.variant_id = v.id
        WHERE p.id = ANY (ids)
        GROUP BY p.id
    )
    UPDATE products p
    SET min_price = s.min_price, max_price = s.max_price, compare_at = s.compare_at,
        in_stock = s.in_stock, facets = s.facets
    FROM summary s
    WHERE p.id = s.id
      AND (p.min_price IS DISTINCT FROM s.min_price
           OR p.max_price IS DISTINCT FROM s.max_price
           OR p.compare_at IS DISTINCT FROM s.compare_at
           OR p.in_stock IS DISTINCT FROM s.in_stock
           OR NOT (p.facets @> s.facets AND p.facets <@ s.facets));
$$;

CREATE OR REPLACE FUNCTION listing_refresh_in_stock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    product bigint;
BEGIN
    SELECT product_id INTO product FROM variants WHERE id = NEW.variant_id;
    PERFORM 1 FROM products WHERE id = product FOR UPDATE;
    UPDATE products p SET in_stock = s.in_stock
    FROM (SELECT coalesce(bool_or(units_available(i.on_hand, v.track_stock) > 0), false) AS in_stock
          FROM variants v JOIN inventory i ON i.variant_id = v.id
          WHERE v.product_id = product) s
    WHERE p.id = product AND p.in_stock IS DISTINCT FROM s.in_stock;
    RETURN NULL;
END $$;

-- Staff's figures: units and "low" count tracked variants only.
CREATE OR REPLACE FUNCTION refresh_product_stock(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO product_stock (product_id, units, low)
    SELECT p.id,
           coalesce(sum(i.on_hand) FILTER (WHERE v.track_stock), 0),
           coalesce(bool_or(v.track_stock AND i.on_hand > 0
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
DROP TRIGGER variants_product_stock ON variants;
CREATE TRIGGER variants_product_stock AFTER UPDATE OF low_stock_threshold, track_stock ON variants
    FOR EACH ROW EXECUTE FUNCTION product_stock_enqueue_variant();

-- The inventory page says which variants are not tracked (and lists none of them as
-- low or sold out).
CREATE OR REPLACE VIEW variant_stock AS
    SELECT v.id AS variant_id, p.id AS product_id, p.name AS product_name,
           p.slug AS product_slug, p.status AS product_status, v.sku,
           concat_ws(' / ', v.option1, v.option2, v.option3) AS options,
           i.on_hand, v.low_stock_threshold AS own_threshold, v.track_stock
    FROM inventory i
    JOIN variants v ON v.id = i.variant_id
    JOIN products p ON p.id = v.product_id;
