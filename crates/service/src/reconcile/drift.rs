//! Re-reading what completed cases' removals established (drift), for the cases due a check:
//! the Graph reads the verified steps themselves use, 20 to a `$batch` across cases, every
//! page of each listing ([`super::paged`], bounded: a listing past the page limit is judged on
//! the pages read and reported `recheck_incomplete`), the sessions' last revocation and last
//! successful sign-in among them; the mailbox type and the mailbox's own forwarding from
//! Exchange (`Get-Mailbox`, one per case that converted the mailbox or stopped its
//! forwarding; the forwarding inbox rules come from Graph) and who holds rights on it now
//! (`Get-MailboxPermission`, `Get-RecipientPermission`, against the rights kept in the facts
//! when the case was planned); the leaver's rights on other mailboxes
//! ([`super::mailbox_rights`]: the rights index and one live SendAs read per case that removed
//! them); the AD account through the agent for synced leavers (`readBack`, one per case).
//! Judged by `offboard_core::reconcile::drift`.
//!
//! A read that fails (an item's error, a batch refused, the agent unreachable) is not a
//! regression and not a clearance: the case's findings of that kind are neither raised nor
//! resolved by this scan, and the scan goes on.

use std::collections::BTreeSet;

use offboard_core::case::Case;
use offboard_core::ids::CaseId;
use offboard_core::plan::StepKind;
use offboard_core::policy::Policy;
use offboard_core::reconcile::drift::{incomplete, verified};
use offboard_core::reconcile::{Held, Observation, Reread, Sessions, drift};
use offboard_graph::exchange::Mailbox;
use offboard_graph::{
    AppRoleAssignment, AuthMethod, AuthMethodKind, BatchRequest, BatchResponse, ExchangeClient,
    GraphClient, GraphError, ManagedDevice, MessageRule, OAuth2PermissionGrant, RoleAssignment,
    SessionState, User,
};

use super::paged::{self, Paged};
use super::{agent, mailbox_rights};
use crate::m365::{delegates, method_name};
use crate::onprem::OnPremAgent;
use crate::rights_index::RightsIndexService;
use crate::steps::{ad_locator, direct_skus, no_mailbox};

/// What the re-check found.
#[derive(Debug, Default)]
pub struct Drift {
    /// The regressions.
    pub observations: Vec<Observation>,
    /// Each (case, what) re-read this scan (`what` as in the finding ids: `group`, `licence`,
    /// ...): only these findings are judged, so a failed read never clears one.
    pub checked: BTreeSet<(CaseId, &'static str)>,
    /// Reads that failed.
    pub failed: u64,
    /// Requests sent to Microsoft Graph.
    pub graph_requests: u64,
    /// Listings read only in part (their page limit hit).
    pub truncated: u64,
}

/// What the re-check reads besides Graph, and how far it follows a listing.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    /// Exchange Online: the mailbox type, and the SendAs and live reads of rights elsewhere.
    pub exchange: Option<&'a ExchangeClient>,
    /// The rights index: the leaver's FullAccess and SendOnBehalf on other mailboxes.
    pub rights: Option<&'a RightsIndexService>,
    /// The on-prem agent: the AD account of a synced leaver.
    pub agent: Option<&'a OnPremAgent>,
    /// The policy the cases ran under (which mailboxes' rights the step removed).
    pub policy: &'a Policy,
    /// Most pages one listing is followed to ([`paged::MAX_PAGES`]).
    pub max_pages: usize,
}

/// One Graph read of one case: which re-read it fills.
#[derive(Clone, Copy)]
enum Read {
    Groups,
    Licences,
    AppRoles,
    DirectoryRoles,
    OauthGrants,
    AuthMethods,
    Devices,
    /// The inbox rules that forward (the mailbox's own forwarding is Exchange's, read per case).
    ForwardingRules,
    /// The last revocation and the last successful sign-in: one object, not a listing.
    Sessions,
}

impl Read {
    const ALL: [Read; 9] = [
        Read::Groups,
        Read::Licences,
        Read::AppRoles,
        Read::DirectoryRoles,
        Read::OauthGrants,
        Read::AuthMethods,
        Read::Devices,
        Read::ForwardingRules,
        Read::Sessions,
    ];

