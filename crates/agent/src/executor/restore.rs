//! The restore actions: the account goes back to the OU it lived in and into the groups it
//! left, after a mistaken termination. The same rails as the termination's actions, turned
//! around: the account may only be moved into a managed OU, and only added to groups under
//! the managed group OUs that are not protected (a restore must never make an administrator).

use offboard_agent_proto::{ItemResult, Outcome, RefusalReason, UserState};

use super::{Executor, combine};
use crate::ad::{self, AdError, Session};
use crate::dn::{Dn, leaf_rdn};

impl Executor {
    /// Moves the account back under `ou`, verified by reading it again by objectGUID.
    pub(super) async fn move_to_ou(
        &self,
        session: &mut Session,
        user: &UserState,
        ou: &str,
        hide_in_schema: bool,
    ) -> Result<Outcome, AdError> {
        let target = Dn::parse(ou);
        // The managed OU itself or an OU below it (the account then lies under it, as the
        // rail for every other action requires).
        if !self.scope.managed_ous.iter().any(|m| {
            let m = Dn::parse(m);
            target == m || target.is_under(&m)
        }) {
            return Ok(Outcome::Refused {
                reason: RefusalReason::OuOutsideManagedOus { ou: ou.to_owned() },
            });
        }
        if Dn::parse(&user.dn).is_child_of(&target) {
            return Ok(Outcome::AlreadyDone);
        }
        let rdn = leaf_rdn(&user.dn);
        match session
            .move_entry(&user.dn, rdn, ou, "move back to its OU")
            .await
        {
            Err(e) if e.rc() == Some(ad::rc::ALREADY_EXISTS) => Ok(Outcome::PermanentError {
                message: format!(
                    "an object named {rdn} already exists in {ou}; rename one of them, then retry"
                ),
            }),
            Err(e) => Err(e),
            Ok(()) => {
                let after = session.read_user(user.object_guid, hide_in_schema).await?;
                Ok(if Dn::parse(&after.state.dn).is_child_of(&target) {
                    Outcome::Done
                } else {
                    Outcome::PermanentError {
                        message: format!(
                            "the move succeeded but reading back shows the account at {}; check for a process that moves it",
                            after.state.dn
                        ),
                    }
                })
            }
        }
    }

    /// Adds the account to each of `groups`, one item per group, verified from the
    /// account's `memberOf` read again.
    pub(super) async fn add_to_groups(
        &self,
        session: &mut Session,
        user: &UserState,
        groups: &[String],
        hide_in_schema: bool,
    ) -> Result<(Outcome, Vec<ItemResult>), AdError> {
        let group_ous: Vec<Dn> = self.scope.group_ous.iter().map(|g| Dn::parse(g)).collect();
        let protected: Vec<Dn> = self
            .scope
            .protected_groups
            .iter()
            .map(|g| Dn::parse(g))
            .collect();
        let member = |dn: &str, of: &[String]| of.iter().any(|g| Dn::parse(g) == Dn::parse(dn));
        let mut items = Vec::new();
        for group in groups {
            let gdn = Dn::parse(group);
            // A membership that is there is fine whatever its group: the termination could
            // not remove it from a group outside the managed OUs either.
            let outcome = if member(group, &user.member_of) {
                Outcome::AlreadyDone
            } else if protected.contains(&gdn) {
                Outcome::Refused {
                    reason: RefusalReason::ProtectedGroup {
                        group_dn: group.clone(),
                    },
                }
            } else if !group_ous.iter().any(|ou| gdn.is_under(ou)) {
                Outcome::Refused {
                    reason: RefusalReason::GroupOutsideManagedOus {
                        group_dn: group.clone(),
                    },
                }
            } else {
                match session.add_member(group, &user.dn).await {
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
        let after = session.read_user(user.object_guid, hide_in_schema).await?;
        for item in &mut items {
            if matches!(item.outcome, Outcome::Done | Outcome::AlreadyDone)
                && !member(&item.dn, &after.state.member_of)
            {
                item.outcome = Outcome::PermanentError {
                    message: "the write succeeded but reading back shows the account not in the group; check for a process that removes it".into(),
                };
            }
        }
        Ok((combine(&items), items))
    }
}
