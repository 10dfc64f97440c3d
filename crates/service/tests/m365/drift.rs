//! The drift re-check reads every page: a leaver given back more than a page of groups has
//! each regression reported, page two's included; a listing past the page limit is judged on
//! the pages read and reported as a `recheck_incomplete` finding, which a later scan that
//! reads it whole resolves. Over the real scan: the tenant simulator (paging as Graph does,
//! `$top` / `@odata.nextLink`), the embedded backend.

use std::sync::Arc;

use offboard_core::case::CaseStatus;
use offboard_core::effective::EffectivePolicy;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_core::policy::Policy;
use offboard_core::ports::CaseStore;
use offboard_embedded::{Embedded, FileEvidenceStore};
use offboard_service::engine::QueueNotifier;
use offboard_service::evidence::Evidence;
use offboard_service::reconcile::{Reconciler, ScanOutcome, Trigger};
use offboard_service::settings::PopulationSettings;
use offboard_service::{Intake, SystemClock};
use standin_tenant::SimConfig;
use standin_tenant::model::Group;

use crate::helpers::{Env, env, ids, leaver};

/// Groups given to the leaver on top of the demo tenant's.
const GIVEN: usize = 120;

fn group_id(n: usize) -> String {
    format!("drift-group-{n:03}")
}

/// The simulator's tenant with [`GIVEN`] more security groups Adele is a member of.
async fn env_with_many_groups() -> Env {
    let env = env().await;
    env.sim.with_state(|t| {
        for n in 0..GIVEN {
            t.groups.push(Group {
                id: group_id(n),
                display_name: format!("Drift group {n}"),
                security_enabled: true,
                members: vec![ids::ADELE.to_owned()],
                ..Default::default()
            });
        }
    });
    env
}

/// Adele's case as the engine leaves it after `remove-groups` verified (every other step not
/// applicable, so only her groups are re-read), stored; her groups then removed in the
/// simulator as the step removed them. Returns the case id.
async fn completed_case(env: &Env, db: &Arc<Embedded>) -> String {
    let case = case_with_verified(env, db, StepKind::RemoveGroups).await;
    let facts = &case.plan.as_ref().unwrap().facts;
    let removed: Vec<String> = facts
        .groups
        .iter()
        .filter(|g| g.removable)
        .map(|g| g.id.clone())
        .collect();
    assert!(
        removed.len() >= GIVEN,
        "the facts list every page of groups"
    );
    env.sim.with_state(|t| {
        for g in t.groups.iter_mut().filter(|g| removed.contains(&g.id)) {
            g.members.retain(|m| m != ids::ADELE);
        }
    });
    case.id.to_string()
}

/// Adele's case, completed with only `verified` verified (every other step not applicable),
/// stored.
async fn case_with_verified(
    env: &Env,
    db: &Arc<Embedded>,
    verified: StepKind,
) -> offboard_core::case::Case {
    case_with_all_verified(env, db, &[verified]).await
}

/// Adele's case, completed with the `verified` steps verified and every other not applicable,
/// stored.
async fn case_with_all_verified(
    env: &Env,
    db: &Arc<Embedded>,
    verified: &[StepKind],
) -> offboard_core::case::Case {
    let l = leaver(env, ids::ADELE).await;
    let mut case = l.case;
    let mut plan = l.plan;
    for s in &mut plan.steps {
        s.status = if verified.contains(&s.kind) {
            StepStatus::Verified
        } else {
            StepStatus::NotApplicable
        };
    }
    case.plan = Some(plan);
    case.status = CaseStatus::Completed;
    db.create(&case).await.unwrap();
    case
}

