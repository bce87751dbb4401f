-- Checkout and orders: where the shop ships and at what price, the tax of each
-- destination, and orders with their lines and status history.

-- Shipping zones group the countries a set of rates applies to.
CREATE TABLE shipping_zones (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name      text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    countries text[] NOT NULL CHECK (cardinality(countries) > 0)
);
CREATE INDEX shipping_zones_countries ON shipping_zones USING gin (countries);

CREATE TABLE shipping_rates (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    zone_id   bigint NOT NULL REFERENCES shipping_zones (id) ON DELETE CASCADE,
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    price     numeric(12, 2) NOT NULL CHECK (price >= 0),
    -- Free when the discounted subtotal reaches this.
    free_over numeric(12, 2) CHECK (free_over >= 0),
    min_days  integer NOT NULL CHECK (min_days >= 0),
    max_days  integer NOT NULL,
    active    boolean NOT NULL DEFAULT true,
    CHECK (max_days >= min_days)
);
CREATE INDEX shipping_rates_zone ON shipping_rates (zone_id);

-- Tax by destination: a country-wide rate (region '') and, where it differs, regions.
CREATE TABLE tax_rates (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region  text NOT NULL DEFAULT '',
    name    text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    -- Percent, e.g. 21.000.
    rate    numeric(6, 3) NOT NULL CHECK (rate >= 0 AND rate < 100),
    UNIQUE (country, region)
);

-- Order numbers are short and human, and tell nothing about internal ids.
CREATE SEQUENCE order_numbers START 10001;

CREATE TABLE orders (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number           bigint NOT NULL UNIQUE DEFAULT nextval('order_numbers'),
    -- One per checkout: placing twice with the same token gives the same order.
    checkout_token   text NOT NULL UNIQUE CHECK (length(checkout_token) BETWEEN 16 AND 100),
    user_id          bigint REFERENCES users (id) ON DELETE SET NULL,
    email            text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    status           text NOT NULL DEFAULT 'pending_payment' CHECK (status IN
                         ('pending_payment', 'paid', 'fulfilled', 'delivered', 'cancelled',
                          'refunded', 'partially_refunded')),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal         numeric(12, 2) NOT NULL CHECK (subtotal >= 0),
    discount         numeric(12, 2) NOT NULL CHECK (discount >= 0 AND discount <= subtotal),
    shipping         numeric(12, 2) NOT NULL CHECK (shipping >= 0),
    tax              numeric(12, 2) NOT NULL CHECK (tax >= 0),
    tax_included     boolean NOT NULL,
    total            numeric(12, 2) NOT NULL CHECK (total >= 0),
    coupon_id        bigint REFERENCES coupons (id) ON DELETE SET NULL,
    coupon_code      text,
    shipping_rate_id bigint REFERENCES shipping_rates (id) ON DELETE SET NULL,
    shipping_method  text NOT NULL,
    shipping_address jsonb NOT NULL,
    billing_address  jsonb NOT NULL,
    placed_at        timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (total = subtotal - discount + shipping + CASE WHEN tax_included THEN 0 ELSE tax END)
);
CREATE INDEX orders_user ON orders (user_id, placed_at DESC) WHERE user_id IS NOT NULL;
-- For the worker that cancels orders left unpaid.
CREATE INDEX orders_pending ON orders (placed_at) WHERE status = 'pending_payment';

CREATE TABLE order_lines (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    variant_id bigint REFERENCES variants (id) ON DELETE SET NULL,
    -- Snapshots: what was bought, as it was called and priced then.
    sku        text NOT NULL,
    name       text NOT NULL,
    unit_price numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    line_total numeric(12, 2) NOT NULL CHECK (line_total = unit_price * quantity)
);
CREATE INDEX order_lines_order ON order_lines (order_id);

-- Every status an order had, and why.
CREATE TABLE order_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status text,
    to_status   text NOT NULL,
    note        text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order ON order_events (order_id, id);

ALTER TABLE coupon_redemptions
    ADD CONSTRAINT coupon_redemptions_order FOREIGN KEY (order_id)
    REFERENCES orders (id) ON DELETE CASCADE;
