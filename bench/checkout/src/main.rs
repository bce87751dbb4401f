//! Concurrent shoppers checking out against a running shop, through the same server
//! functions the pages call: add to cart, details, delivery, review, pay with the test
//! card. Prints orders/s and the latency of the place-and-pay request, then asks the
//! shop (as its demo admin) whether stock still adds up.
//!
//! Usage: checkout-bench <base url> [clients] [orders per client] [variants to spread over]

// The report on stdout is what this program is for.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

const ADDRESS: &str = "email=bench%40example.com&name=Bench+Shopper&line1=Keizersgracht+1&city=Amsterdam&postal_code=1015+CJ&country=NL";

type Error = Box<dyn std::error::Error + Send + Sync>;

fn client() -> Result<reqwest::Client, Error> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// Calls a server function as the hydrated page does; the JSON it answers.
async fn call(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), Error> {
    let res = http
        .post(format!("{base}/api/{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", base)
        .body(body.to_owned())
        .send()
        .await?;
    let status = res.status().as_u16();
    Ok((status, res.text().await?))
}

/// Variant ids of up to `want` in-stock products (the variant each product page offers
/// first), from the shop's own search pages: spreading the buyers over many variants
/// keeps the run about checking out rather than about selling out.
async fn variants(base: &str, want: usize) -> Result<Vec<i64>, Error> {
    let http = client()?;
    let mut found = Vec::new();
    for page in 1..=50 {
        let search = http
            .get(format!("{base}/search?in_stock=1&page={page}"))
            .send()
            .await?
            .text()
            .await?;
        let before = found.len();
        let mut products = 0;
        for part in search.split("href=\"/p/").skip(1) {
            products += 1;
            let slug: String = part
                .chars()
                .take_while(|c| *c != '"' && *c != '?')
                .collect();
            let page = http
                .get(format!("{base}/p/{slug}"))
                .send()
                .await?
                .text()
                .await?;
            if let Some(at) = page.find("name=\"variant_id\" value=\"") {
                let digits: String = page[at + 25..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if let Ok(id) = digits.parse::<i64>() {
                    if !found.contains(&id) {
                        found.push(id);
                    }
                }
            }
            if found.len() >= want {
                return Ok(found);
            }
        }
        if products == 0 || found.len() == before {
            break;
        }
    }
    Ok(found)
}

enum Outcome {
    Paid(Duration),
    Refused(String),
}

/// One shopper's whole checkout; the time of the place-and-pay request.
async fn checkout(base: &str, variant: i64) -> Result<Outcome, Error> {
    let http = client()?;
    let (status, body) = call(
        &http,
        base,
        "cart/add",
        &format!("variant_id={variant}&quantity=1"),
    )
    .await?;
    if status != 200 {
        return Ok(Outcome::Refused(body));
    }
    let (status, body) = call(&http, base, "checkout/details", ADDRESS).await?;
    if status >= 400 {
        return Err(format!("details: {status} {body}").into());
    }
    let (_, shipping) = call(&http, base, "checkout/shipping/load", "").await?;
    let shipping: serde_json::Value = serde_json::from_str(&shipping)?;
    let rate = shipping["chosen"].as_i64().ok_or("no delivery option")?;
    call(&http, base, "checkout/shipping", &format!("rate={rate}")).await?;
    let (status, review) = call(&http, base, "checkout/review/load", "").await?;
    if status >= 400 {
        return Ok(Outcome::Refused(review));
    }
    let review: serde_json::Value = serde_json::from_str(&review)?;
    let token = review["token"]
        .as_str()
        .ok_or("no checkout token")?
        .to_owned();
    let started = Instant::now();
    let (status, body) = call(
        &http,
        base,
        "checkout/pay",
        &format!("token={token}&card_number=4242424242424242"),
    )
    .await?;
    let took = started.elapsed();
    Ok(if status < 400 {
        Outcome::Paid(took)
    } else {
        Outcome::Refused(body)
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn audit(base: &str) -> Result<String, Error> {
    let http = client()?;
    // bench/server.sh creates this admin for the run.
    let email = std::env::var("BENCH_ADMIN_EMAIL").unwrap_or_default();
    let password = std::env::var("BENCH_ADMIN_PASSWORD").unwrap_or_default();
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", &email)
        .append_pair("password", &password)
        .finish();
    call(&http, base, "account/sign-in", &form).await?;
    Ok(call(&http, base, "admin/stock-audit", "").await?.1)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:3207".to_owned());
    let clients: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(16);
    let per_client: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(150);
    let spread: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(200);
    let variants = variants(&base, spread).await?;
    if variants.is_empty() {
        return Err("no product in stock to buy".into());
    }
    println!("before: {}", audit(&base).await?);
    println!(
        "{clients} clients × {per_client} checkouts, over {} variants",
        variants.len()
    );
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let base = base.clone();
            let variants = variants.clone();
            tokio::spawn(async move {
                let mut results = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    // At each step the clients buy different variants, as shoppers
                    // mostly do; a run still comes back to each variant many times.
                    let variant = variants[(i * clients + c) % variants.len()];
                    results.push(checkout(&base, variant).await);
                }
                results
            })
        })
        .collect();
    let mut paid = Vec::new();
    let (mut refused, mut failed) = (0, 0);
    let mut example = String::new();
    for t in tasks {
        for r in t.await? {
            match r {
                Ok(Outcome::Paid(d)) => paid.push(d),
                Ok(Outcome::Refused(why)) => {
                    refused += 1;
                    example = why;
                }
                Err(e) => {
                    failed += 1;
                    example = e.to_string();
                }
            }
        }
    }
    let wall = started.elapsed();
    paid.sort();
    println!(
        "orders paid: {} in {:.1} s = {:.1} orders/s (whole checkouts, 6 requests each; {:.1} attempts/s)",
        paid.len(),
        wall.as_secs_f64(),
        paid.len() as f64 / wall.as_secs_f64(),
        (paid.len() + refused + failed) as f64 / wall.as_secs_f64()
    );
    println!(
        "place-and-pay request: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&paid, 0.5).as_secs_f64() * 1000.0,
        percentile(&paid, 0.99).as_secs_f64() * 1000.0
    );
    println!("refused (sold out and the like): {refused}; errors: {failed}");
    if !example.is_empty() {
        println!(
            "  for example: {}",
            example.chars().take(200).collect::<String>()
        );
    }
    println!("after: {}", audit(&base).await?);
    Ok(())
}
