//! Mail, through the `outbox` table: whatever wants to send a message queues it in its
//! own transaction (so a rolled-back change sends nothing), and a worker delivers it.
//!
//! Delivery takes due rows with `FOR UPDATE SKIP LOCKED`, so any number of workers (one
//! per server process) share the queue without sending anything twice. A failed delivery
//! is retried with a growing delay, up to [`MAX_ATTEMPTS`] times.

use crate::Error;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::PgConnection;
use sqlx::PgPool;
use std::path::{Path, PathBuf};

/// Deliveries tried before a message is left for staff to look at.
pub const MAX_ATTEMPTS: i32 = 10;

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// What it is (`password_reset`, `order_confirmation`), for logs and file names.
    pub kind: &'static str,
    /// A message with the same key is queued once only (e.g. `order:42:confirmation`).
    pub dedupe_key: Option<String>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Queues `message` on `conn` (usually inside the transaction that caused it). Returns
/// false when a message with the same dedupe key was already queued.
pub async fn enqueue(conn: &mut PgConnection, message: &Message) -> Result<bool, Error> {
    let queued = sqlx::query!(
        "INSERT INTO outbox (kind, dedupe_key, recipient, subject, body_text, body_html)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (dedupe_key) DO NOTHING",
        message.kind,
        message.dedupe_key,
        message.to,
        message.subject,
        message.text,
        message.html,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(queued == 1)
}

/// Where delivered mail goes.
#[derive(Clone)]
pub enum Delivery {
    /// Each message becomes a file (`<id>-<kind>.eml`) in this folder: for demos and
    /// tests, when no SMTP server is configured.
    Folder(PathBuf),
    /// An SMTP server, with the shop's sender address.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
        /// The URL without its password, for logs.
        server: String,
    },
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delivery::Folder(dir) => f.debug_tuple("Folder").field(dir).finish(),
            Delivery::Smtp { server, from, .. } => f
                .debug_struct("Smtp")
                .field("server", server)
                .field("from", &from.to_string())
                .finish(),
        }
    }
}

/// How long one SMTP delivery may take before it counts as failed (and is retried).
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl Delivery {
    /// Delivery through the SMTP server at `url`: `smtp://host:25` (plain),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://host:465`
    /// (TLS), sending as `from` (`Shop name <orders@shop.example>`).
    pub fn smtp(url: &str, from: &str) -> Result<Delivery, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("the sender address {from:?}: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP URL: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let mut server = url::Url::parse(url).map_err(|e| format!("the SMTP URL: {e}"))?;
        let _ = server.set_password(None);
        Ok(Delivery::Smtp {
            transport,
            from,
            server: server.to_string(),
        })
    }

    /// Where mail goes, for the startup log.
    pub fn describe(&self) -> String {
        match self {
            Delivery::Folder(dir) => {
                format!("written to {} (no SMTP server configured)", dir.display())
            }
            Delivery::Smtp { server, .. } => format!("sent through {server}"),
        }
    }
}

/// The delay before retry number `attempts` (1, 2, …): 30 s doubling, at most 6 hours.
pub fn backoff_secs(attempts: i32) -> i64 {
    let doublings = attempts.clamp(1, 20) - 1;
    (30_i64 << doublings).min(6 * 3600)
}

struct Due {
    id: i64,
    kind: String,
    recipient: String,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    attempts: i32,
    created_at: String,
}

/// Delivers up to `batch` due messages; returns how many went out.
pub async fn deliver_due(pool: &PgPool, delivery: &Delivery, batch: i64) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let due = sqlx::query_as!(
        Due,
        r#"SELECT id, kind, recipient, subject, body_text, body_html, attempts,
                  to_char(created_at AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS +0000')
                      AS "created_at!"
           FROM outbox
           WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < $2
           ORDER BY next_attempt_at, id
           LIMIT $1
           FOR UPDATE SKIP LOCKED"#,
        batch,
        MAX_ATTEMPTS,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    for message in &due {
        match deliver(delivery, message).await {
            Ok(()) => {
                sqlx::query!(
                    "UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = $1",
                    message.id,
                )
                .execute(&mut *tx)
                .await?;
                sent += 1;
            }
            Err(error) => {
                let attempts = message.attempts + 1;
                tracing::warn!(id = message.id, kind = %message.kind, attempts, %error, "mail not delivered; will retry");
                sqlx::query!(
                    "UPDATE outbox SET attempts = $2, last_error = $3,
                         next_attempt_at = now() + make_interval(secs => $4)
                     WHERE id = $1",
                    message.id,
                    attempts,
                    error,
                    backoff_secs(attempts) as f64,
                )
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(sent)
}

async fn deliver(delivery: &Delivery, message: &Due) -> Result<(), String> {
    match delivery {
        Delivery::Folder(dir) => write_to_folder(dir, message)
            .await
            .map_err(|e| e.to_string()),
        Delivery::Smtp {
            transport, from, ..
        } => {
            let email = build(from, message)?;
            transport
                .send(email)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    }
}

/// The message as SMTP sends it: plain text, or text and HTML as alternatives.
fn build(from: &Mailbox, message: &Due) -> Result<lettre::Message, String> {
    let to: Mailbox = message
        .recipient
        .parse()
        .map_err(|e| format!("recipient {:?}: {e}", message.recipient))?;
    let builder = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(header_safe(&message.subject))
        .message_id(Some(format!(
            "<outbox-{}.{}@{}>",
            message.id,
            message.kind,
            from.email.domain()
        )));
    match &message.body_html {
        None => builder.body(message.body_text.clone()),
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            message.body_text.clone(),
            html.clone(),
        )),
    }
    .map_err(|e| e.to_string())
}

/// Writes the message as a plain-text `.eml` file, atomically (a reader never sees half
/// a message): written under a temporary name, then renamed.
async fn write_to_folder(dir: &Path, message: &Due) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let name = format!("{:08}-{}.eml", message.id, message.kind);
    let mut eml = format!(
        "To: {}\r\nSubject: {}\r\nDate: {}\r\nMIME-Version: 1.0\r\n",
        header_safe(&message.recipient),
        header_safe(&message.subject),
        message.created_at,
    );
    match &message.body_html {
        None => {
            eml.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n");
            eml.push_str(&message.body_text);
        }
        Some(html) => {
            let boundary = format!("mercato-{}", message.id);
            eml.push_str(&format!(
                "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
                 --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n\
                 --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n\
                 --{boundary}--\r\n",
                message.body_text
            ));
        }
    }
    let partial = dir.join(format!(".{name}.partial"));
    tokio::fs::write(&partial, eml).await?;
    tokio::fs::rename(&partial, dir.join(name)).await
}

/// A header value on one line: a newline in a subject or address cannot add headers.
fn header_safe(value: &str) -> String {
    value.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_six_hours() {
        assert_eq!(backoff_secs(1), 30);
        assert_eq!(backoff_secs(2), 60);
        assert_eq!(backoff_secs(5), 480);
        assert_eq!(backoff_secs(10), 15_360);
        assert_eq!(backoff_secs(11), 6 * 3600);
        assert_eq!(backoff_secs(1000), 6 * 3600);
        assert_eq!(backoff_secs(0), 30);
    }

    #[test]
    fn header_values_stay_on_one_line() {
        assert_eq!(header_safe("Hi\r\nBcc: x@y.z"), "Hi  Bcc: x@y.z");
    }
}
