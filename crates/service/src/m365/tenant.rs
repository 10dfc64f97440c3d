//! The leaver's tenant as the steps reach it: the Graph and Exchange clients on one
//! credential, and how a Graph error becomes the engine's next move.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use offboard_graph::{
    ExchangeClient, ExchangeClientOptions, GraphClient, GraphClientOptions, GraphError,
};

use crate::attempt::StepFailure;

/// The leaver's Microsoft 365 tenant: Graph for Entra ID, licences, groups, roles, Intune,
/// OneDrive and mailbox settings; Exchange Online for what Graph lacks (shared mailbox,
/// address lists, mailbox permissions).
#[derive(Clone, Debug)]
pub struct Tenant {
    /// Microsoft Graph v1.0.
    pub graph: GraphClient,
    /// Exchange Online admin (`InvokeCommand`).
    pub exchange: ExchangeClient,
}

/// Options of both clients (retry bounds, timeouts); the defaults suit production.
#[derive(Clone, Debug, Default)]
pub struct TenantOptions {
    /// Graph client options.
    pub graph: GraphClientOptions,
    /// Exchange client options.
    pub exchange: ExchangeClientOptions,
}

impl TenantOptions {
    /// The options of the queue-triggered functions. Every `429` goes straight back to the
    /// engine, which re-enqueues the step with the `Retry-After` delay without spending the
    /// message's dequeue count (waiting in the invocation would hold the step's claim and a
    /// worker); other transient failures are retried in the call, briefly.
    pub fn for_queue_workers() -> Self {
        let retry = offboard_graph::RetryOptions {
            max_attempts: 3,
            max_retry_after: std::time::Duration::ZERO,
            ..offboard_graph::RetryOptions::default()
        };
        let timeout = std::time::Duration::from_secs(20);
        let graph = GraphClientOptions {
            retry: retry.clone(),
            timeout,
            // A write a few seconds from a free slot waits for it; one further away goes back
            // to the queue with the wait, like a 429 but without asking Graph.
            max_pace_wait: std::time::Duration::from_secs(5),
            ..GraphClientOptions::default()
        };
        let mut exchange = ExchangeClientOptions::default();
        exchange.base.retry = retry;
        exchange.base.timeout = timeout;
        Self { graph, exchange }
    }
}

impl TenantOptions {
    /// The same options with the instance's shared write pacer.
    pub fn with_pacer(mut self, pacer: Arc<offboard_graph::WritePacer>) -> Self {
        self.graph.pacer = Some(pacer);
        self
    }
}

impl Tenant {
    /// A tenant reached at `graph_endpoint` (`https://graph.microsoft.com/v1.0`) and
    /// `exchange_endpoint` (`https://outlook.office365.com`) for `tenant_id` (GUID or initial
    /// domain), authenticating with `credential` — in production the function app's
    /// `ManagedIdentityCredential`.
    pub fn new(
        graph_endpoint: impl Into<String>,
        exchange_endpoint: impl Into<String>,
        tenant_id: impl Into<String>,
        credential: Arc<dyn TokenCredential>,
    ) -> Result<Self, GraphError> {
        Self::with_options(
            graph_endpoint,
            exchange_endpoint,
            tenant_id,
            credential,
            TenantOptions::default(),
        )
    }

    /// [`Tenant::new`] with explicit client options.
    pub fn with_options(
        graph_endpoint: impl Into<String>,
        exchange_endpoint: impl Into<String>,
        tenant_id: impl Into<String>,
        credential: Arc<dyn TokenCredential>,
        options: TenantOptions,
    ) -> Result<Self, GraphError> {
        Ok(Self {
            graph: GraphClient::new(graph_endpoint, credential.clone(), options.graph)?,
            exchange: ExchangeClient::new(
                exchange_endpoint,
                tenant_id,
                credential,
                options.exchange,
            )?,
        })
    }
}

/// What a person should do about a permanent failure, from its status.
pub fn advice(err: &GraphError) -> &'static str {
    match err {
        GraphError::Throttled { .. } | GraphError::Transient(_) => {
            "retry later; offboard does so by itself"
        }
        GraphError::NotApplicable { .. } => {
            "handle it where the object is mastered (see the reason), then retry the step"
        }
        GraphError::Permanent(i) => match i.status {
            Some(401) => {
                "the managed identity's token was refused: check the function app's identity and the tenant id, then retry the step"
            }
            Some(403) => {
                "the managed identity lacks a permission or directory role for this call (see offboard_graph::permissions); a leaver holding a privileged role needs a human: grant what is missing or do it by hand, then retry the step"
            }
            Some(404) => {
                "the object no longer exists in the tenant: check it by hand, then retry the step"
            }
            _ => {
                "quote the request id to Microsoft support if it persists; fix the cause, then retry the step"
            }
        },
    }
}

/// Maps a failed call to what the engine does next: a throttled call waits `Retry-After`, a
/// transient one is retried with backoff, anything else fails the step with Graph's request id
/// and advice. `doing` names the call in words (`read the leaver`).
pub fn step_failure(err: &GraphError, doing: &str) -> StepFailure {
    match err {
        GraphError::Throttled { retry_after, info } => StepFailure::Throttled {
            retry_after: *retry_after,
            detail: format!("{doing}: {info}"),
        },
        GraphError::Transient(info) => StepFailure::Transient {
            detail: format!("{doing}: {info}"),
        },
        GraphError::Permanent(info) => StepFailure::Permanent {
            detail: format!("{doing} failed: {info}; {}", advice(err)),
            action: None,
        },
        GraphError::NotApplicable { reason, info } => StepFailure::Permanent {
            detail: format!(
                "{doing} was refused: {} ({info}); {}",
                reason.describe(),
                advice(err)
            ),
            action: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offboard_graph::ErrorInfo;
    use std::time::Duration;

    fn info(status: u16) -> ErrorInfo {
        ErrorInfo {
            status: Some(status),
            code: "Authorization_RequestDenied".into(),
            message: "Insufficient privileges to complete the operation.".into(),
            request_id: Some("req-42".into()),
            client_request_id: None,
        }
    }

    #[test]
    fn graph_errors_map_to_what_the_engine_does_next() {
        let throttled = GraphError::Throttled {
            retry_after: Duration::from_secs(42),
            info: info(429),
        };
        assert!(matches!(
            step_failure(&throttled, "read"),
            StepFailure::Throttled { retry_after, .. } if retry_after == Duration::from_secs(42)
        ));
        assert!(matches!(
            step_failure(&GraphError::Transient(info(503)), "read"),
            StepFailure::Transient { .. }
        ));
        match step_failure(&GraphError::Permanent(info(403)), "block sign-in") {
            StepFailure::Permanent { detail, .. } => {
                assert!(detail.contains("req-42"), "{detail}");
                assert!(detail.contains("permission"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }
}
