-- Staff adjust stock: each adjustment is a movement saying who made it and why, and a
-- variant is "low" at or below its own threshold, or the shop's when it has none.

-- A staff member's reasons: new stock arrived, the count was wrong, units were damaged,
-- a customer sent units back. 'staff_edit' was the one reason staff had before; it
-- meant a correction.
ALTER TABLE inventory_movements DROP CONSTRAINT inventory_movements_reason_check;
UPDATE inventory_movements SET reason = 'correction' WHERE reason = 'staff_edit';
ALTER TABLE inventory_movements ADD CONSTRAINT inventory_movements_reason_check
    CHECK (reason IN ('initial', 'order', 'cancel', 'restock', 'correction', 'damage', 'return'));
-- Damage and orders only take units away; restocks, returns and cancellations only
-- bring them (`MovementReason::direction`).
ALTER TABLE inventory_movements ADD CONSTRAINT inventory_movements_reason_direction
    CHECK (CASE reason WHEN 'damage' THEN delta < 0
                       WHEN 'order' THEN delta < 0
                       WHEN 'restock' THEN delta > 0
                       WHEN 'return' THEN delta > 0
                       WHEN 'cancel' THEN delta > 0
                       ELSE true END);
-- Who moved it, when a staff member did (orders move stock too). The log outlives its
-- people.
ALTER TABLE inventory_movements
    ADD COLUMN staff_id bigint REFERENCES users (id) ON DELETE SET NULL;

-- A variant's own low-stock threshold; NULL: the shop's (`settings.low_stock_threshold`).
ALTER TABLE variants ADD COLUMN low_stock_threshold integer
    CHECK (low_stock_threshold BETWEEN 0 AND 1000000);
CREATE INDEX variants_low_stock_threshold ON variants (low_stock_threshold)
    WHERE low_stock_threshold IS NOT NULL;

-- The inventory page walks stock from the lowest up, stopping at the highest threshold.
CREATE INDEX inventory_on_hand ON inventory (on_hand, variant_id);

-- A variant's stock with what staff screens show beside it, for the inventory page and
-- a variant's own page (the threshold that applies needs the shop's, a parameter).
CREATE VIEW variant_stock AS
    SELECT v.id AS variant_id, p.id AS product_id, p.name AS product_name,
           p.slug AS product_slug, p.status AS product_status, v.sku,
           concat_ws(' / ', v.option1, v.option2, v.option3) AS options,
           i.on_hand, v.low_stock_threshold AS own_threshold
    FROM inventory i
    JOIN variants v ON v.id = i.variant_id
    JOIN products p ON p.id = v.product_id;
