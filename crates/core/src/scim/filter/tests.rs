//! Tests of the filter language: parsing, the limits, and evaluating value filters.

use super::eval::compare;
use super::*;
use crate::scim::ScimType;
use crate::scim::attr::AttrName;
use crate::scim::schema::{AttributeDef, SchemaId};
use serde_json::{Value, json};

fn emails() -> &'static AttributeDef {
    SchemaId::User.attribute("emails").unwrap()
}

fn name(n: &str) -> AttrName {
    AttrName::parse(n).unwrap()
}

#[test]
fn parses_comparisons_and_literals() {
    assert_eq!(
        Filter::parse(r#"userName Eq "bjensen""#).unwrap(),
        Filter::Compare {
            path: name("userName"),
            op: CompareOp::Eq,
            value: json!("bjensen")
        }
    );
    assert_eq!(
        Filter::parse("title pr").unwrap(),
        Filter::Present(name("title"))
    );
    assert!(matches!(
        Filter::parse("meta.lastModified gt \"2011-05-13T04:42:34Z\"").unwrap(),
        Filter::Compare {
            op: CompareOp::Gt,
            ..
        }
    ));
    assert!(matches!(
        Filter::parse("x ge 5.5").unwrap(),
        Filter::Compare {
            value: Value::Number(_),
            ..
        }
    ));
    assert!(matches!(
        Filter::parse("primary eq true").unwrap(),
        Filter::Compare {
            value: Value::Bool(true),
            ..
        }
    ));
    assert!(matches!(
        Filter::parse(r#"userName eq "a \"quoted\" name""#).unwrap(),
        Filter::Compare { value: Value::String(s), .. } if s == "a \"quoted\" name"
    ));
}

#[test]
fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
    let f = Filter::parse(r#"a eq "1" or b eq "2" and not (c eq "3")"#).unwrap();
    let Filter::Or(left, right) = f else {
        panic!("or must be outermost")
    };
    assert!(matches!(*left, Filter::Compare { .. }));
    let Filter::And(_, not) = *right else {
        panic!("and binds tighter than or")
    };
    assert!(matches!(*not, Filter::Not(_)));
    let grouped = Filter::parse(r#"(a eq "1" or b eq "2") and c pr"#).unwrap();
    assert!(matches!(grouped, Filter::And(..)));
}

#[test]
fn parses_value_paths() {
    let f = Filter::parse(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
    let Filter::ValuePath { path, filter } = f else {
        panic!("expected a value path")
    };
    assert_eq!(path.name, "emails");
    assert!(matches!(*filter, Filter::And(..)));
}

#[test]
fn rejects_malformed_filters_with_invalid_filter() {
    for bad in [
        "",
        "userName",
        r#"userName eq"#,
        r#"userName equals "x""#,
        r#"userName eq bjensen"#,
        r#"userName eq "x" extra"#,
        r#"(userName eq "x""#,
        r#"userName eq "unterminated"#,
        r#"emails[type eq "work""#,
        r#"emails[x[y eq 1]]"#,
        r#"not userName eq "x""#,
        r#"and eq "x" or"#,
    ] {
        let err = Filter::parse(bad).unwrap_err();
        assert_eq!(err.status, 400, "{bad}");
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter), "{bad}");
    }
}

#[test]
fn matches_values_with_the_attribute_case_rules() {
    let work = json!({"value": "Ada@Contoso.com", "type": "Work", "primary": true});
    let m = |f: &str| Filter::parse(f).unwrap().matches(&work, emails()).unwrap();
    // emails.type and emails.value are not caseExact.
    assert!(m(r#"type eq "work""#));
    assert!(m(r#"value co "@contoso""#));
    assert!(m(r#"value sw "ada""#));
    assert!(m(r#"value ew ".COM""#));
    assert!(!m(r#"type ne "work""#));
    assert!(m(r#"primary eq true"#));
    assert!(m(r#"primary eq "True""#));
    assert!(!m(r#"primary eq false"#));
    assert!(m(r#"type eq "home" or primary eq true"#));
    assert!(!m(r#"not (type eq "work")"#));
    assert!(m("value pr"));
    assert!(!m("display pr"));
    assert!(!m(r#"display eq "x""#));
    assert!(m(r#"value gt "a""#));
    let missing_type = json!({"value": "x@y.z"});
    let f = Filter::parse(r#"type ne "work""#).unwrap();
    assert!(f.matches(&missing_type, emails()).unwrap());
}

#[test]
fn type_mismatches_are_invalid_filters() {
    let e = json!({"value": "a@b.c", "primary": true});
    for bad in [
        r#"primary gt true"#,
        r#"primary eq 1"#,
        r#"value eq 5"#,
        r#"value lt null"#,
    ] {
        let err = Filter::parse(bad)
            .unwrap()
            .matches(&e, emails())
            .unwrap_err();
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter), "{bad}");
    }
}

#[test]
fn compares_date_times_as_instants() {
    let off = SchemaId::OffboardUser
        .attribute("terminationDateTime")
        .unwrap();
    let actual = json!("2026-11-30T17:00:00-05:00");
    assert!(
        compare(
            off,
            Some(&actual),
            CompareOp::Eq,
            &json!("2026-11-30T22:00:00Z")
        )
        .unwrap()
    );
    assert!(
        compare(
            off,
            Some(&actual),
            CompareOp::Gt,
            &json!("2026-11-30T21:59:59Z")
        )
        .unwrap()
    );
    assert!(
        compare(
            off,
            Some(&actual),
            CompareOp::Co,
            &json!("2026-11-30T21:59:59Z")
        )
        .is_err()
    );
}

#[test]
fn seeds_a_new_value_from_equalities_only() {
    let f = Filter::parse(r#"type eq "work" and primary eq true"#).unwrap();
    assert_eq!(
        Value::Object(f.seed(emails()).unwrap()),
        json!({"type": "work", "primary": true})
    );
    assert!(
        Filter::parse(r#"type ne "work""#)
            .unwrap()
            .seed(emails())
            .is_none()
    );
    assert!(
        Filter::parse(r#"type eq "work" or type eq "home""#)
            .unwrap()
            .seed(emails())
            .is_none()
    );
    assert!(
        Filter::parse(r#"type eq "work" and type eq "home""#)
            .unwrap()
            .seed(emails())
            .is_none()
    );
    assert!(
        Filter::parse(r#"display eq "x""#)
            .unwrap()
            .seed(emails())
            .is_none()
    );
}
