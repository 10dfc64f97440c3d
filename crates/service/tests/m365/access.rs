//! Removing access: MFA methods, directory and app roles, groups (with the ones Graph cannot
//! change recorded as exceptions), devices and licences.

use offboard_core::evidence::Outcome;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_service::steps::{
    RemoveAppRoles, RemoveAuthMethods, RemoveDirectoryRoles, RemoveGroups, RemoveLicences,
    RemoveOauthGrants, RetireDevices,
};
use standin_tenant::SimHandle;

use crate::helpers::{env, ids, leaver, run, twice, writes};

fn members(sim: &SimHandle, group: &str) -> Vec<String> {
    sim.state().group(group).unwrap().members.clone()
}

#[tokio::test]
async fn auth_methods_are_deleted_except_the_password() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let step = RemoveAuthMethods::new(e.tenant.clone());
    let (first, second) = twice(&step, &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    assert_eq!(first.actions.len(), 4);
    for a in &first.actions {
        assert_eq!(a.outcome, Outcome::Verified);
        assert_eq!(a.request.as_ref().unwrap().method, "DELETE");
        assert_eq!(a.response_status, Some(204));
        assert!(a.service_request_id.is_some());
        assert_eq!(a.read_back.as_ref().unwrap().observed["registered"], false);
    }
    let mut deleted = writes(&e.sim);
    deleted.sort();
    let base = format!("DELETE /users/{}/authentication", ids::ADELE);
    assert_eq!(
        deleted,
        vec![
            format!("{base}/fido2Methods/{}", ids::AUTH_ADELE_FIDO2),
            format!(
                "{base}/microsoftAuthenticatorMethods/{}",
                ids::AUTH_ADELE_AUTHENTICATOR
            ),
            format!("{base}/phoneMethods/{}", ids::AUTH_ADELE_PHONE),
            format!("{base}/windowsHelloForBusinessMethods/b5e01f81-1f81-b5e0-811f-e0b5811fe0b5"),
        ]
    );
    let left: Vec<String> = e
        .sim
        .state()
        .authentication_methods
        .iter()
        .filter(|m| m.user_id == ids::ADELE)
        .map(|m| m.method_type.clone())
        .collect();
    assert_eq!(left, vec!["passwordAuthenticationMethod"]);
    // The replay finds them gone and says so for each planned method.
    assert_eq!(second.status, StepStatus::Verified);
    assert_eq!(second.actions.len(), 4);
    assert!(
        second
            .actions
            .iter()
            .all(|a| a.request.as_ref().unwrap().method == "GET")
    );
}

