//! `retire-devices`: company data and management leave the leaver's Intune-managed devices.
//!
//! **When it applies.** Planned when the leaver has managed devices and the policy's
//! `device_action` is `retire`, after sign-in is cut (`offboard_core::plan::build`). Retire
//! removes company data, apps and profiles and keeps personal data, so it suits personal and
//! company devices alike; a factory wipe is a decision for a person and is not offered.
//!
//! **Act.** List the devices (`GET /users/{id}/managedDevices`). A device whose retire is
//! already pending or done is not retired again, so a replay changes nothing. Otherwise
//! `POST /deviceManagement/managedDevices/{deviceId}/retire`
//! (`DeviceManagementManagedDevices.PrivilegedOperations.All`). The device carries it out at
//! its next check-in; Intune shows the action as pending until then.
//!
//! **Verify.** Read each device again (`GET /deviceManagement/managedDevices/{deviceId}`);
//! expected a retire action pending or done, or the device no longer managed (404).
//!
//! **Evidence.** One action per device: the retire (or the read, when already requested) with
//! status, Graph's request id and the read-back.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::{GraphError, ManagedDevice, Reply};

use super::common::{
    Attempt, INTUNE, already_gone, gone_counts_as_sent, read_back, read_until, user_id,
};
use super::emptied::Emptying;
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Retires managed devices.
#[derive(Debug, Clone)]
pub struct RetireDevices {
    tenant: Arc<Tenant>,
}

impl RetireDevices {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// Why a device the planner saw was no longer listed.
const ABSENT: &str = "absent when this attempt read the devices: retired by an earlier attempt of this step, or removed from Intune";

fn state(d: &ManagedDevice) -> Option<String> {
    d.device_action_results
        .iter()
        .find(|r| r.action_name.eq_ignore_ascii_case("retire"))
        .map(|r| r.action_state.clone())
}

fn name(d: &ManagedDevice) -> String {
    match (&d.device_name, &d.operating_system) {
        (Some(n), Some(os)) => format!("{n} ({os})"),
        (Some(n), None) => n.clone(),
        _ => d.id.clone(),
    }
}

#[async_trait]
impl StepAction for RetireDevices {
    fn kind(&self) -> StepKind {
        StepKind::RetireDevices
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let list_outline = format!("/users/{id}/managedDevices");
        let expected = json!({ "retire": "pending or done" });

        // Act: read first.
        let mut run = Emptying::new(
            Attempt::new(INTUNE, "list managed devices", vec![id.to_owned()])
                .request("GET", list_outline.clone()),
            list_outline,
            "managed",
            "devices",
            ABSENT,
        );
        let before = graph
            .managed_devices(id)
            .await
            .map_err(|e| run.read().clone().fail(&e))?;
        for d in &before.value {
            let targets = vec![id.to_owned(), d.id.clone()];
            if d.retire_requested() {
                run.actions.push(
                    Attempt::new(INTUNE, format!("{} already retired", name(d)), targets)
                        .request("GET", run.list_outline().to_owned())
                        .checked(
                            before.status,
                            before.request_id.clone(),
                            read_back(expected.clone(), expected.clone()),
                            Some(json!({ "changed": false, "retire": state(d) })),
                        ),
                );
                continue;
            }
            let act = Attempt::new(INTUNE, format!("retire {}", name(d)), targets).request(
                "POST",
                format!("/deviceManagement/managedDevices/{}/retire", d.id),
            );
            let done: Reply<()> = match gone_counts_as_sent(graph.retire_device(&d.id).await) {
                Ok(r) => r,
                Err(e @ (GraphError::Permanent(_) | GraphError::NotApplicable { .. })) => {
                    run.actions.push(act.failed(&e));
                    continue;
                }
                Err(e) => return Err(act.fail(&e)),
            };

            // Verify.
            let after =
                read_until(|| graph.get_managed_device(&d.id), |x| x.retire_requested()).await;
            let (observed, read_id) = match after {
                Ok(r) => (
                    if r.value.retire_requested() {
                        expected.clone()
                    } else {
                        json!({ "retire": state(&r.value) })
                    },
                    r.request_id,
                ),
                // No longer managed: the retire has completed and Intune forgot the device.
                Err(e) if already_gone(&e) => (expected.clone(), e.request_id().map(str::to_owned)),
                Err(e) => return Err(act.fail(&e)),
            };
            run.actions.push(act.checked(
                done.status,
                done.request_id,
                read_back(expected.clone(), observed),
                Some(json!({ "changed": true, "readBackRequestId": read_id })),
            ));
        }
        for f in &ctx.facts.devices {
            if !before
                .value
                .iter()
                .any(|d| d.id.eq_ignore_ascii_case(&f.id))
            {
                run.already_absent(
                    INTUNE,
                    format!("{} no longer managed", f.name.as_deref().unwrap_or(&f.id)),
                    vec![id.to_owned(), f.id.clone()],
                    &before,
                );
            }
        }
        Ok(run.report(&before))
    }
}
