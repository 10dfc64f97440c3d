//! The Exchange Online cmdlets that close a leaver's mailbox doors (issue 17): forwarding,
//! litigation hold, rights on other mailboxes and mobile mail partnerships. Same client and
//! endpoint as [`crate::exchange`]; parameters as Microsoft's cmdlet reference names them.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::{Reply, decode_error};
use crate::error::GraphError;
use crate::exchange::ExchangeClient;

/// One SendAs entry (`Get-RecipientPermission`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RecipientPermission {
    /// The recipient (mailbox) the right is on.
    pub identity: Option<String>,
    /// Who holds the right.
    pub trustee: Option<String>,
    /// `SendAs`.
    pub access_rights: Vec<String>,
    /// `Allow` or `Deny`.
    pub access_control_type: Option<String>,
    /// Inherited.
    pub is_inherited: Option<bool>,
}

/// A mobile mail partnership (`Get-MobileDevice`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MobileDevice {
    /// `{alias}\ExchangeActiveSyncDevices\{type}§{model}§{id}`: what the other cmdlets take.
    pub identity: String,
    /// The device's own id.
    pub device_id: Option<String>,
    /// Model.
    pub device_model: Option<String>,
    /// OS.
    pub device_os: Option<String>,
    /// Client (`EAS`, `REST` for Outlook mobile).
    pub client_type: Option<String>,
    /// Partnership created.
    pub first_sync_time: Option<String>,
    /// `DeviceOk`, `DeviceWipePending`, `DeviceWipeSucceeded`… (`Get-MobileDeviceStatistics`).
    pub status: Option<String>,
    /// When a wipe was requested (`Get-MobileDeviceStatistics`).
    pub device_wipe_request_time: Option<String>,
    /// When the device acknowledged the wipe (`Get-MobileDeviceStatistics`).
    pub device_wipe_ack_time: Option<String>,
    /// Whether the requested wipe is account-only (company mail) rather than the whole device.
    pub device_wipe_account_only: Option<bool>,
}

fn rows<T: serde::de::DeserializeOwned>(
    cmdlet: &'static str,
    r: Reply<Vec<Value>>,
) -> Result<Reply<Vec<T>>, GraphError> {
    let rid = r.request_id.clone();
    let items = r
        .value
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| decode_error(cmdlet, e, &rid))?;
    Ok(Reply {
        value: items,
        status: r.status,
        request_id: r.request_id,
    })
}

impl ExchangeClient {
    /// `Set-Mailbox -Identity … -ForwardingSmtpAddress $null -ForwardingAddress $null
    /// -DeliverToMailboxAndForward $false`: no mail leaves the mailbox by forwarding.
    pub async fn clear_forwarding(&self, identity: &str) -> Result<Reply<()>, GraphError> {
        let r = self
            .invoke(
                "Set-Mailbox",
                Self::params(&[
                    ("Identity", json!(identity)),
                    ("ForwardingSmtpAddress", Value::Null),
                    ("ForwardingAddress", Value::Null),
                    ("DeliverToMailboxAndForward", json!(false)),
                ]),
                Some(identity),
            )
            .await?;
        Ok(r.map(|_| ()))
    }

    /// `Set-Mailbox -Identity … -LitigationHoldEnabled $true -LitigationHoldDuration
    /// {days|unlimited}`.
    pub async fn set_litigation_hold(
        &self,
        identity: &str,
        days: Option<u32>,
    ) -> Result<Reply<()>, GraphError> {
        let duration = days.map_or(json!("unlimited"), |d| json!(d.to_string()));
        let r = self
            .invoke(
                "Set-Mailbox",
                Self::params(&[
                    ("Identity", json!(identity)),
                    ("LitigationHoldEnabled", json!(true)),
                    ("LitigationHoldDuration", duration),
                ]),
                Some(identity),
            )
            .await?;
        Ok(r.map(|_| ()))
    }

    /// Every mailbox with its `GrantSendOnBehalfTo` (`Get-Mailbox -ResultSize Unlimited`),
    /// or only shared ones (`-RecipientTypeDetails SharedMailbox`).
    pub async fn mailboxes(
        &self,
        shared_only: bool,
    ) -> Result<Reply<Vec<crate::exchange::Mailbox>>, GraphError> {
        let mut p = vec![("ResultSize", json!("Unlimited"))];
        if shared_only {
            p.push(("RecipientTypeDetails", json!("SharedMailbox")));
        }
        let r = self.invoke("Get-Mailbox", Self::params(&p), None).await?;
        rows("Get-Mailbox", r)
    }

