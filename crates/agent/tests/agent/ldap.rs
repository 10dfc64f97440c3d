//! The executor against a real directory (Samba AD DC), each change read back independently with
//! the domain admin's session.

use chrono::NaiveDate;
use offboard_agent::executor::Executor;
use offboard_agent_proto::{
    Action, AddressListVisibility, AgentCommand, Outcome, RefusalReason, UserLocator,
};

use crate::helpers::*;

fn all_actions(date: NaiveDate) -> Vec<Action> {
    vec![
        Action::Disable,
        Action::ResetPassword,
        Action::RemoveGroupMemberships,
        Action::MoveToDisabledOu,
        Action::Stamp { date },
        Action::HideFromAddressLists,
        Action::ReadBack,
    ]
}

fn outcomes(result: &offboard_agent_proto::CommandResult) -> Vec<(&'static str, Outcome)> {
    result
        .actions
        .iter()
        .map(|a| (a.action.name(), a.outcome.clone()))
        .collect()
}

#[tokio::test]
async fn every_action_is_done_read_back_and_a_rerun_changes_nothing() {
    let samba = samba(Instance::Exch);
    let mut admin = must(samba.admin().await);
    // 0x10200 = NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD: the extra bit must survive the disable.
    let user = must(create_user(&mut admin, &samba.users_ou, 0x10200).await);
    let g1 = must(create_group(&mut admin, &samba.groups_ou).await);
    let g2 = must(create_group(&mut admin, &samba.groups_ou).await);
    must(add_member(&mut admin, &g1, &user.dn).await);
    must(add_member(&mut admin, &g2, &user.dn).await);
    assert_eq!(
        must(samba.bind_rc(&user.dn, &user.password).await),
        0,
        "fixture user can log on"
    );
    let before = read_sam(&samba, &mut admin, &user.sam).await;

    let executor = samba.executor();
    let case = case();
    let date = NaiveDate::from_ymd_opt(2025, 3, 31).unwrap();
    let cmd = command(
        &case,
        UserLocator::SamAccountName(user.sam.clone()),
        all_actions(date),
    );
    let result = executor.execute(&cmd).await;
    let names = outcomes(&result);
    for (name, outcome) in &names {
        assert_eq!(*outcome, Outcome::Done, "{name}: {outcome:?}");
    }
    let groups = &result.actions[2].items;
    assert_eq!(groups.len(), 2);
    assert!(groups.iter().all(|i| i.outcome == Outcome::Done));

    // Independent read-back with the admin session.
    let after = read_sam(&samba, &mut admin, &user.sam).await;
    assert_eq!(
        attr(&after, "userAccountControl").as_deref(),
        Some("66050"),
        "0x10202: disable bit added, others kept"
    );
    assert_ne!(
        attr(&after, "pwdLastSet"),
        attr(&before, "pwdLastSet"),
        "password was replaced"
    );
    assert!(
        after.attrs.get("memberOf").is_none_or(|v| v.is_empty()),
        "no direct groups left: {:?}",
        after.attrs.get("memberOf")
    );
    assert_eq!(
        attr(&after, "primaryGroupID").as_deref(),
        Some("513"),
        "primary group (Domain Users) stays"
    );
    assert_eq!(after.dn, format!("CN={},{}", user.sam, samba.disabled_ou));
    let stamp = offboard_agent_proto::stamp_text(&case, date);
    assert_eq!(attr(&after, "description").as_deref(), Some(stamp.as_str()));
    assert!(attr(&after, "info").unwrap_or_default().contains(&stamp));
    assert_eq!(
        attr(&after, "msExchHideFromAddressLists").as_deref(),
        Some("TRUE")
    );
    // The disabled account can no longer log on (rc 49, data 533); the old password is gone too.
    assert_eq!(must(samba.bind_rc(&after.dn, &user.password).await), 49);

    // The result carries before/after as the agent saw them.
    let b = result.before.as_ref().unwrap();
    let a = result.after.as_ref().unwrap();
    assert!(!b.disabled && a.disabled);
    assert_eq!(b.member_of.len(), 2);
    assert!(a.member_of.is_empty());
    assert_eq!(a.hide_from_address_lists, AddressListVisibility::Hidden);
    assert_eq!(b.object_guid, a.object_guid);
    assert_eq!(result.safety.as_ref().unwrap().protected_by, None);

    // Re-run the same work as a new command: everything already done, nothing written.
    let usn = attr(&after, "uSNChanged");
    let again = command(
        &case,
        UserLocator::SamAccountName(user.sam.clone()),
        all_actions(date),
    );
    let rerun = executor.execute(&again).await;
    for (name, outcome) in outcomes(&rerun) {
        let expected = if name == "readBack" {
            Outcome::Done
        } else {
            Outcome::AlreadyDone
        };
        assert_eq!(outcome, expected, "{name} on re-run");
    }
    let untouched = read_sam(&samba, &mut admin, &user.sam).await;
    assert_eq!(
        attr(&untouched, "uSNChanged"),
        usn,
        "a re-run must not write to AD"
    );
    assert_eq!(rerun.before, rerun.after);
}

