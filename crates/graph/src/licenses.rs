//! Licences: read what the user holds and who assigned it; remove direct ones.
//!
//! Order matters for offboarding: convert the mailbox to shared before removing the Exchange
//! licence (removal starts the mailbox deletion clock). Group-based licences go with the group
//! membership; `assignLicense` refuses them ([`NotApplicableReason::GroupBasedLicense`]).
//!
//! [`NotApplicableReason::GroupBasedLicense`]: crate::NotApplicableReason::GroupBasedLicense

use reqwest::Method;
use serde_json::json;

use crate::client::{Call, GraphClient, Reply};
use crate::error::GraphError;
use crate::model::{LicenseDetails, User};
use crate::users::user_path;

impl GraphClient {
    /// `GET /users/{id}/licenseDetails`: every SKU held, direct or through a group.
    pub async fn license_details(
        &self,
        user: &str,
    ) -> Result<Reply<Vec<LicenseDetails>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/licenseDetails", user_path(user)),
            "listLicenseDetails",
        );
        self.list(call).await
    }

    /// Removes directly assigned licences: `POST /users/{id}/assignLicense`
    /// `{"addLicenses": [], "removeLicenses": [...]}` (Graph requires both arrays). Returns the
    /// updated user. A SKU assigned through a group gives
    /// [`GraphError::NotApplicable`] and nothing is removed.
    pub async fn remove_licenses(
        &self,
        user: &str,
        sku_ids: &[String],
    ) -> Result<Reply<User>, GraphError> {
        let call = Call::new(
            Method::POST,
            format!("{}/assignLicense", user_path(user)),
            "assignLicense",
        )
        .json(json!({ "addLicenses": [], "removeLicenses": sku_ids }))
        // Removing an already removed licence fails ("not assigned"); verification by
        // read-back settles an ambiguous first attempt, so a repeat is harmless.
        .idempotent(true);
        self.execute_json(&call).await
    }

    /// Assigns licences directly (a restore): `POST /users/{id}/assignLicense`
    /// `{"addLicenses": [{"skuId", "disabledPlans"}], "removeLicenses": []}`. Needs the user's
    /// usage location, which a leaver keeps. Returns the updated user.
    pub async fn add_licenses(
        &self,
        user: &str,
        licences: &[(String, Vec<String>)],
    ) -> Result<Reply<User>, GraphError> {
        let add: Vec<serde_json::Value> = licences
            .iter()
            .map(|(sku, off)| json!({ "skuId": sku, "disabledPlans": off }))
            .collect();
        let call = Call::new(
            Method::POST,
            format!("{}/assignLicense", user_path(user)),
            "assignLicense",
        )
        .json(json!({ "addLicenses": add, "removeLicenses": [] }))
        // Assigning a licence already held replaces it with the same: harmless to repeat.
        .idempotent(true);
        self.execute_json(&call).await
    }
}
