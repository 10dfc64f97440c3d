//! The name of every setting offboard reads, in one list. The infrastructure checks
//! (`infra/checks/contract.py`) read this file, so a setting the code needs can never be
//! missing from a deployment: a new setting's name goes here.

/// `azure` (Cosmos DB + Storage, managed identity) or `embedded` (SQLite + files).
pub const OFFBOARD_BACKEND: &str = "OFFBOARD_BACKEND";
/// Directory of the embedded backend's database and evidence files.
pub const OFFBOARD_EMBEDDED_PATH: &str = "OFFBOARD_EMBEDDED_PATH";
/// The company's IANA time zone for date-only terminations (default UTC).
pub const OFFBOARD_TIME_ZONE: &str = "OFFBOARD_TIME_ZONE";
/// Local time at which a date-only termination takes effect: `end-of-day` (default) or `HH:MM`.
pub const OFFBOARD_EFFECTIVE_CUTOFF: &str = "OFFBOARD_EFFECTIVE_CUTOFF";
/// BambooHR webhook private key.
pub const OFFBOARD_BAMBOOHR_SECRET: &str = "OFFBOARD_BAMBOOHR_SECRET";
/// Standard Webhooks secret (`whsec_...`) for `/api/hris/generic`.
pub const OFFBOARD_GENERIC_WEBHOOK_SECRET: &str = "OFFBOARD_GENERIC_WEBHOOK_SECRET";
/// Bearer token SCIM clients present.
pub const OFFBOARD_SCIM_TOKEN: &str = "OFFBOARD_SCIM_TOKEN";
/// Cosmos DB account endpoint (`https://<account>.documents.azure.com/`).
pub const OFFBOARD_COSMOS_ENDPOINT: &str = "OFFBOARD_COSMOS_ENDPOINT";
/// Cosmos DB database name (default `offboard`).
pub const OFFBOARD_COSMOS_DATABASE: &str = "OFFBOARD_COSMOS_DATABASE";
/// Storage queue service endpoint (`https://<account>.queue.core.windows.net/`).
pub const OFFBOARD_STORAGE_QUEUE_ENDPOINT: &str = "OFFBOARD_STORAGE_QUEUE_ENDPOINT";
/// Storage blob service endpoint (`https://<account>.blob.core.windows.net/`).
pub const OFFBOARD_STORAGE_BLOB_ENDPOINT: &str = "OFFBOARD_STORAGE_BLOB_ENDPOINT";
/// Client id of the user-assigned managed identity (unset: system-assigned).
pub const OFFBOARD_MANAGED_IDENTITY_CLIENT_ID: &str = "OFFBOARD_MANAGED_IDENTITY_CLIENT_ID";
/// Microsoft Graph endpoint (default `https://graph.microsoft.com/v1.0`; locally the tenant
/// simulator).
pub const OFFBOARD_GRAPH_ENDPOINT: &str = "OFFBOARD_GRAPH_ENDPOINT";
/// Exchange Online admin API host (default `https://outlook.office365.com`).
pub const OFFBOARD_EXCHANGE_ENDPOINT: &str = "OFFBOARD_EXCHANGE_ENDPOINT";
/// The Entra tenant id (the Exchange admin API addresses the tenant by id).
pub const OFFBOARD_TENANT_ID: &str = "OFFBOARD_TENANT_ID";
/// Path of the policy file (default: the built-in `config/policy.toml`).
pub const OFFBOARD_POLICY_FILE: &str = "OFFBOARD_POLICY_FILE";
/// Blob container holding evidence (default `evidence`).
pub const OFFBOARD_EVIDENCE_CONTAINER: &str = "OFFBOARD_EVIDENCE_CONTAINER";
/// `on` (default): every evidence blob gets a legal hold and a retention policy, read back.
/// `off`: only for stores that cannot do it (Azurite); every output then says
/// "WORM not enforced".
pub const OFFBOARD_EVIDENCE_WORM: &str = "OFFBOARD_EVIDENCE_WORM";
/// Days an evidence blob is retained under its time-based policy (default 2555, seven years).
pub const OFFBOARD_EVIDENCE_RETENTION_DAYS: &str = "OFFBOARD_EVIDENCE_RETENTION_DAYS";
/// Resource id of the evidence storage account, where the handler reads its (locked) default
/// immutability policy; required with `OFFBOARD_EVIDENCE_WORM` on and the azure backend.
pub const OFFBOARD_EVIDENCE_ACCOUNT_ID: &str = "OFFBOARD_EVIDENCE_ACCOUNT_ID";
/// The Azure Resource Manager endpoint (default `https://management.azure.com`).
pub const OFFBOARD_ARM_ENDPOINT: &str = "OFFBOARD_ARM_ENDPOINT";
/// The Microsoft Teams webhook URL notifications are posted to: a Workflows "When a Teams
/// webhook request is received" URL, or a legacy Incoming Webhook URL. A secret (whoever holds
/// the URL can post to the channel; Workflows URLs carry a `sig=` signature), so it is a Key
/// Vault reference in Azure and never logged. Unset: no Teams notifications.
pub const OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET: &str =
    "OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET";
