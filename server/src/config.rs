//! All configuration, read once from the environment into a typed [`Config`].
//! Every variable is listed in the README with its default.

use mercato::limits::client::TrustedProxies;
use mercato::payments::stripe::StripeSettings;
use mercato::Currency;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// `MERCATO_ADDR`: where the shop listens.
    pub addr: SocketAddr,
    /// `DATABASE_URL`: an existing database. Without it the shop runs its own cluster.
    pub database_url: Option<String>,
    /// `MERCATO_DATA_DIR`: the embedded cluster, the mail folder and other local state.
    pub data_dir: PathBuf,
    /// `MERCATO_MAIL_DIR`: where mail is written as `.eml` files while no SMTP server is
    /// configured (default: `mail/` in the data directory).
    pub mail_dir: PathBuf,
    /// `MERCATO_DB_POOL_SIZE`: connections kept to Postgres.
    pub db_pool_size: u32,
    /// `MERCATO_REQUEST_TIMEOUT_SECS`: a request still running after this gets a 408.
    pub request_timeout: Duration,
    /// `MERCATO_LISTING_CACHE_SECS`: how long a listing's facet counts and the order of
    /// its first pages are reused
    /// (0 counts on every view).
    pub listing_cache: Duration,
    /// `MERCATO_PAGE_CACHE_SECS`: how long a catalog page rendered for a visitor without
    /// a session is served to the next ones (0: never).
    pub page_cache: Duration,
    /// `MERCATO_CURRENCY`: the one currency the shop sells in.
    pub currency: Currency,
    /// `MERCATO_PUBLIC_URL`: the address shoppers use, for absolute links (sitemap).
    pub public_url: String,
    /// `MERCATO_PRICES_INCLUDE_TAX`: read once, for a shop that has not set whether its
    /// prices include tax yet (staff set it at `/admin/settings/tax`; the setting
    /// lives in the database from then on).
    pub prices_include_tax: Option<bool>,
    /// `MERCATO_PAYMENT_WINDOW_MINUTES`: an order unpaid this long is cancelled and its
    /// stock goes back on sale.
    pub payment_window_minutes: i32,
    /// `MERCATO_SEED_DEMO`: fill an empty shop with the demo catalog at start. On by
    /// default for the embedded database, off with `DATABASE_URL`.
    pub seed_demo: bool,
    /// `MERCATO_SMTP_URL` and `MERCATO_MAIL_FROM`: deliver mail through this SMTP server
    /// instead of writing it to the mail folder.
    pub smtp: Option<Smtp>,
    /// `MERCATO_STRIPE_*`: take payments with Stripe. Without a secret key, the offline
    /// test provider takes them.
    pub stripe: Option<StripeSettings>,
    /// `MERCATO_TRUSTED_PROXIES`: proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// `MERCATO_STAFF_SESSION_HOURS`: how long a staff or admin sign-in lasts at most,
    /// however active.
    pub staff_session: Duration,
    /// `MERCATO_SEARCH_PER_MINUTE`: searches one client may run a minute on one process
    /// (0: no limit).
    pub search_per_minute: u32,
}