#[tokio::test]
async fn a_password_set_just_before_is_still_reset_and_a_retry_is_known_by_its_marker() {
    let samba = samba(Instance::Exch);
    let mut admin = must(samba.admin().await);
    // Created (password set) a moment ago: a clock window would take that for the reset.
    let user = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let created = read_sam(&samba, &mut admin, &user.sam).await;
    let executor = samba.executor();
    let case = case();
    let reset = || {
        command(
            &case,
            UserLocator::SamAccountName(user.sam.clone()),
            vec![Action::ResetPassword],
        )
    };
    let first = executor.execute(&reset()).await;
    assert_eq!(first.actions[0].outcome, Outcome::Done, "{first:?}");
    let marker = offboard_agent_proto::reset_marker(&case);
    let after = read_sam(&samba, &mut admin, &user.sam).await;
    // (Samba keeps accepting the previous password for its "old password allowed period", so
    // the proof is pwdLastSet, read independently.)
    assert_ne!(
        attr(&after, "pwdLastSet"),
        attr(&created, "pwdLastSet"),
        "the password set just before the step was replaced"
    );
    assert_eq!(attr(&after, "info").as_deref(), Some(marker.as_str()));

    // A retry of the step is a new command of the same case: the marker says it is done.
    let usn = attr(&after, "uSNChanged");
    let retry = executor.execute(&reset()).await;
    assert_eq!(retry.actions[0].outcome, Outcome::AlreadyDone);
    let untouched = read_sam(&samba, &mut admin, &user.sam).await;
    assert_eq!(
        attr(&untouched, "uSNChanged"),
        usn,
        "a retry writes nothing"
    );

    // Another case (a rehire who leaves again) resets again, keeping the earlier notes.
    let other = offboard_agent_proto::CaseId::parse(format!("{case}-2")).unwrap();
    let again = executor
        .execute(&command(
            &other,
            UserLocator::SamAccountName(user.sam.clone()),
            vec![Action::ResetPassword],
        ))
        .await;
    assert_eq!(again.actions[0].outcome, Outcome::Done);
    let info = attr(&read_sam(&samba, &mut admin, &user.sam).await, "info").unwrap();
    assert_eq!(
        info,
        format!("{marker}\r\n{}", offboard_agent_proto::reset_marker(&other))
    );
}

