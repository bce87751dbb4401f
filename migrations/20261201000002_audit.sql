-- What staff did, and the statuses an order may have had.

-- An order's history names only statuses an order can have.
ALTER TABLE order_events
    ADD CONSTRAINT order_events_to_status CHECK (to_status IN
        ('pending_payment', 'paid', 'fulfilled', 'delivered', 'cancelled',
         'refunded', 'partially_refunded')),
    ADD CONSTRAINT order_events_from_status CHECK (from_status IS NULL OR from_status IN
        ('pending_payment', 'paid', 'fulfilled', 'delivered', 'cancelled',
         'refunded', 'partially_refunded'));
-- Which staff member moved it, when one did (payments and the expiry worker move orders
-- too).
ALTER TABLE order_events ADD COLUMN staff_id bigint REFERENCES users (id) ON DELETE SET NULL;

-- Every change a staff member makes, written in the same transaction as the change:
-- who, when, what (an action on a subject) and the fields before and after.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    -- Kept when the account is deleted: the log outlives its people.
    staff_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    staff_email  text NOT NULL,
    action       text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)*$'),
    subject_kind text NOT NULL CHECK (subject_kind ~ '^[a-z_]+$'),
    subject_id   text NOT NULL CHECK (length(subject_id) BETWEEN 1 AND 100),
    before       jsonb,
    after        jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_subject ON audit_log (subject_kind, subject_id, at DESC);
CREATE INDEX audit_log_staff ON audit_log (staff_id, at DESC);

-- Append-only: no row is ever changed or removed, whoever asks. (A staff account's
-- deletion sets staff_id to NULL through the foreign key: that one change is allowed.)
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        RAISE EXCEPTION 'the audit log is append-only: TRUNCATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE'
       AND NEW.staff_id IS NULL AND OLD.staff_id IS NOT NULL
       AND (NEW.id, NEW.at, NEW.staff_email, NEW.action, NEW.subject_kind, NEW.subject_id,
            NEW.before, NEW.after)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.staff_email, OLD.action, OLD.subject_kind, OLD.subject_id,
            OLD.before, OLD.after) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % of entry % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
