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
//! | Megan Bowen, Lee Gu, Alex Wilber, Grady Archie | managers and colleagues; Grady is Global Administrator |

use chrono::{DateTime, TimeZone, Utc};

use crate::model::*;

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

/// The Exchange Online application permission the demo grants.
pub const DEFAULT_EXCHANGE_APP_ROLES: &[&str] = &["Exchange.ManageAsApp"];

/// The Entra directory roles the demo assigns to the managed identity's service principal.
pub const DEFAULT_DIRECTORY_ROLES: &[&str] = &[
    "User Administrator",
    "Exchange Recipient Administrator",
    "Compliance Administrator",
];

/// Built-in role template ids (stable across tenants).
pub mod role_ids {
    /// Global Administrator.
    pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
    /// User Administrator.
    pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
    /// Exchange Administrator.
    pub const EXCHANGE_ADMINISTRATOR: &str = "29232cdf-9323-42fd-ade2-1d097af3e4de";
    /// Exchange Recipient Administrator.
    pub const EXCHANGE_RECIPIENT_ADMINISTRATOR: &str = "31392ffb-586c-42d1-9346-e59415a2cc4e";
    /// Privileged Authentication Administrator.
    pub const PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: &str =
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13";
    /// Privileged Role Administrator.
    pub const PRIVILEGED_ROLE_ADMINISTRATOR: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";
    /// Helpdesk Administrator.
    pub const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
    /// Global Reader.
    pub const GLOBAL_READER: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
    /// Compliance Administrator.
    pub const COMPLIANCE_ADMINISTRATOR: &str = "17315797-102d-40b4-93e0-432062caca18";
}

/// Well-known ids in the demo tenant, for tests and the demo.
pub mod ids {
    /// Adele Vance, cloud-only leaver.
    pub const ADELE: &str = "87d349ed-44d7-43e1-9a83-5f2406dee5bd";
    /// Megan Bowen, Adele's manager.
    pub const MEGAN: &str = "7d54cb02-aaa3-4016-9f9c-a4b49422dd9b";
    /// Diego Siciliani, synced leaver.
    pub const DIEGO: &str = "a97733ce-92a4-4e7e-8d45-8e1f3e6a69d8";
    /// Lee Gu, Diego's manager (synced).
    pub const LEE: &str = "343a3f95-377c-47a9-b697-480487bfcdf7";
    /// Isaiah Langer, Exchange Administrator.
    pub const ISAIAH: &str = "8e07b731-5ba7-4081-b482-15e6eca35c45";
    /// Johanna Lorenz, direct and group-based E3.
    pub const JOHANNA: &str = "6e7b768e-07e2-4810-8459-485f84f8f204";
    /// Lynne Robbins, unlicensed contractor.
    pub const LYNNE: &str = "10a1d484-cd1a-4162-a5a4-832370bac356";
    /// Pradeep Gupta, disabled but licensed.
    pub const PRADEEP: &str = "cdb555e3-b33e-4fd5-a427-17fadacbdfa7";
    /// Alex Wilber.
    pub const ALEX: &str = "ace08ec9-aa11-4ada-9145-addf0398233e";
    /// Grady Archie, Global Administrator.
    pub const GRADY: &str = "6f87972e-2e7e-4b49-9980-eb3888bdcfe1";

    /// Microsoft 365 group "Retail".
    pub const GROUP_RETAIL_M365: &str = "c11b732b-0e16-46c1-b0fa-bd32c8a42455";
    /// Assigned security group "Finance Apps".
    pub const GROUP_FINANCE_APPS: &str = "3f927b40-06f8-4352-b8e4-37a7ba04b7ff";
    /// Dynamic security group "All Retail Staff".
    pub const GROUP_DYNAMIC_RETAIL: &str = "0e226165-c685-41ce-8bfc-df8360ab325d";
    /// Mail-enabled security group "Retail Alerts".
    pub const GROUP_MAIL_SECURITY: &str = "11111111-2222-3333-4444-555555555555";
    /// Distribution list "retail-dl".
    pub const GROUP_DISTRIBUTION: &str = "21004afc-7bb2-4fe6-a1e1-074ebd3e52c1";
    /// Role-assignable security group "Helpdesk Tier 1".
    pub const GROUP_ROLE_ASSIGNABLE: &str = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e";
    /// Security group that assigns E3 (group-based licensing).
    pub const GROUP_LICENSING_E3: &str = "48d31887-5fad-4d73-a9f5-3c356e68a038";
    /// Synced security group "SG-Engineering".
    pub const GROUP_SYNCED: &str = "5bde3e51-d13b-4db1-9948-fe4b109d11a7";

