//! Synthetic leavers for the benchmarks and the chaos run: clones of the demo tenant's Adele
//! seeded into the tenant simulator, terminated by a signed generic webhook, and waited for
//! until their cases are sealed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use offboard_core::case::{Case, CaseStatus};
use offboard_core::ids::CaseId;
use offboard_core::plan::{StepKind, StepStatus};
use serde_json::json;
use standin_tenant::demo::ids;
use standin_tenant::model::Tenant;

use crate::app::TestApp;

const GIVEN: &[&str] = &[
    "Avery", "Blake", "Camila", "Dmitri", "Elena", "Farah", "Gustavo", "Hana", "Ibrahim", "Jonas",
    "Keiko", "Liam", "Mateo", "Nadia", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tariq",
];
const SURNAMES: &[&str] = &[
    "Abbott",
    "Baptiste",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Haddad",
    "Iyer",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Rossi",
    "Silva",
    "Tanaka",
    "Walsh",
];

/// One synthetic leaver and the objects the offboarding must change.
#[derive(Debug, Clone)]
pub struct Leaver {
    /// Entra object id.
    pub id: String,
    /// User principal name (also the mail address).
    pub upn: String,
    /// HR's employee id.
    pub employee_id: String,
    /// Non-password authentication methods.
    pub methods: Vec<String>,
    /// App role assignment ids.
    pub app_roles: Vec<String>,
    /// Intune managed device ids.
    pub devices: Vec<String>,
    /// OneDrive id.
    pub drive: String,
    /// Graph-removable direct groups.
    pub groups: Vec<String>,
}

impl Leaver {
    /// Graph writes (the ones the write quota counts) the offboarding needs.
    pub fn graph_writes(&self) -> usize {
        // block, revoke, reset password, automatic reply, OneDrive invite, licences
        6 + self.methods.len() + self.app_roles.len() + self.devices.len() + self.groups.len()
    }
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Adds `n` leavers to the simulator's tenant, each a clone of Adele with fresh ids.
pub fn seed_leavers(app: &TestApp, n: usize, tag: &str) -> anyhow::Result<Vec<Leaver>> {
    app.sim.with_state(|t: &mut Tenant| seed_into(t, n, tag))
}

/// [`seed_leavers`] into a simulator running without offboard (the runbook baseline).
pub fn seed_sim(
    sim: &standin_tenant::SimHandle,
    n: usize,
    tag: &str,
) -> anyhow::Result<Vec<Leaver>> {
    sim.with_state(|t: &mut Tenant| seed_into(t, n, tag))
}

/// The Graph writes one synthetic leaver needs (all are alike), read from the demo tenant
/// without starting anything: a benchmark tells the handler the quota before it seeds.
pub fn writes_per_leaver() -> anyhow::Result<usize> {
    let mut t = standin_tenant::demo::demo_tenant();
    let one = seed_into(&mut t, 1, "probe")?;
    Ok(one.first().map(Leaver::graph_writes).unwrap_or(0))
}

/// Adds `n` leavers to `t`, each a clone of Adele with fresh ids.
fn seed_into(t: &mut Tenant, n: usize, tag: &str) -> anyhow::Result<Vec<Leaver>> {
    let adele = t.user(ids::ADELE).cloned().context("the demo has Adele")?;
    let methods: Vec<_> = t
        .authentication_methods
        .iter()
        .filter(|m| m.user_id == ids::ADELE)
        .cloned()
        .collect();
    let roles: Vec<_> = t
        .app_role_assignments
        .iter()
        .filter(|a| a.principal_id == ids::ADELE)
        .cloned()
        .collect();
    let devices: Vec<_> = t
        .managed_devices
        .iter()
        .filter(|d| d.user_id == ids::ADELE)
        .cloned()
        .collect();
    let drive = t
        .drives
        .iter()
        .find(|d| d.owner_id == ids::ADELE)
        .cloned()
        .context("Adele has a OneDrive")?;
    let mailbox = t
        .mailbox(ids::ADELE)
        .cloned()
        .context("Adele has a mailbox")?;
    // Dynamic, Exchange-mastered and synced groups are exceptions, not writes: the
    // synthetic leavers keep the Graph-removable ones (M365, security, role-assignable).
    let groups: Vec<String> = t
        .direct_groups(ids::ADELE)
        .iter()
        .filter(|g| !(g.is_dynamic() || g.is_exchange_mastered() || g.is_synced()))
        .map(|g| g.id.clone())
        .collect();
    let domain = t.domain.clone();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let given = GIVEN[i % GIVEN.len()];
        let surname = SURNAMES[(i / GIVEN.len()) % SURNAMES.len()];
        let alias = format!(
            "{}.{}.{tag}{i:04}",
            given.to_lowercase(),
            surname.to_lowercase()
        );
        let upn = format!("{alias}@{domain}");
        let id = uuid();
        let employee_id = format!("{}{i:05}", tag.to_uppercase());
        let mut u = adele.clone();
        u.id = id.clone();
        u.user_principal_name = upn.clone();
        u.display_name = format!("{given} {surname}");
        u.given_name = Some(given.to_owned());
        u.surname = Some(surname.to_owned());
        u.mail = Some(upn.clone());
        u.mail_nickname = Some(alias.clone());
        u.employee_id = Some(employee_id.clone());
        u.manager_id = Some(ids::MEGAN.to_owned());
        t.users.push(u);

        let mut leaver = Leaver {
            id: id.clone(),
            upn: upn.clone(),
            employee_id,
            methods: Vec::new(),
            app_roles: Vec::new(),
            devices: Vec::new(),
            drive: format!("b!{}", uuid::Uuid::new_v4().simple()),
            groups: groups.clone(),
        };
        for m in &methods {
            let mut m = m.clone();
            m.user_id = id.clone();
            // Graph fixes the ids of the password and the mobile phone methods.
            if m.method_type != "passwordAuthenticationMethod"
                && m.method_type != "phoneAuthenticationMethod"
            {
                m.id = uuid();
            }
            if m.method_type != "passwordAuthenticationMethod" {
                leaver.methods.push(m.id.clone());
            }
            t.authentication_methods.push(m);
        }
        for a in &roles {
            let mut a = a.clone();
            a.id = uuid::Uuid::new_v4().simple().to_string();
            a.principal_id = id.clone();
            leaver.app_roles.push(a.id.clone());
            t.app_role_assignments.push(a);
        }
        for (k, d) in devices.iter().enumerate() {
            let mut d = d.clone();
            d.id = uuid();
            d.user_id = id.clone();
            d.azure_ad_device_id = Some(uuid());
            d.device_name = format!("{}-{tag}{i:04}-{k}", d.device_name);
            d.serial_number = Some(format!("SN{tag}{i:04}{k}"));
            leaver.devices.push(d.id.clone());
            t.managed_devices.push(d);
        }
        let mut dr = drive.clone();
        dr.id = leaver.drive.clone();
        dr.owner_id = id.clone();
        dr.web_url = format!(
            "https://contoso-my.sharepoint.com/personal/{}/Documents",
            upn.replace(['@', '.'], "_")
        );
        dr.root_id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        for p in dr.root_permissions.iter_mut() {
            p.id = uuid();
            p.user_id = id.clone();
        }
        t.drives.push(dr);
        let mut mb = mailbox.clone();
        mb.user_id = id.clone();
        t.mailboxes.push(mb);
        for g in t.groups.iter_mut() {
            if groups.contains(&g.id) {
                g.members.push(id.clone());
            }
        }
        out.push(leaver);
    }
    Ok(out)
}

