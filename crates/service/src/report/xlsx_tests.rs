//! The XLSX export read back with a spreadsheet reader (calamine): the same header and rows as
//! the CSV export, cell for cell; the report's facts on their own sheet; the same file (and
//! SHA-256) each time the same rows are rendered.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use offboard_core::evidence::WormStatus;
use offboard_core::ids::Sha256Digest;

use super::tests::{no_scan, query, row};
use super::xlsx::{DATA_SHEET, FACTS_SHEET};
use super::*;

fn render(format: ReportFormat, rows: Vec<ReportRow>, at: &str) -> RenderedReport {
    build(
        &query(format),
        vec!["2026-12".into()],
        rows,
        no_scan(),
        WormStatus::NotEnforced {
            reason: "test".into(),
        },
        at.parse().expect("instant"),
        "offboard test",
    )
    .expect("rendered")
}

/// A CSV cell as the value it stands for: the apostrophe the CSV adds against formulas is
/// the CSV's, not the value's.
fn unneutralised(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if neutralise(rest).len() != rest.len() => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

/// An XLSX cell as CSV text, for comparison (numbers compared as numbers).
fn same(xlsx: &Data, csv: &str) -> bool {
    match xlsx {
        Data::Empty => csv.is_empty(),
        Data::String(s) => s == csv,
        Data::Float(f) => csv.parse::<f64>().is_ok_and(|c| c == *f),
        Data::Int(i) => csv.parse::<i64>().is_ok_and(|c| c == *i),
        _ => false,
    }
}

fn sheet(body: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(body.to_vec())).expect("an XLSX");
    let range = book.worksheet_range(name).expect("the sheet");
    assert_eq!(range.start(), Some((0, 0)), "{name} starts at A1");
    range.rows().map(<[Data]>::to_vec).collect()
}

#[test]
fn xlsx_holds_the_csv_rows_and_the_report_facts_and_is_the_same_file_each_time() {
    let mut evil = row("=cmd|' /C calc'!A0");
    evil.employee_id = Some("@SUM(1+1)".into());
    evil.leaver = Some(offboard_core::evidence::ResolvedLeaver {
        object_id: "obj-9".into(),
        display_name: Some("<script>alert(1)</script>".into()),
        ..Default::default()
    });
    evil.time_to_removal_seconds = Some(-2.5);
    evil.ledger_seq = None;
    let rows = vec![row("evt-1"), evil];
    let csv = render(ReportFormat::Csv, rows.clone(), "2026-12-02T00:00:00Z");
    let xlsx = render(ReportFormat::Xlsx, rows.clone(), "2026-12-02T00:00:00Z");

    assert_eq!(xlsx.meta.sha256, Sha256Digest::of(&xlsx.body).to_hex());
    assert_eq!(xlsx.meta.sha256_of, "the XLSX file exactly as delivered");
    assert_eq!(xlsx.meta.parameters.format, ReportFormat::Xlsx);
    assert_eq!(xlsx.meta.columns, csv.meta.columns);
    assert_eq!(xlsx.meta.row_count, 2);

    // The data sheet: the CSV's header and rows, cell for cell.
    let data = sheet(&xlsx.body, DATA_SHEET);
    let mut reader = csv::Reader::from_reader(csv.body.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let csv_rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("record").iter().map(unneutralised).collect())
        .collect();
    assert_eq!(
        data.len(),
        1 + csv_rows.len(),
        "header and one row per leaver"
    );
    assert_eq!(
        data[0],
        header.iter().cloned().map(Data::String).collect::<Vec<_>>()
    );
    for (x, c) in data[1..].iter().zip(&csv_rows) {
        assert_eq!(x.len(), c.len());
        for (i, (xv, cv)) in x.iter().zip(c).enumerate() {
            assert!(
                same(xv, cv),
                "column {}: xlsx {xv:?}, csv {cv:?}",
                header[i]
            );
        }
    }
    // What the CSV neutralises is plain text in the workbook; numbers are numbers.
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    assert_eq!(
        data[2][col("source_event_id")],
        Data::String("=cmd|' /C calc'!A0".into())
    );
    assert_eq!(
        data[2][col("leaver_display_name")],
        Data::String("<script>alert(1)</script>".into())
    );
    assert_eq!(data[2][col("time_to_removal_seconds")], Data::Float(-2.5));
    assert!(matches!(
        data[1][col("record_count")],
        Data::Float(_) | Data::Int(_)
    ));

    // The facts sheet: parameters, row count, and the CSV rendering's hash.
    let facts = sheet(&xlsx.body, FACTS_SHEET);
    let fact = |label: &str| -> String {
        facts
            .iter()
            .find(|r| r.first() == Some(&Data::String(label.into())))
            .and_then(|r| r.get(1))
            .map(|v| v.to_string())
            .unwrap_or_else(|| panic!("no fact {label}"))
    };
    assert_eq!(fact("Rows"), "2");
    assert_eq!(fact("From (as given)"), "2026-12-01");
    assert_eq!(
        fact("Effective to (UTC, exclusive)"),
        "2027-01-01T00:00:00.000Z"
    );
    assert!(fact("SHA-256 of the same rows as CSV").starts_with(&csv.meta.sha256));
    assert_eq!(fact("Evidence storage"), "WORM not enforced: test");

    // Regenerated later by someone else: the same file, so the same hash.
    let again = build(
        &query(ReportFormat::Xlsx),
        vec!["2026-12".into()],
        rows,
        no_scan(),
        WormStatus::NotEnforced {
            reason: "test".into(),
        },
        "2027-03-04T05:06:07Z".parse().expect("instant"),
        "someone else",
    )
    .expect("rendered");
    assert_eq!(again.body, xlsx.body);
    assert_eq!(again.meta.sha256, xlsx.meta.sha256);
}

