//! Offboarding benchmarks: signed HR terminations through the local Functions host into the
//! real `handler`, against the tenant simulator, on the embedded backend (default) or on
//! Azurite + the Cosmos server.
//!
//! ```text
//! cargo build --release -p offboard-handler --bin handler
//! cargo bench -p offboard-testkit --bench offboarding -- latency [leavers=200] [per-second=1|burst] [embedded|azure]
//! cargo bench -p offboard-testkit --bench offboarding -- mass [leavers=1000] [seconds=60] [window-secs=5] [embedded|azure]
//! ```
//!
//! **latency**: `leavers` synthetic cloud-only leavers (clones of the demo's Adele: direct E3
//! and Visio, a mailbox, a OneDrive, two Intune devices, four MFA methods besides the
//! password, two app roles, three Graph-removable groups, manager Megan) are terminated one
//! signed generic webhook each, paced at `per-second` or all at once (`burst`), with the
//! simulator's default write quota (Graph's 3,000 writes per 150 s). Per leaver it measures,
//! from the instant the webhook request was sent, the time to `Plan::sign_in_cut_at()` (block
//! and revoke both verified) and to the seal step's `finishedAt`, both as the handler
//! recorded them on the case; it prints min/p50/p99/max.
//!
//! **mass**: `leavers` synthetic leavers are terminated at once with the simulator's write
//! quota scaled so that the Graph writes they need take `seconds` at the quota
//! (`quota = ceil(writes × window / seconds)` per `window-secs`). It reports the writes
//! needed and admitted, the achieved write rate ÷ the quota (over the whole write span, and in
//! steady state after the first window, whose unused history allows one window's burst), the
//! 429s in the simulator's log, actions lost (a write the plan required that has no successful
//! request in the log or is not in the tenant's final state) and duplicated (the same
//! successful write more than once), and the handler process's peak resident memory
//! (`VmHWM`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use offboard_core::case::{Case, CaseStatus};
use offboard_core::ids::CaseId;
use offboard_core::plan::{StepKind, StepStatus};
use offboard_testkit::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};
use standin_tenant::demo::ids;
use standin_tenant::engine::LoggedRequest;
use standin_tenant::model::Tenant;

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
struct Leaver {
    id: String,
    upn: String,
    employee_id: String,
    /// Non-password authentication methods.
    methods: Vec<String>,
    app_roles: Vec<String>,
    devices: Vec<String>,
    drive: String,
    /// Graph-removable direct groups.
    groups: Vec<String>,
}

