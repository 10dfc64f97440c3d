//! Access that came back after a case was sealed: what each verified removal established,
//! against what the scan re-read after sealing ([`Reread`]), judged with no I/O. Each
//! regression is one `access_returned` finding naming what came back, under an id that says
//! which step re-establishes the removal ([`remedy`]), so `auto_remediate` re-runs just that
//! step.
//!
//! | step verified | re-read | came back when | finding id suffix |
//! |---|---|---|---|
//! | `remove-groups` | direct group memberships | a group the case removed lists the leaver again | `group:{groupId}` |
//! | `remove-licences` | `licenseAssignmentStates` | any licence assigned directly | `licence:{skuId}` |
//! | `remove-app-roles` | app role assignments | any assignment | `app-role:{assignmentId}` |
//! | `remove-directory-roles` | active role assignments | any assignment | `directory-role:{assignmentId}` |
//! | `remove-oauth-grants` | delegated grants the leaver consented to | any grant | `oauth-grant:{grantId}` |
//! | `remove-auth-methods` | authentication methods | any method but the password | `auth-method:{methodId}` |
//! | `retire-devices` | managed devices | a device without a retire requested | `device:{deviceId}` |
//! | `revoke-sessions` | `signInSessionsValidFromDateTime` and `signInActivity` | a sign-in succeeded after the sessions were last revoked | `session` |
//! | `stop-forwarding` | mailbox forwarding (Exchange) and enabled inbox rules that forward | any forwarding | `forwarding:mailbox`, `forwarding:{ruleId}` |
//! | `remove-mailbox-rights-elsewhere` | the leaver's FullAccess, SendAs, SendOnBehalf on other mailboxes (in the policy's scope) | any right | `mailbox-right:{mailbox}` |
//! | `convert-mailbox` | `RecipientTypeDetails` (Exchange) | anything but `SharedMailbox` | `mailbox-type` |
//! | `ad-disable` | the AD account through the agent | enabled | `ad-account-enabled` |
//! | `convert-mailbox` | who holds FullAccess, SendAs, SendOnBehalf on the leaver's mailbox | a right not held when the case was planned (the manager's FullAccess the case granted aside) | `mailbox-delegate:{right}:{who}` |
//!
//! A right granted on the leaver's mailbox after the case has no step that removed it, so no
//! step re-runs for it (`remedy` is `None`): the finding names the cmdlet that removes it.
//!
//! The cloud account enabled again is judged on every scan from the directory listing
//! (`account-enabled`, re-run by `block-sign-in`; see [`super::reconcile`]).
//!
//! A listing read only in part (its page limit hit) still reports what its pages show, and is
//! itself a `recheck_incomplete` finding ([`incomplete`]): what lies beyond was not judged.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::finding::{FindingKind, Observation};
use crate::case::Case;
use crate::ids::CaseId;
use crate::plan::{MailboxDelegate, StepKind, StepStatus};

/// Something the re-read found: its id and, when known, a name people read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// The object's id (group, SKU, assignment, grant, method, device).
    pub id: String,
    /// What people call it (group, SKU part number, application, role, method kind, device).
    pub name: Option<String>,
}

impl Held {
    /// An item with an id and a name.
    pub fn new(id: impl Into<String>, name: Option<String>) -> Self {
        Self {
            id: id.into(),
            name,
        }
    }

    fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// The leaver's sessions, re-read: a sign-in that succeeded after the last revocation opened
/// a session again (a refresh token redeemed counts: Entra logs it as a non-interactive
/// sign-in).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sessions {
    /// `signInSessionsValidFromDateTime`: sessions issued before it are invalid.
    pub valid_from: Option<DateTime<Utc>>,
    /// `signInActivity.lastSuccessfulSignInDateTime`.
    pub last_successful_sign_in: Option<DateTime<Utc>>,
}

