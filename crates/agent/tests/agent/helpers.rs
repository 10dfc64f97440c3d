//! Test kit: finds the local Samba AD DC through the env file written by local/samba/start.sh,
//! creates uniquely named fixtures with the domain admin, and builds agents.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ldap3::{LdapConnAsync, LdapConnSettings, Mod, Scope, SearchEntry};
use offboard_agent::ad::{DirectorySettings, tls_config};
use offboard_agent::executor::{Executor, Scope as RailScope};
use offboard_agent_proto::{
    Action, AgentCommand, AgentIdentity, AgentResponse, CaseId, CommandResult, CommandSigningKey,
    UserLocator,
};
use rand::Rng;
use secrecy::SecretString;

/// Default location of the env file (local/samba/common.sh).
const DEFAULT_ENV_FILE: &str = "/var/tmp/offboard-samba/samba.env";

/// The connection facts of one Samba instance.
#[derive(Clone, Debug)]
pub struct Samba {
    pub ldaps_url: String,
    pub starttls_url: String,
    pub ca_file: PathBuf,
    pub agent_bind_dn: String,
    pub agent_password_file: PathBuf,
    pub admin_bind_dn: String,
    pub admin_password_file: PathBuf,
    pub base_dn: String,
    pub users_ou: String,
    pub disabled_ou: String,
    pub groups_ou: String,
    pub outside_ou: String,
    pub admin_group: String,
}

/// Which test domain: with the Exchange schema extension or without.
#[derive(Clone, Copy, Debug)]
pub enum Instance {
    Exch,
    Plain,
}

/// Reads the env file; fails the test (never skips) when Samba is not there.
pub fn samba(instance: Instance) -> Samba {
    let path = std::env::var("OFFBOARD_SAMBA_ENV").unwrap_or_else(|_| DEFAULT_ENV_FILE.into());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "Samba AD DC connection facts not found at {path} ({e}).\n\
             These tests need the local Samba AD DC: run `local/samba/ensure.sh` (as root) first, \
             or point OFFBOARD_SAMBA_ENV at the env file it wrote."
        )
    });
    let vars: HashMap<String, String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect();
    let prefix = match instance {
        Instance::Exch => "OFFBOARD_SAMBA_EXCH_",
        Instance::Plain => "OFFBOARD_SAMBA_PLAIN_",
    };
    let get = |k: &str| {
        vars.get(k).cloned().unwrap_or_else(|| {
            panic!("{k} missing from {path}: the {instance:?} Samba instance is not running; run `local/samba/ensure.sh`")
        })
    };
    let inst = |k: &str| get(&format!("{prefix}{k}"));
    Samba {
        ldaps_url: inst("LDAPS_URL"),
        starttls_url: inst("STARTTLS_URL"),
        ca_file: inst("CA_FILE").into(),
        agent_bind_dn: inst("AGENT_BIND_DN"),
        agent_password_file: inst("AGENT_PASSWORD_FILE").into(),
        admin_bind_dn: inst("ADMIN_BIND_DN"),
        admin_password_file: inst("ADMIN_PASSWORD_FILE").into(),
        base_dn: get("OFFBOARD_SAMBA_BASE_DN"),
        users_ou: get("OFFBOARD_SAMBA_USERS_OU"),
        disabled_ou: get("OFFBOARD_SAMBA_DISABLED_OU"),
        groups_ou: get("OFFBOARD_SAMBA_GROUPS_OU"),
        outside_ou: get("OFFBOARD_SAMBA_OUTSIDE_OU"),
        admin_group: get("OFFBOARD_SAMBA_ADMIN_GROUP"),
    }
}

pub fn unique(prefix: &str) -> String {
    let n: u32 = rand::rng().random();
    format!("{prefix}{n:08x}")
}

pub fn secret_file(path: &PathBuf) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .trim_end()
        .to_string()
}

impl Samba {
    pub fn directory(&self) -> DirectorySettings {
        DirectorySettings {
            url: self.ldaps_url.clone(),
            starttls: false,
            tls: tls_config(Some(&self.ca_file)).expect("CA file"),
            bind_dn: self.agent_bind_dn.clone(),
            bind_password: SecretString::from(secret_file(&self.agent_password_file)),
            base_dn: self.base_dn.clone(),
            timeout: Duration::from_secs(10),
        }
    }

    pub fn rails(&self) -> RailScope {
        RailScope {
            managed_ous: vec![self.users_ou.clone()],
            disabled_ou: self.disabled_ou.clone(),
            group_ous: vec![self.groups_ou.clone()],
            protected_groups: vec![
                self.admin_group.clone(),
                format!("CN=Domain Admins,CN=Users,{}", self.base_dn),
            ],
            refuse_admin_count: true,
        }
    }

    pub fn executor(&self) -> Executor {
        Executor::new(self.directory(), self.rails(), identity())
    }

    /// A domain-admin LDAP session for fixtures and independent read-backs.
    pub async fn admin(&self) -> ldap3::Ldap {
        let settings = LdapConnSettings::new()
            .set_config(tls_config(Some(&self.ca_file)).unwrap())
            .set_conn_timeout(Duration::from_secs(10));
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &self.ldaps_url)
            .await
            .expect("admin connection to Samba");
        ldap3::drive!(conn);
        ldap.simple_bind(&self.admin_bind_dn, &secret_file(&self.admin_password_file))
            .await
            .unwrap()
            .success()
            .expect("admin bind");
        ldap
    }
}

