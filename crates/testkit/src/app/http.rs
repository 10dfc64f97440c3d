//! The HTTP side of a [`TestApp`]: requests to the handler through the local Functions host
//! (as the operator, as another person, signed as an HR system, over SCIM), the answer they
//! get, and waiting for a case to reach a state.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

use offboard_api::CaseTimeline;
use offboard_core::signature::{WebhookSecret, sign_bamboohr};

use super::TestApp;

/// A response read whole.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Null` if empty or not JSON).
    pub json: Value,
}

impl Answer {
    /// The body as the API type `T`. Panics (this is test code) when the body does not read as
    /// `T`, or when `T` written back is not exactly the JSON received — so a field the type
    /// does not know, a renamed one, or `null` where the API omits a field fails the test.
    pub fn body<T: DeserializeOwned + Serialize>(&self) -> T {
        let typed: T = serde_json::from_value(self.json.clone()).unwrap_or_else(|e| {
            panic!(
                "the {} answer does not read as {}: {e}\n{}",
                self.status,
                std::any::type_name::<T>(),
                self.json
            )
        });
        let back = serde_json::to_value(&typed).expect("typed answers serialise");
        assert_eq!(
            back,
            self.json,
            "{} does not say exactly what the API answered",
            std::any::type_name::<T>()
        );
        typed
    }
}

impl TestApp {
    /// GETs a path without the function key (to check what is anonymous).
    pub async fn get_anonymous(&self, path: &str) -> Answer {
        let req = self.client.get(format!("{}{path}", self.base_url));
        Self::read(req.send().await.expect("request")).await
    }

    /// GETs a path as the operator and returns status, headers and the raw body.
    pub async fn get_bytes(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(&self.operator_token)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (
            status,
            headers,
            resp.bytes().await.unwrap_or_default().to_vec(),
        )
    }

    /// `http://127.0.0.1:<port>` of the local Functions host.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    async fn read(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap_or_default();
        Answer {
            status,
            headers,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// POSTs raw bytes with the given headers.
    pub async fn post_raw(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> Answer {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base_url))
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        Self::read(req.send().await.expect("request to the local host")).await
    }

    /// Standard Webhooks headers for `body`, signed with `secret` at `timestamp`.
    pub fn generic_headers(
        secret: &str,
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        let s = WebhookSecret::parse(secret).expect("test secret");
        let ts = timestamp.to_string();
        vec![
            ("content-type", "application/json".into()),
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", ts.clone()),
            ("webhook-signature", s.sign(id, &ts, body)),
        ]
    }

    /// POSTs a correctly signed generic webhook (a fresh webhook id each call).
    pub async fn post_generic(&self, body: &Value) -> Answer {
        let bytes = serde_json::to_vec(body).expect("json");
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let headers = Self::generic_headers(
            &self.secrets.generic,
            &id,
            chrono::Utc::now().timestamp(),
            &bytes,
        );
        self.post_raw("/api/hris/generic", &headers, bytes).await
    }

    /// BambooHR headers for `body` signed with `secret` at `timestamp`.
    pub fn bamboohr_headers(
        secret: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        let ts = timestamp.to_string();
        vec![
            ("content-type", "application/json".into()),
            ("x-bamboohr-timestamp", ts.clone()),
            (
                "x-bamboohr-signature",
                sign_bamboohr(secret.as_bytes(), body, &ts),
            ),
        ]
    }

    /// POSTs a correctly signed BambooHR webhook.
    pub async fn post_bamboohr(&self, body: &Value) -> Answer {
        let bytes = serde_json::to_vec(body).expect("json");
        let headers = Self::bamboohr_headers(
            &self.secrets.bamboohr,
            chrono::Utc::now().timestamp(),
            &bytes,
        );
        self.post_raw("/api/hris/bamboohr", &headers, bytes).await
    }

    /// POSTs an operator offboarding as the operator (bearer token).
    pub async fn post_offboarding(&self, body: &Value) -> Answer {
        self.post_as(&self.operator_token, "/api/offboardings", body)
            .await
    }

    /// GETs a compliance or operator API path as the operator (bearer token).
    pub async fn get(&self, path: &str) -> Answer {
        self.get_as(&self.operator_token, path).await
    }

    /// GETs a path with `token` as the bearer.
    pub async fn get_as(&self, token: &str, path: &str) -> Answer {
        let req = self
            .client
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(token);
        Self::read(req.send().await.expect("request")).await
    }

    /// POSTs JSON to a path with `token` as the bearer.
    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Answer {
        let req = self
            .client
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(token)
            .json(body);
        Self::read(req.send().await.expect("request")).await
    }

    /// Retries a step of a case as the operator.
    pub async fn retry(&self, case_id: &str, step: &str) -> Answer {
        self.post_as(
            &self.operator_token,
            &format!("/api/cases/{case_id}/steps/{step}/retry"),
            &Value::Null,
        )
        .await
    }

    /// An access token of the sample directory's person `upn` holding `roles`.
    pub fn token(&self, upn: &str, roles: &[&str]) -> String {
        self.entra
            .user_access_token(upn, roles)
            .expect("a person of the sample directory")
    }

    /// A SCIM request with the bearer token.
    pub async fn scim(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Answer {
        let mut req = self
            .client
            .request(method, format!("{}/api/scim/v2{path}", self.base_url))
            .bearer_auth(&self.secrets.scim);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(serde_json::to_vec(b).expect("json"));
        }
        Self::read(req.send().await.expect("request")).await
    }

    /// A SCIM request without any token.
    pub async fn scim_unauthenticated(&self) -> Answer {
        let req = self
            .client
            .get(format!("{}/api/scim/v2/Users", self.base_url));
        Self::read(req.send().await.expect("request")).await
    }

    /// A SCIM request with the wrong token.
    pub async fn scim_with_token(&self, token: &str) -> Answer {
        let req = self
            .client
            .get(format!("{}/api/scim/v2/Users", self.base_url))
            .bearer_auth(token);
        Self::read(req.send().await.expect("request")).await
    }

    /// `GET /api/cases/{id}`, which must answer 200.
    pub async fn timeline(&self, id: &str) -> CaseTimeline {
        let a = self.get(&format!("/api/cases/{id}")).await;
        assert_eq!(a.status, 200, "GET /api/cases/{id}: {}", a.json);
        a.body()
    }

    /// Polls `GET /api/cases/{id}` until `done` holds for its typed answer or `within`
    /// passes; every 200 answer on the way must read as a [`CaseTimeline`].
    pub async fn wait_case(
        &self,
        id: &str,
        within: Duration,
        done: impl Fn(&CaseTimeline) -> bool,
    ) -> CaseTimeline {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let a = self.get(&format!("/api/cases/{id}")).await;
            if a.status == 200 {
                let case: CaseTimeline = a.body();
                if done(&case) {
                    return case;
                }
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "case {id} did not reach the expected state within {within:?}; last answer {} {}",
                    a.status, a.json
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
