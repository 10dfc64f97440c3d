//! Steps: one file per step kind, each with the same four parts —
//!
//! 1. **when it applies** is decided by the planner (`offboard_core::plan::build`) from the
//!    facts; a step only runs when planned;
//! 2. **act**: read the current state first and change it only if it is not already as it
//!    should be, so a replayed or duplicated message changes nothing twice;
//! 3. **verify**: read the real state back after acting;
//! 4. **evidence**: report every action attempt with the request outline, the service's
//!    request id and the expected versus observed state.
//!
//! A step returns a [`StepReport`]; the engine turns its actions into evidence records and
//! its status into the plan. Failures that retrying can fix come back as [`StepFailure`].

mod ad_cleanup;
mod ad_common;
mod ad_disable;
mod ad_reset_password;
#[cfg(test)]
mod ad_tests;
mod auto_reply;
mod block_sign_in;
mod common;
mod connector_provisioning;
mod connector_scim;
mod convert_mailbox;
// Issue 16: deleting the account, days later on the same case.
mod delete_account;
mod emptied;
mod hide_from_address_lists;
mod mailbox_manager_access;
mod onedrive_manager_access;
mod remove_app_roles;
mod remove_auth_methods;
mod remove_directory_roles;
mod remove_groups;
mod remove_licences;
mod remove_oauth_grants;
mod remove_pim_eligibility;
mod reset_password;
pub mod restore;
mod retire_devices;
// Issue 16: sharing links on the OneDrive.
mod revoke_sessions;
mod revoke_sharing;
mod stamped;
mod transfer_ownerships;
mod verify_cloud_disabled;
// Issue 17: the mailbox's doors.
mod cancel_meetings;
mod hold_mailbox;
mod remove_mailbox_rights_elsewhere;
mod stop_forwarding;
mod wipe_mobile_mail;

pub use ad_cleanup::AdCleanup;
pub(crate) use ad_common::locator_of as ad_locator;
pub use ad_disable::{ACCOUNTDISABLE, AdDisable};
pub use ad_reset_password::AdResetPassword;
pub use auto_reply::AutoReply;
pub use block_sign_in::BlockSignIn;
pub use common::RECHECK_EVERY;
pub(crate) use common::no_mailbox;
pub use connector_provisioning::ProvisioningConnectorStep;
pub use connector_scim::ScimConnectorStep;
pub use convert_mailbox::ConvertMailbox;
pub use delete_account::DeleteAccount;
pub use hide_from_address_lists::HideFromAddressLists;
pub use mailbox_manager_access::MailboxManagerAccess;
pub use onedrive_manager_access::OnedriveManagerAccess;
pub use remove_app_roles::RemoveAppRoles;
pub use remove_auth_methods::RemoveAuthMethods;
pub use remove_directory_roles::RemoveDirectoryRoles;
pub use remove_groups::RemoveGroups;
pub use remove_licences::RemoveLicences;
pub(crate) use remove_licences::direct_skus;
pub(crate) use remove_mailbox_rights_elsewhere::held as mailbox_rights_held;
pub use remove_oauth_grants::RemoveOauthGrants;
pub use remove_pim_eligibility::RemovePimEligibility;
pub use reset_password::{PASSWORD_LENGTH, ResetPassword, random_password};
pub use retire_devices::RetireDevices;
pub use revoke_sessions::RevokeSessions;
pub use revoke_sharing::RevokeSharing;
pub use transfer_ownerships::TransferOwnerships;
pub use verify_cloud_disabled::VerifyCloudDisabled;
// Issue 17: the mailbox's doors.
pub use cancel_meetings::CancelMeetings;
pub use hold_mailbox::HoldMailbox;
pub use remove_mailbox_rights_elsewhere::RemoveMailboxRightsElsewhere;
pub use stop_forwarding::StopForwarding;
pub use wipe_mobile_mail::WipeMobileMail;

pub(crate) use common::INVOKE_COMMAND;

pub use crate::attempt::{
    ActionEvidence, StepAction, StepContext, StepFailure, StepReport, TargetSystem,
};

use async_trait::async_trait;
use chrono::Utc;
use std::collections::BTreeMap;
use std::sync::Arc;

use offboard_core::evidence::Outcome;
use offboard_core::plan::StepKind;

