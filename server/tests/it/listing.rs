//! Category and search listings against the demo catalog: filters, facet counts,
//! sorting, pagination and search ranking, checked against plain SQL over the same data.

use crate::common::{seeded_app, TestApp};
use mercato::catalog::browse::{self, ListingCache};
use mercato::catalog::listing::{ListingQuery, Sort};
use mercato::catalog::read;
use mercato::catalog::view::{CategoryPage, SearchPage};
use mercato::Currency;
use rust_decimal::Decimal;

async fn category(app: &TestApp, slug: &str, query: &str) -> CategoryPage {
    read::category_page(
        &app.pool,
        &ListingCache::disabled(),
        Currency::EUR,
        slug,
        &ListingQuery::parse(query),
    )
    .await
    .expect("category page")
}

async fn search(app: &TestApp, query: &str) -> SearchPage {
    read::search_page(
        &app.pool,
        &ListingCache::disabled(),
        Currency::EUR,
        &ListingQuery::parse(query),
    )
    .await
    .expect("search page")
}

async fn count(app: &TestApp, sql: &str) -> u64 {
    let n: i64 = sqlx::query_scalar(sql)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    n as u64
}

/// Products in the `clothing` tree, as a WHERE clause over `p`.
const IN_CLOTHING: &str = "p.status = 'active' AND p.category_id IN (
    SELECT c.id FROM categories c LEFT JOIN categories parent ON parent.id = c.parent_id
    WHERE 'clothing' IN (c.slug, parent.slug))";

#[tokio::test]
async fn a_department_lists_its_subcategories_products_with_counts() {
    let app = seeded_app().await;
    let clothing = category(&app, "clothing", "").await;
    let children = &clothing.listing.facets.categories;
    assert_eq!(
        children.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>(),
        ["t-shirts", "hoodies", "jackets"]
    );
    for child in children {
        let page = category(&app, &child.slug, "").await;
        assert_eq!(page.ancestors.len(), 1);
        assert_eq!(page.ancestors[0].slug, "clothing");
        assert_eq!(page.listing.total, child.count, "{}", child.slug);
        assert!(
            page.listing.facets.categories.is_empty(),
            "a leaf has no children"
        );
    }
    let sum: u64 = children.iter().map(|c| c.count).sum();
    assert_eq!(clothing.listing.total, sum);
    assert_eq!(
        clothing.listing.total,
        count(
            &app,
            &format!("SELECT count(*) FROM products p WHERE {IN_CLOTHING}")
        )
        .await
    );
    assert_eq!(clothing.listing.products.len(), browse::PER_PAGE as usize);
}

#[tokio::test]
async fn pages_split_a_listing_without_overlap_newest_first() {
    let app = seeded_app().await;
    let first = category(&app, "home", "").await.listing;
    let second = category(&app, "home", "page=2").await.listing;
    let pages = first.page_count();
    let last = category(&app, "home", &format!("page={pages}"))
        .await
        .listing;
    let past = category(&app, "home", "page=999").await.listing;
    assert!(first.products.iter().all(|p| !second.products.contains(p)));
    let newest: Vec<String> = sqlx::query_scalar(
        "SELECT p.slug FROM products p JOIN categories c ON c.id = p.category_id
         LEFT JOIN categories parent ON parent.id = c.parent_id
         WHERE p.status = 'active' AND 'home' IN (c.slug, parent.slug)
         ORDER BY p.created_at DESC, p.id DESC LIMIT 24",
    )
    .fetch_all(&app.pool)
    .await
    .expect("newest");
    let shown: Vec<String> = first.products.iter().map(|p| p.slug.clone()).collect();
    assert_eq!(shown, newest, "newest first");
    assert_eq!(
        past.total, first.total,
        "the count does not depend on the page"
    );
    assert!(past.products.is_empty());
    let listed = (u64::from(pages) - 1) * u64::from(browse::PER_PAGE) + last.products.len() as u64;
    assert_eq!(listed, first.total);
}

#[tokio::test]
async fn in_stock_only_shows_what_can_be_bought_and_matches_its_count() {
    let app = seeded_app().await;
    let all = category(&app, "clothing", "").await.listing;
    let in_stock = category(&app, "clothing", "in_stock=1").await.listing;
    let expected = count(
        &app,
        &format!(
            "SELECT count(*) FROM products p WHERE {IN_CLOTHING} AND EXISTS (
                 SELECT 1 FROM variants v JOIN inventory i ON i.variant_id = v.id
                 WHERE v.product_id = p.id AND i.on_hand > 0)"
        ),
    )
    .await;
    assert_eq!(in_stock.total, expected);
    assert_eq!(
        all.facets.in_stock, expected,
        "the facet predicts the result"
    );
    assert!(expected < all.total, "the demo has sold-out products");
    assert!(in_stock.products.iter().all(|p| p.in_stock));
}

