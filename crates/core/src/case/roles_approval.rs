//! Directory roles after a restore: a restore never gives administrative roles back by
//! itself. It holds them (`awaiting approval`) and a second operator releases or refuses them
//! — someone other than the person who asked for the restore and other than anyone who
//! approved the case before (four eyes twice: an administrator's access comes back only when
//! two more people agree). What is held lives on the restore (`approval::RolesApproval`).

use chrono::{DateTime, Utc};

use super::approval::{Actor, Decision, Restore};

/// A decision on held directory roles that offboard refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolesDecisionError {
    /// The case's latest restore holds no directory roles.
    #[error(
        "no directory roles await approval on this case (restore it first; a restore that removed no roles holds none)"
    )]
    NothingHeld,
    /// The roles were decided already.
    #[error("the directory roles were already {what} by {by}")]
    AlreadyDecided {
        /// `approved` or `rejected`.
        what: &'static str,
        /// Who decided.
        by: String,
    },
    /// The decider asked for the restore, or approved the case before (four eyes).
    #[error(
        "{who} {role} and cannot also release its directory roles: another operator must decide"
    )]
    SamePerson {
        /// The person.
        who: String,
        /// What they did already.
        role: &'static str,
    },
    /// A decision needs a reason.
    #[error("a decision needs a reason (\"reason\": \"...\")")]
    NoReason,
}

impl Restore {
    /// Decides the directory roles this restore holds: `approve`d by `by` for `reason` at
    /// `now`. `earlier_approver` is whoever approved the case's hold, if anyone: they may not
    /// decide either.
    pub fn decide_roles(
        &mut self,
        approve: bool,
        by: &Actor,
        reason: &str,
        now: DateTime<Utc>,
        earlier_approver: Option<&Actor>,
    ) -> Result<(), RolesDecisionError> {
        if reason.trim().is_empty() {
            return Err(RolesDecisionError::NoReason);
        }
        let asker = self.by.clone();
        let held = self.roles.as_mut().ok_or(RolesDecisionError::NothingHeld)?;
        if let Some(d) = &held.decision {
            return Err(RolesDecisionError::AlreadyDecided {
                what: if d.approved { "approved" } else { "rejected" },
                by: d.by.describe(),
            });
        }
        if asker.is_same_identity(by) {
            return Err(RolesDecisionError::SamePerson {
                who: by.describe(),
                role: "asked for this restore",
            });
        }
        if earlier_approver.is_some_and(|a| a.is_same_identity(by)) {
            return Err(RolesDecisionError::SamePerson {
                who: by.describe(),
                role: "approved this case before",
            });
        }
        held.decision = Some(Decision {
            approved: approve,
            by: by.clone(),
            at: now,
            reason: reason.to_owned(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::approval::{ActorKind, RolesApproval};

    fn person(id: &str) -> Actor {
        Actor {
            kind: ActorKind::Person,
            object_id: Some(id.into()),
            name: Some(format!("{id}@contoso.example")),
        }
    }

    fn restore(by: Actor, roles: bool) -> Restore {
        Restore {
            by,
            at: Utc::now(),
            reason: "mistaken termination".into(),
            count: 1,
            roles: roles.then(|| RolesApproval {
                roles: vec!["Helpdesk Administrator".into()],
                decision: None,
            }),
        }
    }

    #[test]
    fn roles_are_released_only_by_a_third_person_once_with_a_reason() {
        let now = Utc::now();
        let mut r = restore(person("asker"), true);
        assert_eq!(
            r.decide_roles(true, &person("other"), " ", now, None),
            Err(RolesDecisionError::NoReason)
        );
        assert!(matches!(
            r.decide_roles(true, &person("asker"), "ok", now, None),
            Err(RolesDecisionError::SamePerson {
                role: "asked for this restore",
                ..
            })
        ));
        assert!(matches!(
            r.decide_roles(true, &person("first"), "ok", now, Some(&person("first"))),
            Err(RolesDecisionError::SamePerson {
                role: "approved this case before",
                ..
            })
        ));
        assert_eq!(r.roles.as_ref().and_then(|h| h.decision.as_ref()), None);
        r.decide_roles(
            true,
            &person("third"),
            "confirmed with HR",
            now,
            Some(&person("first")),
        )
        .unwrap();
        let d = r.roles.as_ref().and_then(|h| h.decision.clone()).unwrap();
        assert!(d.approved);
        assert_eq!(d.by, person("third"));
        // Once decided, no second decision.
        assert!(matches!(
            r.decide_roles(false, &person("fourth"), "no", now, None),
            Err(RolesDecisionError::AlreadyDecided {
                what: "approved",
                ..
            })
        ));
        // A restore that held no roles has nothing to decide.
        assert_eq!(
            restore(person("asker"), false).decide_roles(true, &person("x"), "ok", now, None),
            Err(RolesDecisionError::NothingHeld)
        );
    }
}
