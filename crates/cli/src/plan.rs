//! `offboard plan --user <upn|mail|employeeId>`: the dry run from the command line. Reads the
//! tenant, prints the plan a termination would get and what each step would change, and
//! changes nothing — so it is safe against a production tenant with read permissions only.
//! `offboard plan --restore CASE` prints a restore's reverse plan instead (`restore.rs`).

use std::sync::Arc;

use anyhow::Context;
use offboard_core::event::TerminationKind;
use offboard_core::ids::EmployeeIdentifiers;
use offboard_service::engine::dry_run_with_connectors;
use offboard_service::m365::{GraphDirectory, Tenant};
use offboard_service::settings::{self, TenantSettings};
use offboard_service::steps::StepFailure;

/// Arguments of `offboard plan`.
#[derive(clap::Args)]
pub struct PlanArgs {
    /// The leaver: a user principal name or mail address (anything with an `@`), else an
    /// employee id (Entra ID `employeeId`).
    #[arg(long, required_unless_present = "restore", conflicts_with = "restore")]
    user: Option<String>,
    /// Instead of a termination's dry run: what restoring this case (undoing a mistaken
    /// termination) would put back, what needs a second approval and what cannot come back —
    /// read from the case's evidence, changing nothing.
    #[arg(long, value_name = "CASE")]
    restore: Option<String>,
    /// With --restore: the embedded store's directory (as `offboard local --data DIR` lays it
    /// out); without, the store the OFFBOARD_* settings name.
    #[arg(long, requires = "restore")]
    data: Option<std::path::PathBuf>,
    /// The termination kind whose policy applies.
    #[arg(long, default_value = "voluntary", value_parser = KINDS)]
    kind: String,
    /// Print every line whole instead of wrapping it to the terminal's width.
    #[arg(long)]
    wide: bool,
    /// Print the dry run as JSON (the same document as `POST /api/offboardings` with
    /// `dryRun: true`).
    #[arg(long)]
    json: bool,
    /// Plan against the built-in demo tenant (the tenant simulator, e.g. `--user
    /// AdeleV@contoso.com`) instead of the tenant the settings name.
    #[cfg(feature = "demo")]
    #[arg(long)]
    demo_tenant: bool,
}

/// The kinds an operator can name: every kind with a policy (`unspecified` is only what an
/// HR event without a kind becomes).
const KINDS: [&str; 6] = [
    "voluntary",
    "involuntary",
    "for_cause",
    "retirement",
    "contract_end",
    "death",
];

/// Runs the dry run and prints it. An unresolvable leaver is an error (exit code 1).
pub async fn run(args: PlanArgs) -> anyhow::Result<()> {
    if let Some(case) = &args.restore {
        return crate::restore::preview(case, args.data.as_deref(), args.json, args.wide).await;
    }
    let kind = TerminationKind::parse(&args.kind).with_context(|| {
        format!(
            "--kind `{}` is not a termination kind: use one of {}",
            args.kind,
            KINDS.join(", ")
        )
    })?;
    let who = identifiers(args.user.as_deref().unwrap_or_default())?;
    let lookup = |k: &str| std::env::var(k).ok();
    let policy = settings::policy_from_lookup(&lookup)?;
    // The dry run calls no connector, so the secrets the connector file names need not be
    // on the operator's machine: the file is checked as at start, its secrets stood in for.
    let without_secrets = |k: &str| {
        if k.starts_with(settings::CONNECTOR_SETTING_PREFIX) {
            Some("not-needed-for-a-dry-run".to_owned())
        } else {
            lookup(k)
        }
    };
    let connectors = settings::connectors_from_lookup(&without_secrets)?;

    // The demo tenant's simulator runs until the dry run is done.
    let (tenant, _simulator) = tenant(&args, &lookup).await?;
    let directory = GraphDirectory::new(Arc::new(tenant));
    let dry = match dry_run_with_connectors(
        &directory,
        &policy,
        &connectors,
        &who,
        kind,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(dry) => dry,
        Err(StepFailure::Throttled { retry_after, .. }) => anyhow::bail!(
            "Microsoft Graph is throttling; run the dry run again in {} s",
            retry_after.as_secs()
        ),
        Err(e) => anyhow::bail!("could not read the tenant: {e}"),
    };

    if args.json {
        let doc = serde_json::json!({
            "dryRun": true,
            "changed": false,
            "plan": dry.plan,
            "exception": dry.exception,
        });
        print_or_closed(&serde_json::to_string_pretty(&doc)?)?;
    }
    let Some(plan) = dry.plan else {
        anyhow::bail!(
            "no plan: {}",
            dry.exception
                .as_deref()
                .unwrap_or("the leaver was not resolved")
        );
    };
    if !args.json {
        let f = &plan.facts;
        println!(
            "Dry run for {} ({}, resolved by {}; {} account), as a {} termination. Nothing was changed.",
            f.user.display_name.as_deref().unwrap_or("?"),
            f.user.user_principal_name.as_deref().unwrap_or(&f.user.id),
            f.resolved_by,
            if f.synced {
                "synced from on-premises AD"
            } else {
                "cloud-only"
            },
            kind.as_str()
        );
        crate::show::print_plan_steps(&plan, crate::show::Layout::for_stdout(args.wide));
    }
    Ok(())
}

