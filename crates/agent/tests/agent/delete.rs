//! `deleteUser` against a real directory (Samba AD DC): a disabled leaver inside the managed
//! OUs is deleted and found by nobody afterwards (read with the domain admin's session); a
//! second command finds no account; an enabled account, an account outside the managed OUs and
//! an agent not configured to delete are refused, changing nothing.

use ldap3::Scope;
use offboard_agent::executor::Executor;
use offboard_agent_proto::{Action, Outcome, RefusalReason, UserLocator};

use crate::helpers::*;

/// Whether any entry in the domain still has this sAMAccountName (admin session).
async fn exists(samba: &Samba, admin: &mut ldap3::Ldap, sam: &str) -> bool {
    let (entries, _) = admin
        .search(
            &samba.base_dn,
            Scope::Subtree,
            &format!("(sAMAccountName={})", ldap3::ldap_escape(sam)),
            vec!["distinguishedName"],
        )
        .await
        .expect("search")
        .success()
        .expect("search succeeds");
    !entries.is_empty()
}

#[tokio::test]
async fn a_disabled_leaver_is_deleted_once_and_a_second_command_finds_nobody() {
    let samba = samba(Instance::Plain);
    let mut admin = must(samba.admin().await);
    // 514 = NORMAL_ACCOUNT | ACCOUNTDISABLE, in the disabled-users OU as ad-cleanup leaves it.
    let user = must(create_user(&mut admin, &samba.disabled_ou, 514).await);
    let executor = samba.executor();
    let case = case();
    let target = UserLocator::SamAccountName(user.sam.clone());
    let result = executor
        .execute(&command(&case, target.clone(), vec![Action::DeleteUser]))
        .await;
    assert_eq!(result.actions.len(), 1);
    assert_eq!(result.actions[0].outcome, Outcome::Done, "{result:?}");
    assert!(
        result.before.is_some() && result.after.is_none(),
        "{result:?}"
    );
    assert!(
        !exists(&samba, &mut admin, &user.sam).await,
        "the admin finds the account gone"
    );
    let again = executor
        .execute(&command(&case, target, vec![Action::DeleteUser]))
        .await;
    assert_eq!(again.actions[0].outcome, Outcome::NotFound, "{again:?}");
}

#[tokio::test]
async fn deletes_outside_the_rails_are_refused_and_change_nothing() {
    let samba = samba(Instance::Plain);
    let mut admin = must(samba.admin().await);
    let executor = samba.executor();
    let case = case();
    let refused = |r: &offboard_agent_proto::CommandResult| match &r.actions[0].outcome {
        Outcome::Refused { reason } => reason.clone(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    // Enabled (someone enabled it again): kept.
    let enabled = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let r = executor
        .execute(&command(
            &case,
            UserLocator::SamAccountName(enabled.sam.clone()),
            vec![Action::DeleteUser],
        ))
        .await;
    assert_eq!(refused(&r), RefusalReason::AccountEnabled);
    assert!(exists(&samba, &mut admin, &enabled.sam).await);
    // Outside the OUs the agent manages, even disabled: kept.
    let outside = must(create_user(&mut admin, &samba.outside_ou, 514).await);
    let r = executor
        .execute(&command(
            &case,
            UserLocator::SamAccountName(outside.sam.clone()),
            vec![Action::DeleteUser],
        ))
        .await;
    assert!(
        matches!(refused(&r), RefusalReason::OutsideManagedOus { .. }),
        "{r:?}"
    );
    assert!(exists(&samba, &mut admin, &outside.sam).await);
    // An agent not configured to delete: kept.
    let leaver = must(create_user(&mut admin, &samba.disabled_ou, 514).await);
    let mut rails = samba.rails();
    rails.allow_delete = false;
    let cautious = Executor::new(samba.directory(), rails, identity());
    let r = cautious
        .execute(&command(
            &case,
            UserLocator::SamAccountName(leaver.sam.clone()),
            vec![Action::DeleteUser],
        ))
        .await;
    assert_eq!(refused(&r), RefusalReason::DeleteNotAllowed);
    assert!(exists(&samba, &mut admin, &leaver.sam).await);
}
