//! `stop-forwarding`: no mail leaves the leaver's mailbox by forwarding any more, and what
//! was forwarded where is on record — a rule forwarding outside the organisation is flagged
//! on the case as possible exfiltration and notified.
//!
//! **When it applies.** Planned when the leaver has a mailbox, right after sign-in is cut and
//! before anything else touches the mailbox (`convert-mailbox` and the other mailbox steps
//! wait for it; `offboard_core::plan::build`).
//!
//! **Act.** Read first: `Get-Mailbox` (forwarding: `ForwardingSmtpAddress`,
//! `ForwardingAddress`, `DeliverToMailboxAndForward`), the inbox rules (`GET
//! /users/{id}/mailFolders/inbox/messageRules`, `MailboxSettings.Read`) and the
//! organisation's verified domains (`GET /organization`, `Organization.Read.All`). Every
//! address and every forwarding rule (conditions and targets) is recorded before anything
//! changes. Then `Set-Mailbox -ForwardingSmtpAddress $null -ForwardingAddress $null
//! -DeliverToMailboxAndForward $false` if any forwarding is set, and `PATCH
//! …/messageRules/{id} {isEnabled:false}` for each enabled rule that forwards, redirects or
//! forwards as attachment (the rule is kept, disabled, for whoever reviews it). Nothing set
//! and no such rule enabled: nothing to write, so a replay changes nothing. No mailbox: not
//! applicable.
//!
//! **Verify.** `Get-Mailbox` again (no forwarding) and the rules again (each disabled).
//!
//! **Evidence.** The finding (noted, with `possibleExfiltration` when an address is outside
//! the verified domains), one action for the mailbox forwarding and one per rule.

use async_trait::async_trait;
use serde_json::{Value, json};
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::exchange::Mailbox;
use offboard_graph::{GraphError, MessageRule, NotApplicableReason};

use super::common::{
    Attempt, EXCHANGE, INVOKE_COMMAND, mailbox_or_report, read_back, read_until, upn, user_id,
};
use crate::attempt::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Stops mailbox forwarding and forwarding inbox rules.
#[derive(Debug, Clone)]
pub struct StopForwarding {
    tenant: Arc<Tenant>,
}

