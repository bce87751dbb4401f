-- Everything an account needs beyond signing in: password resets (by mail, through the
-- outbox), the address book, and coupons with their redemptions.

-- Bumped on every password change or reset. A session remembers the value it signed in
-- with, so changing the password signs out every other device.
ALTER TABLE users ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;

-- A reset link carries a random token; only its SHA-256 is kept, so a copy of this
-- table opens no account. Single use, short-lived.
CREATE TABLE password_resets (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at DESC);

-- Mail to send. Any number of workers take due rows with FOR UPDATE SKIP LOCKED; a
-- failed delivery is retried later with a growing delay. `dedupe_key` keeps one message
-- from being queued twice (an order's confirmation, say).
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
    dedupe_key      text UNIQUE,
    recipient       text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
    subject         text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body_text       text NOT NULL,
    body_html       text,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- The address book. At most one default address per account.
CREATE TABLE addresses (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    line1       text NOT NULL CHECK (length(line1) BETWEEN 1 AND 200),
    line2       text NOT NULL DEFAULT '' CHECK (length(line2) <= 200),
    city        text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
    region      text NOT NULL DEFAULT '' CHECK (length(region) <= 100),
    postal_code text NOT NULL CHECK (length(postal_code) <= 20),
    country     text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    phone       text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user ON addresses (user_id, id);
CREATE UNIQUE INDEX addresses_one_default ON addresses (user_id) WHERE is_default;

-- Coupons. Codes are stored in capitals; shoppers may type them in any case.
CREATE TABLE coupons (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                  text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,39}$'),
    description           text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    kind                  text NOT NULL CHECK (kind IN ('percent', 'fixed', 'free_shipping')),
    -- Percent off (0.01–100), or the amount off; 0 for free shipping.
    value                 numeric(12, 2) NOT NULL DEFAULT 0,
    min_subtotal          numeric(12, 2) NOT NULL DEFAULT 0 CHECK (min_subtotal >= 0),
    starts_at             timestamptz,
    ends_at               timestamptz,
    max_uses              integer CHECK (max_uses > 0),
    max_uses_per_customer integer CHECK (max_uses_per_customer > 0),
    active                boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'percent' OR value BETWEEN 0.01 AND 100),
    CHECK (kind <> 'fixed' OR value > 0),
    CHECK (kind <> 'free_shipping' OR value = 0),
    CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);

-- One row per use, written inside the order's transaction (checkout). `order_id` gets
-- its foreign key when orders arrive. Per-customer limits count by account or email.
CREATE TABLE coupon_redemptions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coupon_id   bigint NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    order_id    bigint UNIQUE,
    user_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    email       text NOT NULL,
    redeemed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX coupon_redemptions_coupon ON coupon_redemptions (coupon_id);
CREATE INDEX coupon_redemptions_customer ON coupon_redemptions (coupon_id, lower(email));
CREATE INDEX coupon_redemptions_user ON coupon_redemptions (coupon_id, user_id);

-- The coupon a cart carries; re-checked on every view like its lines.
ALTER TABLE carts ADD COLUMN coupon_id bigint REFERENCES coupons (id) ON DELETE SET NULL;
