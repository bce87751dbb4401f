//! `mercato`: runs the shop. See the README for its environment variables.

use server::Config;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// Rendering a page makes many short-lived allocations; mimalloc serves them faster than
/// glibc's allocator (bench/README.md, 2026-12-01).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
Usage: mercato [serve]
       mercato generate-catalog --products N   fill an empty shop with N generated products
       mercato generate-orders --orders N       add N orders over two years to a shop with a
                                               catalog and no orders yet
       mercato admin create --email EMAIL      create an admin, or make an account one; the
                                               password comes from MERCATO_ADMIN_PASSWORD or stdin

Runs the Mercato shop. Configuration comes from environment variables:
  MERCATO_ADDR                  listen address (default 127.0.0.1:3000)
  DATABASE_URL                  PostgreSQL URL; without it an embedded cluster is started
  MERCATO_DATA_DIR              local state: embedded cluster, mail (default .data)
  MERCATO_DB_POOL_SIZE          database connections (default 10)
  MERCATO_REQUEST_TIMEOUT_SECS  request time limit (default 30)
  MERCATO_CURRENCY              the shop's currency (default EUR)
  MERCATO_PUBLIC_URL            the address shoppers use (default http://MERCATO_ADDR)
  MERCATO_SEED_DEMO             fill an empty shop with the demo catalog (default: without DATABASE_URL)
  RUST_LOG                      log filter (default info)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut generate: Option<usize> = None;
    let mut generate_orders: Option<i64> = None;
    let mut admin: Option<String> = None;
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => {}
        ["generate-catalog", "--products", n] => match n.parse::<usize>() {
            Ok(n) if (1..=10_000_000).contains(&n) => generate = Some(n),
            _ => {
                eprintln!("mercato: --products takes a number from 1 to 10000000, not {n:?}");
                return ExitCode::from(2);
            }
        },
        ["generate-orders", "--orders", n] => match n.parse::<i64>() {
            Ok(n) if (1..=10_000_000).contains(&n) => generate_orders = Some(n),
            _ => {
                eprintln!("mercato: --orders takes a number from 1 to 10000000, not {n:?}");
                return ExitCode::from(2);
            }
        },
        ["admin", "create", "--email", email] => admin = Some((*email).to_owned()),
        ["-h" | "--help" | "help"] => {
            #[allow(clippy::print_stdout)] // the help asked for
            {
                println!("{USAGE}");
            }
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("mercato: unknown arguments {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }

    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("mercato: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mercato: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(products) = generate {
        return report(runtime.block_on(server::commands::generate_catalog(&config, products)));
    }
    if let Some(orders) = generate_orders {
        return report(runtime.block_on(server::commands::generate_orders(&config, orders)));
    }
    if let Some(email) = admin {
        let password = match std::env::var("MERCATO_ADMIN_PASSWORD") {
            Ok(p) => p,
            Err(_) => {
                eprintln!("Password for {email} (at least 10 characters), then Enter:");
                let mut line = String::new();
                if let Err(e) = std::io::stdin().read_line(&mut line) {
                    eprintln!("mercato: cannot read the password: {e}");
                    return ExitCode::FAILURE;
                }
                line.trim_end_matches(['\r', '\n']).to_owned()
            }
        };
        return report(
            runtime.block_on(server::commands::create_admin(&config, &email, &password)),
        );
    }
    match runtime.block_on(server::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mercato: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a command's report, or its error, and gives the exit code.
fn report(result: Result<String, server::StartError>) -> ExitCode {
    match result {
        Ok(report) => {
            #[allow(clippy::print_stdout)] // a command's report is its output
            {
                println!("{report}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mercato: {e}");
            ExitCode::FAILURE
        }
    }
}