/// The steps the engine can run, by kind.
#[derive(Clone, Default)]
pub struct StepRegistry {
    steps: BTreeMap<StepKind, Arc<dyn StepAction>>,
}

impl StepRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a step.
    pub fn with(mut self, step: Arc<dyn StepAction>) -> Self {
        self.steps.insert(step.kind(), step);
        self
    }

    /// Adds several steps.
    pub fn with_all<S: StepAction + 'static>(self, steps: impl IntoIterator<Item = S>) -> Self {
        steps.into_iter().fold(self, |r, s| r.with(Arc::new(s)))
    }

    /// The step of `kind`, if registered.
    pub fn get(&self, kind: StepKind) -> Option<&Arc<dyn StepAction>> {
        self.steps.get(&kind)
    }
}

/// Every cloud step on `tenant`, with the built-in policy's directory-sync window for
/// `verify-cloud-disabled`. The on-premises AD steps are not registered: until the agent is
/// configured ([`with_ad_steps`]) the engine shows them as waiting for it.
pub fn registry(tenant: Arc<crate::m365::Tenant>) -> StepRegistry {
    registry_with_sync_window(
        tenant,
        offboard_core::policy::Policy::builtin().sync_verify_window_minutes,
    )
}

/// [`registry`] with the directory-sync window of the policy in force
/// (`Policy::sync_verify_window_minutes`).
pub fn registry_with_sync_window(
    tenant: Arc<crate::m365::Tenant>,
    sync_verify_window_minutes: u32,
) -> StepRegistry {
    let t = || tenant.clone();
    StepRegistry::new()
        .with(Arc::new(BlockSignIn::new(t())))
        .with(Arc::new(RevokeSessions::new(t())))
        .with(Arc::new(VerifyCloudDisabled::new(
            t(),
            sync_verify_window_minutes,
        )))
        .with(Arc::new(ResetPassword::new(t())))
        .with(Arc::new(RemoveAuthMethods::new(t())))
        .with(Arc::new(RemoveDirectoryRoles::new(t())))
        .with(Arc::new(RemoveAppRoles::new(t())))
        .with(Arc::new(RemoveOauthGrants::new(t())))
        .with(Arc::new(RevokeSharing::new(t())))
        .with(Arc::new(RemovePimEligibility::new(t())))
        .with(Arc::new(TransferOwnerships::new(t())))
        .with(Arc::new(RetireDevices::new(t())))
        .with(Arc::new(ConvertMailbox::new(t())))
        .with(Arc::new(MailboxManagerAccess::new(t())))
        .with(Arc::new(AutoReply::new(t())))
        .with(Arc::new(HideFromAddressLists::new(t())))
        .with(Arc::new(OnedriveManagerAccess::new(t())))
        .with(Arc::new(RemoveGroups::new(t())))
        .with(Arc::new(RemoveLicences::new(t())))
        .with(Arc::new(DeleteAccount::new(t())))
        // Issue 17: the mailbox's doors.
        .with(Arc::new(StopForwarding::new(t())))
        .with(Arc::new(HoldMailbox::new(t())))
        .with(Arc::new(WipeMobileMail::new(t())))
        .with(Arc::new(CancelMeetings::new(t())))
        // A restore after a mistaken termination (its AD step is added with the agent's).
        .with(Arc::new(restore::RestoreEnableSignIn::new(t())))
        .with(Arc::new(restore::RestoreGroups::new(t())))
        .with(Arc::new(restore::RestoreLicences::new(t())))
        .with(Arc::new(restore::RestoreAppRoles::new(t())))
        .with(Arc::new(restore::RestoreDirectoryRoles::new(t())))
        .with_all(restore::RestoreMailbox::all(t()))
}

/// `registry` with `remove-mailbox-rights-elsewhere`, which finds the leaver's rights on other
/// mailboxes in the rights `index` (without it the engine shows the step as waiting for it).
pub fn with_rights_index(
    registry: StepRegistry,
    tenant: Arc<crate::m365::Tenant>,
    index: crate::rights_index::RightsIndexService,
) -> StepRegistry {
    registry.with(Arc::new(RemoveMailboxRightsElsewhere::new(tenant, index)))
}

