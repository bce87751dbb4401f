//! `mercato generate-orders`: two years of order history for benchmarks and demos, made
//! in the database a batch at a time (the rows never travel through this process).
//!
//! What it makes, and why it looks like a shop's history:
//! - Orders spread over the two years before now, more of them as the shop grows (a
//!   density rising linearly to three times its start), numbered in the order placed.
//! - One to four lines each, from the generated catalog's variants at their prices
//!   today, one to three units a line; line totals, subtotal, shipping (free from
//!   50.00), tax included at 21%, and 8% of orders with a 10% coupon.
//! - A fifth as many customer accounts as orders; 70% of orders come from one of them,
//!   the rest from guests. Names from a list of common first and last names.
//! - Statuses by age: 3% cancelled unpaid; older than two weeks delivered; the last two
//!   weeks a mix of delivered, shipped and paid; today mostly paid. Each order has its
//!   history (placed, paid, shipped, delivered, or cancelled), a succeeded payment from
//!   the test provider when it was paid, and one parcel with all its units (DHL, a
//!   tracking number) when it shipped. Nothing is refunded (refunds are made by
//!   their own path, not here), and no stock is taken (this is history).
//!
//! Deterministic for a given catalog and count (`setseed`), apart from `now()`.

use crate::Error;
use sqlx::PgPool;
use std::time::Instant;

/// Orders made per statement batch: big enough that per-statement cost vanishes, small
/// enough that one batch's temporary rows stay in memory.
const BATCH: i64 = 20_000;

/// What the generator made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Generated {
    pub orders: i64,
    pub lines: i64,
    pub events: i64,
    pub payments: i64,
    /// Parcels of the shipped and delivered orders (each with all its units).
    pub shipments: i64,
    pub customers: i64,
    pub seconds: f64,
}

impl Generated {
    /// Every row it wrote.
    pub fn rows(&self) -> i64 {
        self.orders + self.lines + self.events + self.payments + self.shipments + self.customers
    }
}

/// Why nothing was generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("the shop has orders already: generate into a shop without any")]
    OrdersExist,
    #[error("the shop has no priced variants: generate a catalog first")]
    NoCatalog,
    #[error("{0}")]
    Failed(#[from] Error),
}

impl From<sqlx::Error> for GenerateError {
    fn from(e: sqlx::Error) -> Self {
        GenerateError::Failed(e.into())
    }
}

