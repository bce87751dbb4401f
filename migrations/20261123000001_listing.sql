-- What listings filter, sort and count by, kept on the product row so that a listing
-- reads one table: the price range of its variants, whether any is in stock, and its
-- option values ("Size:M", "Colour:Sage") for facets. Triggers keep these columns
-- equal to what the variants, their stock and the product's options say.

ALTER TABLE products
    ADD COLUMN min_price  numeric(12, 2),
    ADD COLUMN max_price  numeric(12, 2),
    -- The highest compare-at price of any variant.
    ADD COLUMN compare_at numeric(12, 2),
    ADD COLUMN in_stock   boolean NOT NULL DEFAULT false,
    ADD COLUMN facets     text[] NOT NULL DEFAULT '{}';

-- Recomputes the listing columns of the given products, writing only rows that change
-- (an UPDATE also recomputes the search vector, so no-op writes are worth avoiding).
CREATE FUNCTION refresh_product_listing(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    WITH summary AS (
        SELECT p.id,
               min(v.price) AS min_price,
               max(v.price) AS max_price,
               max(v.compare_at_price) AS compare_at,
               coalesce(bool_or(i.on_hand > 0), false) AS in_stock,
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

-- Statement-level triggers, so a bulk insert refreshes each product once. Postgres
-- allows transition tables only on single-event triggers, hence one trigger per event.
-- Variants and options name their product; inventory rows name a variant.
CREATE FUNCTION listing_refresh_new_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_product_listing(ARRAY(SELECT DISTINCT product_id FROM new_rows));
    RETURN NULL;
END $$;
CREATE FUNCTION listing_refresh_old_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_product_listing(ARRAY(SELECT DISTINCT product_id FROM old_rows));
    RETURN NULL;
END $$;
CREATE FUNCTION listing_refresh_new_stock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_product_listing(ARRAY(
        SELECT DISTINCT v.product_id FROM new_rows n JOIN variants v ON v.id = n.variant_id));
    RETURN NULL;
END $$;

CREATE TRIGGER variants_listing_insert AFTER INSERT ON variants
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION listing_refresh_new_rows();
CREATE TRIGGER variants_listing_update AFTER UPDATE ON variants
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION listing_refresh_new_rows();
CREATE TRIGGER variants_listing_delete AFTER DELETE ON variants
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION listing_refresh_old_rows();
CREATE TRIGGER inventory_listing_insert AFTER INSERT ON inventory
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION listing_refresh_new_stock();
CREATE TRIGGER inventory_listing_update AFTER UPDATE ON inventory
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION listing_refresh_new_stock();
-- Renaming an option changes the facet labels of its product.
CREATE TRIGGER options_listing_insert AFTER INSERT ON product_options
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION listing_refresh_new_rows();
CREATE TRIGGER options_listing_update AFTER UPDATE ON product_options
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION listing_refresh_new_rows();
CREATE TRIGGER options_listing_delete AFTER DELETE ON product_options
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION listing_refresh_old_rows();

-- Whatever is already stored.
SELECT refresh_product_listing(ARRAY(SELECT id FROM products));

-- Listing orders, over active products only (every listing filters on status).
CREATE INDEX products_active_category_price ON products (category_id, min_price, id)
    WHERE status = 'active';
CREATE INDEX products_active_price ON products (min_price, id) WHERE status = 'active';
CREATE INDEX products_facets ON products USING gin (facets);
-- Everything a listing counts, so counting a category's products reads this index
-- alone (an index-only scan) rather than the wide product rows.
CREATE INDEX products_listing_counts ON products (category_id)
    INCLUDE (min_price, compare_at, in_stock, facets) WHERE status = 'active';
