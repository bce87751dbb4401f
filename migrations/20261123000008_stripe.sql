-- Stripe: the PaymentIntent created for an order (one per order: its idempotency key is
-- the order id), so the return page and webhooks find the order, and nothing else can
-- claim it.
ALTER TABLE orders ADD COLUMN payment_intent text UNIQUE;