#[tokio::test]
async fn the_sale_filter_shows_what_the_cards_call_on_sale() {
    let app = seeded_app().await;
    let all = search(&app, "").await.listing;
    let sale = search(&app, "sale=1").await.listing;
    assert_eq!(sale.total, all.facets.on_sale);
    assert!(sale.total > 0 && sale.total < all.total);
    assert!(sale.products.iter().all(|p| p.on_sale()));
    // Together with "in stock", each count assumes the other filter.
    let both = search(&app, "sale=1&in_stock=1").await.listing;
    assert_eq!(both.total, sale.facets.in_stock);
    let html = app.get("/search?sale=1").await.text().await.expect("body");
    assert!(html.contains("<h1") && html.contains(">On sale</h1>"));
}

#[tokio::test]
async fn option_filters_or_within_an_option_and_and_across_options() {
    let app = seeded_app().await;
    let facet_sql = |values: &[&str]| {
        let wanted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
        format!(
            "SELECT count(*) FROM products p WHERE {IN_CLOTHING} AND EXISTS (
                 SELECT 1 FROM variants v JOIN product_options o
                   ON o.product_id = v.product_id AND o.name = 'Size'
                 WHERE v.product_id = p.id
                   AND CASE o.position WHEN 1 THEN v.option1 WHEN 2 THEN v.option2
                                       ELSE v.option3 END IN ({}))",
            wanted.join(",")
        )
    };
    let all = category(&app, "clothing", "").await.listing;
    let size = |listing: &mercato::catalog::listing::Listing, value: &str| {
        listing
            .facets
            .options
            .iter()
            .find(|o| o.name == "Size")
            .and_then(|o| o.values.iter().find(|v| v.value == value))
            .map(|v| (v.count, v.selected))
            .expect("size facet value")
    };

    let xs = category(&app, "clothing", "opt=Size:XS").await.listing;
    assert_eq!(xs.total, count(&app, &facet_sql(&["XS"])).await);
    assert_eq!(
        xs.total,
        size(&all, "XS").0,
        "the facet count predicts the result"
    );
    assert_eq!(size(&xs, "XS"), (xs.total, true));
    // Other sizes keep the counts they would add, so they can still be chosen.
    assert_eq!(size(&xs, "M"), size(&all, "M"));

    let xs_or_xl = category(&app, "clothing", "opt=Size:XS&opt=Size:XL")
        .await
        .listing;
    assert_eq!(xs_or_xl.total, count(&app, &facet_sql(&["XS", "XL"])).await);
    assert!(xs_or_xl.total > xs.total);

    let xs_and_black = category(&app, "clothing", "opt=Size:XS&opt=Colour:Black")
        .await
        .listing;
    let expected = count(
        &app,
        &format!("{} AND 'Colour:Black' = ANY (p.facets)", facet_sql(&["XS"])),
    )
    .await;
    assert_eq!(xs_and_black.total, expected);
    assert!(xs_and_black.total < xs.total);
    let black = xs_and_black
        .facets
        .options
        .iter()
        .find(|o| o.name == "Colour")
        .and_then(|o| o.values.iter().find(|v| v.value == "Black"))
        .expect("black");
    assert_eq!((black.count, black.selected), (xs_and_black.total, true));
}

#[tokio::test]
async fn unknown_option_values_and_bad_parameters_are_ignored() {
    let app = seeded_app().await;
    let all = category(&app, "clothing", "").await.listing;
    let unknown = category(&app, "clothing", "opt=Size:XXXXL&opt=Flavour:Mint")
        .await
        .listing;
    assert_eq!(unknown.total, all.total);
    assert!(unknown.query.options.is_empty(), "{:?}", unknown.query);
    let mixed = category(&app, "clothing", "opt=Size:XXXXL&opt=Size:XS")
        .await
        .listing;
    assert_eq!(mixed.query.to_query_string(), "opt=Size%3AXS");

    for query in [
        "?page=-1",
        "?page=abc",
        "?page=0",
        "?page=99999999999",
        "?page=%00",
        "?min_price=foo&max_price=bar",
        "?sort=cheapest",
        "?opt=%FF%FE",
        "?opt=Size",
        "?in_stock=%27",
        "?min_price=-5",
    ] {
        let res = app.get(&format!("/c/clothing{query}")).await;
        assert_eq!(res.status(), 200, "{query}");
    }
    let res = app.get("/c/clothing?page=500").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("body");
    assert!(html.contains("Nothing here on this page"));
}

