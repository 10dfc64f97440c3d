//! HTTPS and the REST shapes: requests in, the model's answers out.

use std::convert::Infallible;
use std::io::BufReader;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

use crate::model::{Account, BlobPolicy, Grants, PolicyState, Refusal, actions};
use crate::{StartError, WormConfig};

const STORAGE: &str = "https://storage.azure.com";
const ARM: &str = "https://management.azure.com";

struct Shared {
    config: WormConfig,
    account_id: String,
    state: Arc<Mutex<Account>>,
}

fn tls(config: &WormConfig) -> Result<rustls::ServerConfig, StartError> {
    let open = |p: &std::path::Path| {
        std::fs::File::open(p)
            .map(BufReader::new)
            .map_err(|e| StartError(format!("{}: {e}", p.display())))
    };
    let certs = rustls_pemfile::certs(&mut open(&config.cert_pem)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StartError(format!("certificate: {e}")))?;
    let key = rustls_pemfile::private_key(&mut open(&config.key_pem)?)
        .map_err(|e| StartError(format!("key: {e}")))?
        .ok_or_else(|| StartError("no private key".into()))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| StartError(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| StartError(e.to_string()))
}

/// Binds, then serves on a thread with its own runtime; returns the port.
pub(crate) fn spawn(
    config: WormConfig,
    account_id: String,
    state: Arc<Mutex<Account>>,
) -> Result<u16, StartError> {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls(&config)?));
    let std_listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| StartError(e.to_string()))?;
    let port = std_listener
        .local_addr()
        .map_err(|e| StartError(e.to_string()))?
        .port();
    std_listener
        .set_nonblocking(true)
        .map_err(|e| StartError(e.to_string()))?;
    let shared = Arc::new(Shared {
        config,
        account_id,
        state,
    });
    std::thread::Builder::new()
        .name("blob-worm-standin".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                    return;
                };
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let (acceptor, shared) = (acceptor.clone(), shared.clone());
                    tokio::spawn(async move {
                        let Ok(stream) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let service = hyper::service::service_fn(move |req| {
                            let shared = shared.clone();
                            async move { Ok::<_, Infallible>(handle(req, &shared).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        })
        .map_err(|e| StartError(e.to_string()))?;
    Ok(port)
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn reply(status: u16, headers: Vec<(&str, String)>, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    let mut all = headers;
    all.push(("x-ms-request-id", uuid::Uuid::new_v4().to_string()));
    all.push(("x-ms-version", "2025-11-05".to_owned()));
    all.push(("Date", http_date(Utc::now())));
    all.push(("Server", "standin-blob-worm".to_owned()));
    for (k, v) in all {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_str(&v),
        ) {
            h.append(k, v);
        }
    }
    r
}

fn refusal(r: &Refusal) -> Response<Full<Bytes>> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{}</Code><Message>{}</Message></Error>",
        r.code, r.message
    );
    reply(
        r.status,
        vec![
            ("x-ms-error-code", r.code.to_owned()),
            ("Content-Type", "application/xml".to_owned()),
        ],
        body.into_bytes(),
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn handle(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => {
            return refusal(&Refusal {
                status: 400,
                code: "InvalidInput",
                message: "unreadable body".into(),
            });
        }
    };
    let path = parts.uri.path().to_owned();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let header = |k: &str| {
        parts
            .headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let audience = if path.starts_with("/arm/") {
        ARM
    } else {
        STORAGE
    };
    let who = match shared
        .config
        .validator
        .verify_header(header("authorization").as_deref(), audience)
    {
        Ok(token) => shared
            .config
            .grants
            .get(&token.object_id)
            .cloned()
            .unwrap_or_default(),
        Err(e) => {
            return refusal(&Refusal {
                status: 401,
                code: "InvalidAuthenticationInfo",
                message: e.to_string(),
            });
        }
    };
    if let Some(id) = path.strip_prefix("/arm") {
        return arm(&parts.method, id, &who, shared);
    }
    let prefix = format!("/{}/{}", shared.config.account, shared.config.container);
    let Some(rest) = path.strip_prefix(&prefix) else {
        return refusal(&Refusal {
            status: 404,
            code: "ContainerNotFound",
            message: "The specified container does not exist.".into(),
        });
    };
    let name = percent_decode(rest.trim_start_matches('/'));
    let now = Utc::now();
    let version = q("versionid");
    let mut account = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
    let result = match (
        &parts.method,
        name.is_empty(),
        q("restype").as_deref(),
        q("comp").as_deref(),
    ) {
        (&Method::GET | &Method::HEAD, true, Some("container"), None) => {
            if let Err(r) = who_may(&who, actions::CONTAINER_READ) {
                return refusal(&r);
            }
            Ok(reply(
                200,
                vec![
                    ("ETag", "\"0x8DD0000000000000\"".to_owned()),
                    ("Last-Modified", http_date(now)),
                    ("x-ms-lease-state", "available".to_owned()),
                    ("x-ms-lease-status", "unlocked".to_owned()),
                    ("x-ms-has-immutability-policy", "false".to_owned()),
                    ("x-ms-has-legal-hold", "false".to_owned()),
                    (
                        "x-ms-immutable-storage-with-versioning-enabled",
                        shared.config.versioning_worm.to_string(),
                    ),
                ],
                Vec::new(),
            ))
        }
        (&Method::GET, true, Some("container"), Some("list")) => {
            if let Err(r) = who_may(&who, actions::READ) {
                return refusal(&r);
            }
            Ok(list(
                &account,
                shared,
                &q("prefix").unwrap_or_default(),
                q("delimiter").as_deref(),
                q("include").unwrap_or_default().contains("versions"),
            ))
        }
        (&Method::PUT, false, None, None) => account
            .put(
                &who,
                &name,
                bytes,
                header("content-type").or(header("x-ms-blob-content-type")),
                header("if-none-match").as_deref() == Some("*"),
                now,
            )
            .map(|id| {
                reply(
                    201,
                    vec![
                        ("ETag", format!("\"{id}\"")),
                        ("Last-Modified", http_date(now)),
                        ("x-ms-request-server-encrypted", "true".to_owned()),
                        ("x-ms-version-id", id),
                    ],
                    Vec::new(),
                )
            }),
        (&Method::GET | &Method::HEAD, false, None, None) => {
            account.get(&who, &name, version.as_deref()).map(|v| {
                let current = account
                    .blobs
                    .get(&name)
                    .and_then(|vs| vs.last())
                    .is_some_and(|c| c.id == v.id);
                let mut h = vec![
                    ("ETag", format!("\"{}\"", v.id)),
                    ("Last-Modified", http_date(v.created)),
                    ("x-ms-creation-time", http_date(v.created)),
                    (
                        "Content-Type",
                        v.content_type
                            .clone()
                            .unwrap_or_else(|| "application/octet-stream".into()),
                    ),
                    ("x-ms-blob-type", "BlockBlob".to_owned()),
                    ("x-ms-lease-state", "available".to_owned()),
                    ("x-ms-lease-status", "unlocked".to_owned()),
                    ("x-ms-server-encrypted", "true".to_owned()),
                    ("Accept-Ranges", "bytes".to_owned()),
                    ("x-ms-version-id", v.id.clone()),
                    ("x-ms-is-current-version", current.to_string()),
                    ("x-ms-legal-hold", v.legal_hold.to_string()),
                ];
                // Only a policy set on the version itself shows on the blob; an inherited default
                // is read from the account (the resource manager endpoint).
                if let Some(p) = v.policy {
                    h.push(("x-ms-immutability-policy-mode", p.state.header().to_owned()));
                    h.push(("x-ms-immutability-policy-until-date", http_date(p.until)));
                }
                let body = v.bytes.clone();
                let ranged = header("range").or(header("x-ms-range")).is_some();
                let status = if ranged && !body.is_empty() {
                    h.push((
                        "Content-Range",
                        format!("bytes 0-{}/{}", body.len() - 1, body.len()),
                    ));
                    206
                } else {
                    200
                };
                h.push(("Content-Length", body.len().to_string()));
                reply(
                    status,
                    h,
                    if parts.method == Method::HEAD {
                        Vec::new()
                    } else {
                        body
                    },
                )
            })
        }
        (&Method::DELETE, false, None, None) => account
            .delete(&who, &name, version.as_deref(), now)
            .map(|()| reply(202, vec![], Vec::new())),
        (&Method::PUT, false, None, Some("legalhold")) => {
            let hold = header("x-ms-legal-hold").as_deref() == Some("true");
            account
                .set_legal_hold(&who, &name, version.as_deref(), hold)
                .map(|h| reply(200, vec![("x-ms-legal-hold", h.to_string())], Vec::new()))
        }
        (&Method::PUT, false, None, Some("immutabilityPolicies")) => {
            let until = header("x-ms-immutability-policy-until-date")
                .and_then(|d| DateTime::parse_from_rfc2822(&d).ok())
                .map(|d| d.with_timezone(&Utc));
            let state = match header("x-ms-immutability-policy-mode")
                .map(|m| m.to_ascii_lowercase())
                .as_deref()
            {
                Some("locked") => PolicyState::Locked,
                _ => PolicyState::Unlocked,
            };
            match until {
                None => Err(Refusal {
                    status: 400,
                    code: "InvalidHeaderValue",
                    message: "x-ms-immutability-policy-until-date".into(),
                }),
                Some(until) => account
                    .set_policy(
                        &who,
                        &name,
                        version.as_deref(),
                        BlobPolicy { until, state },
                        now,
                    )
                    .map(|p| {
                        reply(
                            200,
                            vec![
                                ("x-ms-immutability-policy-until-date", http_date(p.until)),
                                ("x-ms-immutability-policy-mode", p.state.header().to_owned()),
                            ],
                            Vec::new(),
                        )
                    }),
            }
        }
        (&Method::DELETE, false, None, Some("immutabilityPolicies")) => account
            .delete_policy(&who, &name, version.as_deref())
            .map(|()| reply(200, vec![], Vec::new())),
        _ => Err(Refusal {
            status: 400,
            code: "UnsupportedHttpVerb",
            message: "not offered by the stand-in".into(),
        }),
    };
    drop(account);
    result.unwrap_or_else(|r| refusal(&r))
}

fn who_may(who: &Grants, action: &str) -> Result<(), Refusal> {
    if who.0.iter().any(|a| a == action) {
        Ok(())
    } else {
        Err(Refusal {
            status: 403,
            code: "AuthorizationPermissionMismatch",
            message: format!(
                "This request is not authorized to perform this operation using this permission. (needs {action})"
            ),
        })
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// List Blobs: flat or with a delimiter; with `include=versions` every version, else the
/// current ones.
fn list(
    account: &Account,
    shared: &Shared,
    prefix: &str,
    delimiter: Option<&str>,
    versions: bool,
) -> Response<Full<Bytes>> {
    let mut items = String::new();
    let mut seen_prefixes = std::collections::BTreeSet::new();
    for (name, vs) in account.blobs.range(prefix.to_owned()..) {
        if !name.starts_with(prefix) {
            break;
        }
        if let Some(d) = delimiter
            && let Some(i) = name[prefix.len()..].find(d)
        {
            let p = &name[..prefix.len() + i + d.len()];
            if seen_prefixes.insert(p.to_owned()) {
                items.push_str(&format!(
                    "<BlobPrefix><Name>{}</Name></BlobPrefix>",
                    xml_escape(p)
                ));
            }
            continue;
        }
        let shown: Vec<_> = if versions {
            vs.iter().collect()
        } else {
            vs.last().into_iter().collect()
        };
        let last = vs.last().map(|v| v.id.clone());
        for v in shown {
            items.push_str(&format!(
                "<Blob><Name>{}</Name><VersionId>{}</VersionId><IsCurrentVersion>{}</IsCurrentVersion><Properties><Creation-Time>{}</Creation-Time><Last-Modified>{}</Last-Modified><Etag>\"{}\"</Etag><Content-Length>{}</Content-Length><Content-Type>{}</Content-Type><BlobType>BlockBlob</BlobType><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted></Properties></Blob>",
                xml_escape(name),
                v.id,
                Some(&v.id) == last.as_ref(),
                http_date(v.created),
                http_date(v.created),
                v.id,
                v.bytes.len(),
                xml_escape(v.content_type.as_deref().unwrap_or("application/octet-stream")),
            ));
        }
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"https://127.0.0.1/{}/\" ContainerName=\"{}\"><Prefix>{}</Prefix>{}<Blobs>{items}</Blobs><NextMarker /></EnumerationResults>",
        shared.config.account,
        shared.config.container,
        xml_escape(prefix),
        delimiter
            .map(|d| format!("<Delimiter>{}</Delimiter>", xml_escape(d)))
            .unwrap_or_default(),
    );
    reply(
        200,
        vec![("Content-Type", "application/xml".to_owned())],
        body.into_bytes(),
    )
}

/// `GET {arm}/{account id}`: the account's properties.
fn arm(method: &Method, id: &str, who: &Grants, shared: &Shared) -> Response<Full<Bytes>> {
    let json = |status: u16, v: serde_json::Value| {
        reply(
            status,
            vec![("Content-Type", "application/json".to_owned())],
            v.to_string().into_bytes(),
        )
    };
    if !id.eq_ignore_ascii_case(&shared.account_id) {
        return json(
            404,
            serde_json::json!({"error": {"code": "ResourceNotFound", "message": format!("The Resource '{id}' was not found.")}}),
        );
    }
    if method != Method::GET {
        return json(
            405,
            serde_json::json!({"error": {"code": "MethodNotAllowed", "message": "the stand-in serves GET only; the deployment locks the policy"}}),
        );
    }
    if !who.0.iter().any(|a| a == actions::ACCOUNT_READ) {
        return json(
            403,
            serde_json::json!({"error": {"code": "AuthorizationFailed", "message": format!("The client does not have authorization to perform action '{}' over scope '{id}'.", actions::ACCOUNT_READ)}}),
        );
    }
    let default = shared
        .state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .default_policy;
    let mut imm = serde_json::json!({"enabled": shared.config.versioning_worm});
    if let Some(d) = default {
        imm["immutabilityPolicy"] = serde_json::json!({
            "immutabilityPeriodSinceCreationInDays": d.days,
            "state": d.state.arm(),
            "allowProtectedAppendWrites": false,
        });
    }
    json(
        200,
        serde_json::json!({
            "id": shared.account_id,
            "name": shared.config.account,
            "type": "Microsoft.Storage/storageAccounts",
            "kind": "StorageV2",
            "properties": {"immutableStorageWithVersioning": imm, "allowSharedKeyAccess": false},
        }),
    )
}
