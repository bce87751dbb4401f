-- Shop-wide settings that staff edit at run time (name, tagline, ...).
CREATE TABLE settings (
    key        text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    value      text NOT NULL CHECK (length(value) <= 10000),
    updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO settings (key, value) VALUES
    ('shop_name', 'Mercato'),
    ('tagline', 'Good things, fairly priced, shipped fast.');