/// What a completed case's leaver holds now, re-read after sealing. `None`: not re-read (the
/// step was not verified, the read failed, or there is nothing to read it with); `Some` of an
/// empty list: read, and nothing there. A leaver whose account is gone reads as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reread {
    /// Groups the leaver is a direct member of.
    pub groups: Option<Vec<Held>>,
    /// Licences assigned directly (by SKU id).
    pub direct_licences: Option<Vec<Held>>,
    /// App role assignments.
    pub app_roles: Option<Vec<Held>>,
    /// Active directory role assignments.
    pub directory_roles: Option<Vec<Held>>,
    /// Delegated permission grants the leaver consented to.
    pub oauth_grants: Option<Vec<Held>>,
    /// Authentication methods other than the password.
    pub auth_methods: Option<Vec<Held>>,
    /// Managed devices with no retire requested.
    pub devices: Option<Vec<Held>>,
    /// The leaver's sessions.
    pub sessions: Option<Sessions>,
    /// Mail forwarded out of the leaver's mailbox (id: `mailbox` for the mailbox's own
    /// forwarding, else the inbox rule's id; name: where to).
    pub forwarding: Option<Vec<Held>>,
    /// Other mailboxes the leaver holds a right on (id: the mailbox; name: the rights and the
    /// mailbox), within the scope the step removed.
    pub mailbox_rights: Option<Vec<Held>>,
    /// The mailbox's `RecipientTypeDetails`.
    pub mailbox_type: Option<String>,
    /// Who holds a right on the leaver's own mailbox.
    pub mailbox_delegates: Option<Vec<MailboxDelegate>>,
    /// Whether the AD account is enabled.
    pub ad_enabled: Option<bool>,
}

impl Reread {
    /// The re-read list a [`Listed`] removal is judged on.
    fn listed(&self, what: &str) -> Option<&Vec<Held>> {
        match what {
            "licence" => self.direct_licences.as_ref(),
            "app-role" => self.app_roles.as_ref(),
            "directory-role" => self.directory_roles.as_ref(),
            "oauth-grant" => self.oauth_grants.as_ref(),
            "auth-method" => self.auth_methods.as_ref(),
            "device" => self.devices.as_ref(),
            "mailbox-right" => self.mailbox_rights.as_ref(),
            "forwarding" => self.forwarding.as_ref(),
            _ => None,
        }
    }
}

/// A removal whose re-read is a list: anything in it came back.
struct Listed {
    /// The finding id's segment.
    what: &'static str,
    /// The step that removed it.
    step: StepKind,
    /// What was seen, `{}` standing for the item's name.
    seen: &'static str,
    /// What to do (the step that re-runs is added).
    action: &'static str,
}

const LISTED: [Listed; 8] = [
    Listed {
        what: "licence",
        step: StepKind::RemoveLicences,
        seen: "licence {} assigned directly again after the case removed its direct licences",
        action: "find who assigned it (audit log: user management); remove it",
    },
    Listed {
        what: "app-role",
        step: StepKind::RemoveAppRoles,
        seen: "assigned to application {} again after the case removed its app role assignments",
        action: "find who assigned it (audit log: application management); remove the assignment",
    },
    Listed {
        what: "directory-role",
        step: StepKind::RemoveDirectoryRoles,
        seen: "holds the directory role {} again after the case removed its roles",
        action: "find who assigned it (audit log: role management); remove the assignment at once",
    },
    Listed {
        what: "oauth-grant",
        step: StepKind::RemoveOauthGrants,
        seen: "a delegated permission grant ({}) in the leaver's name again after the case deleted them",
        action: "find which app obtained it (audit log: consent); delete the grant",
    },
    Listed {
        what: "auth-method",
        step: StepKind::RemoveAuthMethods,
        seen: "an authentication method ({}) is registered again after the case removed them",
        action: "find who registered it (audit log: authentication methods); delete it and check the account's sign-ins",
    },
    Listed {
        what: "device",
        step: StepKind::RetireDevices,
        seen: "device {} is managed for the leaver without a retire after the case retired their devices",
        action: "find who enrolled it (Intune audit log); retire it",
    },
    Listed {
        what: "forwarding",
        step: StepKind::StopForwarding,
        seen: "mail is forwarded again ({}) after the case stopped forwarding",
        action: "treat mail delivered since as possibly exfiltrated; find who set it (Exchange admin audit log: Set-Mailbox, New-InboxRule, Set-InboxRule); stop it",
    },
    Listed {
        what: "mailbox-right",
        step: StepKind::RemoveMailboxRightsElsewhere,
        seen: "holds {} again after the case removed their rights on other mailboxes",
        action: "find who granted it (Exchange admin audit log: Add-MailboxPermission, Add-RecipientPermission, Set-Mailbox); remove it",
    },
];