#[tokio::test]
async fn directory_roles_are_removed() {
    let e = env().await;
    let isaiah = leaver(&e, ids::ISAIAH).await;
    let step = RemoveDirectoryRoles::new(e.tenant.clone());
    let (first, second) = twice(&step, &isaiah, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    let a = &first.actions[0];
    assert!(a.action.contains("Exchange Administrator"), "{}", a.action);
    assert_eq!(a.response_status, Some(204));
    assert!(a.service_request_id.is_some());
    assert_eq!(
        writes(&e.sim),
        vec![format!(
            "DELETE /roleManagement/directory/roleAssignments/{}",
            ids::ROLE_ASSIGNMENT_ISAIAH
        )]
    );
    assert!(
        !e.sim
            .state()
            .role_assignments
            .iter()
            .any(|r| r.principal_id == ids::ISAIAH)
    );
    assert_eq!(second.status, StepStatus::Verified);
}

#[tokio::test]
async fn app_role_assignments_are_removed() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let step = RemoveAppRoles::new(e.tenant.clone());
    let (first, second) = twice(&step, &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    assert_eq!(first.actions.len(), 2);
    assert!(
        first
            .actions
            .iter()
            .all(|a| a.response_status == Some(204) && a.read_back.as_ref().unwrap().matches)
    );
    assert_eq!(writes(&e.sim).len(), 2);
    assert!(
        !e.sim
            .state()
            .app_role_assignments
            .iter()
            .any(|a| a.principal_id == ids::ADELE)
    );
    assert_eq!(second.status, StepStatus::Verified);
}

#[tokio::test]
async fn groups_graph_can_change_are_left_and_the_others_are_exceptions() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let step = RemoveGroups::new(e.tenant.clone());
    let (first, second) = twice(&step, &adele, &e.sim).await;

    // Never reported as done while a membership remains.
    assert_eq!(first.status, StepStatus::Exception);
    let outcome = |gid: &str| {
        first
            .actions
            .iter()
            .find(|a| a.target_ids.contains(&gid.to_owned()))
            .unwrap()
            .clone()
    };
    for g in [
        ids::GROUP_RETAIL_M365,
        ids::GROUP_FINANCE_APPS,
        ids::GROUP_ROLE_ASSIGNABLE,
    ] {
        let a = outcome(g);
        assert_eq!(a.outcome, Outcome::Verified, "{}", a.action);
        assert_eq!(a.response_status, Some(204));
        assert!(a.service_request_id.is_some());
        assert_eq!(
            a.request.as_ref().unwrap().target,
            format!("/groups/{g}/members/{}/$ref", ids::ADELE)
        );
        assert!(!members(&e.sim, g).contains(&ids::ADELE.to_owned()));
    }
    let dynamic = outcome(ids::GROUP_DYNAMIC_RETAIL);
    assert_eq!(dynamic.outcome, Outcome::Exception);
    assert!(
        dynamic
            .reason
            .as_deref()
            .unwrap()
            .contains("dynamic membership")
    );
    let mail = outcome(ids::GROUP_MAIL_SECURITY);
    assert_eq!(mail.outcome, Outcome::Exception);
    assert!(
        mail.reason
            .as_deref()
            .unwrap()
            .contains("Remove-DistributionGroupMember")
    );
    let dl = outcome(ids::GROUP_DISTRIBUTION);
    assert_eq!(dl.outcome, Outcome::Exception);
    assert!(dl.reason.as_deref().unwrap().contains("distribution list"));
    for g in [
        ids::GROUP_DYNAMIC_RETAIL,
        ids::GROUP_MAIL_SECURITY,
        ids::GROUP_DISTRIBUTION,
    ] {
        assert!(members(&e.sim, g).contains(&ids::ADELE.to_owned()));
    }
    // Only the three removable groups were written to, always with /$ref, and the user
    // object is intact.
    let w = writes(&e.sim);
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(
        w.iter()
            .all(|x| x.starts_with("DELETE /groups/") && x.ends_with("/$ref"))
    );
    assert!(e.sim.state().user(ids::ADELE).is_some());
    // The replay: the removed ones are recorded as already left, the others still as
    // exceptions.
    assert_eq!(second.status, StepStatus::Exception);
    assert_eq!(
        second
            .actions
            .iter()
            .filter(|a| a.outcome == Outcome::Exception)
            .count(),
        3
    );
}

#[tokio::test]
async fn a_synced_group_is_an_exception_and_a_licensing_group_takes_its_licence() {
    let e = env().await;
    let diego = leaver(&e, ids::DIEGO).await;
    let report = run(&RemoveGroups::new(e.tenant.clone()), &diego)
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Exception);
    let synced = report
        .actions
        .iter()
        .find(|a| a.target_ids.contains(&ids::GROUP_SYNCED.to_owned()))
        .unwrap();
    assert_eq!(synced.outcome, Outcome::Exception);
    assert!(synced.reason.as_deref().unwrap().contains("on-premises AD"));
    let licensing = report
        .actions
        .iter()
        .find(|a| a.target_ids.contains(&ids::GROUP_LICENSING_E3.to_owned()))
        .unwrap();
    assert_eq!(licensing.outcome, Outcome::Verified);
    assert_eq!(
        licensing.details.as_ref().unwrap()["assignsLicences"][0],
        ids::SKU_E3
    );
    let t = e.sim.state();
    assert!(
        !t.group(ids::GROUP_LICENSING_E3)
            .unwrap()
            .members
            .contains(&ids::DIEGO.to_owned())
    );
    assert!(
        t.group(ids::GROUP_SYNCED)
            .unwrap()
            .members
            .contains(&ids::DIEGO.to_owned())
    );
    // The group-based E3 still reaches Diego through the synced group nested in the
    // licensing group, until AD removes that membership.
    assert!(
        t.effective_skus(ids::DIEGO)
            .contains(&ids::SKU_E3.to_owned())
    );
}

#[tokio::test]
async fn managed_devices_are_retired_once() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let step = RetireDevices::new(e.tenant.clone());
    let (first, second) = twice(&step, &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    assert_eq!(first.actions.len(), 2);
    for a in &first.actions {
        assert_eq!(a.target_system, "intune");
        assert_eq!(a.request.as_ref().unwrap().method, "POST");
        assert_eq!(a.response_status, Some(204));
        assert!(a.read_back.as_ref().unwrap().matches);
    }
    let t = e.sim.state();
    for d in t.managed_devices.iter().filter(|d| d.user_id == ids::ADELE) {
        assert_eq!(d.management_state, "retirePending");
        assert_eq!(d.device_action_results.len(), 1);
    }
    assert_eq!(second.status, StepStatus::Verified);
    assert!(
        second
            .actions
            .iter()
            .all(|a| a.action.contains("already retired"))
    );
}

