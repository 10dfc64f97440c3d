//! The report readers against small reports of each shape, good and bad.

use super::*;
use crate::effective::EffectivePolicy;

#[test]
fn csv_maps_columns_and_reads_leavers() {
    let csv = "Employee_ID,Email,Status,Termination_Date,Termination_Type,Full_Name\n\
               E1,a@x.test,Active,,,Ann A\n\
               E2,b@x.test,Terminated,2026-11-20,Voluntary,Bob B\n";
    let rows = parse_csv(csv.as_bytes(), &ColumnMapping::default()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].employment, Employment::Current);
    assert_eq!(rows[1].employment, Employment::Terminated);
    assert_eq!(rows[1].kind, TerminationKind::Voluntary);
    assert_eq!(rows[1].name.as_deref(), Some("Bob B"));
    assert_eq!(rows[0].name, None, "a current employee's name is not kept");
    let p = EffectivePolicy::new("UTC", "end-of-day").unwrap();
    assert!(rows[1].leave_at(&p).is_some());
    assert!(rows[0].leave_at(&p).is_none());
}

#[test]
fn a_missing_column_or_a_ragged_row_fails_the_whole_report() {
    let missing = "Employee_ID,Email,Termination_Date\nE1,a@x.test,\n";
    assert!(matches!(
        parse_csv(missing.as_bytes(), &ColumnMapping::default()),
        Err(PopulationError::MissingColumn {
            field: "status",
            ..
        })
    ));
    let ragged =
        "Employee_ID,Email,Status,Termination_Date,Termination_Type,Full_Name\nE1,a@x.test\n";
    assert!(matches!(
        parse_csv(ragged.as_bytes(), &ColumnMapping::default()),
        Err(PopulationError::Malformed(_))
    ));
    let bad_date = "Employee_ID,Email,Status,Termination_Date,Termination_Type,Full_Name\nE1,a@x.test,Terminated,20/11/2026,,A\n";
    assert!(matches!(
        parse_csv(bad_date.as_bytes(), &ColumnMapping::default()),
        Err(PopulationError::BadRow { row: 1, .. })
    ));
}

#[test]
fn json_reports_and_bamboohr_reports_read_the_same_people() {
    let json = br#"{"Report_Entry":[{"Employee_ID":"E2","Email":"b@x.test","Status":"Terminated","Termination_Date":"2026-11-20","Extra":{"a":[1,2]}}]}"#;
    let map = ColumnMapping {
        termination_type: None,
        name: None,
        ..ColumnMapping::default()
    };
    let rows = parse_json(&json[..], &map).unwrap();
    assert_eq!(rows[0].employment, Employment::Terminated);
    assert_eq!(rows[0].employee_id.as_deref(), Some("E2"));
    let bare =
        br#"[{"Employee_ID":42,"Email":"a@x.test","Status":"Active","Termination_Date":null}]"#;
    assert_eq!(
        parse_json(&bare[..], &map).unwrap()[0]
            .employee_id
            .as_deref(),
        Some("42"),
        "a number is read as its text"
    );
    let bamboo = br#"{"title":"offboard","fields":[{"id":"status"}],"employees":[
        {"id":"7","employeeNumber":"E2","firstName":"Bob","lastName":"B","workEmail":"b@x.test","status":"Inactive","terminationDate":"2026-11-20","terminationType":"Voluntary"},
        {"id":"8","employeeNumber":"E1","workEmail":"a@x.test","status":"Active","terminationDate":"0000-00-00"}]}"#;
    let rows = parse_bamboohr(&bamboo[..]).unwrap();
    assert_eq!(rows[0].employment, Employment::Terminated);
    assert_eq!(rows[0].name.as_deref(), Some("Bob B"));
    assert_eq!(rows[1].employment, Employment::Current);
    assert!(rows[1].terminated.is_none());
    assert!(matches!(
        parse_json(&br#"[{"Employee_ID":"E1"}]"#[..], &map),
        Err(PopulationError::MissingColumn { field: "email", .. })
    ));
    assert!(matches!(
        parse_bamboohr(&br#"{"employees":[{"employeeNumber":"E1"}]}"#[..]),
        Err(PopulationError::MissingColumn {
            field: "status",
            ..
        })
    ));
    assert!(matches!(
        parse_bamboohr(&br#"{"employees":[{"status":"Inactive","terminationDate":"30/11"}]}"#[..]),
        Err(PopulationError::BadRow { row: 1, .. })
    ));
    for bad in [
        &b"{}"[..],
        b"[]",
        b"{\"employees\":[1]}",
        b"{\"employees\":[] } x",
    ] {
        assert!(
            matches!(parse_bamboohr(bad), Err(PopulationError::Malformed(_))),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    assert!(matches!(
        parse_json(&br#"{"rows":[]}"#[..], &map),
        Err(PopulationError::Malformed(_))
    ));
}

#[test]
fn the_snapshot_digest_is_of_every_byte_read() {
    let body = b"{\"employees\":[]}\n\n  ";
    let s = read_snapshot("bamboohr", ReportShape::BambooHr, &body[..]).unwrap();
    assert_eq!(s.sha256, Sha256Digest::of(body));
    assert!(s.rows.is_empty());
    let csv = "Employee_ID,Email,Status,Termination_Date\nE1,a@x.test,Active,\n";
    let map = ColumnMapping {
        termination_type: None,
        name: None,
        ..ColumnMapping::default()
    };
    let s = read_snapshot("report", ReportShape::Csv(&map), csv.as_bytes()).unwrap();
    assert_eq!(s.sha256, Sha256Digest::of(csv.as_bytes()));
    assert_eq!(s.rows.len(), 1);
}