#[tokio::test]
async fn price_filters_and_buckets_agree() {
    let app = seeded_app().await;
    let all = category(&app, "clothing", "").await.listing;
    let buckets: u64 = all.facets.prices.iter().map(|b| b.count).sum();
    assert_eq!(buckets, all.total, "every product is in one price bucket");
    for bucket in all.facets.prices.iter().filter(|b| b.count > 0) {
        let query = ListingQuery::parse("").with_price(bucket.min, bucket.max);
        let page = read::category_page(
            &app.pool,
            &ListingCache::disabled(),
            Currency::EUR,
            "clothing",
            &query,
        )
        .await
        .expect("bucket");
        assert_eq!(page.listing.total, bucket.count, "{bucket:?}");
        for card in &page.listing.products {
            assert!(bucket.min.is_none_or(|min| card.price.amount() >= min));
            assert!(bucket.max.is_none_or(|max| card.price.amount() <= max));
        }
    }
    // Bounds typed the wrong way round are swapped.
    let swapped = category(&app, "clothing", "min_price=100&max_price=50")
        .await
        .listing;
    let straight = category(&app, "clothing", "min_price=50&max_price=100")
        .await
        .listing;
    assert_eq!(swapped.total, straight.total);
    assert!(straight.total > 0);
}

#[tokio::test]
async fn sorting_by_price_orders_every_page() {
    let app = seeded_app().await;
    for (query, sort) in [
        ("sort=price_asc", Sort::PriceAsc),
        ("sort=price_desc", Sort::PriceDesc),
    ] {
        let first = category(&app, "outdoors", query).await.listing;
        let second = category(&app, "outdoors", &format!("{query}&page=2"))
            .await
            .listing;
        assert_eq!(first.sort, sort);
        let prices: Vec<Decimal> = first
            .products
            .iter()
            .chain(&second.products)
            .map(|p| p.price.amount())
            .collect();
        let mut sorted = prices.clone();
        sorted.sort();
        if sort == Sort::PriceDesc {
            sorted.reverse();
        }
        assert_eq!(prices, sorted, "{query}");
        assert_eq!(prices.len(), 2 * browse::PER_PAGE as usize);
    }
}

#[tokio::test]
async fn search_ranks_name_matches_first_and_tolerates_typos() {
    let app = seeded_app().await;
    let hoodies = search(&app, "q=hoodie").await;
    let total_hoodies = count(
        &app,
        "SELECT count(*) FROM products WHERE status = 'active' AND name ILIKE '%hoodie%'",
    )
    .await;
    assert!(total_hoodies > 5);
    assert!(hoodies.listing.total >= total_hoodies);
    assert_eq!(hoodies.listing.sort, Sort::Relevance);
    assert!(!hoodies.listing.spelled_differently);
    // Every product named a hoodie comes before anything else.
    let first: Vec<&str> = hoodies
        .listing
        .products
        .iter()
        .take(total_hoodies.min(24) as usize)
        .map(|p| p.name.as_str())
        .collect();
    assert!(
        first.iter().all(|n| n.to_lowercase().contains("hoodie")),
        "{first:?}"
    );

    let typo = search(&app, "q=hoodei").await;
    assert!(typo.listing.spelled_differently);
    assert_eq!(typo.listing.suggestion.as_deref(), Some("hoodie"));
    assert!(typo.listing.total > 0);
    assert!(
        typo.listing.products[0].name.contains("Hoodie"),
        "{:?}",
        typo.listing.products[0]
    );

    // Two words, one misspelled.
    let merino = search(&app, "q=merino+hoodei").await;
    assert_eq!(merino.listing.suggestion.as_deref(), Some("merino hoodie"));
}

#[tokio::test]
async fn a_search_that_finds_nothing_offers_a_way_on() {
    let app = seeded_app().await;
    let nothing = search(&app, "q=xylophone").await;
    assert_eq!(nothing.listing.total, 0);
    assert!(!nothing.fallback.is_empty(), "featured products instead");
    let html = app
        .get("/search?q=xylophone")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("No products match"));
    assert!(html.contains("Popular right now"));
}

