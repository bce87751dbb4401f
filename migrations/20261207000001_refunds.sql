-- Refunds: money given back for a payment, in full or in part, for chosen units of an
-- order's lines (each put back in stock or not), its shipping, or an amount.
--
-- The ceiling lives here, not only in the code: each payment keeps how much of it is
-- refunded or on its way back (`payments.refunded`), kept by a trigger on `refunds`,
-- and a CHECK refuses more than the payment's amount. Two refunds of one payment update
-- the same row one after the other, so however many run at once, the second to commit
-- sees the first's amount.

ALTER TABLE payments ADD COLUMN refunded numeric(12, 2) NOT NULL DEFAULT 0;
ALTER TABLE payments ADD CONSTRAINT payments_refund_ceiling
    CHECK (refunded >= 0 AND refunded <= amount);

CREATE TABLE refunds (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    payment_id      bigint NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    amount          numeric(12, 2) NOT NULL CHECK (amount > 0),
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Of the amount, what was the order's shipping.
    shipping        numeric(12, 2) NOT NULL DEFAULT 0 CHECK (shipping >= 0 AND shipping <= amount),
    -- requested: sent to the provider, no answer yet (or none could be had: it is sent
    --            again with the same key, so it refunds once);
    -- pending:   the provider took it and will say how it ended;
    -- succeeded: the money is on its way back;
    -- failed:    nothing was refunded (the provider refused, or it failed later).
    state           text NOT NULL DEFAULT 'requested'
                    CHECK (state IN ('requested', 'pending', 'succeeded', 'failed')),
    -- The idempotency key the provider gets with it.
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 16 AND 100),
    -- The provider's id for it, once known.
    reference       text UNIQUE CHECK (length(reference) <= 255),
    -- A paid order cancelled before anything shipped: settling it cancels the order.
    cancels_order   boolean NOT NULL DEFAULT false,
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    failure         text CHECK (length(failure) <= 500),
    -- NULL: made outside the shop (in Stripe's dashboard), learned from a webhook.
    staff_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    settled_at      timestamptz
);
CREATE INDEX refunds_order ON refunds (order_id, id);

CREATE TABLE refund_lines (
    refund_id     bigint NOT NULL REFERENCES refunds (id) ON DELETE CASCADE,
    order_line_id bigint NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    quantity      integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    restock       boolean NOT NULL,
    -- The part of the refund's amount for these units.
    amount        numeric(12, 2) NOT NULL CHECK (amount >= 0),
    -- Of these units, those refunded before they shipped: they will not ship. (The
    -- others came back: a return.)
    unshipped     integer NOT NULL DEFAULT 0,
    CHECK (unshipped BETWEEN 0 AND quantity),
    PRIMARY KEY (refund_id, order_line_id)
);
CREATE INDEX refund_lines_line ON refund_lines (order_line_id);

-- A refund holds its amount on its payment from the moment it is asked for until it
-- fails. Its payment, order, amount and currency never change, and a failed refund
-- stays failed (a new request is a new refund).
CREATE FUNCTION refunds_hold_payment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    held_before numeric := 0;
    held_after  numeric := CASE WHEN NEW.state <> 'failed' THEN NEW.amount ELSE 0 END;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM payments p
                       WHERE p.id = NEW.payment_id AND p.order_id = NEW.order_id
                         AND p.currency = NEW.currency AND p.status = 'succeeded') THEN
            RAISE EXCEPTION 'a refund is of a succeeded payment of its own order, in its currency'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_of_payment';
        END IF;
    ELSE
        IF (NEW.payment_id, NEW.order_id, NEW.amount, NEW.currency, NEW.shipping)
           IS DISTINCT FROM (OLD.payment_id, OLD.order_id, OLD.amount, OLD.currency, OLD.shipping)
           OR (OLD.state = 'failed' AND NEW.state <> 'failed') THEN
            RAISE EXCEPTION 'a refund''s payment and amount never change, and a failed one stays failed'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_fixed';
        END IF;
        held_before := CASE WHEN OLD.state <> 'failed' THEN OLD.amount ELSE 0 END;
    END IF;
    IF held_after <> held_before THEN
        UPDATE payments SET refunded = refunded + held_after - held_before
        WHERE id = NEW.payment_id;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER refunds_hold_payment BEFORE INSERT OR UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION refunds_hold_payment();

-- Never more units refunded than a line has (over refunds that have not failed), and
-- only a line of the refund's own order. The line's row is locked first, so two refunds
-- of one line are counted one after the other.
CREATE FUNCTION refund_lines_within_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ordered integer;
BEGIN
    SELECT l.quantity INTO ordered FROM order_lines l
    JOIN refunds r ON r.order_id = l.order_id AND r.id = NEW.refund_id
    WHERE l.id = NEW.order_line_id FOR UPDATE OF l;
    IF ordered IS NULL OR
       (SELECT sum(rl.quantity) FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
        WHERE rl.order_line_id = NEW.order_line_id AND r.state <> 'failed') > ordered THEN
        RAISE EXCEPTION 'more units refunded than ordered'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refund_lines_within_order';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER refund_lines_within_order AFTER INSERT OR UPDATE ON refund_lines
    FOR EACH ROW EXECUTE FUNCTION refund_lines_within_order();
