//! The demo catalog: a believable shop generated from a fixed seed, so every fresh demo
//! and every test sees the same products. The same generator fills large catalogs for
//! benchmarks.

use super::{ProductStatus, Sku, Slug};
use crate::inventory::MovementReason;
use crate::Error;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::collections::{HashMap, HashSet};

/// The seed of the demo shop. Change it and every demo changes.
pub const DEMO_SEED: u64 = 0x4d45_5243_4154_4f21;
/// Products per subcategory in the demo shop (12 subcategories: 240 products).
pub const DEMO_PRODUCTS_PER_CATEGORY: usize = 20;

/// SplitMix64: tiny, fast and stable forever (a library's generator may change its
/// output between versions, which would change the demo shop).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

struct Department {
    name: &'static str,
    slug: &'static str,
    colour: &'static str,
    description: &'static str,
    subs: &'static [Sub],
}

struct Sub {
    name: &'static str,
    slug: &'static str,
    /// The artwork drawn for its products (see `art`).
    kind: &'static str,
    nouns: &'static [&'static str],
    options: &'static [(&'static str, &'static [&'static str])],
    /// Price range in whole currency units.
    price: (u32, u32),
    weight_grams: u32,
}

const DEPARTMENTS: &[Department] = &[
    Department {
        name: "Clothing",
        slug: "clothing",
        colour: "#0f766e",
        description: "Everyday clothes in natural fibres, made to be worn for years.",
        subs: &[
            Sub {
                name: "T-shirts",
                slug: "t-shirts",
                kind: "tshirt",
                nouns: &[
                    "Organic Cotton Tee",
                    "Pocket Tee",
                    "Slub Tee",
                    "Long-Sleeve Tee",
                    "Heavyweight Tee",
                    "Henley",
                ],
                options: &[
                    ("Size", &["XS", "S", "M", "L", "XL"]),
                    (
                        "Colour",
                        &["Black", "White", "Sage", "Navy", "Rust", "Sand"],
                    ),
                ],
                price: (19, 39),
                weight_grams: 180,
            },
            Sub {
                name: "Hoodies",
                slug: "hoodies",
                kind: "hoodie",
                nouns: &[
                    "Merino Hoodie",
                    "Zip Hoodie",
                    "Fleece Hoodie",
                    "Loopback Hoodie",
                    "Pullover Hoodie",
                ],
                options: &[
                    ("Size", &["S", "M", "L", "XL"]),
                    ("Colour", &["Charcoal", "Oatmeal", "Forest", "Navy", "Plum"]),
                ],
                price: (49, 119),
                weight_grams: 520,
            },
            Sub {
                name: "Jackets",
                slug: "jackets",
                kind: "jacket",
                nouns: &[
                    "Rain Jacket",
                    "Down Jacket",
                    "Chore Coat",
                    "Softshell Jacket",
                    "Quilted Vest",
                ],
                options: &[
                    ("Size", &["S", "M", "L", "XL"]),
                    ("Colour", &["Black", "Olive", "Navy", "Ochre"]),
                ],
                price: (89, 289),
                weight_grams: 750,
            },
        ],
    },
    Department {
        name: "Home & living",
        slug: "home",
        colour: "#b45309",
        description: "Things for the kitchen, the table and slow evenings.",
        subs: &[
            Sub {
                name: "Mugs & cups",
                slug: "mugs",
                kind: "mug",
                nouns: &[
                    "Stoneware Mug",
                    "Espresso Cup",
                    "Travel Mug",
                    "Latte Bowl",
                    "Enamel Mug",
                ],
                options: &[("Colour", &["Speckled White", "Slate", "Terracotta", "Moss"])],
                price: (12, 32),
                weight_grams: 350,
            },
            Sub {
                name: "Candles",
                slug: "candles",
                kind: "candle",
                nouns: &[
                    "Soy Candle",
                    "Travel Tin Candle",
                    "Pillar Candle",
                    "Taper Candles",
                ],
                options: &[(
                    "Scent",
                    &["Cedar & Smoke", "Fig Leaf", "Sea Salt", "Amber", "Lavender"],
                )],
                price: (14, 48),
                weight_grams: 300,
            },
            Sub {
                name: "Blankets & throws",
                slug: "blankets",
                kind: "blanket",
                nouns: &["Wool Throw", "Cotton Blanket", "Linen Quilt", "Knit Throw"],
                options: &[
                    ("Size", &["Throw", "Queen", "King"]),
                    ("Colour", &["Oat", "Rust", "Sage", "Grey"]),
                ],
                price: (59, 249),
                weight_grams: 1400,
            },
        ],
    },
    Department {
        name: "Outdoors",
        slug: "outdoors",
        colour: "#1d4ed8",
        description: "Gear for long walks, short nights and everything in between.",
        subs: &[
            Sub {
                name: "Backpacks",
                slug: "backpacks",
                kind: "backpack",
                nouns: &[
                    "Daypack",
                    "Roll-Top Pack",
                    "Trail Pack",
                    "Commuter Backpack",
                    "Sling Bag",
                ],
                options: &[
                    ("Capacity", &["18 L", "24 L", "32 L"]),
                    ("Colour", &["Black", "Moss", "Sand", "Cobalt"]),
                ],
                price: (59, 189),
                weight_grams: 900,
            },
            Sub {
                name: "Water bottles",
                slug: "water-bottles",
                kind: "bottle",
                nouns: &["Insulated Bottle", "Steel Flask", "Trail Bottle", "Tumbler"],
                options: &[
                    ("Size", &["500 ml", "750 ml", "1 L"]),
                    ("Colour", &["Silver", "Black", "Glacier", "Coral"]),
                ],
                price: (19, 45),
                weight_grams: 400,
            },
            Sub {
                name: "Tents",
                slug: "tents",
                kind: "tent",
                nouns: &[
                    "Backpacking Tent",
                    "Dome Tent",
                    "Ultralight Shelter",
                    "Family Tent",
                ],
                options: &[("Capacity", &["1-person", "2-person", "3-person"])],
                price: (149, 649),
                weight_grams: 2200,
            },
        ],
    },
    Department {
        name: "Accessories",
        slug: "accessories",
        colour: "#be123c",
        description: "Small things that make the outfit, and the day.",
        subs: &[
            Sub {
                name: "Hats",
                slug: "hats",
                kind: "hat",
                nouns: &["Wool Beanie", "Canvas Cap", "Bucket Hat", "Sun Hat"],
                options: &[("Colour", &["Black", "Rust", "Forest", "Cream"])],
                price: (19, 49),
                weight_grams: 120,
            },
            Sub {
                name: "Socks",
                slug: "socks",
                kind: "socks",
                nouns: &[
                    "Merino Socks",
                    "Hiking Socks",
                    "Crew Socks",
                    "No-Show Socks",
                ],
                options: &[
                    ("Size", &["S", "M", "L"]),
                    ("Colour", &["Grey", "Navy", "Mustard"]),
                ],
                price: (9, 24),
                weight_grams: 80,
            },
            Sub {
                name: "Bags",
                slug: "bags",
                kind: "bag",
                nouns: &["Canvas Tote", "Market Bag", "Crossbody Bag", "Weekender"],
                options: &[("Colour", &["Natural", "Black", "Olive", "Tan"])],
                price: (24, 159),
                weight_grams: 600,
            },
        ],
    },
];

