//! SCIM 2.0 through the local Functions host: deactivation opens a case. The SCIM answers are
//! the SCIM protocol's JSON (RFC 7643), read as such; offboard's own answers are read typed.

use offboard_api::CasePage;
use offboard_core::case::CaseStatus;
use offboard_core::event::Source;
use offboard_testkit::TestApp;
use reqwest::Method;
use serde_json::json;

use crate::on_every_backend;

on_every_backend!(
    scim_deactivation_opens_a_case_and_reactivation_cancels_it,
    |app: TestApp| async move {
        let user = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:offboard:2.0:User"],
            "userName": "ada.lovelace@contoso.example",
            "externalId": "1042",
            "active": true,
            "urn:ietf:params:scim:schemas:extension:offboard:2.0:User": {
                "terminationDateTime": crate::helpers::in_secs(86_400)
            }
        });
        let created = app.scim(Method::POST, "/Users", Some(&user)).await;
        assert_eq!(created.status, 201, "{}", created.json);
        let id = created.json["id"].as_str().unwrap().to_owned();

        let found = app
            .scim(
                Method::GET,
                "/Users?filter=userName%20eq%20%22ADA.LOVELACE@contoso.example%22",
                None,
            )
            .await;
        assert_eq!(found.json["totalResults"], 1);

        // Entra ID's form: capitalised op, string boolean.
        let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
        let patched = app
            .scim(Method::PATCH, &format!("/Users/{id}"), Some(&deactivate))
            .await;
        assert_eq!(patched.status, 200, "{}", patched.json);
        assert_eq!(patched.json["active"], false);
        let case_id = patched.headers["offboard-case-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let case = app.timeline(&case_id).await.case;
        assert_eq!(case.status, CaseStatus::Scheduled);
        assert_eq!(case.source, Source::Scim);
        assert_eq!(
            case.employee.user_principal_name.as_deref(),
            Some("ada.lovelace@contoso.example")
        );

        // Redelivered deactivation: same case.
        let again = app
            .scim(Method::PATCH, &format!("/Users/{id}"), Some(&deactivate))
            .await;
        assert_eq!(again.status, 200);

        let reactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": true}}]});
        let r = app
            .scim(Method::PATCH, &format!("/Users/{id}"), Some(&reactivate))
            .await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(
            app.timeline(&case_id).await.case.status,
            CaseStatus::Cancelled
        );
        let all: CasePage = app.get("/api/cases").await.body();
        assert_eq!(all.items.len(), 1);
        app.shutdown().await;
    }
);
