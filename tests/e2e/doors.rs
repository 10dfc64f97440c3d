//! The doors that stay open after the usual steps (issue 16), end to end: admin leavers whose
//! outcome does not depend on timing.

use std::collections::BTreeMap;
use std::time::Duration;

use offboard_core::case::CaseStatus;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_testkit::TestApp;
use offboard_testkit::leavers::{Leaver, seed_leavers, terminate, wait_sealed};
use standin_tenant::demo::role_ids;
use standin_tenant::model::RoleAssignment;

use crate::on_every_backend;

/// How many admin leavers the determinism test runs.
const ADMINS: usize = 20;

/// Makes each leaver a Global Administrator: the app (a User Administrator) may then neither
/// disable nor reset them until the role is gone.
fn make_admins(app: &TestApp, leavers: &[Leaver]) -> Vec<String> {
    app.sim.with_state(|t| {
        leavers
            .iter()
            .map(|l| {
                let id = format!("ga-{}", l.id);
                t.role_assignments.push(RoleAssignment {
                    id: id.clone(),
                    principal_id: l.id.clone(),
                    role_definition_id: role_ids::GLOBAL_ADMINISTRATOR.to_owned(),
                    directory_scope_id: "/".to_owned(),
                });
                id
            })
            .collect()
    })
}

on_every_backend!(
    an_admin_leaver_ends_the_same_way_every_time,
    |app: TestApp| async move {
        let leavers = seed_leavers(&app, ADMINS, "adm").unwrap();
        let assignments = make_admins(&app, &leavers);
        // All at once, so the steps of different cases interleave as they would in a busy hour.
        let mut ids = Vec::new();
        for l in &leavers {
            ids.push(terminate(&app, l).await.unwrap().0);
        }
        let cases = wait_sealed(
            &app,
            &ids,
            Duration::from_secs(300),
            Duration::from_millis(500),
        )
        .await
        .unwrap();
        let outcome = |id| {
            let c = &cases[id];
            let steps: BTreeMap<StepKind, StepStatus> = c
                .plan
                .as_ref()
                .unwrap()
                .steps
                .iter()
                .map(|s| (s.kind, s.status))
                .collect();
            (c.status, steps)
        };
        let first = outcome(&ids[0]);
        for id in &ids {
            assert_eq!(outcome(id), first, "case {id} differs from case {}", ids[0]);
        }
        // And the same outcome is the right one: the roles go, then the account is cut.
        let (status, steps) = first;
        for k in [
            StepKind::RemoveDirectoryRoles,
            StepKind::BlockSignIn,
            StepKind::RevokeSessions,
            StepKind::ResetPassword,
        ] {
            assert_eq!(steps[&k], StepStatus::Verified, "{k}");
        }
        assert_eq!(status, CaseStatus::Completed, "{steps:?}");
        let state = app.sim.state();
        for (l, a) in leavers.iter().zip(&assignments) {
            assert!(state.roles_of(&l.id).is_empty(), "{} keeps a role", l.upn);
            assert!(!state.user(&l.id).unwrap().account_enabled, "{}", l.upn);
            // The tenant saw the role deleted before the account was touched, every time.
            let log = app.sim.requests();
            let role_gone = log
                .iter()
                .position(|r| {
                    r.method == "DELETE" && r.path.ends_with(a.as_str()) && r.status == 204
                })
                .unwrap_or_else(|| panic!("{a} deleted"));
            let first_patch = log
                .iter()
                .position(|r| r.method == "PATCH" && r.path == format!("/users/{}", l.id))
                .unwrap_or_else(|| panic!("{} patched", l.upn));
            assert!(
                role_gone < first_patch,
                "{}: the account was changed before the role went",
                l.upn
            );
            assert!(
                log.iter()
                    .filter(|r| r.path == format!("/users/{}", l.id) && r.method == "PATCH")
                    .all(|r| r.status < 400),
                "{}: a refused change",
                l.upn
            );
        }
        app.shutdown().await;
    }
);