impl StopForwarding {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// `smtp:a@b` → `a@b`.
fn bare(address: &str) -> &str {
    address
        .split_once(':')
        .filter(|(p, _)| p.eq_ignore_ascii_case("smtp"))
        .map_or(address, |(_, a)| a)
}

/// Whether `address` is in none of the organisation's `domains`.
fn outside(address: &str, domains: &[String]) -> bool {
    let domain = bare(address).rsplit_once('@').map(|(_, d)| d);
    !domain.is_some_and(|d| domains.iter().any(|v| v.eq_ignore_ascii_case(d)))
}

fn forwarding_of(m: &Mailbox) -> Value {
    json!({
        "ForwardingSmtpAddress": m.forwarding_smtp_address,
        "ForwardingAddress": m.forwarding_address,
        "DeliverToMailboxAndForward": m.deliver_to_mailbox_and_forward.unwrap_or(false),
    })
}

fn forwards(m: &Mailbox) -> bool {
    m.forwarding_smtp_address
        .as_deref()
        .is_some_and(|a| !a.is_empty())
        || m.forwarding_address
            .as_deref()
            .is_some_and(|a| !a.is_empty())
}

fn rule_record(r: &MessageRule, domains: &[String]) -> Value {
    let targets: Vec<Value> = r
        .actions
        .targets()
        .into_iter()
        .map(|(kind, a)| json!({ "action": kind, "address": a, "outside": outside(&a, domains) }))
        .collect();
    json!({
        "id": r.id,
        "displayName": r.display_name,
        "isEnabled": r.is_enabled,
        "conditions": r.conditions,
        "exceptions": r.exceptions,
        "targets": targets,
    })
}

#[async_trait]
impl StepAction for StopForwarding {
    fn kind(&self) -> StepKind {
        StepKind::StopForwarding
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let exo = &self.tenant.exchange;
        let graph = &self.tenant.graph;
        let who = upn(ctx);
        let id = user_id(ctx);
        let targets = vec![id.to_owned(), who.to_owned()];

        // Read first: forwarding, rules, and what counts as inside the organisation.
        let read = Attempt::new(EXCHANGE, "record mailbox forwarding and forwarding inbox rules", targets.clone())
            .request("POST", format!("{INVOKE_COMMAND} Get-Mailbox -Identity {who}; GET /users/{id}/mailFolders/inbox/messageRules; GET /organization"));
        let before = match mailbox_or_report(&read, exo.get_mailbox(who).await)? {
            Ok(r) => r,
            Err(not_applicable) => return Ok(not_applicable),
        };
        let rules = match graph.inbox_rules(id).await {
            Ok(r) => r,
            Err(
                e @ GraphError::NotApplicable {
                    reason: NotApplicableReason::NoMailbox,
                    ..
                },
            ) => {
                return Ok(StepReport::from_actions(vec![read.not_applicable(
                    "the leaver has no Exchange Online mailbox",
                    e.status(),
                    e.request_id().map(str::to_owned),
                    None,
                )]));
            }
            Err(e) => return Err(read.fail(&e)),
        };
        let domains: Vec<String> = graph
            .verified_domains()
            .await
            .map_err(|e| read.clone().fail(&e))?
            .value
            .into_iter()
            .map(|d| d.name)
            .collect();

        // The finding, before any change.
        let forwarding_rules: Vec<&MessageRule> = rules
            .value
            .iter()
            .filter(|r| !r.actions.targets().is_empty())
            .collect();
        let mut outside_found: Vec<String> = Vec::new();
        if let Some(a) = before
            .value
            .forwarding_smtp_address
            .as_deref()
            .filter(|a| !a.is_empty())
            && outside(a, &domains)
        {
            outside_found.push(format!("mailbox forwarding to {}", bare(a)));
        }
        for r in forwarding_rules.iter().filter(|r| r.is_enabled) {
            for (kind, a) in r.actions.targets() {
                if outside(&a, &domains) {
                    outside_found.push(format!(
                        "inbox rule '{}' ({kind}) to {a}",
                        r.display_name.as_deref().unwrap_or(&r.id)
                    ));
                }
            }
        }
        let mut details = json!({
            "forwarding": forwarding_of(&before.value),
            "rules": forwarding_rules.iter().map(|r| rule_record(r, &domains)).collect::<Vec<_>>(),
            "verifiedDomains": domains,
            "rulesRequestId": rules.request_id,
        });
        if !outside_found.is_empty() {
            details["possibleExfiltration"] = json!(true);
            details["exfiltration"] = json!(outside_found.join("; "));
        }
        let mut actions: Vec<ActionEvidence> = vec![read.clone().noted(
            if outside_found.is_empty() {
                "forwarding found before the change (none outside the organisation)".to_owned()
            } else {
                format!("possible exfiltration: {}", outside_found.join("; "))
            },
            Some(details),
        )];

        // Mailbox forwarding.
        let expected = json!({
            "ForwardingSmtpAddress": null,
            "ForwardingAddress": null,
            "DeliverToMailboxAndForward": false,
        });
        if forwards(&before.value) || before.value.deliver_to_mailbox_and_forward == Some(true) {
            let act = Attempt::new(EXCHANGE, "clear mailbox forwarding", targets.clone()).request(
                "POST",
                format!("{INVOKE_COMMAND} Set-Mailbox -Identity {who} -ForwardingSmtpAddress $null -ForwardingAddress $null -DeliverToMailboxAndForward $false"),
            );
            let done = exo
                .clear_forwarding(who)
                .await
                .map_err(|e| act.clone().fail(&e))?;
            let after = read_until(|| exo.get_mailbox(who), |m| !forwards(m))
                .await
                .map_err(|e| act.clone().fail(&e))?;
            actions.push(act.checked(
                done.status,
                done.request_id,
                read_back(expected, forwarding_of(&after.value)),
                Some(json!({
                    "changed": true,
                    "previous": forwarding_of(&before.value),
                    "readBackRequestId": after.request_id,
                })),
            ));
        } else {
            actions.push(
                Attempt::new(EXCHANGE, "mailbox forwarding already off", targets.clone())
                    .request(
                        "POST",
                        format!("{INVOKE_COMMAND} Get-Mailbox -Identity {who}"),
                    )
                    .checked(
                        before.status,
                        before.request_id.clone(),
                        read_back(expected, forwarding_of(&before.value)),
                        Some(json!({ "changed": false })),
                    ),
            );
        }

        // Inbox rules that forward, one action each.
        let enabled: Vec<&MessageRule> = forwarding_rules
            .iter()
            .copied()
            .filter(|r| r.is_enabled)
            .collect();
        if enabled.is_empty() {
            actions.push(
                Attempt::new(EXCHANGE, "no inbox rule forwards", targets.clone())
                    .request("GET", format!("/users/{id}/mailFolders/inbox/messageRules"))
                    .checked(
                        rules.status,
                        rules.request_id.clone(),
                        read_back(json!({ "enabledForwardingRules": 0 }), json!({ "enabledForwardingRules": 0 })),
                        Some(json!({ "changed": false, "disabledForwardingRules": forwarding_rules.len() })),
                    ),
            );
        }
        for r in enabled {
            let mut t = targets.clone();
            t.push(r.id.clone());
            let act = Attempt::new(
                EXCHANGE,
                format!(
                    "disable inbox rule '{}'",
                    r.display_name.as_deref().unwrap_or(&r.id)
                ),
                t,
            )
            .request(
                "PATCH",
                format!("/users/{id}/mailFolders/inbox/messageRules/{}", r.id),
            );
            let done = graph
                .disable_inbox_rule(id, &r.id)
                .await
                .map_err(|e| act.clone().fail(&e))?;
            let rid = r.id.clone();
            let after = read_until(
                || graph.inbox_rules(id),
                |list| list.iter().all(|x| x.id != rid || !x.is_enabled),
            )
            .await
            .map_err(|e| act.clone().fail(&e))?;
            let now_enabled = after
                .value
                .iter()
                .find(|x| x.id == r.id)
                .map(|x| x.is_enabled);
            actions.push(act.checked(
                done.status,
                done.request_id,
                read_back(
                    json!({ "isEnabled": false }),
                    json!({ "isEnabled": now_enabled }),
                ),
                Some(json!({
                    "changed": true,
                    "rule": rule_record(r, &domains),
                    "readBackRequestId": after.request_id,
                })),
            ));
        }
        Ok(StepReport::from_actions(actions))
    }
}

#[cfg(test)]
mod tests {
    use super::{bare, outside};

    #[test]
    fn an_address_is_outside_unless_its_domain_is_verified() {
        let domains = vec![
            "contoso.com".to_owned(),
            "contoso.onmicrosoft.com".to_owned(),
        ];
        assert!(!outside("smtp:Megan@Contoso.com", &domains));
        assert!(outside("ada@gmail.com", &domains));
        assert!(outside("ada@mail.contoso.com", &domains));
        assert!(outside("no-at-sign", &domains));
        assert_eq!(bare("SMTP:a@b.c"), "a@b.c");
        assert_eq!(bare("a@b.c"), "a@b.c");
    }
}
