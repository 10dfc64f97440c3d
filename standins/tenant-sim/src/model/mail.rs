//! Exchange Online mailboxes (with their automatic replies and permissions) and the mail
//! sent through `sendMail`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Automatic replies (shared by Graph `mailboxSettings` and Exchange
/// `Set-MailboxAutoReplyConfiguration`, which change the same mailbox setting).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoReply {
    /// `disabled`, `alwaysEnabled` or `scheduled`.
    pub status: String,
    /// `none`, `contactsOnly` or `all`.
    pub external_audience: String,
    /// Internal message.
    #[serde(default)]
    pub internal_reply_message: String,
    /// External message.
    #[serde(default)]
    pub external_reply_message: String,
    /// Start of a scheduled window (UTC).
    #[serde(default)]
    pub scheduled_start_date_time: Option<DateTime<Utc>>,
    /// End of a scheduled window (UTC).
    #[serde(default)]
    pub scheduled_end_date_time: Option<DateTime<Utc>>,
}

impl Default for AutoReply {
    fn default() -> Self {
        Self {
            status: "disabled".to_owned(),
            external_audience: "all".to_owned(),
            internal_reply_message: String::new(),
            external_reply_message: String::new(),
            scheduled_start_date_time: None,
            scheduled_end_date_time: None,
        }
    }
}

/// A FullAccess (or other) grant on a mailbox.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxPermission {
    /// The trustee's UPN.
    pub user: String,
    /// E.g. `FullAccess`.
    pub access_rights: Vec<String>,
    /// Whether Outlook auto-maps the mailbox.
    #[serde(default)]
    pub auto_mapping: bool,
}

/// An Exchange Online mailbox.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mailbox {
    /// The owning user (ExternalDirectoryObjectId).
    pub user_id: String,
    /// `UserMailbox`, `SharedMailbox`, `RoomMailbox` or `EquipmentMailbox`.
    pub recipient_type_details: String,
    /// Hidden from the global address list.
    #[serde(default)]
    pub hidden_from_address_lists_enabled: bool,
    /// Mailbox size in bytes (shared mailboxes over 50 GB need a licence).
    #[serde(default)]
    pub total_item_size_bytes: u64,
    /// Litigation hold.
    #[serde(default)]
    pub litigation_hold_enabled: bool,
    /// Time zone of mailboxSettings.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// Automatic replies.
    #[serde(default)]
    pub auto_reply: AutoReply,
    /// Delegated permissions.
    #[serde(default)]
    pub permissions: Vec<MailboxPermission>,
    /// Forwarding, hold duration, delegates, rules, phones and meetings.
    #[serde(default, flatten)]
    pub doors: crate::mailbox_doors::MailboxDoors,
}

fn utc() -> String {
    "UTC".to_owned()
}

/// A message sent with `sendMail` (simulator only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMail {
    /// Sender (the user in the URL).
    pub from: String,
    /// Recipient addresses.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// Body content.
    pub body: String,
    /// When it was accepted.
    pub sent_date_time: DateTime<Utc>,
}
