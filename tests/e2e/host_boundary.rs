//! The trust boundary at the local Functions host, attacked as an outsider would: paths with
//! dot segments, bodies far over the limit, and what offboard records about a caller the host
//! (not offboard) authorised. Requests with odd paths are written on a raw socket, because
//! every HTTP client resolves dot segments before sending.

use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use offboard_testkit::{OPERATOR_UPN, TestApp};

use crate::on_embedded;

/// Writes `head` (request line and headers, without the blank line) and `body` to the host,
/// then reads the answer's status and body. Waits at most 20 s for the answer.
async fn raw(app: &TestApp, head: &str, body: &[u8]) -> (u16, String) {
    let addr = app.base_url().trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(&addr)
        .await
        .expect("connect to the host");
    let request = format!("{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.expect("write head");
    // The host may answer (and close) before taking the whole body: that is the point.
    let _ = s.write_all(body).await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut answer))
        .await
        .expect("the host answers within 20 s without waiting for the rest of the body")
        .expect("read the answer");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn case_count(app: &TestApp) -> usize {
    let a = app.get("/api/cases").await;
    assert_eq!(a.status, 200, "{}", a.json);
    a.json["items"].as_array().map(Vec::len).unwrap_or(0)
}

on_embedded!(
    dot_segments_never_reach_a_function_key_route,
    |app: TestApp| async move {
        // A case exists, so a list that leaks would have something in it.
        let a = app
            .post_offboarding(&json!({"employee": {"userPrincipalName": "eve@contoso.example"}}))
            .await;
        assert_eq!(a.status, 202, "{}", a.json);
        for path in [
            "/api/scim/v2/../../cases",
            "/api/scim/v2/%2e%2e/%2e%2e/cases",
            "/api/scim/v2/%2E%2E/..%2f../cases",
            "/api/scim/v2/Users/../../../cases",
            "/api/hris/generic/../../cases",
            "/api/./cases",
        ] {
            let (status, body) = raw(&app, &format!("GET {path} HTTP/1.1"), b"").await;
            assert!(
                status == 400 || status == 404,
                "GET {path} answered {status}: {body}"
            );
            assert!(!body.contains("caseId"), "GET {path} leaked cases: {body}");
        }
        // The attack that disabled a user: an operator request through the anonymous route.
        let body =
            json!({"employee": {"userPrincipalName": "mallory@contoso.example"}}).to_string();
        for path in [
            "/api/scim/v2/../../offboardings",
            "/api/scim/v2/%2e%2e/%2e%2e/offboardings",
        ] {
            let (status, answer) = raw(
                &app,
                &format!(
                    "POST {path} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}",
                    body.len()
                ),
                body.as_bytes(),
            )
            .await;
            assert!(
                status == 400 || status == 404,
                "POST {path}: {status} {answer}"
            );
        }
        assert_eq!(case_count(&app).await, 1, "no case opened by the attack");
        // The same resources through their own route still need a signed-in caller.
        let (status, _) = raw(&app, "GET /api/cases HTTP/1.1", b"").await;
        assert_eq!(status, 401);
        app.shutdown().await;
    }
);

on_embedded!(
    bodies_over_the_limit_are_refused_while_reading,
    |app: TestApp| async move {
        // A declared 256 MiB body: refused before a byte of it is read (the client never
        // sends it; a host that buffered would wait for it forever).
        let (status, _) = raw(
            &app,
            "POST /api/hris/generic HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 268435456",
            b"",
        )
        .await;
        assert_eq!(status, 413);
        // An undeclared (chunked) body: refused once the count passes 1 MiB, although the
        // client has not finished (no last chunk is ever sent).
        let mut chunks = Vec::new();
        for _ in 0..17 {
            chunks.extend_from_slice(format!("{:x}\r\n", 65_536).as_bytes());
            chunks.extend_from_slice(&[b' '; 65_536]);
            chunks.extend_from_slice(b"\r\n");
        }
        let (status, _) = raw(
            &app,
            "POST /api/hris/generic HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
            &chunks,
        )
        .await;
        assert_eq!(status, 413);
        // Over the limit by one byte, sent whole, again and again: always 413, never a 502.
        for _ in 0..20 {
            let big = vec![b' '; 1024 * 1024 + 1];
            let (status, _) = raw(
                &app,
                &format!(
                    "POST /api/hris/generic HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}",
                    big.len()
                ),
                &big,
            )
            .await;
            assert_eq!(status, 413);
        }
        // At the limit the handler reads it (and refuses the unsigned body).
        let (status, _) = raw(
            &app,
            &format!(
                "POST /api/hris/generic HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}",
                1024 * 1024
            ),
            &vec![b' '; 1024 * 1024],
        )
        .await;
        assert_eq!(status, 401);
        app.shutdown().await;
    }
);

