//! Intune managed devices: list the leaver's and retire them (removes company data; a wipe is
//! a policy decision left to the caller and not offered here).

use reqwest::Method;

use crate::client::{Call, GraphClient, Reply, seg};
use crate::error::GraphError;
use crate::model::ManagedDevice;
use crate::users::user_path;

impl GraphClient {
    /// `GET /users/{id}/managedDevices`.
    pub async fn managed_devices(
        &self,
        user: &str,
    ) -> Result<Reply<Vec<ManagedDevice>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/managedDevices", user_path(user)),
            "listManagedDevices",
        );
        self.list(call).await
    }

    /// `GET /deviceManagement/managedDevices/{id}` (read-back of a retire).
    pub async fn get_managed_device(
        &self,
        device_id: &str,
    ) -> Result<Reply<ManagedDevice>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("/deviceManagement/managedDevices/{}", seg(device_id)),
            "getManagedDevice",
        );
        self.execute_json(&call).await
    }

    /// `POST /deviceManagement/managedDevices/{id}/retire` → 204.
    pub async fn retire_device(&self, device_id: &str) -> Result<Reply<()>, GraphError> {
        let call = Call::new(
            Method::POST,
            format!("/deviceManagement/managedDevices/{}/retire", seg(device_id)),
            "retireManagedDevice",
        )
        .idempotent(true);
        self.execute_empty(&call).await
    }
}