const ADJECTIVES: &[&str] = &[
    "Alpine",
    "Harbor",
    "Meadow",
    "Summit",
    "Coastal",
    "Nordic",
    "Canyon",
    "Willow",
    "Ember",
    "Cedar",
    "Juniper",
    "Granite",
    "Tidal",
    "Aurora",
    "Fjord",
    "Sierra",
    "Maple",
    "Driftwood",
    "Saffron",
    "Indigo",
];

const OPENERS: &[&str] = &[
    "Made in small batches by a family workshop we have worked with for years.",
    "Designed to be used every day and to look better with age.",
    "Our best-selling shape, reworked with a sturdier build and a softer finish.",
    "Simple, honest and built to last, with nothing you do not need.",
    "A quiet classic: the kind of thing you reach for without thinking.",
];
const MIDDLES: &[&str] = &[
    "Every piece is checked by hand before it leaves the workshop.",
    "Materials are sourced from suppliers who pay fair wages.",
    "It packs flat, travels well and shrugs off the odd knock.",
    "The finish is free of PFAS and other forever chemicals.",
    "Repairs are free for the first two years: just send it back.",
];
const CLOSERS: &[&str] = &[
    "Care: wash cool, dry flat, and it will keep for years.",
    "Ships in recycled, plastic-free packaging.",
    "Free returns within 30 days if it is not quite right.",
    "Pairs well with the rest of the collection.",
];

