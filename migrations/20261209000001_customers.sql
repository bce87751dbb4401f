-- Customers in the back office: staff notes about an account, and anonymised accounts
-- (the account and its orders stay; the person's email, name and addresses go).

CREATE TABLE customer_notes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    staff_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    -- Kept when the staff account is deleted.
    staff_email text NOT NULL,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_notes_user ON customer_notes (user_id, id);

ALTER TABLE users ADD COLUMN anonymised_at timestamptz;
ALTER TABLE users ADD CONSTRAINT users_anonymised_customer
    CHECK (anonymised_at IS NULL OR role = 'customer');

-- The staff list walks customers newest first.
CREATE INDEX users_customers ON users (id DESC) WHERE role = 'customer';
