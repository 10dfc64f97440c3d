//! The compliance index entry of a case: a fold of its evidence, so it can always be
//! rebuilt from the evidence store and compared with it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::canonical::millis;
use super::record::{EvidenceRecord, Outcome};
use super::seal::{Seal, SlaOutcome};
use crate::case::CaseStatus;
use crate::event::{Source, TerminationKind};
use crate::ids::{CaseId, EmployeeIdentifiers, Sha256Digest};

/// The step name of the record the SLA timer writes when it flags a breach.
pub const SLA_STEP: &str = "sla";

/// One action in a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineItem {
    /// The record's position.
    pub seq: u64,
    /// The step.
    pub step: String,
    /// The system acted on.
    pub target_system: String,
    /// The action.
    pub action: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Why, when not verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Started (UTC, ms).
    #[serde(with = "millis")]
    pub started_at: DateTime<Utc>,
    /// Ended (UTC, ms).
    #[serde(with = "millis")]
    pub ended_at: DateTime<Utc>,
    /// The record's hash.
    pub hash: Sha256Digest,
}

/// Who the leaver turned out to be: the account the plan resolved in Entra ID, as the `plan`
/// record holds it. HR may have sent only one identifier; this is the whole identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedLeaver {
    /// Entra ID object id.
    pub object_id: String,
    /// User principal name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Entra ID `employeeId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    /// The on-premises account (`sAMAccountName`), when the account is synced from AD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_premises_account: Option<String>,
}

impl ResolvedLeaver {
    /// Reads the identity from a `plan` record's details (`leaver`, `employeeId`,
    /// `onPremisesSamAccountName`).
    fn from_plan_details(d: &serde_json::Value) -> Option<Self> {
        let leaver = d.get("leaver")?;
        let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
        Some(Self {
            object_id: text(leaver.get("id"))?,
            user_principal_name: text(leaver.get("userPrincipalName")),
            display_name: text(leaver.get("displayName")),
            employee_id: text(d.get("employeeId")),
            on_premises_account: text(d.get("onPremisesSamAccountName")),
        })
    }
}

/// A case as the compliance queries see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexEntry {
    /// The case id (the document id).
    pub id: CaseId,
    /// The evidence period (`YYYY-MM`): the partition key.
    pub period: String,
    /// The case status as the evidence shows it (`received` ... `cancelled`).
    pub status: CaseStatus,
    /// Where the termination came from.
    pub source: Source,
    /// The source's event id.
    pub source_event_id: String,
    /// The leaver as HR identified them.
    pub employee: EmployeeIdentifiers,
    /// The leaver as the plan resolved them in Entra ID (none before planning, or when the
    /// leaver could not be resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaver: Option<ResolvedLeaver>,
    /// Termination kind.
    pub kind: TerminationKind,
    /// HR's effective time as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_effective_as_sent: Option<String>,
    /// The computed effective instant.
    #[serde(with = "millis")]
    pub effective_at: DateTime<Utc>,
    /// When offboard received it.
    #[serde(with = "millis")]
    pub received_at: DateTime<Utc>,
    /// SHA-256 of HR's raw body.
    pub hr_event_sha256: Sha256Digest,
    /// Every recorded action.
    pub timeline: Vec<TimelineItem>,
    /// Per system, when access there was last verified removed.
    pub access_removed_at: BTreeMap<String, DateTime<Utc>>,
    /// Reasons of failed or excepted actions.
    pub exceptions: Vec<String>,
    /// Records so far.
    pub record_count: u64,
    /// Hash of the last record.
    pub chain_head: Sha256Digest,
    /// The seal's hash, once sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal_hash: Option<Sha256Digest>,
    /// The SLA outcome, once sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaOutcome>,
    /// The ledger position, once appended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_seq: Option<u64>,
    /// Whether the evidence store enforced immutability.
    pub worm_enforced: bool,
}

/// Why an index entry could not be built from evidence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot index case {case_id}: {detail}")]
pub struct IndexError {
    /// The case.
    pub case_id: CaseId,
    /// What is missing.
    pub detail: String,
}