/// A category to insert; `parent` names its parent by slug.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCategory {
    pub slug: Slug,
    pub name: String,
    pub parent: Option<Slug>,
    pub colour: String,
    pub description: String,
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewVariant {
    pub sku: Sku,
    pub values: [Option<String>; 3],
    pub price: Decimal,
    pub compare_at_price: Option<Decimal>,
    pub weight_grams: i32,
    pub on_hand: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub slug: Slug,
    pub name: String,
    pub category: Slug,
    pub description: String,
    pub featured: bool,
    /// How long ago it was added, so "newest" has something to sort.
    pub age_hours: i32,
    pub options: Vec<String>,
    pub variants: Vec<NewVariant>,
    /// (url, alt text)
    pub images: Vec<(String, String)>,
}

/// The columns a listing filters and sorts by, as `refresh_product_listing` in the
/// migrations computes them from the variants.
#[derive(Debug, Clone, PartialEq)]
struct Listing {
    min_price: Option<Decimal>,
    max_price: Option<Decimal>,
    compare_at: Option<Decimal>,
    in_stock: bool,
    facets: Vec<String>,
}

impl NewProduct {
    fn listing(&self) -> Listing {
        let mut facets: Vec<String> = self
            .variants
            .iter()
            .flat_map(|v| {
                self.options
                    .iter()
                    .zip(&v.values)
                    .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}:{v}")))
            })
            .collect();
        facets.sort();
        facets.dedup();
        Listing {
            min_price: self.variants.iter().map(|v| v.price).min(),
            max_price: self.variants.iter().map(|v| v.price).max(),
            compare_at: self
                .variants
                .iter()
                .filter_map(|v| v.compare_at_price)
                .max(),
            in_stock: self.variants.iter().any(|v| v.on_hand > 0),
            facets,
        }
    }
}

/// A whole catalog, generated but not yet stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub categories: Vec<NewCategory>,
    pub products: Vec<NewProduct>,
}

/// Generates a catalog with `per_category` products in each of the 12 subcategories.
pub fn generate(seed: u64, per_category: usize) -> Result<Catalog, Error> {
    let mut rng = Rng(seed);
    let mut categories = Vec::new();
    let mut products = Vec::new();
    let mut slugs = HashSet::new();
    for (d, dept) in DEPARTMENTS.iter().enumerate() {
        let dept_slug = slug(dept.slug)?;
        categories.push(NewCategory {
            slug: dept_slug.clone(),
            name: dept.name.to_owned(),
            parent: None,
            colour: dept.colour.to_owned(),
            description: dept.description.to_owned(),
            position: d as i32,
        });
        for (s, sub) in dept.subs.iter().enumerate() {
            let sub_slug = slug(sub.slug)?;
            categories.push(NewCategory {
                slug: sub_slug.clone(),
                name: sub.name.to_owned(),
                parent: Some(dept_slug.clone()),
                colour: dept.colour.to_owned(),
                description: format!("{} from makers we trust.", sub.name),
                position: s as i32,
            });
            for i in 0..per_category {
                let product = generate_product(&mut rng, dept, sub, &sub_slug, i)?;
                if !slugs.insert(product.slug.clone()) {
                    return Err(Error::internal(format!("duplicate slug {}", product.slug)));
                }
                products.push(product);
            }
        }
    }
    Ok(Catalog {
        categories,
        products,
    })
}

