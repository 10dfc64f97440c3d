//! Evidence records and the per-case chain.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::canonical::{GENESIS, hash_of, millis};
use super::redact::{self, SecretDetected};
use crate::event::TerminationEvent;
use crate::ids::{CaseId, Sha256Digest};

/// The schema id stamped on every record.
pub const RECORD_SCHEMA: &str = "offboard.evidence.record/v1";

/// What an action attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The trigger was received and authenticated (the first record of a case).
    Received,
    /// Done, and the read-back of the real state matched what was expected.
    Verified,
    /// Attempted and failed, or the read-back did not match.
    Failed,
    /// Nothing to do, with the reason (for example: no mailbox).
    NotApplicable,
    /// Deferred to another system or a person, with the reason (for example: a dynamic group
    /// that only a rule change removes).
    Exception,
    /// Informational: something the case should show but that is not an action outcome.
    Noted,
}

impl Outcome {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Verified => "verified",
            Self::Failed => "failed",
            Self::NotApplicable => "not_applicable",
            Self::Exception => "exception",
            Self::Noted => "noted",
        }
    }
}

/// A request in outline: enough for an auditor to know what was asked, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestOutline {
    /// HTTP method or protocol operation (`PATCH`, `LDAP modify`).
    pub method: String,
    /// URL template or operation target with ids as placeholders or values, no query secrets.
    pub target: String,
}

/// Expected versus observed state, read back after acting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadBack {
    /// What the state should be.
    pub expected: Value,
    /// What the service reported.
    pub observed: Value,
    /// Whether they match.
    pub matches: bool,
}

/// What a step contributes to a record; the chain adds the position and hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordBody {
    /// The step (`hr-trigger`, `block-sign-in`, `seal`, ...).
    pub step: String,
    /// The system acted on (`hr:generic`, `entra`, `exchange`, `onedrive`, `intune`, `ad`).
    pub target_system: String,
    /// The action in words (`set accountEnabled=false`).
    pub action: String,
    /// Ids of the objects acted on.
    pub target_ids: Vec<String>,
    /// The request in outline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestOutline>,
    /// The response status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_status: Option<u16>,
    /// The service's request id (Graph `request-id`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_request_id: Option<String>,
    /// Expected vs observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_back: Option<ReadBack>,
    /// When the attempt started (UTC, ms).
    #[serde(with = "millis")]
    pub started_at: DateTime<Utc>,
    /// When it ended (UTC, ms).
    #[serde(with = "millis")]
    pub ended_at: DateTime<Utc>,
    /// Who acted (the managed identity, the on-prem agent, offboard itself).
    pub actor: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Why, for anything but verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Further facts (never secrets: sanitised before recording).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// One link of a case's evidence chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceRecord {
    /// `offboard.evidence.record/v1`.
    pub schema: String,
    /// The case.
    pub case_id: CaseId,
    /// Position in the chain, from 0.
    pub seq: u64,
    /// The record's content.
    #[serde(flatten)]
    pub body: RecordBody,
    /// Hash of the previous record (zeros for the first).
    pub prev_hash: Sha256Digest,
    /// SHA-256 of the canonical JSON of this record without `hash`.
    pub hash: Sha256Digest,
}

/// Why a record could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// A value looked like a credential.
    #[error(transparent)]
    Secret(#[from] SecretDetected),
    /// Serialisation failed (a bug).
    #[error("cannot serialise evidence: {0}")]
    Encoding(String),
}

impl EvidenceRecord {
    /// Recomputes this record's hash from its content.
    pub fn compute_hash(&self) -> Result<Sha256Digest, serde_json::Error> {
        hash_of(self)
    }
}

