//! Microsoft Graph and Exchange Online admin clients authenticated with managed identity — the
//! production adapter through which offboard touches Microsoft 365.
//!
//! - [`GraphClient`]: typed calls for every Graph operation offboarding needs (find the leaver,
//!   block sign-in, revoke sessions, reset the password, licences, groups, roles, app roles,
//!   MFA methods, delegated permission grants, Intune devices, OneDrive, mailbox settings, mail,
//!   the provisioning logs) and JSON `$batch`.
//! - [`ExchangeClient`]: the Exchange Online cmdlets Graph lacks, on the same credential.
//! - [`GraphError`]: what a caller can do about a failure (retry later, wait as told, give up,
//!   or record that the action does not apply), always with the service's request id.
//! - [`permissions`]: the least-privilege set, declared once.
//! - [`journal`]: every change announced, with its `client-request-id`, before it is sent.
//!
//! Both clients take an endpoint, an `azure_core` [`TokenCredential`](azure_core::credentials::TokenCredential)
//! (in production `azure_identity::ManagedIdentityCredential`, which caches tokens and refreshes
//! them before expiry) and an options struct. Transient failures and throttling are retried in
//! process within bounds; a longer `Retry-After` is returned so the step can be re-enqueued.
//! Tokens are never logged, and no `Debug` output or error contains one.

#![warn(missing_docs)]

pub mod auth_methods;
pub mod batch;
pub mod calendar;
pub mod client;
pub mod deleted_items;
pub mod devices;
pub mod directory;
pub mod error;
pub mod exchange;
pub mod exchange_doors;
pub mod groups;
pub mod journal;
pub mod licenses;
pub mod mail;
pub mod mail_rules;
pub mod model;
pub mod oauth_grants;
pub mod onedrive;
pub mod owners;
pub mod pace;
pub mod permissions;
pub mod pim;
pub mod provisioning;
pub mod roles;
pub mod search;
pub mod sharing;
pub mod users;

pub use batch::{BatchRequest, BatchResponse, MAX_BATCH_REQUESTS};
pub use calendar::{DateTimeTimeZone, Event};
pub use client::{
    DEFAULT_GRAPH_ENDPOINT, GRAPH_SCOPE, GraphClient, GraphClientOptions, Reply, RetryOptions,
};
pub use deleted_items::DeletedUser;
pub use error::{ErrorInfo, GraphError, NotApplicableReason};
pub use exchange::{
    AutoReplyConfig, AutoReplyState, DEFAULT_EXCHANGE_ENDPOINT, EXCHANGE_SCOPE, ExchangeClient,
    ExchangeClientOptions,
};
pub use exchange_doors::{MobileDevice, RecipientPermission};
pub use journal::{WriteAnnouncement, WriteJournal, with_journal};
pub use mail_rules::{MessageRule, MessageRuleActions, VerifiedDomain};
pub use model::*;
pub use oauth_grants::OAuth2PermissionGrant;
pub use owners::OwnedObject;
pub use pace::{WriteClass, WritePacer, WriteQuota};
pub use pim::{GroupEligibilitySchedule, RoleEligibilitySchedule, ScheduleRequest};
pub use provisioning::{
    ProvisioningAction, ProvisioningObjectSummary, ProvisioningResult, ProvisioningStatusInfo,
};
pub use search::{SharedWithHit, SharedWithSearch};
pub use sharing::{SharedItem, SharingLink, SharingWalk};
pub use users::{USER_SELECT, UserLookup};
