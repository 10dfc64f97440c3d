//! The mailbox's doors in the plan (issue 17): forwarding, hold, rights on other mailboxes,
//! phones and meetings. Each is planned as a step of its own; this module decides when each
//! applies and what the dry run says it would change.

use super::builder::Builder;
use super::facts::Facts;
use super::step::{StepKind, StepStatus};
use crate::policy::{MailboxHold, MeetingsAction, MobileWipe, RightsScope};

/// Plans `stop-forwarding`, `hold-mailbox`, `remove-mailbox-rights-elsewhere`,
/// `wipe-mobile-mail` and `cancel-meetings` after `cut`. Steps that must finish before any
/// licence goes are pushed on `before_licences`. Returns the step the rest of the mailbox
/// work waits for: `stop-forwarding` when it runs, else `cut`.
pub(super) fn plan(
    b: &mut Builder<'_>,
    facts: &Facts,
    cut: StepKind,
    before_licences: &mut Vec<StepKind>,
) -> StepKind {
    use StepKind::*;
    let policy = b.policy;
    let upn = facts
        .user
        .user_principal_name
        .clone()
        .unwrap_or_else(|| facts.user.id.clone());

    // Rights elsewhere do not need a mailbox of the leaver's own.
    match policy.mailbox_rights_elsewhere {
        RightsScope::None => b.na(
            RemoveMailboxRightsElsewhere,
            "the policy leaves rights on other mailboxes alone (mailbox_rights_elsewhere = none)",
        ),
        scope => b.add(
            RemoveMailboxRightsElsewhere,
            vec![cut],
            vec![format!(
                "remove FullAccess, SendAs and SendOnBehalf that {upn} holds on {} (found in the rights index, shared mailboxes first), read back per mailbox",
                if scope == RightsScope::SharedOnly {
                    "shared mailboxes"
                } else {
                    "other mailboxes"
                }
            )],
        ),
    }

    if facts.mailbox.is_none() {
        for k in [StopForwarding, HoldMailbox, WipeMobileMail, CancelMeetings] {
            b.na(k, "no mailbox");
        }
        return cut;
    }

    b.add(
        StopForwarding,
        vec![cut],
        vec![format!(
            "clear mailbox forwarding of {upn} (ForwardingSmtpAddress, ForwardingAddress, DeliverToMailboxAndForward) and disable inbox rules that forward, redirect or forward as attachment; a rule or address outside the organisation is flagged as possible exfiltration"
        )],
    );
    let first = if is_pending(b, StopForwarding) {
        StopForwarding
    } else {
        cut
    };

    match policy.mailbox_hold {
        MailboxHold::None => b.na(
            HoldMailbox,
            "the policy puts no hold on the mailbox (mailbox_hold = none)",
        ),
        MailboxHold::Litigation => {
            let days = policy
                .mailbox_hold_days
                .map_or("unlimited".to_owned(), |d| format!("{d} days"));
            b.add(
                HoldMailbox,
                vec![first],
                vec![format!(
                    "put the mailbox of {upn} on litigation hold ({days}) before any licence is removed"
                )],
            );
            if is_pending(b, HoldMailbox) {
                before_licences.push(HoldMailbox);
            }
        }
    }

    match policy.mobile_wipe {
        MobileWipe::None => b.na(
            WipeMobileMail,
            "the policy leaves phones alone (mobile_wipe = none)",
        ),
        wipe => b.add(
            WipeMobileMail,
            vec![first],
            vec![format!(
                "{} on every mobile mail partnership of {upn}, then remove the partnership",
                if wipe == MobileWipe::Full {
                    "wipe the whole phone (Clear-MobileDevice)"
                } else {
                    "wipe company mail only (Clear-MobileDevice -AccountOnly)"
                }
            )],
        ),
    }

    match policy.meetings {
        MeetingsAction::Leave => b.na(
            CancelMeetings,
            "the policy leaves the leaver's meetings for the manager (meetings = leave)",
        ),
        MeetingsAction::Cancel => {
            b.add(
                CancelMeetings,
                vec![first],
                vec![format!(
                    "cancel the future meetings {upn} organises, with the policy's message; recurring series end at the effective time"
                )],
            );
            if is_pending(b, CancelMeetings) {
                before_licences.push(CancelMeetings);
            }
        }
    }
    first
}

fn is_pending(b: &Builder<'_>, kind: StepKind) -> bool {
    b.steps
        .iter()
        .any(|s| s.kind == kind && s.status == StepStatus::Pending)
}
