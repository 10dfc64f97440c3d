//! A directory-sync stand-in driven by the real AD: it plays Entra Connect's part for tests.
//!
//! Every `every`, it reads the `userAccountControl` of each linked account from Samba over
//! LDAPS (certificate verified, read-only, as the domain admin) and, when the ACCOUNTDISABLE bit
//! (0x2) changed, records the new enabled state as the synced user's AD side in the tenant
//! simulator (`PATCH /_sim/users/{id}/on-premises`). The simulator's own sync model
//! (`SimConfig::directory_sync_delay`) then carries it to the cloud object after its delay.
//! So a synced user's cloud account turns disabled only because something — the agent —
//! disabled it in the real AD.

use anyhow::Context;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use standin_tenant::SimRemote;
use tokio::sync::watch;

use crate::samba::{Samba, attr, read_user};

/// The bit of `userAccountControl` that disables an account.
const ACCOUNTDISABLE: u32 = 0x2;

/// A synced user: its cloud object id in the simulator and its AD `sAMAccountName`.
#[derive(Clone, Debug)]
pub struct SyncLink {
    /// The Entra object id.
    pub cloud_id: String,
    /// The AD account.
    pub sam_account_name: String,
}

/// One AD change the stand-in carried to the simulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncedChange {
    /// The cloud object.
    pub cloud_id: String,
    /// The AD account's enabled state that was seen.
    pub enabled: bool,
    /// `userAccountControl` as read.
    pub user_account_control: u32,
    /// When the change was seen in AD and handed to the simulator.
    pub at: DateTime<Utc>,
}

/// The running stand-in; dropping it stops it.
pub struct AdSync {
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    changes: Arc<Mutex<Vec<SyncedChange>>>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl AdSync {
    /// Starts polling AD for `links` every `every` and feeding the simulator at `sim`. Reads
    /// once before returning, so a Samba that does not answer is an error here (saying to run
    /// `local/samba/ensure.sh`), not a silent stand-still. An AD state that differs from the
    /// simulator's at start is carried over too, as a first full sync would.
    pub async fn start(
        samba: &Samba,
        sim: SimRemote,
        links: Vec<SyncLink>,
        every: Duration,
    ) -> anyhow::Result<Self> {
        let mut ldap = samba.admin().await?;
        let tenant = sim
            .state()
            .await
            .context("reading the simulator's tenant")?;
        let mut seen: HashMap<String, bool> = HashMap::new();
        for l in &links {
            let entry = read_user(&mut ldap, &samba.base_dn, &l.sam_account_name).await?;
            let uac = uac_of(&entry)?;
            let enabled = uac & ACCOUNTDISABLE == 0;
            let sim_side = tenant
                .user(&l.cloud_id)
                .with_context(|| format!("no user {} in the simulator", l.cloud_id))?
                .on_premises
                .as_ref()
                .map(|o| o.account_enabled);
            if sim_side != Some(enabled) {
                sim.set_on_premises_enabled(&l.cloud_id, enabled).await?;
            }
            seen.insert(l.cloud_id.clone(), enabled);
        }
        let changes = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = watch::channel(false);
        let task = {
            let (samba, changes, errors) = (samba.clone(), changes.clone(), errors.clone());
            tokio::spawn(async move {
                let mut session = Some(ldap);
                loop {
                    tokio::select! {
                        _ = stopped.changed() => break,
                        _ = tokio::time::sleep(every) => {}
                    }
                    if let Err(e) =
                        poll(&samba, &mut session, &sim, &links, &mut seen, &changes).await
                    {
                        session = None;
                        if let Ok(mut v) = errors.lock() {
                            v.push(format!("{e:#}"));
                        }
                    }
                }
                if let Some(mut l) = session {
                    let _ = l.unbind().await;
                }
            })
        };
        Ok(Self {
            stop,
            task: Some(task),
            changes,
            errors,
        })
    }

    /// The AD changes carried to the simulator so far.
    pub fn changes(&self) -> Vec<SyncedChange> {
        self.changes.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Errors met while polling (each poll after one reconnects).
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Stops polling.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    }
}

impl Drop for AdSync {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn uac_of(entry: &ldap3::SearchEntry) -> anyhow::Result<u32> {
    attr(entry, "userAccountControl")
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("{} has no userAccountControl", entry.dn))
}

async fn poll(
    samba: &Samba,
    session: &mut Option<ldap3::Ldap>,
    sim: &SimRemote,
    links: &[SyncLink],
    seen: &mut HashMap<String, bool>,
    changes: &Mutex<Vec<SyncedChange>>,
) -> anyhow::Result<()> {
    if session.is_none() {
        *session = Some(samba.admin().await?);
    }
    let Some(ldap) = session.as_mut() else {
        return Ok(());
    };
    for l in links {
        let uac = uac_of(&read_user(ldap, &samba.base_dn, &l.sam_account_name).await?)?;
        let enabled = uac & ACCOUNTDISABLE == 0;
        if seen.get(&l.cloud_id) == Some(&enabled) {
            continue;
        }
        sim.set_on_premises_enabled(&l.cloud_id, enabled).await?;
        seen.insert(l.cloud_id.clone(), enabled);
        if let Ok(mut v) = changes.lock() {
            v.push(SyncedChange {
                cloud_id: l.cloud_id.clone(),
                enabled,
                user_account_control: uac,
                at: Utc::now(),
            });
        }
    }
    Ok(())
}
