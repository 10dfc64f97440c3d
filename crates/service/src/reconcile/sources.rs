//! Reading HR's population from each configured source. Every failure — unreachable, a
//! refused credential, a body that is not the report, a missing column — fails the whole
//! source with a message naming the setting to fix; no source ever yields half its rows.

use std::time::Duration;

use offboard_core::effective::HrEffectiveTime;
use offboard_core::event::TerminationKind;
use offboard_core::ids::Sha256Digest;
use offboard_core::reconcile::population::{
    BAMBOOHR_REPORT_FIELDS, parse_bamboohr, parse_csv, parse_json,
};
use offboard_core::reconcile::{
    Employment, PopulationRow, ReconcilePolicy, ReportFormat, Snapshot,
};
use offboard_graph::directory::DirectoryUser;
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

/// The response body, or why not: the status names the credential setting on 401/403.
async fn body_of(
    resp: Result<reqwest::Response, reqwest::Error>,
    what: &str,
    url_setting: &'static str,
    credential_setting: &'static str,
) -> Result<Vec<u8>, SourceFailure> {
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
    let bytes = resp.bytes().await.map_err(|e| {
        fail(
            url_setting,
            format!("{what} broke off while reading: {}", e.without_url()),
        )
    })?;
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(fail(url_setting, format!("{what} is larger than 256 MiB")));
    }
    Ok(bytes.to_vec())
}

fn snapshot(source: &str, bytes: &[u8], rows: Vec<PopulationRow>) -> Snapshot {
    Snapshot {
        source: source.to_owned(),
        sha256: Sha256Digest::of(bytes),
        rows,
    }
}

/// What a source returned: its exact bytes (the case trigger of a missed termination hashes
/// them) and the people in them.
pub struct Read {
    /// The bytes as returned.
    pub bytes: Vec<u8>,
    /// The parsed snapshot.
    pub snapshot: Snapshot,
}

async fn bamboohr(
    http: &reqwest::Client,
    url: Option<&url::Url>,
    key: Option<&SecretString>,
) -> Result<Read, SourceFailure> {
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
    let bytes = body_of(
        resp,
        "BambooHR's custom report",
        OFFBOARD_POPULATION_BAMBOOHR_URL,
        OFFBOARD_POPULATION_BAMBOOHR_KEY,
    )
    .await?;
    let rows = parse_bamboohr(&bytes)
        .map_err(|e| fail(OFFBOARD_POPULATION_BAMBOOHR_URL, format!("BambooHR: {e}")))?;
    Ok(Read {
        snapshot: snapshot("bamboohr", &bytes, rows),
        bytes,
    })
}

#[derive(serde::Deserialize)]
struct TokenReply {
    access_token: SecretString,
}

async fn report(
    http: &reqwest::Client,
    source: &PopulationSource,
    policy: &ReconcilePolicy,
) -> Result<Read, SourceFailure> {
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
            let resp = http.post(token_url.as_str()).form(&form).send().await;
            let bytes = body_of(
                resp,
                "the report's token endpoint",
                OFFBOARD_POPULATION_REPORT_TOKEN_URL,
                OFFBOARD_POPULATION_REPORT_SECRET,
            )
            .await?;
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
    let bytes = body_of(
        request.send().await,
        "the population report",
        OFFBOARD_POPULATION_REPORT_URL,
        OFFBOARD_POPULATION_REPORT_SECRET,
    )
    .await?;
    let rows = match policy.report_format {
        ReportFormat::Csv => parse_csv(&bytes, &policy.report_columns),
        ReportFormat::Json => parse_json(&bytes, &policy.report_columns),
    }
    .map_err(|e| {
        fail(
            OFFBOARD_POPULATION_REPORT_URL,
            format!(
                "the population report: {e} (columns are mapped in the policy file's [reconcile.report_columns])"
            ),
        )
    })?;
    Ok(Read {
        snapshot: snapshot("report", &bytes, rows),
        bytes,
    })
}

/// Entra ID as a population source: every member account, terminated when its
/// `employeeLeaveDateTime` is set.
fn entra(users: &[DirectoryUser]) -> Read {
    let rows: Vec<PopulationRow> = users
        .iter()
        .filter(|u| u.user_type.as_deref() != Some("Guest"))
        .map(|u| {
            let terminated = u.employee_leave_date_time.and_then(|t| {
                HrEffectiveTime::instant(&offboard_core::evidence::millis::text(t)).ok()
            });
            PopulationRow {
                employee_id: u.employee_id.clone(),
                email: u.user_principal_name.clone().or_else(|| u.mail.clone()),
                name: u.display_name.clone(),
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
    let bytes = serde_json::to_vec(&rows).unwrap_or_default();
    Read {
        snapshot: snapshot("entra", &bytes, rows),
        bytes,
    }
}

/// Reads one source; `users` is the directory read (for the `entra` source).
pub async fn read(
    http: &reqwest::Client,
    source: &PopulationSource,
    policy: &ReconcilePolicy,
    users: &[DirectoryUser],
) -> Result<Read, SourceFailure> {
    match source {
        PopulationSource::Bamboohr { url, key } => bamboohr(http, url.as_ref(), key.as_ref()).await,
        PopulationSource::Report { .. } => report(http, source, policy).await,
        PopulationSource::Entra => Ok(entra(users)),
    }
}
