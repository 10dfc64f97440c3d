//! Checking that a request really came from who it claims, over the raw bytes received.
//!
//! Every check compares in constant time and refuses a timestamp more than five minutes away
//! from our clock (replay window). A successful check yields a [`Verified`] value; a
//! [`crate::TerminationEvent`] cannot be built without one, so an unverified request can never
//! become a case.
//!
//! Errors never contain the secret, the expected signature or the received signature.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::actor::HumanActor;
use crate::ids::Sha256Digest;

type HmacSha256 = Hmac<Sha256>;

/// How far a signed timestamp may be from our clock, either way.
pub const REPLAY_WINDOW: Duration = Duration::minutes(5);

/// The scheme that authenticated a request; recorded in the case and its evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// BambooHR: hex HMAC-SHA256 over body followed by `X-BambooHR-Timestamp`.
    BamboohrHmacSha256,
    /// Standard Webhooks v1: base64 HMAC-SHA256 over `id.timestamp.body`.
    StandardWebhooksV1,
    /// SCIM bearer token.
    ScimBearer,
    /// What earlier releases recorded for operator requests: a function key offboard never
    /// saw. Read from older cases only; new cases record [`Scheme::FunctionsHost`].
    FunctionKey,
    /// The Azure Functions host authorised the request (the function's `authLevel`) before
    /// forwarding it; offboard itself checked no credential. What the host asserted, and where
    /// the caller presented its key, is the [`HostAssertion`] recorded with it.
    FunctionsHost,
    /// An Entra ID token offboard checked itself (`offboard-signin`): a signed-in person's
    /// session or a bearer token, with offboard's Operator role. Who it was is the
    /// [`HumanActor`] recorded with it.
    EntraId,
    /// The reconciliation scan read the termination from an HR population source itself
    /// (over HTTPS with the source's credential, or from Entra ID): there is no request to
    /// check, and the recorded digest is the snapshot's.
    PopulationScan,
}

impl Scheme {
    /// Whether offboard itself checked a signature or token over the request (as opposed to
    /// relying on the Functions host's authorisation).
    pub fn checked_by_offboard(self) -> bool {
        matches!(
            self,
            Self::BamboohrHmacSha256 | Self::StandardWebhooksV1 | Self::ScimBearer | Self::EntraId
        )
    }
}

/// Where a caller presented its function key, as the Functions host forwards the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum KeyLocation {
    /// The `x-functions-key` header.
    Header,
    /// The `code` query parameter.
    QueryParameter,
    /// The host forwarded neither: it let the request through without a key (a host that does
    /// not check keys, such as a local Core Tools run).
    NotForwarded,
}

/// What the Functions host asserted by forwarding a request to offboard: that the caller met
/// the function's authorisation level. offboard cannot check the key (it never holds the
/// function keys); it records the level the function requires and where the key was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostAssertion {
    /// The `authLevel` of the function (`function` or `admin`).
    pub auth_level: String,
    /// The function whose definition sets that level (e.g. `offboardings`).
    pub function: String,
    /// Where the caller presented its key.
    pub key_presented_in: KeyLocation,
}

/// Proof that a request passed its authentication check, with the digest of the exact bytes
/// that were checked and when they arrived. Only this module can create one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    scheme: Scheme,
    body_sha256: Sha256Digest,
    received_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host: Option<HostAssertion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_in: Option<HumanActor>,
}

