-- Taking a customer's data out of the shop, or erasing it, is a permission of its own
-- (`customer_data`, `mercato::admin::Permission::CustomerData`): an administrator has
-- it, as every permission, and a staff role has it only when it is given.
ALTER TABLE staff_roles DROP CONSTRAINT staff_roles_permissions_check;
ALTER TABLE staff_roles ADD CONSTRAINT staff_roles_permissions_check CHECK (permissions <@ ARRAY[
    'catalog', 'inventory', 'orders', 'refunds', 'customers', 'customer_data', 'discounts',
    'settings', 'staff']::text[]);