#[test]
fn the_completeness_section_is_its_own_table_in_csv_and_xlsx() {
    use offboard_core::reconcile::{CompletenessRow, CompletenessStatus};
    let rows = vec![CompletenessRow {
        person: "=Gone Leaver".into(),
        employee_id: Some("E-9".into()),
        email: Some("gone@contoso.example".into()),
        hr_left_at: Some("2026-12-01T00:00:00Z".parse().expect("instant")),
        hr_source: Some("bamboohr".into()),
        case_id: None,
        case_effective_at: None,
        status: CompletenessStatus::NoAccount,
    }];
    let section = completeness::section(None, Some("a note".into()), rows).expect("section");
    let render = |format| {
        build(
            &ReportQuery {
                section: ReportSection::Completeness,
                ..query(format)
            },
            vec![],
            vec![row("evt-1")],
            section.clone(),
            WormStatus::NotEnforced {
                reason: "test".into(),
            },
            "2026-12-02T00:00:00Z".parse().expect("instant"),
            "offboard test",
        )
        .expect("rendered")
    };
    let csv = render(ReportFormat::Csv);
    assert_eq!(csv.meta.schema, completeness::COMPLETENESS_SCHEMA);
    assert_eq!(csv.meta.row_count, 1, "the section's rows, not the cases'");
    assert_eq!(csv.meta.note.as_deref(), Some("a note"));
    let text = String::from_utf8(csv.body).expect("text");
    assert_eq!(
        text,
        "person,employee_id,email,hr_left_at,hr_source,status,case_id,case_effective_at\r\n\
         '=Gone Leaver,E-9,gone@contoso.example,2026-12-01T00:00:00.000Z,bamboohr,no_account,,\r\n"
    );
    let xlsx = render(ReportFormat::Xlsx);
    let data = sheet(&xlsx.body, xlsx::COMPLETENESS_SHEET);
    assert_eq!(data.len(), 2);
    assert!(same(&data[1][0], "=Gone Leaver"), "{:?}", data[1]);
    assert!(same(&data[1][5], "no_account"));
    let facts = sheet(&xlsx.body, FACTS_SHEET);
    assert!(
        facts
            .iter()
            .any(|f| same(&f[0], "Note") && same(&f[1], "a note")),
        "{facts:?}"
    );
    // JSON holds both sections whatever the section asked.
    let json = render(ReportFormat::Json);
    let v: serde_json::Value = serde_json::from_slice(&json.body).expect("json");
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["completeness"]["differences"], 1);
}
