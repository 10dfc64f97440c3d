//! Tests of the configuration: the repository's own app, app-setting schedules, refusals
//! and timespans.

use super::*;
use std::path::Path;

fn write(dir: &Path, name: &str, body: &str) {
    std::fs::create_dir_all(dir.join(name)).unwrap();
    std::fs::write(dir.join(name).join("function.json"), body).unwrap();
}

#[test]
fn the_repository_app_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let app = AppDefinition::load(&root.join("host.json"), &root.join("handlers")).unwrap();
    assert_eq!(app.host.executable, "handler");
    assert!(app.host.forward_http);
    assert!(app.functions["hris"].is_http_only());
    assert!(matches!(
        app.functions["plan"].trigger,
        Trigger::Queue { .. }
    ));
}

#[test]
fn a_timer_schedule_can_name_an_app_setting() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let app = AppDefinition::load(&root.join("host.json"), &root.join("handlers")).unwrap();
    let Trigger::Timer { schedule, .. } = &app.functions["reconcile"].trigger else {
        panic!("reconcile is a timer");
    };
    assert_eq!(
        schedule,
        &TimerSchedule::Setting("OFFBOARD_RECONCILE_SCHEDULE".into())
    );
    let mut settings = std::collections::BTreeMap::new();
    let err = schedule.resolve(&settings).unwrap_err();
    assert!(err.contains("OFFBOARD_RECONCILE_SCHEDULE"), "{err}");
    settings.insert(
        "OFFBOARD_RECONCILE_SCHEDULE".into(),
        "not a schedule".into(),
    );
    assert!(schedule.resolve(&settings).is_err());
    settings.insert("OFFBOARD_RECONCILE_SCHEDULE".into(), "0 0 2 * * *".into());
    let s = schedule.resolve(&settings).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-06T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(
        s.next_after(now).map(|t| t.to_rfc3339()),
        Some("2026-12-07T02:00:00+00:00".to_owned())
    );
}

#[test]
fn unknown_bindings_and_keys_are_refused_loudly() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "f",
        r#"{"bindings":[{"type":"blobTrigger","direction":"in","name":"b","path":"x/{n}"}]}"#,
    );
    let err = FunctionDef::load(&dir.path().join("f"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("blobTrigger"), "{err}");
    write(
        dir.path(),
        "g",
        r#"{"bindings":[{"type":"queueTrigger","direction":"in","name":"m","queueName":"q","cardinality":"many"}]}"#,
    );
    let err = FunctionDef::load(&dir.path().join("g"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("cardinality"), "{err}");
}

#[test]
fn timespans() {
    assert_eq!(parse_timespan("00:00:02"), Some(Duration::from_secs(2)));
    assert_eq!(
        parse_timespan("1.00:00:00"),
        Some(Duration::from_secs(86_400))
    );
    assert_eq!(
        parse_timespan("00:00:00.500"),
        Some(Duration::from_millis(500))
    );
    assert_eq!(parse_timespan("2s"), None);
}