/// HTTPS endpoint that receives notifications as signed JSON (Standard Webhooks). Not a
/// secret: the receiver authenticates each request by its signature, so the URL must not carry
/// credentials. Unset: no webhook notifications.
pub const OFFBOARD_NOTIFY_WEBHOOK_URL: &str = "OFFBOARD_NOTIFY_WEBHOOK_URL";
/// Standard Webhooks signing secret (`whsec_<base64>`) for [`OFFBOARD_NOTIFY_WEBHOOK_URL`];
/// the receiver verifies `webhook-signature` with it. A secret (Key Vault reference in Azure),
/// distinct from the intake's `OFFBOARD_GENERIC_WEBHOOK_SECRET`.
pub const OFFBOARD_NOTIFY_WEBHOOK_SECRET: &str = "OFFBOARD_NOTIFY_WEBHOOK_SECRET";
/// Mailbox notifications are sent from through Graph `sendMail` (UPN, mail address or object
/// id; the app's `Mail.Send` permission lets it send as any mailbox, so scope it with an
/// Exchange application access policy). Set together with [`OFFBOARD_NOTIFY_MAIL_TO`].
pub const OFFBOARD_NOTIFY_MAIL_FROM: &str = "OFFBOARD_NOTIFY_MAIL_FROM";
/// Recipients of notification mail, separated by commas or semicolons (for example a
/// compliance team's shared mailbox). Set together with [`OFFBOARD_NOTIFY_MAIL_FROM`].
pub const OFFBOARD_NOTIFY_MAIL_TO: &str = "OFFBOARD_NOTIFY_MAIL_TO";

/// The Azure Relay namespace the on-prem agent listens on (`contoso.servicebus.windows.net`).
/// Unset: the AD steps of synced leavers wait, visibly, for an agent to be configured. A local
/// relay for tests is given as `http://127.0.0.1:PORT` (plain HTTP only on loopback).
pub const OFFBOARD_RELAY_NAMESPACE: &str = "OFFBOARD_RELAY_NAMESPACE";
/// The hybrid connection (path) the agent listens on (default `offboard-agent`).
pub const OFFBOARD_RELAY_HYBRID_CONNECTION: &str = "OFFBOARD_RELAY_HYBRID_CONNECTION";
/// Name of a relay SAS rule with the Send right. Unset (with [`OFFBOARD_RELAY_SAS_KEY`] unset):
/// the handler sends with its managed identity's Entra ID token (Azure Relay Sender role).
pub const OFFBOARD_RELAY_SAS_KEY_NAME: &str = "OFFBOARD_RELAY_SAS_KEY_NAME";
/// The key of [`OFFBOARD_RELAY_SAS_KEY_NAME`]: a secret (Key Vault reference in Azure).
pub const OFFBOARD_RELAY_SAS_KEY: &str = "OFFBOARD_RELAY_SAS_KEY";
/// The Ed25519 key the handler signs agent commands with: the 32-byte seed in standard base64,
/// as `offboard-agent keygen` writes it. A secret (Key Vault reference in Azure); the agent
/// trusts its public half.
pub const OFFBOARD_AGENT_SIGNING_KEY: &str = "OFFBOARD_AGENT_SIGNING_KEY";
/// Path of the connector file: the systems outside Microsoft (SCIM, or fed by Entra ID
/// provisioning) the leaver is deprovisioned and verified in. Unset: none. The secrets it
/// names are settings of their own, `OFFBOARD_CONNECTOR_<SYSTEM>_<WHAT>` (Key Vault references
/// in Azure).
pub const OFFBOARD_CONNECTORS_FILE: &str = "OFFBOARD_CONNECTORS_FILE";