/// What came back (the finding id's segment after the case id), and the step that
/// re-establishes the removal.
const REMEDIES: [(&str, StepKind); 13] = [
    ("account-enabled", StepKind::BlockSignIn),
    ("session", StepKind::RevokeSessions),
    ("forwarding", StepKind::StopForwarding),
    ("group", StepKind::RemoveGroups),
    ("licence", StepKind::RemoveLicences),
    ("app-role", StepKind::RemoveAppRoles),
    ("directory-role", StepKind::RemoveDirectoryRoles),
    ("oauth-grant", StepKind::RemoveOauthGrants),
    ("auth-method", StepKind::RemoveAuthMethods),
    ("device", StepKind::RetireDevices),
    ("mailbox-type", StepKind::ConvertMailbox),
    ("mailbox-right", StepKind::RemoveMailboxRightsElsewhere),
    ("ad-account-enabled", StepKind::AdDisable),
];

/// What an `access_returned` finding says came back (`group`, `licence`, ...: the segment
/// after the case id), if it is one.
pub fn what_returned(finding_id: &str) -> Option<&str> {
    let rest = finding_id.strip_prefix("access_returned:")?;
    let (_, rest) = rest.split_once(':')?;
    Some(rest.split_once(':').map_or(rest, |(what, _)| what))
}

/// The step that re-establishes what an `access_returned` finding says came back.
pub fn remedy(finding_id: &str) -> Option<StepKind> {
    let what = what_returned(finding_id)?;
    REMEDIES.iter().find(|(w, _)| *w == what).map(|(_, s)| *s)
}

/// Whether `kind` ended verified in the case's plan: only what a step verified can come back.
pub fn verified(case: &Case, kind: StepKind) -> bool {
    case.plan
        .as_ref()
        .and_then(|p| p.step(kind))
        .is_some_and(|s| s.status == StepStatus::Verified)
}

/// The id of the finding that says `what` (as in the finding ids: `group`, `device`, ...) of
/// `case` was re-read only in part.
pub fn incomplete_id(case: &CaseId, what: &str) -> String {
    format!("recheck_incomplete:{case}:{what}")
}

/// The finding for a re-read of `what` that stopped at its page limit after `pages` pages:
/// the regressions those pages show are reported as usual; the rest was not read, so nothing
/// of that kind is cleared either until a later scan reads it whole.
pub fn incomplete(case: &Case, what: &str, pages: usize) -> Observation {
    let facts = case.plan.as_ref().map(|p| &p.facts);
    Observation {
        id: incomplete_id(&case.id, what),
        kind: FindingKind::RecheckIncomplete,
        subject: facts
            .and_then(|f| f.user.user_principal_name.clone())
            .or_else(|| facts.map(|f| f.user.id.clone()))
            .unwrap_or_else(|| case.id.to_string()),
        object_id: facts.map(|f| f.user.id.clone()),
        case_id: Some(case.id.clone()),
        what: format!(
            "the drift re-check read {pages} pages of the leaver's {what} listing and stopped at its page limit: what lies beyond was not checked for access that came back"
        ),
        since: None,
        action: format!(
            "look at the leaver's {what} entries in the admin centre (far more than a leaver should hold is itself a sign of trouble) and remove what the case removed"
        ),
    }
}

