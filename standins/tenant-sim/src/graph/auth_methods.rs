//! Authentication methods of a user, and deleting one by its type.

use super::*;

pub(super) fn method_json(m: &AuthenticationMethod) -> Value {
    let created = m.created_date_time.as_ref().map(ts);
    let mut v = json!({
        "@odata.type": format!("#microsoft.graph.{}", m.method_type),
        "id": m.id,
    });
    let extra = match m.method_type.as_str() {
        "passwordAuthenticationMethod" => json!({"password": null, "createdDateTime": created}),
        "microsoftAuthenticatorAuthenticationMethod" => json!({
            "displayName": m.display_name, "deviceTag": "SoftwareTokenActivated",
            "phoneAppVersion": "6.2401.0119", "createdDateTime": created,
        }),
        "phoneAuthenticationMethod" => json!({
            "phoneNumber": m.phone_number, "phoneType": m.phone_type, "smsSignInState": "notSupported",
        }),
        "fido2AuthenticationMethod" => json!({
            "displayName": m.display_name, "creationDateTime": created,
            "aaGuid": "2fc0579f-8113-47ea-b116-555a8db9202a", "model": "NFC key",
            "attestationCertificates": ["5e4f1b2c3d4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c"], "attestationLevel": "attested",
        }),
        "windowsHelloForBusinessAuthenticationMethod" => json!({
            "displayName": m.display_name, "createdDateTime": created, "keyStrength": "normal",
        }),
        _ => json!({"displayName": m.display_name, "createdDateTime": created}),
    };
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    v
}

pub(super) fn auth_methods(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::AUTH_READ)?;
    let u = find_user(t, id)?;
    let items: Vec<Value> = t
        .authentication_methods
        .iter()
        .filter(|m| m.user_id == u.id)
        .map(method_json)
        .collect();
    let context = format!("users('{}')/authentication/methods", u.id);
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

pub(super) fn method_type_for(segment: &str) -> Option<&'static str> {
    Some(match segment {
        "microsoftAuthenticatorMethods" => "microsoftAuthenticatorAuthenticationMethod",
        "phoneMethods" => "phoneAuthenticationMethod",
        "fido2Methods" => "fido2AuthenticationMethod",
        "softwareOathMethods" => "softwareOathAuthenticationMethod",
        "emailMethods" => "emailAuthenticationMethod",
        "temporaryAccessPassMethods" => "temporaryAccessPassAuthenticationMethod",
        "windowsHelloForBusinessMethods" => "windowsHelloForBusinessAuthenticationMethod",
        "passwordMethods" => "passwordAuthenticationMethod",
        _ => return None,
    })
}

pub(super) fn delete_auth_method(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    kind: &str,
    mid: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::AUTH_WRITE)?;
    let u = find_user(t, id)?.clone();
    let method_type = method_type_for(kind).ok_or_else(|| {
        ApiError::new(
            400,
            "BadRequest",
            format!("Resource not found for the segment '{kind}'."),
        )
    })?;
    if method_type == "passwordAuthenticationMethod" {
        return Err(ApiError::new(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        ));
    }
    let pos = t
        .authentication_methods
        .iter()
        .position(|m| m.user_id == u.id && m.id == mid && m.method_type == method_type)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "itemNotFound",
                format!("The authentication method '{mid}' was not found."),
            )
        })?;
    t.authentication_methods.remove(pos);
    Ok(SimResponse::empty(204))
}
