//! The AD steps against a scripted agent channel: each agent answer and relay error maps onto
//! the step outcome `ad_common`'s table promises, the command is signed and verifiable by an
//! agent trusting the key, and nothing secret reaches the evidence.
//!
//! The same steps against the real agent, relay and Samba AD DC: `tests/e2e/hybrid.rs`.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::{Arc, Mutex};

use offboard_agent_proto::{
    Action, ActionResult, AddressListVisibility, AgentCommand, AgentIdentity, AgentResponse,
    CommandRejection, CommandResult, CommandSigningKey, CommandVerifier, ItemResult,
    Outcome as AgentOutcome, RefusalReason, RejectedCommand, SafetyCheck, SignedCommand,
    UserLocator, UserState, VerificationPolicy,
};
use offboard_core::case::Case;
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use offboard_core::evidence::Outcome;
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::notify::{Notification, NotificationKind};
use offboard_core::plan::{self, Facts, PersonRef, Plan, StepKind, StepStatus};
use offboard_core::policy::{KindPolicy, Policy};
use offboard_core::ports::QueueError;
use offboard_core::signature::Verified;
use offboard_relay::RelayError;

use super::*;
use crate::engine::Notifier;
use crate::onprem::{AgentChannel, OnPremAgent, UNREACHABLE_AFTER_ATTEMPTS};

type Script = Box<dyn Fn(&AgentCommand) -> Result<AgentResponse, RelayError> + Send + Sync>;

/// A channel that verifies each command as an agent would and answers from a script.
struct ScriptedAgent {
    verifier: CommandVerifier,
    answer: Script,
    sent: Mutex<Vec<(SignedCommand, AgentCommand)>>,
}

#[async_trait]
impl AgentChannel for ScriptedAgent {
    async fn send(&self, signed: &SignedCommand) -> Result<AgentResponse, RelayError> {
        let command = self
            .verifier
            .verify(signed, Utc::now())
            .expect("the command verifies with the handler's public key");
        self.sent
            .lock()
            .unwrap()
            .push((signed.clone(), command.clone()));
        (self.answer)(&command)
    }
    fn describe(&self) -> String {
        "hybrid connection offboard-agent on test".into()
    }
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Notification>>);

#[async_trait]
impl Notifier for Recorder {
    async fn notify(&self, n: &Notification) -> Result<(), QueueError> {
        self.0.lock().unwrap().push(n.clone());
        Ok(())
    }
}

struct Rig {
    channel: Arc<ScriptedAgent>,
    notes: Arc<Recorder>,
    agent: Arc<OnPremAgent>,
    key_seed: String,
}

fn rig(answer: Script) -> Rig {
    let key = Arc::new(CommandSigningKey::generate());
    let channel = Arc::new(ScriptedAgent {
        verifier: CommandVerifier::new(vec![key.verifying_key()], VerificationPolicy::default()),
        answer,
        sent: Mutex::new(Vec::new()),
    });
    let notes = Arc::new(Recorder::default());
    let agent =
        Arc::new(OnPremAgent::new(channel.clone(), key.clone()).with_notifier(notes.clone()));
    Rig {
        channel,
        notes,
        agent,
        key_seed: key.to_base64_secret(),
    }
}

impl Rig {
    fn commands(&self) -> Vec<AgentCommand> {
        self.channel
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|(_, c)| c.clone())
            .collect()
    }
}

struct Leaver {
    case: Case,
    plan: Plan,
    policy: KindPolicy,
    since: DateTime<Utc>,
}

fn leaver() -> Leaver {
    let now = Utc::now();
    let facts = Facts {
        user: PersonRef {
            id: "u-diego".into(),
            user_principal_name: Some("diego@contoso.com".into()),
            display_name: Some("Diego".into()),
            mail: None,
        },
        resolved_by: "employeeId".into(),
        synced: true,
        employee_id: None,
        on_premises_sam_account_name: Some("DiegoS".into()),
        account_enabled: true,
        licences: vec![],
        groups: vec![],
        directory_roles: vec![],
        app_roles: vec![],
        oauth_grants: vec![],
        pim_eligibilities: Vec::new(),
        owned_objects: Vec::new(),
        auth_methods: vec![],
        devices: vec![],
        mailbox: None,
        drive: None,
        sharing: None,
        manager: None,
    };
    let event = TerminationEvent::new(
        TerminationFacts {
            source: Source::Generic,
            source_event_id: "evt-diego".into(),
            source_subject_id: None,
            employee: EmployeeIdentifiers::new(Some("E1003".into()), None, None, None).unwrap(),
            kind: TerminationKind::Involuntary,
            hr_effective: HrEffectiveTime::Immediate,
            reason: None,
        },
        &Verified::by_function_key(b"{}", now),
        &EffectivePolicy::default(),
    )
    .unwrap();
    let policy = Policy::builtin()
        .for_kind(TerminationKind::Involuntary)
        .clone();
    let plan = plan::build(facts, &policy, now);
    Leaver {
        case: Case::open(event, now),
        plan,
        policy,
        since: now,
    }
}