/// A signed generic termination of `l`, effective now; returns the case id and the instant
/// the request was sent (the HR event).
pub async fn terminate(app: &TestApp, l: &Leaver) -> anyhow::Result<(CaseId, DateTime<Utc>)> {
    let sent = Utc::now();
    let body = json!({
        "type": "employee.terminated",
        "timestamp": sent.to_rfc3339(),
        "data": {
            "eventId": format!("bench-{}", uuid::Uuid::new_v4().simple()),
            "employee": {"employeeId": l.employee_id, "userPrincipalName": l.upn},
            "effectiveAt": sent.to_rfc3339(),
            "kind": "involuntary"
        }
    });
    // A 503 says nothing was kept and to send the same request again, as HR senders do.
    let mut a = app.post_generic(&body).await;
    for attempt in 1..=10 {
        if a.status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
        a = app.post_generic(&body).await;
    }
    anyhow::ensure!(a.status == 202, "intake answered {}: {}", a.status, a.json);
    let id = a.json["caseId"]
        .as_str()
        .context("the 202 names the case")?;
    Ok((CaseId::parse(id)?, sent))
}

/// Whether a case is finished and its seal step verified.
pub fn is_final(c: &Case) -> bool {
    matches!(
        c.status,
        CaseStatus::Completed | CaseStatus::CompletedWithExceptions
    ) && c
        .plan
        .as_ref()
        .and_then(|p| p.step(StepKind::Seal))
        .is_some_and(|s| s.status == StepStatus::Verified)
}

/// Polls the case store (not the handler) until every case is sealed; returns them. Each
/// round reads cases only up to the first one still open, so polling costs a read or two
/// while the run goes on (the figures come from the cases' own timestamps, not from when
/// the poll saw them).
pub async fn wait_sealed(
    app: &TestApp,
    ids: &[CaseId],
    within: Duration,
    every: Duration,
) -> anyhow::Result<HashMap<CaseId, Case>> {
    let deadline = Instant::now() + within;
    let mut done: HashMap<CaseId, Case> = HashMap::new();
    loop {
        for id in ids {
            if done.contains_key(id) {
                continue;
            }
            match app.cases.get(id).await? {
                Some(v) if is_final(&v.value) => {
                    done.insert(id.clone(), v.value);
                }
                _ => break,
            }
        }
        if done.len() == ids.len() {
            return Ok(done);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{} of {} cases were not sealed within {within:?}",
            ids.len() - done.len(),
            ids.len()
        );
        tokio::time::sleep(every).await;
    }
}

/// A time difference in seconds.
pub fn secs(d: chrono::TimeDelta) -> f64 {
    d.num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6
}

/// Keeps the handler's log next to the build output, for a look after the run.
pub fn keep_log(app: &TestApp, name: &str) -> String {
    // Benchmarks run in the crate's directory: the workspace's target/ unless told otherwise.
    let dir = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| crate::app::repo_root().join("target"));
    let path = dir.join(name);
    match std::fs::write(&path, app.handler_log()) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(not kept: {e})"),
    }
}

/// The machine's cores and load average, printed with every figure.
pub fn conditions() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{} cores, load average {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        load.join(" ")
    )
}

/// Terminates one extra leaver and waits for its seal: tokens, connections, first queue
/// polls. Not measured.
pub async fn warm_up(app: &TestApp) -> anyhow::Result<()> {
    let w = seed_leavers(app, 1, "w")?;
    let (id, _) = terminate(app, &w[0]).await?;
    wait_sealed(
        app,
        &[id],
        Duration::from_secs(120),
        Duration::from_millis(200),
    )
    .await?;
    Ok(())
}
