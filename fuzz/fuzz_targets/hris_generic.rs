//! The generic Standard Webhooks intake: `webhook-id`, `webhook-timestamp`,
//! `webhook-signature` and the payload. The first line of the input is the three headers
//! separated by tabs, the rest is the body.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use offboard_core::intake::generic;
use offboard_core::signature::{WebhookSecret, verify_standard_webhooks};

fuzz_target!(|data: &[u8]| {
    let Ok(secret) = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") else {
        return;
    };
    let (head, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let head = String::from_utf8_lossy(head);
    let mut parts = head.splitn(3, '\t');
    let id = parts.next();
    let ts = parts.next();
    let sig = parts.next();
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap();
    let _ = verify_standard_webhooks(&secret, body, id, ts, sig, now);
    // A correctly signed body reaches the parser, as in the handler.
    let ts = now.timestamp().to_string();
    let good = secret.sign("msg_1", &ts, body);
    assert!(
        verify_standard_webhooks(&secret, body, Some("msg_1"), Some(&ts), Some(&good), now).is_ok()
    );
    let _ = generic::parse(body);
    // The secret setting itself is outside text too.
    let _ = WebhookSecret::parse(&head);
});
