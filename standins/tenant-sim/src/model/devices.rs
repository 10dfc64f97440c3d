//! Intune managed devices and the result of a remote action on one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A result of a remote action on a managed device.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceActionResult {
    /// `retire`, `wipe`…
    pub action_name: String,
    /// `pending`, `done`…
    pub action_state: String,
    /// Start.
    pub start_date_time: DateTime<Utc>,
    /// Last update.
    pub last_updated_date_time: DateTime<Utc>,
}

/// An Intune managed device.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedDevice {
    /// Device id.
    pub id: String,
    /// Primary user.
    pub user_id: String,
    /// Device name.
    pub device_name: String,
    /// `company` or `personal`.
    pub managed_device_owner_type: String,
    /// Operating system.
    pub operating_system: String,
    /// OS version.
    #[serde(default)]
    pub os_version: Option<String>,
    /// `compliant`, `noncompliant`…
    #[serde(default = "compliant")]
    pub compliance_state: String,
    /// `managed`, `retirePending`…
    #[serde(default = "managed")]
    pub management_state: String,
    /// Enrollment time.
    pub enrolled_date_time: DateTime<Utc>,
    /// Last check-in.
    pub last_sync_date_time: DateTime<Utc>,
    /// Model.
    #[serde(default)]
    pub model: Option<String>,
    /// Manufacturer.
    #[serde(default)]
    pub manufacturer: Option<String>,
    /// Serial number.
    #[serde(default)]
    pub serial_number: Option<String>,
    /// Entra device id.
    #[serde(default)]
    pub azure_ad_device_id: Option<String>,
    /// Remote actions taken.
    #[serde(default)]
    pub device_action_results: Vec<DeviceActionResult>,
}

fn compliant() -> String {
    "compliant".to_owned()
}
fn managed() -> String {
    "managed".to_owned()
}