/// NCRONTAB schedule of the `reconcile` timer (the daily ghost-access scan): the Functions
/// host reads it from `handlers/reconcile/function.json` (`%OFFBOARD_RECONCILE_SCHEDULE%`);
/// the templates and `offboard local` default it to `0 0 2 * * *` (02:00 UTC daily).
pub const OFFBOARD_RECONCILE_SCHEDULE: &str = "OFFBOARD_RECONCILE_SCHEDULE";
/// The schedule when [`OFFBOARD_RECONCILE_SCHEDULE`] is not given: daily at 02:00 UTC.
pub const DEFAULT_RECONCILE_SCHEDULE: &str = "0 0 2 * * *";

/// HR population sources the scan reads, comma-separated: `bamboohr`, `report`, `entra`.
/// Unset: the scan judges only offboard's own cases (no orphans, no missed terminations).
pub const OFFBOARD_POPULATION_SOURCES: &str = "OFFBOARD_POPULATION_SOURCES";
/// BambooHR API base, `https://api.bamboohr.com/api/gateway.php/{companyDomain}`.
pub const OFFBOARD_POPULATION_BAMBOOHR_URL: &str = "OFFBOARD_POPULATION_BAMBOOHR_URL";
/// BambooHR API key with read access to the employees' report fields (the Basic-auth user
/// name). A secret (Key Vault reference in Azure).
pub const OFFBOARD_POPULATION_BAMBOOHR_KEY: &str = "OFFBOARD_POPULATION_BAMBOOHR_KEY";
/// HTTPS URL of the `report` source: a CSV or JSON export (Workday RaaS, ADP, SuccessFactors),
/// columns mapped in the policy file's `[reconcile.report_columns]`.
pub const OFFBOARD_POPULATION_REPORT_URL: &str = "OFFBOARD_POPULATION_REPORT_URL";
/// The report's Basic-auth user name, or its OAuth client id when
/// [`OFFBOARD_POPULATION_REPORT_TOKEN_URL`] is set.
pub const OFFBOARD_POPULATION_REPORT_USER: &str = "OFFBOARD_POPULATION_REPORT_USER";
/// The report's Basic-auth password or OAuth client secret. A secret (Key Vault reference).
pub const OFFBOARD_POPULATION_REPORT_SECRET: &str = "OFFBOARD_POPULATION_REPORT_SECRET";
/// OAuth 2.0 token endpoint: when set, the report is read with a client-credentials token
/// (`report_oauth_scope` in the policy file) instead of Basic auth.
pub const OFFBOARD_POPULATION_REPORT_TOKEN_URL: &str = "OFFBOARD_POPULATION_REPORT_TOKEN_URL";
/// Graph's write quota for this app in the tenant, as `WRITES/SECONDS` (default `3000/150`,
/// Graph's identity and access write limit): every Graph client of an instance paces its
/// writes to it. Lower it when several instances or other apps share the app registration.
pub const OFFBOARD_GRAPH_WRITE_QUOTA: &str = "OFFBOARD_GRAPH_WRITE_QUOTA";

/// offboard's app registration (its client id): people and GRC tools sign in to it with Entra
/// ID, and the tokens offboard accepts name it as their audience. Unset: sign-in is off.
pub const OFFBOARD_SIGNIN_CLIENT_ID: &str = "OFFBOARD_SIGNIN_CLIENT_ID";
/// The Entra ID authority host (default `https://login.microsoftonline.com`; a national
/// cloud's, or the local stand-in's `http://127.0.0.1:P`). The tenant is [`OFFBOARD_TENANT_ID`].
pub const OFFBOARD_SIGNIN_AUTHORITY: &str = "OFFBOARD_SIGNIN_AUTHORITY";
/// The key that signs a signed-in browser's session cookie: base64 of at least 32 random bytes
/// (`openssl rand -base64 32`). A secret (Key Vault reference in Azure). Unset: bearer tokens
/// work, browser sign-in answers 503 naming this setting.
pub const OFFBOARD_SIGNIN_SESSION_KEY: &str = "OFFBOARD_SIGNIN_SESSION_KEY";
/// Whether machines may read the compliance API with a function key, under
/// `/api/keyed/...` (the `compliance-keys` function, `authLevel: function`): `on` or `off`
/// (default, and what the templates set). People and GRC tools use Entra ID either way; what
/// changes a case always needs a signed-in operator.
pub const OFFBOARD_COMPLIANCE_FUNCTION_KEYS: &str = "OFFBOARD_COMPLIANCE_FUNCTION_KEYS";
/// How long the intake request may spend cutting the leaver's sign-in before answering, in
/// milliseconds (the kill switch; 3000 when unset, 100 to 15000). Past it the queued steps
/// cut sign-in.
pub const OFFBOARD_SIGN_IN_CUT_BUDGET_MS: &str = "OFFBOARD_SIGN_IN_CUT_BUDGET_MS";