fn reconciler(env: &Env, db: &Arc<Embedded>, dir: &std::path::Path) -> Reconciler {
    let store = Arc::new(FileEvidenceStore::open(&dir.join("evidence")).unwrap());
    let clock = Arc::new(SystemClock);
    let evidence = Evidence::new(store, db.clone(), "test".to_owned(), clock.clone());
    let mut policy = Policy::builtin();
    policy.reconcile.auto_open = false;
    policy.reconcile.auto_remediate = false;
    Reconciler::new(
        db.clone(),
        db.clone(),
        evidence.clone(),
        Intake::new(db.clone(), db.clone(), evidence, clock.clone()),
        env.tenant.graph.clone(),
        Arc::new(QueueNotifier::new(db.clone())),
        PopulationSettings {
            sources: Vec::new(),
        },
        Arc::new(policy),
        EffectivePolicy::default(),
        clock,
    )
}

/// Gives Adele back the groups `which` selects.
fn give_back(env: &Env, which: impl Fn(usize) -> bool) {
    env.sim.with_state(|t| {
        for n in (0..GIVEN).filter(|n| which(*n)) {
            if let Some(g) = t.groups.iter_mut().find(|g| g.id == group_id(n)) {
                g.members.push(ids::ADELE.to_owned());
            }
        }
    });
}

/// The group ids of the scan's `access_returned` findings of `case`.
fn returned_groups(scan: &ScanOutcome, case: &str) -> Vec<String> {
    let prefix = format!("access_returned:{case}:group:");
    let mut out: Vec<String> = scan
        .findings
        .iter()
        .filter_map(|f| f.id().strip_prefix(&prefix).map(str::to_owned))
        .collect();
    out.sort();
    out
}

/// The memberOf pages read after the first, as the simulator logged them.
fn continued_pages(env: &Env) -> usize {
    env.sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/memberOf/microsoft.graph.group"))
        .filter(|r| r.batch_id.is_some() && r.query.contains("skiptoken"))
        .count()
}

#[tokio::test]
async fn every_group_given_back_is_reported_page_two_included() {
    let env = env_with_many_groups().await;
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Embedded::open(dir.path()).unwrap());
    let case = completed_case(&env, &db).await;
    give_back(&env, |_| true);
    env.sim.clear_requests();

    let scan = reconciler(&env, &db, dir.path())
        .scan(Trigger::OnDemand("test"), false)
        .await
        .unwrap();
    let expected: Vec<String> = (0..GIVEN).map(group_id).collect();
    assert_eq!(returned_groups(&scan, &case), expected);
    assert!(
        !scan
            .findings
            .iter()
            .any(|f| f.id().starts_with("recheck_incomplete")),
        "read whole"
    );
    // The simulator pages 100 at a time: the rest came from a second page, read in a batch.
    assert_eq!(continued_pages(&env), 1);
    let batches = env
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == "/$batch")
        .count();
    assert_eq!(
        batches, 2,
        "the first page, then the second in one more batch"
    );
    println!(
        "{GIVEN} groups given back: {} Graph requests in the scan, {batches} of them batches",
        scan.record.graph_requests
    );
    assert_eq!(scan.record.parameters["driftListingsTruncated"], 0);
}

#[tokio::test]
async fn a_listing_past_the_page_limit_is_reported_incomplete_until_read_whole() {
    let env = env_with_many_groups().await;
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Embedded::open(dir.path()).unwrap());
    let case = completed_case(&env, &db).await;
    give_back(&env, |_| true);
    // Two to a page: 120 groups are 60 pages, past the limit of 50.
    env.sim.set_settings(standin_tenant::Settings {
        page_size: 2,
        ..env.sim.settings()
    });
    let scans = reconciler(&env, &db, dir.path());

    let first = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    let partial = returned_groups(&first, &case);
    // 50 pages of 2: every group given back on them (Adele's groups Graph cannot change take
    // a few of the 100 places).
    assert!(
        partial.len() > 90 && partial.len() < GIVEN,
        "what the pages read show is reported: {}",
        partial.len()
    );
    let incomplete = format!("recheck_incomplete:{case}:group");
    let finding = first
        .findings
        .iter()
        .find(|f| f.id() == incomplete)
        .unwrap_or_else(|| panic!("{incomplete} in {:?}", first.record.found));
    assert!(
        finding.observation.what.contains("50 pages"),
        "{}",
        finding.observation.what
    );
    assert_eq!(first.record.parameters["driftListingsTruncated"], 1);

    // Someone removes Adele from all but three: the listing now fits, is read whole, and the
    // partial read's finding and the groups no longer held are resolved.
    env.sim.with_state(|t| {
        for g in t
            .groups
            .iter_mut()
            .filter(|g| g.id.starts_with("drift-group-"))
        {
            if g.id.as_str() > group_id(2).as_str() {
                g.members.retain(|m| m != ids::ADELE);
            }
        }
    });
    let second = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    assert_eq!(returned_groups(&second, &case), [0, 1, 2].map(group_id));
    let resolved: Vec<&str> = second.resolved.iter().map(|f| f.id()).collect();
    assert!(resolved.contains(&incomplete.as_str()), "{resolved:?}");
    let kept = [0, 1, 2].map(group_id);
    let gone = partial.iter().filter(|g| !kept.contains(g)).count();
    assert_eq!(resolved.len(), 1 + gone, "{resolved:?}");
}