    /// `Get-RecipientPermission -Trustee … -AccessRights SendAs`: every recipient the trustee
    /// may send as, tenant-wide, in one call.
    pub async fn send_as_of(
        &self,
        trustee: &str,
    ) -> Result<Reply<Vec<RecipientPermission>>, GraphError> {
        let r = self
            .invoke(
                "Get-RecipientPermission",
                Self::params(&[
                    ("Trustee", json!(trustee)),
                    ("AccessRights", json!(["SendAs"])),
                    ("ResultSize", json!("Unlimited")),
                ]),
                None,
            )
            .await?;
        rows("Get-RecipientPermission", r)
    }

    /// `Get-RecipientPermission -Identity …`: who may send as this recipient (read-back).
    pub async fn send_as_on(
        &self,
        identity: &str,
    ) -> Result<Reply<Vec<RecipientPermission>>, GraphError> {
        let r = self
            .invoke(
                "Get-RecipientPermission",
                Self::params(&[("Identity", json!(identity))]),
                Some(identity),
            )
            .await?;
        rows("Get-RecipientPermission", r)
    }

    /// `Remove-RecipientPermission -Identity … -AccessRights SendAs -Trustee … -Confirm:$false`.
    pub async fn remove_send_as(
        &self,
        identity: &str,
        trustee: &str,
    ) -> Result<Reply<()>, GraphError> {
        let r = self
            .invoke(
                "Remove-RecipientPermission",
                Self::params(&[
                    ("Identity", json!(identity)),
                    ("AccessRights", json!(["SendAs"])),
                    ("Trustee", json!(trustee)),
                    ("Confirm", json!(false)),
                ]),
                Some(identity),
            )
            .await?;
        Ok(r.map(|_| ()))
    }

    /// `Remove-MailboxPermission -Identity … -User … -AccessRights FullAccess
    /// -InheritanceType All -Confirm:$false`.
    pub async fn remove_full_access(
        &self,
        identity: &str,
        user: &str,
    ) -> Result<Reply<()>, GraphError> {
        let r = self
            .invoke(
                "Remove-MailboxPermission",
                Self::params(&[
                    ("Identity", json!(identity)),
                    ("User", json!(user)),
                    ("AccessRights", json!(["FullAccess"])),
                    ("InheritanceType", json!("All")),
                    ("Confirm", json!(false)),
                ]),
                Some(identity),
            )
            .await?;
        Ok(r.map(|_| ()))
    }

    /// `Set-Mailbox -Identity … -GrantSendOnBehalfTo @{Remove=…}`: takes one delegate off.
    pub async fn remove_send_on_behalf(
        &self,
        identity: &str,
        delegate: &str,
    ) -> Result<Reply<()>, GraphError> {
        let r = self
            .invoke(
                "Set-Mailbox",
                Self::params(&[
                    ("Identity", json!(identity)),
                    ("GrantSendOnBehalfTo", json!({ "Remove": [delegate] })),
                ]),
                Some(identity),
            )
            .await?;
        Ok(r.map(|_| ()))
    }

    /// `Get-MobileDevice -Mailbox …`: the mailbox's mobile mail partnerships.
    pub async fn mobile_devices(
        &self,
        mailbox: &str,
    ) -> Result<Reply<Vec<MobileDevice>>, GraphError> {
        let r = self
            .invoke(
                "Get-MobileDevice",
                Self::params(&[("Mailbox", json!(mailbox))]),
                Some(mailbox),
            )
            .await?;
        rows("Get-MobileDevice", r)
    }

    /// `Get-MobileDeviceStatistics -Mailbox …`: each partnership with its wipe state.
    pub async fn mobile_device_statistics(
        &self,
        mailbox: &str,
    ) -> Result<Reply<Vec<MobileDevice>>, GraphError> {
        let r = self
            .invoke(
                "Get-MobileDeviceStatistics",
                Self::params(&[("Mailbox", json!(mailbox))]),
                Some(mailbox),
            )
            .await?;
        rows("Get-MobileDeviceStatistics", r)
    }

    /// `Clear-MobileDevice -Identity … [-AccountOnly] -Confirm:$false`: a wipe of company
    /// mail only (`account_only`), or of the whole device.
    pub async fn wipe_mobile_device(
        &self,
        identity: &str,
        account_only: bool,
        anchor: &str,
    ) -> Result<Reply<()>, GraphError> {
        let mut p = vec![("Identity", json!(identity)), ("Confirm", json!(false))];
        if account_only {
            p.push(("AccountOnly", json!(true)));
        }
        let r = self
            .invoke("Clear-MobileDevice", Self::params(&p), Some(anchor))
            .await?;
        Ok(r.map(|_| ()))
    }

    /// `Remove-MobileDevice -Identity … -Confirm:$false`: the partnership goes.
    pub async fn remove_mobile_device(
        &self,
        identity: &str,
        anchor: &str,
    ) -> Result<Reply<()>, GraphError> {
        let r = self
            .invoke(
                "Remove-MobileDevice",
                Self::params(&[("Identity", json!(identity)), ("Confirm", json!(false))]),
                Some(anchor),
            )
            .await?;
        Ok(r.map(|_| ()))
    }
}
