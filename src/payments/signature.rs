//! Stripe's webhook signatures: the `Stripe-Signature` header carries a timestamp and
//! one or more HMAC-SHA256 signatures (`t=1700000000,v1=…,v1=…`) of `"{t}.{body}"`
//! under the endpoint's secret. A body is believed only when a signature matches
//! (compared in constant time) and the timestamp is within [`TOLERANCE_SECS`] of now,
//! so a captured request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signature's timestamp may be from now, either way: five minutes, as
/// Stripe's own libraries use.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a webhook body was not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("the signature's timestamp is {0} s away from now (more than {TOLERANCE_SECS} s)")]
    OutOfTolerance(i64),
    #[error("no signature matches the body")]
    Mismatch,
}

/// Checks `header` against `body`, signed with `secret`, at `now` (Unix seconds).
pub fn verify(
    body: &[u8],
    header: Option<&str>,
    secret: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.extend(hex::decode(s).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age = now.saturating_sub(timestamp);
    if age.saturating_abs() > TOLERANCE_SECS {
        return Err(SignatureError::OutOfTolerance(age));
    }
    let expected = mac(secret, timestamp, body);
    // `verify_slice` compares in constant time, so a forger learns nothing from timing.
    signatures
        .iter()
        .any(|s| expected.clone().verify_slice(s).is_ok())
        .then_some(())
        .ok_or(SignatureError::Mismatch)
}

/// The header Stripe would send for `body` at `timestamp`: for tests and local fakes.
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let signature = hex::encode(mac(secret, timestamp, body).finalize().into_bytes());
    format!("t={timestamp},v1={signature}")
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_fresh_signature_of_the_body_is_believed() {
        let header = sign(BODY, SECRET, NOW - 10);
        assert_eq!(verify(BODY, Some(&header), SECRET, NOW), Ok(()));
    }

    #[test]
    fn a_known_signature_matches_stripes_scheme() {
        // HMAC-SHA256("whsec_test_secret", "1800000000.{body}"), computed independently
        // with `openssl dgst -sha256 -hmac`.
        assert_eq!(
            sign(b"{}", SECRET, NOW),
            "t=1800000000,v1=c54fd4ffd4dd216571ba5d99b08a3cf927757e386c311b181f85788c2178e368"
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let good = sign(BODY, SECRET, NOW);
        let v1 = good.split_once(",v1=").map(|(_, s)| s).unwrap_or_default();
        let header = format!("t={NOW},v1={},v1={v1},v0=abc", "00".repeat(32));
        assert_eq!(verify(BODY, Some(&header), SECRET, NOW), Ok(()));
    }

    #[test]
    fn a_changed_body_or_another_secret_is_refused() {
        let header = sign(BODY, SECRET, NOW);
        assert_eq!(
            verify(b"{\"id\":\"evt_2\"}", Some(&header), SECRET, NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(BODY, Some(&header), "whsec_other", NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn old_and_future_timestamps_are_refused_at_the_edge() {
        let at = |t: i64| verify(BODY, Some(&sign(BODY, SECRET, t)), SECRET, NOW);
        assert_eq!(at(NOW - TOLERANCE_SECS), Ok(()));
        assert_eq!(
            at(NOW - TOLERANCE_SECS - 1),
            Err(SignatureError::OutOfTolerance(TOLERANCE_SECS + 1))
        );
        assert_eq!(at(NOW + TOLERANCE_SECS), Ok(()));
        assert!(matches!(
            at(NOW + TOLERANCE_SECS + 1),
            Err(SignatureError::OutOfTolerance(_))
        ));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in [
            "",
            "v1=abcd",
            "t=abc,v1=abcd",
            &format!("t={NOW}"),
            &format!("t={NOW},v1=not-hex"),
            &format!("t={},v1=00", i64::MIN),
        ] {
            let result = verify(BODY, Some(header), SECRET, NOW);
            assert!(
                matches!(
                    result,
                    Err(SignatureError::Malformed | SignatureError::OutOfTolerance(_))
                ),
                "{header}: {result:?}"
            );
        }
        assert_eq!(
            verify(BODY, None, SECRET, NOW),
            Err(SignatureError::Missing)
        );
    }
}
