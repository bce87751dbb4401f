-- The dashboard's figures, kept up to date by the changes that make them, in the same
-- transaction as the change (statement-level triggers: one upsert per statement,
-- however many rows it wrote, so the order generator's bulk inserts stay cheap), rather
-- than counted from orders on every view. Days are UTC. See src/admin/dashboard.rs.

-- Each day's figures are spread over 16 rows ("slots", by the writing connection), summed
-- when read: two payments at once lock the same row only when their connections share
-- a slot, so shoppers and webhooks do not queue on one row per day.
CREATE FUNCTION figures_slot() RETURNS smallint LANGUAGE sql STABLE AS
    $$ SELECT (pg_backend_pid() % 16)::smallint $$;

-- Per day and currency: orders that became paid that day, what payments took that day,
-- refunds settled that day.
CREATE TABLE daily_sales (
    day      date NOT NULL,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    slot     smallint NOT NULL DEFAULT 0,
    orders   integer NOT NULL DEFAULT 0 CHECK (orders >= 0),
    revenue  numeric(16, 2) NOT NULL DEFAULT 0,
    refunds  numeric(16, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency, slot)
);

-- Per day, product and currency: units of orders that became paid that day and their
-- lines' value (before the order's discount). No foreign key: a deleted product keeps
-- its history.
CREATE TABLE daily_product_sales (
    day        date NOT NULL,
    product_id bigint NOT NULL,
    currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    slot       smallint NOT NULL DEFAULT 0,
    units      integer NOT NULL DEFAULT 0 CHECK (units >= 0),
    revenue    numeric(16, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, product_id, currency, slot)
);

-- Money taken: every successful payment, on the day it was recorded (a second payment
-- of an order is money taken too, until it is refunded).
CREATE FUNCTION add_payments(at timestamptz[], currency text[], amount numeric[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO daily_sales AS d (day, currency, slot, revenue)
    SELECT (p.at AT TIME ZONE 'UTC')::date, p.currency, figures_slot(), sum(p.amount)
    FROM unnest(at, currency, amount) AS p (at, currency, amount)
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, currency, slot) DO UPDATE SET revenue = d.revenue + EXCLUDED.revenue;
$$;
CREATE FUNCTION count_payments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM add_payments(array_agg(created_at), array_agg(currency), array_agg(amount))
    FROM new_payments WHERE status = 'succeeded';
    RETURN NULL;
END;
$$;
CREATE TRIGGER payments_count AFTER INSERT ON payments
    REFERENCING NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION count_payments();

-- Orders paid: an order counts, with its lines, on the day it moved from waiting for
-- payment to paid (which happens once: a repeated or second payment moves nothing).
CREATE FUNCTION add_paid_orders(orders bigint[], at timestamptz[]) RETURNS void
LANGUAGE sql AS $$
    WITH paid AS (
        SELECT e.order_id, (e.at AT TIME ZONE 'UTC')::date AS day, o.currency
        FROM unnest(orders, at) AS e (order_id, at) JOIN orders o ON o.id = e.order_id),
    counted AS (
        INSERT INTO daily_sales AS d (day, currency, slot, orders)
        SELECT day, currency, figures_slot(), count(*) FROM paid GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (day, currency, slot) DO UPDATE SET orders = d.orders + EXCLUDED.orders)
    INSERT INTO daily_product_sales AS d (day, product_id, currency, slot, units, revenue)
    SELECT p.day, v.product_id, p.currency, figures_slot(), sum(l.quantity), sum(l.line_total)
    FROM paid p
    JOIN order_lines l ON l.order_id = p.order_id
    JOIN variants v ON v.id = l.variant_id
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, product_id, currency, slot) DO UPDATE
        SET units = d.units + EXCLUDED.units, revenue = d.revenue + EXCLUDED.revenue;
$$;
CREATE FUNCTION count_paid_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM add_paid_orders(array_agg(order_id), array_agg(at))
    FROM new_events WHERE from_status = 'pending_payment' AND to_status = 'paid';
    RETURN NULL;
END;
$$;
CREATE TRIGGER order_events_count AFTER INSERT ON order_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION count_paid_orders();

-- A refund counts on the day it settled as succeeded (once: a replayed report that
-- finds it succeeded already changes nothing); one the provider later reports failed
-- is taken back on that day.
-- (when it settled, currency, amount) of each refund that just succeeded, added to
-- its day.
CREATE FUNCTION count_refunds(settled timestamptz[], currencies text[], amounts numeric[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO daily_sales AS d (day, currency, slot, refunds)
    SELECT (coalesce(r.settled, now()) AT TIME ZONE 'UTC')::date, r.currency, figures_slot(),
           sum(r.amount)
    FROM unnest(settled, currencies, amounts) AS r (settled, currency, amount)
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, currency, slot) DO UPDATE SET refunds = d.refunds + EXCLUDED.refunds;
$$;
CREATE FUNCTION count_new_refunds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM count_refunds(array_agg(settled_at), array_agg(currency), array_agg(amount))
    FROM new_refunds WHERE state = 'succeeded';
    RETURN NULL;
END;
$$;
CREATE FUNCTION count_settled_refunds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM count_refunds(
        array_agg(n.settled_at), array_agg(n.currency),
        array_agg(CASE WHEN n.state = 'succeeded' THEN n.amount ELSE -n.amount END))
    FROM new_refunds n JOIN old_refunds o ON o.id = n.id
    WHERE (n.state = 'succeeded') <> (o.state = 'succeeded');
    RETURN NULL;
END;
$$;
CREATE TRIGGER refunds_count_new AFTER INSERT ON refunds
    REFERENCING NEW TABLE AS new_refunds
    FOR EACH STATEMENT EXECUTE FUNCTION count_new_refunds();
CREATE TRIGGER refunds_count_settled AFTER UPDATE ON refunds
    REFERENCING OLD TABLE AS old_refunds NEW TABLE AS new_refunds
    FOR EACH STATEMENT EXECUTE FUNCTION count_settled_refunds();

-- What the shop did before this migration, by the same functions.
SELECT add_payments(array_agg(created_at), array_agg(currency), array_agg(amount))
FROM payments WHERE status = 'succeeded';
SELECT add_paid_orders(array_agg(order_id), array_agg(at))
FROM order_events WHERE from_status = 'pending_payment' AND to_status = 'paid';
SELECT count_refunds(array_agg(settled_at), array_agg(currency), array_agg(amount))
FROM refunds WHERE state = 'succeeded';

-- Carts started per day (old carts are deleted, so they cannot be counted later).
CREATE TABLE daily_carts (
    day   date NOT NULL,
    slot  smallint NOT NULL DEFAULT 0,
    carts integer NOT NULL DEFAULT 0 CHECK (carts >= 0),
    PRIMARY KEY (day, slot)
);
CREATE FUNCTION count_carts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_carts AS d (day, slot, carts)
    SELECT (created_at AT TIME ZONE 'UTC')::date, figures_slot(), count(*) FROM new_carts
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (day, slot) DO UPDATE SET carts = d.carts + EXCLUDED.carts;
    RETURN NULL;
END;
$$;
CREATE TRIGGER carts_count AFTER INSERT ON carts
    REFERENCING NEW TABLE AS new_carts
    FOR EACH STATEMENT EXECUTE FUNCTION count_carts();
INSERT INTO daily_carts (day, carts)
SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FROM carts GROUP BY 1;