#[tokio::test]
async fn search_can_be_narrowed_to_a_category_and_filtered() {
    let app = seeded_app().await;
    let everywhere = search(&app, "q=wool").await.listing;
    let departments: Vec<&str> = everywhere
        .facets
        .categories
        .iter()
        .map(|c| c.slug.as_str())
        .collect();
    assert!(departments.len() >= 2, "{departments:?}");
    let home = everywhere
        .facets
        .categories
        .iter()
        .find(|c| c.slug == "home")
        .expect("wool things for the home")
        .count;
    assert!(home < everywhere.total);
    let within = search(&app, "q=wool&category=home").await;
    assert_eq!(within.within.map(|c| c.slug), Some("home".to_owned()));
    assert_eq!(within.listing.total, home);
    let unknown = search(&app, "q=wool&category=no-such-thing").await;
    assert!(unknown.within.is_none());
    assert_eq!(unknown.listing.total, everywhere.total);
    let in_stock = search(&app, "q=wool&in_stock=1").await.listing;
    assert_eq!(in_stock.total, everywhere.facets.in_stock);
}

#[tokio::test]
async fn hostile_search_text_is_just_text() {
    let app = seeded_app().await;
    for q in [
        "%27%3B%20DROP%20TABLE%20products%3B--",
        "%22unbalanced",
        "%25%25%25",
        "___",
        "%5C%5C%5C",
        "%F0%9F%A7%A6%F0%9F%A7%A6",
        "!%26%7C%3C-%3E():*",
        "-",
        "or",
        "%00",
    ] {
        let res = app.get(&format!("/search?q={q}")).await;
        assert_eq!(res.status(), 200, "{q}");
    }
    let long = "a".repeat(500);
    assert_eq!(app.get(&format!("/search?q={long}")).await.status(), 200);
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&app.pool)
        .await
        .expect("still there");
    assert!(products > 0);
}

#[tokio::test]
async fn listing_columns_follow_stock_and_price_changes() {
    let app = seeded_app().await;
    // The seeder stores the listing columns itself; the database's own rule agrees.
    let snapshot = "SELECT coalesce(string_agg(concat_ws('|', id, min_price, max_price, compare_at,
                        in_stock, array_to_string(facets, ',')), ';' ORDER BY id), '')
                    FROM products";
    let before: String = sqlx::query_scalar(snapshot)
        .fetch_one(&app.pool)
        .await
        .expect("before");
    sqlx::query("SELECT refresh_product_listing(ARRAY(SELECT id FROM products))")
        .execute(&app.pool)
        .await
        .expect("refresh");
    let after: String = sqlx::query_scalar(snapshot)
        .fetch_one(&app.pool)
        .await
        .expect("after");
    assert_eq!(before, after);

    let (product, slug): (i64, String) =
        sqlx::query_as("SELECT id, slug FROM products WHERE in_stock ORDER BY id LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .expect("a product in stock");
    sqlx::query(
        "UPDATE inventory SET on_hand = 0
         WHERE variant_id IN (SELECT id FROM variants WHERE product_id = $1)",
    )
    .bind(product)
    .execute(&app.pool)
    .await
    .expect("sell out");
    sqlx::query("UPDATE variants SET price = 1.50, compare_at_price = NULL WHERE product_id = $1")
        .bind(product)
        .execute(&app.pool)
        .await
        .expect("reprice");
    let (min, max, compare_at, in_stock): (Decimal, Decimal, Option<Decimal>, bool) =
        sqlx::query_as(
            "SELECT min_price, max_price, compare_at, in_stock FROM products WHERE id = $1",
        )
        .bind(product)
        .fetch_one(&app.pool)
        .await
        .expect("listing columns");
    assert_eq!(
        (min, max, compare_at, in_stock),
        (Decimal::new(150, 2), Decimal::new(150, 2), None, false)
    );

    let cheapest = search(&app, "sort=price_asc").await.listing;
    assert_eq!(cheapest.products[0].slug, slug);
    assert!(!cheapest.products[0].in_stock);
    let in_stock = search(&app, "sort=price_asc&in_stock=1").await.listing;
    assert_ne!(in_stock.products[0].slug, slug);
}

/// Whether the listing says `product` is in stock.
async fn listed_in_stock(app: &TestApp, product: i64) -> bool {
    sqlx::query_scalar("SELECT in_stock FROM products WHERE id = $1")
        .bind(product)
        .fetch_one(&app.pool)
        .await
        .expect("product")
}

