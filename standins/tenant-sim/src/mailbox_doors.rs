//! What a mailbox holds open beyond its settings (issue 17): forwarding, litigation hold
//! duration, delegates on it, inbox rules, mobile mail partnerships and meetings. Kept on
//! [`crate::model::Mailbox`] (flattened, so a seed writes them beside the other fields).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The doors of one mailbox.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxDoors {
    /// `ForwardingSmtpAddress` (bare address; Get-Mailbox shows it as `smtp:…`).
    #[serde(default)]
    pub forwarding_smtp_address: Option<String>,
    /// `ForwardingAddress`: a recipient in the organisation (UPN).
    #[serde(default)]
    pub forwarding_address: Option<String>,
    /// `DeliverToMailboxAndForward`.
    #[serde(default)]
    pub deliver_to_mailbox_and_forward: bool,
    /// `LitigationHoldDuration` in days; `None` is unlimited.
    #[serde(default)]
    pub litigation_hold_days: Option<u32>,
    /// `GrantSendOnBehalfTo`: delegates (UPNs).
    #[serde(default)]
    pub grant_send_on_behalf_to: Vec<String>,
    /// SendAs trustees on this mailbox (UPNs; `Get-RecipientPermission`).
    #[serde(default)]
    pub send_as: Vec<String>,
    /// Inbox rules (Graph `messageRule`).
    #[serde(default)]
    pub message_rules: Vec<MessageRule>,
    /// Mobile mail partnerships.
    #[serde(default)]
    pub mobile_devices: Vec<MobileDevice>,
    /// Calendar events in this mailbox.
    #[serde(default)]
    pub events: Vec<Event>,
    /// The mailbox is in an exclusive management scope (an executive's, say) that the app's
    /// Exchange role assignment does not cover: Exchange refuses to change its permissions.
    #[serde(default)]
    pub exclusive_scope: bool,
}

/// An inbox rule, as Graph's `messageRule` (conditions and actions kept as Graph JSON).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRule {
    /// Rule id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Order.
    pub sequence: i64,
    /// Enabled.
    pub is_enabled: bool,
    /// `messageRulePredicates`.
    #[serde(default)]
    pub conditions: Value,
    /// `messageRuleActions`.
    #[serde(default)]
    pub actions: Value,
}

/// A mobile mail partnership.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MobileDevice {
    /// The device's own id.
    pub device_id: String,
    /// `EAS` or `REST` (Outlook mobile).
    pub client_type: String,
    /// Model.
    pub device_model: String,
    /// OS.
    pub device_os: String,
    /// Partnership created.
    pub first_sync_time: DateTime<Utc>,
    /// A wipe was requested at this time.
    #[serde(default)]
    pub wipe_requested_at: Option<DateTime<Utc>>,
    /// The requested wipe is account-only.
    #[serde(default)]
    pub wipe_account_only: bool,
    /// The device syncs now and then: a requested wipe is acknowledged at once. An offline
    /// device leaves it pending.
    #[serde(default)]
    pub online: bool,
    /// The device acknowledged the wipe at this time.
    #[serde(default)]
    pub wipe_acknowledged_at: Option<DateTime<Utc>>,
}

/// A calendar event (the fields `cancel-meetings` reads).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Event id.
    pub id: String,
    /// Subject.
    pub subject: String,
    /// Start (UTC).
    pub start: DateTime<Utc>,
    /// End (UTC).
    pub end: DateTime<Utc>,
    /// The mailbox owner organises it.
    pub is_organizer: bool,
    /// Attendee addresses.
    #[serde(default)]
    pub attendees: Vec<String>,
    /// Cancelled (`isCancelled`).
    #[serde(default)]
    pub is_cancelled: bool,
    /// `seriesMaster`, `singleInstance`…
    #[serde(default = "single")]
    pub event_type: String,
    /// A weekly series: its `recurrence` as Graph JSON (pattern + range).
    #[serde(default)]
    pub recurrence: Option<Value>,
    /// The cancellation message sent, if cancelled.
    #[serde(default)]
    pub cancel_comment: Option<String>,
}

fn single() -> String {
    "singleInstance".to_owned()
}