#[tokio::test]
async fn finds_the_user_by_each_locator() {
    let samba = samba(Instance::Exch);
    let mut admin = must(samba.admin().await);
    let user = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let executor = samba.executor();
    let case = case();
    let first = executor
        .execute(&command(
            &case,
            UserLocator::SamAccountName(user.sam.clone()),
            vec![Action::ReadBack],
        ))
        .await;
    let state = first.after.clone().expect("found by sAMAccountName");
    assert_eq!(state.dn, user.dn);
    assert_eq!(
        state.user_principal_name.as_deref(),
        Some(user.upn.as_str())
    );
    for locator in [
        UserLocator::ObjectGuid(state.object_guid),
        UserLocator::EmployeeId(user.employee_id.clone()),
        UserLocator::UserPrincipalName(user.upn.clone()),
    ] {
        let r = executor
            .execute(&command(&case, locator.clone(), vec![Action::ReadBack]))
            .await;
        assert_eq!(r.actions[0].outcome, Outcome::Done, "{locator}");
        assert_eq!(
            r.after.as_ref().map(|s| s.object_guid),
            Some(state.object_guid),
            "{locator}"
        );
    }
}

#[tokio::test]
async fn an_unknown_user_is_not_found() {
    let samba = samba(Instance::Exch);
    let executor = samba.executor();
    let r = executor
        .execute(&command(
            &case(),
            UserLocator::SamAccountName(unique("nobody")),
            vec![Action::Disable, Action::ReadBack],
        ))
        .await;
    assert!(
        r.actions.iter().all(|a| a.outcome == Outcome::NotFound),
        "{:?}",
        r.actions
    );
    assert!(r.before.is_none() && r.after.is_none());
}

#[tokio::test]
async fn a_user_outside_the_managed_ous_is_refused_and_untouched() {
    let samba = samba(Instance::Exch);
    let mut admin = must(samba.admin().await);
    let user = must(create_user(&mut admin, &samba.outside_ou, 512).await);
    let before = read_sam(&samba, &mut admin, &user.sam).await;
    let r = samba
        .executor()
        .execute(&command(
            &case(),
            UserLocator::SamAccountName(user.sam.clone()),
            vec![Action::Disable, Action::MoveToDisabledOu, Action::ReadBack],
        ))
        .await;
    let refused = Outcome::Refused {
        reason: RefusalReason::OutsideManagedOus {
            dn: user.dn.clone(),
        },
    };
    assert_eq!(r.actions[0].outcome, refused);
    assert_eq!(r.actions[1].outcome, refused);
    assert_eq!(r.actions[2].outcome, Outcome::Done, "reading is allowed");
    assert!(!r.safety.as_ref().unwrap().in_managed_ou);
    let after = read_sam(&samba, &mut admin, &user.sam).await;
    assert_eq!(attr(&after, "uSNChanged"), attr(&before, "uSNChanged"));
    assert_eq!(attr(&after, "userAccountControl").as_deref(), Some("512"));
}

