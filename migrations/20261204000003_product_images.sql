-- Pictures staff upload. Each is stored under the SHA-256 of its bytes
-- (`stored_name`, served at /media/<stored_name>) with its size, upright. The worker
-- makes the copies shoppers get (their widths in `renditions`) and marks it `rendered`;
-- a failure is tried again after `render_after`, a few times. The demo's drawn art has
-- no stored file and nothing to make.
ALTER TABLE product_images
    ADD COLUMN stored_name text CHECK (stored_name ~ '^[0-9a-f]{64}\.(jpg|png|webp)$'),
    ADD COLUMN width integer CHECK (width > 0),
    ADD COLUMN height integer CHECK (height > 0),
    ADD COLUMN renditions integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN rendered boolean NOT NULL DEFAULT false,
    ADD COLUMN render_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN render_after timestamptz NOT NULL DEFAULT now(),
    ADD CHECK (stored_name IS NULL OR (width IS NOT NULL AND height IS NOT NULL));
-- The same picture twice on one product is a double submit.
CREATE UNIQUE INDEX product_images_stored_once ON product_images (product_id, stored_name);
CREATE INDEX product_images_to_render ON product_images (render_after, id)
    WHERE NOT rendered AND stored_name IS NOT NULL;
