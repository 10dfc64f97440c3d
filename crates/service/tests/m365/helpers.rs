//! Test kit: a tenant simulator per test (the demo tenant, least-privilege identity), a
//! credential that speaks the App Service managed-identity protocol to it, the [`Tenant`] and
//! [`GraphDirectory`] on top, and a leaver's case and plan built from the directory's real
//! facts, so a step runs exactly as the engine would run it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use offboard_core::case::Case;
use offboard_core::effective::{EffectivePolicy, HrEffectiveTime};
use offboard_core::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use offboard_core::ids::EmployeeIdentifiers;
use offboard_core::plan::{self, Plan, StepKind};
use offboard_core::policy::{KindPolicy, Policy};
use offboard_core::signature::Verified;
use offboard_graph::{ExchangeClientOptions, GraphClientOptions, RetryOptions};
use offboard_service::engine::Directory;
use offboard_service::m365::{GraphDirectory, Tenant, TenantOptions};
use offboard_service::steps::{StepAction, StepContext, StepFailure, StepReport};
use standin_tenant::{LoggedRequest, SimConfig, SimHandle, TenantSim};

pub use standin_tenant::demo::ids;

use standin_identity::EndpointCredential as SimCredential;

/// Retry bounds short enough for tests: a `Retry-After` over 5 s is handed back at once.
pub fn fast_retry() -> RetryOptions {
    RetryOptions {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
        retry_after_jitter: Duration::from_millis(20),
    }
}

/// A simulator and offboard's view of it.
pub struct Env {
    pub sim: SimHandle,
    pub tenant: Arc<Tenant>,
    pub directory: GraphDirectory,
}

pub async fn env() -> Env {
    env_with(SimConfig::default()).await
}

pub async fn env_with(config: SimConfig) -> Env {
    let sim = TenantSim::spawn(config).await.unwrap();
    let credential =
        Arc::new(SimCredential::new(sim.identity_endpoint(), sim.identity_header()).unwrap());
    let mut exchange = ExchangeClientOptions::default();
    exchange.base.retry = fast_retry();
    let tenant = Arc::new(
        Tenant::with_options(
            sim.graph_base(),
            sim.exchange_base(),
            sim.tenant_id(),
            credential,
            TenantOptions {
                graph: GraphClientOptions {
                    retry: fast_retry(),
                    ..Default::default()
                },
                exchange,
            },
        )
        .unwrap(),
    );
    let directory = GraphDirectory::new(tenant.clone());
    Env {
        sim,
        tenant,
        directory,
    }
}

/// A leaver's case, plan and policy, as the engine holds them when it runs a step.
pub struct Leaver {
    pub case: Case,
    pub plan: Plan,
    pub policy: KindPolicy,
    /// When the step was first started.
    pub since: DateTime<Utc>,
}

impl Leaver {
    /// The context the engine would give `kind` now.
    pub fn ctx(&self, kind: StepKind) -> StepContext<'_> {
        self.ctx_at(kind, Utc::now())
    }

    /// The context at `now` (to step past a window).
    pub fn ctx_at(&self, kind: StepKind, now: DateTime<Utc>) -> StepContext<'_> {
        StepContext {
            case: &self.case,
            plan: &self.plan,
            step: self.plan.step(kind).expect("the planner lists every kind"),
            facts: &self.plan.facts,
            policy: &self.policy,
            since: self.since,
            now,
        }
    }
}

/// Reads the leaver's facts from the simulator and plans a voluntary termination.
pub async fn leaver(env: &Env, user_id: &str) -> Leaver {
    leaver_as(env, user_id, TerminationKind::Voluntary).await
}

pub async fn leaver_as(env: &Env, user_id: &str, kind: TerminationKind) -> Leaver {
    let facts = env.directory.facts(user_id, "employeeId").await.unwrap();
    let now = Utc::now();
    let employee =
        EmployeeIdentifiers::new(None, facts.user.user_principal_name.clone(), None, None).unwrap();
    let event = TerminationEvent::new(
        TerminationFacts {
            source: Source::Generic,
            source_event_id: format!("evt-{user_id}"),
            source_subject_id: None,
            employee,
            kind,
            hr_effective: HrEffectiveTime::Immediate,
            reason: None,
        },
        &Verified::by_function_key(b"{}", now),
        &EffectivePolicy::default(),
    )
    .unwrap();
    let policy = Policy::builtin().for_kind(kind).clone();
    let plan = plan::build(facts, &policy, now);
    plan.validate().unwrap();
    Leaver {
        case: Case::open(event, now),
        plan,
        policy,
        since: now,
    }
}

/// Runs one step of `leaver` now.
pub async fn run(step: &dyn StepAction, leaver: &Leaver) -> Result<StepReport, StepFailure> {
    step.run(&leaver.ctx(step.kind())).await
}

/// Whether a logged request changed the tenant: a Graph call other than GET (batch items are
/// logged one by one; the `$batch` envelope itself is not a change), or an Exchange cmdlet
/// other than `Get-*`.
pub fn is_write(r: &LoggedRequest) -> bool {
    match r.service.as_str() {
        "exchange" => !r
            .cmdlet
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("get-")),
        _ => r.method != "GET" && r.path != "/$batch",
    }
}

/// The changes the tenant received, as `METHOD path` or `cmdlet`.
pub fn writes(sim: &SimHandle) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|r| is_write(r))
        .map(|r| match &r.cmdlet {
            Some(c) => c.clone(),
            None => format!("{} {}", r.method, r.path),
        })
        .collect()
}

/// Runs the step twice: the first run must change the tenant, the replay must not (no
/// second PATCH/POST/DELETE or Set-/Add- cmdlet). Returns both reports.
pub async fn twice(
    step: &dyn StepAction,
    leaver: &Leaver,
    sim: &SimHandle,
) -> (StepReport, StepReport) {
    let first = run(step, leaver).await.unwrap();
    let after_first = writes(sim);
    assert!(
        !after_first.is_empty(),
        "{}: the first run changed nothing",
        step.kind()
    );
    let second = run(step, leaver).await.unwrap();
    assert_eq!(
        writes(sim),
        after_first,
        "{}: the replay wrote again",
        step.kind()
    );
    (first, second)
}
