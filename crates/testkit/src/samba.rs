//! The local Samba AD DC (`local/samba/ensure.sh`) as the end-to-end tests and the agent's
//! tests use it: either test domain's connection facts from the env file, a domain-admin
//! LDAPS session for fixtures and independent read-backs, and uniquely named users and groups.
//!
//! A missing Samba is an error that says to run `local/samba/ensure.sh`: the tests that need
//! it fail with that message, they never pass without it.

use anyhow::{Context, anyhow, bail};
use ldap3::{LdapConnAsync, LdapConnSettings, Mod, Scope, SearchEntry};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

/// Where `local/samba/start.sh` writes the connection facts (overridden by `OFFBOARD_SAMBA_ENV`).
pub const DEFAULT_SAMBA_ENV: &str = "/var/tmp/offboard-samba/samba.env";

/// Which test domain: `Exch` has the Exchange schema extension (`msExchHideFromAddressLists`),
/// `Plain` has not; both have the same OUs and groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instance {
    /// With the Exchange schema extension: what the agent and the sync stand-in connect to
    /// in the hybrid end-to-end tests.
    Exch,
    /// Without it.
    Plain,
}

/// One test domain's connection facts.
#[derive(Clone, Debug)]
pub struct Samba {
    /// `ldaps://127.0.0.1:PORT`.
    pub ldaps_url: String,
    /// `ldap://127.0.0.1:PORT`, for StartTLS.
    pub starttls_url: String,
    /// The test CA that signed the DC's certificate (every connection verifies it).
    pub ca_file: PathBuf,
    /// The agent's service account (only the delegated rights).
    pub agent_bind_dn: String,
    /// Its password file (mode 0600).
    pub agent_password_file: PathBuf,
    /// The domain administrator (fixtures and independent read-backs only).
    pub admin_bind_dn: String,
    /// Its password file (mode 0600).
    pub admin_password_file: PathBuf,
    /// `DC=offboard,DC=test`.
    pub base_dn: String,
    /// The OU the agent manages.
    pub users_ou: String,
    /// Where the agent moves leavers.
    pub disabled_ou: String,
    /// The OU whose groups the agent may change.
    pub groups_ou: String,
    /// An OU the agent does not manage.
    pub outside_ou: String,
    /// The protected (Tier-0) group.
    pub admin_group: String,
}

/// A password file's content (without the trailing newline).
pub fn read_secret(path: &PathBuf) -> anyhow::Result<String> {
    Ok(std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .trim_end()
        .to_owned())
}

