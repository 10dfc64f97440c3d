//! The filter and path parsers refuse hostile input with a 400 instead of recursing without
//! bound (a filter ~1,250 parentheses deep overflowed the handler's stack).

use super::ScimType;
use super::filter::{Filter, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_TERMS};
use super::list::ListFilter;
use super::patch::PatchRequest;
use super::path::{MAX_PATH_LENGTH, PatchTarget};
use serde_json::json;

fn nested(depth: usize) -> String {
    format!(
        "{}userName eq \"x\"{}",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

fn nots(depth: usize) -> String {
    format!(
        "{}userName eq \"x\"{}",
        "not (".repeat(depth),
        ")".repeat(depth)
    )
}

#[test]
fn nesting_up_to_the_limit_parses_and_beyond_it_is_invalid_filter() {
    assert!(Filter::parse(&nested(MAX_FILTER_DEPTH)).is_ok());
    assert!(Filter::parse(&nots(MAX_FILTER_DEPTH)).is_ok());
    for deep in [nested(MAX_FILTER_DEPTH + 1), nots(MAX_FILTER_DEPTH + 1)] {
        let err = Filter::parse(&deep).unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
        assert!(err.detail.contains("levels deep"), "{}", err.detail);
    }
}

#[test]
fn the_attack_filter_is_refused_without_overflowing_the_stack() {
    // What the attack sent: 1,250 parentheses (2.5 kB), and far more, unclosed.
    for text in [nested(1_250), "(".repeat(1_000_000), "not (".repeat(500)] {
        let err = Filter::parse(&text).unwrap_err();
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
        let err = ListFilter::parse(&text).unwrap_err();
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
    }
}

#[test]
fn long_filters_and_long_chains_are_refused() {
    let long = format!("userName eq \"{}\"", "a".repeat(MAX_FILTER_LENGTH));
    let err = Filter::parse(&long).unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
    assert!(err.detail.contains("bytes"), "{}", err.detail);

    let chain = |n: usize| vec!["a pr"; n].join(" and ");
    assert!(Filter::parse(&chain(MAX_FILTER_TERMS)).is_ok());
    let err = Filter::parse(&chain(MAX_FILTER_TERMS + 1)).unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
    assert!(err.detail.contains("comparisons"), "{}", err.detail);
}

#[test]
fn patch_paths_with_deep_or_long_filters_are_refused() {
    let deep = format!(
        "emails[{}type eq \"work\"{}].value",
        "(".repeat(1_250),
        ")".repeat(1_250)
    );
    let err = PatchTarget::parse(&deep).unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));

    let long = format!("emails[type eq \"{}\"]", "w".repeat(MAX_PATH_LENGTH));
    let err = PatchTarget::parse(&long).unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidPath));

    // The same through a whole PATCH body, and as a key of a path-less value.
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": deep, "value": "x"}]
    });
    let err = PatchRequest::parse(body.to_string().as_bytes()).unwrap_err();
    assert_eq!(err.status, 400);
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {long: "x"}}]
    });
    let request = PatchRequest::parse(body.to_string().as_bytes());
    let applied = request.and_then(|r| r.apply(&serde_json::Map::new()));
    assert_eq!(applied.unwrap_err().scim_type, Some(ScimType::InvalidPath));
}
