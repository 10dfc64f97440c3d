//! The report's rendering: bounds, neutralised and hashed CSV, JSON with its meta.

use super::*;
use std::collections::BTreeMap;

#[test]
fn bounds_outside_the_supported_years_are_refused() {
    for bad in [
        "+10000-01-01",
        "10000-01-01",
        "-0001-12-31",
        "+10000-01-01T00:00:00Z",
        "9999-12-31T23:30:00-01:00",
    ] {
        assert_eq!(parse_bound(bad, true), None, "{bad}");
        assert_eq!(parse_bound(bad, false), None, "{bad}");
    }
    // The last day there is still counts whole, and the first one.
    let end = parse_bound("9999-12-31", true).unwrap();
    assert_eq!(end.to_rfc3339(), "+10000-01-01T00:00:00+00:00");
    assert!(parse_bound("0000-01-01", false).is_some());
    assert!(parse_bound("9999-12-31T23:59:59Z", true).is_some());
}

pub(super) fn row(name: &str) -> ReportRow {
    ReportRow {
        case_id: "c-1".into(),
        source: offboard_core::event::Source::Generic,
        source_event_id: name.into(),
        employee_id: Some("1042".into()),
        user_principal_name: Some("ada@contoso.example".into()),
        mail: None,
        on_premises_sam_account_name: None,
        leaver: None,
        kind: offboard_core::event::TerminationKind::Voluntary,
        hr_effective_as_sent: Some("2026-11-30".into()),
        effective_at: "2026-12-01T05:00:00.000Z".into(),
        received_at: "2026-11-20T09:00:00.000Z".into(),
        case_status: offboard_core::case::CaseStatus::Completed,
        sign_in_cut_at: None,
        time_to_sign_in_cut_seconds: None,
        hr_delay_seconds: 0.0,
        offboard_time_to_sign_in_cut_seconds: None,
        removed_at: BTreeMap::from([
            ("entra".into(), "2026-12-01T05:01:00.000Z".into()),
            ("slack".into(), "2026-12-01T05:02:00.000Z".into()),
        ]),
        all_access_removed_at: Some("2026-12-01T05:02:00.000Z".into()),
        time_to_removal_seconds: Some(120.0),
        sla_target_minutes: Some(60),
        sla: "met".into(),
        exception_count: 1,
        exceptions: vec!["remove-group (entra): dynamic group, \"rule\" change needed".into()],
        record_count: 5,
        chain_head: "ab".repeat(32),
        seal_hash: None,
        ledger_seq: Some(3),
        worm_enforced: false,
    }
}

pub(super) fn query(format: ReportFormat) -> ReportQuery {
    ReportQuery {
        from: "2026-12-01T00:00:00Z".parse().unwrap(),
        to: "2027-01-01T00:00:00Z".parse().unwrap(),
        from_as_given: "2026-12-01".into(),
        to_as_given: "2026-12-31".into(),
        format,
        section: ReportSection::Terminations,
    }
}

pub(super) fn no_scan() -> Completeness {
    completeness::section(None, Some(completeness::NO_SCAN.into()), Vec::new()).unwrap()
}

#[test]
fn formula_cells_are_neutralised_and_others_kept() {
    for (input, out) in [
        ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ada", "ada"),
        ("", ""),
        ("a=b", "a=b"),
    ] {
        assert_eq!(neutralise(input), out, "{input:?}");
    }
}

#[test]
fn csv_is_rfc4180_neutralised_and_hashed_as_delivered() {
    let mut evil = row("=cmd|' /C calc'!A0");
    evil.employee_id = Some("@SUM(1+1)".into());
    let r = build(
        &query(ReportFormat::Csv),
        vec!["2026-12".into()],
        vec![row("evt-1"), evil],
        no_scan(),
        WormStatus::NotEnforced {
            reason: "test".into(),
        },
        "2026-12-02T00:00:00Z".parse().unwrap(),
        "offboard test",
    )
    .unwrap();
    let text = String::from_utf8(r.body.clone()).unwrap();
    assert_eq!(r.meta.row_count, 2);
    assert_eq!(r.meta.sha256, Sha256Digest::of(&r.body).to_hex());
    assert_eq!(r.meta.warning.as_deref(), Some("WORM not enforced: test"));
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines.len(),
        4,
        "header, two rows, and the final CRLF: {text}"
    );
    assert!(lines[0].starts_with("case_id,source,source_event_id,"));
    // The standard systems first, then the others found, in name order.
    assert!(lines[0].contains(
        "removed_at_ad,removed_at_entra,removed_at_exchange,removed_at_onedrive,removed_at_intune,removed_at_slack,"
    ));
    assert!(text.contains("'=cmd|' /C calc'!A0"), "{text}");
    assert!(text.contains(",'@SUM(1+1),"), "{text}");
    // A quote inside a cell is doubled and the cell quoted (RFC 4180 §2.7).
    assert!(text.contains("\"remove-group (entra): dynamic group, \"\"rule\"\" change needed\""));
    let mut reader = csv::Reader::from_reader(r.body.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(headers.len(), r.meta.columns.len());
    for rec in reader.records() {
        assert_eq!(rec.unwrap().len(), headers.len());
    }
}

#[test]
fn json_carries_meta_and_hashes_the_canonical_rows() {
    let r = build(
        &query(ReportFormat::Json),
        vec![],
        vec![row("evt-1")],
        no_scan(),
        WormStatus::Enforced {
            retention_days: 2555,
            protection: None,
        },
        "2026-12-02T00:00:00Z".parse().unwrap(),
        "offboard test",
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["meta"]["rowCount"], 1);
    assert_eq!(v["meta"]["parameters"]["from"], "2026-12-01");
    assert_eq!(
        v["meta"]["parameters"]["effectiveTo"],
        "2027-01-01T00:00:00.000Z"
    );
    assert!(v["meta"].get("warning").is_none());
    let canonical = serde_json_canonicalizer::to_vec(&v["rows"]).unwrap();
    assert_eq!(
        v["meta"]["sha256"].as_str().unwrap(),
        Sha256Digest::of(&canonical).to_hex()
    );
    assert_eq!(
        v["rows"][0]["removedAt"]["entra"],
        "2026-12-01T05:01:00.000Z"
    );
}
