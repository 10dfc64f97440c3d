//! What the attack on offboard broke (issue 11), each through the real binaries: hostile SCIM
//! filters and deeply nested bodies are refused with a 400 and the handler lives on; weak or
//! malformed secrets stop the handler at start naming the setting; the embedded store is
//! owner-only; a lost `offboard.db` is rebuilt from the evidence; dates outside the supported
//! years are a 400, not an empty answer.

use offboard_testkit::{TestApp, offboard_executable};
use reqwest::Method;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

use crate::on_embedded;
use crate::tamper::{offboard, sealed_case};

fn nested_filter(depth: usize) -> String {
    format!(
        "{}userName eq \"ada@contoso.example\"{}",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

on_embedded!(
    a_deeply_nested_filter_is_refused_and_the_handler_lives_on,
    |app: TestApp| async move {
        // What the attack sent: ~1,250 parentheses (2.5 kB) in a search.
        let search = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": nested_filter(1_250)
        });
        let a = app.scim(Method::POST, "/.search", Some(&search)).await;
        assert_eq!(a.status, 400, "{}", a.json);
        assert_eq!(a.json["scimType"], "invalidFilter", "{}", a.json);

        let deep = nested_filter(200).replace(' ', "%20").replace('"', "%22");
        let a = app
            .scim(Method::GET, &format!("/Users?filter={deep}"), None)
            .await;
        assert_eq!(a.status, 400, "{}", a.json);
        assert_eq!(a.json["scimType"], "invalidFilter");

        // A PATCH path with a deep value filter.
        let user = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ada@contoso.example", "active": true
        });
        let created = app.scim(Method::POST, "/Users", Some(&user)).await;
        assert_eq!(created.status, 201, "{}", created.json);
        let id = created.json["id"].as_str().unwrap().to_owned();
        let path = format!(
            "emails[{}type eq \"work\"{}].value",
            "(".repeat(1_250),
            ")".repeat(1_250)
        );
        let patch = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": path, "value": "a@b.example"}]
        });
        let a = app
            .scim(Method::PATCH, &format!("/Users/{id}"), Some(&patch))
            .await;
        assert_eq!(a.status, 400, "{}", a.json);

        // JSON nested far deeper than any message: refused by the parser's depth limit.
        let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
        let now = chrono::Utc::now().timestamp();
        let headers = TestApp::generic_headers(&app.secrets.generic, "msg_deep", now, &deep_json);
        let a = app
            .post_raw("/api/hris/generic", &headers, deep_json.clone())
            .await;
        assert_eq!(a.status, 400, "{}", a.json);
        let mut req_headers = vec![("content-type", "application/scim+json".to_owned())];
        req_headers.push(("authorization", format!("Bearer {}", app.secrets.scim)));
        let a = app
            .post_raw("/api/scim/v2/Users", &req_headers, deep_json)
            .await;
        assert_eq!(a.status, 400, "{}", a.json);

        // Still the same handler, answering.
        let found = app
            .scim(
                Method::GET,
                "/Users?filter=userName%20eq%20%22ada@contoso.example%22",
                None,
            )
            .await;
        assert_eq!(found.status, 200, "{}", found.json);
        assert_eq!(found.json["totalResults"], 1);
        assert!(
            !app.handler_log().contains("overflow"),
            "{}",
            app.handler_log()
        );
        app.shutdown().await;
    }
);