impl Leaver {
    fn ctx(&mut self, kind: StepKind, attempts: u32) -> StepContext<'_> {
        self.plan.step_mut(kind).unwrap().attempts = attempts;
        StepContext {
            case: &self.case,
            plan: &self.plan,
            step: self.plan.step(kind).unwrap(),
            facts: &self.plan.facts,
            policy: &self.policy,
            since: self.since,
            now: Utc::now(),
        }
    }
}

const DN: &str = "CN=Diego Siciliani,OU=Staff,DC=corp,DC=contoso,DC=com";
const DISABLED_DN: &str = "CN=Diego Siciliani,OU=Disabled Users,DC=corp,DC=contoso,DC=com";
const GROUP: &str = "CN=Sales,OU=Groups,DC=corp,DC=contoso,DC=com";
const FOREIGN: &str = "CN=Legacy,OU=Unmanaged,DC=corp,DC=contoso,DC=com";

fn state(uac: u32) -> UserState {
    UserState {
        dn: DN.into(),
        object_guid: uuid::Uuid::from_u128(0x1234),
        sam_account_name: "DiegoS".into(),
        user_principal_name: Some("diego@corp.contoso.com".into()),
        employee_id: Some("E1003".into()),
        user_account_control: uac,
        disabled: uac & 2 != 0,
        pwd_last_set: None,
        member_of: vec![],
        primary_group_id: Some(513),
        description: None,
        info: None,
        hide_from_address_lists: AddressListVisibility::Visible,
    }
}

fn executed(
    command: &AgentCommand,
    before: UserState,
    after: UserState,
    outcomes: Vec<(AgentOutcome, Vec<ItemResult>)>,
) -> AgentResponse {
    AgentResponse::Executed(Box::new(CommandResult {
        command_id: command.id,
        case_id: command.case_id.clone(),
        agent: AgentIdentity {
            name: "dc-agent-01".into(),
            version: "test".into(),
        },
        started_at: Utc::now(),
        finished_at: Utc::now(),
        before: Some(before),
        after: Some(after),
        safety: Some(SafetyCheck {
            in_managed_ou: true,
            protected_by: None,
        }),
        actions: command
            .actions
            .iter()
            .cloned()
            .zip(outcomes)
            .map(|(action, (outcome, items))| ActionResult {
                action,
                outcome,
                items,
            })
            .collect(),
        accounts: None,
    }))
}

fn no_secret_in(report: &StepReport, secrets: &[&str]) {
    let text = format!("{report:?}");
    for s in secrets {
        assert!(!text.contains(s), "a secret reached the evidence");
    }
}

#[tokio::test]
async fn a_disable_is_verified_with_every_other_bit_kept_and_the_command_is_signed() {
    let r = rig(Box::new(|c| {
        Ok(executed(
            c,
            state(0x10200),
            state(0x10202),
            vec![(AgentOutcome::Done, vec![])],
        ))
    }));
    let mut l = leaver();
    let report = AdDisable::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdDisable, 1))
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Verified, "{report:?}");
    let a = &report.actions[0];
    assert_eq!(a.target_system, "ad");
    assert_eq!(a.outcome, Outcome::Verified);
    let rb = a.read_back.as_ref().unwrap();
    assert_eq!(rb.expected["userAccountControl"], 0x10202);
    assert_eq!(rb.observed["userAccountControl"], 0x10202);
    assert_eq!(a.request.as_ref().unwrap().method, "LDAP modify");
    let commands = r.commands();
    assert_eq!(commands.len(), 1);
    let c = &commands[0];
    assert_eq!(c.target, Some(UserLocator::SamAccountName("DiegoS".into())));
    assert_eq!(c.actions, vec![Action::Disable]);
    assert_eq!(c.case_id.as_str(), l.case.id.as_str());
    assert!(c.expires_at - c.issued_at <= TimeDelta::minutes(15));
    assert_eq!(
        a.service_request_id.as_deref(),
        Some(c.id.to_string().as_str())
    );
    no_secret_in(&report, &[&r.key_seed]);
}

