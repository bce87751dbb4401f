-- What shoppers can find, in one place: a product is listed when it is active and has
-- a price (at least one variant), and it is on sale when a compare-at price is above
-- the lowest price it sells for (the rule of `catalog::view::is_on_sale`). Every
-- listing, count, search suggestion, featured shelf and sitemap reads this view, so
-- none of them spells the rule again.
--
-- The planner expands a view into the query that reads it, so the partial indexes
-- over `status = 'active'` still serve (the view's condition implies theirs), and the
-- counting index still answers from the index alone (`on_sale` needs only the columns
-- it includes).
--
-- `p.*` is fixed when the view is made: a migration that adds a column to `products`
-- that listings need recreates the view (CREATE OR REPLACE VIEW may add columns at
-- the end).
CREATE VIEW listed_products AS
    SELECT p.*, coalesce(p.compare_at > p.min_price, false) AS on_sale
    FROM products p
    WHERE p.status = 'active' AND p.min_price IS NOT NULL;
