//! Holds before planning: the blast-radius brake, protected people, the operator's kill
//! switch, four-eyes decisions and the expiry of undecided holds.

use chrono::Duration as ChronoDuration;

use offboard_core::case::{Actor, ActorKind, Decision, DecisionError, HoldReason};
use offboard_core::notify::{Notification, NotificationKind};
use offboard_core::plan::DirectoryRoleFact;
use offboard_core::policy::DEFAULT_POLICY;

use super::*;
use crate::clock::Clock;

fn policy(max_leavers: u32) -> Policy {
    Policy::parse(
        &DEFAULT_POLICY.replace("max_leavers = 25", &format!("max_leavers = {max_leavers}")),
    )
    .unwrap()
}

fn person(id: &str) -> Actor {
    Actor {
        kind: ActorKind::Person,
        object_id: Some(id.into()),
        name: Some(format!("{id}@contoso.com")),
    }
}

fn decision(approved: bool, by: Actor) -> Decision {
    Decision {
        approved,
        by,
        at: t("2026-11-26T10:05:00Z"),
        reason: "checked with HR".into(),
    }
}

impl Harness {
    /// The notifications waiting in the notify queue (taken off it).
    async fn notices(&self) -> Vec<Notification> {
        let mut out = Vec::new();
        for m in self
            .db
            .receive("notify", 32, Duration::from_secs(60))
            .await
            .unwrap()
        {
            out.push(
                messages::decode(
                    "notification",
                    &String::from_utf8(base64_decode(&m.text)).unwrap(),
                )
                .unwrap(),
            );
            self.db
                .delete("notify", &m.id, &m.pop_receipt)
                .await
                .unwrap();
        }
        out
    }

    async fn status(&self, c: &Case) -> CaseStatus {
        self.case(c).await.status
    }
}

#[tokio::test]
async fn past_the_brake_cases_are_held_once_notified_and_run_after_approval() {
    let h = harness_under(vec![], facts(), policy(2)).await;
    let mut cases = Vec::new();
    for i in 0..4 {
        let c = h.open_case(&format!("E{i}")).await;
        h.engine.plan(&c.id).await.unwrap();
        cases.push(c);
    }
    assert_eq!(h.status(&cases[0]).await, CaseStatus::Running);
    assert_eq!(h.status(&cases[1]).await, CaseStatus::Running);
    for held in &cases[2..] {
        let c = h.case(held).await;
        assert_eq!(c.status, CaseStatus::AwaitingApproval);
        assert!(c.plan.is_none(), "nothing is planned for a held case");
        assert_eq!(c.approval.unwrap().hold.reason, HoldReason::Brake);
    }
    let notices = h.notices().await;
    assert_eq!(notices.len(), 1, "one notice per window: {notices:?}");
    assert_eq!(notices[0].kind, NotificationKind::BrakeTripped);
    assert_eq!(notices[0].case_id, cases[2].id);
    for started in &cases[..2] {
        assert!(
            notices[0].what.contains(started.id.as_str()),
            "{}",
            notices[0].what
        );
    }
    // A redelivered plan message changes nothing.
    h.engine.plan(&cases[2].id).await.unwrap();
    assert_eq!(h.status(&cases[2]).await, CaseStatus::AwaitingApproval);

    // Approved: planned past the brake, and its steps run.
    let c = h
        .engine
        .decide(&cases[2].id, decision(true, person("op-2")))
        .await
        .unwrap();
    assert_eq!(c.status, CaseStatus::Received);
    assert_eq!(h.db.approximate_len("plan").await.unwrap(), 1);
    h.engine.plan(&cases[2].id).await.unwrap();
    assert_eq!(h.status(&cases[2]).await, CaseStatus::Running);
    // The same decision again changes nothing; the other one is refused.
    h.engine
        .decide(&cases[2].id, decision(true, person("op-2")))
        .await
        .unwrap();
    assert!(matches!(
        h.engine
            .decide(&cases[2].id, decision(false, person("op-2")))
            .await,
        Err(EngineError::Decision(DecisionError::NotHeld { .. }))
    ));

    // A window later the source may start terminations again.
    h.clock.set(h.clock.now() + ChronoDuration::minutes(61));
    let later = h.open_case("E9").await;
    h.engine.plan(&later.id).await.unwrap();
    assert_eq!(h.status(&later).await, CaseStatus::Running);
}

