-- Catalog imports: a CSV file staff upload, checked by the worker (a dry run that
-- writes nothing) and then, when staff say so, applied by the worker, product by
-- product. Its progress and outcome live here, so the page shows them after a reload
-- and whichever process runs the worker carries on. A worker holds a job by
-- `claimed_until` (renewed as it goes); a job whose worker died is taken up again
-- after that, from the start: applying is idempotent.
CREATE TABLE catalog_imports (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Who uploaded it (the dry run acts as them) and who applied it (the changes and
    -- their audit entries are theirs).
    uploaded_by   bigint NOT NULL REFERENCES users (id),
    applied_by    bigint REFERENCES users (id),
    file_name     text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
    file_bytes    integer NOT NULL CHECK (file_bytes >= 0),
    -- The file, until it is applied (or the job failed): then only its outcome is kept.
    body          bytea,
    state         text NOT NULL DEFAULT 'checking'
                  CHECK (state IN ('checking', 'checked', 'applying', 'applied', 'failed')),
    rows_total    integer NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
    rows_done     integer NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    -- Products the file creates, changes, leaves as they are, and leaves out for their
    -- problems (as the dry run expects them, then as the apply step did them).
    created       integer NOT NULL DEFAULT 0 CHECK (created >= 0),
    updated       integer NOT NULL DEFAULT 0 CHECK (updated >= 0),
    unchanged     integer NOT NULL DEFAULT 0 CHECK (unchanged >= 0),
    skipped       integer NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    -- Rows giving a stock figure for a variant that exists: left alone (stock changes
    -- go through Inventory, which records why).
    stock_ignored integer NOT NULL DEFAULT 0 CHECK (stock_ignored >= 0),
    -- Every problem counted; the first few hundred kept (line, column, message).
    problem_count integer NOT NULL DEFAULT 0 CHECK (problem_count >= 0),
    problems      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(problems) = 'array'),
    -- False when the file as a whole cannot be applied (its header, a row that could
    -- not be read): then no product of it is.
    applicable    boolean NOT NULL DEFAULT false,
    -- Why the job stopped, when it failed.
    failure       text,
    claimed_until timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    CHECK (state NOT IN ('applying', 'applied') OR applied_by IS NOT NULL),
    CHECK (state IN ('applied', 'failed') OR body IS NOT NULL)
);
CREATE INDEX catalog_imports_waiting ON catalog_imports (id) WHERE state IN ('checking', 'applying');
CREATE INDEX catalog_imports_recent ON catalog_imports (created_at DESC, id DESC);
