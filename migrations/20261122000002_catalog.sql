-- The catalog: a category tree, products with up to three options (Size, Colour, ...),
-- variants with prices, images, and one inventory row per variant.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id   bigint REFERENCES categories (id) ON DELETE RESTRICT,
    slug        text NOT NULL UNIQUE
                CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- The colour of the category's generated artwork and accents.
    colour      text NOT NULL DEFAULT '#0f766e' CHECK (colour ~ '^#[0-9a-f]{6}$'),
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX categories_parent_position ON categories (parent_id, position);

CREATE TABLE products (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id     bigint NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    slug            text NOT NULL UNIQUE
                    CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 200),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    status          text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'active', 'archived')),
    featured        boolean NOT NULL DEFAULT false,
    seo_title       text CHECK (length(seo_title) <= 200),
    seo_description text CHECK (length(seo_description) <= 400),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- Name outranks description in full-text search.
    search          tsvector GENERATED ALWAYS AS (
                        setweight(to_tsvector('english', name), 'A') ||
                        setweight(to_tsvector('english', description), 'B')
                    ) STORED
);
-- Shoppers only ever see active products, so the listing indexes hold only those.
CREATE INDEX products_active_category ON products (category_id, created_at DESC, id DESC)
    WHERE status = 'active';
CREATE INDEX products_active_newest ON products (created_at DESC, id DESC)
    WHERE status = 'active';
CREATE INDEX products_active_featured ON products (id) WHERE status = 'active' AND featured;
CREATE INDEX products_search ON products USING gin (search);
CREATE INDEX products_name_trgm ON products USING gin (name gin_trgm_ops);

-- Up to three options per product; a variant's option1..3 hold its values in this order.
CREATE TABLE product_options (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position   smallint NOT NULL CHECK (position BETWEEN 1 AND 3),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    UNIQUE (product_id, position),
    UNIQUE (product_id, name)
);

CREATE TABLE variants (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id       bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku              text NOT NULL UNIQUE CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{0,63}$'),
    option1          text CHECK (length(option1) BETWEEN 1 AND 50),
    option2          text CHECK (length(option2) BETWEEN 1 AND 50),
    option3          text CHECK (length(option3) BETWEEN 1 AND 50),
    price            numeric(12, 2) NOT NULL CHECK (price >= 0),
    compare_at_price numeric(12, 2) CHECK (compare_at_price > price),
    weight_grams     integer NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
    position         integer NOT NULL DEFAULT 0,
    UNIQUE NULLS NOT DISTINCT (product_id, option1, option2, option3)
);
CREATE INDEX variants_product ON variants (product_id, position);

CREATE TABLE product_images (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position   integer NOT NULL DEFAULT 0,
    url        text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    alt        text NOT NULL DEFAULT '' CHECK (length(alt) <= 300),
    UNIQUE (product_id, position)
);

CREATE TABLE inventory (
    variant_id bigint PRIMARY KEY REFERENCES variants (id) ON DELETE CASCADE,
    on_hand    integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every change of stock, with its reason: the inventory row is their running sum.
CREATE TABLE inventory_movements (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    variant_id bigint NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    delta      integer NOT NULL CHECK (delta <> 0),
    reason     text NOT NULL
               CHECK (reason IN ('initial', 'order', 'cancel', 'restock', 'staff_edit', 'return')),
    note       text CHECK (length(note) <= 500),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inventory_movements_variant ON inventory_movements (variant_id, id DESC);
