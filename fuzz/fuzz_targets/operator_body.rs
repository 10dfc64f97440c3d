//! The operator's `POST /api/offboardings` body, and the SCIM bearer header (the operator
//! API is behind the host's function key, SCIM behind this check).
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use offboard_core::intake::operator;
use offboard_core::signature::verify_bearer;

fuzz_target!(|data: &[u8]| {
    let _ = operator::parse(data);
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap();
    let header = String::from_utf8_lossy(data);
    let _ = verify_bearer("0123456789abcdef0123456789abcdef", Some(&header), b"", now);
});
