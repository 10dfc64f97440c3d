//! `remove-mailbox-rights-elsewhere`: the leaver's FullAccess, SendAs and SendOnBehalf on
//! other people's mailboxes go, shared mailboxes first.
//!
//! **When it applies.** Planned after the cut when the policy's `mailbox_rights_elsewhere` is
//! `all` or `shared_only`, whether or not the leaver has a mailbox of their own.
//!
//! **Finding the rights.** FullAccess and SendOnBehalf come from the rights index
//! ([`crate::rights_index`]), one read; SendAs from `Get-RecipientPermission -Trustee`, one
//! call tenant-wide. A leaver never costs one call per mailbox in the tenant. The index has
//! never been built: a refresh is asked for and the step waits for it (re-checked every
//! [`RECHECK`], for [`INDEX_WINDOW`]; then an exception saying so). A right granted after the
//! index's last refresh is not found: the evidence names the refresh the step relied on.
//!
//! **Act.** Per mailbox (shared first; only shared ones for `shared_only`): read the rights the
//! leaver holds on it now (`Get-MailboxPermission -Identity -User`, `Get-RecipientPermission
//! -Identity`, `Get-Mailbox` for `GrantSendOnBehalfTo`) and remove only what is there
//! (`Remove-MailboxPermission -AccessRights FullAccess`, `Remove-RecipientPermission
//! -AccessRights SendAs`, `Set-Mailbox -GrantSendOnBehalfTo @{Remove=…}`). A mailbox the index
//! lists but where nothing is left is recorded unchanged, so a replay writes nothing.
//!
//! **Verify.** The same three reads again, per mailbox: none of the three rights left.
//!
//! **Evidence.** One action per mailbox: what was held, what was removed, the read-back; or
//! one action saying no rights were found, with the index refresh it relied on.

use async_trait::async_trait;
use chrono::TimeDelta;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use offboard_core::plan::StepKind;
use offboard_core::policy::RightsScope;
use offboard_graph::{ExchangeClient, GraphError};