fn generate_product(
    rng: &mut Rng,
    dept: &Department,
    sub: &Sub,
    category: &Slug,
    index: usize,
) -> Result<NewProduct, Error> {
    // Each block of `combos` indices names every adjective-noun pair exactly once: for a
    // fixed noun, the adjective index below runs through all adjectives as `round` does.
    let combos = ADJECTIVES.len() * sub.nouns.len();
    let within = index % combos;
    let (round, noun) = (within / sub.nouns.len(), within % sub.nouns.len());
    let adjective = ADJECTIVES[(round + 7 * noun + sub.slug.len()) % ADJECTIVES.len()];
    let noun = sub.nouns[noun];
    // Past every adjective-noun pair, big catalogs number their products.
    let name = match index / combos {
        0 => format!("{adjective} {noun}"),
        n => format!("{adjective} {noun} No. {}", n + 1),
    };
    let product_slug = Slug::from_name(&name).map_err(|e| Error::internal(e.to_string()))?;
    let description = format!(
        "{} {} {}",
        rng.pick(OPENERS),
        rng.pick(MIDDLES),
        rng.pick(CLOSERS)
    );

    // Each product offers a subset of the option values, in the list's order.
    let options: Vec<(&str, Vec<&str>)> = sub
        .options
        .iter()
        .map(|(option, values)| {
            let mut chosen: Vec<&str> = values.iter().copied().filter(|_| rng.chance(75)).collect();
            if chosen.is_empty() {
                chosen.push(values[0]);
            }
            (*option, chosen)
        })
        .collect();

    let (lo, hi) = sub.price;
    let whole = lo + rng.below(u64::from(hi - lo + 1)) as u32;
    let cents = if rng.chance(70) { 99 } else { 0 };
    let base = Decimal::new(i64::from(whole) * 100 + cents, 2);
    let on_sale = rng.chance(20);
    let sold_out = rng.chance(6);
    let code = sku_code(&name, index);

    let mut variants = Vec::new();
    for (position, values) in cartesian(&options).into_iter().enumerate() {
        // Bigger sizes cost a little more in some products.
        let step = if position > 0 && rng.chance(25) { 2 } else { 0 };
        let price = base + Decimal::from(step * position as i64 % 10);
        let compare_at_price = on_sale.then(|| {
            let markup = Decimal::new(120 + rng.below(25) as i64, 2);
            (price * markup).round_dp(0)
        });
        let mut value_codes = String::new();
        for v in &values {
            value_codes.push('-');
            value_codes.extend(
                v.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(3)
                    .map(|c| c.to_ascii_uppercase()),
            );
        }
        let sku = Sku::parse(&format!("{code}{value_codes}"))
            .map_err(|e| Error::internal(e.to_string()))?;
        let on_hand = if sold_out || rng.chance(10) {
            0
        } else {
            1 + rng.below(40) as i32
        };
        let mut slots: [Option<String>; 3] = [None, None, None];
        for (slot, v) in slots.iter_mut().zip(&values) {
            *slot = Some((*v).to_owned());
        }
        variants.push(NewVariant {
            sku,
            values: slots,
            price,
            compare_at_price,
            weight_grams: sub.weight_grams as i32,
            on_hand,
        });
    }

    let art_colour = dept.colour.trim_start_matches('#');
    let images = (0..1 + rng.below(3))
        .map(|n| {
            (
                format!(
                    "/media/art/{}-{art_colour}-{}.svg",
                    sub.kind,
                    (index as u64 + n) % 6
                ),
                format!("{name}, view {}", n + 1),
            )
        })
        .collect();

    Ok(NewProduct {
        slug: product_slug,
        name,
        category: category.clone(),
        description,
        featured: index % 10 == 3,
        age_hours: rng.below(24 * 120) as i32,
        options: options.iter().map(|(o, _)| (*o).to_owned()).collect(),
        variants,
        images,
    })
}

/// Every combination of the options' values, first option varying slowest.
fn cartesian<'a>(options: &[(&str, Vec<&'a str>)]) -> Vec<Vec<&'a str>> {
    let mut rows: Vec<Vec<&str>> = vec![Vec::new()];
    for (_, values) in options {
        rows = rows
            .into_iter()
            .flat_map(|row| {
                values.iter().map(move |v| {
                    let mut next = row.clone();
                    next.push(v);
                    next
                })
            })
            .collect();
    }
    rows
}

/// A short product code for SKUs: initials of the name plus the index.
fn sku_code(name: &str, index: usize) -> String {
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(char::is_ascii_alphabetic))
        .map(|c| c.to_ascii_uppercase())
        .take(4)
        .collect();
    format!("{initials}{index:03}")
}

fn slug(s: &str) -> Result<Slug, Error> {
    Slug::parse(s).map_err(|e| Error::internal(e.to_string()))
}

/// Fills an empty shop with the demo catalog. Does nothing (and says so) when the shop
/// already has categories, so it is safe on every start and from several processes.
pub async fn seed_demo_if_empty(pool: &PgPool) -> Result<Option<usize>, Error> {
    let catalog = generate(DEMO_SEED, DEMO_PRODUCTS_PER_CATEGORY)?;
    let stored = insert_if_empty(pool, &catalog).await?;
    if stored {
        insert_demo_settings(pool).await?;
    }
    Ok(stored.then_some(catalog.products.len()))
}

