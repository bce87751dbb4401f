-- Returns: a customer asks to send back chosen units of a delivered order, within the
-- shop's return window; staff approve or reject the request, mark the parcel received
-- (putting units back in stock or not), and refund it through the refund path (a
-- refund that names its return).

CREATE TABLE returns (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    -- requested: the customer asked; approved: staff said "send it back";
    -- rejected:  staff said no (the answer says why); received: the parcel came back;
    -- refunded:  its refund succeeded.
    state        text NOT NULL DEFAULT 'requested'
                 CHECK (state IN ('requested', 'approved', 'rejected', 'received', 'refunded')),
    -- The customer's words.
    reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    -- Staff's words to the customer when approving or rejecting.
    answer       text CHECK (length(answer) <= 500),
    -- The request form's own key: a form sent twice asks once.
    request_key  text NOT NULL UNIQUE CHECK (length(request_key) BETWEEN 16 AND 100),
    created_at   timestamptz NOT NULL DEFAULT now(),
    answered_at  timestamptz,
    answered_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    received_at  timestamptz,
    received_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    refunded_at  timestamptz,
    CHECK ((state = 'requested') = (answered_at IS NULL)),
    CHECK ((state IN ('received', 'refunded')) = (received_at IS NOT NULL)),
    CHECK ((state = 'refunded') = (refunded_at IS NOT NULL)),
    CHECK (state <> 'rejected' OR length(answer) > 0)
);
CREATE INDEX returns_order ON returns (order_id, id);
-- The staff list: the newest first, by state, and those waiting for staff.
CREATE INDEX returns_state ON returns (state, id DESC);
CREATE INDEX returns_open ON returns (id DESC) WHERE state IN ('requested', 'approved', 'received');

CREATE TABLE return_lines (
    return_id     bigint NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    order_line_id bigint NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    quantity      integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    -- Of these units, those put back in stock when the parcel came back.
    restocked     integer NOT NULL DEFAULT 0,
    CHECK (restocked BETWEEN 0 AND quantity),
    PRIMARY KEY (return_id, order_line_id)
);
CREATE INDEX return_lines_line ON return_lines (order_line_id);

-- Never more units asked back than a line has (over all its returns, rejected ones
-- too: what staff rejected is not asked back again), and only a line of the return's
-- own order. (That the units were delivered and not refunded is the code's rule.) The line's row is locked first, so two requests for one
-- line are counted one after the other.
CREATE FUNCTION return_lines_within_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ordered integer;
BEGIN
    SELECT l.quantity INTO ordered FROM order_lines l
    JOIN returns r ON r.order_id = l.order_id AND r.id = NEW.return_id
    WHERE l.id = NEW.order_line_id FOR UPDATE OF l;
    IF ordered IS NULL OR
       (SELECT sum(quantity) FROM return_lines WHERE order_line_id = NEW.order_line_id)
       > ordered THEN
        RAISE EXCEPTION 'more units returned than ordered'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'return_lines_within_order';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER return_lines_within_order AFTER INSERT OR UPDATE ON return_lines
    FOR EACH ROW EXECUTE FUNCTION return_lines_within_order();

-- A return's refund names it; at most one of them is not failed (a failed one may be
-- tried again), and it is of the return's own order.
-- A return with money refunded for it is not deleted on its own.
ALTER TABLE refunds ADD COLUMN return_id bigint REFERENCES returns (id);
CREATE UNIQUE INDEX refunds_one_per_return ON refunds (return_id)
    WHERE return_id IS NOT NULL AND state <> 'failed';

CREATE FUNCTION refunds_of_own_return() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.return_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM returns WHERE id = NEW.return_id AND order_id = NEW.order_id
          AND state IN ('received', 'refunded')) THEN
        RAISE EXCEPTION 'a return''s refund is of its own order, once it is received'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_of_own_return';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER refunds_of_own_return BEFORE INSERT OR UPDATE OF return_id, order_id ON refunds
    FOR EACH ROW EXECUTE FUNCTION refunds_of_own_return();

-- How long after delivery a customer may ask to return, and what they are told to do
-- once a return is approved.
INSERT INTO settings (key, value) VALUES
    ('return_window_days', '30'),
    ('return_instructions', 'Pack the items well, put a note with your order number inside, and send the parcel to the address on your delivery note. Keep the postage receipt until we have refunded you.')
ON CONFLICT (key) DO NOTHING;
