//! The words every sink sends: which leaver, what failed, what to do, the case and its link.

use offboard_core::ids::CaseId;
use offboard_core::notify::{Notification, NotificationKind};

/// Longest text of one field sent to a receiver, in characters. Teams refuses messages over
/// about 28 KB; the engine's texts are far shorter, this only bounds a pathological one.
pub(crate) const MAX_FIELD_CHARS: usize = 2_000;

/// The path of the case in offboard's API (`GET /api/cases/{id}`, function key required):
/// relative, because the handler does not know the host name it is reached by.
pub fn case_link(case: &CaseId) -> String {
    format!("/api/cases/{}", case.as_str())
}

/// The label of [`Notification::what`] for a kind: "What failed" where something failed,
/// "What happened" for a breach of the SLA (nothing failed; time ran out).
pub fn what_label(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::SlaBreached
        | NotificationKind::EventIdConflict
        | NotificationKind::GhostAccessFound
        | NotificationKind::PossibleExfiltration
        | NotificationKind::BrakeTripped
        | NotificationKind::HeldForApproval
        | NotificationKind::HoldExpired
        | NotificationKind::RescindNotRestored
        | NotificationKind::RestoreLost => "What happened",
        NotificationKind::StepFailed
        | NotificationKind::CaseCompletedWithExceptions
        | NotificationKind::LeaverNotResolved
        | NotificationKind::AgentUnreachable
        | NotificationKind::PopulationSourceFailed => "What failed",
    }
}

/// `text` cut to [`MAX_FIELD_CHARS`] characters, marked when cut.
pub(crate) fn bounded(text: &str) -> String {
    if text.chars().count() <= MAX_FIELD_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_FIELD_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Whether the notice asks for a decision on a held case (it then carries the decision links).
fn asks_decision(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::BrakeTripped | NotificationKind::HeldForApproval
    )
}

/// The facts every sink shows, in order: label and value. A notice about a held case
/// carries the approve and reject links (`POST`, with a reason, function key or sign-in).
pub(crate) fn facts(n: &Notification) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("Leaver", bounded(&n.leaver)),
        (what_label(n.kind), bounded(&n.what)),
        ("What to do", bounded(&n.action)),
        ("Case", n.case_id.as_str().to_owned()),
        ("Link", case_link(&n.case_id)),
        (
            "When",
            n.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
    ];
    if asks_decision(n.kind) {
        out.push(("Approve", format!("POST {}/approve", case_link(&n.case_id))));
        out.push(("Reject", format!("POST {}/reject", case_link(&n.case_id))));
    }
    out
}

/// Subject line of a mail: the kind and the leaver.
pub(crate) fn subject(n: &Notification) -> String {
    let leaver: String = n.leaver.chars().take(120).collect();
    format!("[offboard] {}: {leaver}", n.kind.title())
}

/// Plain-text rendering (mail body).
pub(crate) fn plain_text(n: &Notification) -> String {
    let mut out = format!("{}\n\n", n.kind.title());
    for (label, value) in facts(n) {
        out.push_str(label);
        out.push_str(": ");
        out.push_str(&value);
        out.push('\n');
    }
    out.push_str(&format!(
        "\nNotification key: {}\nSent by offboard. The link is a path of offboard's API: call it on the function app's host with a function key.\n",
        n.key
    ));
    out
}
