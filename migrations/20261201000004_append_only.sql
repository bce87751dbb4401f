-- The audit log let any UPDATE through that only cleared `staff_id`, meant for the
-- foreign key's ON DELETE SET NULL when a staff account is deleted: a direct UPDATE
-- could clear every entry's author. The exception now holds only inside that foreign
-- key's action (a trigger fired by a trigger: depth above 1).
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        RAISE EXCEPTION 'the audit log is append-only: TRUNCATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1
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

-- An order's history is append-only too. Only the foreign keys' own actions change it:
-- an order's deletion removes its history, a staff account's deletion clears
-- `staff_id`.
CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'ROW' AND pg_trigger_depth() > 1 THEN
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'an order''s history is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER order_events_append_only
    BEFORE UPDATE OR DELETE ON order_events
    FOR EACH ROW EXECUTE FUNCTION order_events_append_only();
CREATE TRIGGER order_events_no_truncate
    BEFORE TRUNCATE ON order_events
    FOR EACH STATEMENT EXECUTE FUNCTION order_events_append_only();
