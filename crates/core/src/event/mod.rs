//! A termination as HR (or an identity provider, or an operator) reported it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

pub(crate) mod kind;

pub use kind::TerminationKind;

use crate::actor::HumanActor;
use crate::effective::{EffectivePolicy, EffectiveTimeError, HrEffectiveTime};
use crate::ids::{CaseId, EmployeeIdentifiers, Sha256Digest};
use crate::signature::{HostAssertion, Scheme, Verified};

/// Where a termination came from. Part of the case id, so the same event id from two sources
/// never collides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// BambooHR field-based webhook.
    Bamboohr,
    /// offboard's own JSON in the Standard Webhooks envelope (Workday, SuccessFactors, ADP...
    /// through their integration tools).
    Generic,
    /// A SCIM 2.0 client (Entra ID, Okta, Rippling provisioning) deactivating a user.
    Scim,
    /// An operator through `POST /api/offboardings`.
    Operator,
    /// The reconciliation scan: HR's population reported a leaver whose termination never
    /// reached offboard (the population snapshot is the trigger).
    Reconcile,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 4] = [Self::Bamboohr, Self::Generic, Self::Scim, Self::Operator];

    /// The name used in URLs, ids and evidence.
    /// Parses the API name (every source, the reconciliation scan's too).
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain([Self::Reconcile])
            .find(|s| s.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bamboohr => "bamboohr",
            Self::Generic => "generic",
            Self::Scim => "scim",
            Self::Operator => "operator",
            Self::Reconcile => "reconcile",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verified termination, the input of a case. It can only be built from a [`Verified`]
/// request ([`TerminationEvent::new`]), so its digest and authentication scheme are always
/// those of the bytes received; its fields are read through accessors and never changed.
/// (It also reads back from the case store, which only ever held events built that way.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminationEvent {
    /// Where the event came from.
    source: Source,
    /// The id the source gave the event (or a stable id offboard derived from it).
    source_event_id: String,
    /// The source's own id for the person (BambooHR employee id, SCIM user id), when it has
    /// one: lets a later "reinstated" message find the open case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_subject_id: Option<String>,
    /// How the leaver is identified.
    employee: EmployeeIdentifiers,
    /// The kind of termination.
    kind: TerminationKind,
    /// HR's effective time as sent.
    hr_effective: HrEffectiveTime,
    /// The computed UTC instant at which access must go.
    effective_at: DateTime<Utc>,
    /// When offboard received the request.
    received_at: DateTime<Utc>,
    /// SHA-256 of the raw request body.
    body_sha256: Sha256Digest,
    /// How the request was authenticated.
    authenticated_by: Scheme,
    /// For [`Scheme::FunctionsHost`]: what the Functions host asserted and where the caller's
    /// key was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host_assertion: Option<HostAssertion>,
    /// For [`Scheme::EntraId`]: the person or application that asked for the offboarding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requested_by: Option<HumanActor>,
    /// Free text from an operator (why), never a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// The parts of a termination a parser extracts from a payload, before it is bound to the
/// verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminationFacts {
    /// Where the event came from.
    pub source: Source,
    /// The source's id for this event.
    pub source_event_id: String,
    /// The source's id for the person, if any.
    pub source_subject_id: Option<String>,
    /// How the leaver is identified.
    pub employee: EmployeeIdentifiers,
    /// The termination kind.
    pub kind: TerminationKind,
    /// HR's effective time as sent.
    pub hr_effective: HrEffectiveTime,
    /// Operator's free-text reason.
    pub reason: Option<String>,
}

impl TerminationEvent {
    /// Binds parsed facts to the verified request they came from and computes the effective
    /// instant under the company policy.
    pub fn new(
        facts: TerminationFacts,
        verified: &Verified,
        policy: &EffectivePolicy,
    ) -> Result<Self, EffectiveTimeError> {
        let received_at = verified.received_at();
        let effective_at =
            policy.effective_instant(&facts.hr_effective, facts.kind, received_at)?;
        Ok(Self {
            source: facts.source,
            source_event_id: facts.source_event_id,
            source_subject_id: facts.source_subject_id,
            employee: facts.employee,
            kind: facts.kind,
            hr_effective: facts.hr_effective,
            effective_at,
            received_at,
            body_sha256: verified.body_sha256().clone(),
            authenticated_by: verified.scheme(),
            host_assertion: verified.host_assertion().cloned(),
            requested_by: verified.signed_in().cloned(),
            reason: facts.reason,
        })
    }

