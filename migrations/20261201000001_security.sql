-- Rate limits shared by every server process, and email verification.

-- Sign-in failures counted after hashing are replaced by rate_limits, counted before.
DROP TABLE sign_in_failures;

-- One row per limited key ("sign-in:<email>|<client>", "register:<client>", ...).
-- A key is either a backoff (a few free attempts, then each waits twice as long as the
-- one before, up to a ceiling) or a bucket (a burst, refilled at a steady rate). Both are
-- taken in one statement by the functions below, so concurrent attempts are counted
-- one after another, never all against the same old count.
CREATE TABLE rate_limits (
    key       text PRIMARY KEY CHECK (length(key) <= 600),
    -- Backoff: attempts since the key was last forgotten. Bucket: unused.
    attempts  integer NOT NULL DEFAULT 0,
    -- Bucket: tokens left as of last_at. Backoff: unused.
    tokens    double precision NOT NULL DEFAULT 0,
    last_at   timestamptz NOT NULL,
    -- Backoff: the next attempt is allowed from then.
    next_at   timestamptz NOT NULL,
    -- The row may be deleted after this (nothing about it counts any more).
    forget_at timestamptz NOT NULL
);
CREATE INDEX rate_limits_forget_at ON rate_limits (forget_at);

-- Takes one attempt of a backoff: `free` attempts go at once; after those, the attempt
-- after the n-th waits first * 2^(n - free) seconds, at most `ceiling`. A key left alone
-- for `forget` seconds after its wait is over starts again from nothing. Returns 0 when
-- the attempt may go ahead (it is counted), otherwise the seconds to wait (not counted:
-- waiting attempts never lengthen the wait, so nobody can keep someone out for good).
-- clock_timestamp(), not now(): a statement that waited for another's row lock must see
-- the time after that wait.
CREATE FUNCTION rate_limit_backoff(
    p_key text, p_free integer, p_first double precision, p_ceiling double precision,
    p_forget double precision
) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    wait double precision;
BEGIN
    INSERT INTO rate_limits AS r (key, attempts, last_at, next_at, forget_at)
    VALUES (
        p_key, 1, clock_timestamp(),
        clock_timestamp() + rate_limit_delay(1, p_free, p_first, p_ceiling),
        clock_timestamp() + rate_limit_delay(1, p_free, p_first, p_ceiling)
            + make_interval(secs => p_forget)
    )
    ON CONFLICT (key) DO UPDATE SET
        (attempts, last_at, next_at, forget_at) = (
            SELECT n, clock_timestamp(),
                   clock_timestamp() + rate_limit_delay(n, p_free, p_first, p_ceiling),
                   clock_timestamp() + rate_limit_delay(n, p_free, p_first, p_ceiling)
                       + make_interval(secs => p_forget)
            FROM (SELECT CASE WHEN r.forget_at <= clock_timestamp() THEN 1
                              ELSE r.attempts + 1 END AS n) AS next
        )
        WHERE r.next_at <= clock_timestamp();
    IF FOUND THEN
        RETURN 0;
    END IF;
    SELECT extract(epoch FROM next_at - clock_timestamp()) INTO wait
    FROM rate_limits WHERE key = p_key;
    RETURN greatest(coalesce(wait, 1), 0.001);
END $$;

-- The wait after the n-th attempt of a backoff.
CREATE FUNCTION rate_limit_delay(
    n integer, p_free integer, p_first double precision, p_ceiling double precision
) RETURNS interval LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN n < p_free THEN interval '0'
                ELSE make_interval(secs => least(p_ceiling,
                         p_first * power(2, least(n - p_free, 30))))
           END
$$;

-- Takes one token from a bucket holding at most `burst`, refilled at `per_sec` tokens a
-- second. Returns 0 when a token was taken, otherwise the seconds until one is there.
CREATE FUNCTION rate_limit_bucket(
    p_key text, p_burst double precision, p_per_sec double precision
) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    wait double precision;
BEGIN
    INSERT INTO rate_limits AS r (key, tokens, last_at, next_at, forget_at)
    VALUES (p_key, p_burst - 1, clock_timestamp(), clock_timestamp(),
            clock_timestamp() + make_interval(secs => 1 / p_per_sec))
    ON CONFLICT (key) DO UPDATE SET
        (tokens, last_at, next_at, forget_at) = (
            SELECT t - 1, clock_timestamp(), clock_timestamp(),
                   clock_timestamp() + make_interval(secs => (p_burst - t + 1) / p_per_sec)
            FROM (SELECT least(p_burst, r.tokens + p_per_sec *
                      extract(epoch FROM clock_timestamp() - r.last_at)) AS t) AS refilled
        )
        WHERE least(p_burst, r.tokens + p_per_sec *
                  extract(epoch FROM clock_timestamp() - r.last_at)) >= 1;
    IF FOUND THEN
        RETURN 0;
    END IF;
    SELECT (1 - least(p_burst, tokens + p_per_sec *
               extract(epoch FROM clock_timestamp() - last_at))) / p_per_sec
    INTO wait FROM rate_limits WHERE key = p_key;
    RETURN greatest(coalesce(wait, 1), 0.001);
END $$;

-- An address is confirmed once its owner opens the link mailed to it and gives the
-- password chosen when registering (or uses a reset link, which proves the same). An
-- unconfirmed account cannot sign in. Accounts made before confirmation existed count as
-- confirmed: they could sign in until now.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
UPDATE users SET email_verified_at = created_at;

-- Links mailed to an account that work once and not for long: password resets and
-- email confirmations, in one table. Only the SHA-256 of a link's token is kept.
CREATE TABLE account_links (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('reset', 'confirm')),
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX account_links_user ON account_links (user_id, kind, created_at DESC);
INSERT INTO account_links (kind, user_id, token_hash, created_at, expires_at, used_at)
SELECT 'reset', user_id, token_hash, created_at, expires_at, used_at FROM password_resets;
DROP TABLE password_resets;