#[tokio::test]
async fn an_account_already_disabled_is_verified_without_a_write() {
    let r = rig(Box::new(|c| {
        Ok(executed(
            c,
            state(514),
            state(514),
            vec![(AgentOutcome::AlreadyDone, vec![])],
        ))
    }));
    let mut l = leaver();
    let report = AdDisable::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdDisable, 2))
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Verified);
    let a = &report.actions[0];
    assert_eq!(a.request.as_ref().unwrap().method, "LDAP search");
    assert_eq!(a.details.as_ref().unwrap()["changed"], false);
}

#[tokio::test]
async fn a_protected_account_is_failed_with_the_rail_never_reported_done() {
    let refused = AgentOutcome::Refused {
        reason: RefusalReason::ProtectedAccount {
            group_dn: "CN=Tier0,OU=Groups,DC=corp".into(),
        },
    };
    let r = rig(Box::new(move |c| {
        Ok(executed(
            c,
            state(512),
            state(512),
            vec![(refused.clone(), vec![])],
        ))
    }));
    let mut l = leaver();
    let report = AdDisable::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdDisable, 1))
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Failed);
    let why = report.reason.unwrap();
    assert!(why.contains("CN=Tier0") && why.contains("Tier-0"), "{why}");

    // Disabled by hand afterwards: the retry records the state, noting the refusal.
    let refused = AgentOutcome::Refused {
        reason: RefusalReason::AdminCount,
    };
    let r = rig(Box::new(move |c| {
        Ok(executed(
            c,
            state(514),
            state(514),
            vec![(refused.clone(), vec![])],
        ))
    }));
    let report = AdDisable::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdDisable, 2))
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Verified);
    assert_eq!(
        report.actions[0].details.as_ref().unwrap()["refusedBy"]["rail"],
        "adminCount"
    );
}

#[tokio::test]
async fn an_account_outside_the_managed_ous_or_not_found_fails_with_what_to_do() {
    let outside = AgentOutcome::Refused {
        reason: RefusalReason::OutsideManagedOus { dn: DN.into() },
    };
    let r = rig(Box::new(move |c| {
        Ok(executed(
            c,
            state(512),
            state(512),
            vec![(outside.clone(), vec![])],
        ))
    }));
    let mut l = leaver();
    let report = AdDisable::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdDisable, 1))
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Failed);
    assert!(report.reason.unwrap().contains("managed_ous"));

    let r = rig(Box::new(|c| {
        let AgentResponse::Executed(mut e) = executed(
            c,
            state(512),
            state(512),
            vec![(AgentOutcome::NotFound, vec![])],
        ) else {
            unreachable!()
        };
        e.before = None;
        e.after = None;
        e.safety = None;
        Ok(AgentResponse::Executed(e))
    }));
    let report = AdDisable::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdDisable, 1))
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Failed);
    let a = &report.actions[0];
    assert!(
        a.reason
            .as_deref()
            .unwrap()
            .contains("sAMAccountName DiegoS")
    );
    assert!(a.read_back.is_none());
    assert_eq!(a.target_ids, vec!["sAMAccountName DiegoS".to_owned()]);
}

