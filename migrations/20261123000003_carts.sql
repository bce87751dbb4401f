-- Carts. A guest's cart is found through their session (which holds the cart's id);
-- a signed-in shopper's will hang off their account when accounts arrive.
CREATE TABLE carts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- For deleting carts nobody has touched for longer than a session lives.
CREATE INDEX carts_updated ON carts (updated_at);

CREATE TABLE cart_lines (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cart_id    bigint NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    -- NULL once the variant is deleted, so the cart can say what went away.
    variant_id bigint REFERENCES variants (id) ON DELETE SET NULL,
    -- "Product name (M / Sage)" when added, for that message.
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 400),
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    -- The unit price the shopper last saw, so a change can be pointed out once.
    seen_price numeric(12, 2) NOT NULL CHECK (seen_price >= 0),
    added_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cart_id, variant_id)
);
