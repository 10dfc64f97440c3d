//! Reading HR's population from each configured source. Every failure — unreachable, a
//! refused credential, a body that is not the report, a missing column — fails the whole
//! source with a message naming the setting to fix; no source ever yields half its rows.
//!
//! A report is never held whole: its body streams, chunk by chunk, into
//! `offboard_core::reconcile::read::read_snapshot` on a blocking thread, which parses it row by
//! row (keeping only what the judgement needs) and hashes every byte on the way.

use std::io::Read;
use std::time::Duration;

use bytes::Bytes;
use offboard_core::effective::HrEffectiveTime;
use offboard_core::event::TerminationKind;
use offboard_core::reconcile::population::{BAMBOOHR_REPORT_FIELDS, PopulationError};
use offboard_core::reconcile::read::{ReportShape, read_snapshot, snapshot_of_rows};
use offboard_core::reconcile::{
    Account, ColumnMapping, Employment, PopulationRow, ReconcilePolicy, ReportFormat, Snapshot,
};
use secrecy::{ExposeSecret, SecretString};

use crate::settings::{
    OFFBOARD_POPULATION_BAMBOOHR_KEY, OFFBOARD_POPULATION_BAMBOOHR_URL,
    OFFBOARD_POPULATION_REPORT_SECRET, OFFBOARD_POPULATION_REPORT_TOKEN_URL,
    OFFBOARD_POPULATION_REPORT_URL, OFFBOARD_POPULATION_REPORT_USER, PopulationSource,
};

/// The largest report offboard reads (a 100,000-person CSV is ~10 MiB).
const MAX_REPORT_BYTES: usize = 256 * 1024 * 1024;

/// Why a source failed, naming the setting to fix. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail} (check {setting})")]
pub struct SourceFailure {
    /// The setting to fix.
    pub setting: &'static str,
    /// What went wrong.
    pub detail: String,
}

fn fail(setting: &'static str, detail: impl Into<String>) -> SourceFailure {
    SourceFailure {
        setting,
        detail: detail.into(),
    }
}

/// An HTTP client for HR sources: a bounded time, no redirects to other hosts' credentials.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .connect_timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        // A scan reads each source once: no idle connection is kept between scans, so every
        // scan finds out afresh whether the source is reachable.
        .pool_max_idle_per_host(0)
        .build()
        .unwrap_or_default()
}

/// The response, if it is the report: the status names the credential setting on 401/403.
fn answered(
    resp: Result<reqwest::Response, reqwest::Error>,
    what: &str,
    url_setting: &'static str,
    credential_setting: &'static str,
) -> Result<reqwest::Response, SourceFailure> {
    let resp = resp.map_err(|e| {
        fail(
            url_setting,
            format!("could not reach {what}: {}", e.without_url()),
        )
    })?;
    let status = resp.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(fail(
            credential_setting,
            format!("{what} refused the credential ({status})"),
        ));
    }
    if !status.is_success() {
        return Err(fail(url_setting, format!("{what} answered {status}")));
    }
    if resp
        .content_length()
        .is_some_and(|n| n as usize > MAX_REPORT_BYTES)
    {
        return Err(fail(url_setting, format!("{what} is larger than 256 MiB")));
    }
    Ok(resp)
}

/// The chunks of a body as a blocking reader, for the parser's thread.
struct Chunks {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Which report a source's body holds (owned, for the parser's thread).
enum Shape {
    BambooHr,
    Csv(ColumnMapping),
    Json(ColumnMapping),
}