    /// The finding ids' name of what it reads.
    fn what(self) -> &'static str {
        match self {
            Read::Groups => "group",
            Read::Licences => "licence",
            Read::AppRoles => "app-role",
            Read::DirectoryRoles => "directory-role",
            Read::OauthGrants => "oauth-grant",
            Read::AuthMethods => "auth-method",
            Read::Devices => "device",
            Read::ForwardingRules => "forwarding",
            Read::Sessions => "session",
        }
    }

    /// The step whose verified removal the read re-checks.
    fn step(self) -> StepKind {
        match self {
            Read::Groups => StepKind::RemoveGroups,
            Read::Licences => StepKind::RemoveLicences,
            Read::AppRoles => StepKind::RemoveAppRoles,
            Read::DirectoryRoles => StepKind::RemoveDirectoryRoles,
            Read::OauthGrants => StepKind::RemoveOauthGrants,
            Read::AuthMethods => StepKind::RemoveAuthMethods,
            Read::Devices => StepKind::RetireDevices,
            Read::ForwardingRules => StepKind::StopForwarding,
            Read::Sessions => StepKind::RevokeSessions,
        }
    }

    fn request(self, id: &str, user: &str) -> BatchRequest {
        match self {
            Read::Groups => BatchRequest::member_of_groups(id, user),
            Read::Licences => BatchRequest::get_user(id, user),
            Read::AppRoles => BatchRequest::app_role_assignments(id, user),
            Read::DirectoryRoles => BatchRequest::role_assignments_of(id, user),
            Read::OauthGrants => BatchRequest::oauth_grants_of(id, user),
            Read::AuthMethods => BatchRequest::authentication_methods(id, user),
            Read::Devices => BatchRequest::managed_devices(id, user),
            Read::ForwardingRules => BatchRequest::inbox_rules(id, user),
            Read::Sessions => BatchRequest::session_state(id, user),
        }
    }

    /// What the answer holds now (a user gone, 404, holds nothing).
    fn held(self, r: BatchResponse) -> Result<Vec<Held>, GraphError> {
        if r.status == 404 {
            return Ok(Vec::new());
        }
        Ok(match self {
            Read::Groups => r
                .into_list::<offboard_graph::Group>()?
                .value
                .into_iter()
                .map(|g| Held::new(g.id, g.display_name))
                .collect(),
            Read::Licences => direct_skus(&r.into_result::<User>()?.value)
                .into_iter()
                .map(|sku| Held::new(sku, None))
                .collect(),
            Read::AppRoles => r
                .into_list::<AppRoleAssignment>()?
                .value
                .into_iter()
                .map(|a| Held::new(a.id, a.resource_display_name))
                .collect(),
            Read::DirectoryRoles => r
                .into_list::<RoleAssignment>()?
                .value
                .into_iter()
                .map(|a| {
                    let name = a
                        .role_definition
                        .and_then(|d| d.display_name)
                        .unwrap_or(a.role_definition_id);
                    Held::new(a.id, Some(name))
                })
                .collect(),
            Read::OauthGrants => r
                .into_list::<OAuth2PermissionGrant>()?
                .value
                .into_iter()
                .filter(|g| g.consent_type.as_deref() != Some("AllPrincipals"))
                .map(|g| Held::new(g.id, g.scope))
                .collect(),
            Read::AuthMethods => r
                .into_list::<AuthMethod>()?
                .value
                .into_iter()
                .filter(|m| m.kind != AuthMethodKind::Password)
                .map(|m| Held::new(m.id, Some(method_name(m.kind))))
                .collect(),
            Read::Devices => r
                .into_list::<ManagedDevice>()?
                .value
                .into_iter()
                .filter(|d| !d.retire_requested())
                .map(|d| Held::new(d.id, d.device_name))
                .collect(),
            Read::ForwardingRules => r
                .into_list::<MessageRule>()?
                .value
                .into_iter()
                .filter(MessageRule::forwards)
                .map(|rule| {
                    let to: Vec<String> = rule
                        .actions
                        .targets()
                        .into_iter()
                        .map(|(how, to)| format!("{how} {to}"))
                        .collect();
                    let name = format!(
                        "inbox rule '{}': {}",
                        rule.display_name.as_deref().unwrap_or(&rule.id),
                        to.join(", ")
                    );
                    Held::new(rule.id, Some(name))
                })
                .collect(),
            // Judged by `sessions`, never listed.
            Read::Sessions => Vec::new(),
        })
    }

    /// Whether it is read from Graph alone (the forwarding rules are judged with the
    /// mailbox's own forwarding, which only Exchange reads).
    fn readable(self, exchange: bool) -> bool {
        !matches!(self, Read::ForwardingRules) || exchange
    }

    fn fill(self, reread: &mut Reread, held: Vec<Held>) {
        let slot = match self {
            Read::Groups => &mut reread.groups,
            Read::Licences => &mut reread.direct_licences,
            Read::AppRoles => &mut reread.app_roles,
            Read::DirectoryRoles => &mut reread.directory_roles,
            Read::OauthGrants => &mut reread.oauth_grants,
            Read::AuthMethods => &mut reread.auth_methods,
            Read::Devices => &mut reread.devices,
            Read::ForwardingRules => &mut reread.forwarding,
            Read::Sessions => return,
        };
        *slot = Some(held);
    }
}

