//! Builds the whole handler from settings in one place and binds its port.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use offboard_core::effective::EffectivePolicy;
use offboard_service::compliance::Compliance;
use offboard_service::engine::{Engine, QueueNotifier};
use offboard_service::evidence::Evidence;
use offboard_service::m365::GraphDirectory;
use offboard_service::reconcile::Reconciler;
use offboard_service::scim::ScimService;
use offboard_service::settings::{IntakeSecrets, Settings};
use offboard_service::sinks::Sinks;
use offboard_service::{Clock, Intake, SystemClock};
use tokio::net::TcpListener;

use crate::routes;
use offboard_backends::{Backends, Identity, engine as engine_builder};

/// Everything a request needs.
#[derive(Clone)]
pub struct AppState {
    /// Intake use cases.
    pub intake: Intake,
    /// The SCIM service provider.
    pub scim: ScimService,
    /// The offboarding engine.
    pub engine: Engine,
    /// Where notifications are delivered.
    pub sinks: Arc<Sinks>,
    /// The adapters.
    pub backends: Backends,
    /// Provider secrets.
    pub secrets: IntakeSecrets,
    /// Effective-time policy.
    pub effective: EffectivePolicy,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Compliance queries, reports and verification.
    pub compliance: Compliance,
    /// The ghost-access scan.
    pub reconciler: Reconciler,
    /// Who holds rights on which mailbox (the `rights-index` functions refresh it).
    pub rights: offboard_service::rights_index::RightsIndexService,
    /// Sign-in of people and GRC tools, when configured.
    pub signin: Option<Arc<crate::signin::SignIn>>,
    /// Whether the compliance API's reads are served to function-key callers under
    /// `/api/keyed/...` (`OFFBOARD_COMPLIANCE_FUNCTION_KEYS`).
    pub compliance_function_keys: bool,
}

/// The running handler.
pub struct Application {
    port: u16,
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects the backends from `settings` and binds `127.0.0.1:port` (0 picks a free port).
    pub async fn build(settings: Settings, port: u16) -> anyhow::Result<Self> {
        let backends = Backends::connect(&settings).await?;
        Self::with_backends(settings, backends, Arc::new(SystemClock), port).await
    }

    /// Builds on given backends and clock (tests, the demo).
    pub async fn with_backends(
        settings: Settings,
        backends: Backends,
        clock: Arc<dyn Clock>,
        port: u16,
    ) -> anyhow::Result<Self> {
        let evidence = Evidence::new(
            backends.evidence.clone(),
            backends.index.clone(),
            backends.actor.clone(),
            clock.clone(),
        );
        let credential = engine_builder::credential(&settings, Identity::App)?;
        let engine_builder::Built {
            engine,
            tenant,
            agent,
            ..
        } = engine_builder::build(
            &settings,
            &backends,
            evidence.clone(),
            clock.clone(),
            credential,
        )?;
        let sinks = Arc::new(Sinks::from_settings(
            &settings.notify,
            Some(tenant.graph.clone()),
        )?);
        let compliance = Compliance::new(
            backends.cases.clone(),
            backends.findings.clone(),
            evidence.clone(),
        );
        let rights = engine_builder::rights_index(&tenant, &backends);
        // Intake resolves each leaver first (one person, one active offboarding), through the
        // HTTP-side Graph client, and notifies a reused event id on the notify queue.
        let intake = Intake::new(
            backends.cases.clone(),
            backends.queue.clone(),
            evidence.clone(),
            clock.clone(),
        )
        .with_directory(Arc::new(GraphDirectory::new(tenant.clone())))
        .with_notifier(Arc::new(QueueNotifier::new(backends.queue.clone())))
        // The kill switch: a due termination has sign-in cut before HR gets its answer.
        .with_kill_switch(engine.clone(), settings.sign_in_cut_budget);
        let reconciler = Reconciler::new(
            backends.cases.clone(),
            backends.findings.clone(),
            evidence.clone(),
            intake.clone(),
            tenant.graph.clone(),
            Arc::new(QueueNotifier::new(backends.queue.clone())),
            settings.population.clone(),
            settings.policy.clone(),
            settings.effective.clone(),
            clock.clone(),
        )
        .with_engine(engine.clone())
        .with_exchange(tenant.exchange.clone())
        .with_rights_index(rights.clone());
        let reconciler = match agent {
            Some(a) => reconciler.with_agent(a),
            None => reconciler,
        };
        let scim = ScimService::new(
            backends.scim_users.clone(),
            intake.clone(),
            settings.effective.clone(),
        );
        let compliance_function_keys = settings.compliance_function_keys;
        let state = AppState {
            intake,
            scim,
            engine,
            sinks,
            backends,
            secrets: settings.secrets,
            effective: settings.effective,
            clock,
            compliance,
            reconciler,
            rights,
            signin: settings
                .signin
                .as_ref()
                .map(|c| Arc::new(crate::signin::SignIn::new(c))),
            compliance_function_keys,
        };
        // The host calls the handler on loopback only.
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            port,
            listener,
            state,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) {
        warp::serve(routes::filter(self.state))
            .incoming(self.listener)
            .run()
            .await;
    }
}