/// Streams `resp`'s body into the parser: the snapshot of `source`, or why not (a report the
/// parser refuses is described by `refused`). A transport failure or an over-long body is
/// named as such, not as the malformed report it cuts short.
async fn snapshot(
    mut resp: reqwest::Response,
    source: &'static str,
    shape: Shape,
    what: &str,
    url_setting: &'static str,
    refused: impl FnOnce(PopulationError) -> String,
) -> Result<Snapshot, SourceFailure> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    let parser = tokio::task::spawn_blocking(move || {
        let body = Chunks {
            rx,
            current: Bytes::new(),
        };
        match &shape {
            Shape::BambooHr => read_snapshot(source, ReportShape::BambooHr, body),
            Shape::Csv(map) => read_snapshot(source, ReportShape::Csv(map), body),
            Shape::Json(map) => read_snapshot(source, ReportShape::Json(map), body),
        }
    });
    let mut read = 0usize;
    let mut cut: Option<String> = None;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                read += chunk.len();
                if read > MAX_REPORT_BYTES {
                    cut = Some(format!("{what} is larger than 256 MiB"));
                    break;
                }
                // The parser stopped (the report is malformed): its error says why.
                if tx.send(chunk).await.is_err() {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                cut = Some(format!(
                    "{what} broke off while reading: {}",
                    e.without_url()
                ));
                break;
            }
        }
    }
    drop(tx);
    let parsed = parser
        .await
        .map_err(|e| fail(url_setting, format!("{what}: the parser stopped: {e}")))?;
    match cut {
        Some(why) => Err(fail(url_setting, why)),
        None => parsed.map_err(|e| fail(url_setting, refused(e))),
    }
}

/// A small answer's body (a token endpoint's), read whole.
async fn small_body(
    resp: reqwest::Response,
    what: &str,
    url_setting: &'static str,
) -> Result<Bytes, SourceFailure> {
    resp.bytes().await.map_err(|e| {
        fail(
            url_setting,
            format!("{what} broke off while reading: {}", e.without_url()),
        )
    })
}

async fn bamboohr(
    http: &reqwest::Client,
    url: Option<&url::Url>,
    key: Option<&SecretString>,
) -> Result<Snapshot, SourceFailure> {
    let url = url.ok_or_else(|| {
        fail(
            OFFBOARD_POPULATION_BAMBOOHR_URL,
            "BambooHR is a population source but its API base is not set (or is not an https URL)",
        )
    })?;
    let key = key.ok_or_else(|| {
        fail(
            OFFBOARD_POPULATION_BAMBOOHR_KEY,
            "BambooHR is a population source but its API key is not set (or its Key Vault reference did not resolve)",
        )
    })?;
    let endpoint = format!(
        "{}/v1/reports/custom?format=JSON&onlyCurrent=false",
        url.as_str().trim_end_matches('/')
    );
    let resp = http
        .post(endpoint)
        .basic_auth(key.expose_secret(), Some("x"))
        .header("accept", "application/json")
        .json(&serde_json::json!({
            "title": "offboard population",
            "fields": BAMBOOHR_REPORT_FIELDS,
        }))
        .send()
        .await;
    let what = "BambooHR's custom report";
    let resp = answered(
        resp,
        what,
        OFFBOARD_POPULATION_BAMBOOHR_URL,
        OFFBOARD_POPULATION_BAMBOOHR_KEY,
    )?;
    snapshot(
        resp,
        "bamboohr",
        Shape::BambooHr,
        what,
        OFFBOARD_POPULATION_BAMBOOHR_URL,
        |e| format!("BambooHR: {e}"),
    )
    .await
}

#[derive(serde::Deserialize)]
struct TokenReply {
    access_token: SecretString,
}