    /// Microsoft 365 E3.
    pub const SKU_E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
    /// Microsoft 365 E5.
    pub const SKU_E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
    /// Visio Plan 2.
    pub const SKU_VISIO: &str = "c5928f49-12ba-48f7-ada3-0d743a3601d5";

    /// Adele's company laptop (Intune).
    pub const DEVICE_ADELE_LAPTOP: &str = "705c034c-034c-705c-4c03-5c704c035c70";
    /// Adele's personal phone (Intune).
    pub const DEVICE_ADELE_PHONE: &str = "1f6a1b32-7a54-4b8e-9d3c-0a2e7f5b6c11";
    /// Adele's OneDrive.
    pub const DRIVE_ADELE: &str =
        "b!t18F8ybsHUq1z3LTz8xvZqP8zaSWjkFNhsME-Fepo75dTf9vQKfeRblBZjoSQrd7";
    /// Diego's OneDrive.
    pub const DRIVE_DIEGO: &str =
        "b!Diego8ybsHUq1z3LTz8xvZqP8zaSWjkFNhsME-Fepo75dTf9vQKfeRblBZjoSQ";
    /// Salesforce enterprise app.
    pub const SP_SALESFORCE: &str = "8e881353-1735-45af-af21-ee1344582a4d";
    /// ServiceNow enterprise app.
    pub const SP_SERVICENOW: &str = "9d4b5c1e-2f3a-4b6c-8d7e-0f1a2b3c4d5e";
    /// Adele's Salesforce assignment.
    pub const APP_ROLE_ADELE_SALESFORCE: &str = "41W1zT6z1U-kJxf62svfp1HFE8pMZhxDun-ThPczmJE";
    /// Adele's ServiceNow assignment.
    pub const APP_ROLE_ADELE_SERVICENOW: &str = "41W1zT6z1U-kJxf62svfp2QmM7hA0x4Bc9VvYt3Zq8E";
    /// Isaiah's Exchange Administrator role assignment.
    pub const ROLE_ASSIGNMENT_ISAIAH: &str = "lAPpYvVpN0KRkAEhdxReEMmO4KwRqtpKkUWt3wOYIz4-1";
    /// Adele's Authenticator app registration.
    pub const AUTH_ADELE_AUTHENTICATOR: &str = "6d84a5c8-2f1b-4e3a-9c7d-8b0e1f2a3b4c";
    /// Adele's mobile phone method (id of the mobile type, as Graph fixes it).
    pub const AUTH_ADELE_PHONE: &str = "3179e48a-750b-4051-897c-87b9720928f7";
    /// Adele's FIDO2 key.
    pub const AUTH_ADELE_FIDO2: &str = "-2_GRUg2-HYz6_1YG4YRAQ2";
}

fn t(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

fn plan(id: &str, name: &str) -> ServicePlan {
    ServicePlan {
        service_plan_id: id.to_owned(),
        service_plan_name: name.to_owned(),
    }
}

fn lic(sku: &str) -> AssignedLicense {
    AssignedLicense {
        sku_id: sku.to_owned(),
        disabled_plans: Vec::new(),
    }
}

struct U<'a> {
    id: &'a str,
    alias: &'a str,
    given: &'a str,
    surname: &'a str,
    employee_id: &'a str,
    title: &'a str,
    department: &'a str,
    manager: Option<&'a str>,
    licenses: Vec<AssignedLicense>,
    enabled: bool,
    synced: bool,
    has_mail: bool,
}

fn user(u: U<'_>, domain: &str) -> User {
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

fn group(id: &str, name: &str, f: impl FnOnce(&mut Group)) -> Group {
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

fn mailbox(user_id: &str, size_gb: u64) -> Mailbox {
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

fn method(id: &str, user_id: &str, kind: &str, name: Option<&str>) -> AuthenticationMethod {
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
        authentication_methods,
        managed_devices,
        drives,
        mailboxes,
        sent_mail: Vec::new(),
        deleted_users: Vec::new(),
    };
    crate::demo_doors::add(&mut tenant);
    tenant
}
