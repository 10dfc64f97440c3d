//! The built-in demo tenant ("Contoso"): realistic enough that every offboarding path and every
//! refusal Graph gives has an object to hit. `tenant-sim --dump-demo-seed` prints it as a seed
//! file to start from.
//!
//! | who | what makes them interesting |
//! |---|---|
//! | Adele Vance | cloud-only leaver: direct E3 + Visio, M365/security/dynamic/mail-enabled/distribution/role-assignable groups, mailbox, OneDrive, two Intune devices, four MFA methods, two app roles, a consent to a third-party app (`demo_doors`), manager Megan |
//! | Diego Siciliani | synced leaver: `onPremisesSyncEnabled`, group-based E3, a synced group, mailbox, OneDrive, manager Lee |
//! | Isaiah Langer | admin: Exchange Administrator role (privileged target) |
//! | Johanna Lorenz | the same SKU direct and group-based |
//! | Lynne Robbins | contractor without licence, mailbox or OneDrive |
//! | Pradeep Gupta | already disabled but still licensed (ghost access) |
//! | Megan Bowen, Lee Gu, Alex Wilber, Grady Archie | managers and colleagues; Grady is Global Administrator; Alex is PIM-eligible and owns a group, an app registration and its service principal (`demo_doors_pim_owners`) |
//!
//! This file holds the constants and [`demo_tenant`]; the well-known ids are in `ids` and
//! `role_ids`, the small builders the tenant is written with in `build`.

use crate::model::*;

mod build;
pub mod ids;
pub mod role_ids;

use build::{U, group, lic, mailbox, method, plan, t, user};

/// Tenant id of the demo tenant (the same as the identity stand-in's default).
pub const DEMO_TENANT_ID: &str = standin_identity::DEMO_TENANT_ID;

/// The Microsoft Graph application permissions the demo grants the app's managed identity:
/// exactly offboard's least-privilege set (`offboard_graph::permissions`; a test there keeps
/// the two equal), so a call that needs more fails in tests as it would in production.
pub const DEFAULT_GRAPH_APP_ROLES: &[&str] = &[
    "User.Read.All",
    "User.EnableDisableAccount.All",
    "User.RevokeSessions.All",
    "User-PasswordProfile.ReadWrite.All",
    "LicenseAssignment.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "AppRoleAssignment.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
    "Group.ReadWrite.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementManagedDevices.PrivilegedOperations.All",
    "Files.ReadWrite.All",
    "MailboxSettings.ReadWrite",
    "Mail.Send",
    "AuditLog.Read.All",
    "User-LifeCycleInfo.Read.All",
    "Organization.Read.All",
    "Calendars.ReadWrite",
];

/// What a deployment with account deletion switched on (`enableAccountDeletion` /
/// `enable_account_deletion`) grants on top of [`DEFAULT_GRAPH_APP_ROLES`]: tests of
/// `delete-account` in the cloud grant it; every other test runs without it, so a user write
/// that would need it fails as it would in a default deployment.
pub const ACCOUNT_DELETION_GRAPH_APP_ROLES: &[&str] = &["User.ReadWrite.All"];

/// The demo tenant as a deployment with account deletion switched on sees it: the managed
/// identity also holds [`ACCOUNT_DELETION_GRAPH_APP_ROLES`].
pub fn demo_tenant_with_account_deletion() -> Tenant {
    let mut t = demo_tenant();
    if let Some(mi) = t.identities.system_assigned.as_mut() {
        mi.graph_app_roles.extend(
            ACCOUNT_DELETION_GRAPH_APP_ROLES
                .iter()
                .map(|r| (*r).to_owned()),
        );
    }
    t
}

/// The Exchange Online application permission the demo grants.
pub const DEFAULT_EXCHANGE_APP_ROLES: &[&str] = &["Exchange.ManageAsApp"];

/// The Entra directory roles the demo assigns to the managed identity's service principal.
pub const DEFAULT_DIRECTORY_ROLES: &[&str] = &[
    "User Administrator",
    "Exchange Recipient Administrator",
    "Compliance Administrator",
];

