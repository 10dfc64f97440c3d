//! AD through the on-prem agent, as the scan reads it: the enabled accounts under the agent's
//! managed OUs (judged for orphans like Entra ID's), and a synced leaver's AD account after
//! sealing (drift). Reads only: a listing and a read-back change nothing, so the agent's rails
//! let both through.

use chrono::Utc;

use offboard_agent_proto::{
    Action, AgentCommand, AgentResponse, CaseId as AgentCaseId, CommandResult, DirectoryAccount,
    Outcome, UserLocator, UserState,
};
use offboard_core::reconcile::Account;

use crate::onprem::OnPremAgent;

/// Signs `command`, sends it and returns what the agent executed; a rejection or the relay's
/// error as a sentence.
async fn send(agent: &OnPremAgent, command: AgentCommand) -> Result<CommandResult, String> {
    let signed = agent
        .signing_key
        .sign(&command)
        .map_err(|e| e.to_string())?;
    match agent.channel.send(&signed).await {
        Err(e) => Err(format!("the agent could not be reached: {e}")),
        Ok(AgentResponse::Rejected(r)) => Err(format!(
            "agent {} refused the command: {}",
            r.agent.name, r.rejection
        )),
        Ok(AgentResponse::Executed(result)) => Ok(*result),
    }
}

/// The first action outcome that is not a success, as a sentence.
fn failed(result: &CommandResult) -> Option<String> {
    result
        .actions
        .iter()
        .find(|a| !a.outcome.is_success())
        .map(|a| {
            format!(
                "agent {} answered {}: {:?}",
                result.agent.name,
                a.action.name(),
                a.outcome
            )
        })
}

fn scope(id: &str) -> Result<AgentCaseId, String> {
    AgentCaseId::parse(id).map_err(|e| format!("`{id}` cannot be sent to the agent: {e}"))
}

/// An account the agent listed, as the scan judges accounts (directory `ad`, its objectGUID
/// as the id; enabled, since only enabled accounts are listed).
pub fn account(a: DirectoryAccount) -> Account {
    Account {
        object_id: a.object_guid.to_string(),
        upn: a.user_principal_name,
        mail: a.mail,
        display_name: a.display_name.or(Some(a.sam_account_name)),
        employee_id: a.employee_id,
        enabled: true,
        member: true,
        employee_type: a.employee_type,
        on_premises_dn: Some(a.dn),
        directory: "ad".into(),
        ..Account::default()
    }
}

/// The enabled accounts under the agent's managed OUs, for scan `scan_id`.
pub async fn enabled_accounts(agent: &OnPremAgent, scan_id: &str) -> Result<Vec<Account>, String> {
    let command = AgentCommand::list_enabled_users(scope(scan_id)?, Utc::now(), agent.command_ttl);
    let result = send(agent, command).await?;
    if let Some(why) = failed(&result) {
        return Err(why);
    }
    let listed = result.accounts.ok_or_else(|| {
        format!(
            "agent {} answered without a listing: it predates listEnabledUsers; upgrade it",
            result.agent.name
        )
    })?;
    Ok(listed.into_iter().map(account).collect())
}

/// The AD account `locator` finds, read back for case `case_id`; `None` when no account
/// matches (it was deleted: nothing came back).
pub async fn read_back(
    agent: &OnPremAgent,
    case_id: &str,
    locator: UserLocator,
) -> Result<Option<UserState>, String> {
    let command = AgentCommand::new(
        scope(case_id)?,
        locator,
        vec![Action::ReadBack],
        Utc::now(),
        agent.command_ttl,
    );
    let result = send(agent, command).await?;
    if result
        .actions
        .iter()
        .all(|a| a.outcome == Outcome::NotFound)
    {
        return Ok(None);
    }
    match failed(&result) {
        Some(why) => Err(why),
        None => Ok(result.after.or(result.before)),
    }
}