impl Samba {
    /// The `Exch` domain's facts from the env file; the error says to run
    /// `local/samba/ensure.sh`.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::instance(Instance::Exch)
    }

    /// One domain's facts from the env file; the error says to run `local/samba/ensure.sh`.
    pub fn instance(instance: Instance) -> anyhow::Result<Self> {
        let path = std::env::var("OFFBOARD_SAMBA_ENV").unwrap_or_else(|_| DEFAULT_SAMBA_ENV.into());
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow!(
                "Samba AD DC connection facts not found at {path} ({e}). The hybrid end-to-end tests need the local Samba AD DC: run `local/samba/ensure.sh` (as root) first, or point OFFBOARD_SAMBA_ENV at the env file it wrote."
            )
        })?;
        let vars: HashMap<String, String> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
            .collect();
        let get = |k: &str| {
            vars.get(k).cloned().ok_or_else(|| {
                anyhow!("{k} missing from {path}: the {instance:?} Samba domain is not set up; run `local/samba/ensure.sh`")
            })
        };
        let prefix = match instance {
            Instance::Exch => "OFFBOARD_SAMBA_EXCH_",
            Instance::Plain => "OFFBOARD_SAMBA_PLAIN_",
        };
        let own = |k: &str| get(&format!("{prefix}{k}"));
        Ok(Self {
            ldaps_url: own("LDAPS_URL")?,
            starttls_url: own("STARTTLS_URL")?,
            ca_file: own("CA_FILE")?.into(),
            agent_bind_dn: own("AGENT_BIND_DN")?,
            agent_password_file: own("AGENT_PASSWORD_FILE")?.into(),
            admin_bind_dn: own("ADMIN_BIND_DN")?,
            admin_password_file: own("ADMIN_PASSWORD_FILE")?.into(),
            base_dn: get("OFFBOARD_SAMBA_BASE_DN")?,
            users_ou: get("OFFBOARD_SAMBA_USERS_OU")?,
            disabled_ou: get("OFFBOARD_SAMBA_DISABLED_OU")?,
            groups_ou: get("OFFBOARD_SAMBA_GROUPS_OU")?,
            outside_ou: get("OFFBOARD_SAMBA_OUTSIDE_OU")?,
            admin_group: get("OFFBOARD_SAMBA_ADMIN_GROUP")?,
        })
    }

    /// A domain-admin LDAPS session (certificate verified against the test CA). The error says
    /// to run `local/samba/ensure.sh` when the DC does not answer.
    pub async fn admin(&self) -> anyhow::Result<ldap3::Ldap> {
        let tls = offboard_agent::ad::tls_config(Some(&self.ca_file)).map_err(|e| anyhow!(e))?;
        let settings = LdapConnSettings::new()
            .set_config(tls)
            .set_conn_timeout(Duration::from_secs(10));
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &self.ldaps_url)
            .await
            .with_context(|| {
                format!(
                    "cannot connect to Samba at {}: is it running? run `local/samba/ensure.sh`",
                    self.ldaps_url
                )
            })?;
        ldap3::drive!(conn);
        ldap.simple_bind(
            &self.admin_bind_dn,
            &read_secret(&self.admin_password_file)?,
        )
        .await?
        .success()
        .context("domain admin bind to Samba")?;
        Ok(ldap)
    }

    /// Tries a simple bind as `dn` with `password` over LDAPS; returns the LDAP result code
    /// (0: the password works; 49: refused).
    pub async fn bind_rc(&self, dn: &str, password: &str) -> anyhow::Result<u32> {
        let tls = offboard_agent::ad::tls_config(Some(&self.ca_file)).map_err(|e| anyhow!(e))?;
        let settings = LdapConnSettings::new()
            .set_config(tls)
            .set_conn_timeout(Duration::from_secs(10));
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &self.ldaps_url).await?;
        ldap3::drive!(conn);
        let rc = ldap.simple_bind(dn, password).await?.rc;
        let _ = ldap.unbind().await;
        Ok(rc)
    }
}

/// A fresh name: `prefix` and 8 hex digits (sAMAccountName allows 20 characters).
pub fn unique(prefix: &str) -> String {
    let n: u32 = rand::random();
    format!("{prefix}{n:08x}")
}

/// An AD user a test created.
#[derive(Clone, Debug)]
pub struct AdUser {
    /// `sAMAccountName`.
    pub sam: String,
    /// DN at creation.
    pub dn: String,
    /// `userPrincipalName`.
    pub upn: String,
    /// `employeeID`.
    pub employee_id: String,
    /// The password it was created with (tests check it never appears anywhere).
    pub password: String,
}