/// `registry` with the three AD steps (`ad-disable`, `ad-reset-password`, `ad-cleanup`) run
/// through the on-prem `agent`, and `delete-account` on `tenant` deleting synced leavers
/// through it when the policy allows.
pub fn with_ad_steps(
    registry: StepRegistry,
    agent: Arc<crate::onprem::OnPremAgent>,
    tenant: Arc<crate::m365::Tenant>,
) -> StepRegistry {
    registry
        .with(Arc::new(DeleteAccount::with_agent(tenant, agent.clone())))
        .with(Arc::new(AdDisable::new(agent.clone())))
        .with(Arc::new(AdResetPassword::new(agent.clone())))
        .with(Arc::new(restore::RestoreAdEnable::new(agent.clone())))
        .with(Arc::new(restore::RestoreAdGroupsAndOu::new(agent.clone())))
        .with(Arc::new(AdCleanup::new(agent)))
}

/// `registry` with the three AD steps failing at once with `why`: the relay is configured but
/// the agent cannot be used as configured (a missing or malformed secret). Each AD step fails
/// with a remediation item naming the setting, instead of waiting for an agent that can never
/// be reached; after the fix (and a restart) the step is retried.
pub fn with_ad_steps_unavailable(registry: StepRegistry, why: impl Into<String>) -> StepRegistry {
    let why: Arc<str> = Arc::from(why.into());
    [
        StepKind::AdDisable,
        StepKind::AdResetPassword,
        StepKind::AdCleanup,
    ]
    .into_iter()
    .fold(registry, |r, kind| {
        r.with(Arc::new(AgentUnavailable {
            kind,
            why: why.clone(),
        }))
    })
}

/// An AD step whose agent is misconfigured: fails permanently with the reason.
struct AgentUnavailable {
    kind: StepKind,
    why: Arc<str>,
}

#[async_trait]
impl StepAction for AgentUnavailable {
    fn kind(&self) -> StepKind {
        self.kind
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let now = Utc::now();
        let detail = format!("the on-prem agent cannot be used: {}", self.why);
        Err(StepFailure::Permanent {
            detail: detail.clone(),
            action: Some(Box::new(ActionEvidence {
                target_system: TargetSystem::Ad,
                action: self.kind.as_str().to_owned(),
                target_ids: ctx
                    .facts
                    .on_premises_sam_account_name
                    .iter()
                    .cloned()
                    .collect(),
                request: None,
                response_status: None,
                service_request_id: None,
                read_back: None,
                outcome: Outcome::Failed,
                reason: Some(detail),
                details: None,
                started_at: now,
                ended_at: now,
            })),
        })
    }
}

/// `registry` with one step per connector of the connector file: a SCIM connector with its
/// own client (queue-worker options: a `Retry-After` goes back to the engine), an
/// `entra-provisioning` connector reading Entra's provisioning logs on `tenant` (the queue
/// workers' clients). A connector whose client cannot be built fails the start with its name.
pub fn with_connector_steps(
    registry: StepRegistry,
    connectors: &[crate::settings::ConnectorConfig],
    tenant: Arc<crate::m365::Tenant>,
) -> Result<StepRegistry, String> {
    use crate::settings::{ConnectorKind, ScimAuth};
    use offboard_scim_client::{Credential, ScimClient, ScimClientOptions};
    let mut registry = registry;
    for c in connectors {
        let scim = match &c.kind {
            ConnectorKind::Scim(scim) => scim,
            ConnectorKind::EntraProvisioning(app) => {
                registry = registry.with(Arc::new(ProvisioningConnectorStep::new(
                    c.name,
                    app.clone(),
                    tenant.clone(),
                )));
                continue;
            }
        };
        let credential = match &scim.auth {
            ScimAuth::Bearer { token, .. } => Credential::Bearer(token.clone()),
            ScimAuth::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
                ..
            } => Credential::ClientCredentials {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                scope: scope.clone(),
            },
        };
        let client = ScimClient::new(
            scim.base_url.clone(),
            credential,
            ScimClientOptions::for_queue_workers(),
        )
        .map_err(|e| format!("connector {} (line {}): {e}", c.name, c.line))?;
        registry = registry.with(Arc::new(ScimConnectorStep::new(
            c.name,
            client,
            scim.find.clone(),
            scim.action,
        )));
    }
    Ok(registry)
}