#[tokio::test]
async fn direct_licences_are_removed_in_one_call() {
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    let step = RemoveLicences::new(e.tenant.clone());
    let (first, second) = twice(&step, &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    let a = &first.actions[0];
    assert!(
        a.action.contains("SPE_E3") && a.action.contains("VISIOCLIENT"),
        "{}",
        a.action
    );
    assert_eq!(a.response_status, Some(200));
    assert!(a.service_request_id.is_some());
    assert!(a.read_back.as_ref().unwrap().matches);
    assert_eq!(
        writes(&e.sim),
        vec![format!("POST /users/{}/assignLicense", ids::ADELE)]
    );
    let body = e
        .sim
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/assignLicense"))
        .unwrap()
        .body
        .unwrap();
    assert_eq!(body["addLicenses"], serde_json::json!([]));
    assert_eq!(body["removeLicenses"].as_array().unwrap().len(), 2);
    assert!(
        e.sim
            .state()
            .user(ids::ADELE)
            .unwrap()
            .assigned_licenses
            .is_empty()
    );
    assert_eq!(second.status, StepStatus::Verified);
}

#[tokio::test]
async fn group_based_licences_are_never_sent_to_assign_license() {
    let e = env().await;
    let diego = leaver(&e, ids::DIEGO).await;
    assert_eq!(
        diego.plan.step(StepKind::RemoveLicences).unwrap().status,
        StepStatus::NotApplicable
    );
    let report = run(&RemoveLicences::new(e.tenant.clone()), &diego)
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Verified);
    let noted = report
        .actions
        .iter()
        .find(|a| a.outcome == Outcome::Noted)
        .unwrap();
    assert!(noted.reason.as_deref().unwrap().contains("remove-groups"));
    assert!(writes(&e.sim).is_empty());
    assert!(
        e.sim
            .state()
            .effective_skus(ids::DIEGO)
            .contains(&ids::SKU_E3.to_owned())
    );
}

#[tokio::test]
async fn a_licence_both_direct_and_group_based_loses_only_the_direct_assignment() {
    let e = env().await;
    let johanna = leaver(&e, ids::JOHANNA).await;
    let report = run(&RemoveLicences::new(e.tenant.clone()), &johanna)
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Verified);
    assert!(report.actions.iter().any(|a| a.outcome == Outcome::Noted));
    let t = e.sim.state();
    assert!(t.user(ids::JOHANNA).unwrap().assigned_licenses.is_empty());
    let states = t.license_states(ids::JOHANNA);
    assert_eq!(states.len(), 1);
    assert_eq!(
        states[0].assigned_by_group.as_deref(),
        Some(ids::GROUP_LICENSING_E3)
    );
}

#[tokio::test]
async fn the_grants_the_leaver_consented_to_are_deleted_and_admin_consent_stays() {
    use standin_tenant::demo_doors::ids as doors;
    let e = env().await;
    let adele = leaver(&e, ids::ADELE).await;
    // The planner saw her consent, not the tenant-wide admin consent.
    let grants: Vec<&str> = adele
        .plan
        .facts
        .oauth_grants
        .iter()
        .map(|g| g.grant_id.as_str())
        .collect();
    assert_eq!(grants, vec![doors::GRANT_ADELE_EXPENSE_BUDDY]);
    let step = RemoveOauthGrants::new(e.tenant.clone());
    let (first, second) = twice(&step, &adele, &e.sim).await;
    assert_eq!(first.status, StepStatus::Verified);
    assert_eq!(first.actions.len(), 1);
    let a = &first.actions[0];
    assert_eq!(a.outcome, Outcome::Verified);
    assert_eq!(a.response_status, Some(204));
    assert!(a.service_request_id.is_some());
    assert_eq!(a.read_back.as_ref().unwrap().observed["granted"], false);
    // The evidence names the app and the scopes it had.
    assert!(
        a.action.contains(doors::SP_EXPENSE_BUDDY) && a.action.contains("Mail.Read"),
        "{}",
        a.action
    );
    assert_eq!(
        writes(&e.sim),
        vec![format!(
            "DELETE /oauth2PermissionGrants/{}",
            doors::GRANT_ADELE_EXPENSE_BUDDY
        )]
    );
    let left: Vec<String> = e
        .sim
        .state()
        .oauth2_permission_grants
        .iter()
        .map(|g| g.id.clone())
        .collect();
    assert_eq!(left, vec![doors::GRANT_ALL_PRINCIPALS.to_owned()]);
    // The replay finds the grant gone and says so, with the listing as its evidence.
    assert_eq!(second.status, StepStatus::Verified);
    assert_eq!(second.actions.len(), 1);
    assert_eq!(second.actions[0].request.as_ref().unwrap().method, "GET");
}