#[tokio::test]
async fn no_listener_is_transient_and_the_third_attempt_tells_a_person() {
    let r = rig(Box::new(|_| {
        Err(RelayError::NoListener {
            path: "offboard-agent".into(),
            status: 502,
        })
    }));
    let mut l = leaver();
    let step = AdDisable::new(r.agent.clone());
    for attempt in 1..=UNREACHABLE_AFTER_ATTEMPTS + 1 {
        let err = step
            .run(&l.ctx(StepKind::AdDisable, attempt))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StepFailure::Transient { detail } if detail.contains("no agent is listening")),
            "{err:?}"
        );
    }
    let notes = r.notes.0.lock().unwrap().clone();
    assert_eq!(notes.len(), 1, "told once: {notes:?}");
    assert_eq!(notes[0].kind, NotificationKind::AgentUnreachable);
    assert!(notes[0].what.contains("ad-disable"));
    assert!(notes[0].action.contains("offboard-agent"));
    assert_eq!(r.commands().len(), 4, "every attempt is a new command");
    let ids: std::collections::HashSet<_> = r.commands().iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 4, "never the same command id twice");

    // A timeout is transient too; a refused credential is not.
    let r = rig(Box::new(|_| {
        Err(RelayError::Timeout {
            source_of_timeout: "relay answered 504".into(),
        })
    }));
    assert!(matches!(
        AdDisable::new(r.agent.clone())
            .run(&l.ctx(StepKind::AdDisable, 1))
            .await,
        Err(StepFailure::Transient { .. })
    ));
    let r = rig(Box::new(|_| {
        Err(RelayError::Unauthorized {
            detail: "bad token".into(),
        })
    }));
    let Err(StepFailure::Permanent { detail, action }) = AdDisable::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdDisable, 1))
        .await
    else {
        panic!("a 401 is permanent")
    };
    assert!(detail.contains("401"));
    assert_eq!(action.unwrap().outcome, Outcome::Failed);
}

#[tokio::test]
async fn a_rejected_command_is_permanent_and_a_transient_action_retries_the_step() {
    let r = rig(Box::new(|c| {
        Ok(AgentResponse::Rejected(RejectedCommand {
            command_id: Some(c.id),
            rejection: CommandRejection::BadSignature,
            agent: AgentIdentity {
                name: "dc-agent-01".into(),
                version: "test".into(),
            },
            at: Utc::now(),
        }))
    }));
    let mut l = leaver();
    let Err(StepFailure::Permanent { detail, action }) = AdDisable::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdDisable, 1))
        .await
    else {
        panic!("a rejected command is permanent")
    };
    assert!(detail.contains("forged or altered"), "{detail}");
    assert_eq!(
        action.unwrap().details.unwrap()["rejection"]["reason"],
        "badSignature"
    );

    let r = rig(Box::new(|c| {
        Ok(executed(
            c,
            state(512),
            state(512),
            vec![(
                AgentOutcome::TransientError {
                    message: "DC busy".into(),
                },
                vec![],
            )],
        ))
    }));
    assert!(matches!(
        AdDisable::new(r.agent.clone()).run(&l.ctx(StepKind::AdDisable, 1)).await,
        Err(StepFailure::Transient { detail }) if detail.contains("DC busy")
    ));
}

#[tokio::test]
async fn a_password_reset_is_verified_by_the_cases_marker_not_by_the_clock() {
    let r = rig(Box::new(|c| {
        let mut after = state(514);
        after.pwd_last_set = Some(Utc::now());
        after.info = Some(format!(
            "old notes\r\n{}",
            offboard_agent_proto::reset_marker(&c.case_id)
        ));
        let mut before = state(514);
        before.pwd_last_set = Some(Utc::now() - TimeDelta::days(30));
        Ok(executed(
            c,
            before,
            after,
            vec![(AgentOutcome::Done, vec![])],
        ))
    }));
    let mut l = leaver();
    let report = AdResetPassword::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdResetPassword, 1))
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Verified, "{report:?}");
    assert_eq!(r.commands()[0].actions, vec![Action::ResetPassword]);
    let a = &report.actions[0];
    assert!(a.request.as_ref().unwrap().target.contains("unicodePwd"));
    no_secret_in(&report, &[&r.key_seed]);

    // A fresh pwdLastSet without this case's marker (someone else's reset, seconds before the
    // step) is not the reset, even though the agent says done.
    let r = rig(Box::new(|c| {
        let mut after = state(514);
        after.pwd_last_set = Some(Utc::now());
        after.info = Some("offboard: password reset for case c-another".into());
        Ok(executed(
            c,
            state(514),
            after,
            vec![(AgentOutcome::AlreadyDone, vec![])],
        ))
    }));
    let report = AdResetPassword::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdResetPassword, 1))
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Failed, "{report:?}");
}