#[tokio::test]
async fn the_simulator_pages_every_listing_the_re_check_reads() {
    // Each listing answers `$top` with a page and an `@odata.nextLink` to the rest, as Graph.
    let env = crate::helpers::env_with(SimConfig::default()).await;
    let user = ids::ADELE;
    for (path, query) in [
        (
            format!("/users/{user}/memberOf/microsoft.graph.group"),
            "$top=1",
        ),
        (format!("/users/{user}/appRoleAssignments"), "$top=1"),
        (format!("/users/{user}/authentication/methods"), "$top=1"),
        (format!("/users/{user}/managedDevices"), "$top=1"),
    ] {
        let url = format!("{path}?{query}");
        let r = env
            .tenant
            .graph
            .batch(vec![offboard_graph::BatchRequest::new("0", "GET", url)])
            .await
            .unwrap()
            .value
            .remove(0);
        assert_eq!(r.status, 200, "{path}: {:?}", r.body);
        assert!(r.next_link().is_some(), "{path} pages: {:?}", r.body);
    }
}

/// Adele's rights on other mailboxes as `remove-mailbox-rights-elsewhere` left them (none),
/// then given back behind offboard's back: each mailbox she holds a right on again is a
/// finding naming the rights; a right the (stale) rights index still lists but that is gone
/// is none.
#[tokio::test]
async fn rights_on_other_mailboxes_given_back_are_found_through_the_rights_index() {
    use offboard_service::rights_index::RightsIndexService;
    use standin_tenant::demo::ids::{LEE, MEGAN};
    let env = env().await;
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Embedded::open(dir.path()).unwrap());
    let upn = |id: &str| upn_of(&env, id);
    let (adele, lee, megan) = (upn(ids::ADELE), upn(LEE), upn(MEGAN));
    let grant = |full_access: bool, send_as: bool, behalf: bool| {
        env.sim.with_state(|t| {
            let lee = t.mailbox_mut(LEE).unwrap();
            lee.recipient_type_details = "SharedMailbox".to_owned();
            lee.permissions.retain(|p| p.user != adele);
            if full_access {
                lee.permissions
                    .push(standin_tenant::model::MailboxPermission {
                        user: adele.clone(),
                        access_rights: vec!["FullAccess".to_owned()],
                        auto_mapping: true,
                    });
            }
            let megan = t.mailbox_mut(MEGAN).unwrap();
            megan.doors.send_as.retain(|x| *x != adele);
            megan.doors.grant_send_on_behalf_to.retain(|x| *x != adele);
            if send_as {
                megan.doors.send_as.push(adele.clone());
            }
            if behalf {
                megan.doors.grant_send_on_behalf_to.push(adele.clone());
            }
        })
    };
    // The index's last refresh saw her rights; the step removed them all afterwards.
    grant(true, true, true);
    let rights = RightsIndexService::new(env.tenant.clone(), db.clone(), db.clone());
    rights.refresh(chrono::Utc::now()).await.unwrap();
    let case = case_with_verified(&env, &db, StepKind::RemoveMailboxRightsElsewhere)
        .await
        .id
        .to_string();
    grant(false, false, false);
    let scans = reconciler(&env, &db, dir.path())
        .with_exchange(env.tenant.exchange.clone())
        .with_rights_index(rights);
    let prefix = format!("access_returned:{case}:mailbox-right:");
    let mailbox_rights = |scan: &ScanOutcome| -> Vec<(String, String)> {
        scan.findings
            .iter()
            .filter_map(|f| {
                let mailbox = f.id().strip_prefix(&prefix)?;
                Some((mailbox.to_owned(), f.observation.what.clone()))
            })
            .collect()
    };

    let clean = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    assert_eq!(
        mailbox_rights(&clean),
        [],
        "the index still lists Lee's and Megan's mailboxes, but the rights are gone"
    );

    // FullAccess on the shared mailbox and SendAs on Megan's come back.
    grant(true, true, false);
    let back = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    let found = mailbox_rights(&back);
    assert_eq!(
        found.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>(),
        [lee.to_lowercase(), megan.to_lowercase()]
    );
    assert!(
        found[0]
            .1
            .contains(&format!("FullAccess on {}", lee.to_lowercase())),
        "{}",
        found[0].1
    );
    assert!(
        found[1]
            .1
            .contains(&format!("SendAs on {}", megan.to_lowercase())),
        "{}",
        found[1].1
    );
    assert!(
        back.findings
            .iter()
            .filter(|f| f.id().starts_with(&prefix))
            .all(|f| f
                .observation
                .action
                .contains("remove-mailbox-rights-elsewhere")),
        "auto_remediate would re-run the step"
    );

    // Removed again: both resolved.
    grant(false, false, false);
    let fixed = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    assert_eq!(
        fixed
            .resolved
            .iter()
            .filter(|f| f.id().starts_with(&prefix))
            .count(),
        2
    );
}

