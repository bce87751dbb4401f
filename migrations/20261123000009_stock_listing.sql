-- Selling a unit used to recompute its product's whole listing row (prices, facets)
-- inside the checkout's transaction: 1.8 ms of the 4 ms a checkout spent in the
-- database (pg_stat_statements, bench/checkout). Of those columns only `in_stock`
-- follows from stock, and it can change only when a variant's stock crosses zero, so
-- only that case does any work now.
--
-- The trigger is deferred to commit and locks the product row before it looks: two
-- checkouts selling the last units of two variants of one product at once would
-- otherwise each still see the other's unit and leave the product "in stock" with
-- nothing left. At commit every stock lock is already held, so waiting here for the
-- other checkout's commit cannot close a cycle with them; the second one then sees the
-- first one's sale.
DROP TRIGGER inventory_listing_update ON inventory;

CREATE FUNCTION listing_refresh_in_stock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    product bigint;
BEGIN
    SELECT product_id INTO product FROM variants WHERE id = NEW.variant_id;
    PERFORM 1 FROM products WHERE id = product FOR UPDATE;
    UPDATE products p SET in_stock = s.in_stock
    FROM (SELECT coalesce(bool_or(i.on_hand > 0), false) AS in_stock
          FROM variants v JOIN inventory i ON i.variant_id = v.id
          WHERE v.product_id = product) s
    WHERE p.id = product AND p.in_stock IS DISTINCT FROM s.in_stock;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER inventory_listing_in_stock AFTER UPDATE OF on_hand ON inventory
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN ((OLD.on_hand > 0) IS DISTINCT FROM (NEW.on_hand > 0))
    EXECUTE FUNCTION listing_refresh_in_stock();
