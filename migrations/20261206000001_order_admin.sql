-- The orders back office: where an order's money and its parcels stand, apart from its
-- status (a shipped order that is then partly refunded is both), what staff search it
-- by, the indexes its list walks, and staff-only notes.

-- Where the money stands: unpaid, paid, partially refunded, refunded, or void (the
-- order was cancelled before anyone paid).
ALTER TABLE orders ADD COLUMN payment_state text NOT NULL DEFAULT 'unpaid'
    CHECK (payment_state IN ('unpaid', 'paid', 'partially_refunded', 'refunded', 'void'));
-- Where the parcels stand.
ALTER TABLE orders ADD COLUMN fulfilment_state text NOT NULL DEFAULT 'unfulfilled'
    CHECK (fulfilment_state IN ('unfulfilled', 'partially_shipped', 'shipped', 'delivered'));

-- Orders placed before this: from their status and their history.
UPDATE orders o SET
    payment_state = CASE
        WHEN o.status = 'pending_payment' THEN 'unpaid'
        WHEN o.status IN ('refunded', 'partially_refunded') THEN o.status
        WHEN o.status = 'cancelled' THEN CASE
            WHEN EXISTS (SELECT FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded')
            THEN 'paid' ELSE 'void' END
        ELSE 'paid' END,
    fulfilment_state = CASE
        WHEN EXISTS (SELECT FROM order_events e WHERE e.order_id = o.id AND e.to_status = 'delivered')
            THEN 'delivered'
        WHEN EXISTS (SELECT FROM order_events e WHERE e.order_id = o.id AND e.to_status = 'fulfilled')
            THEN 'shipped'
        ELSE 'unfulfilled' END;

-- Whom the order is for, as staff read and search it: the name on its shipping
-- address (and, when it differs, its billing address).
ALTER TABLE orders ADD COLUMN customer_name text
    GENERATED ALWAYS AS (coalesce(shipping_address ->> 'name', '')) STORED;
ALTER TABLE orders ADD COLUMN name_words tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', coalesce(shipping_address ->> 'name', '') || ' '
                          || coalesce(billing_address ->> 'name', ''))) STORED;
CREATE INDEX orders_name_words ON orders USING gin (name_words);
-- Search by email: the whole address, or its start.
CREATE INDEX orders_email ON orders (lower(email) text_pattern_ops);

-- The staff list's keyset walks, newest first by default, optionally narrowed to one
-- status, payment state or fulfilment state, or ordered by total.
CREATE INDEX orders_placed ON orders (placed_at, id);
CREATE INDEX orders_status_placed ON orders (status, placed_at, id);
CREATE INDEX orders_payment_placed ON orders (payment_state, placed_at, id);
CREATE INDEX orders_fulfilment_placed ON orders (fulfilment_state, placed_at, id);
CREATE INDEX orders_total ON orders (total, id);

-- What staff note about an order for each other (a customer's call, a parcel's
-- trouble). The customer never sees these. Append-only: a note is corrected by another.
CREATE TABLE order_notes (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id  bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    staff_id  bigint REFERENCES users (id) ON DELETE SET NULL,
    -- Kept when the account is deleted.
    staff_email text NOT NULL,
    body      text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_notes_order ON order_notes (order_id, id);
