//! BambooHR intake: the signature headers and the payload, as `/api/hris/bamboohr` reads
//! them. The first line of the input is `signature\ttimestamp`, the rest is the body.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use offboard_core::intake::bamboohr;
use offboard_core::signature::{sign_bamboohr, verify_bamboohr};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let head = String::from_utf8_lossy(head);
    let (signature, timestamp) = head.split_once('\t').unwrap_or((&head, ""));
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap();
    let _ = verify_bamboohr(SECRET, body, Some(signature), Some(timestamp), now);
    // A correctly signed body reaches the parser, as in the handler.
    let ts = "2026-11-30T17:00:00Z";
    let good = sign_bamboohr(SECRET, body, ts);
    assert!(verify_bamboohr(SECRET, body, Some(&good), Some(ts), now).is_ok());
    let _ = bamboohr::parse(body);
});
