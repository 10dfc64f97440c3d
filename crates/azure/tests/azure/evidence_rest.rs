//! The REST shape of the evidence writes, checked on the wire.
//!
//! Here the store (production code, production credential) talks HTTPS to a small local server
//! that records every request and answers as the Blob service documents it. What the service's
//! immutability contract then does with those requests — and with an attacker's — is the
//! business of `evidence_worm.rs` and the `standin-blob-worm` stand-in. Each expectation names
//! its source:
//!
//! - Put Blob — https://learn.microsoft.com/rest/api/storageservices/put-blob : `PUT
//!   /{container}/{blob}`, `x-ms-blob-type: BlockBlob`, `If-None-Match: *` refuses an existing
//!   blob with 409 `BlobAlreadyExists`; answers 201 Created with `x-ms-version-id` where the
//!   account keeps versions. The optional `x-ms-legal-hold` and `x-ms-immutability-policy-*`
//!   headers are **not** sent: a blob's own policy takes precedence over the account's locked
//!   default (Set Blob Immutability Policy reference), so an Unlocked one would weaken it, and
//!   setting either needs `runAsSuperUser`, which the app does not hold.
//! - Get Blob — https://learn.microsoft.com/rest/api/storageservices/get-blob : 200 with
//!   `x-ms-version-id`, `x-ms-legal-hold` and, only for a policy of the blob's own,
//!   `x-ms-immutability-policy-mode` / `-until-date`.
//! - Errors — https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes :
//!   `x-ms-error-code` header and `<Error><Code>…</Code><Message>…</Message></Error>`.
//!
//! Summarised in shared/reference/platform-facts.md §5.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};

use azure_core::http::RetryOptions;
use chrono::{DateTime, Utc};
use offboard_azure::{BlobEvidenceConfig, BlobEvidenceOptions, BlobEvidenceStore};
use offboard_core::evidence::LedgerEntry;
use offboard_core::ports::{EvidenceStore, EvidenceStoreError};

use crate::evidence_contract::{chain, new_case, seal_of};
use crate::helpers::{certs_dir, credential};

/// The oldest `x-ms-version` that has both calls (immutability policies: 2020-06-12).
const MIN_VERSION: &str = "2020-06-12";

/// One request as it arrived.
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    path: String,
    query: HashMap<String, String>,
    /// Lower-cased names.
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    fn comp(&self) -> Option<&str> {
        self.query.get("comp").map(String::as_str)
    }
}

/// How the fake service behaves.
#[derive(Debug, Clone, Copy)]
struct Behaviour {
    /// Put Blob applies the legal hold and the policy headers (Azure with version-level
    /// immutability does).
    upload_applies_worm: bool,
    /// The dedicated calls take effect.
    dedicated_calls_apply: bool,
    /// Get Blob returns other bytes than were stored (a fault the read-back must catch).
    corrupt_reads: bool,
}

const AZURE: Behaviour = Behaviour {
    upload_applies_worm: true,
    dedicated_calls_apply: true,
    corrupt_reads: false,
};

#[derive(Debug, Default)]
struct FakeBlob {
    bytes: Vec<u8>,
    legal_hold: bool,
    mode: Option<String>,
    until: Option<String>,
}

#[derive(Debug)]
struct State {
    behaviour: Behaviour,
    blobs: HashMap<String, FakeBlob>,
    requests: Vec<Recorded>,
}