/// The simulator's user principal name of `id`.
fn upn_of(env: &Env, id: &str) -> String {
    env.sim
        .state()
        .user(id)
        .unwrap()
        .user_principal_name
        .clone()
}

/// The ids of the scan's `access_returned` findings of `case` about `what`, with what each says.
fn returned(scan: &ScanOutcome, case: &str, what: &str) -> Vec<(String, String)> {
    let prefix = format!("access_returned:{case}:{what}");
    scan.findings
        .iter()
        .filter(|f| f.id().starts_with(&prefix))
        .map(|f| (f.id().to_owned(), f.observation.what.clone()))
        .collect()
}

/// `revoke-sessions` verified, then a sign-in that succeeds after the revocation (a refresh
/// token redeemed, an account someone turned back on): a session is open again. One finding,
/// which names both times and the step that revokes again; sessions revoked once more resolve
/// it. A sign-in before the revocation is none.
#[tokio::test]
async fn a_sign_in_after_the_sessions_were_revoked_is_a_session_open_again() {
    let env = env().await;
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Embedded::open(dir.path()).unwrap());
    let case = case_with_verified(&env, &db, StepKind::RevokeSessions)
        .await
        .id
        .to_string();
    // Whole seconds: Graph's timestamps carry no fraction.
    let revoked =
        chrono::Timelike::with_nanosecond(&(chrono::Utc::now() - chrono::Duration::hours(2)), 0)
            .unwrap();
    let sessions = |valid_from: chrono::DateTime<chrono::Utc>, signed_in| {
        env.sim.with_state(|t| {
            let u = t.user_mut(ids::ADELE).unwrap();
            u.sign_in_sessions_valid_from_date_time = valid_from;
            u.last_sign_in_date_time = signed_in;
        })
    };
    let scans = reconciler(&env, &db, dir.path());
    let finding = format!("access_returned:{case}:session");

    sessions(revoked, Some(revoked - chrono::Duration::minutes(5)));
    env.sim.clear_requests();
    let clean = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    assert_eq!(returned(&clean, &case, "session"), []);
    assert!(
        env.sim.requests().iter().any(|r| r.batch_id.is_some()
            && r.path == format!("/users/{}", ids::ADELE)
            && r.query.contains("signInSessionsValidFromDateTime")
            && r.query.contains("signInActivity")),
        "read in a batch: {:?}",
        env.sim
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.path, r.query))
            .collect::<Vec<_>>()
    );

    let signed_in = revoked + chrono::Duration::minutes(30);
    sessions(revoked, Some(signed_in));
    let back = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    let found = returned(&back, &case, "session");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, finding);
    let what = &found[0].1;
    assert!(
        what.contains(&offboard_core::evidence::millis::text(signed_in))
            && what.contains(&offboard_core::evidence::millis::text(revoked)),
        "{what}"
    );
    let f = back.findings.iter().find(|f| f.id() == finding).unwrap();
    assert!(
        f.observation.action.contains("revoke-sessions"),
        "{}",
        f.observation.action
    );
    assert_eq!(
        offboard_core::reconcile::remedy(&finding),
        Some(StepKind::RevokeSessions)
    );

    // Seen again: the same finding, not a second one.
    let again = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    assert!(
        !again.record.raised.contains_key("access_returned"),
        "{:?}",
        again.record.raised
    );

    // Revoked once more (what the re-run step does): resolved.
    sessions(signed_in + chrono::Duration::minutes(1), Some(signed_in));
    let fixed = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    assert!(
        fixed.resolved.iter().any(|f| f.id() == finding),
        "{:?}",
        fixed.resolved.iter().map(|f| f.id()).collect::<Vec<_>>()
    );
}

