-- Best sellers over 90 days add up about 2,000 product rows a day (on the 1M-order
-- bench): read from the index alone rather than the table (114 ms p95 for the 90-day
-- dashboard before this).
CREATE INDEX daily_product_sales_period ON daily_product_sales (currency, day)
    INCLUDE (product_id, units, revenue);
