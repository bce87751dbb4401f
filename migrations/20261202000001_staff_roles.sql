-- Staff roles: named sets of permissions that staff accounts are given. An admin
-- (users.role = 'admin') may do everything and has no staff role; a staff account
-- (users.role = 'staff') may do exactly what its role lists. The permission names are
-- `mercato::admin::Permission`.
CREATE TABLE staff_roles (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 300),
    permissions text[] NOT NULL CHECK (permissions <@ ARRAY[
        'catalog', 'inventory', 'orders', 'refunds', 'customers', 'discounts', 'settings',
        'staff']::text[]),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_roles_name ON staff_roles (lower(btrim(name)));

INSERT INTO staff_roles (name, description, permissions) VALUES
    ('Manager', 'Runs the shop day to day: everything but staff and settings.',
     ARRAY['catalog', 'inventory', 'orders', 'refunds', 'customers', 'discounts']),
    ('Catalog manager', 'Products, categories, images and stock.',
     ARRAY['catalog', 'inventory']),
    ('Fulfilment', 'Ships orders and keeps stock right. Cannot refund.',
     ARRAY['orders', 'inventory']),
    ('Support', 'Helps customers with their orders and accounts, and refunds.',
     ARRAY['orders', 'refunds', 'customers']);

ALTER TABLE users
    ADD COLUMN staff_role_id bigint REFERENCES staff_roles (id),
    -- A deactivated account cannot sign in; its sessions ended when it was deactivated.
    ADD COLUMN deactivated_at timestamptz;

-- Staff from before roles keep what they could do.
UPDATE users SET staff_role_id = (SELECT id FROM staff_roles WHERE name = 'Manager')
WHERE role = 'staff';

-- Only staff accounts have a staff role, and every one has one.
ALTER TABLE users ADD CONSTRAINT users_staff_role
    CHECK ((role = 'staff') = (staff_role_id IS NOT NULL));
CREATE INDEX users_staff ON users (role, lower(email)) WHERE role <> 'customer';