impl Leaver {
    /// Graph writes (the ones the write quota counts) the offboarding needs.
    fn graph_writes(&self) -> usize {
        // block, revoke, reset password, automatic reply, OneDrive invite, licences
        6 + self.methods.len() + self.app_roles.len() + self.devices.len() + self.groups.len()
    }
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Adds `n` leavers to the simulator's tenant, each a clone of Adele with fresh ids.
fn seed_leavers(app: &TestApp, n: usize, tag: &str) -> anyhow::Result<Vec<Leaver>> {
    app.sim.with_state(|t: &mut Tenant| {
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
    })
}

/// A signed generic termination of `l`, effective now; returns the case id and the instant
/// the request was sent (the HR event).
async fn terminate(app: &TestApp, l: &Leaver) -> anyhow::Result<(CaseId, DateTime<Utc>)> {
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
    let a = app.post_generic(&body).await;
    anyhow::ensure!(a.status == 202, "intake answered {}: {}", a.status, a.json);
    let id = a.json["caseId"]
        .as_str()
        .context("the 202 names the case")?;
    Ok((CaseId::parse(id)?, sent))
}

fn is_final(c: &Case) -> bool {
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
async fn wait_sealed(
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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn summary(label: &str, mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "{label:<24} min {:>6.2} s  p50 {:>6.2} s  p99 {:>6.2} s  max {:>6.2} s",
        v.first().copied().unwrap_or(f64::NAN),
        percentile(&v, 0.50),
        percentile(&v, 0.99),
        v.last().copied().unwrap_or(f64::NAN),
    )
}

fn secs(d: chrono::TimeDelta) -> f64 {
    d.num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6
}

/// Peak and current resident memory of a process, in KiB (`VmHWM`, `VmRSS`).
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// CPU time (user + system) a process has used, in seconds.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces): utime is the 14th field.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SC_CLK_TCK is 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// Keeps the handler's log next to the build output, for a look after the run.
fn keep_log(app: &TestApp, name: &str) -> String {
    let dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    let path = std::path::Path::new(&dir).join(name);
    match std::fs::write(&path, app.handler_log()) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(not kept: {e})"),
    }
}

fn conditions() -> String {
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
async fn warm_up(app: &TestApp) -> anyhow::Result<()> {
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

async fn latency(backend: Backend, n: usize, per_second: Option<f64>) -> anyhow::Result<()> {
    let app = Arc::new(spawn_app(backend).await);
    warm_up(&app).await?;
    let leavers = seed_leavers(&app, n, "l")?;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for (i, l) in leavers.into_iter().enumerate() {
        if let Some(rate) = per_second {
            let at = start + Duration::from_secs_f64(i as f64 / rate);
            tokio::time::sleep_until(at.into()).await;
        }
        let app = app.clone();
        tasks.push(tokio::spawn(async move { terminate(&app, &l).await }));
    }
    let mut sent: Vec<(CaseId, DateTime<Utc>)> = Vec::with_capacity(n);
    for t in tasks {
        sent.push(t.await??);
    }
    let ids: Vec<CaseId> = sent.iter().map(|(id, _)| id.clone()).collect();
    let cases = wait_sealed(
        &app,
        &ids,
        Duration::from_secs(1800),
        Duration::from_millis(500),
    )
    .await?;
    let mut cut = Vec::new();
    let mut sealed = Vec::new();
    let mut exceptions = 0;
    for (id, at) in &sent {
        let c = &cases[id];
        let plan = c.plan.as_ref().context("a sealed case has a plan")?;
        if c.status != CaseStatus::Completed {
            exceptions += 1;
        }
        let cut_at = plan
            .sign_in_cut_at()
            .with_context(|| format!("case {} has no sign-in cut", id.as_str()))?;
        let seal_at = plan
            .step(StepKind::Seal)
            .and_then(|s| s.finished_at)
            .context("the seal step has finishedAt")?;
        cut.push(secs(cut_at - *at));
        sealed.push(secs(seal_at - *at));
    }
    let throttled = app
        .sim
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    let mode = match per_second {
        Some(r) => format!("paced at {r}/s"),
        None => "one burst".to_owned(),
    };
    println!(
        "offboarding latency {backend:?}: {n} leavers ({mode}), default Graph write quota; {} completed with exceptions; {throttled} 429s",
        exceptions
    );
    println!("{}", summary("HR event → sign-in cut", cut));
    println!("{}", summary("HR event → sealed case", sealed));
    println!("conditions: {}", conditions());
    if let Ok(app) = Arc::try_unwrap(app) {
        app.shutdown().await;
    }
    Ok(())
}

/// What the plan of a leaver requires, one write each, with how to recognise it in the
/// simulator's log and in the tenant's final state.
#[derive(Debug, Clone)]
enum Action {
    Block,
    Revoke,
    ResetPassword,
    RemoveMethod(String),
    RemoveAppRole(String),
    Retire(String),
    ConvertMailbox,
    ManagerMailbox,
    AutoReply,
    Hide,
    ManagerDrive,
    RemoveGroup(String),
    RemoveLicences,
}

fn actions(l: &Leaver) -> Vec<Action> {
    let mut a = vec![
        Action::Block,
        Action::Revoke,
        Action::ResetPassword,
        Action::ConvertMailbox,
        Action::ManagerMailbox,
        Action::AutoReply,
        Action::Hide,
        Action::ManagerDrive,
        Action::RemoveLicences,
    ];
    a.extend(l.methods.iter().cloned().map(Action::RemoveMethod));
    a.extend(l.app_roles.iter().cloned().map(Action::RemoveAppRole));
    a.extend(l.devices.iter().cloned().map(Action::Retire));
    a.extend(l.groups.iter().cloned().map(Action::RemoveGroup));
    a
}

fn ok(r: &LoggedRequest) -> bool {
    (200..300).contains(&r.status)
}

fn body_has(r: &LoggedRequest, key: &str) -> bool {
    r.body
        .as_ref()
        .and_then(Value::as_object)
        .is_some_and(|o| o.contains_key(key))
}

fn exo_params(r: &LoggedRequest) -> Option<&serde_json::Map<String, Value>> {
    r.body
        .as_ref()
        .and_then(|b| b.pointer("/CmdletInput/Parameters"))
        .and_then(Value::as_object)
}

fn exo_for(r: &LoggedRequest, cmdlet: &str, l: &Leaver, param: &str) -> bool {
    r.service == "exchange"
        && r.cmdlet.as_deref() == Some(cmdlet)
        && exo_params(r).is_some_and(|p| {
            p.contains_key(param)
                && p.get("Identity")
                    .and_then(Value::as_str)
                    .is_some_and(|i| i.eq_ignore_ascii_case(&l.upn) || i == l.id)
        })
}

/// Whether the successful request `r` is the write `a` for `l`.
fn is_write(r: &LoggedRequest, l: &Leaver, a: &Action) -> bool {
    let user = format!("/users/{}", l.id);
    let graph = |m: &str| r.service == "graph" && r.method == m;
    match a {
        Action::Block => graph("PATCH") && r.path == user && body_has(r, "accountEnabled"),
        Action::ResetPassword => graph("PATCH") && r.path == user && body_has(r, "passwordProfile"),
        Action::Revoke => graph("POST") && r.path == format!("{user}/revokeSignInSessions"),
        Action::RemoveMethod(m) => {
            graph("DELETE")
                && r.path.starts_with(&format!("{user}/authentication/"))
                && r.path.ends_with(&format!("/{m}"))
        }
        Action::RemoveAppRole(id) => {
            graph("DELETE")
                && r.path.contains("ppRoleAssign")
                && r.path.ends_with(&format!("/{id}"))
        }
        Action::Retire(d) => {
            graph("POST") && r.path == format!("/deviceManagement/managedDevices/{d}/retire")
        }
        Action::AutoReply => graph("PATCH") && r.path == format!("{user}/mailboxSettings"),
        Action::ManagerDrive => {
            graph("POST") && r.path == format!("/drives/{}/root/invite", l.drive)
        }
        Action::RemoveGroup(g) => {
            graph("DELETE") && r.path == format!("/groups/{g}/members/{}/$ref", l.id)
        }
        Action::RemoveLicences => graph("POST") && r.path == format!("{user}/assignLicense"),
        Action::ConvertMailbox => exo_for(r, "Set-Mailbox", l, "Type"),
        Action::Hide => exo_for(r, "Set-Mailbox", l, "HiddenFromAddressListsEnabled"),
        Action::ManagerMailbox => exo_for(r, "Add-MailboxPermission", l, "User"),
    }
}

/// Whether the tenant's final state shows `a` done for `l` (changed after `since`).
fn in_state(t: &Tenant, l: &Leaver, a: &Action, since: DateTime<Utc>, manager_upn: &str) -> bool {
    let Some(u) = t.user(&l.id) else {
        return false;
    };
    match a {
        Action::Block => !u.account_enabled,
        Action::Revoke => u.sign_in_sessions_valid_from_date_time >= since,
        Action::ResetPassword => u.last_password_change_date_time.is_some_and(|p| p >= since),
        Action::RemoveMethod(m) => !t
            .authentication_methods
            .iter()
            .any(|x| x.user_id == l.id && &x.id == m),
        Action::RemoveAppRole(id) => !t.app_role_assignments.iter().any(|x| &x.id == id),
        Action::Retire(d) => t.managed_devices.iter().any(|x| {
            &x.id == d
                && x.device_action_results
                    .iter()
                    .any(|r| r.action_name == "retire")
        }),
        Action::ConvertMailbox => t
            .mailbox(&l.id)
            .is_some_and(|m| m.recipient_type_details == "SharedMailbox"),
        Action::Hide => t
            .mailbox(&l.id)
            .is_some_and(|m| m.hidden_from_address_lists_enabled),
        Action::AutoReply => t
            .mailbox(&l.id)
            .is_some_and(|m| m.auto_reply.status != "disabled"),
        Action::ManagerMailbox => t.mailbox(&l.id).is_some_and(|m| {
            m.permissions.iter().any(|p| {
                p.user.eq_ignore_ascii_case(manager_upn)
                    && p.access_rights.iter().any(|r| r == "FullAccess")
            })
        }),
        Action::ManagerDrive => t
            .drives
            .iter()
            .any(|d| d.id == l.drive && d.root_permissions.iter().any(|p| p.user_id == ids::MEGAN)),
        Action::RemoveGroup(g) => t
            .group(g)
            .is_some_and(|g| !g.members.iter().any(|m| m == &l.id)),
        Action::RemoveLicences => u.assigned_licenses.is_empty(),
    }
}

/// A successful write's identity, to find the same write done twice.
fn write_key(r: &LoggedRequest) -> Option<String> {
    if !ok(r) {
        return None;
    }
    match r.service.as_str() {
        "graph" if r.method != "GET" && r.path != "/$batch" => {
            let mut keys: Vec<&String> = r
                .body
                .as_ref()
                .and_then(Value::as_object)
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            keys.sort();
            Some(format!("{} {} {keys:?}", r.method, r.path))
        }
        "exchange" => {
            let c = r.cmdlet.as_deref()?;
            (!c.starts_with("Get-")).then(|| {
                format!(
                    "{c} {}",
                    exo_params(r)
                        .map(|p| Value::Object(p.clone()))
                        .unwrap_or_default()
                )
            })
        }
        _ => None,
    }
}

/// A Graph write that reached the quota check and was admitted (anything but 429: a 4xx
/// after admission still spent its slot).
fn admitted_graph_write(r: &LoggedRequest) -> bool {
    r.service == "graph"
        && r.method != "GET"
        && r.path != "/$batch"
        && r.status != 429
        && r.status != 401
}

async fn mass(
    backend: Backend,
    n: usize,
    target_secs: f64,
    window_secs: f64,
) -> anyhow::Result<()> {
    let app = Arc::new(spawn_app(backend).await);
    warm_up(&app).await?;
    let leavers = seed_leavers(&app, n, "m")?;
    let needed: usize = leavers.iter().map(Leaver::graph_writes).sum();
    let quota = ((needed as f64) * window_secs / target_secs).ceil() as u32;
    let window = Duration::from_secs_f64(window_secs);
    let quota_rate = f64::from(quota) / window_secs;
    app.sim.clear_requests();
    app.sim.set_write_quota(quota, window);
    let manager_upn = app
        .sim
        .state()
        .user(ids::MEGAN)
        .map(|u| u.user_principal_name.clone())
        .context("Megan")?;
    println!(
        "mass termination {backend:?}: {n} leavers, {needed} Graph writes needed; quota {quota} writes per {window_secs} s ({quota_rate:.1}/s, {:.0} s of writes at the quota)",
        needed as f64 / quota_rate
    );

    let pid = app.host().handler_pid().await.context("handler pid")?;
    let since = Utc::now() - chrono::TimeDelta::seconds(1);
    let handler_cpu0 = cpu_secs(&pid.to_string());
    let bench_cpu0 = cpu_secs("self");
    let started = Instant::now();
    // Send every termination at once (16 at a time on the wire).
    let mut sent: Vec<(CaseId, DateTime<Utc>)> = Vec::with_capacity(n);
    let queue = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = Vec::with_capacity(n);
    for l in &leavers {
        let l = l.clone();
        let app = app.clone();
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = queue.acquire_owned().await?;
            terminate(&app, &l).await
        }));
    }
    for t in tasks {
        sent.push(t.await??);
    }
    let intake_secs = started.elapsed().as_secs_f64();
    let ids: Vec<CaseId> = sent.iter().map(|(id, _)| id.clone()).collect();
    // Sample the handler's memory while the run goes on (VmHWM is the peak anyway).
    let cases = wait_sealed(
        &app,
        &ids,
        Duration::from_secs(3600),
        Duration::from_secs(2),
    )
    .await?;
    let total_secs = started.elapsed().as_secs_f64();
    let (hwm, rss) = memory_kib(pid).unwrap_or((0, 0));
    let restarts = app.host().handler_restarts();
    let handler_cpu = cpu_secs(&pid.to_string()) - handler_cpu0;
    let bench_cpu = cpu_secs("self") - bench_cpu0;