/// `stop-forwarding` verified, then forwarding set again behind offboard's back: the mailbox's
/// own forwarding (Exchange) and an enabled inbox rule that forwards (Graph) are each a
/// finding naming where mail goes; a disabled rule and a rule that only files mail are none;
/// forwarding stopped again resolves both.
#[tokio::test]
async fn forwarding_set_again_is_found_on_the_mailbox_and_in_inbox_rules() {
    use standin_tenant::mailbox_doors::MessageRule;
    let env = env().await;
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Embedded::open(dir.path()).unwrap());
    let case = case_with_verified(&env, &db, StepKind::StopForwarding)
        .await
        .id
        .to_string();
    let rule = |id: &str, enabled: bool, actions: serde_json::Value| MessageRule {
        id: id.to_owned(),
        display_name: format!("rule {id}"),
        sequence: 1,
        is_enabled: enabled,
        conditions: serde_json::json!({}),
        actions,
    };
    let forward = |on: bool| {
        env.sim.with_state(|t| {
            let m = t.mailbox_mut(ids::ADELE).unwrap();
            m.doors.forwarding_smtp_address = on.then(|| "ada@home.example".to_owned());
            m.doors.message_rules = vec![
                rule(
                    "fwd",
                    on,
                    serde_json::json!({"forwardTo": [{"emailAddress": {"address": "ada@home.example"}}]}),
                ),
                rule(
                    "old",
                    false,
                    serde_json::json!({"redirectTo": [{"emailAddress": {"address": "x@fabrikam.example"}}]}),
                ),
                rule("file", true, serde_json::json!({"markAsRead": true})),
            ];
        })
    };
    let scans = reconciler(&env, &db, dir.path()).with_exchange(env.tenant.exchange.clone());

    forward(false);
    let clean = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    assert_eq!(returned(&clean, &case, "forwarding"), []);

    forward(true);
    let back = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    let found = returned(&back, &case, "forwarding");
    let found_ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        found_ids,
        [
            format!("access_returned:{case}:forwarding:fwd"),
            format!("access_returned:{case}:forwarding:mailbox"),
        ]
    );
    assert!(found[0].1.contains("ada@home.example"), "{}", found[0].1);
    assert!(
        found[1]
            .1
            .contains("mailbox forwarding to smtp:ada@home.example"),
        "{}",
        found[1].1
    );
    assert!(
        back.findings
            .iter()
            .filter(|f| f.id().contains(":forwarding:"))
            .all(|f| f.observation.action.contains("stop-forwarding")),
        "auto_remediate would re-run the step"
    );

    forward(false);
    let fixed = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    assert_eq!(
        fixed
            .resolved
            .iter()
            .filter(|f| f.id().contains(":forwarding:"))
            .count(),
        2
    );
}