    /// Where the event came from.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The id the source gave the event (or a stable id offboard derived from it).
    pub fn source_event_id(&self) -> &str {
        &self.source_event_id
    }

    /// The source's own id for the person (BambooHR employee id, SCIM user id), if it has one.
    pub fn source_subject_id(&self) -> Option<&str> {
        self.source_subject_id.as_deref()
    }

    /// How the leaver is identified.
    pub fn employee(&self) -> &EmployeeIdentifiers {
        &self.employee
    }

    /// The kind of termination.
    pub fn kind(&self) -> TerminationKind {
        self.kind
    }

    /// HR's effective time as sent.
    pub fn hr_effective(&self) -> &HrEffectiveTime {
        &self.hr_effective
    }

    /// The computed UTC instant at which access must go.
    pub fn effective_at(&self) -> DateTime<Utc> {
        self.effective_at
    }

    /// When offboard received the request.
    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }

    /// SHA-256 of the raw request body.
    pub fn body_sha256(&self) -> &Sha256Digest {
        &self.body_sha256
    }

    /// How the request was authenticated.
    pub fn authenticated_by(&self) -> Scheme {
        self.authenticated_by
    }

    /// For [`Scheme::FunctionsHost`]: what the Functions host asserted and where the caller's
    /// key was.
    pub fn host_assertion(&self) -> Option<&HostAssertion> {
        self.host_assertion.as_ref()
    }

    /// For [`Scheme::EntraId`]: the person or application that asked for the offboarding.
    pub fn requested_by(&self) -> Option<&HumanActor> {
        self.requested_by.as_ref()
    }

    /// Free text from an operator (why), never a secret.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The deterministic id of the case this event opens.
    pub fn case_id(&self) -> CaseId {
        CaseId::derive(self.source.as_str(), &self.source_event_id)
    }

    /// Whether `other` (with the same source and event id) reports the same termination:
    /// the same person named the same way, the same kind, the same effective time as HR sent
    /// it. The facts are compared rather than the body digest because a sender may deliver
    /// the same termination in different bytes — BambooHR batches several employees into
    /// one body and derives the event id from one of them, an integration tool re-serialises
    /// on retry — and the time offboard computed is not compared because it depends on when
    /// the request arrived. The operator's free-text reason is not a fact of the termination.
    pub fn is_same_termination(&self, other: &TerminationEvent) -> bool {
        self.source == other.source
            && self.source_event_id == other.source_event_id
            && self.source_subject_id == other.source_subject_id
            && self.employee == other.employee
            && self.kind == other.kind
            && self.hr_effective == other.hr_effective
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_termination_is_judged_by_its_facts_not_its_bytes() {
        use crate::effective::HrEffectiveTime;
        use crate::ids::EmployeeIdentifiers;
        let received = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let event = |employee: &str, body: &[u8], reason: Option<&str>| {
            let facts = TerminationFacts {
                source: Source::Generic,
                source_event_id: "evt-1".into(),
                source_subject_id: None,
                employee: EmployeeIdentifiers::new(Some(employee.into()), None, None, None)
                    .unwrap(),
                kind: TerminationKind::Voluntary,
                hr_effective: HrEffectiveTime::instant("2026-11-30T17:00:00Z").unwrap(),
                reason: reason.map(str::to_owned),
            };
            TerminationEvent::new(
                facts,
                &Verified::by_function_key(body, received),
                &EffectivePolicy::default(),
            )
            .unwrap()
        };
        let first = event("E1", b"{\"a\":1}", None);
        assert!(first.is_same_termination(&event("E1", b"{ \"a\": 1 }", Some("again"))));
        assert!(!first.is_same_termination(&event("E2", b"{\"a\":1}", None)));
        let mut harsher = first.clone();
        harsher.kind = TerminationKind::ForCause;
        assert!(!first.is_same_termination(&harsher));
    }

    #[test]
    fn kinds_parse_api_names_and_hr_labels() {
        for k in TerminationKind::ALL {
            assert_eq!(TerminationKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(
            TerminationKind::parse("For Cause"),
            Some(TerminationKind::ForCause)
        );
        assert_eq!(
            TerminationKind::parse("Contract-End"),
            Some(TerminationKind::ContractEnd)
        );
        assert_eq!(TerminationKind::parse("sabbatical"), None);
    }
}
