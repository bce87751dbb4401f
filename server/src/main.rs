//! `mercato`: runs the shop. See the README for its environment variables.

use server::Config;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "\
Usage: mercato [serve]

Runs the Mercato shop. Configuration comes from environment variables:
  MERCATO_ADDR                  listen address (default 127.0.0.1:3000)
  DATABASE_URL                  PostgreSQL URL; without it an embedded cluster is started
  MERCATO_DATA_DIR              local state: embedded cluster, mail (default .data)
  MERCATO_DB_POOL_SIZE          database connections (default 10)
  MERCATO_REQUEST_TIMEOUT_SECS  request time limit (default 30)
  RUST_LOG                      log filter (default info)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => {}
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
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
    match runtime.block_on(server::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mercato: {e}");
            ExitCode::FAILURE
        }
    }
}
