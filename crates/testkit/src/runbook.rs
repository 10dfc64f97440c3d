//! The baseline offboard is compared with: the runbook most teams run today (a PowerShell or
//! CIPP-style job), one leaver at a time, one Graph or Exchange call after another, no
//! `$batch`, waiting out `Retry-After` in place, an error noted and the next line run. It
//! makes the same removals as offboard's plan for the synthetic leavers, against the same
//! simulator, and records when each leaver's sign-in was cut and when the leaver was done.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use offboard_graph::{
    AutoReplyStatus, AutomaticReplies, DriveRole, ExchangeClient, ExchangeClientOptions,
    ExternalAudience, GraphClient, GraphClientOptions, RetryOptions, WritePacer, WriteQuota,
};
use secrecy::SecretString;

use crate::leavers::Leaver;

/// When the runbook reached one leaver's milestones.
#[derive(Clone, Debug)]
pub struct RunbookLeaver {
    /// Sign-in blocked and sessions revoked (the calls answered).
    pub cut_at: DateTime<Utc>,
    /// The last call for the leaver answered.
    pub done_at: DateTime<Utc>,
    /// Calls that failed and were passed over, as a script with `-ErrorAction Continue` does.
    pub errors: usize,
}

/// The runbook's clients: no client-side pacing (a quota larger than anything it sends) and
/// retries that wait out any `Retry-After` in place, as `Invoke-MgGraphRequest` loops do.
pub fn clients(
    graph_endpoint: &str,
    exchange_endpoint: &str,
    tenant_id: &str,
    credential: Arc<dyn azure_core::credentials::TokenCredential>,
) -> anyhow::Result<(GraphClient, ExchangeClient)> {
    let retry = RetryOptions {
        max_attempts: 50,
        max_retry_after: Duration::from_secs(600),
        ..RetryOptions::default()
    };
    let unpaced = Arc::new(WritePacer::new(WriteQuota {
        writes: u32::MAX,
        window: Duration::from_secs(1),
    }));
    let graph = GraphClient::new(
        graph_endpoint,
        credential.clone(),
        GraphClientOptions {
            retry: retry.clone(),
            pacer: Some(unpaced),
            ..GraphClientOptions::default()
        },
    )?;
    let mut xo = ExchangeClientOptions::default();
    xo.base.retry = retry;
    let exchange = ExchangeClient::new(exchange_endpoint, tenant_id, credential, xo)?;
    Ok((graph, exchange))
}

/// Offboards `l` the runbook way; `manager_upn` receives the mailbox and the OneDrive.
pub async fn offboard(
    graph: &GraphClient,
    exchange: &ExchangeClient,
    l: &Leaver,
    manager_upn: &str,
) -> anyhow::Result<RunbookLeaver> {
    let mut errors = 0;
    let mut note = |r: Result<(), offboard_graph::GraphError>| {
        if r.is_err() {
            errors += 1;
        }
    };
    let user = graph.get_user(&l.upn).await?.value;
    let id = user.id.clone();
    graph.set_account_enabled(&id, false).await?;
    graph.revoke_sign_in_sessions(&id).await?;
    let cut_at = Utc::now();
    let password: String = (0..24)
        .map(|_| char::from(b'!' + rand::random::<u8>() % 90))
        .collect();
    let password = SecretString::from(format!("{password}aA1!"));
    note(graph.reset_password(&id, &password, true).await.map(drop));
    for m in graph.authentication_methods(&id).await?.value {
        if m.kind.collection().is_some() {
            note(graph.delete_authentication_method(&id, &m).await.map(drop));
        }
    }
    for a in graph.app_role_assignments(&id).await?.value {
        note(graph.remove_app_role_assignment(&id, &a.id).await.map(drop));
    }
    for d in graph.managed_devices(&id).await?.value {
        note(graph.retire_device(&d.id).await.map(drop));
    }
    for g in graph.member_of_groups(&id).await?.value {
        note(graph.remove_group_member(&g.id, &id).await.map(drop));
    }
    note(exchange.convert_to_shared(&l.upn).await.map(drop));
    note(
        exchange
            .grant_full_access(&l.upn, manager_upn, true)
            .await
            .map(drop),
    );
    let text = format!(
        "{} has left the company.",
        user.display_name.as_deref().unwrap_or(&l.upn)
    );
    let replies = AutomaticReplies {
        status: AutoReplyStatus::AlwaysEnabled,
        external_audience: ExternalAudience::All,
        internal_reply_message: text.clone(),
        external_reply_message: text,
        scheduled_start_date_time: None,
        scheduled_end_date_time: None,
    };
    note(graph.set_automatic_replies(&id, &replies).await.map(drop));
    note(
        exchange
            .set_hidden_from_address_lists(&l.upn, true)
            .await
            .map(drop),
    );
    let drive = graph.user_drive(&id).await?.value;
    note(
        graph
            .grant_drive_access(
                &drive.id,
                manager_upn,
                DriveRole::Write,
                false,
                "OneDrive of a leaver",
            )
            .await
            .map(drop),
    );
    let skus: Vec<String> = graph
        .license_details(&id)
        .await?
        .value
        .into_iter()
        .map(|d| d.sku_id)
        .collect();
    if !skus.is_empty() {
        note(graph.remove_licenses(&id, &skus).await.map(drop));
    }
    Ok(RunbookLeaver {
        cut_at,
        done_at: Utc::now(),
        errors,
    })
}
