//! Keeping findings: a finding seen again stays one finding (same id, last seen moves), one no
//! longer seen by a scan that could judge it is resolved, and only a newly raised one is
//! notified.

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

use offboard_core::ids::CaseId;
use offboard_core::notify::{Notification, NotificationKind};
use offboard_core::ports::StoreError;
use offboard_core::reconcile::{
    Finding, FindingKind, FindingQuery, FindingStatus, FindingStore, Observation,
};

/// What applying a scan's observations changed.
#[derive(Debug, Default)]
pub struct Applied {
    /// Every finding the scan saw, as stored now.
    pub seen: Vec<Finding>,
    /// Ids raised for the first time (or again after being resolved).
    pub raised: BTreeSet<String>,
    /// Findings resolved by this scan.
    pub resolved: Vec<Finding>,
}

/// Stores `observations` as findings of scan `scan_id`; resolves open findings the scan could
/// judge (`judged`) but did not see.
pub async fn apply(
    store: &dyn FindingStore,
    scan_id: &str,
    now: DateTime<Utc>,
    observations: Vec<Observation>,
    judged: impl Fn(&Finding) -> bool,
) -> Result<Applied, StoreError> {
    let mut out = Applied::default();
    let seen_ids: BTreeSet<String> = observations.iter().map(|o| o.id.clone()).collect();
    for o in observations {
        let finding = match store.get(&o.id).await? {
            Some(mut f) if f.status == FindingStatus::Open => {
                f.observation = o;
                f.last_scan = scan_id.to_owned();
                f.last_seen = now;
                f
            }
            // New, or raised again after a scan resolved it: a new life under the same id.
            _ => {
                out.raised.insert(o.id.clone());
                Finding {
                    observation: o,
                    status: FindingStatus::Open,
                    first_scan: scan_id.to_owned(),
                    first_seen: now,
                    last_scan: scan_id.to_owned(),
                    last_seen: now,
                    resolved_at: None,
                    handled: None,
                }
            }
        };
        store.put(&finding).await?;
        out.seen.push(finding);
    }
    let open = store
        .list(&FindingQuery {
            status: Some(FindingStatus::Open),
            ..FindingQuery::default()
        })
        .await?;
    for mut f in open {
        if !seen_ids.contains(f.id()) && judged(&f) {
            f.status = FindingStatus::Resolved;
            f.resolved_at = Some(now);
            f.last_scan = scan_id.to_owned();
            store.put(&f).await?;
            out.resolved.push(f);
        }
    }
    Ok(out)
}

/// Counts by kind name.
pub fn counts<'a>(kinds: impl Iterator<Item = FindingKind> + 'a) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for k in kinds {
        *m.entry(k.as_str().to_owned()).or_insert(0) += 1;
    }
    m
}

/// The notification for a newly raised finding. Findings without a case carry the scan's
/// evidence chain id, where the scan record names them.
pub fn notification(f: &Finding, scan_chain: &CaseId) -> Notification {
    let o = &f.observation;
    Notification {
        recipients: Vec::new(),
        kind: if o.kind == FindingKind::SourceFailed {
            NotificationKind::PopulationSourceFailed
        } else {
            NotificationKind::GhostAccessFound
        },
        case_id: o.case_id.clone().unwrap_or_else(|| scan_chain.clone()),
        leaver: o.subject.clone(),
        what: format!("{}: {}", o.kind.as_str(), o.what),
        action: o.action.clone(),
        at: f.first_seen,
        key: format!(
            "finding:{}:{}",
            o.id,
            offboard_core::evidence::millis::text(f.first_seen)
        ),
    }
}