#[tokio::test]
async fn the_listing_holds_the_enabled_accounts_of_the_managed_ous_over_several_pages() {
    let samba = samba(Instance::Exch);
    let mut admin = must(samba.admin().await);
    // A sub-OU of the managed OU: three enabled accounts and a disabled one (0x202).
    let ou = must(create_ou(&mut admin, &samba.users_ou).await);
    let mut enabled = Vec::new();
    for _ in 0..3 {
        enabled.push(must(create_user(&mut admin, &ou, 512).await).sam);
    }
    let disabled = must(create_user(&mut admin, &ou, 514).await).sam;
    let outside = must(create_user(&mut admin, &samba.outside_ou, 512).await).sam;
    enabled.sort();

    // Two to a page: the Paged Results control is followed to the end.
    let mut session = must(
        offboard_agent::ad::Session::open(&samba.directory())
            .await
            .map_err(anyhow::Error::from),
    );
    let listed = session
        .enabled_users_under(std::slice::from_ref(&ou), 2)
        .await
        .expect("listing");
    session.close().await;
    let mut sams: Vec<String> = listed.iter().map(|a| a.sam_account_name.clone()).collect();
    sams.sort();
    assert_eq!(sams, enabled);
    let first = &listed[0];
    assert!(first.dn.ends_with(&ou), "{first:?}");
    assert!(first.user_principal_name.is_some() && first.employee_id.is_some());

    // Through a command: the managed OUs (the sub-OU and its parent, each account once),
    // nothing outside them, no disabled account, and nothing changed.
    let before = read_sam(&samba, &mut admin, &enabled[0]).await;
    let command =
        AgentCommand::list_enabled_users(case(), chrono::Utc::now(), chrono::Duration::minutes(5));
    let mut rails = samba.rails();
    rails.managed_ous.insert(0, ou.clone());
    let r = Executor::new(samba.directory(), rails, identity())
        .execute(&command)
        .await;
    assert_eq!(r.actions[0].outcome, Outcome::Done, "{:?}", r.actions);
    let accounts = r.accounts.expect("a listing");
    let found = |sam: &str| {
        accounts
            .iter()
            .filter(|a| a.sam_account_name == sam)
            .count()
    };
    for sam in &enabled {
        assert_eq!(found(sam), 1, "{sam} listed once");
    }
    assert_eq!(found(&disabled), 0);
    assert_eq!(found(&outside), 0);
    assert!(r.before.is_none() && r.safety.is_none());
    let after = read_sam(&samba, &mut admin, &enabled[0]).await;
    assert_eq!(attr(&after, "uSNChanged"), attr(&before, "uSNChanged"));
}

#[tokio::test]
async fn members_of_protected_groups_are_refused_even_when_nested() {
    let samba = samba(Instance::Exch);
    let mut admin = must(samba.admin().await);
    let direct = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let nested = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let helpdesk = must(create_group(&mut admin, &samba.groups_ou).await);
    must(add_member(&mut admin, &samba.admin_group, &direct.dn).await);
    must(add_member(&mut admin, &helpdesk, &nested.dn).await);
    must(add_member(&mut admin, &samba.admin_group, &helpdesk).await);
    let executor = samba.executor();
    for user in [&direct, &nested] {
        let r = executor
            .execute(&command(
                &case(),
                UserLocator::SamAccountName(user.sam.clone()),
                vec![Action::Disable, Action::RemoveGroupMemberships],
            ))
            .await;
        let expected = Outcome::Refused {
            reason: RefusalReason::ProtectedAccount {
                group_dn: samba.admin_group.clone(),
            },
        };
        assert_eq!(r.actions[0].outcome, expected, "{}", user.sam);
        assert_eq!(r.actions[1].outcome, expected, "{}", user.sam);
        let after = read_sam(&samba, &mut admin, &user.sam).await;
        assert_eq!(
            attr(&after, "userAccountControl").as_deref(),
            Some("512"),
            "{} untouched",
            user.sam
        );
    }
    // The built-in Administrator (Domain Admins, outside the managed OUs) is refused too.
    let r = executor
        .execute(&command(
            &case(),
            UserLocator::SamAccountName("Administrator".into()),
            vec![Action::Disable],
        ))
        .await;
    assert!(
        matches!(r.actions[0].outcome, Outcome::Refused { .. }),
        "{:?}",
        r.actions[0].outcome
    );
}

#[tokio::test]
async fn groups_outside_the_managed_group_ous_are_refused_per_group() {
    let samba = samba(Instance::Exch);
    let mut admin = must(samba.admin().await);
    let user = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let managed = must(create_group(&mut admin, &samba.groups_ou).await);
    let foreign = must(create_group(&mut admin, &samba.outside_ou).await);
    must(add_member(&mut admin, &managed, &user.dn).await);
    must(add_member(&mut admin, &foreign, &user.dn).await);
    let r = samba
        .executor()
        .execute(&command(
            &case(),
            UserLocator::SamAccountName(user.sam.clone()),
            vec![Action::RemoveGroupMemberships],
        ))
        .await;
    let items = &r.actions[0].items;
    let of = |dn: &str| {
        items
            .iter()
            .find(|i| i.dn.eq_ignore_ascii_case(dn))
            .map(|i| i.outcome.clone())
    };
    assert_eq!(of(&managed), Some(Outcome::Done));
    assert!(matches!(
        of(&foreign),
        Some(Outcome::Refused {
            reason: RefusalReason::GroupOutsideManagedOus { .. }
        })
    ));
    assert!(
        matches!(r.actions[0].outcome, Outcome::Refused { .. }),
        "the refusal is reported for the action"
    );
    let after = read_sam(&samba, &mut admin, &user.sam).await;
    assert_eq!(
        after.attrs.get("memberOf").map(Vec::len),
        Some(1),
        "only the foreign group remains"
    );
}

