//! Executes a verified command against AD: find the account, apply the safety rails, run each
//! action idempotently and read everything back.

use chrono::Utc;
use offboard_agent_proto::{
    Action, ActionResult, AddressListVisibility, AgentCommand, AgentIdentity, CaseId,
    CommandResult, ItemResult, Outcome, RefusalReason, SafetyCheck, UserState, reset_marker,
    stamp_text,
};
use rand::Rng;
use rand::seq::SliceRandom;
use secrecy::SecretString;

use crate::ad::{self, AdError, DirectorySettings, HIDE_ATTRIBUTE, Session, UserEntry};
use crate::dn::{Dn, leaf_rdn};

mod delete;
mod restore;

/// The OUs and groups the rails are built from.
#[derive(Clone, Debug)]
pub struct Scope {
    /// Users under these may be changed.
    pub managed_ous: Vec<String>,
    /// Leavers go here; users here may be changed too (so re-runs stay idempotent).
    pub disabled_ou: String,
    /// Groups under these may lose members.
    pub group_ous: Vec<String>,
    /// Members (nested, or by primary group) of these are refused.
    pub protected_groups: Vec<String>,
    /// Refuse `adminCount=1` accounts.
    pub refuse_admin_count: bool,
    /// Delete accounts when asked (`deleteUser`); refused otherwise.
    pub allow_delete: bool,
}

/// Runs commands against one directory.
#[derive(Debug)]
pub struct Executor {
    directory: DirectorySettings,
    scope: Scope,
    agent: AgentIdentity,
}

/// A password of 32 characters with upper, lower, digit and symbol (satisfies AD complexity).
fn random_password() -> SecretString {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"!#%+-=?@^_~";
    let mut rng = rand::rng();
    let mut chars: Vec<u8> = Vec::with_capacity(32);
    for class in [UPPER, LOWER, DIGIT, SYMBOL] {
        chars.push(class[rng.random_range(0..class.len())]);
    }
    let all: Vec<u8> = [UPPER, LOWER, DIGIT, SYMBOL].concat();
    while chars.len() < 32 {
        chars.push(all[rng.random_range(0..all.len())]);
    }
    chars.shuffle(&mut rng);
    let password = String::from_utf8(chars).unwrap_or_default();
    SecretString::from(password)
}

/// Whether `info` holds `marker` as one of its lines.
fn has_marker(info: Option<&str>, marker: &str) -> bool {
    info.is_some_and(|i| i.lines().any(|l| l.trim_end() == marker))
}

/// The worst of several item outcomes, for the action as a whole.
fn combine(items: &[ItemResult]) -> Outcome {
    let rank = |o: &Outcome| match o {
        Outcome::PermanentError { .. } => 6,
        Outcome::TransientError { .. } => 5,
        Outcome::Refused { .. } => 4,
        Outcome::NotFound => 3,
        Outcome::Done => 2,
        Outcome::NotApplicable { .. } => 1,
        Outcome::AlreadyDone => 0,
    };
    items
        .iter()
        .map(|i| &i.outcome)
        .max_by_key(|o| rank(o))
        .cloned()
        .unwrap_or(Outcome::AlreadyDone)
}

impl Executor {
    /// An executor for `directory` with the given rails.
    pub fn new(directory: DirectorySettings, scope: Scope, agent: AgentIdentity) -> Self {
        Self {
            directory,
            scope,
            agent,
        }
    }

    /// This agent's identity.
    pub fn agent(&self) -> &AgentIdentity {
        &self.agent
    }

    fn every_action(command: &AgentCommand, outcome: Outcome) -> Vec<ActionResult> {
        command
            .actions
            .iter()
            .map(|a| ActionResult {
                action: a.clone(),
                outcome: outcome.clone(),
                items: Vec::new(),
            })
            .collect()
    }

    /// Executes `command`. Never fails: every problem is an outcome in the result.
    #[tracing::instrument(name = "agent.execute", skip_all, fields(command_id = %command.id, case_id = %command.case_id))]
    pub async fn execute(&self, command: &AgentCommand) -> CommandResult {
        let started_at = Utc::now();
        let mut result = CommandResult {
            command_id: command.id,
            case_id: command.case_id.clone(),
            agent: self.agent.clone(),
            started_at,
            finished_at: started_at,
            before: None,
            after: None,
            safety: None,
            actions: Vec::new(),
            accounts: None,
        };
        match Session::open(&self.directory).await {
            Err(e) => {
                tracing::warn!(error = %e, "cannot open an LDAP session");
                result.actions = Self::every_action(command, e.to_outcome());
            }
            Ok(mut session) => {
                if let Err(e) = self.run(&mut session, command, &mut result).await {
                    tracing::warn!(error = %e, "command stopped");
                    let outcome = e.to_outcome();
                    let done = result.actions.len();
                    result
                        .actions
                        .extend(Self::every_action(command, outcome).into_iter().skip(done));
                }
                session.close().await;
            }
        }
        result.finished_at = Utc::now();
        for a in &result.actions {
            tracing::info!(action = a.action.name(), outcome = ?a.outcome, "action finished");
        }
        result
    }

