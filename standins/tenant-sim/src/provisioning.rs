//! Entra ID's provisioning service, as the simulator models it: an enterprise application's
//! automatic provisioning job deprovisions (disables, or deletes) in the downstream system
//! every user it provisioned once that user is disabled, deleted or unassigned in Entra ID,
//! and logs it as a `provisioningObjectSummary`. In Entra ID this happens in the job's next
//! cycle (about every 40 minutes); here `delay_secs` after the job first notices.
//!
//! Like directory sync (`sync.rs`), the engine runs it before every request with the tenant
//! locked, so an entry that is due is in the logs the request reads.

use chrono::{DateTime, Duration, SubsecRound, Utc};

use crate::model::{ProvisioningJob, ProvisioningLogEntry, ProvisioningOutcome, Tenant};

/// What a failed deprovisioning says (the shape of Entra's SCIM errors: the target's answer).
pub const FAILURE_REASON: &str = "Failed to update User in the target application: the SCIM endpoint answered 500 Internal Server Error.";

/// Starts an automatic provisioning job for the application `service_principal_id`: the users
/// assigned to it now are the ones it provisioned. Replaces a job the app already had.
pub fn start_job(tenant: &mut Tenant, mut job: ProvisioningJob) {
    let sp = job.service_principal_id.clone();
    for a in &tenant.app_role_assignments {
        if a.resource_id.eq_ignore_ascii_case(&sp) && !job.provisioned.contains(&a.principal_id) {
            job.provisioned.push(a.principal_id.clone());
        }
    }
    tenant
        .provisioning_jobs
        .retain(|j| !j.service_principal_id.eq_ignore_ascii_case(&sp));
    tenant.provisioning_jobs.push(job);
}

/// One pass of every job: notices who left scope and writes what is due.
pub fn run(tenant: &mut Tenant, now: DateTime<Utc>) {
    let mut jobs = std::mem::take(&mut tenant.provisioning_jobs);
    for job in &mut jobs {
        run_job(tenant, job, now);
    }
    tenant.provisioning_jobs = jobs;
}

fn run_job(tenant: &mut Tenant, job: &mut ProvisioningJob, now: DateTime<Utc>) {
    let sp = job.service_principal_id.clone();
    let assigned = |t: &Tenant, user: &str| {
        t.app_role_assignments.iter().any(|a| {
            a.resource_id.eq_ignore_ascii_case(&sp) && a.principal_id.eq_ignore_ascii_case(user)
        })
    };
    // Users assigned since the job started are provisioned too.
    let newly: Vec<String> = tenant
        .app_role_assignments
        .iter()
        .filter(|a| a.resource_id.eq_ignore_ascii_case(&sp))
        .map(|a| a.principal_id.clone())
        .filter(|u| !job.provisioned.contains(u))
        .collect();
    job.provisioned.extend(newly);
    let app_name = tenant
        .service_principals
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(&sp))
        .map(|s| s.display_name.clone())
        .unwrap_or_default();
    for user in job.provisioned.clone() {
        if job.done.contains(&user) {
            continue;
        }
        let (left, name) = match tenant.user(&user) {
            None => (true, String::new()),
            Some(u) => (
                !u.account_enabled || !assigned(tenant, &user),
                u.display_name.clone(),
            ),
        };
        if !left {
            continue;
        }
        let noticed = *job.noticed.entry(user.clone()).or_insert(now);
        let delay = Duration::seconds(i64::try_from(job.delay_secs).unwrap_or(i64::MAX));
        if noticed + delay > now {
            continue;
        }
        tenant.provisioning_logs.push(ProvisioningLogEntry {
            id: uuid::Uuid::new_v4().to_string(),
            // Graph serves it to the second.
            activity_date_time: now.trunc_subsecs(0),
            provisioning_action: job.action.as_str().to_owned(),
            status: match job.outcome {
                ProvisioningOutcome::Success => "success",
                ProvisioningOutcome::Failure => "failure",
            }
            .to_owned(),
            service_principal_id: sp.clone(),
            service_principal_name: app_name.clone(),
            source_id: user.clone(),
            source_name: name,
            job_id: format!("scim.{}", sp),
            error_reason: (job.outcome == ProvisioningOutcome::Failure)
                .then(|| FAILURE_REASON.to_owned()),
        });
        job.done.push(user);
    }
}
