//! Licences: the products (SKUs) and their plans, an assignment, and a user's effective
//! licence.

use serde::{Deserialize, Serialize};

/// A service plan inside a SKU.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlan {
    /// Service plan id.
    pub service_plan_id: String,
    /// Service plan name, e.g. `EXCHANGE_S_ENTERPRISE`.
    pub service_plan_name: String,
}

/// A subscribed product.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sku {
    /// SKU id (GUID).
    pub sku_id: String,
    /// Part number, e.g. `SPE_E3`.
    pub sku_part_number: String,
    /// Service plans the SKU contains.
    #[serde(default)]
    pub service_plans: Vec<ServicePlan>,
}

/// A licence assignment (direct on a user, or on a group for group-based licensing).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedLicense {
    /// The SKU.
    pub sku_id: String,
    /// Service plans switched off.
    #[serde(default)]
    pub disabled_plans: Vec<String>,
}

/// Effective licence of a user: one SKU and who assigned it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseState {
    /// The SKU.
    pub sku_id: String,
    /// Disabled plans.
    pub disabled_plans: Vec<String>,
    /// `None` for a direct assignment, the group id for group-based licensing.
    pub assigned_by_group: Option<String>,
}