    let log = app.sim.requests();
    let state = app.sim.state();
    let admitted: Vec<&LoggedRequest> = log.iter().filter(|r| admitted_graph_write(r)).collect();
    let throttled = log.iter().filter(|r| r.status == 429).count();
    let first = admitted.iter().map(|r| r.time).min().context("no writes")?;
    let last = admitted.iter().map(|r| r.time).max().context("no writes")?;
    let span = secs(last - first).max(1e-3);
    let rate = admitted.len() as f64 / span;
    let steady_from = first + chrono::TimeDelta::milliseconds((window_secs * 1000.0) as i64);
    let steady: usize = admitted.iter().filter(|r| r.time >= steady_from).count();
    let steady_span = secs(last - steady_from);
    let steady_rate = if steady_span > 0.0 {
        steady as f64 / steady_span
    } else {
        f64::NAN
    };

    // Lost: a required write with no successful request, or not in the final state.
    let mut by_leaver: HashMap<&str, Vec<&LoggedRequest>> = HashMap::new();
    let index: HashMap<String, &str> = leavers
        .iter()
        .flat_map(|l| {
            let mut keys = vec![l.id.clone(), l.upn.to_lowercase(), l.drive.clone()];
            keys.extend(l.devices.iter().cloned());
            keys.into_iter().map(move |k| (k, l.id.as_str()))
        })
        .collect();
    for r in log.iter().filter(|r| ok(r)) {
        // A Graph path names the leaver, the drive or a device in one segment; an Exchange
        // cmdlet names the mailbox by its Identity.
        let owner = match r.service.as_str() {
            "exchange" => exo_params(r)
                .and_then(|p| p.get("Identity"))
                .and_then(Value::as_str)
                .and_then(|i| index.get(&i.to_lowercase())),
            _ => r.path.split('/').find_map(|s| index.get(s)),
        };
        if let Some(owner) = owner {
            by_leaver.entry(*owner).or_default().push(r);
        }
    }
    let mut required = 0usize;
    let mut lost: Vec<String> = Vec::new();
    for l in &leavers {
        let reqs = by_leaver.get(l.id.as_str()).cloned().unwrap_or_default();
        for a in actions(l) {
            required += 1;
            let logged = reqs.iter().any(|r| is_write(r, l, &a));
            let stated = in_state(&state, l, &a, since, &manager_upn);
            if !(logged && stated) {
                lost.push(format!(
                    "{} {a:?} (logged {logged}, in final state {stated})",
                    l.upn
                ));
            }
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for k in log.iter().filter_map(write_key) {
        *seen.entry(k).or_default() += 1;
    }
    let duplicated: Vec<(&String, &usize)> = seen.iter().filter(|(_, c)| **c > 1).collect();
    let duplicate_writes: usize = duplicated.iter().map(|(_, c)| **c - 1).sum();
    let completed = cases
        .values()
        .filter(|c| c.status == CaseStatus::Completed)
        .count();
    let last_seal = cases
        .values()
        .filter_map(|c| c.plan.as_ref()?.step(StepKind::Seal)?.finished_at)
        .max()
        .context("seals")?;

    // Writes per 5 s after the first write: where the rate was made or lost.
    let mut buckets: Vec<usize> = Vec::new();
    for r in &admitted {
        let b = (secs(r.time - first) / 5.0) as usize;
        if buckets.len() <= b {
            buckets.resize(b + 1, 0);
        }
        buckets[b] += 1;
    }
    let profile: Vec<String> = buckets
        .iter()
        .map(|c| format!("{:.2}", *c as f64 / 5.0 / quota_rate))
        .collect();

    println!(
        "  intake: {n} signed webhooks accepted in {intake_secs:.1} s; all {n} cases sealed after {total_secs:.1} s ({completed} completed, {} with exceptions); last seal {:.1} s after the first write",
        n - completed,
        secs(last_seal - first)
    );
    println!(
        "  Graph writes admitted {} over {span:.1} s = {rate:.1}/s → rate ÷ quota {:.2} (steady state after the first window: {steady_rate:.1}/s → {:.2})",
        admitted.len(),
        rate / quota_rate,
        steady_rate / quota_rate
    );
    println!("  rate ÷ quota per 5 s: {}", profile.join(" "));
    println!("  429s seen (simulator log): {throttled}");
    println!(
        "  actions required {required}; lost {}; duplicated {duplicate_writes}",
        lost.len()
    );
    for l in lost.iter().take(10) {
        println!("    lost: {l}");
    }
    for (k, c) in duplicated.iter().take(10) {
        println!("    duplicated ×{c}: {k}");
    }
    println!(
        "  handler peak memory (VmHWM) {:.1} MiB, resident at the end {:.1} MiB, restarts {restarts}",
        hwm as f64 / 1024.0,
        rss as f64 / 1024.0
    );
    println!(
        "  CPU during the run: handler {handler_cpu:.1} s, this process (host, simulator, poller) {bench_cpu:.1} s, over {total_secs:.1} s"
    );
    println!(
        "  handler log: {}",
        keep_log(&app, "offboarding-mass-handler.log")
    );
    println!("  conditions: {}", conditions());
    if let Ok(app) = Arc::try_unwrap(app) {
        app.shutdown().await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let backend = if args.iter().any(|a| a == "azure") {
        Backend::Azure
    } else {
        Backend::Embedded
    };
    let nums: Vec<&str> = args
        .iter()
        .skip(1)
        .map(String::as_str)
        .filter(|a| *a != "azure" && *a != "embedded")
        .collect();
    let num = |i: usize, default: f64| -> f64 {
        nums.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
    };
    match args.first().map(String::as_str) {
        Some("mass") => mass(backend, num(0, 1000.0) as usize, num(1, 60.0), num(2, 5.0)).await,
        Some("latency") | None => {
            let rate = match nums.get(1) {
                Some(&"burst") => None,
                _ => Some(num(1, 1.0)),
            };
            latency(backend, num(0, 200.0) as usize, rate).await
        }
        Some(other) => anyhow::bail!("unknown benchmark {other}: latency or mass"),
    }
}
