-- Fulfilment: the carriers the shop ships with (each with how a tracking number becomes
-- a link), and shipments: which units of which lines left in which parcel.

CREATE TABLE carriers (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 60),
    -- An https address with {tracking} where the number goes; NULL: no link.
    tracking_url text CHECK (tracking_url IS NULL OR (
        tracking_url ~ '^https://[^\s<>"]+$' AND strpos(tracking_url, '{tracking}') > 0
        AND length(tracking_url) <= 300)),
    active       boolean NOT NULL DEFAULT true,
    position     integer NOT NULL DEFAULT 0
);
INSERT INTO carriers (name, tracking_url, position) VALUES
    ('PostNL', 'https://jouw.postnl.nl/track-and-trace/{tracking}', 1),
    ('DHL', 'https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?tracking-id={tracking}', 2),
    ('DPD', 'https://tracking.dpd.de/status/en_US/parcel/{tracking}', 3),
    ('UPS', 'https://www.ups.com/track?tracknum={tracking}', 4),
    ('Another carrier', NULL, 99);

CREATE TABLE shipments (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    -- Snapshots: the carrier's name and the tracking link as they were when it left.
    carrier         text NOT NULL CHECK (length(carrier) BETWEEN 1 AND 60),
    tracking_number text NOT NULL DEFAULT '' CHECK (length(tracking_number) <= 64),
    tracking_url    text,
    staff_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    shipped_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX shipments_order ON shipments (order_id, id);

CREATE TABLE shipment_lines (
    shipment_id   bigint NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    order_line_id bigint NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    quantity      integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    PRIMARY KEY (shipment_id, order_line_id)
);
CREATE INDEX shipment_lines_line ON shipment_lines (order_line_id);

-- A line ships only with its own order, and never more units than it has. The line's
-- row is locked first, so two shipments of one line are counted one after the other,
-- never side by side.
CREATE FUNCTION shipment_lines_within_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ordered integer;
BEGIN
    SELECT l.quantity INTO ordered FROM order_lines l
    JOIN shipments s ON s.order_id = l.order_id AND s.id = NEW.shipment_id
    WHERE l.id = NEW.order_line_id FOR UPDATE OF l;
    IF ordered IS NULL OR
       (SELECT sum(quantity) FROM shipment_lines WHERE order_line_id = NEW.order_line_id)
       > ordered THEN
        RAISE EXCEPTION 'more units shipped than ordered'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'shipment_lines_within_order';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER shipment_lines_within_order AFTER INSERT OR UPDATE ON shipment_lines
    FOR EACH ROW EXECUTE FUNCTION shipment_lines_within_order();
