//! Intune managed devices: listing, reading and `retire`.

use super::*;

pub(super) fn intune_denied(scope: &str) -> ApiError {
    ApiError::new(
        403,
        "Forbidden",
        format!(
            "Application is not authorized to perform this operation. Application must have one of the following scopes: {scope}"
        ),
    )
}

pub(super) fn device_json(t: &Tenant, d: &ManagedDevice) -> Value {
    let u = t.user(&d.user_id);
    json!({
        "@odata.type": "#microsoft.graph.managedDevice",
        "id": d.id,
        "userId": d.user_id,
        "deviceName": d.device_name,
        "managedDeviceOwnerType": d.managed_device_owner_type,
        "deviceActionResults": d.device_action_results.iter().map(|r| json!({
            "@odata.type": "microsoft.graph.deviceActionResult",
            "actionName": r.action_name,
            "actionState": r.action_state,
            "startDateTime": r.start_date_time.to_rfc3339_opts(SecondsFormat::Micros, true),
            "lastUpdatedDateTime": r.last_updated_date_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        })).collect::<Vec<_>>(),
        "enrolledDateTime": d.enrolled_date_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        "lastSyncDateTime": d.last_sync_date_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        "operatingSystem": d.operating_system,
        "complianceState": d.compliance_state,
        "jailBroken": "False",
        "managementAgent": "mdm",
        "osVersion": d.os_version,
        "easActivated": false,
        "easDeviceId": null,
        "easActivationDateTime": "0001-01-01T00:00:00Z",
        "azureADRegistered": true,
        "deviceEnrollmentType": if d.managed_device_owner_type == "company" { "windowsAzureADJoin" } else { "userEnrollment" },
        "emailAddress": u.and_then(|u| u.mail.clone()),
        "azureADDeviceId": d.azure_ad_device_id,
        "deviceRegistrationState": "registered",
        "deviceCategoryDisplayName": "Unknown",
        "isSupervised": false,
        "exchangeLastSuccessfulSyncDateTime": "0001-01-01T00:00:00Z",
        "exchangeAccessState": "none",
        "exchangeAccessStateReason": "none",
        "isEncrypted": true,
        "userPrincipalName": u.map(|u| u.user_principal_name.clone()),
        "model": d.model,
        "manufacturer": d.manufacturer,
        "imei": null,
        "complianceGracePeriodExpirationDateTime": "9999-12-31T23:59:59Z",
        "serialNumber": d.serial_number,
        "phoneNumber": null,
        "androidSecurityPatchLevel": null,
        "userDisplayName": u.map(|u| u.display_name.clone()),
        "wiFiMacAddress": null,
        "subscriberCarrier": null,
        "meid": null,
        "totalStorageSpaceInBytes": 256_060_514_304_u64,
        "freeStorageSpaceInBytes": 128_030_257_152_u64,
        "managedDeviceName": format!("{}_{}", u.map(|u| u.mail_nickname.clone().unwrap_or_default()).unwrap_or_default(), d.operating_system),
        "partnerReportedThreatState": "unknown",
        "requireUserEnrollmentApproval": null,
        "managementCertificateExpirationDate": "2026-01-10T00:00:00Z",
        "iccid": null,
        "udid": null,
        "notes": null,
        "ethernetMacAddress": null,
        "physicalMemoryInBytes": 0,
    })
}

pub(super) fn user_devices(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::DEVICES_READ, || {
        intune_denied(perms::DEVICES_READ[0])
    })?;
    let u = find_user(t, id)?;
    let items: Vec<Value> = t
        .managed_devices
        .iter()
        .filter(|d| d.user_id == u.id)
        .map(|d| device_json(t, d))
        .collect();
    let context = format!("users('{}')/managedDevices", u.id);
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

pub(super) fn all_devices(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::DEVICES_READ, || {
        intune_denied(perms::DEVICES_READ[0])
    })?;
    let items: Vec<Value> = t
        .managed_devices
        .iter()
        .map(|d| device_json(t, d))
        .collect();
    Ok(SimResponse::ok(page(
        ctx,
        req,
        q,
        "deviceManagement/managedDevices".to_owned(),
        items,
    )))
}

pub(super) fn device_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFound",
        format!("Resource not found: managedDevice '{id}'."),
    )
}

pub(super) fn get_device(t: &mut Tenant, ctx: &Ctx<'_>, id: &str) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::DEVICES_READ, || {
        intune_denied(perms::DEVICES_READ[0])
    })?;
    let d = t
        .managed_devices
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| device_not_found(id))?;
    let mut v = device_json(t, d);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "@odata.context".to_owned(),
            json!(ctx.context("deviceManagement/managedDevices/$entity")),
        );
    }
    Ok(SimResponse::ok(v))
}

pub(super) fn retire(t: &mut Tenant, ctx: &Ctx<'_>, id: &str) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::DEVICES_RETIRE, || {
        intune_denied(perms::DEVICES_RETIRE[0])
    })?;
    let now = ctx.now;
    let d = t
        .managed_devices
        .iter_mut()
        .find(|d| d.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| device_not_found(id))?;
    let pending = d
        .device_action_results
        .iter()
        .any(|r| r.action_name == "retire" && r.action_state == "pending");
    if !pending {
        d.device_action_results.push(DeviceActionResult {
            action_name: "retire".to_owned(),
            action_state: "pending".to_owned(),
            start_date_time: now,
            last_updated_date_time: now,
        });
    }
    d.management_state = "retirePending".to_owned();
    Ok(SimResponse::empty(204))
}