/// An SMTP server to deliver mail through.
#[derive(Clone)]
pub struct Smtp {
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required`, `smtps://host:465`.
    pub url: String,
    /// `Shop <orders@shop.example>`.
    pub from: String,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        f.debug_struct("Smtp")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{var}={value:?} is not valid: {expected}")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the configuration through `get`, which answers a variable's value if set.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        fn parse<T: std::str::FromStr>(
            get: &impl Fn(&str) -> Option<String>,
            var: &'static str,
            default: T,
            expected: &'static str,
        ) -> Result<T, ConfigError> {
            match get(var) {
                None => Ok(default),
                Some(value) => value.trim().parse().map_err(|_| ConfigError {
                    var,
                    value,
                    expected,
                }),
            }
        }
        let pool_size: u32 = parse(
            &get,
            "MERCATO_DB_POOL_SIZE",
            10,
            "a number of connections from 1 to 1000",
        )?;
        if !(1..=1000).contains(&pool_size) {
            return Err(ConfigError {
                var: "MERCATO_DB_POOL_SIZE",
                value: pool_size.to_string(),
                expected: "a number of connections from 1 to 1000",
            });
        }
        let timeout_secs: u64 = parse(
            &get,
            "MERCATO_REQUEST_TIMEOUT_SECS",
            30,
            "a whole number of seconds",
        )?;
        let listing_cache_secs: u64 = parse(
            &get,
            "MERCATO_LISTING_CACHE_SECS",
            30,
            "a whole number of seconds",
        )?;
        let page_cache_secs: u64 = parse(
            &get,
            "MERCATO_PAGE_CACHE_SECS",
            5,
            "a whole number of seconds",
        )?;
        let database_url = get("DATABASE_URL");
        let currency = match get("MERCATO_CURRENCY") {
            None => Currency::EUR,
            Some(value) => Currency::parse(&value).map_err(|_| ConfigError {
                var: "MERCATO_CURRENCY",
                value,
                expected: "an ISO 4217 code we support, such as EUR, USD, GBP, CHF or JPY",
            })?,
        };
        let seed_demo = match get("MERCATO_SEED_DEMO").as_deref().map(str::trim) {
            None => database_url.is_none(),
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(other) => {
                return Err(ConfigError {
                    var: "MERCATO_SEED_DEMO",
                    value: other.to_owned(),
                    expected: "true or false",
                })
            }
        };
        let addr = parse(
            &get,
            "MERCATO_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 3000)),
            "an address and port such as 127.0.0.1:3000",
        )?;
        let public_url = match get("MERCATO_PUBLIC_URL") {
            None => format!("http://{addr}"),
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(value) => {
                return Err(ConfigError {
                    var: "MERCATO_PUBLIC_URL",
                    value,
                    expected: "an http:// or https:// address such as https://shop.example",
                })
            }
        };
        let prices_include_tax = match get("MERCATO_PRICES_INCLUDE_TAX").as_deref().map(str::trim) {
            None => None,
            Some("1" | "true" | "yes") => Some(true),
            Some("0" | "false" | "no") => Some(false),
            Some(other) => {
                return Err(ConfigError {
                    var: "MERCATO_PRICES_INCLUDE_TAX",
                    value: other.to_owned(),
                    expected: "true or false",
                })
            }
        };
        let payment_window_minutes: i32 = parse(
            &get,
            "MERCATO_PAYMENT_WINDOW_MINUTES",
            30,
            "a whole number of minutes from 1 to 10080",
        )?;
        if !(1..=10080).contains(&payment_window_minutes) {
            return Err(ConfigError {
                var: "MERCATO_PAYMENT_WINDOW_MINUTES",
                value: payment_window_minutes.to_string(),
                expected: "a whole number of minutes from 1 to 10080",
            });
        }
        let smtp = match get("MERCATO_SMTP_URL") {
            None => None,
            Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => Some(Smtp {
                url,
                from: get("MERCATO_MAIL_FROM").unwrap_or_else(|| "Mercato <orders@localhost>".to_owned()),
            }),
            Some(value) => {
                return Err(ConfigError {
                    var: "MERCATO_SMTP_URL",
                    value,
                    expected: "an smtp:// or smtps:// address such as smtp://user:pass@mail.example:587?tls=required",
                })
            }
        };
        let stripe = stripe_settings(&get)?;
        let trusted_proxies = match get("MERCATO_TRUSTED_PROXIES") {
            None => TrustedProxies::none(),
            Some(value) => TrustedProxies::parse(&value).map_err(|_| ConfigError {
                var: "MERCATO_TRUSTED_PROXIES",
                value,
                expected: "addresses or networks of your proxies, such as 10.0.0.0/8, ::1",
            })?,
        };
        let staff_session_hours: u64 = parse(
            &get,
            "MERCATO_STAFF_SESSION_HOURS",
            12,
            "a whole number of hours from 1 to 720",
        )?;
        if !(1..=720).contains(&staff_session_hours) {
            return Err(ConfigError {
                var: "MERCATO_STAFF_SESSION_HOURS",
                value: staff_session_hours.to_string(),
                expected: "a whole number of hours from 1 to 720",
            });
        }
        let search_per_minute: u32 = parse(
            &get,
            "MERCATO_SEARCH_PER_MINUTE",
            240,
            "a whole number of searches (0: no limit)",
        )?;
        let data_dir = get("MERCATO_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".data"));
        Ok(Config {
            addr,
            public_url,
            database_url,
            mail_dir: get("MERCATO_MAIL_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("mail")),
            data_dir,
            db_pool_size: pool_size,
            request_timeout: Duration::from_secs(timeout_secs.max(1)),
            listing_cache: Duration::from_secs(listing_cache_secs),
            page_cache: Duration::from_secs(page_cache_secs),
            currency,
            prices_include_tax,
            payment_window_minutes,
            seed_demo,
            smtp,
            stripe,
            trusted_proxies,
            staff_session: Duration::from_secs(staff_session_hours * 3600),
            search_per_minute,
        })
    }
}

