//! What the agent's tests share: the local Samba AD DC and its fixtures come from testkit's
//! `samba` module (one copy for these tests and the hybrid end-to-end tests); this file adds
//! how the agent under test is set up against it, and how commands are built and read.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ldap3::SearchEntry;
use offboard_agent::ad::{DirectorySettings, tls_config};
use offboard_agent::executor::{Executor, Scope as RailScope};
use offboard_agent_proto::{
    Action, AgentCommand, AgentIdentity, AgentResponse, CaseId, CommandResult, CommandSigningKey,
    UserLocator,
};
use secrecy::SecretString;

pub use offboard_testkit::samba::{
    Instance, Samba, add_member, attr, create_group, create_ou, create_user, read_secret,
    read_user, unique,
};

/// The test domain's facts; fails the test (never skips) when Samba is not there, saying to
/// run `local/samba/ensure.sh`.
pub fn samba(instance: Instance) -> Samba {
    must(Samba::instance(instance))
}

/// The value, or the test fails with the whole error chain.
pub fn must<T>(r: anyhow::Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{e:#}"))
}

/// How the agent under test is set up against a test domain.
pub trait AgentSetup {
    /// The agent's directory settings: LDAPS as its service account.
    fn directory(&self) -> DirectorySettings;
    /// The safety rails: the managed OUs, the disabled OU, the group OUs, the protected groups.
    fn rails(&self) -> RailScope;
    /// An executor with those settings and rails.
    fn executor(&self) -> Executor;
}

impl AgentSetup for Samba {
    fn directory(&self) -> DirectorySettings {
        DirectorySettings {
            url: self.ldaps_url.clone(),
            starttls: false,
            tls: tls_config(Some(&self.ca_file)).expect("CA file"),
            bind_dn: self.agent_bind_dn.clone(),
            bind_password: SecretString::from(must(read_secret(&self.agent_password_file))),
            base_dn: self.base_dn.clone(),
            timeout: Duration::from_secs(10),
        }
    }

    fn rails(&self) -> RailScope {
        RailScope {
            managed_ous: vec![self.users_ou.clone()],
            disabled_ou: self.disabled_ou.clone(),
            group_ous: vec![self.groups_ou.clone()],
            protected_groups: vec![
                self.admin_group.clone(),
                format!("CN=Domain Admins,CN=Users,{}", self.base_dn),
            ],
            refuse_admin_count: true,
            allow_delete: true,
        }
    }

    fn executor(&self) -> Executor {
        Executor::new(self.directory(), self.rails(), identity())
    }
}

pub fn identity() -> AgentIdentity {
    AgentIdentity {
        name: "test-agent".into(),
        version: "test".into(),
    }
}

/// The account as the domain admin reads it now (independent of the agent's code).
pub async fn read_sam(samba: &Samba, ldap: &mut ldap3::Ldap, sam: &str) -> SearchEntry {
    must(read_user(ldap, &samba.base_dn, sam).await)
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