/// Creates an enabled user under `ou` with `userAccountControl` = `uac` and a known password.
pub async fn create_user(ldap: &mut ldap3::Ldap, ou: &str, uac: u32) -> anyhow::Result<AdUser> {
    let sam = unique("t");
    let dn = format!("CN={sam},{ou}");
    let upn = format!("{sam}@offboard.test");
    let employee_id = unique("E");
    let password = format!("{}Aa1!", unique("Pw"));
    let quoted: Vec<u8> = format!("\"{password}\"")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let text = |v: &str| HashSet::from([v.as_bytes().to_vec()]);
    let attrs: Vec<(Vec<u8>, HashSet<Vec<u8>>)> = vec![
        (
            b"objectClass".to_vec(),
            ["top", "person", "organizationalPerson", "user"]
                .iter()
                .map(|c| c.as_bytes().to_vec())
                .collect(),
        ),
        (b"sAMAccountName".to_vec(), text(&sam)),
        (b"userPrincipalName".to_vec(), text(&upn)),
        (b"employeeID".to_vec(), text(&employee_id)),
        (b"description".to_vec(), text("HR Manager")),
        (b"unicodePwd".to_vec(), HashSet::from([quoted])),
        (b"userAccountControl".to_vec(), text(&uac.to_string())),
    ];
    ldap.add(&dn, attrs)
        .await?
        .success()
        .with_context(|| format!("create {dn}"))?;
    Ok(AdUser {
        sam,
        dn,
        upn,
        employee_id,
        password,
    })
}

/// Sets the account's password as an administrator would (a reset, not a change); returns
/// the new password.
pub async fn set_password(ldap: &mut ldap3::Ldap, dn: &str) -> anyhow::Result<String> {
    let password = format!("{}Bb2!", unique("Pw"));
    let quoted: Vec<u8> = format!("\"{password}\"")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    ldap.modify(
        dn,
        vec![Mod::Replace(
            b"unicodePwd".to_vec(),
            HashSet::from([quoted]),
        )],
    )
    .await?
    .success()
    .with_context(|| format!("set the password of {dn}"))?;
    Ok(password)
}

/// Creates an organisational unit under `parent`; returns its DN.
pub async fn create_ou(ldap: &mut ldap3::Ldap, parent: &str) -> anyhow::Result<String> {
    let name = unique("ou");
    let dn = format!("OU={name},{parent}");
    ldap.add(
        &dn,
        vec![("objectClass", HashSet::from(["organizationalUnit"]))],
    )
    .await?
    .success()
    .with_context(|| format!("create {dn}"))?;
    Ok(dn)
}

/// Creates a group under `ou`; returns its DN.
pub async fn create_group(ldap: &mut ldap3::Ldap, ou: &str) -> anyhow::Result<String> {
    let name = unique("g");
    let dn = format!("CN={name},{ou}");
    ldap.add(
        &dn,
        vec![
            ("objectClass", HashSet::from(["group"])),
            ("sAMAccountName", HashSet::from([name.as_str()])),
        ],
    )
    .await?
    .success()
    .with_context(|| format!("create {dn}"))?;
    Ok(dn)
}

/// Adds `member` to `group`.
pub async fn add_member(ldap: &mut ldap3::Ldap, group: &str, member: &str) -> anyhow::Result<()> {
    ldap.modify(group, vec![Mod::Add("member", HashSet::from([member]))])
        .await?
        .success()
        .with_context(|| format!("add {member} to {group}"))?;
    Ok(())
}

/// Reads the account by sAMAccountName from the domain root (continuation references are
/// dropped, never chased). Every value as text.
pub async fn read_user(
    ldap: &mut ldap3::Ldap,
    base_dn: &str,
    sam: &str,
) -> anyhow::Result<SearchEntry> {
    let (entries, _) = ldap
        .search(
            base_dn,
            Scope::Subtree,
            &format!("(sAMAccountName={})", ldap3::ldap_escape(sam)),
            vec![
                "distinguishedName",
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
        .await?
        .success()?;
    let mut found: Vec<SearchEntry> = entries
        .into_iter()
        .filter(|e| !e.is_ref())
        .map(SearchEntry::construct)
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!("no AD account with sAMAccountName {sam}"),
        n => bail!("{n} AD accounts with sAMAccountName {sam}"),
    }
}

/// The first value of `attr`, if any.
pub fn attr(entry: &SearchEntry, name: &str) -> Option<String> {
    entry.attrs.get(name).and_then(|v| v.first().cloned())
}