/// Starts the real handler with the embedded backend and `extra` settings; returns its exit
/// code and what it printed, or panics if it is still running after 30 s.
async fn start_handler(extra: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd =
        tokio::process::Command::new(offboard_executable().unwrap().with_file_name("handler"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", "0")
        .env("OFFBOARD_BACKEND", "embedded")
        .env("OFFBOARD_EMBEDDED_PATH", dir.path().join("data"))
        .envs(extra.iter().copied())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("the handler must stop at once on a bad setting")
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[tokio::test]
async fn weak_or_malformed_secrets_stop_the_handler_naming_the_setting() {
    for (name, value) in [
        (
            "OFFBOARD_GENERIC_WEBHOOK_SECRET",
            "whsec_this*is*not*base64",
        ),
        // 16 bytes: the README promises at least 24.
        (
            "OFFBOARD_GENERIC_WEBHOOK_SECRET",
            "whsec_MDEyMzQ1Njc4OWFiY2RlZg==",
        ),
        ("OFFBOARD_SCIM_TOKEN", "x"),
        ("OFFBOARD_BAMBOOHR_SECRET", "b4mb00"),
    ] {
        let (code, out) = start_handler(&[(name, value)]).await;
        assert!(code.is_some_and(|c| c != 0), "{name}: exit {code:?}\n{out}");
        assert!(out.contains(name), "{name}: {out}");
        if value.len() > 1 {
            assert!(!out.contains(value), "the secret is never printed: {out}");
        }
    }
    // `offboard local` reads the same settings before it starts anything (its banner said
    // "configured" for a secret every request then failed on).
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(offboard_executable().unwrap())
        .args(["local", "--port", "0", "--data"])
        .arg(dir.path().join("data"))
        .arg("--settings")
        .arg(dir.path().join("no-local.settings.json"))
        .env(
            "OFFBOARD_GENERIC_WEBHOOK_SECRET",
            "whsec_this*is*not*base64",
        )
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("offboard local must stop at once on a bad setting")
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("OFFBOARD_GENERIC_WEBHOOK_SECRET"), "{text}");
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn check_tree(dir: &Path, evidence_files: &mut usize) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            check_tree(&p, evidence_files);
        } else if !p.file_name().unwrap().to_string_lossy().starts_with('.') {
            assert_eq!(mode(&p), 0o400, "{}", p.display());
            *evidence_files += 1;
        }
    }
}

#[cfg(unix)]
on_embedded!(
    the_embedded_store_and_the_handler_log_are_owner_only,
    |app: TestApp| async move {
        let _ = sealed_case(&app).await;
        let data = app.data_dir().to_owned();
        assert_eq!(mode(&data), 0o700, "the data directory");
        for f in ["offboard.db", "offboard.db-wal", "offboard.db-shm"] {
            let p = data.join(f);
            if f == "offboard.db" || p.exists() {
                assert_eq!(mode(&p), 0o600, "{f}");
            }
        }
        let log = data.parent().unwrap().join("handler.log");
        assert_eq!(mode(&log), 0o600, "handler.log");
        let mut evidence_files = 0;
        check_tree(&data.join("evidence"), &mut evidence_files);
        assert!(evidence_files >= 3, "records, a seal and a ledger entry");
        app.shutdown().await;
    }
);

on_embedded!(
    a_lost_case_database_is_rebuilt_from_the_evidence,
    |app: TestApp| async move {
        let (case_id, _) = sealed_case(&app).await;
        let data = app.data_dir().to_owned();
        let dir = data.display().to_string();
        let (code, out) = offboard(&["verify", "--ledger", "--data", &dir]);
        assert_eq!(code, 0, "{out}");
        // The file is lost (the running host and handler keep their open handles to the old
        // one; the commands below see only what is on disk).
        for f in ["offboard.db", "offboard.db-wal", "offboard.db-shm"] {
            let _ = std::fs::remove_file(data.join(f));
        }

        // verify says what is missing and what to do, without touching the store.
        let (code, out) = offboard(&["verify", "--ledger", "--data", &dir]);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("offboard.db is missing"), "{out}");
        assert!(out.contains("offboard rebuild-index --data"), "{out}");
        assert!(!data.join("offboard.db").exists(), "verify creates nothing");

        // rebuild-index needs nothing but the evidence.
        let (code, out) = offboard(&["rebuild-index", "--data", &dir]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("offboard.db was missing"), "{out}");
        assert!(
            out.contains("rebuilt the index entries of 1 case(s)"),
            "{out}"
        );
        let (code, out) = offboard(&["verify", "--ledger", "--data", &dir]);
        assert_eq!(code, 0, "{out}");
        let (code, out) = offboard(&[
            "report",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--format",
            "json",
            "--data",
            &dir,
        ]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(&case_id), "{out}");
        app.shutdown().await;
    }
);

on_embedded!(
    dates_outside_the_supported_years_are_refused,
    |app: TestApp| async move {
        let _ = sealed_case(&app).await;
        for path in [
            "/api/reports/terminations?from=2000-01-01&to=%2B10000-01-01",
            "/api/reports/terminations?from=-0001-01-01&to=2100-01-01",
            "/api/cases?to=%2B10000-01-01",
            "/api/cases?from=10000-01-01T00:00:00Z",
        ] {
            let a = app.get(path).await;
            assert_eq!(a.status, 400, "{path}: {}", a.json);
            assert!(
                a.json["detail"].as_str().unwrap_or("").contains("9999"),
                "{path}: {}",
                a.json
            );
        }
        // The last supported day still selects everything before it.
        let a = app.get("/api/cases?to=9999-12-31").await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(a.json["items"].as_array().unwrap().len(), 1, "{}", a.json);
        app.shutdown().await;
    }
);