pub fn identity() -> AgentIdentity {
    AgentIdentity {
        name: "test-agent".into(),
        version: "test".into(),
    }
}

/// A test user: created enabled with a known password.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub sam: String,
    pub dn: String,
    pub upn: String,
    pub employee_id: String,
    pub password: String,
}

pub async fn create_user(ldap: &mut ldap3::Ldap, ou: &str, uac: u32) -> TestUser {
    let sam = unique("t");
    let dn = format!("CN={sam},{ou}");
    let upn = format!("{sam}@offboard.test");
    let employee_id = unique("E");
    let password = format!("{}Aa1!", unique("Pw"));
    let quoted: Vec<u8> = format!("\"{password}\"")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let attrs: Vec<(Vec<u8>, HashSet<Vec<u8>>)> = vec![
        (
            b"objectClass".to_vec(),
            HashSet::from([
                b"top".to_vec(),
                b"person".to_vec(),
                b"organizationalPerson".to_vec(),
                b"user".to_vec(),
            ]),
        ),
        (
            b"sAMAccountName".to_vec(),
            HashSet::from([sam.clone().into_bytes()]),
        ),
        (
            b"userPrincipalName".to_vec(),
            HashSet::from([upn.clone().into_bytes()]),
        ),
        (
            b"employeeID".to_vec(),
            HashSet::from([employee_id.clone().into_bytes()]),
        ),
        (
            b"description".to_vec(),
            HashSet::from([b"Engineer".to_vec()]),
        ),
        (b"unicodePwd".to_vec(), HashSet::from([quoted])),
        (
            b"userAccountControl".to_vec(),
            HashSet::from([uac.to_string().into_bytes()]),
        ),
    ];
    ldap.add(&dn, attrs)
        .await
        .unwrap()
        .success()
        .unwrap_or_else(|e| panic!("create {dn}: {e}"));
    TestUser {
        sam,
        dn,
        upn,
        employee_id,
        password,
    }
}

pub async fn create_group(ldap: &mut ldap3::Ldap, ou: &str) -> String {
    let name = unique("g");
    let dn = format!("CN={name},{ou}");
    ldap.add(
        &dn,
        vec![
            ("objectClass", HashSet::from(["group"])),
            ("sAMAccountName", HashSet::from([name.as_str()])),
        ],
    )
    .await
    .unwrap()
    .success()
    .unwrap_or_else(|e| panic!("create {dn}: {e}"));
    dn
}

pub async fn add_member(ldap: &mut ldap3::Ldap, group: &str, member: &str) {
    ldap.modify(group, vec![Mod::Add("member", HashSet::from([member]))])
        .await
        .unwrap()
        .success()
        .unwrap_or_else(|e| panic!("add {member} to {group}: {e}"));
}

/// Reads an entry with the admin session (independent of the agent's code).
pub async fn read(
    ldap: &mut ldap3::Ldap,
    base: &str,
    filter: &str,
    attrs: &[&str],
) -> Option<SearchEntry> {
    let (entries, _) = ldap
        .search(base, Scope::Subtree, filter, attrs.to_vec())
        .await
        .unwrap()
        .success()
        .unwrap();
    entries
        .into_iter()
        .filter(|e| !e.is_ref())
        .map(SearchEntry::construct)
        .next()
}

pub async fn read_sam(samba: &Samba, ldap: &mut ldap3::Ldap, sam: &str) -> SearchEntry {
    read(
        ldap,
        &samba.base_dn,
        &format!("(sAMAccountName={sam})"),
        &[
            "userAccountControl",
            "pwdLastSet",
            "memberOf",
            "primaryGroupID",
            "description",
            "info",
            "msExchHideFromAddressLists",
            "uSNChanged",
            "whenChanged",
        ],
    )
    .await
    .unwrap_or_else(|| panic!("{sam} not found"))
}

pub fn attr(entry: &SearchEntry, name: &str) -> Option<String> {
    entry.attrs.get(name).and_then(|v| v.first().cloned())
}

/// Tries a simple bind as the user; returns the LDAP rc.
pub async fn bind_rc(samba: &Samba, dn: &str, password: &str) -> u32 {
    let settings = LdapConnSettings::new().set_config(tls_config(Some(&samba.ca_file)).unwrap());
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &samba.ldaps_url)
        .await
        .unwrap();
    ldap3::drive!(conn);
    ldap.simple_bind(dn, password).await.unwrap().rc
}

pub fn case() -> CaseId {
    CaseId::parse(unique("case-")).unwrap()
}

pub fn command(case: &CaseId, target: UserLocator, actions: Vec<Action>) -> AgentCommand {
    AgentCommand::new(
        case.clone(),
        target,
        actions,
        Utc::now(),
        chrono::Duration::minutes(5),
    )
}

pub fn executed(response: AgentResponse) -> CommandResult {
    match response {
        AgentResponse::Executed(r) => *r,
        AgentResponse::Rejected(r) => panic!("command rejected: {r:?}"),
    }
}

pub fn signing_key() -> Arc<CommandSigningKey> {
    Arc::new(CommandSigningKey::generate())
}
