//! Well-known ids in the demo tenant, for tests and the demo.

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
pub const DRIVE_ADELE: &str = "b!t18F8ybsHUq1z3LTz8xvZqP8zaSWjkFNhsME-Fepo75dTf9vQKfeRblBZjoSQrd7";
/// Diego's OneDrive.
pub const DRIVE_DIEGO: &str = "b!Diego8ybsHUq1z3LTz8xvZqP8zaSWjkFNhsME-Fepo75dTf9vQKfeRblBZjoSQ";
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
