-- Accounts. Emails are unique without regard to case; the hash is argon2id's PHC string.
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'staff', 'admin')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- A signed-in shopper's cart hangs off their account (one each).
ALTER TABLE carts ADD COLUMN user_id bigint UNIQUE REFERENCES users (id) ON DELETE CASCADE;

-- Failed sign-ins, per account ("email:...") and per client address ("ip:..."), for
-- rate limiting; rows older than a minute no longer count and are deleted.
CREATE TABLE sign_in_failures (
    key text NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_key_at ON sign_in_failures (key, at DESC);
