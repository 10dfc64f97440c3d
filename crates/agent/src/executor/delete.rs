//! Deleting a leaver's account (`deleteUser`), when the handler's policy lets the agent delete
//! synced leavers. The account rails apply as to every change (inside the managed or
//! disabled-users OUs, not protected: checked before any action runs); on top, only a disabled
//! account is deleted, so an account someone enabled again (a rehire) is never removed. The
//! delete is verified by searching for the objectGUID again: nothing must answer.

use offboard_agent_proto::{Outcome, RefusalReason, UserState};

use super::Executor;
use crate::ad::{AdError, Session};

impl Executor {
    /// Deletes the account, verified gone by objectGUID.
    pub(super) async fn delete_user(
        &self,
        session: &mut Session,
        user: &UserState,
        hide_in_schema: bool,
    ) -> Result<Outcome, AdError> {
        if !self.scope.allow_delete {
            return Ok(Outcome::Refused {
                reason: RefusalReason::DeleteNotAllowed,
            });
        }
        if !user.disabled {
            return Ok(Outcome::Refused {
                reason: RefusalReason::AccountEnabled,
            });
        }
        session.delete_entry(&user.dn, "delete the account").await?;
        let still = session
            .find_user(
                &offboard_agent_proto::UserLocator::ObjectGuid(user.object_guid),
                hide_in_schema,
            )
            .await?;
        Ok(match still {
            None => Outcome::Done,
            Some(_) => Outcome::PermanentError {
                message: format!(
                    "the delete of {} succeeded but the account is still found by its objectGUID; check for a restore from the AD recycle bin",
                    user.dn
                ),
            },
        })
    }
}