/// The demo shop's coupons, shipping zones and rates, and tax rates.
async fn insert_demo_settings(pool: &PgPool) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    // Coupons that show each rule at work; the README lists them.
    sqlx::query!(
        "INSERT INTO coupons (code, description, kind, value, min_subtotal, starts_at, ends_at,
                              max_uses, max_uses_per_customer)
         VALUES
           ('WELCOME10', '10% off your order', 'percent', 10, 0, NULL, NULL, NULL, 1),
           ('TAKE10', '10% off for everyone', 'percent', 10, 0, NULL, NULL, NULL, NULL),
           ('SAVE5', '5 off orders of 40 or more', 'fixed', 5, 40, NULL, NULL, NULL, NULL),
           ('FREESHIP', 'Free shipping over 50', 'free_shipping', 0, 50, NULL, NULL, NULL, NULL),
           ('SPRING', 'Last spring''s sale', 'percent', 20, 0,
            now() - interval '90 days', now() - interval '1 day', NULL, NULL),
           ('NEXTMONTH', 'Opens in a month', 'percent', 15, 0,
            date_trunc('day', now()) + interval '30 days', NULL, NULL, NULL),
           ('GONE', 'All used', 'percent', 50, 0, NULL, NULL, 1, NULL)
         ON CONFLICT (code) WHERE deleted_at IS NULL DO NOTHING"
    )
    .execute(&mut *tx)
    .await?;
    sqlx::raw_sql(crate::checkout::shipping::DEMO)
        .execute(&mut *tx)
        .await?;
    // GONE has had its one use.
    sqlx::query!(
        "INSERT INTO coupon_redemptions (coupon_id, email)
         SELECT id, 'someone@example.com' FROM coupons
         WHERE code = 'GONE' AND deleted_at IS NULL AND NOT EXISTS
             (SELECT 1 FROM coupon_redemptions r WHERE r.coupon_id = coupons.id)"
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Stores `catalog` in one transaction if the shop has no categories yet; false if it has.
pub async fn insert_if_empty(pool: &PgPool, catalog: &Catalog) -> Result<bool, Error> {
    let mut tx = pool.begin().await?;
    // Two servers starting at once must not both seed.
    sqlx::query!("SELECT pg_advisory_xact_lock(7270001)")
        .execute(&mut *tx)
        .await?;
    let seeded = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM categories) AS "seeded!""#)
        .fetch_one(&mut *tx)
        .await?;
    if seeded {
        return Ok(false);
    }
    insert(&mut tx, catalog).await?;
    tx.commit().await?;
    // Fresh statistics for the planner, and a visibility map so that listings can
    // count from their covering index alone, without waiting for autovacuum.
    sqlx::raw_sql("VACUUM (ANALYZE) categories, products, variants, inventory, product_images")
        .execute(pool)
        .await?;
    Ok(true)
}

