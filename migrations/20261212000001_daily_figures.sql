-- The dashboard's figures, kept up to date by the changes that make them, in their own
-- transaction (statement-level triggers: one upsert per statement, however many rows
-- it wrote, so the order generator's bulk inserts cost what a checkout's does), rather
-- than counted from orders on every view: a view sums at most 180 days' rows, however
-- many orders the shop has. Days are UTC.

-- Per day and currency: orders paid that day, what they paid, refunds settled that day.
CREATE TABLE daily_sales (
    day      date NOT NULL,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    orders   integer NOT NULL DEFAULT 0 CHECK (orders >= 0),
    revenue  numeric(16, 2) NOT NULL DEFAULT 0,
    refunds  numeric(16, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency)
);

-- Per day, product and currency: units of orders paid that day and their lines' value
-- (before the order's discount). No foreign key: a deleted product keeps its history.
CREATE TABLE daily_product_sales (
    day        date NOT NULL,
    product_id bigint NOT NULL,
    currency   text NOT NULL,
    units      integer NOT NULL DEFAULT 0,
    revenue    numeric(16, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, product_id, currency)
);

-- A payment that succeeded pays its order on the day it was recorded.
CREATE FUNCTION count_payments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_sales AS d (day, currency, orders, revenue)
    SELECT (created_at AT TIME ZONE 'UTC')::date, currency, count(DISTINCT order_id), sum(amount)
    FROM new_payments WHERE status = 'succeeded'
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, currency) DO UPDATE
        SET orders = d.orders + EXCLUDED.orders, revenue = d.revenue + EXCLUDED.revenue;
    INSERT INTO daily_product_sales AS d (day, product_id, currency, units, revenue)
    SELECT (p.created_at AT TIME ZONE 'UTC')::date, v.product_id, p.currency,
           sum(l.quantity), sum(l.line_total)
    FROM new_payments p
    JOIN order_lines l ON l.order_id = p.order_id
    JOIN variants v ON v.id = l.variant_id
    WHERE p.status = 'succeeded'
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, product_id, currency) DO UPDATE
        SET units = d.units + EXCLUDED.units, revenue = d.revenue + EXCLUDED.revenue;
    RETURN NULL;
END;
$$;
CREATE TRIGGER payments_count AFTER INSERT ON payments
    REFERENCING NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION count_payments();

-- A refund counts on the day it settled as succeeded (once: a replayed report that
-- finds it succeeded already changes nothing).
-- (settled_at, currency, amount) of each refund that just succeeded, added to its day.
CREATE FUNCTION count_refunds(settled_at timestamptz[], currency text[], amount numeric[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO daily_sales AS d (day, currency, refunds)
    SELECT (coalesce(r.settled_at, now()) AT TIME ZONE 'UTC')::date, r.currency, sum(r.amount)
    FROM unnest(settled_at, currency, amount) AS r (settled_at, currency, amount)
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, currency) DO UPDATE SET refunds = d.refunds + EXCLUDED.refunds;
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
    PERFORM count_refunds(array_agg(n.settled_at), array_agg(n.currency), array_agg(n.amount))
    FROM new_refunds n JOIN old_refunds o ON o.id = n.id
    WHERE n.state = 'succeeded' AND o.state <> 'succeeded';
    RETURN NULL;
END;
$$;
CREATE TRIGGER refunds_count_new AFTER INSERT ON refunds
    REFERENCING NEW TABLE AS new_refunds
    FOR EACH STATEMENT EXECUTE FUNCTION count_new_refunds();
CREATE TRIGGER refunds_count_settled AFTER UPDATE ON refunds
    REFERENCING OLD TABLE AS old_refunds NEW TABLE AS new_refunds
    FOR EACH STATEMENT EXECUTE FUNCTION count_settled_refunds();

-- What the shop did before this migration.
INSERT INTO daily_sales (day, currency, orders, revenue)
SELECT (created_at AT TIME ZONE 'UTC')::date, currency, count(DISTINCT order_id), sum(amount)
FROM payments WHERE status = 'succeeded' GROUP BY 1, 2;
SELECT count_refunds(array_agg(settled_at), array_agg(currency), array_agg(amount))
FROM refunds WHERE state = 'succeeded';
INSERT INTO daily_product_sales (day, product_id, currency, units, revenue)
SELECT (p.created_at AT TIME ZONE 'UTC')::date, v.product_id, p.currency,
       sum(l.quantity), sum(l.line_total)
FROM payments p
JOIN order_lines l ON l.order_id = p.order_id
JOIN variants v ON v.id = l.variant_id
WHERE p.status = 'succeeded'
GROUP BY 1, 2, 3;

-- Carts started per day (old carts are deleted, so they cannot be counted later). The
-- day's row is locked by a first add to cart until its short transaction ends.
CREATE TABLE daily_carts (
    day   date PRIMARY KEY,
    carts integer NOT NULL DEFAULT 0 CHECK (carts >= 0)
);
CREATE FUNCTION count_carts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_carts AS d (day, carts)
    SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FROM new_carts
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (day) DO UPDATE SET carts = d.carts + EXCLUDED.carts;
    RETURN NULL;
END;
$$;
CREATE TRIGGER carts_count AFTER INSERT ON carts
    REFERENCING NEW TABLE AS new_carts
    FOR EACH STATEMENT EXECUTE FUNCTION count_carts();
INSERT INTO daily_carts (day, carts)
SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FROM carts GROUP BY 1;