/// Stripe is on when its secret key is set; then the publishable key and the webhook
/// secret are needed too.
fn stripe_settings(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<StripeSettings>, ConfigError> {
    let Some(secret_key) = get("MERCATO_STRIPE_SECRET_KEY") else {
        return Ok(None);
    };
    if !secret_key.starts_with("sk_") && !secret_key.starts_with("rk_") {
        return Err(ConfigError {
            var: "MERCATO_STRIPE_SECRET_KEY",
            value: "(hidden)".to_owned(),
            expected: "a secret key from Stripe's dashboard, starting sk_live_ or sk_test_",
        });
    }
    let required = |var: &'static str, prefix: &str, expected: &'static str| match get(var) {
        Some(value) if value.starts_with(prefix) => Ok(value),
        value => Err(ConfigError {
            var,
            value: value.unwrap_or_default(),
            expected,
        }),
    };
    let publishable_key = required(
        "MERCATO_STRIPE_PUBLISHABLE_KEY",
        "pk_",
        "set with MERCATO_STRIPE_SECRET_KEY: the publishable key, starting pk_",
    )?;
    let webhook_secret = required(
        "MERCATO_STRIPE_WEBHOOK_SECRET",
        "whsec_",
        "set with MERCATO_STRIPE_SECRET_KEY: the webhook endpoint's signing secret, starting whsec_",
    )?;
    let url = |var: &'static str, default: &str| match get(var) {
        None => Ok(default.to_owned()),
        Some(v) if v.starts_with("http://") || v.starts_with("https://") => Ok(v),
        Some(value) => Err(ConfigError {
            var,
            value,
            expected: "an http:// or https:// address",
        }),
    };
    Ok(Some(StripeSettings {
        secret_key,
        publishable_key,
        webhook_secret,
        api_base: url("MERCATO_STRIPE_API_BASE", "https://api.stripe.com/")?,
        js_url: url("MERCATO_STRIPE_JS_URL", "https://js.stripe.com/v3/")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn an_empty_environment_gives_laptop_defaults() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database_url, None);
        assert_eq!(c.data_dir, PathBuf::from(".data"));
        assert_eq!(c.mail_dir, PathBuf::from(".data/mail"));
        assert_eq!(c.db_pool_size, 10);
        assert_eq!(c.request_timeout, Duration::from_secs(30));
        assert_eq!(c.currency, Currency::EUR);
        assert_eq!(c.prices_include_tax, None);
        assert_eq!(c.payment_window_minutes, 30);
        assert_eq!(c.page_cache, Duration::from_secs(5));
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.staff_session, Duration::from_secs(12 * 3600));
        assert_eq!(c.search_per_minute, 240);
        assert!(
            c.seed_demo,
            "the embedded shop starts with the demo catalog"
        );
    }

    #[test]
    fn every_variable_is_honoured() {
        let c = config(&[
            ("MERCATO_ADDR", "0.0.0.0:8080"),
            ("DATABASE_URL", "postgres://shop@db/shop"),
            ("MERCATO_DATA_DIR", "/var/lib/mercato"),
            ("MERCATO_DB_POOL_SIZE", "25"),
            ("MERCATO_REQUEST_TIMEOUT_SECS", "5"),
            ("MERCATO_CURRENCY", "chf"),
            ("MERCATO_PUBLIC_URL", "https://shop.example/"),
            ("MERCATO_TRUSTED_PROXIES", "10.0.0.0/8,::1"),
            ("MERCATO_STAFF_SESSION_HOURS", "8"),
            ("MERCATO_SEARCH_PER_MINUTE", "0"),
        ])
        .expect("valid");
        assert!(!c.trusted_proxies.is_empty());
        assert_eq!(c.staff_session, Duration::from_secs(8 * 3600));
        assert_eq!(c.search_per_minute, 0);
        assert_eq!(c.addr.to_string(), "0.0.0.0:8080");
        assert_eq!(c.database_url.as_deref(), Some("postgres://shop@db/shop"));
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/mercato"));
        assert_eq!(c.mail_dir, PathBuf::from("/var/lib/mercato/mail"));
        assert_eq!(c.db_pool_size, 25);
        assert_eq!(c.request_timeout, Duration::from_secs(5));
        assert_eq!(c.currency.code(), "CHF");
        assert_eq!(c.public_url, "https://shop.example");
        assert!(!c.seed_demo, "an existing database is never seeded unasked");
    }

    #[test]
    fn a_bad_value_names_the_variable_and_what_it_should_be() {
        let e = config(&[("MERCATO_ADDR", "localhost")]).expect_err("not an address");
        assert_eq!(e.var, "MERCATO_ADDR");
        assert!(e.to_string().contains("127.0.0.1:3000"), "{e}");
        let e = config(&[("MERCATO_DB_POOL_SIZE", "0")]).expect_err("zero connections");
        assert_eq!(e.var, "MERCATO_DB_POOL_SIZE");
        let e = config(&[("MERCATO_CURRENCY", "DOGE")]).expect_err("not a currency");
        assert_eq!(e.var, "MERCATO_CURRENCY");
        let e = config(&[("MERCATO_SEED_DEMO", "maybe")]).expect_err("not a boolean");
        assert_eq!(e.var, "MERCATO_SEED_DEMO");
        let e = config(&[("MERCATO_SMTP_URL", "mail.example:25")]).expect_err("no scheme");
        assert_eq!(e.var, "MERCATO_SMTP_URL");
        let e = config(&[("MERCATO_TRUSTED_PROXIES", "10.0.0.0/40")]).expect_err("a bad prefix");
        assert_eq!(e.var, "MERCATO_TRUSTED_PROXIES");
        let e = config(&[("MERCATO_STAFF_SESSION_HOURS", "0")]).expect_err("zero hours");
        assert_eq!(e.var, "MERCATO_STAFF_SESSION_HOURS");
    }

    #[test]
    fn stripe_needs_all_three_keys_and_hides_them() {
        assert!(config(&[]).expect("valid").stripe.is_none());
        let e = config(&[("MERCATO_STRIPE_SECRET_KEY", "sk_test_1")]).expect_err("half set");
        assert_eq!(e.var, "MERCATO_STRIPE_PUBLISHABLE_KEY");
        let e = config(&[
            ("MERCATO_STRIPE_SECRET_KEY", "sk_test_1"),
            ("MERCATO_STRIPE_PUBLISHABLE_KEY", "pk_test_1"),
        ])
        .expect_err("no webhook secret");
        assert_eq!(e.var, "MERCATO_STRIPE_WEBHOOK_SECRET");
        let e = config(&[("MERCATO_STRIPE_SECRET_KEY", "pk_test_oops")]).expect_err("wrong key");
        assert!(!e.to_string().contains("pk_test_oops"), "{e}");
        let c = config(&[
            ("MERCATO_STRIPE_SECRET_KEY", "sk_test_secret"),
            ("MERCATO_STRIPE_PUBLISHABLE_KEY", "pk_test_1"),
            ("MERCATO_STRIPE_WEBHOOK_SECRET", "whsec_secret"),
            ("MERCATO_SMTP_URL", "smtp://user:hunter2@mail.example:587"),
        ])
        .expect("valid");
        let stripe = c.stripe.as_ref().expect("stripe on");
        assert_eq!(stripe.api_base, "https://api.stripe.com/");
        let shown = format!("{c:?}");
        for secret in ["sk_test_secret", "whsec_secret", "hunter2"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