/// The recording server.
struct FakeBlobService {
    endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FakeBlobService {
    fn start(behaviour: Behaviour) -> Self {
        let dir = certs_dir();
        let certs: Vec<_> = rustls_pemfile::certs(&mut BufReader::new(
            std::fs::File::open(dir.join("server.pem")).expect("server.pem of the stack"),
        ))
        .collect::<Result<_, _>>()
        .expect("server certificate");
        let key = rustls_pemfile::private_key(&mut BufReader::new(
            std::fs::File::open(dir.join("server.key")).expect("server.key of the stack"),
        ))
        .expect("server key")
        .expect("a private key in server.key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("TLS server config");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
        let port = listener.local_addr().expect("local address").port();
        let state = Arc::new(Mutex::new(State {
            behaviour,
            blobs: HashMap::new(),
            requests: Vec::new(),
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, state) = (config.clone(), shared.clone());
                std::thread::spawn(move || serve(tcp, config, state));
            }
        });
        Self {
            endpoint: format!("https://127.0.0.1:{port}/acct"),
            state,
        }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .requests
            .clone()
    }

    fn store(&self, worm: bool, retention_days: u32) -> BlobEvidenceStore {
        BlobEvidenceStore::new(
            BlobEvidenceConfig {
                container: "evidence".into(),
                worm,
                retention_days,
                ..BlobEvidenceConfig::new(&self.endpoint)
            },
            credential(),
            BlobEvidenceOptions {
                retry: Some(RetryOptions::none()),
            },
        )
        .expect("store")
    }
}

fn serve(tcp: TcpStream, config: Arc<rustls::ServerConfig>, state: Arc<Mutex<State>>) {
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut buf = Vec::new();
    while let Some(request) = read_request(&mut tls, &mut buf) {
        let response = {
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            let response = respond(&request, &mut state);
            state.requests.push(request);
            response
        };
        if tls.write_all(&response).and_then(|()| tls.flush()).is_err() {
            return;
        }
    }
}

/// Reads one HTTP/1.1 request (headers, then a `Content-Length` body); `None` at the end of
/// the connection.
fn read_request(stream: &mut impl Read, buf: &mut Vec<u8>) -> Option<Recorded> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);
    let url = url::Url::parse(&format!("https://fake{target}")).ok()?;
    Some(Recorded {
        method,
        path: url.path().to_owned(),
        query: url.query_pairs().into_owned().collect(),
        headers,
        body,
    })
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn response(status: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Date: {}\r\nServer: fake-blob-service\r\nx-ms-request-id: {}\r\nContent-Length: {}\r\n\r\n",
        http_date(Utc::now()),
        uuid::Uuid::new_v4(),
        body.len()
    ));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn error(status: &str, code: &str, message: &str) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    response(
        status,
        &[
            ("x-ms-error-code", code.to_owned()),
            ("Content-Type", "application/xml".to_owned()),
        ],
        body.as_bytes(),
    )
}

