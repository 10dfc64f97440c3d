//! `entra-provisioning` connectors against the simulator's provisioning service: the step
//! waits (re-enqueued, never sleeping) until the app's job logs the leaver's disable, records
//! it at the service's time, and past its window ends in an exception that asks a person.

use chrono::Duration as ChronoDuration;

use offboard_core::evidence::Outcome;
use offboard_core::plan::{ConnectorAfter, ConnectorName, PlannedConnector, StepKind, StepStatus};
use offboard_service::settings::ProvisionedApp;
use offboard_service::steps::{
    BlockSignIn, ProvisioningConnectorStep, RECHECK_EVERY, StepAction, StepFailure,
};
use standin_tenant::model::{ProvisioningJob, ProvisioningOutcome};

use crate::helpers::{Leaver, env, ids, leaver, run, writes};

fn connector(leaver: &mut Leaver, name: &str) -> ConnectorName {
    let name = ConnectorName::parse(name).unwrap();
    leaver.plan.add_connectors(vec![PlannedConnector {
        name,
        preview: vec![],
        after: ConnectorAfter::CloudDisabled,
    }]);
    name
}

fn app(sp: &str, wait_minutes: u32) -> ProvisionedApp {
    ProvisionedApp {
        service_principal_id: sp.to_owned(),
        display_name: "Salesforce".to_owned(),
        wait_minutes,
    }
}

#[tokio::test]
async fn the_service_disable_is_waited_for_then_recorded_at_its_time() {
    let e = env().await;
    let mut adele = leaver(&e, ids::ADELE).await;
    let name = connector(&mut adele, "salesforce");
    e.sim.start_provisioning_job(ProvisioningJob {
        service_principal_id: ids::SP_SALESFORCE.into(),
        delay_secs: 1,
        ..Default::default()
    });
    run(&BlockSignIn::new(e.tenant.clone()), &adele)
        .await
        .unwrap();
    let step = ProvisioningConnectorStep::new(name, app(ids::SP_SALESFORCE, 40), e.tenant.clone());
    // Not yet logged: look again in a minute (the engine re-enqueues; nobody sleeps).
    match run(&step, &adele).await.unwrap_err() {
        StepFailure::Throttled {
            retry_after,
            detail,
        } => {
            assert_eq!(retry_after, RECHECK_EVERY);
            assert!(
                detail.contains("waiting for Entra ID's provisioning service"),
                "{detail}"
            );
        }
        other => panic!("expected to wait, got {other:?}"),
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let report = run(&step, &adele).await.unwrap();
    assert_eq!(report.status, StepStatus::Verified, "{report:?}");
    assert!(!report.remediation);
    let entry = e.sim.state().provisioning_logs.pop().expect("logged");
    let a = &report.actions[0];
    assert_eq!(a.target_system, "salesforce");
    assert_eq!(a.ended_at, entry.activity_date_time);
    assert_eq!(a.response_status, Some(200));
    assert!(a.service_request_id.is_some());
    assert_eq!(
        a.details.as_ref().unwrap()["provisioningEntry"]["id"],
        entry.id.as_str()
    );
    // Read only: the block's PATCH is the one write.
    assert_eq!(writes(&e.sim), vec![format!("PATCH /users/{}", ids::ADELE)]);
}

#[tokio::test]
async fn failures_past_the_window_are_an_exception_for_a_person() {
    let e = env().await;
    let mut adele = leaver(&e, ids::ADELE).await;
    let name = connector(&mut adele, "servicenow");
    e.sim.start_provisioning_job(ProvisioningJob {
        service_principal_id: ids::SP_SERVICENOW.into(),
        outcome: ProvisioningOutcome::Failure,
        ..Default::default()
    });
    run(&BlockSignIn::new(e.tenant.clone()), &adele)
        .await
        .unwrap();
    let step = ProvisioningConnectorStep::new(name, app(ids::SP_SERVICENOW, 40), e.tenant.clone());
    // A failure within the window: the service retries in later cycles, so offboard waits.
    let waiting = run(&step, &adele).await.unwrap_err();
    assert!(
        matches!(&waiting, StepFailure::Throttled { detail, .. } if detail.contains("failed")),
        "{waiting:?}"
    );
    let ctx = adele.ctx_at(
        StepKind::Connector(name),
        adele.since + ChronoDuration::minutes(41),
    );
    let report = step.run(&ctx).await.unwrap();
    assert_eq!(report.status, StepStatus::Exception);
    assert!(report.remediation, "a person is asked");
    assert_eq!(report.actions[0].outcome, Outcome::Exception);
    let reason = report.reason.unwrap();
    assert!(
        reason.contains(standin_tenant::provisioning::FAILURE_REASON)
            && reason.contains("remove the leaver's account in Salesforce by hand"),
        "{reason}"
    );
}