#[tokio::test]
async fn two_checkouts_selling_the_last_units_of_one_product_leave_it_sold_out() {
    let app = seeded_app().await;
    // A product whose only stock is one unit of each of two variants.
    let (product, a, b): (i64, i64, i64) = sqlx::query_as(
        "SELECT product_id, min(id), max(id) FROM variants
         GROUP BY product_id HAVING count(*) >= 2 ORDER BY product_id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a product with two variants");
    sqlx::query(
        "UPDATE inventory SET on_hand = CASE WHEN variant_id IN ($2, $3) THEN 1 ELSE 0 END
         WHERE variant_id IN (SELECT id FROM variants WHERE product_id = $1)",
    )
    .bind(product)
    .bind(a)
    .bind(b)
    .execute(&app.pool)
    .await
    .expect("stock");
    assert!(listed_in_stock(&app, product).await);

    // Each takes its unit before the other commits: neither sees the other's sale
    // while it runs, and the product must still end sold out.
    let mut first = app.pool.begin().await.expect("tx");
    let mut second = app.pool.begin().await.expect("tx");
    for (tx, variant) in [(&mut first, a), (&mut second, b)] {
        sqlx::query("UPDATE inventory SET on_hand = on_hand - 1 WHERE variant_id = $1")
            .bind(variant)
            .execute(&mut **tx)
            .await
            .expect("sell");
    }
    first.commit().await.expect("commit");
    second.commit().await.expect("commit");
    assert!(!listed_in_stock(&app, product).await);

    // Restocked: listed again. A sale that leaves units changes nothing listed.
    sqlx::query("UPDATE inventory SET on_hand = 3 WHERE variant_id = $1")
        .bind(a)
        .execute(&app.pool)
        .await
        .expect("restock");
    assert!(listed_in_stock(&app, product).await);
    sqlx::query("UPDATE inventory SET on_hand = 2 WHERE variant_id = $1")
        .bind(a)
        .execute(&app.pool)
        .await
        .expect("sell one");
    assert!(listed_in_stock(&app, product).await);
}

#[tokio::test]
async fn listing_pages_render_with_structured_data_and_working_forms() {
    let app = seeded_app().await;
    let html = app
        .get("/c/hoodies?opt=Size%3AM&sort=price_asc")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains(r#""@type":"BreadcrumbList""#));
    assert!(html.contains(r#""item":"https://shop.example/c/clothing""#));
    assert!(
        html.contains(r#"<link href="https://shop.example/c/hoodies" rel="canonical">"#),
        "filtered views point search engines at the plain category"
    );
    assert!(
        html.contains(r#"<form method="get" action="/c/hoodies""#)
            || html.contains(r#"action="/c/hoodies""#)
    );
    assert!(
        html.contains(r#"value="Size:M" checked"#),
        "the chosen value is ticked"
    );
    assert!(html.contains(r#"<option value="price_asc" selected"#));

    let html = app.get("/search?q=mug").await.text().await.expect("body");
    assert!(html.contains("Results for “mug”"));
    assert!(html.contains(r#"name="robots" content="noindex, follow""#));
}

#[tokio::test]
async fn facet_counts_are_reused_across_pages_and_sorts_only_while_fresh() {
    let app = seeded_app().await;
    let cache = ListingCache::new(std::time::Duration::from_secs(3600), 100);
    let view = |query: &'static str| {
        let (pool, cache) = (&app.pool, &cache);
        async move {
            read::category_page(
                pool,
                cache,
                Currency::EUR,
                "clothing",
                &ListingQuery::parse(query),
            )
            .await
            .expect("listing")
            .listing
        }
    };
    let before = view("").await;
    sqlx::query(
        "UPDATE inventory SET on_hand = 0 WHERE variant_id IN (
             SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id
             WHERE p.in_stock AND p.category_id IN (
                 SELECT id FROM categories WHERE slug = 't-shirts')
             ORDER BY v.id LIMIT 400)",
    )
    .execute(&app.pool)
    .await
    .expect("sell out some t-shirts");
    // Paging and re-sorting the same view reuse its counts...
    let paged = view("page=2&sort=price_asc").await;
    assert_eq!(paged.facets.in_stock, before.facets.in_stock);
    // ...while its products are always read fresh, and other views count afresh.
    let fresh = view("in_stock=1").await;
    assert!(
        fresh.total < before.facets.in_stock,
        "{} < {}",
        fresh.total,
        before.facets.in_stock
    );
    let uncached = read::category_page(
        &app.pool,
        &ListingCache::disabled(),
        Currency::EUR,
        "clothing",
        &ListingQuery::parse(""),
    )
    .await
    .expect("listing")
    .listing;
    assert_eq!(uncached.facets.in_stock, fresh.total);
}