fn respond(r: &Recorded, state: &mut State) -> Vec<u8> {
    let Some(name) = r.path.strip_prefix("/acct/evidence/").map(str::to_owned) else {
        return error(
            "400 Bad Request",
            "InvalidUri",
            "not a blob of the evidence container",
        );
    };
    let behaviour = state.behaviour;
    let version = r.header("x-ms-version").unwrap_or_default().to_owned();
    let common = |etag: bool| {
        let mut h = vec![("x-ms-version", version.clone())];
        if etag {
            h.push(("ETag", "\"0x8DD0000000000001\"".to_owned()));
            h.push(("Last-Modified", http_date(Utc::now())));
        }
        h
    };
    match (r.method.as_str(), r.comp()) {
        ("PUT", None) => {
            if state.blobs.contains_key(&name) && r.header("if-none-match") == Some("*") {
                return error(
                    "409 The specified blob already exists.",
                    "BlobAlreadyExists",
                    "The specified blob already exists.",
                );
            }
            let mut blob = FakeBlob {
                bytes: r.body.clone(),
                ..Default::default()
            };
            if behaviour.upload_applies_worm {
                blob.legal_hold = r.header("x-ms-legal-hold") == Some("true");
                blob.mode = r
                    .header("x-ms-immutability-policy-mode")
                    .map(str::to_ascii_lowercase);
                blob.until = r
                    .header("x-ms-immutability-policy-until-date")
                    .map(str::to_owned);
            }
            state.blobs.insert(name, blob);
            let mut h = common(true);
            h.push(("x-ms-request-server-encrypted", "true".into()));
            h.push(("x-ms-version-id", "2026-11-30T17:00:00.0000000Z".into()));
            response("201 Created", &h, b"")
        }
        ("PUT", Some("legalhold")) => {
            let Some(blob) = state.blobs.get_mut(&name) else {
                return error(
                    "404 Not Found",
                    "BlobNotFound",
                    "The specified blob does not exist.",
                );
            };
            let hold = r.header("x-ms-legal-hold").unwrap_or_default().to_owned();
            if behaviour.dedicated_calls_apply {
                blob.legal_hold = hold == "true";
            }
            let mut h = common(false);
            h.push(("x-ms-legal-hold", hold));
            response("200 OK", &h, b"")
        }
        ("PUT", Some("immutabilityPolicies")) => {
            let Some(blob) = state.blobs.get_mut(&name) else {
                return error(
                    "404 Not Found",
                    "BlobNotFound",
                    "The specified blob does not exist.",
                );
            };
            let until = r
                .header("x-ms-immutability-policy-until-date")
                .unwrap_or_default()
                .to_owned();
            let mode = r
                .header("x-ms-immutability-policy-mode")
                .unwrap_or("Unlocked")
                .to_ascii_lowercase();
            if behaviour.dedicated_calls_apply {
                blob.until = Some(until.clone());
                blob.mode = Some(mode.clone());
            }
            let mut h = common(false);
            h.push(("x-ms-immutability-policy-until-date", until));
            h.push(("x-ms-immutability-policy-mode", mode));
            response("200 OK", &h, b"")
        }
        ("GET" | "HEAD", None) => {
            let Some(blob) = state.blobs.get(&name) else {
                return error(
                    "404 Not Found",
                    "BlobNotFound",
                    "The specified blob does not exist.",
                );
            };
            let mut bytes = blob.bytes.clone();
            if behaviour.corrupt_reads {
                bytes.extend_from_slice(b" ");
            }
            let mut h = common(true);
            h.push(("Content-Type", "application/json".into()));
            h.push(("x-ms-blob-type", "BlockBlob".into()));
            h.push(("x-ms-creation-time", http_date(Utc::now())));
            h.push(("x-ms-lease-state", "available".into()));
            h.push(("x-ms-lease-status", "unlocked".into()));
            h.push(("x-ms-server-encrypted", "true".into()));
            h.push(("Accept-Ranges", "bytes".into()));
            h.push(("x-ms-legal-hold", blob.legal_hold.to_string()));
            h.push(("x-ms-version-id", "2026-11-30T17:00:00.0000000Z".into()));
            if let (Some(mode), Some(until)) = (&blob.mode, &blob.until) {
                h.push(("x-ms-immutability-policy-mode", mode.clone()));
                h.push(("x-ms-immutability-policy-until-date", until.clone()));
            }
            let ranged = r.header("range").or(r.header("x-ms-range")).is_some();
            let status = if ranged && !bytes.is_empty() {
                h.push((
                    "Content-Range",
                    format!("bytes 0-{}/{}", bytes.len() - 1, bytes.len()),
                ));
                "206 Partial Content"
            } else {
                "200 OK"
            };
            let body = if r.method == "HEAD" {
                Vec::new()
            } else {
                bytes
            };
            response(status, &h, &body)
        }
        _ => error(
            "400 Bad Request",
            "UnsupportedHttpVerb",
            "not offered by the fake",
        ),
    }
}

// --- what the requests must look like ---------------------------------------------------------

fn assert_version(r: &Recorded, min: &str) {
    let v = r.header("x-ms-version").expect("x-ms-version is sent");
    // Versions are dates: comparing the strings compares the dates.
    assert!(v >= min, "x-ms-version {v} is older than {min}");
}

fn assert_authenticated(r: &Recorded) {
    // The token itself is not shown: only that a bearer token from the identity was sent.
    let auth = r.header("authorization").expect("authorization header");
    assert!(
        auth.starts_with("Bearer ") && auth.len() > 20,
        "a bearer token is sent"
    );
}