#[tokio::test]
async fn a_rejected_or_expired_hold_is_sealed_with_nothing_changed() {
    let h = harness_under(vec![], facts(), policy(0)).await;
    let a = h.open_case("A").await;
    let b = h.open_case("B").await;
    h.engine.plan(&a.id).await.unwrap();
    h.engine.plan(&b.id).await.unwrap();
    h.notices().await;
    let rejected = h
        .engine
        .decide(&a.id, decision(false, person("op-1")))
        .await
        .unwrap();
    assert_eq!(rejected.status, CaseStatus::Rejected);
    assert!(h.engine.evidence.is_sealed(&rejected).await.unwrap());
    let period = offboard_core::evidence::period_of(rejected.event.effective_at());
    let records = h
        .engine
        .evidence
        .store()
        .records(&period, &rejected.id)
        .await
        .unwrap();
    let approval = records
        .into_iter()
        .filter_map(|r| r.record.ok())
        .find(|r| r.body.step == "approval")
        .expect("the decision is in the evidence");
    assert!(
        approval.body.actor.contains("op-1"),
        "{}",
        approval.body.actor
    );

    // Not yet expired.
    h.clock.set(h.clock.now() + ChronoDuration::minutes(4319));
    assert_eq!(h.engine.expire_holds().await.unwrap(), 0);
    h.clock.set(h.clock.now() + ChronoDuration::minutes(2));
    assert_eq!(h.engine.expire_holds().await.unwrap(), 1);
    let expired = h.case(&b).await;
    assert_eq!(expired.status, CaseStatus::Rejected);
    assert!(expired.plan.is_none());
    assert!(h.engine.evidence.is_sealed(&expired).await.unwrap());
    let notices = h.notices().await;
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].kind, NotificationKind::HoldExpired);
    assert_eq!(h.drain().await, 0, "no step ever ran");
}

#[tokio::test]
async fn a_protected_leaver_is_held_whatever_the_count_but_not_an_operators_dismissal() {
    let mut f = facts();
    f.directory_roles.push(DirectoryRoleFact {
        assignment_id: "ra-1".into(),
        role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
        role_name: Some("Global Administrator".into()),
        privileged: true,
    });
    let h = harness_under(vec![], f, policy(25)).await;
    let c = h.open_case("ADMIN").await;
    h.engine.plan(&c.id).await.unwrap();
    let held = h.case(&c).await;
    assert_eq!(held.status, CaseStatus::AwaitingApproval);
    let hold = held.approval.unwrap().hold;
    assert_eq!(hold.reason, HoldReason::Protected);
    assert!(
        hold.detail.contains("Global Administrator"),
        "{}",
        hold.detail
    );
    let notices = h.notices().await;
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].kind, NotificationKind::HeldForApproval);

    let kill = h
        .open_case_from(
            "ADMIN2",
            HrEffectiveTime::Immediate,
            Source::Operator,
            TerminationKind::ForCause,
        )
        .await;
    h.engine.plan(&kill.id).await.unwrap();
    assert_eq!(h.status(&kill).await, CaseStatus::Running);
}

#[tokio::test]
async fn the_person_who_raised_a_termination_cannot_approve_it() {
    let h = harness_under(vec![], facts(), policy(0)).await;
    let c = h
        .open_case_from(
            "RAISED",
            HrEffectiveTime::Immediate,
            Source::Operator,
            TerminationKind::Involuntary,
        )
        .await;
    let mut stored = CaseStore::get(&*h.db, &c.id).await.unwrap().unwrap();
    stored.value.raised_by = Some(person("op-1"));
    CaseStore::replace(&*h.db, &stored.value, &stored.etag)
        .await
        .unwrap();
    h.engine.plan(&c.id).await.unwrap();
    assert_eq!(h.status(&c).await, CaseStatus::AwaitingApproval);
    assert!(matches!(
        h.engine.decide(&c.id, decision(true, person("op-1"))).await,
        Err(EngineError::Decision(DecisionError::SelfApproval { .. }))
    ));
    assert_eq!(h.status(&c).await, CaseStatus::AwaitingApproval);
    let approved = h
        .engine
        .decide(&c.id, decision(true, person("op-2")))
        .await
        .unwrap();
    assert_eq!(approved.status, CaseStatus::Received);
}

#[tokio::test]
async fn the_brake_takes_its_share_of_the_enabled_accounts_from_the_directory() {
    // 0.2 % of the directory's 1,000 enabled accounts is 2, below the count of 25.
    let text = DEFAULT_POLICY.replace(
        "# max_percent_of_enabled = 2.0",
        "max_percent_of_enabled = 0.2",
    );
    let h = harness_under(vec![], facts(), Policy::parse(&text).unwrap()).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let c = h.open_case(&format!("P{i}")).await;
        h.engine.plan(&c.id).await.unwrap();
        statuses.push(h.status(&c).await);
    }
    assert_eq!(
        statuses,
        [
            CaseStatus::Running,
            CaseStatus::Running,
            CaseStatus::AwaitingApproval
        ]
    );
}

#[tokio::test]
async fn the_plan_record_keeps_a_snapshot_of_what_the_leaver_had() {
    let h = harness(vec![], facts()).await;
    let c = h.open_case("SNAP").await;
    h.engine.plan(&c.id).await.unwrap();
    let period = offboard_core::evidence::period_of(c.event.effective_at());
    let plan = h
        .engine
        .evidence
        .store()
        .records(&period, &c.id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| r.record.ok())
        .find(|r| r.body.step == "plan")
        .expect("the plan record");
    let snapshot = &plan.body.details.as_ref().expect("details")["snapshot"];
    let before: Facts =
        serde_json::from_value(snapshot.clone()).expect("the snapshot is the facts");
    assert_eq!(before, facts());
    assert_eq!(snapshot["licences"][0]["skuId"], "e3");
    assert_eq!(snapshot["mailbox"]["recipientType"], "UserMailbox");
}