/// Makes `orders` orders (see the module's documentation); `progress` is told how many
/// are done after each batch.
pub async fn generate(
    pool: &PgPool,
    orders: i64,
    mut progress: impl FnMut(i64),
) -> Result<Generated, GenerateError> {
    let started = Instant::now();
    let mut conn = pool.acquire().await?;
    if sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT FROM orders)")
        .fetch_one(&mut *conn)
        .await?
    {
        return Err(GenerateError::OrdersExist);
    }
    sqlx::query("SELECT setseed(0.42)")
        .execute(&mut *conn)
        .await?;
    // The variants to buy, by position, and the accounts and names to buy them.
    sqlx::query(
        "CREATE TEMP TABLE gen_variants ON COMMIT PRESERVE ROWS AS
         SELECT row_number() OVER (ORDER BY v.id) AS n, v.id, v.sku, v.price,
                p.name || coalesce(' – ' || concat_ws(' / ', v.option1, v.option2, v.option3), '')
                    AS name
         FROM variants v JOIN products p ON p.id = v.product_id
         WHERE p.status = 'active' AND v.price > 0",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("CREATE UNIQUE INDEX ON gen_variants (n)")
        .execute(&mut *conn)
        .await?;
    let variants: i64 = sqlx::query_scalar("SELECT count(*) FROM gen_variants")
        .fetch_one(&mut *conn)
        .await?;
    if variants == 0 {
        sqlx::query("DROP TABLE gen_variants")
            .execute(&mut *conn)
            .await?;
        return Err(GenerateError::NoCatalog);
    }
    let mut made = Generated::default();
    let customers = (orders / 5).max(1);
    // Accounts: a name each, an address in a country the shop ships to.
    made.customers = sqlx::query(
            r#"WITH firsts AS (SELECT ARRAY['Anna','Ben','Chloé','David','Emma','Femke','Giulia',
               'Hugo','Ines','Jan','Kenji','Lena','Marco','Nora','Olivier','Priya','Quentin',
               'Rosa','Sven','Tess','Umar','Vera','Willem','Yara','Zoë','Aiko','Bram','Carmen',
               'Daan','Elif','Finn','Greta','Hamid','Isla','Jonas','Kaja','Luca','Mila','Noah',
               'Olga','Pablo','Ruth','Sara','Tomás','Ugo','Vince','Wen','Xavier','Yusuf','Zara'] AS a),
           lasts AS (SELECT ARRAY['Jansen','Müller','Dubois','Rossi','García','Smith','Kowalski',
               'Nielsen','Novak','Silva','Tanaka','Brown','de Vries','Schmidt','Lefebvre','Bianchi',
               'López','Johnson','Nowak','Larsen','Horvat','Costa','Sato','Wilson','Bakker',
               'Fischer','Moreau','Romano','Martínez','Taylor','Visser','Weber','Laurent','Greco',
               'Fernández','Anderson','Smit','Wagner','Girard','Conti','Ruiz','Thomas','Meijer',
               'Becker','Bonnet','Ricci','Díaz','Moore','de Boer','Hoffmann'] AS a)
           INSERT INTO users (email, password_hash, role, created_at, updated_at)
           SELECT lower(translate(f.a[1 + (g % 50)] || '.' || replace(l.a[1 + ((g / 50) % 50)], ' ', ''),
                                  'éüíáóëç', 'euiaoec'))
                      || '.' || g || '@example.com',
                  -- Not a hash: no password signs in until its owner sets one.
                  '!generated', 'customer',
                  now() - interval '760 days' + g * (interval '750 days' / $1),
                  now() - interval '760 days' + g * (interval '750 days' / $1)
           FROM generate_series(1, $1) g, firsts f, lasts l"#,
        )
        .bind(customers)
    .execute(&mut *conn)
    .await?
    .rows_affected() as i64;
    sqlx::query(
        "CREATE TEMP TABLE gen_customers ON COMMIT PRESERVE ROWS AS
         SELECT row_number() OVER (ORDER BY id) AS n, id, email,
                initcap(split_part(split_part(email, '@', 1), '.', 1)) || ' '
                    || initcap(split_part(split_part(email, '@', 1), '.', 2)) AS name
         FROM users WHERE password_hash = '!generated'",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("CREATE UNIQUE INDEX ON gen_customers (n)")
        .execute(&mut *conn)
        .await?;
    let mut first = 1_i64;
    while first <= orders {
        let last = (first + BATCH - 1).min(orders);
        let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
        // The batch's orders: when, from whom, to where, how many lines.
        sqlx::query(
            r#"CREATE TEMP TABLE gen_orders ON COMMIT DROP AS
               WITH picks AS MATERIALIZED (
                   SELECT g AS i,
                          -- Placed: the quantile of a density rising from 1 to 3 over
                          -- the two years, with a few minutes' jitter.
                          now() - interval '730 days'
                              + ((sqrt(1 + 8 * ((g - 0.5) / $3)) - 1) / 2) * interval '730 days'
                              - random() * interval '5 minutes' AS placed_at,
                          random() AS fate, random() AS who, random() AS coupon,
                          1 + floor(random() * random() * 4)::int AS lines,
                          (ARRAY['NL','DE','FR','BE','ES','IT','AT','GB','US','SE','DK','IE'])
                              [1 + floor(random() * 12)::int] AS country
                   FROM generate_series($1::bigint, $2::bigint) g
               )
               SELECT p.*, c.id AS user_id,
                      coalesce(c.email, 'guest.' || p.i || '@example.org') AS email,
                      coalesce(c.name, (SELECT name FROM gen_customers
                                        WHERE n = 1 + (p.i * 7919) % $4)) AS name,
                      CASE WHEN p.fate < 0.03 THEN 'cancelled'
                           WHEN p.placed_at < now() - interval '14 days' THEN 'delivered'
                           WHEN p.placed_at < now() - interval '5 days' THEN
                                CASE WHEN p.fate < 0.8 THEN 'delivered' ELSE 'fulfilled' END
                           WHEN p.placed_at < now() - interval '1 day' THEN
                                CASE WHEN p.fate < 0.3 THEN 'delivered'
                                     WHEN p.fate < 0.8 THEN 'fulfilled' ELSE 'paid' END
                           ELSE CASE WHEN p.fate < 0.2 THEN 'fulfilled' ELSE 'paid' END
                      END AS status
               FROM picks p
               LEFT JOIN gen_customers c
                   ON p.who < 0.7 AND c.n = 1 + floor(p.who / 0.7 * $4)::bigint"#,
        )
        .bind(first)
        .bind(last)
        .bind(orders as f64)
        .bind(customers)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "CREATE TEMP TABLE gen_lines ON COMMIT DROP AS
             WITH picks AS MATERIALIZED (
                 SELECT o.i, k, 1 + floor(random() * $1)::bigint AS pick,
                        1 + floor(random() * random() * 3)::int AS quantity
                 FROM gen_orders o CROSS JOIN LATERAL generate_series(1, o.lines) k
             )
             SELECT p.i, p.k, v.id AS variant_id, v.sku, v.name, v.price AS unit_price, p.quantity
             FROM picks p JOIN gen_variants v ON v.n = p.pick",
        )
        .bind(variants as f64)
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            r#"WITH sums AS (
                   SELECT i, sum(unit_price * quantity) AS subtotal FROM gen_lines GROUP BY i
               ), priced AS (
                   SELECT o.*, s.subtotal,
                          CASE WHEN o.coupon < 0.08 THEN round(s.subtotal * 0.10, 2) ELSE 0 END
                              AS discount,
                          CASE WHEN s.subtotal >= 50 THEN 0 ELSE 4.95 END AS shipping
                   FROM gen_orders o JOIN sums s USING (i)
               )
               INSERT INTO orders (checkout_token, user_id, email, status, currency, subtotal,
                                   discount, shipping, tax, tax_included, total, coupon_code,
                                   shipping_method, shipping_address, billing_address,
                                   placed_at, updated_at, payment_state, fulfilment_state)
               SELECT 'generated-' || lpad(i::text, 10, '0'), user_id, email, status, 'EUR',
                      subtotal, discount, shipping,
                      round((subtotal - discount + shipping) * 21 / 121, 2), true,
                      subtotal - discount + shipping,
                      CASE WHEN discount > 0 THEN 'WELCOME10' END,
                      CASE WHEN shipping = 0 THEN 'Free standard delivery' ELSE 'Standard' END,
                      a.address, a.address, placed_at, placed_at,
                      CASE WHEN status = 'cancelled' THEN 'void' ELSE 'paid' END,
                      CASE status WHEN 'delivered' THEN 'delivered'
                                  WHEN 'fulfilled' THEN 'shipped' ELSE 'unfulfilled' END
               FROM priced,
                    LATERAL (SELECT jsonb_build_object(
                        'name', name, 'line1', (i % 200 + 1) || ' Market Street', 'line2', '',
                        'city', 'Springfield', 'region', '', 'postal_code', lpad((i % 9000 + 1000)::text, 4, '0'),
                        'country', country, 'phone', '') AS address) a
               ORDER BY i"#,
        )
        .execute(&mut *tx)
        .await?;
        made.orders += inserted.rows_affected() as i64;
        // The orders' ids by batch position, for their lines, history and payments.
        sqlx::query(
            "CREATE TEMP TABLE gen_ids ON COMMIT DROP AS
             SELECT substr(checkout_token, 11)::bigint AS i, id, number, status, total, placed_at
             FROM orders WHERE checkout_token >= 'generated-' || lpad($1::text, 10, '0')
                           AND checkout_token <= 'generated-' || lpad($2::text, 10, '0')",
        )
        .bind(first)
        .bind(last)
        .execute(&mut *tx)
        .await?;
        made.lines += sqlx::query(
            "INSERT INTO order_lines (order_id, variant_id, sku, name, unit_price, quantity,
                                      line_total, stock_taken)
             SELECT o.id, l.variant_id, l.sku, left(l.name, 200), l.unit_price, l.quantity,
                    l.unit_price * l.quantity, false
             FROM gen_lines l JOIN gen_ids o USING (i) ORDER BY o.id, l.k",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected() as i64;
        // Each order's history: placed, then paid and on, or cancelled an hour later.
        made.events += sqlx::query(
            "INSERT INTO order_events (order_id, from_status, to_status, note, at)
             SELECT o.id, e.from_status, e.to_status, e.note, least(o.placed_at + e.after, now())
             FROM gen_ids o
             CROSS JOIN LATERAL (VALUES
                 (1, NULL, 'pending_payment', 'Order placed', interval '0'),
                 (2, 'pending_payment', 'cancelled', 'Not paid in time; the stock went back on sale', interval '1 hour'),
                 (3, 'pending_payment', 'paid', 'Payment received', interval '2 minutes'),
                 (4, 'paid', 'fulfilled', 'Shipped', interval '1 day 3 hours'),
                 (5, 'fulfilled', 'delivered', 'Delivered', interval '3 days 5 hours')
             ) AS e(step, from_status, to_status, note, after)
             WHERE e.step = 1
                OR (e.step = 2 AND o.status = 'cancelled')
                OR (e.step = 3 AND o.status <> 'cancelled')
                OR (e.step = 4 AND o.status IN ('fulfilled', 'delivered'))
                OR (e.step = 5 AND o.status = 'delivered')
             ORDER BY o.id, e.step",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected() as i64;
        made.payments += sqlx::query(
            "INSERT INTO payments (order_id, provider, reference, amount, currency, status,
                                   created_at)
             SELECT id, 'test', 'generated-' || number, total, 'EUR', 'succeeded',
                    least(placed_at + interval '2 minutes', now())
             FROM gen_ids WHERE status <> 'cancelled' ORDER BY id",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected() as i64;
        // A parcel for each shipped order, with all its units, tracked with DHL.
        made.shipments += sqlx::query(
            "INSERT INTO shipments (order_id, carrier, tracking_number, tracking_url,
                                    shipped_at, delivered_at)
             SELECT o.id, c.name, 'JVGL' || lpad(o.number::text, 12, '0'),
                    replace(c.tracking_url, '{tracking}', 'JVGL' || lpad(o.number::text, 12, '0')),
                    least(o.placed_at + interval '1 day 3 hours', now()),
                    CASE WHEN o.status = 'delivered'
                         THEN least(o.placed_at + interval '3 days 5 hours', now()) END
             FROM gen_ids o, carriers c
             WHERE o.status IN ('fulfilled', 'delivered') AND c.name = 'DHL'
             ORDER BY o.id",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected() as i64;
        sqlx::query(
            "INSERT INTO shipment_lines (shipment_id, order_line_id, quantity)
             SELECT s.id, l.id, l.quantity
             FROM gen_ids o JOIN shipments s ON s.order_id = o.id
             JOIN order_lines l ON l.order_id = o.id
             ORDER BY s.id, l.id",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        progress(last);
        first = last + 1;
    }
    sqlx::query("DROP TABLE gen_variants, gen_customers")
        .execute(&mut *conn)
        .await?;
    sqlx::query("ANALYZE orders, order_lines, order_events, payments, users")
        .execute(&mut *conn)
        .await?;
    // The dashboard reads its best sellers from an index alone once the table's pages
    // are marked all-visible (autovacuum would, later).
    sqlx::query("VACUUM (ANALYZE) daily_sales, daily_product_sales, daily_carts")
        .execute(&mut *conn)
        .await?;
    made.seconds = started.elapsed().as_secs_f64();
    Ok(made)
}