use super::common::{Attempt, EXCHANGE, INVOKE_COMMAND, read_back, upn, user_id};
use crate::attempt::{ActionEvidence, StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;
use crate::rights_index::{Lookup, RightsIndexError, RightsIndexService};

/// How often the step looks again for the first refresh of the index.
const RECHECK: Duration = Duration::from_secs(10);
/// How long the step waits for the first refresh before a person is asked.
const INDEX_WINDOW: TimeDelta = TimeDelta::hours(2);

/// Removes the leaver's rights on other mailboxes.
#[derive(Debug, Clone)]
pub struct RemoveMailboxRightsElsewhere {
    tenant: Arc<Tenant>,
    index: RightsIndexService,
}

impl RemoveMailboxRightsElsewhere {
    /// The step on `tenant`, finding rights in `index`.
    pub fn new(tenant: Arc<Tenant>, index: RightsIndexService) -> Self {
        Self { tenant, index }
    }
}

/// One mailbox to look at: whether it is shared, and where its rights were found.
#[derive(Debug, Default, Clone)]
struct Target {
    shared: bool,
    found: Vec<String>,
}

/// The rights `who` holds on `mailbox` now: `(FullAccess, SendAs, SendOnBehalf)` and the
/// request ids of the three reads. The drift re-check reads them the same way.
pub(crate) async fn held(
    exo: &ExchangeClient,
    mailbox: &str,
    who: &str,
) -> Result<(Value, Vec<Option<String>>, bool), GraphError> {
    let full = exo.mailbox_permissions(mailbox).await?;
    let send_as = exo.send_as_on(mailbox).await?;
    let m = exo.get_mailbox(mailbox).await?;
    let is = |x: Option<&str>| x.is_some_and(|x| x.eq_ignore_ascii_case(who));
    let has_full = full.value.iter().any(|p| {
        is(p.user.as_deref())
            && p.access_rights.iter().any(|r| r == "FullAccess")
            && p.deny != Some(true)
    });
    let has_send_as = send_as.value.iter().any(|p| {
        is(p.trustee.as_deref())
            && p.access_rights.iter().any(|r| r == "SendAs")
            && p.access_control_type.as_deref() != Some("Deny")
    });
    let has_behalf = m.value.grant_send_on_behalf_to.iter().any(|d| is(Some(d)));
    Ok((
        json!({ "FullAccess": has_full, "SendAs": has_send_as, "SendOnBehalf": has_behalf }),
        vec![full.request_id, send_as.request_id, m.request_id],
        m.value.is_shared(),
    ))
}

fn none_held() -> Value {
    json!({ "FullAccess": false, "SendAs": false, "SendOnBehalf": false })
}

fn index_failure(e: RightsIndexError) -> StepFailure {
    if e.is_transient() {
        StepFailure::Transient {
            detail: e.to_string(),
        }
    } else {
        StepFailure::Permanent {
            detail: e.to_string(),
            action: None,
        }
    }
}

#[async_trait]
impl StepAction for RemoveMailboxRightsElsewhere {
    fn kind(&self) -> StepKind {
        StepKind::RemoveMailboxRightsElsewhere
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let exo = &self.tenant.exchange;
        let who = upn(ctx);
        let targets = vec![user_id(ctx).to_owned(), who.to_owned()];
        let shared_only = ctx.policy.mailbox_rights_elsewhere == RightsScope::SharedOnly;

        // FullAccess and SendOnBehalf from the index.
        let find = Attempt::new(
            EXCHANGE,
            "find the leaver's rights on other mailboxes",
            targets.clone(),
        )
        .request(
            "POST",
            format!(
                "rights index trustee-{who}; {INVOKE_COMMAND} Get-RecipientPermission -Trustee {who} -AccessRights SendAs"
            ),
        );
        let (grants, refreshed_at) = match self.index.lookup(who).await.map_err(index_failure)? {
            Lookup::Rights {
                grants,
                refreshed_at,
            } => (grants, refreshed_at),
            Lookup::NeverBuilt => {
                let sent = self
                    .index
                    // Named by the step, not the case: the refresh runs in its own
                    // invocation, outside the case's log span (which names the leaver).
                    .request_refresh("remove-mailbox-rights-elsewhere", ctx.now)
                    .await
                    .map_err(index_failure)?;
                if ctx.now - ctx.since < INDEX_WINDOW {
                    return Err(StepFailure::Throttled {
                        retry_after: RECHECK,
                        detail: format!(
                            "waiting for the first refresh of the rights index{}",
                            if sent { " (asked for now)" } else { "" }
                        ),
                    });
                }
                return Ok(StepReport::from_actions(vec![find.exception(
                    format!(
                        "the rights index has not been built within {} hours, so the leaver's FullAccess and SendOnBehalf on other mailboxes cannot be found without asking every mailbox; check the rights-index function's log (and its poison queue), then retry the step",
                        INDEX_WINDOW.num_hours()
                    ),
                    None,
                    None,
                    None,
                    None,
                )]));
            }
        };
        let mut found: BTreeMap<String, Target> = BTreeMap::new();
        for g in &grants {
            let t = found.entry(g.mailbox.to_lowercase()).or_default();
            t.shared = g.shared;
            t.found.extend(g.rights.iter().cloned());
        }

        // SendAs, live and tenant-wide.
        let send_as = exo
            .send_as_of(who)
            .await
            .map_err(|e| find.clone().fail(&e))?;
        for p in &send_as.value {
            let Some(mailbox) = p.identity.as_deref() else {
                continue;
            };
            // Get-RecipientPermission names the recipient by its identity (alias): the
            // mailbox's UPN and type come from Get-Mailbox.
            let m = match exo.get_mailbox(mailbox).await {
                Ok(m) => m.value,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(find.clone().fail(&e)),
            };
            let Some(key) = m.user_principal_name.clone() else {
                continue;
            };
            let t = found.entry(key.to_lowercase()).or_default();
            t.shared = m.is_shared();
            t.found.push("SendAs".to_owned());
        }
        found.remove(&who.to_lowercase());
        let mut order: Vec<(String, Target)> = found
            .into_iter()
            .filter(|(_, t)| t.shared || !shared_only)
            .collect();
        order.sort_by_key(|(m, t)| (!t.shared, m.clone()));

        if order.is_empty() {
            return Ok(StepReport::from_actions(vec![find.checked(
                send_as.status,
                send_as.request_id,
                read_back(json!({ "mailboxes": 0 }), json!({ "mailboxes": 0 })),
                Some(json!({
                    "changed": false,
                    "scope": if shared_only { "shared_only" } else { "all" },
                    "indexRefreshedAt": offboard_core::evidence::millis::text(refreshed_at),
                })),
            )]));
        }

        let mut actions: Vec<ActionEvidence> = Vec::new();
        for (mailbox, t) in order {
            let mut tids = targets.clone();
            tids.push(mailbox.clone());
            let read = Attempt::new(
                EXCHANGE,
                format!("remove the leaver's rights on {mailbox}"),
                tids.clone(),
            )
            .request(
                "POST",
                format!(
                    "{INVOKE_COMMAND} Get-MailboxPermission / Get-RecipientPermission / Get-Mailbox -Identity {mailbox}"
                ),
            );
            let (before, read_ids, shared) = match held(&self.tenant.exchange, &mailbox, who).await
            {
                Ok(h) => h,
                Err(e) if e.is_not_found() => {
                    actions.push(read.not_applicable(
                        format!("{mailbox} no longer exists"),
                        e.status(),
                        e.request_id().map(str::to_owned),
                        Some(json!({ "foundIn": t.found })),
                    ));
                    continue;
                }
                Err(e) => return Err(read.fail(&e)),
            };
            let details = |changed: bool, removed: &[&str], after_ids: Value| {
                json!({
                    "changed": changed,
                    "shared": shared,
                    "held": before,
                    "removed": removed,
                    "foundIn": t.found,
                    "indexRefreshedAt": offboard_core::evidence::millis::text(refreshed_at),
                    "readRequestIds": read_ids,
                    "readBackRequestIds": after_ids,
                })
            };
            if before == none_held() {
                actions.push(read.checked(
                    200,
                    read_ids.first().cloned().flatten(),
                    read_back(none_held(), before.clone()),
                    Some(details(false, &[], Value::Null)),
                ));
                continue;
            }
            let mut removed: Vec<&str> = Vec::new();
            let mut last = (200u16, None);
            let act = Attempt::new(
                EXCHANGE,
                format!("remove the leaver's rights on {mailbox}"),
                tids,
            );
            if before["FullAccess"] == true {
                let a = act.clone().request(
                    "POST",
                    format!(
                        "{INVOKE_COMMAND} Remove-MailboxPermission -Identity {mailbox} -User {who} -AccessRights FullAccess"
                    ),
                );
                let r = exo
                    .remove_full_access(&mailbox, who)
                    .await
                    .map_err(|e| a.fail(&e))?;
                removed.push("FullAccess");
                last = (r.status, r.request_id);
            }
            if before["SendAs"] == true {
                let a = act.clone().request(
                    "POST",
                    format!(
                        "{INVOKE_COMMAND} Remove-RecipientPermission -Identity {mailbox} -Trustee {who} -AccessRights SendAs"
                    ),
                );
                let r = exo
                    .remove_send_as(&mailbox, who)
                    .await
                    .map_err(|e| a.fail(&e))?;
                removed.push("SendAs");
                last = (r.status, r.request_id);
            }
            if before["SendOnBehalf"] == true {
                let a = act.clone().request(
                    "POST",
                    format!(
                        "{INVOKE_COMMAND} Set-Mailbox -Identity {mailbox} -GrantSendOnBehalfTo @{{Remove={who}}}"
                    ),
                );
                let r = exo
                    .remove_send_on_behalf(&mailbox, who)
                    .await
                    .map_err(|e| a.fail(&e))?;
                removed.push("SendOnBehalf");
                last = (r.status, r.request_id);
            }
            let act = act.request(
                "POST",
                format!(
                    "{INVOKE_COMMAND} remove {} of {who} on {mailbox}",
                    removed.join(", ")
                ),
            );
            let (after, after_ids, _) = held(&self.tenant.exchange, &mailbox, who)
                .await
                .map_err(|e| act.clone().fail(&e))?;
            actions.push(act.checked(
                last.0,
                last.1,
                read_back(none_held(), after),
                Some(details(true, &removed, json!(after_ids))),
            ));
        }
        Ok(StepReport::from_actions(actions))
    }
}