/// Rights on the leaver's own mailbox granted after the case: the plan keeps who held them
/// (the baseline), and each right someone holds now that they did not is a finding naming
/// the cmdlet that removes it (no step re-runs: none removed it). The manager's FullAccess
/// that `mailbox-manager-access` gave is the case's own; removed again, all are resolved.
#[tokio::test]
async fn rights_granted_on_the_leavers_mailbox_after_the_case_are_found() {
    use standin_tenant::demo::ids::{LEE, MEGAN};
    let env = env().await;
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Embedded::open(dir.path()).unwrap());
    let upn = |id: &str| upn_of(&env, id);
    let (lee, megan) = (upn(LEE), upn(MEGAN));
    let case = case_with_all_verified(
        &env,
        &db,
        &[StepKind::ConvertMailbox, StepKind::MailboxManagerAccess],
    )
    .await;
    let facts = &case.plan.as_ref().unwrap().facts;
    let baseline = facts
        .mailbox
        .as_ref()
        .and_then(|m| m.delegates.clone())
        .expect("the plan keeps who held rights on the mailbox");
    let manager = facts
        .manager
        .as_ref()
        .and_then(|m| m.user_principal_name.clone())
        .expect("Adele has a manager");
    let case = case.id.to_string();
    let grant = |on: bool| {
        env.sim.with_state(|t| {
            let m = t.mailbox_mut(ids::ADELE).unwrap();
            m.permissions.retain(|p| p.user != lee && p.user != manager);
            m.doors.send_as.retain(|x| *x != megan);
            m.doors.grant_send_on_behalf_to.retain(|x| *x != megan);
            if on {
                for user in [&lee, &manager] {
                    m.permissions
                        .push(standin_tenant::model::MailboxPermission {
                            user: user.clone(),
                            access_rights: vec!["FullAccess".to_owned()],
                            auto_mapping: true,
                        });
                }
                m.doors.send_as.push(megan.clone());
                m.doors.grant_send_on_behalf_to.push(megan.clone());
            }
        })
    };
    let scans = reconciler(&env, &db, dir.path()).with_exchange(env.tenant.exchange.clone());

    grant(false);
    let clean = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    assert_eq!(
        returned(&clean, &case, "mailbox-delegate"),
        [],
        "baseline {baseline:?}"
    );

    grant(true);
    let back = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    let found = returned(&back, &case, "mailbox-delegate");
    let found_ids: Vec<String> = found.iter().map(|(id, _)| id.clone()).collect();
    let id = |right: &str, who: &str| {
        format!(
            "access_returned:{case}:mailbox-delegate:{right}:{}",
            who.to_lowercase()
        )
    };
    assert_eq!(
        found_ids,
        [
            id("FullAccess", &lee),
            id("SendAs", &megan),
            id("SendOnBehalf", &megan),
        ],
        "the manager's FullAccess is the case's own"
    );
    let f = back
        .findings
        .iter()
        .find(|f| f.id() == id("FullAccess", &lee))
        .unwrap();
    assert!(
        f.observation.action.contains(&format!(
            "-User {} -AccessRights FullAccess",
            lee.to_lowercase()
        )),
        "{}",
        f.observation.action
    );
    assert_eq!(offboard_core::reconcile::remedy(f.id()), None);

    grant(false);
    let fixed = scans.scan(Trigger::OnDemand("test"), false).await.unwrap();
    assert_eq!(
        fixed
            .resolved
            .iter()
            .filter(|f| f.id().contains(":mailbox-delegate:"))
            .count(),
        3
    );
}
