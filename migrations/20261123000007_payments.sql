-- Paying for orders: the cart an order came from (emptied once it is paid), a key for
-- the guest's link to their order, payments, and the provider events already handled.

ALTER TABLE orders
    ADD COLUMN cart_id bigint REFERENCES carts (id) ON DELETE SET NULL,
    -- In the confirmation mail's link: whoever has it may see this order (guests).
    ADD COLUMN access_key text NOT NULL DEFAULT encode(sha256(gen_random_uuid()::text::bytea), 'hex');
CREATE INDEX orders_cart_pending ON orders (cart_id) WHERE status = 'pending_payment';

CREATE TABLE payments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    provider     text NOT NULL CHECK (provider IN ('test', 'stripe')),
    -- The provider's id for the payment (a PaymentIntent id, a test reference).
    reference    text NOT NULL,
    amount       numeric(12, 2) NOT NULL CHECK (amount >= 0),
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status       text NOT NULL CHECK (status IN ('succeeded', 'declined', 'failed')),
    message      text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order ON payments (order_id);
-- A provider's successful payment is recorded once, however often it is reported.
CREATE UNIQUE INDEX payments_succeeded_once ON payments (provider, reference)
    WHERE status = 'succeeded';

-- Provider events already handled: a replay changes nothing.
CREATE TABLE webhook_events (
    provider    text NOT NULL,
    event_id    text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);