/// Every regression of `case` that `now` shows.
pub fn drift(case: &Case, now: &Reread) -> Vec<Observation> {
    let Some(plan) = case.plan.as_ref() else {
        return Vec::new();
    };
    let facts = &plan.facts;
    let subject = facts
        .user
        .user_principal_name
        .clone()
        .unwrap_or_else(|| facts.user.id.clone());
    let mut out = Vec::new();
    let mut push = |what: &str, id: Option<&str>, seen: String, action: &str| {
        let mut finding = format!("access_returned:{}:{what}", case.id);
        if let Some(id) = id {
            finding.push(':');
            finding.push_str(id);
        }
        out.push(Observation {
            id: finding,
            kind: FindingKind::AccessReturned,
            subject: subject.clone(),
            object_id: Some(facts.user.id.clone()),
            case_id: Some(case.id.clone()),
            what: seen,
            since: None,
            action: action.to_owned(),
        });
    };
    let rerun = |step: StepKind| format!("auto_remediate re-runs {} on the case", step.as_str());
    if verified(case, StepKind::RemoveGroups)
        && let Some(groups) = &now.groups
    {
        for g in facts.groups.iter().filter(|g| g.removable) {
            if groups.iter().any(|n| n.id == g.id) {
                let name = g.display_name.clone().unwrap_or_else(|| g.id.clone());
                push(
                    "group",
                    Some(&g.id),
                    format!("member of group {name} again after the case removed it"),
                    &format!(
                        "find who re-added them (group audit log); remove them again ({})",
                        rerun(StepKind::RemoveGroups)
                    ),
                );
            }
        }
    }
    for l in &LISTED {
        if !verified(case, l.step) {
            continue;
        }
        for h in now.listed(l.what).into_iter().flatten() {
            let label = match l.what {
                "licence" => facts
                    .licences
                    .iter()
                    .find(|l| l.sku_id.eq_ignore_ascii_case(&h.id))
                    .and_then(|l| l.sku_part_number.clone())
                    .unwrap_or_else(|| h.label().to_owned()),
                _ => h.label().to_owned(),
            };
            push(
                l.what,
                Some(&h.id),
                l.seen.replacen("{}", &label, 1),
                &format!("{} ({})", l.action, rerun(l.step)),
            );
        }
    }
    if verified(case, StepKind::RevokeSessions)
        && let Some(s) = &now.sessions
        && let Some(signed_in) = s.last_successful_sign_in
        && let Some(revoked) = s.valid_from.or_else(|| {
            plan.step(StepKind::RevokeSessions)
                .and_then(|step| step.finished_at)
        })
        && signed_in > revoked
    {
        push(
            "session",
            None,
            format!(
                "a sign-in succeeded at {} after the case revoked the leaver's sessions (valid from {}): a session is open again",
                crate::evidence::millis::text(signed_in),
                crate::evidence::millis::text(revoked)
            ),
            &format!(
                "treat as a possible compromise: check the sign-in logs (who, from where, which app), block the account; revoke the sessions again ({})",
                rerun(StepKind::RevokeSessions)
            ),
        );
    }
    if verified(case, StepKind::ConvertMailbox)
        && let Some(t) = &now.mailbox_type
        && !t.eq_ignore_ascii_case("SharedMailbox")
    {
        push(
            "mailbox-type",
            None,
            format!("the mailbox is a {t} again after the case converted it to shared"),
            &format!(
                "find who converted it back (Exchange admin audit log); convert it to shared ({})",
                rerun(StepKind::ConvertMailbox)
            ),
        );
    }
    if verified(case, StepKind::ConvertMailbox)
        && let Some(before) = facts.mailbox.as_ref().and_then(|m| m.delegates.as_ref())
        && let Some(held) = &now.mailbox_delegates
    {
        // The FullAccess `mailbox-manager-access` gave the manager is the case's own doing.
        let manager: Vec<String> = facts
            .manager
            .iter()
            .filter(|_| verified(case, StepKind::MailboxManagerAccess))
            .flat_map(|m| [m.user_principal_name.as_deref(), m.mail.as_deref()])
            .flatten()
            .map(str::to_lowercase)
            .collect();
        let mailbox = facts
            .user
            .user_principal_name
            .as_deref()
            .unwrap_or(&facts.user.id);
        for d in held.iter().filter(|d| {
            let granted_by_the_case = d.right == "FullAccess" && manager.contains(&d.user);
            !before.contains(d) && !granted_by_the_case
        }) {
            let remove = match d.right.as_str() {
                "FullAccess" => format!(
                    "Remove-MailboxPermission -Identity {mailbox} -User {} -AccessRights FullAccess",
                    d.user
                ),
                "SendAs" => format!(
                    "Remove-RecipientPermission -Identity {mailbox} -Trustee {} -AccessRights SendAs",
                    d.user
                ),
                _ => format!(
                    "Set-Mailbox -Identity {mailbox} -GrantSendOnBehalfTo @{{Remove='{}'}}",
                    d.user
                ),
            };
            push(
                "mailbox-delegate",
                Some(&format!("{}:{}", d.right, d.user)),
                format!(
                    "{} holds {} on the leaver's mailbox, a right they did not hold when the case was planned",
                    d.user, d.right
                ),
                &format!(
                    "find who granted it and why (Exchange admin audit log: Add-MailboxPermission, Add-RecipientPermission, Set-Mailbox); if nobody with the authority decided it, remove it: {remove}"
                ),
            );
        }
    }
    if verified(case, StepKind::AdDisable) && now.ad_enabled == Some(true) {
        push(
            "ad-account-enabled",
            None,
            "the AD account is enabled again after the case disabled it (directory sync brings it back to the cloud)".into(),
            &format!(
                "find who re-enabled it (the DC's security log, event 4722); disable it ({})",
                rerun(StepKind::AdDisable)
            ),
        );
    }
    out
}
