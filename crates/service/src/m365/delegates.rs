//! Who holds a right on a mailbox: `FullAccess` (`Get-MailboxPermission`), `SendAs`
//! (`Get-RecipientPermission`) and `SendOnBehalf` (the mailbox's `GrantSendOnBehalfTo`). Read
//! when a case is planned (the baseline kept in the facts) and again by the ghost-access scan,
//! which reports a right granted on the leaver's mailbox after the case.

use offboard_core::plan::MailboxDelegate;
use offboard_graph::exchange::{Mailbox, MailboxPermission};
use offboard_graph::{ExchangeClient, GraphError, RecipientPermission};

/// Whether `who` is a person or group someone granted a right to, not the mailbox's own
/// `NT AUTHORITY\SELF` or another built-in principal (`DOMAIN\name`, a bare SID).
fn granted_to_someone(who: &str) -> bool {
    !who.contains('\\') && !who.to_ascii_uppercase().starts_with("S-1-")
}

/// The rights people hold on `mailbox`, from what the three reads answered: explicit allow
/// entries only (inherited and deny entries are not someone's access), sorted, each once.
pub fn delegates(
    mailbox: &Mailbox,
    full_access: &[MailboxPermission],
    send_as: &[RecipientPermission],
) -> Vec<MailboxDelegate> {
    let entry = |user: &str, right: &str| MailboxDelegate {
        user: user.to_lowercase(),
        right: right.to_owned(),
    };
    let mut out: Vec<MailboxDelegate> = full_access
        .iter()
        .filter(|p| p.deny != Some(true) && p.is_inherited != Some(true))
        .filter(|p| {
            p.access_rights
                .iter()
                .any(|r| r.eq_ignore_ascii_case("FullAccess"))
        })
        .filter_map(|p| p.user.as_deref())
        .filter(|u| granted_to_someone(u))
        .map(|u| entry(u, "FullAccess"))
        .chain(
            send_as
                .iter()
                .filter(|p| {
                    p.is_inherited != Some(true)
                        && p.access_control_type
                            .as_deref()
                            .is_none_or(|t| t.eq_ignore_ascii_case("Allow"))
                        && p.access_rights
                            .iter()
                            .any(|r| r.eq_ignore_ascii_case("SendAs"))
                })
                .filter_map(|p| p.trustee.as_deref())
                .filter(|u| granted_to_someone(u))
                .map(|u| entry(u, "SendAs")),
        )
        .chain(
            mailbox
                .grant_send_on_behalf_to
                .iter()
                .filter(|u| granted_to_someone(u))
                .map(|u| entry(u, "SendOnBehalf")),
        )
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Reads who holds a right on the mailbox `identity` whose `Get-Mailbox` answer is `mailbox`:
/// the two permission cmdlets, side by side.
pub async fn read(
    exchange: &ExchangeClient,
    identity: &str,
    mailbox: &Mailbox,
) -> Result<Vec<MailboxDelegate>, GraphError> {
    let (full_access, send_as) = tokio::join!(
        exchange.mailbox_permissions(identity),
        exchange.send_as_on(identity)
    );
    Ok(delegates(mailbox, &full_access?.value, &send_as?.value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_explicit_allow_rights_granted_to_someone_count() {
        let mailbox = Mailbox {
            grant_send_on_behalf_to: vec!["Lee@contoso.com".into()],
            ..Default::default()
        };
        let full = |user: &str, inherited: bool, deny: bool| MailboxPermission {
            user: Some(user.into()),
            access_rights: vec!["FullAccess".into()],
            is_inherited: Some(inherited),
            deny: Some(deny),
            ..Default::default()
        };
        let send_as = |trustee: &str, kind: &str| RecipientPermission {
            trustee: Some(trustee.into()),
            access_rights: vec!["SendAs".into()],
            access_control_type: Some(kind.into()),
            is_inherited: Some(false),
            ..Default::default()
        };
        let got = delegates(
            &mailbox,
            &[
                full("NT AUTHORITY\\SELF", false, false),
                full("Megan@contoso.com", false, false),
                full("Admin@contoso.com", true, false),
                full("Eve@contoso.com", false, true),
                full("S-1-5-21-1-2-3-500", false, false),
            ],
            &[
                send_as("NT AUTHORITY\\SELF", "Allow"),
                send_as("Megan@contoso.com", "Allow"),
                send_as("Eve@contoso.com", "Deny"),
            ],
        );
        let got: Vec<(&str, &str)> = got
            .iter()
            .map(|d| (d.user.as_str(), d.right.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("lee@contoso.com", "SendOnBehalf"),
                ("megan@contoso.com", "FullAccess"),
                ("megan@contoso.com", "SendAs"),
            ]
        );
    }
}