/// Put Blob, create-only, with no hold and no policy of its own
/// (https://learn.microsoft.com/rest/api/storageservices/put-blob).
fn assert_create_only_put(r: &Recorded, blob: &str, body: &[u8]) {
    assert_eq!(r.method, "PUT");
    assert_eq!(
        r.path,
        format!("/acct/evidence/{blob}"),
        "literal slashes in the blob name"
    );
    assert_eq!(r.comp(), None);
    assert_eq!(r.header("x-ms-blob-type"), Some("BlockBlob"));
    assert_eq!(r.header("if-none-match"), Some("*"), "create-only");
    for h in [
        "x-ms-legal-hold",
        "x-ms-immutability-policy-mode",
        "x-ms-immutability-policy-until-date",
    ] {
        assert_eq!(
            r.header(h),
            None,
            "{h}: the app sets no hold and no per-blob policy (an unlocked one would override the locked default)"
        );
    }
    // The stored Content-Type property (the request's own Content-Type is the transfer's).
    assert_eq!(r.header("x-ms-blob-content-type"), Some("application/json"));
    assert_version(r, MIN_VERSION);
    assert_authenticated(r);
    assert_eq!(r.body, body);
}

fn assert_read_back(r: &Recorded, blob: &str) {
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, format!("/acct/evidence/{blob}"));
    assert_eq!(r.comp(), None);
    assert_authenticated(r);
}

#[tokio::test]
async fn a_record_is_one_create_only_put_without_hold_or_policy_then_a_read_back() {
    for worm in [true, false] {
        let fake = FakeBlobService::start(AZURE);
        let store = fake.store(worm, 2555);
        let case = new_case();
        let record = &chain(&case, 1)[0];
        let result = store.put_record("2026-11", record).await;
        let requests = fake.requests();
        assert_eq!(requests.len(), 2, "worm {worm}: {requests:?}");
        let blob = format!("cases/2026-11/{case}/records/000000.json");
        assert_create_only_put(
            &requests[0],
            &blob,
            &serde_json::to_vec_pretty(record).unwrap(),
        );
        assert_read_back(&requests[1], &blob);
        // No Set Blob Legal Hold, no Set Blob Immutability Policy, ever.
        assert!(requests.iter().all(|r| r.comp().is_none()));
        if worm {
            // This fake has no resource manager: without the account's locked default read
            // from the service, the write does not count.
            match result {
                Err(EvidenceStoreError::Permanent { detail }) => {
                    assert!(detail.contains("OFFBOARD_EVIDENCE_ACCOUNT_ID"), "{detail}")
                }
                other => panic!("worm on without the account's policy must fail, got {other:?}"),
            }
        } else {
            result.expect("worm off: written and read back");
        }
    }
}

#[tokio::test]
async fn seals_and_ledger_entries_are_written_the_same_way() {
    let fake = FakeBlobService::start(AZURE);
    let store = fake.store(false, 2555);
    let case = new_case();
    let records = chain(&case, 2);
    let seal = seal_of(&case, &records);
    store.put_seal("2026-11", &seal).await.unwrap();
    let entry = LedgerEntry::next(None, &seal, "2026-11").unwrap();
    store.put_ledger_entry(&entry).await.unwrap();
    let requests = fake.requests();
    assert_create_only_put(
        &requests[0],
        &format!("cases/2026-11/{case}/seal.json"),
        &serde_json::to_vec_pretty(&seal).unwrap(),
    );
    assert_create_only_put(
        &requests[2],
        "ledger/000000000000.json",
        &serde_json::to_vec_pretty(&entry).unwrap(),
    );
}

#[tokio::test]
async fn content_that_reads_back_different_is_not_confirmed() {
    for worm in [true, false] {
        let fake = FakeBlobService::start(Behaviour {
            corrupt_reads: true,
            ..AZURE
        });
        let store = fake.store(worm, 2555);
        let err = store
            .put_record("2026-11", &chain(&new_case(), 1)[0])
            .await
            .unwrap_err();
        assert!(
            matches!(&err, EvidenceStoreError::NotConfirmed { detail, .. } if detail.contains("differs")),
            "worm {worm}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_second_write_to_the_same_name_is_a_conflict() {
    let fake = FakeBlobService::start(AZURE);
    let store = fake.store(false, 2555);
    let record = &chain(&new_case(), 1)[0];
    store.put_record("2026-11", record).await.unwrap();
    assert!(matches!(
        store.put_record("2026-11", record).await,
        Err(EvidenceStoreError::Conflict { .. })
    ));
}