    async fn safety(
        &self,
        session: &mut Session,
        user: &UserEntry,
    ) -> Result<SafetyCheck, AdError> {
        let dn = Dn::parse(&user.state.dn);
        let in_managed_ou = self
            .scope
            .managed_ous
            .iter()
            .chain(std::iter::once(&self.scope.disabled_ou))
            .any(|ou| dn.is_under(&Dn::parse(ou)));
        let mut protected_by = None;
        for group in &self.scope.protected_groups {
            if session.is_member_in_chain(&user.state.dn, group).await? {
                protected_by = Some(group.clone());
                break;
            }
            if let (Some(token), Some(primary)) = (
                session.primary_group_token(group).await?,
                user.state.primary_group_id,
            ) && token == primary
            {
                protected_by = Some(group.clone());
                break;
            }
        }
        if protected_by.is_none() && self.scope.refuse_admin_count && user.admin_count {
            protected_by = Some("adminCount=1".to_string());
        }
        Ok(SafetyCheck {
            in_managed_ou,
            protected_by,
        })
    }

    async fn run(
        &self,
        session: &mut Session,
        command: &AgentCommand,
        result: &mut CommandResult,
    ) -> Result<(), AdError> {
        let Some(target) = &command.target else {
            // The listing: no account to find and nothing changed, so no rail applies; it
            // reads only under the managed OUs.
            let accounts = session
                .enabled_users_under(&self.scope.managed_ous, ad::PAGE_SIZE)
                .await?;
            tracing::info!(accounts = accounts.len(), "listed the enabled accounts");
            result.accounts = Some(accounts);
            result.actions = Self::every_action(command, Outcome::Done);
            return Ok(());
        };
        let hide_in_schema = session.schema_has_attribute(HIDE_ATTRIBUTE).await?;
        let found = match session.find_user(target, hide_in_schema).await {
            Ok(found) => found,
            Err(e @ AdError::Ambiguous { .. }) => {
                result.actions = Self::every_action(
                    command,
                    Outcome::PermanentError {
                        message: e.to_string(),
                    },
                );
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let Some(user) = found else {
            tracing::info!(target = %target, "no account matches");
            result.actions = Self::every_action(command, Outcome::NotFound);
            return Ok(());
        };
        let guid = user.state.object_guid;
        result.before = Some(user.state.clone());
        let safety = self.safety(session, &user).await?;
        result.safety = Some(safety.clone());
        let refusal = if let Some(group) = &safety.protected_by {
            Some(if group == "adminCount=1" {
                RefusalReason::AdminCount
            } else {
                RefusalReason::ProtectedAccount {
                    group_dn: group.clone(),
                }
            })
        } else if !safety.in_managed_ou {
            Some(RefusalReason::OutsideManagedOus {
                dn: user.state.dn.clone(),
            })
        } else {
            None
        };
        let mut current = user;
        for action in &command.actions {
            if action.is_change()
                && let Some(reason) = &refusal
            {
                tracing::warn!(action = action.name(), ?reason, "refused by a safety rail");
                result.actions.push(ActionResult {
                    action: action.clone(),
                    outcome: Outcome::Refused {
                        reason: reason.clone(),
                    },
                    items: Vec::new(),
                });
                continue;
            }
            let (outcome, items) = match self
                .apply(
                    session,
                    action,
                    &command.case_id,
                    &current.state,
                    hide_in_schema,
                )
                .await
            {
                Ok(done) => done,
                Err(e) if !e.is_transient() || e.rc().is_some() => (e.to_outcome(), Vec::new()),
                Err(e) => return Err(e),
            };
            let deleted = *action == Action::DeleteUser && outcome == Outcome::Done;
            result.actions.push(ActionResult {
                action: action.clone(),
                outcome,
                items,
            });
            if deleted {
                // Nothing left to read: `after` stays empty, and later actions find no account.
                return Ok(());
            }
            if action.is_change() {
                current = session.read_user(guid, hide_in_schema).await?;
            }
        }
        result.after = Some(session.read_user(guid, hide_in_schema).await?.state);
        Ok(())
    }

    async fn apply(
        &self,
        session: &mut Session,
        action: &Action,
        case_id: &CaseId,
        user: &UserState,
        hide_in_schema: bool,
    ) -> Result<(Outcome, Vec<ItemResult>), AdError> {
        let guid = user.object_guid;
        let verify = |ok: bool, what: &str| {
            if ok {
                Outcome::Done
            } else {
                Outcome::PermanentError {
                    message: format!(
                        "the write succeeded but reading back shows {what}; check for a sync or policy that reverts it"
                    ),
                }
            }
        };
        let outcome = match action {
            Action::ReadBack => Outcome::Done,
            // Never sent with a target (the verifier refuses it); nothing to do on one account.
            Action::ListEnabledUsers => Outcome::NotApplicable {
                reason: "listing acts on no single account".into(),
            },
            Action::Disable => {
                if user.disabled {
                    Outcome::AlreadyDone
                } else {
                    session
                        .set_disabled_bit(&user.dn, user.user_account_control)
                        .await?;
                    let after = session.read_user(guid, hide_in_schema).await?;
                    verify(
                        after.state.disabled
                            && after.state.user_account_control
                                == user.user_account_control | ad::ACCOUNTDISABLE,
                        "userAccountControl without the disable bit (or with other bits changed)",
                    )
                }
            }
            Action::Enable => {
                if !user.disabled {
                    Outcome::AlreadyDone
                } else {
                    session
                        .clear_disabled_bit(&user.dn, user.user_account_control)
                        .await?;
                    let after = session.read_user(guid, hide_in_schema).await?;
                    verify(
                        !after.state.disabled
                            && after.state.user_account_control
                                == user.user_account_control & !ad::ACCOUNTDISABLE,
                        "userAccountControl with the disable bit still set (or other bits changed)",
                    )
                }
            }
            Action::ResetPassword => {
                let marker = reset_marker(case_id);
                if has_marker(user.info.as_deref(), &marker) {
                    // This case's reset already happened (a retry of the step): the marker was
                    // written in the same modify as the password.
                    Outcome::AlreadyDone
                } else {
                    let mut info = user.info.clone();
                    let mut attempt = 0;
                    loop {
                        let password = random_password();
                        let written = session
                            .replace_password_marked(&user.dn, &password, info.as_deref(), &marker)
                            .await;
                        drop(password);
                        match written {
                            Ok(()) => break,
                            // `info` changed between our read and the write (another command
                            // stamped it): nothing was written; read again and retry.
                            Err(e)
                                if attempt < 2
                                    && matches!(
                                        e.rc(),
                                        Some(ad::rc::NO_SUCH_ATTRIBUTE | ad::rc::VALUE_EXISTS)
                                    ) =>
                            {
                                attempt += 1;
                                info = session.read_user(guid, hide_in_schema).await?.state.info;
                                if has_marker(info.as_deref(), &marker) {
                                    return Ok((Outcome::AlreadyDone, Vec::new()));
                                }
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    let after = session.read_user(guid, hide_in_schema).await?;
                    verify(
                        after.state.pwd_last_set.is_some()
                            && after.state.pwd_last_set != user.pwd_last_set
                            && has_marker(after.state.info.as_deref(), &marker),
                        "pwdLastSet unchanged or no reset marker in info",
                    )
                }
            }
            Action::RemoveGroupMemberships => {
                let group_ous: Vec<Dn> =
                    self.scope.group_ous.iter().map(|g| Dn::parse(g)).collect();
                let mut items = Vec::new();
                for group in &user.member_of {
                    let gdn = Dn::parse(group);
                    let outcome = if !group_ous.iter().any(|ou| gdn.is_under(ou)) {
                        Outcome::Refused {
                            reason: RefusalReason::GroupOutsideManagedOus {
                                group_dn: group.clone(),
                            },
                        }
                    } else {
                        match session.remove_member(group, &user.dn).await {
                            Ok(true) => Outcome::Done,
                            Ok(false) => Outcome::AlreadyDone,
                            Err(e) if e.rc().is_some() || !e.is_transient() => e.to_outcome(),
                            Err(e) => return Err(e),
                        }
                    };
                    items.push(ItemResult {
                        dn: group.clone(),
                        outcome,
                    });
                }
                let after = session.read_user(guid, hide_in_schema).await?;
                for item in &mut items {
                    let still = after
                        .state
                        .member_of
                        .iter()
                        .any(|g| Dn::parse(g) == Dn::parse(&item.dn));
                    if matches!(item.outcome, Outcome::Done | Outcome::AlreadyDone) && still {
                        item.outcome = verify(false, "the account still in the group");
                    }
                }
                return Ok((combine(&items), items));
            }
            Action::MoveToDisabledOu => {
                let target = Dn::parse(&self.scope.disabled_ou);
                if Dn::parse(&user.dn).is_child_of(&target) {
                    Outcome::AlreadyDone
                } else {
                    match session
                        .move_entry(
                            &user.dn,
                            leaf_rdn(&user.dn),
                            &self.scope.disabled_ou,
                            "move to the disabled-users OU",
                        )
                        .await
                    {
                        Err(e) if e.rc() == Some(ad::rc::ALREADY_EXISTS) => {
                            Outcome::PermanentError {
                                message: format!(
                                    "an object named {} already exists in {}; rename one of them, then retry",
                                    leaf_rdn(&user.dn),
                                    self.scope.disabled_ou
                                ),
                            }
                        }
                        Err(e) => return Err(e),
                        Ok(()) => {
                            // The DN changed: find the account again by objectGUID.
                            let after = session.read_user(guid, hide_in_schema).await?;
                            verify(
                                Dn::parse(&after.state.dn).is_child_of(&target),
                                "the account outside the disabled-users OU",
                            )
                        }
                    }
                }
            }
            Action::MoveToOu { ou } => self.move_to_ou(session, user, ou, hide_in_schema).await?,
            Action::DeleteUser => self.delete_user(session, user, hide_in_schema).await?,
            Action::AddGroupMemberships { groups } => {
                return self
                    .add_to_groups(session, user, groups, hide_in_schema)
                    .await;
            }
            Action::Stamp { date } => {
                let text = stamp_text(case_id, *date);
                let description_ok = user.description.as_deref() == Some(text.as_str());
                let info_ok = user.info.as_deref().is_some_and(|i| i.contains(&text));
                if description_ok && info_ok {
                    Outcome::AlreadyDone
                } else {
                    let mut values = Vec::new();
                    if !description_ok {
                        values.push(("description", text.clone()));
                    }
                    if !info_ok {
                        let info = match user.info.as_deref() {
                            Some(existing) if !existing.is_empty() => {
                                format!("{existing}\r\n{text}")
                            }
                            _ => text.clone(),
                        };
                        values.push(("info", info));
                    }
                    session
                        .replace_attributes(&user.dn, &values, "stamp description/info")
                        .await?;
                    let after = session.read_user(guid, hide_in_schema).await?;
                    verify(
                        after.state.description.as_deref() == Some(text.as_str())
                            && after
                                .state
                                .info
                                .as_deref()
                                .is_some_and(|i| i.contains(&text)),
                        "description/info without the stamp",
                    )
                }
            }
            Action::HideFromAddressLists => match user.hide_from_address_lists {
                AddressListVisibility::NotInSchema => Outcome::NotApplicable {
                    reason: format!(
                        "the forest's schema has no {HIDE_ATTRIBUTE} (no Exchange schema extension), so there are no address lists to hide from"
                    ),
                },
                AddressListVisibility::Hidden => Outcome::AlreadyDone,
                AddressListVisibility::Visible => {
                    session
                        .replace_attributes(
                            &user.dn,
                            &[(HIDE_ATTRIBUTE, "TRUE".to_string())],
                            "hide from address lists",
                        )
                        .await?;
                    let after = session.read_user(guid, hide_in_schema).await?;
                    verify(
                        after.state.hide_from_address_lists == AddressListVisibility::Hidden,
                        "msExchHideFromAddressLists not TRUE",
                    )
                }
            },
        };
        Ok((outcome, Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_complexity_and_differ() {
        use secrecy::ExposeSecret;
        let a = random_password();
        let b = random_password();
        let pw = a.expose_secret();
        assert_eq!(pw.len(), 32);
        assert!(pw.chars().any(|c| c.is_ascii_uppercase()));
        assert!(pw.chars().any(|c| c.is_ascii_lowercase()));
        assert!(pw.chars().any(|c| c.is_ascii_digit()));
        assert!(pw.chars().any(|c| !c.is_ascii_alphanumeric()));
        assert_ne!(pw, b.expose_secret());
    }

    #[test]
    fn the_worst_item_outcome_wins() {
        let item = |outcome| ItemResult {
            dn: "CN=g".into(),
            outcome,
        };
        assert_eq!(combine(&[]), Outcome::AlreadyDone);
        assert_eq!(
            combine(&[item(Outcome::AlreadyDone), item(Outcome::Done)]),
            Outcome::Done
        );
        let refused = Outcome::Refused {
            reason: RefusalReason::GroupOutsideManagedOus {
                group_dn: "CN=g".into(),
            },
        };
        assert_eq!(
            combine(&[item(Outcome::Done), item(refused.clone())]),
            refused
        );
    }
}
