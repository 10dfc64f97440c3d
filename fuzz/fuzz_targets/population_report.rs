//! HR population reports, as the ghost-access scan reads them while they stream in: the first
//! byte picks the shape (BambooHR's custom report, a mapped CSV export, a mapped JSON export),
//! the rest is the body. Whatever the bytes, the reader either fails the whole source or gives
//! rows and the SHA-256 of exactly the bytes it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offboard_core::ids::Sha256Digest;
use offboard_core::reconcile::ColumnMapping;
use offboard_core::reconcile::read::{ReportShape, read_snapshot};

fuzz_target!(|data: &[u8]| {
    let Some((pick, body)) = data.split_first() else {
        return;
    };
    let map = ColumnMapping::default();
    let shape = match pick % 3 {
        0 => ReportShape::BambooHr,
        1 => ReportShape::Csv(&map),
        _ => ReportShape::Json(&map),
    };
    if let Ok(s) = read_snapshot("fuzz", shape, body) {
        assert_eq!(s.sha256, Sha256Digest::of(body));
    }
});