impl Verified {
    /// The scheme that authenticated the request.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
    /// SHA-256 of the raw request body.
    pub fn body_sha256(&self) -> &Sha256Digest {
        &self.body_sha256
    }
    /// When the request was received.
    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }
    /// What the Functions host asserted, for [`Scheme::FunctionsHost`].
    pub fn host_assertion(&self) -> Option<&HostAssertion> {
        self.host.as_ref()
    }

    /// For [`Scheme::EntraId`]: who signed in.
    pub fn signed_in(&self) -> Option<&HumanActor> {
        self.signed_in.as_ref()
    }

    fn new(scheme: Scheme, body: &[u8], received_at: DateTime<Utc>) -> Self {
        Self {
            scheme,
            body_sha256: Sha256Digest::of(body),
            received_at,
            host: None,
            signed_in: None,
        }
    }

    /// For requests whose caller offboard checked itself (an Entra ID token or a session it
    /// signed, with the role the request needs): records who it was.
    pub fn by_entra_id(body: &[u8], received_at: DateTime<Utc>, actor: HumanActor) -> Self {
        Self {
            signed_in: Some(actor),
            ..Self::new(Scheme::EntraId, body, received_at)
        }
    }

    /// For requests the Functions host authorised (`authLevel: function`) before forwarding
    /// them: offboard never sees a key it could check, so it records the host's assertion.
    pub fn by_functions_host(
        body: &[u8],
        received_at: DateTime<Utc>,
        assertion: HostAssertion,
    ) -> Self {
        Self {
            host: Some(assertion),
            ..Self::new(Scheme::FunctionsHost, body, received_at)
        }
    }

    /// A termination the reconciliation scan read from HR's population: `snapshot_sha256` is
    /// the SHA-256 of the exact bytes the source returned (hashed as they streamed in), so the
    /// case's HR digest is the snapshot's.
    pub fn by_population_scan(snapshot_sha256: Sha256Digest, read_at: DateTime<Utc>) -> Self {
        Self {
            scheme: Scheme::PopulationScan,
            body_sha256: snapshot_sha256,
            received_at: read_at,
            host: None,
            signed_in: None,
        }
    }

    /// A request the Functions host authorised, for tests and tools that do not model where
    /// the key was: recorded as [`Scheme::FunctionsHost`] without a [`HostAssertion`].
    pub fn by_function_key(body: &[u8], received_at: DateTime<Utc>) -> Self {
        Self::new(Scheme::FunctionsHost, body, received_at)
    }
}

/// Why a request's authentication was refused. Every variant maps to HTTP 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required header is absent.
    #[error("missing header `{0}`")]
    MissingHeader(&'static str),
    /// A header is present but not in the documented form.
    #[error("header `{header}` is malformed: {detail}")]
    Malformed {
        /// The header name.
        header: &'static str,
        /// What form was expected.
        detail: &'static str,
    },
    /// The signed timestamp is outside the replay window.
    #[error(
        "timestamp is {skew_seconds} s away from the server clock (allowed: 300 s); resend with a fresh signature"
    )]
    Stale {
        /// Signed distance from our clock, seconds.
        skew_seconds: i64,
    },
    /// No signature matched.
    #[error("signature does not match the request body")]
    Mismatch,
    /// The configured secret itself is unusable (a configuration error, not the caller's).
    #[error("the configured secret for {0} is malformed")]
    BadSecret(&'static str),
}

fn check_window(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), SignatureError> {
    let skew = at - now;
    if skew > REPLAY_WINDOW || -skew > REPLAY_WINDOW {
        return Err(SignatureError::Stale {
            skew_seconds: skew.num_seconds(),
        });
    }
    Ok(())
}

/// Reads a timestamp given as Unix seconds or as an ISO 8601 / RFC 3339 date-time (BambooHR
/// documents only "the timestamp"; both forms are seen in integrations).
fn parse_timestamp(header: &'static str, value: &str) -> Result<DateTime<Utc>, SignatureError> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<i64>() {
        return DateTime::from_timestamp(secs, 0).ok_or(SignatureError::Malformed {
            header,
            detail: "Unix seconds out of range",
        });
    }
    DateTime::parse_from_rfc3339(v)
        .or_else(|_| DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%z"))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| SignatureError::Malformed {
            header,
            detail: "expected Unix seconds or an RFC 3339 date-time",
        })
}

