//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every endpoint the handler serves
//! through the Functions host. The document is `crates/handler/openapi.json`, checked in and
//! embedded at build time; a test keeps it and the dispatcher in step.

use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

/// The document.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// Serves the document.
pub fn get() -> Response {
    let mut resp = Response::new(OPENAPI_JSON.into());
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::SERVED;
    use crate::startup::Application;
    use offboard_service::settings::Settings;
    use serde_json::Value;

    fn doc() -> Value {
        serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
    }

    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

    #[test]
    fn the_document_is_openapi_3_1_and_describes_exactly_what_is_served() {
        let d = doc();
        assert_eq!(d["openapi"], "3.1.0");
        let paths = d["paths"].as_object().expect("paths");
        for (method, path) in SERVED {
            let op = &paths
                .get(*path)
                .unwrap_or_else(|| panic!("{path} is served but not in openapi.json"))[*method];
            assert!(
                op.is_object(),
                "{method} {path} is served but not described"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
        for (path, item) in paths {
            for m in METHODS {
                if item.get(m).is_some() {
                    assert!(
                        SERVED.contains(&(m, path.as_str())),
                        "openapi.json describes {m} {path}, which the handler does not serve"
                    );
                }
            }
        }
        // Every $ref resolves.
        let text = OPENAPI_JSON;
        for part in text.split("\"$ref\": \"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap_or_default();
            assert!(
                d["components"]["schemas"].get(name).is_some(),
                "dangling $ref to {name}"
            );
        }
    }

    #[test]
    fn the_human_api_needs_entra_id_keys_only_read_under_keyed_and_the_document_needs_nothing() {
        let d = doc();
        for (method, path) in SERVED {
            let op = &d["paths"][*path][*method];
            let security = op["security"].to_string();
            if path.starts_with("/api/keyed/") {
                assert_eq!(security, r#"[{"functionKey":[]}]"#, "{method} {path}");
                assert_eq!(*method, "get", "a function key never changes a case");
            } else if path.starts_with("/api/cases")
                || path.starts_with("/api/reports")
                || *path == "/api/ledger"
                || *path == "/api/remediations"
                || *path == "/api/offboardings"
                || *path == "/api/findings"
                || *path == "/api/scans"
            {
                assert!(
                    security.contains("entraBearer")
                        && security.contains("session")
                        && !security.contains("functionKey"),
                    "{method} {path}: {security}"
                );
                assert!(op["responses"].get("403").is_some(), "{method} {path}");
            }
            if path.starts_with("/api/scim") {
                assert!(security.contains("scimBearer"), "{method} {path}");
            }
        }
        assert_eq!(
            d["paths"]["/api/openapi.json"]["get"]["security"],
            serde_json::json!([])
        );
    }

    fn concrete(path: &str) -> String {
        path.replace("{provider}", "generic")
            .replace("{caseId}", "c-5a0f1d3e-6b7c-4c1e-9f8a-0ffb0a4d0001")
            .replace("{step}", "block-sign-in")
            .replace("{id}", "x")
    }

    #[tokio::test]
    async fn the_dispatcher_routes_every_described_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().display().to_string();
        let settings = Settings::from_lookup(|k| match k {
            "OFFBOARD_BACKEND" => Some("embedded".into()),
            "OFFBOARD_EMBEDDED_PATH" => Some(data.clone()),
            "OFFBOARD_TENANT_ID" => Some("contoso.onmicrosoft.com".into()),
            _ => None,
        })
        .expect("settings");
        let app = Application::build(settings, 0).await.expect("handler");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        for (method, path) in SERVED {
            let m = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .expect("method");
            let resp = client
                .request(m, format!("{base}{}", concrete(path)))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("request");
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            assert!(
                status != reqwest::StatusCode::METHOD_NOT_ALLOWED
                    && !text.contains("offboard serves no resource"),
                "{method} {path} is described but not routed: {status} {text}"
            );
        }
        let resp = client
            .get(format!("{base}/api/openapi.json"))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/json");
        assert_eq!(resp.text().await.unwrap_or_default(), OPENAPI_JSON);
    }
}