#[tokio::test]
async fn a_refused_reset_is_never_verified_by_a_recent_password_change() {
    let r = rig(Box::new(|c| {
        // Set a second ago by someone else; the agent refused to touch the account.
        let mut s = state(514);
        s.pwd_last_set = Some(Utc::now() - TimeDelta::seconds(1));
        let refused = AgentOutcome::Refused {
            reason: RefusalReason::ProtectedAccount {
                group_dn: "CN=Tier0,DC=corp".into(),
            },
        };
        Ok(executed(c, s.clone(), s, vec![(refused, vec![])]))
    }));
    let mut l = leaver();
    let report = AdResetPassword::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdResetPassword, 1))
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::Failed, "{report:?}");
    let a = &report.actions[0];
    assert_eq!(a.outcome, Outcome::Failed);
    assert_eq!(a.read_back.as_ref().map(|r| r.matches), Some(false));
    let why = a.reason.as_deref().unwrap();
    assert!(
        why.contains("CN=Tier0,DC=corp") && why.contains("cannot verify"),
        "{why}"
    );
}

#[tokio::test]
async fn cleanup_records_each_action_and_a_foreign_group_is_an_exception() {
    let r = rig(Box::new(|c| {
        let mut before = state(514);
        before.member_of = vec![GROUP.into(), FOREIGN.into()];
        let mut after = state(514);
        after.dn = DISABLED_DN.into();
        after.member_of = vec![FOREIGN.into()];
        let text = offboard_agent_proto::stamp_text(
            &c.case_id,
            match c.actions[2] {
                Action::Stamp { date } => date,
                _ => panic!("stamp third"),
            },
        );
        after.description = Some(text.clone());
        after.info = Some(format!("old notes\r\n{text}"));
        after.hide_from_address_lists = AddressListVisibility::NotInSchema;
        let foreign = AgentOutcome::Refused {
            reason: RefusalReason::GroupOutsideManagedOus {
                group_dn: FOREIGN.into(),
            },
        };
        Ok(executed(
            c,
            before,
            after,
            vec![
                (
                    foreign.clone(),
                    vec![
                        ItemResult {
                            dn: GROUP.into(),
                            outcome: AgentOutcome::Done,
                        },
                        ItemResult {
                            dn: FOREIGN.into(),
                            outcome: foreign,
                        },
                    ],
                ),
                (AgentOutcome::Done, vec![]),
                (AgentOutcome::Done, vec![]),
                (
                    AgentOutcome::NotApplicable {
                        reason: "no Exchange schema".into(),
                    },
                    vec![],
                ),
            ],
        ))
    }));
    let mut l = leaver();
    let report = AdCleanup::new(r.agent.clone())
        .run(&l.ctx(StepKind::AdCleanup, 1))
        .await
        .unwrap();
    let outcomes: Vec<Outcome> = report.actions.iter().map(|a| a.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            Outcome::Exception,
            Outcome::Verified,
            Outcome::Verified,
            Outcome::NotApplicable
        ],
        "{report:#?}"
    );
    assert_eq!(report.status, StepStatus::Exception);
    assert!(report.reason.unwrap().contains(FOREIGN));
    assert_eq!(
        report.actions[0].details.as_ref().unwrap()["items"][0]["outcome"]["outcome"],
        "done"
    );
    assert_eq!(
        report.actions[1].request.as_ref().unwrap().method,
        "LDAP modrdn"
    );
    assert!(report.actions[3].read_back.is_none(), "nothing to compare");
    assert_eq!(
        report.actions[3].reason.as_deref(),
        Some("no Exchange schema")
    );
    let c = &r.commands()[0];
    assert_eq!(
        c.actions[..2],
        [Action::RemoveGroupMemberships, Action::MoveToDisabledOu]
    );
    assert_eq!(c.actions[3], Action::HideFromAddressLists);
}

#[tokio::test]
async fn a_misconfigured_agent_fails_each_ad_step_with_the_setting_to_fix() {
    let registry =
        with_ad_steps_unavailable(StepRegistry::new(), "OFFBOARD_AGENT_SIGNING_KEY is not set");
    let mut l = leaver();
    for kind in [
        StepKind::AdDisable,
        StepKind::AdResetPassword,
        StepKind::AdCleanup,
    ] {
        let step = registry.get(kind).unwrap().clone();
        let Err(StepFailure::Permanent { detail, action }) = step.run(&l.ctx(kind, 1)).await else {
            panic!("{kind} must fail")
        };
        assert!(detail.contains("OFFBOARD_AGENT_SIGNING_KEY"));
        assert_eq!(action.unwrap().target_system, "ad");
    }
}