/// Verifies a BambooHR webhook: `X-BambooHR-Signature` is the lowercase hex HMAC-SHA256,
/// keyed with the webhook's private key, of the raw body bytes followed by the
/// `X-BambooHR-Timestamp` header value.
pub fn verify_bamboohr(
    secret: &[u8],
    body: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Verified, SignatureError> {
    const SIG: &str = "X-BambooHR-Signature";
    const TS: &str = "X-BambooHR-Timestamp";
    let signature = signature.ok_or(SignatureError::MissingHeader(SIG))?;
    let timestamp = timestamp.ok_or(SignatureError::MissingHeader(TS))?;
    let at = parse_timestamp(TS, timestamp)?;
    let given = hex::decode(signature.trim()).map_err(|_| SignatureError::Malformed {
        header: SIG,
        detail: "expected lowercase hex HMAC-SHA256",
    })?;
    let mut mac =
        HmacSha256::new_from_slice(secret).map_err(|_| SignatureError::BadSecret("BambooHR"))?;
    mac.update(body);
    mac.update(timestamp.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)?;
    check_window(at, now)?;
    Ok(Verified::new(Scheme::BamboohrHmacSha256, body, now))
}

/// Signs like BambooHR does; used by the demo, tests and benchmarks to send real requests.
pub fn sign_bamboohr(secret: &[u8], body: &[u8], timestamp: &str) -> String {
    // An HMAC key of any length is valid, so `new_from_slice` cannot fail here.
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    mac.update(timestamp.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The shortest Standard Webhooks key accepted, in bytes: the specification asks for
/// secrets of 24 to 64 random bytes.
pub const MIN_WEBHOOK_SECRET_BYTES: usize = 24;

/// A Standard Webhooks signing secret: `whsec_` followed by base64 of the key bytes.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(redacted)")
    }
}

impl WebhookSecret {
    /// Parses `whsec_<base64>`; the prefix is optional, as the spec allows.
    pub fn parse(value: &str) -> Result<Self, SignatureError> {
        let b64 = value.trim().strip_prefix("whsec_").unwrap_or(value.trim());
        let key = BASE64.decode(b64).map_err(|_| {
            SignatureError::BadSecret("Standard Webhooks (expected whsec_<base64>)")
        })?;
        if key.len() < MIN_WEBHOOK_SECRET_BYTES {
            return Err(SignatureError::BadSecret(
                "Standard Webhooks (key shorter than 24 bytes)",
            ));
        }
        Ok(Self(key))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value a sender puts on this message: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: &str, body: &[u8]) -> String {
        format!(
            "v1,{}",
            BASE64.encode(self.mac(id, timestamp, body).finalize().into_bytes())
        )
    }
}

/// Verifies a Standard Webhooks request (<https://www.standardwebhooks.com/>): the
/// `webhook-signature` header holds one or more space-separated `v1,<base64>` entries
/// (several are allowed during secret rotation); one must match HMAC-SHA256 over
/// `{webhook-id}.{webhook-timestamp}.{body}`. The timestamp is Unix seconds.
pub fn verify_standard_webhooks(
    secret: &WebhookSecret,
    body: &[u8],
    id: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Verified, SignatureError> {
    const ID: &str = "webhook-id";
    const TS: &str = "webhook-timestamp";
    const SIG: &str = "webhook-signature";
    let id = id.ok_or(SignatureError::MissingHeader(ID))?;
    let timestamp = timestamp.ok_or(SignatureError::MissingHeader(TS))?;
    let signature = signature.ok_or(SignatureError::MissingHeader(SIG))?;
    let secs = timestamp
        .trim()
        .parse::<i64>()
        .map_err(|_| SignatureError::Malformed {
            header: TS,
            detail: "expected Unix seconds",
        })?;
    let at = DateTime::from_timestamp(secs, 0).ok_or(SignatureError::Malformed {
        header: TS,
        detail: "Unix seconds out of range",
    })?;
    let expected = secret.mac(id, timestamp, body).finalize().into_bytes();
    let mut any_v1 = false;
    let mut matched = false;
    for entry in signature.split_whitespace() {
        let Some(("v1", b64)) = entry.split_once(',') else {
            continue;
        };
        any_v1 = true;
        if let Ok(given) = BASE64.decode(b64) {
            // Accumulate without short-circuiting so timing does not reveal which entry matched.
            matched |= bool::from(given.as_slice().ct_eq(expected.as_slice()));
        }
    }
    if !any_v1 {
        return Err(SignatureError::Malformed {
            header: SIG,
            detail: "expected space-separated `v1,<base64>` entries",
        });
    }
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    check_window(at, now)?;
    Ok(Verified::new(Scheme::StandardWebhooksV1, body, now))
}

/// Verifies an `Authorization: Bearer <token>` header against the configured token.
/// Both sides are hashed first so the comparison is constant-time regardless of length.
pub fn verify_bearer(
    expected: &str,
    authorization: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, SignatureError> {
    let header = authorization.ok_or(SignatureError::MissingHeader("Authorization"))?;
    let (scheme, token) = header
        .trim()
        .split_once(' ')
        .ok_or(SignatureError::Malformed {
            header: "Authorization",
            detail: "expected `Bearer <token>`",
        })?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(SignatureError::Malformed {
            header: "Authorization",
            detail: "expected `Bearer <token>`",
        });
    }
    let a = Sha256Digest::of(token.trim().as_bytes());
    let b = Sha256Digest::of(expected.as_bytes());
    if !bool::from(a.as_bytes().ct_eq(b.as_bytes())) {
        return Err(SignatureError::Mismatch);
    }
    Ok(Verified::new(Scheme::ScimBearer, body, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    #[test]
    fn bamboohr_round_trip_and_refusals() {
        let body = br#"{"employees":[]}"#;
        let ts = "1790000000";
        let sig = sign_bamboohr(b"k3y", body, ts);
        let ok = verify_bamboohr(b"k3y", body, Some(&sig), Some(ts), now()).unwrap();
        assert_eq!(ok.scheme(), Scheme::BamboohrHmacSha256);
        assert_eq!(ok.body_sha256(), &Sha256Digest::of(body));

        assert_eq!(
            verify_bamboohr(b"other", body, Some(&sig), Some(ts), now()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_bamboohr(b"k3y", b"{}", Some(&sig), Some(ts), now()),
            Err(SignatureError::Mismatch)
        );
        let old = "1789999000";
        let sig_old = sign_bamboohr(b"k3y", body, old);
        assert!(matches!(
            verify_bamboohr(b"k3y", body, Some(&sig_old), Some(old), now()),
            Err(SignatureError::Stale { .. })
        ));
        assert_eq!(
            verify_bamboohr(b"k3y", body, None, Some(ts), now()),
            Err(SignatureError::MissingHeader("X-BambooHR-Signature"))
        );
    }

    #[test]
    fn standard_webhooks_accepts_any_matching_v1_entry() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"type":"employee.terminated"}"#;
        let good = secret.sign("msg_1", "1790000000", body);
        let header = format!("v1,AAAA {good} v2,zzz");
        verify_standard_webhooks(
            &secret,
            body,
            Some("msg_1"),
            Some("1790000000"),
            Some(&header),
            now(),
        )
        .unwrap();
        // The signature binds the id: a replay under another id fails.
        assert_eq!(
            verify_standard_webhooks(
                &secret,
                body,
                Some("msg_2"),
                Some("1790000000"),
                Some(&good),
                now()
            ),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify_standard_webhooks(
                &secret,
                body,
                Some("msg_1"),
                Some("1790000000"),
                Some("sha256=abc"),
                now()
            ),
            Err(SignatureError::Malformed { .. })
        ));
    }

    #[test]
    fn standard_webhooks_spec_test_vector() {
        // Test vector from the Standard Webhooks reference libraries.
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = secret.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn bearer_is_compared_whole() {
        verify_bearer("s3cret", Some("Bearer s3cret"), b"", now()).unwrap();
        assert_eq!(
            verify_bearer("s3cret", Some("Bearer s3cre"), b"", now()),
            Err(SignatureError::Mismatch)
        );
        assert!(verify_bearer("s3cret", Some("Basic s3cret"), b"", now()).is_err());
    }

    #[test]
    fn errors_never_echo_secrets_or_signatures() {
        let body = b"{}";
        let sig = sign_bamboohr(b"supersecret", body, "1790000000");
        let err = verify_bamboohr(b"wrong", body, Some(&sig), Some("1790000000"), now())
            .unwrap_err()
            .to_string();
        assert!(!err.contains(&sig) && !err.contains("supersecret"));
    }
}