impl RecordBody {
    /// The body of a record of something done or found without a call to an outside service
    /// (no request, response or read-back), by `actor` at `at`. Callers add what they know
    /// with struct update syntax.
    pub fn plain(
        step: &str,
        target_system: &str,
        action: impl Into<String>,
        actor: &str,
        outcome: Outcome,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            step: step.to_owned(),
            target_system: target_system.to_owned(),
            action: action.into(),
            target_ids: Vec::new(),
            request: None,
            response_status: None,
            service_request_id: None,
            read_back: None,
            started_at: at,
            ended_at: at,
            actor: actor.to_owned(),
            outcome,
            reason: None,
            details: None,
        }
    }

    /// Truncates times to milliseconds and removes or refuses secrets.
    fn sanitised(mut self) -> Result<Self, EvidenceError> {
        self.started_at = millis::trunc(self.started_at);
        self.ended_at = millis::trunc(self.ended_at);
        for (i, id) in self.target_ids.iter().enumerate() {
            redact::check_text(id, &format!("/targetIds/{i}"))?;
        }
        for (text, at) in [
            (&self.action, "/action"),
            (&self.step, "/step"),
            (&self.actor, "/actor"),
        ] {
            redact::check_text(text, at)?;
        }
        if let Some(r) = &self.reason {
            redact::check_text(r, "/reason")?;
        }
        if let Some(r) = &self.request {
            redact::check_text(&r.target, "/request/target")?;
        }
        if let Some(id) = &self.service_request_id {
            redact::check_text(id, "/serviceRequestId")?;
        }
        if let Some(rb) = &mut self.read_back {
            redact::sanitize(&mut rb.expected, "/readBack/expected")?;
            redact::sanitize(&mut rb.observed, "/readBack/observed")?;
        }
        if let Some(d) = &mut self.details {
            redact::sanitize(d, "/details")?;
        }
        Ok(self)
    }
}

/// Builds a case's chain: each appended record points at the previous one.
#[derive(Debug, Clone)]
pub struct Chain {
    case_id: CaseId,
    next_seq: u64,
    head: Sha256Digest,
}

impl Chain {
    /// A new, empty chain for `case_id`.
    pub fn new(case_id: CaseId) -> Self {
        Self {
            case_id,
            next_seq: 0,
            head: GENESIS,
        }
    }

    /// Continues a chain whose last record is `last`.
    pub fn after(last: &EvidenceRecord) -> Self {
        Self {
            case_id: last.case_id.clone(),
            next_seq: last.seq + 1,
            head: last.hash.clone(),
        }
    }

    /// The sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The hash of the last record (zeros when empty).
    pub fn head(&self) -> &Sha256Digest {
        &self.head
    }

    /// Builds the next record without appending it (the caller stores it first; only a
    /// stored record advances the chain — see [`Chain::advance`]).
    pub fn next(&self, body: RecordBody) -> Result<EvidenceRecord, EvidenceError> {
        let mut record = EvidenceRecord {
            schema: RECORD_SCHEMA.to_owned(),
            case_id: self.case_id.clone(),
            seq: self.next_seq,
            body: body.sanitised()?,
            prev_hash: self.head.clone(),
            hash: Sha256Digest::ZERO,
        };
        record.hash = record
            .compute_hash()
            .map_err(|e| EvidenceError::Encoding(e.to_string()))?;
        Ok(record)
    }

    /// Moves the chain past `record` once it is stored.
    pub fn advance(&mut self, record: &EvidenceRecord) {
        self.next_seq = record.seq + 1;
        self.head = record.hash.clone();
    }

    /// Builds and appends in one go (in-memory chains, tests).
    pub fn push(&mut self, body: RecordBody) -> Result<EvidenceRecord, EvidenceError> {
        let r = self.next(body)?;
        self.advance(&r);
        Ok(r)
    }
}

