//! Where each piece of evidence lives in the container: the names the port describes, and the
//! period check that keeps every name under `cases/{YYYY-MM}/`.

use offboard_core::ids::CaseId;
use offboard_core::ports::EvidenceStoreError;

/// A period is `YYYY-MM`; anything else would put evidence at a name no listing finds (or
/// outside `cases/`).
pub(super) fn check_period(period: &str) -> Result<(), EvidenceStoreError> {
    let b = period.as_bytes();
    let ok = b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(
            &period[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        );
    if ok {
        Ok(())
    } else {
        Err(EvidenceStoreError::Permanent {
            detail: format!("`{period}` is not an evidence period: use YYYY-MM (UTC month)"),
        })
    }
}

pub(super) fn case_prefix(period: &str, case_id: &CaseId) -> String {
    format!("cases/{period}/{case_id}/")
}

pub(super) fn record_name(period: &str, case_id: &CaseId, seq: u64) -> String {
    format!("{}records/{seq:06}.json", case_prefix(period, case_id))
}

pub(super) fn seal_name(period: &str, case_id: &CaseId) -> String {
    seal_generation_name(period, case_id, 0)
}

/// A seal generation: `seal.json` for the first, `seal-{n}.json` after a reopening.
pub(super) fn seal_generation_name(period: &str, case_id: &CaseId, generation: u32) -> String {
    match generation {
        0 => format!("{}seal.json", case_prefix(period, case_id)),
        g => format!("{}seal-{g}.json", case_prefix(period, case_id)),
    }
}

pub(super) fn ledger_name(seq: u64) -> String {
    format!("ledger/{seq:012}.json")
}

/// The position a record's blob name gives it (`…/records/000042.json` → 42).
pub(super) fn position_of(name: &str, records_prefix: &str) -> Option<u64> {
    let file = name.strip_prefix(records_prefix)?;
    let digits = file.strip_suffix(".json")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_layout_and_positions_parse_back() {
        let id = CaseId::derive("generic", "evt-1");
        let name = record_name("2026-11", &id, 42);
        assert_eq!(name, format!("cases/2026-11/{id}/records/000042.json"));
        let prefix = format!("cases/2026-11/{id}/records/");
        assert_eq!(position_of(&name, &prefix), Some(42));
        assert_eq!(position_of(&format!("{prefix}x.json"), &prefix), None);
        assert_eq!(position_of(&format!("{prefix}.json"), &prefix), None);
        assert_eq!(
            seal_name("2026-11", &id),
            format!("cases/2026-11/{id}/seal.json")
        );
        assert_eq!(ledger_name(7), "ledger/000000000007.json");
    }

    #[test]
    fn periods_must_be_months() {
        assert!(check_period("2026-11").is_ok());
        for bad in [
            "2026-13", "2026-00", "2026-1", "../x", "2026/11", "abcd-ef", "",
        ] {
            assert!(check_period(bad).is_err(), "{bad}");
        }
    }
}