/// Prints a line; a reader that went away (`offboard plan … | head`) is not an error.
pub(crate) fn print_or_closed(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `--user` as identifiers: with an `@` it may be the UPN or the mail address (resolution
/// tries the UPN first, then mail); without, an employee id.
fn identifiers(user: &str) -> anyhow::Result<EmployeeIdentifiers> {
    let user = user.trim().to_owned();
    let ids = if user.contains('@') {
        EmployeeIdentifiers::new(None, Some(user.clone()), Some(user), None)
    } else {
        EmployeeIdentifiers::new(Some(user), None, None, None)
    };
    ids.context("--user must be a user principal name, a mail address or an employee id")
}

/// The tenant the settings name, read as the app's managed identity where one is available
/// (`IDENTITY_ENDPOINT` set) and otherwise as the person signed in with `az login`.
/// The simulator behind `--demo-tenant`; nothing can be one without the `demo` feature.
#[cfg(feature = "demo")]
type Simulator = standin_tenant::SimHandle;
#[cfg(not(feature = "demo"))]
type Simulator = std::convert::Infallible;

/// The tenant to read: the demo tenant (a simulator started here) or the one the settings
/// name.
async fn tenant(
    args: &PlanArgs,
    lookup: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<(Tenant, Option<Simulator>)> {
    #[cfg(feature = "demo")]
    if args.demo_tenant {
        use azure_core::credentials::TokenCredential;
        let sim = standin_tenant::TenantSim::spawn(standin_tenant::SimConfig::default()).await?;
        let credential: Arc<dyn TokenCredential> =
            Arc::new(standin_identity::EndpointCredential::new(
                sim.identity_endpoint(),
                sim.identity_header(),
            )?);
        let tenant = Tenant::new(
            sim.graph_base(),
            sim.exchange_base(),
            sim.tenant_id(),
            credential,
        )?;
        return Ok((tenant, Some(sim)));
    }
    #[cfg(not(feature = "demo"))]
    let _ = args;
    Ok((
        configured_tenant(&TenantSettings::from_lookup(lookup))?,
        None,
    ))
}

pub(crate) fn configured_tenant(t: &TenantSettings) -> anyhow::Result<Tenant> {
    let tenant_id = t.tenant_id.clone().with_context(|| {
        format!(
            "{} is not set: say which tenant to read (or use --demo-tenant for the built-in demo tenant)",
            settings::OFFBOARD_TENANT_ID
        )
    })?;
    let credential = offboard_backends::Identity::of_this_process()
        .credential(t.managed_identity_client_id.as_deref())?;
    Ok(Tenant::new(
        &t.graph_endpoint,
        &t.exchange_endpoint,
        tenant_id,
        credential,
    )?)
}