/// The first record of every case: HR's trigger exactly as received, and the status the
/// case opened in (`received` or `scheduled`).
pub fn hr_trigger_body(event: &TerminationEvent, actor: &str, case_status: &str) -> RecordBody {
    let mut details = json!({
        "source": event.source(),
        "sourceEventId": event.source_event_id(),
        "signatureVerified": event.authenticated_by().checked_by_offboard(),
        "authenticatedBy": event.authenticated_by(),
        "bodySha256": event.body_sha256(),
        "hrEffective": event.hr_effective(),
        "effectiveAt": millis::text(event.effective_at()),
        "receivedAt": millis::text(event.received_at()),
        "kind": event.kind(),
        "employee": event.employee(),
        "caseStatus": case_status,
    });
    // The host's assertion, not a signature: what it checked and where the key was.
    if let Some(a) = &event.host_assertion() {
        details["hostAssertion"] = serde_json::to_value(a).unwrap_or(Value::Null);
    }
    // The person or application offboard checked: who asked for this offboarding.
    if let Some(by) = event.requested_by() {
        details["requestedBy"] = serde_json::to_value(by).unwrap_or(Value::Null);
    }
    RecordBody {
        step: "hr-trigger".into(),
        target_system: format!("hr:{}", event.source()),
        action: "termination received and authenticated".into(),
        target_ids: vec![event.source_event_id().to_owned()],
        request: None,
        response_status: None,
        service_request_id: None,
        read_back: None,
        started_at: event.received_at(),
        ended_at: event.received_at(),
        actor: actor.to_owned(),
        outcome: Outcome::Received,
        reason: None,
        details: Some(details),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn body(step: &str, outcome: Outcome) -> RecordBody {
        let t = DateTime::parse_from_rfc3339("2026-11-26T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        RecordBody {
            step: step.into(),
            target_system: "entra".into(),
            action: "set accountEnabled=false".into(),
            target_ids: vec!["u-1".into()],
            request: Some(RequestOutline {
                method: "PATCH".into(),
                target: "/v1.0/users/{id}".into(),
            }),
            response_status: Some(204),
            service_request_id: Some("req-1".into()),
            read_back: Some(ReadBack {
                expected: json!({"accountEnabled": false}),
                observed: json!({"accountEnabled": false}),
                matches: true,
            }),
            started_at: t,
            ended_at: t,
            actor: "mi:offboard".into(),
            outcome,
            reason: None,
            details: None,
        }
    }

    #[test]
    fn records_chain_and_hash_their_canonical_form() {
        let mut chain = Chain::new(CaseId::derive("generic", "e"));
        let a = chain.push(body("a", Outcome::Verified)).unwrap();
        let b = chain.push(body("b", Outcome::Verified)).unwrap();
        assert_eq!(a.seq, 0);
        assert_eq!(a.prev_hash, GENESIS);
        assert_eq!(b.prev_hash, a.hash);
        assert_eq!(a.compute_hash().unwrap(), a.hash);
        // Milliseconds only, so the stored text is what was hashed.
        let text = serde_json::to_string(&a).unwrap();
        assert!(
            text.contains("\"startedAt\":\"2026-11-26T10:00:00.123Z\""),
            "{text}"
        );
        let back: EvidenceRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back.compute_hash().unwrap(), a.hash);
    }

    #[test]
    fn a_password_or_token_cannot_be_recorded() {
        let mut chain = Chain::new(CaseId::derive("generic", "e"));
        let mut b = body("reset-password", Outcome::Verified);
        b.details = Some(
            json!({"passwordProfile": {"password": "Tr0ub4dor&3", "forceChangePasswordNextSignIn": true}}),
        );
        let r = chain.push(b).unwrap();
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains("Tr0ub4dor&3"));
        assert!(text.contains("[redacted]"));

        let mut b = body("revoke", Outcome::Verified);
        b.reason =
            Some("Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2ln".into());
        assert!(matches!(chain.next(b), Err(EvidenceError::Secret(_))));
        let mut b = body("revoke", Outcome::Verified);
        b.read_back = Some(ReadBack {
            expected: json!("x"),
            observed: json!({"note": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2ln"}),
            matches: false,
        });
        assert_eq!(
            chain.next(b),
            Err(EvidenceError::Secret(SecretDetected {
                at: "/readBack/observed/note".into()
            }))
        );
    }
}