/// The sessions' state from a user read (a user gone, 404, has none).
fn sessions(r: BatchResponse) -> Result<Sessions, GraphError> {
    if r.status == 404 {
        return Ok(Sessions::default());
    }
    let s = r.into_result::<SessionState>()?.value;
    Ok(Sessions {
        valid_from: s.sign_in_sessions_valid_from_date_time,
        last_successful_sign_in: s
            .sign_in_activity
            .and_then(|a| a.last_successful_sign_in_date_time),
    })
}

/// The mailbox's own forwarding, as a re-read item (none when nothing is set).
fn mailbox_forwarding(m: &Mailbox) -> Option<Held> {
    let to: Vec<&str> = [
        m.forwarding_smtp_address.as_deref(),
        m.forwarding_address.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter(|a| !a.is_empty())
    .collect();
    (!to.is_empty()).then(|| {
        Held::new(
            "mailbox",
            Some(format!("mailbox forwarding to {}", to.join(", "))),
        )
    })
}

/// Re-reads and judges `cases` (completed, due a drift check).
pub async fn recheck(graph: &GraphClient, from: Sources<'_>, cases: &[&Case]) -> Drift {
    let mut out = Drift::default();
    let mut rereads: Vec<Reread> = vec![Reread::default(); cases.len()];
    // Every Graph read of every case, each to its last page, 20 to a batch.
    let reads: Vec<(usize, Read)> = cases
        .iter()
        .enumerate()
        .filter(|(_, c)| c.plan.is_some())
        .flat_map(|(i, c)| {
            Read::ALL
                .into_iter()
                .filter(move |r| verified(c, r.step()) && r.readable(from.exchange.is_some()))
                .map(move |r| (i, r))
        })
        .collect();
    let requests = reads
        .iter()
        .map(|(i, read)| {
            let user = cases[*i]
                .plan
                .as_ref()
                .map(|p| p.facts.user.id.as_str())
                .unwrap_or_default();
            read.request("0", user)
        })
        .collect();
    let listings = paged::read_all(graph, requests, from.max_pages).await;
    out.graph_requests += listings.requests;
    for ((i, read), listing) in reads.iter().zip(listings.listings) {
        let case = cases[*i];
        let (pages, whole) = match listing {
            Paged::Whole(p) => (p, true),
            Paged::Truncated(p) => (p, false),
            Paged::Failed(e) => {
                tracing::warn!(case = %case.id, read = read.what(), "a drift re-read failed: {e}");
                out.failed += 1;
                continue;
            }
        };
        let count = pages.len();
        if let Read::Sessions = read {
            match pages.into_iter().next().map(sessions) {
                Some(Ok(s)) => {
                    rereads[*i].sessions = Some(s);
                    out.checked.insert((case.id.clone(), read.what()));
                }
                Some(Err(e)) => {
                    tracing::warn!(case = %case.id, "the sessions could not be re-read: {e}");
                    out.failed += 1;
                }
                None => out.failed += 1,
            }
            continue;
        }
        match pages
            .into_iter()
            .map(|p| read.held(p))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(held) => {
                read.fill(&mut rereads[*i], held.into_iter().flatten().collect());
                if whole {
                    out.checked.insert((case.id.clone(), read.what()));
                } else {
                    // Judged on the pages read (what they show came back); the rest unread.
                    out.truncated += 1;
                    out.observations.push(incomplete(case, read.what(), count));
                }
            }
            Err(e) => {
                tracing::warn!(case = %case.id, read = read.what(), "a drift re-read failed: {e}");
                out.failed += 1;
            }
        }
    }
    for (i, case) in cases.iter().enumerate() {
        let Some(plan) = case.plan.as_ref() else {
            continue;
        };
        let who = plan
            .facts
            .user
            .user_principal_name
            .clone()
            .unwrap_or_else(|| plan.facts.user.id.clone());
        let converted = verified(case, StepKind::ConvertMailbox);
        let forwarding = verified(case, StepKind::StopForwarding);
        if let Some(exchange) = from.exchange
            && (converted || forwarding)
        {
            match exchange.get_mailbox(&who).await {
                Ok(m) => {
                    if converted {
                        rereads[i].mailbox_type = m.value.recipient_type_details.clone();
                        out.checked.insert((case.id.clone(), "mailbox-type"));
                    }
                    // Rights granted on it since, when the case kept who held them before.
                    if converted
                        && plan
                            .facts
                            .mailbox
                            .as_ref()
                            .is_some_and(|f| f.delegates.is_some())
                    {
                        match delegates::read(exchange, &who, &m.value).await {
                            Ok(d) => {
                                rereads[i].mailbox_delegates = Some(d);
                                out.checked.insert((case.id.clone(), "mailbox-delegate"));
                            }
                            Err(e) => {
                                tracing::warn!(case = %case.id, "the rights on the leaver's mailbox could not be re-read: {e}");
                                out.failed += 1;
                            }
                        }
                    }
                    if let Some(held) = rereads[i].forwarding.as_mut() {
                        held.extend(mailbox_forwarding(&m.value));
                    }
                }
                // No mailbox any more: nothing came back.
                Err(e) if no_mailbox(&e) => {
                    if converted {
                        out.checked.insert((case.id.clone(), "mailbox-type"));
                        out.checked.insert((case.id.clone(), "mailbox-delegate"));
                    }
                }
                Err(e) => {
                    tracing::warn!(case = %case.id, "the mailbox could not be re-read: {e}");
                    out.failed += 1;
                    // The rules alone would clear a finding about the mailbox's own forwarding.
                    rereads[i].forwarding = None;
                    out.checked.remove(&(case.id.clone(), "forwarding"));
                }
            }
        }
        if let (Some(exchange), Some(index)) = (from.exchange, from.rights)
            && verified(case, StepKind::RemoveMailboxRightsElsewhere)
        {
            let scope = from
                .policy
                .for_kind(case.plan_kind())
                .mailbox_rights_elsewhere;
            match mailbox_rights::reread(exchange, index, &who, scope).await {
                Ok(held) => {
                    rereads[i].mailbox_rights = Some(held);
                    out.checked.insert((case.id.clone(), "mailbox-right"));
                }
                Err(e) => {
                    tracing::warn!(case = %case.id, "the rights on other mailboxes could not be re-read: {e}");
                    out.failed += 1;
                }
            }
        }
        if let Some(agent) = from.agent
            && verified(case, StepKind::AdDisable)
            && let Some(locator) = ad_locator(&plan.facts, case.event.employee())
        {
            match agent::read_back(agent, case.id.as_str(), locator).await {
                Ok(state) => {
                    rereads[i].ad_enabled = Some(state.is_some_and(|s| !s.disabled));
                    out.checked.insert((case.id.clone(), "ad-account-enabled"));
                }
                Err(e) => {
                    tracing::warn!(case = %case.id, "the AD account could not be re-read: {e}");
                    out.failed += 1;
                }
            }
        }
        out.observations.extend(drift(case, &rereads[i]));
    }
    out
}