fn details_of_record_zero(evidence: &Value) -> &Value {
    let records = evidence["packet"]["records"].as_array().expect("records");
    &records
        .iter()
        .find(|r| r["step"] == "hr-trigger")
        .expect("the trigger record")["details"]
}

on_embedded!(
    an_operator_case_records_who_asked_as_offboard_checked_them,
    |app: TestApp| async move {
        let a = app
            .post_offboarding(&json!({"employee": {"userPrincipalName": "eve@contoso.example"}}))
            .await;
        assert_eq!(a.status, 202, "{}", a.json);
        let id = a.json["caseId"].as_str().unwrap().to_owned();
        let case = app.get(&format!("/api/cases/{id}")).await;
        assert_eq!(case.json["authenticatedBy"], "entra-id", "{}", case.json);
        let otto = app.entra.person(OPERATOR_UPN).unwrap().object_id.clone();
        assert_eq!(case.json["requestedBy"]["objectId"], otto.as_str());
        assert_eq!(case.json["requestedBy"]["userPrincipalName"], OPERATOR_UPN);
        assert_eq!(case.json["requestedBy"]["signedInWith"], "bearer");
        assert!(case.json.get("hostAssertion").is_none(), "{}", case.json);
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        assert_eq!(ev.status, 200, "{}", ev.json);
        let d = details_of_record_zero(&ev.json);
        assert_eq!(d["authenticatedBy"], "entra-id");
        assert_eq!(d["signatureVerified"], true, "offboard checked the token");
        assert_eq!(d["requestedBy"]["objectId"], otto.as_str());
        assert_eq!(d["requestedBy"]["userPrincipalName"], OPERATOR_UPN);
        let (_, _, evidence) = app.get_bytes(&format!("/api/cases/{id}/evidence")).await;
        let evidence = String::from_utf8_lossy(&evidence);
        let token_signature = app.operator_token.rsplit('.').next().unwrap();
        assert!(
            !evidence.contains(token_signature),
            "the token is not in the evidence"
        );

        // A function key no longer opens the operator route: the host lets the request
        // through (anonymous) and offboard finds no caller.
        let resp = app
            .client
            .post(format!("{}/api/offboardings", app.base_url()))
            .header("x-functions-key", &app.function_key)
            .json(&json!({"employee": {"userPrincipalName": "frank@contoso.example"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 401);
        app.shutdown().await;
    }
);

on_embedded!(
    the_handler_listens_on_loopback_only,
    |app: TestApp| async move {
        let port = app.host().handler_port();
        // The kernel's table of listening TCP sockets: the handler's is bound to 127.0.0.1
        // (0100007F) and nothing else, so nothing off the machine can call /plan, /step-* or
        // /scheduler.
        let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp")
            + &std::fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
        let bound: Vec<String> = table
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut cols = l.split_whitespace();
                let local = cols.nth(1)?;
                let state = cols.nth(1)?;
                let (addr, p) = local.rsplit_once(':')?;
                (state == "0A" && u16::from_str_radix(p, 16).ok()? == port).then(|| addr.to_owned())
            })
            .collect();
        assert_eq!(
            bound,
            vec!["0100007F".to_owned()],
            "listening sockets on {port}"
        );
        app.shutdown().await;
    }
);
