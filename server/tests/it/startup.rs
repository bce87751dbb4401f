//! Start-up faults end with one sentence naming the cause and the fix.

use server::{start, Config, StartError};

#[tokio::test]
async fn a_busy_port_names_mercato_addr() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = taken.local_addr().expect("address");
    let err = start::bind(addr).await.expect_err("port is busy");
    assert!(matches!(err, StartError::Bind { .. }));
    let message = err.to_string();
    assert!(
        message.contains("another program is using that port"),
        "{message}"
    );
    assert!(message.contains("MERCATO_ADDR"), "{message}");
}

#[tokio::test]
async fn an_unreachable_database_url_is_reported_without_panicking() {
    let mut config = Config::from_lookup(|_| None).expect("defaults");
    config.addr = "127.0.0.1:0".parse().expect("address");
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    config.database_url = Some("postgres://shop@127.0.0.1:1/shop".to_owned());
    let err = server::run(config).await.expect_err("no database there");
    let message = err.to_string();
    assert!(
        message.contains("cannot connect to the database at"),
        "{message}"
    );
    assert!(message.contains("DATABASE_URL"), "{message}");
    assert!(!message.contains("password"), "{message}");
}

#[tokio::test]
async fn a_malformed_database_url_says_what_one_looks_like() {
    let mut config = Config::from_lookup(|_| None).expect("defaults");
    config.addr = "127.0.0.1:0".parse().expect("address");
    config.database_url = Some("mysql://nope".to_owned());
    let err = server::run(config).await.expect_err("not postgres");
    assert!(matches!(err, StartError::DatabaseUrl(_)), "{err}");
    assert!(err.to_string().contains("postgres://"), "{err}");
}