fn parse_time(d: &serde_json::Value, key: &str) -> Option<DateTime<Utc>> {
    d.get(key)
        .and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl IndexEntry {
    /// The SLA state as the evidence shows it: the sealed outcome (`met`, `breached`,
    /// `no_target`), else `breached` once the SLA timer has recorded a breach, else
    /// `pending`.
    pub fn sla_state(&self) -> &'static str {
        match &self.sla {
            Some(s) => match s.met {
                Some(true) => "met",
                Some(false) => "breached",
                None => "no_target",
            },
            None if self.timeline.iter().any(|t| t.step == SLA_STEP) => "breached",
            None => "pending",
        }
    }

    /// When every access was verified removed: the last removal of a case that completed
    /// (every step verified or not applicable). `None` while the case runs, and when
    /// exceptions remain (access the evidence does not show removed).
    pub fn all_access_removed_at(&self) -> Option<DateTime<Utc>> {
        if self.status == CaseStatus::Completed {
            self.access_removed_at.values().max().copied()
        } else {
            None
        }
    }

    /// When cloud sign-in was cut: the sealed SLA's measurement (block and revoke verified);
    /// before the seal, the later of the verified block (or, for a synced account, the
    /// cloud account seen disabled) and the verified session revocation.
    pub fn sign_in_cut_at(&self) -> Option<DateTime<Utc>> {
        if let Some(at) = self.sla.as_ref().and_then(|s| s.access_removed_at) {
            return Some(at);
        }
        let verified = |steps: &[&str]| {
            self.timeline
                .iter()
                .filter(|t| t.outcome == Outcome::Verified && steps.contains(&t.step.as_str()))
                .map(|t| t.ended_at)
                .max()
        };
        let block = verified(&["block-sign-in", "verify-cloud-disabled"])?;
        let revoke = verified(&["revoke-sessions"])?;
        Some(block.max(revoke))
    }

    /// How long HR's event took to reach offboard after its effective time (zero for an event
    /// that arrived before it): the part of any SLA breach that was not offboard's.
    pub fn hr_delay(&self) -> chrono::Duration {
        (self.received_at - self.effective_at).max(chrono::Duration::zero())
    }

    /// offboard's own time to cut sign-in: from when the termination was both received and
    /// effective to the cut.
    pub fn own_time_to_sign_in_cut(&self) -> Option<chrono::Duration> {
        let start = self.received_at.max(self.effective_at);
        self.sign_in_cut_at().map(|cut| cut - start)
    }

    /// Starts an entry from a case's first record (the HR trigger).
    pub fn from_trigger(
        period: &str,
        trigger: &EvidenceRecord,
        worm_enforced: bool,
    ) -> Result<Self, IndexError> {
        let err = |detail: &str| IndexError {
            case_id: trigger.case_id.clone(),
            detail: detail.into(),
        };
        if trigger.body.step != "hr-trigger" {
            return Err(err("the first record is not the HR trigger"));
        }
        let d = trigger
            .body
            .details
            .as_ref()
            .ok_or_else(|| err("trigger has no details"))?;
        let text = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let mut entry = Self {
            id: trigger.case_id.clone(),
            period: period.to_owned(),
            status: CaseStatus::Received,
            source: d
                .get("source")
                .and_then(|v| Source::deserialize(v).ok())
                .ok_or_else(|| err("trigger has no known source"))?,
            source_event_id: text("sourceEventId").unwrap_or_default(),
            employee: serde_json::from_value(d.get("employee").cloned().unwrap_or_default())
                .map_err(|_| err("trigger has no employee"))?,
            leaver: None,
            kind: match d.get("kind") {
                None => TerminationKind::Unspecified,
                Some(v) => TerminationKind::deserialize(v)
                    .map_err(|_| err("trigger has an unknown termination kind"))?,
            },
            hr_effective_as_sent: d
                .get("hrEffective")
                .and_then(|h| h.get("as_sent"))
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            effective_at: parse_time(d, "effectiveAt")
                .ok_or_else(|| err("trigger has no effectiveAt"))?,
            received_at: parse_time(d, "receivedAt")
                .ok_or_else(|| err("trigger has no receivedAt"))?,
            hr_event_sha256: text("bodySha256")
                .and_then(|h| Sha256Digest::parse_hex(&h).ok())
                .ok_or_else(|| err("trigger has no bodySha256"))?,
            timeline: Vec::new(),
            access_removed_at: BTreeMap::new(),
            exceptions: Vec::new(),
            record_count: 0,
            chain_head: Sha256Digest::ZERO,
            seal_hash: None,
            sla: None,
            ledger_seq: None,
            worm_enforced,
        };
        entry.apply(trigger);
        Ok(entry)
    }

    /// Folds one more record into the entry (idempotent: a record already folded is ignored).
    pub fn apply(&mut self, r: &EvidenceRecord) {
        if self.timeline.iter().any(|t| t.seq == r.seq) {
            return;
        }
        self.timeline.push(TimelineItem {
            seq: r.seq,
            step: r.body.step.clone(),
            target_system: r.body.target_system.clone(),
            action: r.body.action.clone(),
            outcome: r.body.outcome,
            reason: r.body.reason.clone(),
            started_at: r.body.started_at,
            ended_at: r.body.ended_at,
            hash: r.hash.clone(),
        });
        self.timeline.sort_by_key(|t| t.seq);
        if r.body.step == "plan"
            && let Some(leaver) = r
                .body
                .details
                .as_ref()
                .and_then(ResolvedLeaver::from_plan_details)
        {
            self.leaver = Some(leaver);
        }
        // A restore's records put access back: they are never a removal's time.
        let restore = r
            .body
            .step
            .starts_with(crate::plan::restore_kind::RESTORE_STEP_PREFIX);
        match r.body.outcome {
            Outcome::Verified if !restore => {
                let at = self
                    .access_removed_at
                    .entry(r.body.target_system.clone())
                    .or_insert(r.body.ended_at);
                if r.body.ended_at > *at {
                    *at = r.body.ended_at;
                }
            }
            Outcome::Failed | Outcome::Exception => self.exceptions.push(format!(
                "{} ({}): {}",
                r.body.step,
                r.body.target_system,
                r.body
                    .reason
                    .clone()
                    .unwrap_or_else(|| r.body.outcome.as_str().into())
            )),
            _ => {}
        }
        if let Some(status) = r
            .body
            .details
            .as_ref()
            .and_then(|d| d.get("caseStatus"))
            .and_then(|v| CaseStatus::deserialize(v).ok())
        {
            self.status = status;
        }
        self.record_count = self.record_count.max(r.seq + 1);
        if let Some(last) = self.timeline.last() {
            self.chain_head = last.hash.clone();
        }
    }

    /// Records the seal.
    pub fn apply_seal(&mut self, seal: &Seal) {
        // The seal keeps its status as text so the offline verifier can read any seal, even
        // a forged one; a status offboard never writes leaves the evidence's own status.
        if let Some(status) = CaseStatus::parse(&seal.case_status) {
            self.status = status;
        }
        self.seal_hash = Some(seal.hash.clone());
        self.sla = Some(seal.sla.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn entry(status: CaseStatus) -> IndexEntry {
        IndexEntry {
            id: CaseId::derive("generic", "E-1"),
            period: "2026-11".into(),
            status,
            source: Source::Generic,
            source_event_id: "E-1".into(),
            employee: EmployeeIdentifiers::new(Some("1042".into()), None, None, None).unwrap(),
            leaver: None,
            kind: TerminationKind::Voluntary,
            hr_effective_as_sent: None,
            effective_at: at("2026-11-26T09:00:00Z"),
            received_at: at("2026-11-26T09:00:01Z"),
            hr_event_sha256: Sha256Digest::ZERO,
            timeline: Vec::new(),
            access_removed_at: BTreeMap::from([
                ("entra".to_owned(), at("2026-11-26T09:01:00Z")),
                ("exchange".to_owned(), at("2026-11-26T09:03:00Z")),
            ]),
            exceptions: Vec::new(),
            record_count: 3,
            chain_head: Sha256Digest::ZERO,
            seal_hash: None,
            sla: None,
            ledger_seq: None,
            worm_enforced: false,
        }
    }

    fn item(seq: u64, step: &str, outcome: Outcome) -> TimelineItem {
        TimelineItem {
            seq,
            step: step.into(),
            target_system: "offboard".into(),
            action: "x".into(),
            outcome,
            reason: None,
            started_at: at("2026-11-26T13:00:00Z"),
            ended_at: at("2026-11-26T13:00:00Z"),
            hash: Sha256Digest::ZERO,
        }
    }

    /// A row as the index stored it while status, source and kind were strings: it reads into
    /// the typed entry and writes back byte for byte, so stored rows and API JSON keep their
    /// form.
    #[test]
    fn a_row_stored_before_the_types_reads_and_writes_back_unchanged() {
        let hex = |c: char| c.to_string().repeat(64);
        let row = format!(
            concat!(
                r#"{{"id":"c-6f1d2c3a-0b4e-5f60-8a71-92b3c4d5e6f7","period":"2026-11","status":"completed_with_exceptions","#,
                r#""source":"bamboohr","sourceEventId":"E-1","employee":{{"employeeId":"1042","#,
                r#""mail":"adele@contoso.example"}},"leaver":{{"objectId":"u-1","displayName":"Adele"}},"#,
                r#""kind":"for_cause","hrEffectiveAsSent":"2026-11-26","#,
                r#""effectiveAt":"2026-11-26T09:00:00.000Z","receivedAt":"2026-11-26T09:00:01.250Z","#,
                r#""hrEventSha256":"{a}","timeline":[{{"seq":0,"step":"hr-trigger","#,
                r#""targetSystem":"offboard","action":"receive","outcome":"verified","#,
                r#""startedAt":"2026-11-26T09:00:01.250Z","endedAt":"2026-11-26T09:00:01.250Z","#,
                r#""hash":"{b}"}}],"accessRemovedAt":{{"entra":"2026-11-26T09:01:00Z"}},"#,
                r#""exceptions":["remove-licences (entra): 403"],"recordCount":1,"chainHead":"{b}","#,
                r#""sealHash":"{c}","sla":{{"targetMinutes":60,"measuredFrom":"2026-11-26T09:00:00.000Z","#,
                r#""met":false}},"ledgerSeq":4,"wormEnforced":true}}"#
            ),
            a = hex('a'),
            b = hex('b'),
            c = hex('c'),
        );
        let e: IndexEntry = serde_json::from_str(&row).unwrap();
        assert_eq!(e.status, CaseStatus::CompletedWithExceptions);
        assert_eq!(e.source, Source::Bamboohr);
        assert_eq!(e.kind, TerminationKind::ForCause);
        assert_eq!(serde_json::to_string(&e).unwrap(), row);

        let unknown = row.replace(r#""source":"bamboohr""#, r#""source":"workday""#);
        assert!(
            serde_json::from_str::<IndexEntry>(&unknown).is_err(),
            "a source offboard never wrote is refused, not carried as text"
        );
    }

    #[test]
    fn all_access_is_removed_only_when_the_case_completed() {
        assert_eq!(
            entry(CaseStatus::Completed).all_access_removed_at(),
            Some(at("2026-11-26T09:03:00Z"))
        );
        for status in [
            CaseStatus::Running,
            CaseStatus::CompletedWithExceptions,
            CaseStatus::Received,
        ] {
            assert_eq!(entry(status).all_access_removed_at(), None, "{status}");
        }
    }

    #[test]
    fn a_breach_shows_before_the_seal() {
        let mut e = entry(CaseStatus::Running);
        assert_eq!(e.sla_state(), "pending");
        e.timeline.push(item(3, SLA_STEP, Outcome::Exception));
        assert_eq!(e.sla_state(), "breached");
        e.sla = Some(SlaOutcome {
            target_minutes: Some(60),
            measured_from: e.effective_at,
            access_removed_at: None,
            met: Some(false),
        });
        assert_eq!(e.sla_state(), "breached");
        e.sla = Some(SlaOutcome {
            target_minutes: None,
            measured_from: e.effective_at,
            access_removed_at: None,
            met: None,
        });
        assert_eq!(e.sla_state(), "no_target");
    }
}
