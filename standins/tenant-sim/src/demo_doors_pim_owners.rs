//! The demo tenant's PIM eligibility and ownerships (issue 16): Alex Wilber (manager Megan) is
//! eligible for a privileged directory role and, under PIM for Groups, for membership of the
//! role-assignable group; he alone owns the "Finance Apps" group, shares "Retail" with Megan,
//! and alone owns the "Campaign Mailer" app registration and its service principal.

use chrono::{TimeZone, Utc};

use crate::model::{
    Application, GroupEligibility, Ownership, RoleEligibility, ServicePrincipal, Tenant,
};

use super::demo::ids::{ALEX, GROUP_FINANCE_APPS, GROUP_RETAIL_M365, GROUP_ROLE_ASSIGNABLE, MEGAN};
use super::demo::role_ids::PRIVILEGED_ROLE_ADMINISTRATOR;

/// Ids of the objects this module adds.
pub mod ids {
    /// Alex's eligibility for Privileged Role Administrator (tenant-wide).
    pub const ELIGIBILITY_ALEX_PRA: &str = "8e3c1b0a-5f2d-4a7e-9b6c-0d1e2f3a4b5c";
    /// Alex's eligible membership of "Helpdesk Tier 1" (PIM for Groups).
    pub const ELIGIBILITY_ALEX_HELPDESK: &str =
        "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e_member_ace08ec9";
    /// The "Campaign Mailer" app registration.
    pub const APP_CAMPAIGN_MAILER: &str = "c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b";
    /// The "Campaign Mailer" service principal.
    pub const SP_CAMPAIGN_MAILER: &str = "d1b2c3d4-e5f6-4a70-8b8c-0d1e2f3a4b5c";
}

/// Adds Alex's eligibility and ownerships.
pub fn add(t: &mut Tenant) {
    let created = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .unwrap_or_default();
    t.role_eligibility_schedules.push(RoleEligibility {
        id: ids::ELIGIBILITY_ALEX_PRA.to_owned(),
        principal_id: ALEX.to_owned(),
        role_definition_id: PRIVILEGED_ROLE_ADMINISTRATOR.to_owned(),
        directory_scope_id: "/".to_owned(),
        created_date_time: created,
    });
    t.group_eligibility_schedules.push(GroupEligibility {
        id: ids::ELIGIBILITY_ALEX_HELPDESK.to_owned(),
        principal_id: ALEX.to_owned(),
        group_id: GROUP_ROLE_ASSIGNABLE.to_owned(),
        access_id: "member".to_owned(),
        created_date_time: created,
    });
    t.applications.push(Application {
        id: ids::APP_CAMPAIGN_MAILER.to_owned(),
        app_id: "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9".to_owned(),
        display_name: "Campaign Mailer".to_owned(),
    });
    t.service_principals.push(ServicePrincipal {
        id: ids::SP_CAMPAIGN_MAILER.to_owned(),
        app_id: "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9".to_owned(),
        display_name: "Campaign Mailer".to_owned(),
    });
    let own = |object: &str, owner: &str| Ownership {
        object_id: object.to_owned(),
        owner_id: owner.to_owned(),
    };
    t.owners.extend([
        own(GROUP_FINANCE_APPS, ALEX),
        own(GROUP_RETAIL_M365, ALEX),
        own(GROUP_RETAIL_M365, MEGAN),
        own(ids::APP_CAMPAIGN_MAILER, ALEX),
        own(ids::SP_CAMPAIGN_MAILER, ALEX),
    ]);
}
