//! The small builders the demo tenant is written with: a date, a service plan, a licence,
//! a user from its few interesting facts, a group, a mailbox and an authentication method.

use chrono::{DateTime, TimeZone, Utc};

use crate::model::*;

pub(super) fn t(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

pub(super) fn plan(id: &str, name: &str) -> ServicePlan {
    ServicePlan {
        service_plan_id: id.to_owned(),
        service_plan_name: name.to_owned(),
    }
}

pub(super) fn lic(sku: &str) -> AssignedLicense {
    AssignedLicense {
        sku_id: sku.to_owned(),
        disabled_plans: Vec::new(),
    }
}

pub(super) struct U<'a> {
    pub(super) id: &'a str,
    pub(super) alias: &'a str,
    pub(super) given: &'a str,
    pub(super) surname: &'a str,
    pub(super) employee_id: &'a str,
    pub(super) title: &'a str,
    pub(super) department: &'a str,
    pub(super) manager: Option<&'a str>,
    pub(super) licenses: Vec<AssignedLicense>,
    pub(super) enabled: bool,
    pub(super) synced: bool,
    pub(super) has_mail: bool,
}

pub(super) fn user(u: U<'_>, domain: &str) -> User {
    let upn = format!("{}@{}", u.alias, domain);
    User {
        id: u.id.to_owned(),
        user_principal_name: upn.clone(),
        display_name: format!("{} {}", u.given, u.surname),
        given_name: Some(u.given.to_owned()),
        surname: Some(u.surname.to_owned()),
        mail: u.has_mail.then(|| upn.clone()),
        mail_nickname: Some(u.alias.to_owned()),
        employee_id: Some(u.employee_id.to_owned()),
        job_title: Some(u.title.to_owned()),
        department: Some(u.department.to_owned()),
        company_name: Some("Contoso".to_owned()),
        city: Some("Redmond".to_owned()),
        office_location: Some("18/2111".to_owned()),
        business_phones: vec!["+1 425 555 0109".to_owned()],
        mobile_phone: None,
        preferred_language: Some("en-US".to_owned()),
        usage_location: Some("US".to_owned()),
        user_type: "Member".to_owned(),
        account_enabled: u.enabled,
        on_premises_sync_enabled: u.synced.then_some(true),
        on_premises_immutable_id: u.synced.then(|| format!("{}{}", u.alias, "ImmutableId==")),
        on_premises_sam_account_name: u.synced.then(|| u.alias.to_owned()),
        on_premises_distinguished_name: u.synced.then(|| {
            format!(
                "CN={} {},OU=Staff,DC=corp,DC=contoso,DC=com",
                u.given, u.surname
            )
        }),
        on_premises_last_sync_date_time: u.synced.then(|| t(2025, 1, 6)),
        manager_id: u.manager.map(str::to_owned),
        deleted_date_time: None,
        assigned_licenses: u.licenses,
        sign_in_sessions_valid_from_date_time: t(2024, 3, 1),
        last_password_change_date_time: Some(t(2024, 11, 2)),
        force_change_password_next_sign_in: false,
        last_sign_in_date_time: Some(t(2025, 1, 5)),
        employee_type: Some("Employee".to_owned()),
        employee_leave_date_time: None,
        created_date_time: t(2021, 6, 1),
        on_premises: u.synced.then_some(OnPremisesState {
            account_enabled: u.enabled,
            changed_at: None,
        }),
    }
}

pub(super) fn group(id: &str, name: &str, f: impl FnOnce(&mut Group)) -> Group {
    let mut g = Group {
        id: id.to_owned(),
        display_name: name.to_owned(),
        description: None,
        group_types: Vec::new(),
        mail_enabled: false,
        security_enabled: true,
        mail: None,
        mail_nickname: Some(name.replace(' ', "")),
        membership_rule: None,
        membership_rule_processing_state: None,
        on_premises_sync_enabled: None,
        is_assignable_to_role: None,
        members: Vec::new(),
        assigned_licenses: Vec::new(),
    };
    f(&mut g);
    g
}

pub(super) fn mailbox(user_id: &str, size_gb: u64) -> Mailbox {
    Mailbox {
        user_id: user_id.to_owned(),
        recipient_type_details: "UserMailbox".to_owned(),
        hidden_from_address_lists_enabled: false,
        total_item_size_bytes: size_gb * 1024 * 1024 * 1024,
        litigation_hold_enabled: false,
        time_zone: "Pacific Standard Time".to_owned(),
        auto_reply: AutoReply::default(),
        permissions: Vec::new(),
        doors: Default::default(),
    }
}

pub(super) fn method(
    id: &str,
    user_id: &str,
    kind: &str,
    name: Option<&str>,
) -> AuthenticationMethod {
    AuthenticationMethod {
        id: id.to_owned(),
        user_id: user_id.to_owned(),
        method_type: kind.to_owned(),
        display_name: name.map(str::to_owned),
        phone_number: None,
        phone_type: None,
        created_date_time: Some(t(2023, 4, 2)),
    }
}
