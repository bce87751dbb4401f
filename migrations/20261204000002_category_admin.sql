-- Staff edit the category tree: a move that would put a category inside itself (under
-- its own subcategory) is refused by the database, whatever the page checked.
CREATE FUNCTION categories_no_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    -- One move at a time: two moves that are each fine alone (A under B, B under A)
    -- could close a cycle together. After the lock, this function's query sees every
    -- move committed before it.
    PERFORM pg_advisory_xact_lock(hashtext('categories_tree'));
    IF EXISTS (
        WITH RECURSIVE up (id, parent_id) AS (
            SELECT id, parent_id FROM categories WHERE id = NEW.parent_id
            UNION ALL
            SELECT c.id, c.parent_id FROM categories c JOIN up ON c.id = up.parent_id
        ) CYCLE id SET looped USING trail
        SELECT 1 FROM up WHERE id = NEW.id
    ) THEN
        RAISE EXCEPTION 'category % would be inside itself', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'categories_no_cycle';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER categories_no_cycle BEFORE INSERT OR UPDATE OF parent_id ON categories
    FOR EACH ROW EXECUTE FUNCTION categories_no_cycle();