#[tokio::test]
async fn an_unreachable_dc_is_a_transient_error() {
    let samba = samba(Instance::Exch);
    // A port with nothing listening on 127.0.0.1.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut directory = samba.directory();
    directory.url = format!("ldaps://127.0.0.1:{port}");
    let executor = Executor::new(directory, samba.rails(), identity());
    let r = executor
        .execute(&command(
            &case(),
            UserLocator::SamAccountName("anyone".into()),
            vec![Action::Disable, Action::ReadBack],
        ))
        .await;
    for a in &r.actions {
        assert!(
            matches!(a.outcome, Outcome::TransientError { .. }),
            "{:?}",
            a.outcome
        );
    }
    assert!(r.any_transient());
}

#[tokio::test]
async fn a_dc_certificate_from_another_ca_is_refused_permanently() {
    let exch = samba(Instance::Exch);
    let plain = samba(Instance::Plain);
    // Each test domain has its own generated CA: trusting the other one must fail verification.
    let mut directory = exch.directory();
    directory.tls = offboard_agent::ad::tls_config(Some(&plain.ca_file)).unwrap();
    let r = Executor::new(directory, exch.rails(), identity())
        .execute(&command(
            &case(),
            UserLocator::SamAccountName("anyone".into()),
            vec![Action::ReadBack],
        ))
        .await;
    match &r.actions[0].outcome {
        Outcome::PermanentError { message } => assert!(message.contains("TLS"), "{message}"),
        other => panic!("expected a permanent TLS error, got {other:?}"),
    }
}

#[tokio::test]
async fn without_the_exchange_schema_hiding_is_not_applicable_and_the_rest_works() {
    let samba = samba(Instance::Plain);
    let mut admin = must(samba.admin().await);
    let user = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let r = samba
        .executor()
        .execute(&command(
            &case(),
            UserLocator::SamAccountName(user.sam.clone()),
            vec![Action::Disable, Action::HideFromAddressLists],
        ))
        .await;
    assert_eq!(r.actions[0].outcome, Outcome::Done);
    assert!(
        matches!(&r.actions[1].outcome, Outcome::NotApplicable { reason } if reason.contains("msExchHideFromAddressLists"))
    );
    assert_eq!(
        r.after.unwrap().hide_from_address_lists,
        AddressListVisibility::NotInSchema
    );
    let after = read_sam(&samba, &mut admin, &user.sam).await;
    assert_eq!(attr(&after, "userAccountControl").as_deref(), Some("514"));
}

#[tokio::test]
async fn starttls_on_plain_ldap_works_with_verification() {
    let samba = samba(Instance::Plain);
    let mut admin = must(samba.admin().await);
    let user = must(create_user(&mut admin, &samba.users_ou, 512).await);
    let mut directory = samba.directory();
    directory.url = samba.starttls_url.clone();
    directory.starttls = true;
    let r = Executor::new(directory, samba.rails(), identity())
        .execute(&command(
            &case(),
            UserLocator::UserPrincipalName(user.upn.clone()),
            vec![Action::Disable],
        ))
        .await;
    assert_eq!(r.actions[0].outcome, Outcome::Done);
}