/// Stores a generated catalog with a handful of bulk statements per chunk of products.
///
/// Runs inside the caller's transaction. The triggers that keep the products' listing
/// columns current are switched off meanwhile: the products are stored with those
/// columns already filled in (a test checks that the triggers' rule agrees), and
/// recomputing them would nearly double the time of a large catalog. `ALTER TABLE` is
/// transactional, so no other session ever sees the triggers off.
async fn insert(conn: &mut PgConnection, catalog: &Catalog) -> Result<(), Error> {
    sqlx::raw_sql(
        "ALTER TABLE variants DISABLE TRIGGER USER;
         ALTER TABLE inventory DISABLE TRIGGER USER;
         ALTER TABLE product_options DISABLE TRIGGER USER;",
    )
    .execute(&mut *conn)
    .await?;
    let category_ids = insert_categories(conn, &catalog.categories).await?;
    for chunk in catalog.products.chunks(2_000) {
        insert_products(conn, chunk, &category_ids).await?;
    }
    sqlx::raw_sql(
        "ALTER TABLE variants ENABLE TRIGGER USER;
         ALTER TABLE inventory ENABLE TRIGGER USER;
         ALTER TABLE product_options ENABLE TRIGGER USER;
         SELECT refresh_product_stock(NULL);
         DELETE FROM product_stock_queue;",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_categories(
    conn: &mut PgConnection,
    categories: &[NewCategory],
) -> Result<HashMap<String, i64>, Error> {
    let mut ids: HashMap<String, i64> = HashMap::new();
    // Parents first, so children can name them.
    for level in [true, false] {
        for c in categories.iter().filter(|c| c.parent.is_none() == level) {
            let parent = match &c.parent {
                Some(p) => Some(*ids.get(p.as_str()).ok_or(Error::NotFound)?),
                None => None,
            };
            let id = sqlx::query_scalar!(
                "INSERT INTO categories (parent_id, slug, name, description, colour, position)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                parent,
                c.slug.as_str(),
                c.name,
                c.description,
                c.colour,
                c.position,
            )
            .fetch_one(&mut *conn)
            .await?;
            ids.insert(c.slug.to_string(), id);
        }
    }
    Ok(ids)
}

async fn insert_products(
    conn: &mut PgConnection,
    products: &[NewProduct],
    category_ids: &HashMap<String, i64>,
) -> Result<(), Error> {
    let mut category = Vec::with_capacity(products.len());
    for p in products {
        category.push(
            *category_ids
                .get(p.category.as_str())
                .ok_or(Error::NotFound)?,
        );
    }
    // The listing columns are stored with the product, so that the triggers that keep
    // them up to date find nothing to change and no row is written twice.
    let listings: Vec<Listing> = products.iter().map(NewProduct::listing).collect();
    // Arrays of arrays must be rectangular in Postgres, so each product's facets travel
    // as one string, joined by the unit separator, which option values cannot contain.
    let rows = sqlx::query!(
        "INSERT INTO products (category_id, slug, name, description, status, featured,
                               created_at, min_price, max_price, compare_at, in_stock, facets)
         SELECT c, s, n, d, $12, f, now() - make_interval(hours => h),
                lo, hi, ca, st, string_to_array(fa, chr(31))
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::int[],
                     $7::numeric[], $8::numeric[], $9::numeric[], $10::bool[], $11::text[])
              AS t(c, s, n, d, f, h, lo, hi, ca, st, fa)
         RETURNING id, slug",
        &category,
        &products
            .iter()
            .map(|p| p.slug.to_string())
            .collect::<Vec<_>>(),
        &products.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        &products
            .iter()
            .map(|p| p.description.clone())
            .collect::<Vec<_>>(),
        &products.iter().map(|p| p.featured).collect::<Vec<_>>(),
        &products.iter().map(|p| p.age_hours).collect::<Vec<_>>(),
        &listings.iter().map(|l| l.min_price).collect::<Vec<_>>() as &[Option<Decimal>],
        &listings.iter().map(|l| l.max_price).collect::<Vec<_>>() as &[Option<Decimal>],
        &listings.iter().map(|l| l.compare_at).collect::<Vec<_>>() as &[Option<Decimal>],
        &listings.iter().map(|l| l.in_stock).collect::<Vec<_>>(),
        &listings
            .iter()
            .map(|l| l.facets.join("\u{1f}"))
            .collect::<Vec<_>>(),
        ProductStatus::Active as ProductStatus,
    )
    .fetch_all(&mut *conn)
    .await?;
    let product_ids: HashMap<String, i64> = rows.into_iter().map(|r| (r.slug, r.id)).collect();
    let id_of = |p: &NewProduct| {
        product_ids
            .get(p.slug.as_str())
            .copied()
            .ok_or(Error::NotFound)
    };

    let (mut o_product, mut o_position, mut o_name) = (vec![], vec![], vec![]);
    let (mut v_product, mut v_sku, mut v1, mut v2, mut v3) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut v_price, mut v_compare, mut v_weight, mut v_position, mut v_stock) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut i_product, mut i_position, mut i_url, mut i_alt) = (vec![], vec![], vec![], vec![]);
    for p in products {
        let id = id_of(p)?;
        for (n, option) in p.options.iter().enumerate() {
            o_product.push(id);
            o_position.push(n as i16 + 1);
            o_name.push(option.clone());
        }
        for (n, v) in p.variants.iter().enumerate() {
            v_product.push(id);
            v_sku.push(v.sku.to_string());
            let [a, b, c] = v.values.clone();
            v1.push(a);
            v2.push(b);
            v3.push(c);
            v_price.push(v.price);
            v_compare.push(v.compare_at_price);
            v_weight.push(v.weight_grams);
            v_position.push(n as i32);
            v_stock.push(v.on_hand);
        }
        for (n, (url, alt)) in p.images.iter().enumerate() {
            i_product.push(id);
            i_position.push(n as i32);
            i_url.push(url.clone());
            i_alt.push(alt.clone());
        }
    }
    sqlx::query!(
        "INSERT INTO product_options (product_id, position, name)
         SELECT * FROM UNNEST($1::bigint[], $2::smallint[], $3::text[])",
        &o_product,
        &o_position,
        &o_name,
    )
    .execute(&mut *conn)
    .await?;
    // Variants, their stock and the stock's first movement in one statement.
    sqlx::query!(
        "WITH v AS (
             INSERT INTO variants (product_id, sku, option1, option2, option3, price,
                                   compare_at_price, weight_grams, position)
             SELECT p, s, a, b, c, pr, cp, w, pos
             FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::numeric[], $7::numeric[], $8::int[], $9::int[])
                  AS t(p, s, a, b, c, pr, cp, w, pos)
             RETURNING id, sku),
         stock AS (SELECT * FROM UNNEST($2::text[], $10::int[]) AS t(sku, on_hand)),
         inv AS (
             INSERT INTO inventory (variant_id, on_hand)
             SELECT v.id, stock.on_hand FROM v JOIN stock USING (sku)
             RETURNING variant_id, on_hand)
         INSERT INTO inventory_movements (variant_id, delta, reason)
         SELECT variant_id, on_hand, $11 FROM inv WHERE on_hand > 0",
        &v_product,
        &v_sku,
        &v1 as &[Option<String>],
        &v2 as &[Option<String>],
        &v3 as &[Option<String>],
        &v_price,
        &v_compare as &[Option<Decimal>],
        &v_weight,
        &v_position,
        &v_stock,
        MovementReason::Initial as MovementReason,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("SELECT fill_option_values($1)", &o_product as &[i64])
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "INSERT INTO product_images (product_id, position, url, alt)
         SELECT * FROM UNNEST($1::bigint[], $2::int[], $3::text[], $4::text[])",
        &i_product,
        &i_position,
        &i_url,
        &i_alt,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_shop() {
        let a = generate(DEMO_SEED, 5).expect("catalog");
        let b = generate(DEMO_SEED, 5).expect("catalog");
        assert_eq!(a, b);
        let c = generate(DEMO_SEED + 1, 5).expect("catalog");
        assert_ne!(a, c);
    }

    #[test]
    fn the_demo_shop_has_what_the_pages_need() {
        let shop = generate(DEMO_SEED, DEMO_PRODUCTS_PER_CATEGORY).expect("catalog");
        assert_eq!(shop.categories.len(), 16);
        assert_eq!(
            shop.categories
                .iter()
                .filter(|c| c.parent.is_none())
                .count(),
            4
        );
        assert!(shop.products.len() >= 200, "{}", shop.products.len());
        let variants: Vec<&NewVariant> = shop.products.iter().flat_map(|p| &p.variants).collect();
        assert!(
            variants.iter().any(|v| v.compare_at_price.is_some()),
            "some on sale"
        );
        assert!(variants.iter().any(|v| v.on_hand == 0), "some sold out");
        assert!(shop.products.iter().any(|p| p.featured), "some featured");
        assert!(shop
            .products
            .iter()
            .all(|p| (1..=3).contains(&p.options.len())));
        assert!(shop
            .products
            .iter()
            .all(|p| (1..=3).contains(&p.images.len())));
    }

    #[test]
    fn large_catalogs_have_exactly_the_products_asked_for() {
        let shop = generate(DEMO_SEED, 1_000).expect("catalog");
        assert_eq!(shop.products.len(), 12_000, "no name may repeat");
    }

    #[test]
    fn generated_data_satisfies_the_database_constraints() {
        let shop = generate(DEMO_SEED, 150).expect("catalog");
        let mut skus = HashSet::new();
        let mut slugs = HashSet::new();
        for p in &shop.products {
            assert!(slugs.insert(p.slug.clone()), "duplicate slug {}", p.slug);
            for v in &p.variants {
                assert!(skus.insert(v.sku.clone()), "duplicate sku {}", v.sku);
                assert!(v.price >= Decimal::ZERO);
                assert_eq!(v.price.scale(), 2, "{}", v.price);
                if let Some(c) = v.compare_at_price {
                    assert!(c > v.price, "{c} <= {}", v.price);
                }
                assert!(v.on_hand >= 0);
                let set = v.values.iter().flatten().count();
                assert_eq!(set, p.options.len());
            }
        }
    }
}
