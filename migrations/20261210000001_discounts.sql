-- Coupons as staff run them: edited with a version (a stale save is refused, not lost),
-- paused, and deleted without losing what they did.
--
-- A deleted coupon keeps its row: the orders and redemptions that used it still point
-- at it, so its figures stay readable. It can never apply again, and its code is free
-- for a new coupon, so the code is unique among coupons that are not deleted.
ALTER TABLE coupons
    ADD COLUMN version    integer NOT NULL DEFAULT 1 CHECK (version > 0),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN deleted_at timestamptz,
    ADD CONSTRAINT coupons_deleted_paused CHECK (deleted_at IS NULL OR NOT active);
ALTER TABLE coupons DROP CONSTRAINT coupons_code_key;
CREATE UNIQUE INDEX coupons_code_live ON coupons (code) WHERE deleted_at IS NULL;

-- A coupon's figures (its orders, their revenue) without scanning every order.
CREATE INDEX orders_coupon ON orders (coupon_id) WHERE coupon_id IS NOT NULL;

-- Where a coupon stands now, for the staff's list (and its filter), the coupon's page
-- and the dashboard. The rule is `Coupon::state` (src/cart/coupon.rs), which the shopper's
-- cart applies; this is that rule for SQL, and a test holds the two together. Deleted
-- and paused are staff's doing and come first; then an end that has passed, the uses
-- running out, and a start still to come.
CREATE FUNCTION coupon_state(active boolean, deleted_at timestamptz, starts_at timestamptz,
                             ends_at timestamptz, max_uses integer, uses bigint)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN deleted_at IS NOT NULL THEN 'deleted'
        WHEN NOT active THEN 'paused'
        WHEN ends_at IS NOT NULL AND ends_at <= now() THEN 'ended'
        WHEN max_uses IS NOT NULL AND uses >= max_uses THEN 'used_up'
        WHEN starts_at IS NOT NULL AND starts_at > now() THEN 'scheduled'
        ELSE 'live'
    END
$$;
