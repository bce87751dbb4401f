//! Mail delivered by SMTP (lettre) to a small local SMTP server: each queued message is
//! sent once, text and HTML as alternatives; a server that refuses leaves it queued for
//! a later retry.

use mercato::db::testing::TestDb;
use mercato::mail::{deliver_due, enqueue, Delivery, Message};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the fake server received: one string per message (its DATA).
type Inbox = Arc<Mutex<Vec<String>>>;

/// An SMTP server that accepts everything (or, with `refuse_data`, refuses every
/// message with a temporary error), on a free port.
async fn smtp_server(refuse_data: bool) -> (String, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let url = format!(
        "smtp://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let inbox: Inbox = Arc::default();
    let received = inbox.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let inbox = received.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 fake ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") {
                        b"250-fake\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("DATA") {
                        if refuse_data {
                            b"451 try again later\r\n"
                        } else {
                            let _ = write.write_all(b"354 go on\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            inbox.lock().unwrap_or_else(|e| e.into_inner()).push(data);
                            b"250 queued\r\n"
                        }
                    } else if command.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (url, inbox)
}

fn confirmation() -> Message {
    Message {
        kind: "order_confirmation",
        dedupe_key: Some("order:1:confirmation".to_owned()),
        to: "grace@example.com".to_owned(),
        subject: "Your order 10001".to_owned(),
        text: "Thank you for your order.".to_owned(),
        html: Some("<p>Thank you for your <b>order</b>.</p>".to_owned()),
    }
}

#[tokio::test]
async fn queued_mail_is_sent_by_smtp_once_with_text_and_html() {
    let db = TestDb::new().await.expect("db");
    let (url, inbox) = smtp_server(false).await;
    let delivery = Delivery::smtp(&url, "Mercato <orders@shop.example>").expect("smtp");
    let mut conn = db.pool.acquire().await.expect("conn");
    assert!(enqueue(&mut conn, &confirmation()).await.expect("queued"));
    assert!(
        !enqueue(&mut conn, &confirmation()).await.expect("deduped"),
        "one confirmation per order"
    );
    drop(conn);

    assert_eq!(deliver_due(&db.pool, &delivery, 10).await.expect("sent"), 1);
    assert_eq!(deliver_due(&db.pool, &delivery, 10).await.expect("none"), 0);

    let inbox = inbox.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    let mail = &inbox[0];
    for expected in [
        "From: Mercato <orders@shop.example>",
        "To: grace@example.com",
        "Subject: Your order 10001",
        "multipart/alternative",
        "text/plain",
        "Thank you for your order.",
        "text/html",
        "@shop.example>",
    ] {
        assert!(mail.contains(expected), "{expected} in {mail}");
    }
    let sent: Option<i32> =
        sqlx::query_scalar("SELECT attempts FROM outbox WHERE sent_at IS NOT NULL")
            .fetch_optional(&db.pool)
            .await
            .expect("row");
    assert_eq!(sent, Some(1));
}

#[tokio::test]
async fn a_refusing_server_leaves_the_message_queued_for_a_retry() {
    let db = TestDb::new().await.expect("db");
    let (url, inbox) = smtp_server(true).await;
    let delivery = Delivery::smtp(&url, "orders@shop.example").expect("smtp");
    let mut conn = db.pool.acquire().await.expect("conn");
    enqueue(&mut conn, &confirmation()).await.expect("queued");
    drop(conn);

    assert_eq!(deliver_due(&db.pool, &delivery, 10).await.expect("ran"), 0);
    let (attempts, waits, error): (i32, bool, Option<String>) = sqlx::query_as(
        "SELECT attempts, next_attempt_at > now() + interval '20 seconds', last_error
         FROM outbox WHERE sent_at IS NULL",
    )
    .fetch_one(&db.pool)
    .await
    .expect("still queued");
    assert_eq!(attempts, 1);
    assert!(waits, "the retry waits");
    assert!(error.is_some_and(|e| e.contains("451")));
    assert!(inbox.lock().unwrap_or_else(|e| e.into_inner()).is_empty());
    // Not due yet: nothing is tried again at once.
    assert_eq!(deliver_due(&db.pool, &delivery, 10).await.expect("ran"), 0);
}

#[test]
fn bad_smtp_settings_are_refused_with_a_reason() {
    assert!(Delivery::smtp("smtp://127.0.0.1:2525", "not an address").is_err());
    assert!(Delivery::smtp("ftp://mail.example", "orders@shop.example").is_err());
}
