-- The product editor. An option keeps its values in the order staff gave them, so that
-- a value just added, with no variant yet, is still there for the editor to offer its
-- combinations; the shop reads values from the variants that exist, as before.
ALTER TABLE product_options
    ADD COLUMN option_values text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(option_values) <= 50 AND array_position(option_values, NULL) IS NULL);

-- Fills the options' values of products `ids` (NULL: every product) from their
-- variants, in the variants' order: for catalogs written without the editor (the
-- generator, the demo, the products there were before this migration).
CREATE FUNCTION fill_option_values(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE product_options o SET option_values = vals.option_values
    FROM (
        SELECT product_id, position,
               array_agg(value ORDER BY first_position, first_id) AS option_values
        FROM (
            SELECT v.product_id, p.position,
                   CASE p.position WHEN 1 THEN v.option1 WHEN 2 THEN v.option2 ELSE v.option3 END AS value,
                   min(v.position) AS first_position, min(v.id) AS first_id
            FROM variants v
            JOIN product_options p ON p.product_id = v.product_id
            WHERE ids IS NULL OR v.product_id = ANY (ids)
            GROUP BY 1, 2, 3
        ) per_value
        WHERE value IS NOT NULL
        GROUP BY product_id, position
    ) vals
    WHERE o.product_id = vals.product_id AND o.position = vals.position;
$$;

SELECT fill_option_values(NULL);

-- The editor writes a product's variants in one statement: two variants may swap SKUs
-- or values there, which a uniqueness checked row by row would refuse halfway. These
-- are checked at the end of each statement instead (nothing writes them with
-- ON CONFLICT, which could not use them).
ALTER TABLE variants
    DROP CONSTRAINT variants_sku_key,
    ADD CONSTRAINT variants_sku_key UNIQUE (sku) DEFERRABLE INITIALLY IMMEDIATE,
    DROP CONSTRAINT variants_product_id_option1_option2_option3_key,
    ADD CONSTRAINT variants_product_id_option1_option2_option3_key
        UNIQUE NULLS NOT DISTINCT (product_id, option1, option2, option3)
        DEFERRABLE INITIALLY IMMEDIATE;