/// Builds the demo tenant. The managed identity is the identity stand-in's default one.
pub fn demo_tenant() -> Tenant {
    use ids::*;
    let domain = "contoso.com";
    let e3_plans = vec![
        plan(
            "efb87545-963c-4e0d-99df-69c6916d9eb0",
            "EXCHANGE_S_ENTERPRISE",
        ),
        plan(
            "5dbe027f-2339-4123-9542-606e4d348a72",
            "SHAREPOINTENTERPRISE",
        ),
        plan("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1"),
        plan("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A"),
        plan("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM"),
    ];
    let mut e5_plans = e3_plans.clone();
    e5_plans.push(plan(
        "8e0c0a52-6a6c-4d40-8370-dd62790dcd70",
        "THREAT_INTELLIGENCE",
    ));
    let skus = vec![
        Sku {
            sku_id: SKU_E3.to_owned(),
            sku_part_number: "SPE_E3".to_owned(),
            service_plans: e3_plans,
        },
        Sku {
            sku_id: SKU_E5.to_owned(),
            sku_part_number: "SPE_E5".to_owned(),
            service_plans: e5_plans,
        },
        Sku {
            sku_id: SKU_VISIO.to_owned(),
            sku_part_number: "VISIOCLIENT".to_owned(),
            service_plans: vec![plan(
                "663a804f-1c30-4ff0-9915-9db84f0d1cea",
                "VISIO_CLIENT_SUBSCRIPTION",
            )],
        },
    ];

    let users = vec![
        user(
            U {
                id: ADELE,
                alias: "AdeleV",
                given: "Adele",
                surname: "Vance",
                employee_id: "E1001",
                title: "Retail Manager",
                department: "Retail",
                manager: Some(MEGAN),
                licenses: vec![lic(SKU_E3), lic(SKU_VISIO)],
                enabled: true,
                synced: false,
                has_mail: true,
            },
            domain,
        ),
        user(
            U {
                id: MEGAN,
                alias: "MeganB",
                given: "Megan",
                surname: "Bowen",
                employee_id: "E1002",
                title: "Marketing Manager",
                department: "Marketing",
                manager: Some(GRADY),
                licenses: vec![lic(SKU_E5)],
                enabled: true,
                synced: false,
                has_mail: true,
            },
            domain,
        ),
        user(
            U {
                id: DIEGO,
                alias: "DiegoS",
                given: "Diego",
                surname: "Siciliani",
                employee_id: "E1003",
                title: "HR Manager",
                department: "HR",
                manager: Some(LEE),
                licenses: vec![],
                enabled: true,
                synced: true,
                has_mail: true,
            },
            domain,
        ),
        user(
            U {
                id: LEE,
                alias: "LeeG",
                given: "Lee",
                surname: "Gu",
                employee_id: "E1004",
                title: "Director",
                department: "Manufacturing",
                manager: Some(GRADY),
                licenses: vec![],
                enabled: true,
                synced: true,
                has_mail: true,
            },
            domain,
        ),
        user(
            U {
                id: ISAIAH,
                alias: "IsaiahL",
                given: "Isaiah",
                surname: "Langer",
                employee_id: "E1005",
                title: "Messaging Engineer",
                department: "IT",
                manager: Some(MEGAN),
                licenses: vec![lic(SKU_E5)],
                enabled: true,
                synced: false,
                has_mail: true,
            },
            domain,
        ),
        user(
            U {
                id: JOHANNA,
                alias: "JohannaL",
                given: "Johanna",
                surname: "Lorenz",
                employee_id: "E1006",
                title: "Senior Engineer",
                department: "Engineering",
                manager: Some(LEE),
                licenses: vec![lic(SKU_E3)],
                enabled: true,
                synced: false,
                has_mail: true,
            },
            domain,
        ),
        user(
            U {
                id: LYNNE,
                alias: "LynneR",
                given: "Lynne",
                surname: "Robbins",
                employee_id: "C2001",
                title: "Contractor",
                department: "Retail",
                manager: Some(MEGAN),
                licenses: vec![],
                enabled: true,
                synced: false,
                has_mail: false,
            },
            domain,
        ),
        user(
            U {
                id: PRADEEP,
                alias: "PradeepG",
                given: "Pradeep",
                surname: "Gupta",
                employee_id: "E0990",
                title: "Accountant",
                department: "Finance",
                manager: Some(MEGAN),
                licenses: vec![lic(SKU_E3)],
                enabled: false,
                synced: false,
                has_mail: true,
            },
            domain,
        ),
        user(
            U {
                id: ALEX,
                alias: "AlexW",
                given: "Alex",
                surname: "Wilber",
                employee_id: "E1008",
                title: "Marketing Assistant",
                department: "Marketing",
                manager: Some(MEGAN),
                licenses: vec![lic(SKU_E3)],
                enabled: true,
                synced: false,
                has_mail: true,
            },
            domain,
        ),
        user(
            U {
                id: GRADY,
                alias: "GradyA",
                given: "Grady",
                surname: "Archie",
                employee_id: "E1000",
                title: "CIO",
                department: "IT",
                manager: None,
                licenses: vec![lic(SKU_E5)],
                enabled: true,
                synced: false,
                has_mail: true,
            },
            domain,
        ),
    ];

    let groups = vec![
        group(GROUP_RETAIL_M365, "Retail", |g| {
            g.group_types = vec!["Unified".to_owned()];
            g.mail_enabled = true;
            g.security_enabled = false;
            g.mail = Some(format!("Retail@{domain}"));
            g.members = vec![ADELE.to_owned(), MEGAN.to_owned(), LYNNE.to_owned()];
        }),
        group(GROUP_FINANCE_APPS, "Finance Apps", |g| {
            g.members = vec![ADELE.to_owned(), PRADEEP.to_owned()];
        }),
        group(GROUP_DYNAMIC_RETAIL, "All Retail Staff", |g| {
            g.group_types = vec!["DynamicMembership".to_owned()];
            g.membership_rule = Some("(user.department -eq \"Retail\")".to_owned());
            g.membership_rule_processing_state = Some("On".to_owned());
            g.members = vec![ADELE.to_owned(), LYNNE.to_owned()];
        }),
        group(GROUP_MAIL_SECURITY, "Retail Alerts", |g| {
            g.mail_enabled = true;
            g.mail = Some(format!("RetailAlerts@{domain}"));
            g.members = vec![ADELE.to_owned(), ALEX.to_owned()];
        }),
        group(GROUP_DISTRIBUTION, "retail-dl", |g| {
            g.mail_enabled = true;
            g.security_enabled = false;
            g.mail = Some(format!("retail-dl@{domain}"));
            g.members = vec![ADELE.to_owned(), MEGAN.to_owned()];
        }),
        group(GROUP_ROLE_ASSIGNABLE, "Helpdesk Tier 1", |g| {
            g.is_assignable_to_role = Some(true);
            g.members = vec![ADELE.to_owned()];
        }),
        group(GROUP_LICENSING_E3, "Licensing - Microsoft 365 E3", |g| {
            g.members = vec![
                DIEGO.to_owned(),
                JOHANNA.to_owned(),
                GROUP_SYNCED.to_owned(),
            ];
            g.assigned_licenses = vec![lic(SKU_E3)];
        }),
        group(GROUP_SYNCED, "SG-Engineering", |g| {
            g.on_premises_sync_enabled = Some(true);
            g.members = vec![DIEGO.to_owned(), LEE.to_owned()];
        }),
    ];

    let role_definitions = vec![
        (role_ids::GLOBAL_ADMINISTRATOR, "Global Administrator", true),
        (role_ids::USER_ADMINISTRATOR, "User Administrator", true),
        (
            role_ids::EXCHANGE_ADMINISTRATOR,
            "Exchange Administrator",
            true,
        ),
        (
            role_ids::EXCHANGE_RECIPIENT_ADMINISTRATOR,
            "Exchange Recipient Administrator",
            false,
        ),
        (
            role_ids::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
            "Privileged Authentication Administrator",
            true,
        ),
        (
            role_ids::PRIVILEGED_ROLE_ADMINISTRATOR,
            "Privileged Role Administrator",
            true,
        ),
        (
            role_ids::HELPDESK_ADMINISTRATOR,
            "Helpdesk Administrator",
            true,
        ),
        (role_ids::GLOBAL_READER, "Global Reader", true),
        (
            role_ids::COMPLIANCE_ADMINISTRATOR,
            "Compliance Administrator",
            false,
        ),
    ]
    .into_iter()
    .map(|(id, name, p)| RoleDefinition {
        id: id.to_owned(),
        display_name: name.to_owned(),
        is_privileged: p,
    })
    .collect();

    let mi_object_id = standin_identity::DEMO_OBJECT_ID;
    let role_assignments = vec![
        RoleAssignment {
            id: ROLE_ASSIGNMENT_ISAIAH.to_owned(),
            principal_id: ISAIAH.to_owned(),
            role_definition_id: role_ids::EXCHANGE_ADMINISTRATOR.to_owned(),
            directory_scope_id: "/".to_owned(),
        },
        RoleAssignment {
            id: "lAPpYvVpN0KRkAEhdxReEC6Xh29-LklLmYDrOIi9z-E-1".to_owned(),
            principal_id: GRADY.to_owned(),
            role_definition_id: role_ids::GLOBAL_ADMINISTRATOR.to_owned(),
            directory_scope_id: "/".to_owned(),
        },
        RoleAssignment {
            id: "mi-user-admin-0001".to_owned(),
            principal_id: mi_object_id.to_owned(),
            role_definition_id: role_ids::USER_ADMINISTRATOR.to_owned(),
            directory_scope_id: "/".to_owned(),
        },
        RoleAssignment {
            id: "mi-exo-recipient-admin-0001".to_owned(),
            principal_id: mi_object_id.to_owned(),
            role_definition_id: role_ids::EXCHANGE_RECIPIENT_ADMINISTRATOR.to_owned(),
            directory_scope_id: "/".to_owned(),
        },
        RoleAssignment {
            id: "mi-compliance-admin-0001".to_owned(),
            principal_id: mi_object_id.to_owned(),
            role_definition_id: role_ids::COMPLIANCE_ADMINISTRATOR.to_owned(),
            directory_scope_id: "/".to_owned(),
        },
    ];

    let service_principals = vec![
        ServicePrincipal {
            id: SP_SALESFORCE.to_owned(),
            app_id: "e0bd6a1c-3c2b-4f6e-9a8d-7c6b5a4f3e2d".to_owned(),
            display_name: "Salesforce".to_owned(),
        },
        ServicePrincipal {
            id: SP_SERVICENOW.to_owned(),
            app_id: "f1ce7b2d-4d3c-4a7f-8b9e-8d7c6b5a4f3e".to_owned(),
            display_name: "ServiceNow".to_owned(),
        },
    ];
    let app_role_assignments = vec![
        AppRoleAssignment {
            id: APP_ROLE_ADELE_SALESFORCE.to_owned(),
            app_role_id: "00000000-0000-0000-0000-000000000000".to_owned(),
            principal_id: ADELE.to_owned(),
            resource_id: SP_SALESFORCE.to_owned(),
            created_date_time: t(2022, 2, 2),
        },
        AppRoleAssignment {
            id: APP_ROLE_ADELE_SERVICENOW.to_owned(),
            app_role_id: "d1c2ade8-98f8-45fd-aa4a-6d06b947c66f".to_owned(),
            principal_id: ADELE.to_owned(),
            resource_id: SP_SERVICENOW.to_owned(),
            created_date_time: t(2023, 7, 14),
        },
    ];

    let mut phone = method(AUTH_ADELE_PHONE, ADELE, "phoneAuthenticationMethod", None);
    phone.phone_number = Some("+1 2065555555".to_owned());
    phone.phone_type = Some("mobile".to_owned());
    let authentication_methods = vec![
        method(
            "28c10230-6103-485e-b985-444c60001490",
            ADELE,
            "passwordAuthenticationMethod",
            None,
        ),
        method(
            AUTH_ADELE_AUTHENTICATOR,
            ADELE,
            "microsoftAuthenticatorAuthenticationMethod",
            Some("Adele's iPhone"),
        ),
        phone,
        method(
            AUTH_ADELE_FIDO2,
            ADELE,
            "fido2AuthenticationMethod",
            Some("Red key"),
        ),
        method(
            "b5e01f81-1f81-b5e0-811f-e0b5811fe0b5",
            ADELE,
            "windowsHelloForBusinessAuthenticationMethod",
            Some("CONTOSO-LT-0042"),
        ),
        method(
            "28c10230-6103-485e-b985-444c60001490",
            DIEGO,
            "passwordAuthenticationMethod",
            None,
        ),
        method(
            "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
            DIEGO,
            "microsoftAuthenticatorAuthenticationMethod",
            Some("Diego's Pixel"),
        ),
    ];

    let now = t(2025, 1, 5);
    let managed_devices = vec![
        ManagedDevice {
            id: DEVICE_ADELE_LAPTOP.to_owned(),
            user_id: ADELE.to_owned(),
            device_name: "CONTOSO-LT-0042".to_owned(),
            managed_device_owner_type: "company".to_owned(),
            operating_system: "Windows".to_owned(),
            os_version: Some("10.0.22631.4602".to_owned()),
            compliance_state: "compliant".to_owned(),
            management_state: "managed".to_owned(),
            enrolled_date_time: t(2023, 1, 10),
            last_sync_date_time: now,
            model: Some("Surface Laptop 5".to_owned()),
            manufacturer: Some("Microsoft Corporation".to_owned()),
            serial_number: Some("0F3A2B1C9D".to_owned()),
            azure_ad_device_id: Some("4d2c1b0a-9f8e-4d7c-b6a5-948372615041".to_owned()),
            device_action_results: Vec::new(),
        },
        ManagedDevice {
            id: DEVICE_ADELE_PHONE.to_owned(),
            user_id: ADELE.to_owned(),
            device_name: "Adele's iPhone".to_owned(),
            managed_device_owner_type: "personal".to_owned(),
            operating_system: "iOS".to_owned(),
            os_version: Some("17.5.1".to_owned()),
            compliance_state: "compliant".to_owned(),
            management_state: "managed".to_owned(),
            enrolled_date_time: t(2024, 2, 20),
            last_sync_date_time: now,
            model: Some("iPhone 15".to_owned()),
            manufacturer: Some("Apple".to_owned()),
            serial_number: Some("F2LZK0AAAA11".to_owned()),
            azure_ad_device_id: Some("7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2910".to_owned()),
            device_action_results: Vec::new(),
        },
    ];

    let owner_perm = |id: &str, user_id: &str| DrivePermission {
        id: id.to_owned(),
        roles: vec!["owner".to_owned()],
        user_id: user_id.to_owned(),
        invited: false,
        expiration_date_time: None,
    };
    let drives = vec![
        Drive {
            id: DRIVE_ADELE.to_owned(),
            owner_id: ADELE.to_owned(),
            drive_type: "business".to_owned(),
            web_url: "https://contoso-my.sharepoint.com/personal/adelev_contoso_com/Documents"
                .to_owned(),
            root_id: "01BYE5RZ56Y2GOVW7725BZO354PWSELRRZ".to_owned(),
            used_bytes: 3_221_225_472,
            root_permissions: vec![owner_perm("aTowIy5mfG1lbWJlcnNoaXB8YWRlbGV2", ADELE)],
            items: Vec::new(),
            site_id: None,
        },
        Drive {
            id: DRIVE_DIEGO.to_owned(),
            owner_id: DIEGO.to_owned(),
            drive_type: "business".to_owned(),
            web_url: "https://contoso-my.sharepoint.com/personal/diegos_contoso_com/Documents"
                .to_owned(),
            root_id: "01DIEGORZ56Y2GOVW7725BZO354PWSELRRZ".to_owned(),
            used_bytes: 1_073_741_824,
            root_permissions: vec![owner_perm("aTowIy5mfG1lbWJlcnNoaXB8ZGllZ29z", DIEGO)],
            items: Vec::new(),
            site_id: None,
        },
    ];

    let mailboxes = vec![
        mailbox(ADELE, 12),
        mailbox(MEGAN, 20),
        mailbox(DIEGO, 8),
        mailbox(LEE, 30),
        mailbox(ISAIAH, 5),
        mailbox(JOHANNA, 3),
        mailbox(PRADEEP, 2),
        mailbox(ALEX, 1),
        mailbox(GRADY, 49),
    ];

    let mut tenant = Tenant {
        tenant_id: DEMO_TENANT_ID.to_owned(),
        domain: domain.to_owned(),
        data_location_code: "NAM".to_owned(),
        identities: Identities {
            system_assigned: Some(AppIdentity {
                client_id: standin_identity::DEMO_CLIENT_ID.to_owned(),
                object_id: mi_object_id.to_owned(),
                display_name: "func-offboard".to_owned(),
                graph_app_roles: DEFAULT_GRAPH_APP_ROLES
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                exchange_app_roles: DEFAULT_EXCHANGE_APP_ROLES
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            }),
            user_assigned: Vec::new(),
        },
        role_definitions,
        skus,
        users,
        groups,
        role_assignments,
        service_principals,
        app_role_assignments,
        oauth2_permission_grants: Vec::new(),
        role_eligibility_schedules: Vec::new(),
        group_eligibility_schedules: Vec::new(),
        applications: Vec::new(),
        owners: Vec::new(),
        authentication_methods,
        managed_devices,
        drives,
        mailboxes,
        sent_mail: Vec::new(),
        deleted_users: Vec::new(),
        provisioning_jobs: Vec::new(),
        provisioning_logs: Vec::new(),
    };
    crate::demo_doors::add(&mut tenant);
    crate::demo_doors_pim_owners::add(&mut tenant);
    tenant
}