async fn report(
    http: &reqwest::Client,
    source: &PopulationSource,
    policy: &ReconcilePolicy,
) -> Result<Snapshot, SourceFailure> {
    let PopulationSource::Report {
        url,
        user,
        secret,
        token_url,
    } = source
    else {
        return Err(fail(OFFBOARD_POPULATION_REPORT_URL, "not a report source"));
    };
    let url = url.as_ref().ok_or_else(|| {
        fail(
            OFFBOARD_POPULATION_REPORT_URL,
            "the report is a population source but its URL is not set (or is not an https URL)",
        )
    })?;
    let user = user.as_ref().ok_or_else(|| {
        fail(
            OFFBOARD_POPULATION_REPORT_USER,
            "the report's user (or OAuth client id) is not set",
        )
    })?;
    let secret = secret.as_ref().ok_or_else(|| {
        fail(
            OFFBOARD_POPULATION_REPORT_SECRET,
            "the report's password (or OAuth client secret) is not set, or its Key Vault reference did not resolve",
        )
    })?;
    let request = match token_url {
        Some(token_url) => {
            let mut form = vec![
                ("grant_type", "client_credentials".to_owned()),
                ("client_id", user.clone()),
                ("client_secret", secret.expose_secret().to_owned()),
            ];
            if let Some(scope) = &policy.report_oauth_scope {
                form.push(("scope", scope.clone()));
            }
            let what = "the report's token endpoint";
            let resp = answered(
                http.post(token_url.as_str()).form(&form).send().await,
                what,
                OFFBOARD_POPULATION_REPORT_TOKEN_URL,
                OFFBOARD_POPULATION_REPORT_SECRET,
            )?;
            let bytes = small_body(resp, what, OFFBOARD_POPULATION_REPORT_TOKEN_URL).await?;
            let token: TokenReply = serde_json::from_slice(&bytes).map_err(|_| {
                fail(
                    OFFBOARD_POPULATION_REPORT_TOKEN_URL,
                    "the token endpoint's answer has no access_token",
                )
            })?;
            http.get(url.as_str())
                .bearer_auth(token.access_token.expose_secret())
        }
        None => http
            .get(url.as_str())
            .basic_auth(user, Some(secret.expose_secret())),
    };
    let what = "the population report";
    let resp = answered(
        request.send().await,
        what,
        OFFBOARD_POPULATION_REPORT_URL,
        OFFBOARD_POPULATION_REPORT_SECRET,
    )?;
    let shape = match policy.report_format {
        ReportFormat::Csv => Shape::Csv(policy.report_columns.clone()),
        ReportFormat::Json => Shape::Json(policy.report_columns.clone()),
    };
    snapshot(
        resp,
        "report",
        shape,
        what,
        OFFBOARD_POPULATION_REPORT_URL,
        |e| {
            format!(
                "the population report: {e} (columns are mapped in the policy file's [reconcile.report_columns])"
            )
        },
    )
    .await
}

/// Entra ID as a population source: every member account the directory read, terminated when
/// its `employeeLeaveDateTime` is set.
fn entra(accounts: &[Account]) -> Snapshot {
    let rows: Vec<PopulationRow> = accounts
        .iter()
        .filter(|a| a.directory == "entra" && a.member)
        .map(|a| {
            let terminated = a.leave_at.and_then(|t| {
                HrEffectiveTime::instant(&offboard_core::evidence::millis::text(t)).ok()
            });
            PopulationRow {
                employee_id: a.employee_id.clone(),
                email: a.upn.clone().or_else(|| a.mail.clone()),
                // Findings name leavers only: a current employee's name is not kept.
                name: terminated.as_ref().and(a.display_name.clone()),
                employment: if terminated.is_some() {
                    Employment::Terminated
                } else {
                    Employment::Current
                },
                terminated,
                kind: TerminationKind::Unspecified,
            }
        })
        .collect();
    // The snapshot is the rows as offboard read them (Graph's pages are not one document).
    snapshot_of_rows("entra", rows)
}

/// Reads one source; `accounts` is the directory read (for the `entra` source).
pub async fn read(
    http: &reqwest::Client,
    source: &PopulationSource,
    policy: &ReconcilePolicy,
    accounts: &[Account],
) -> Result<Snapshot, SourceFailure> {
    match source {
        PopulationSource::Bamboohr { url, key } => bamboohr(http, url.as_ref(), key.as_ref()).await,
        PopulationSource::Report { .. } => report(http, source, policy).await,
        PopulationSource::Entra => Ok(entra(accounts)),
    }
}
