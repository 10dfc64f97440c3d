//! Query strings and path segments: SCIM list parameters (filter, startIndex, count,
//! attributes) and the period and date bounds of the compliance API.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offboard_core::scim::list::{ListQuery, projection_from_params};
use offboard_core::scim::query::{decode_segment, parse_query};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = decode_segment(text);
    if let Ok(params) = parse_query(text) {
        let _ = ListQuery::from_params(&params);
        let _ = projection_from_params(&params);
    }
});
