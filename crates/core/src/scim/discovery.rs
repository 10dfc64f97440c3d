//! The discovery endpoints (RFC 7644 §4): what offboard supports, which resource types it
//! serves, and their schemas. All three answer GET only; a `filter` on them is refused with
//! 403 as §4 recommends, so a client never believes a filter it sent was applied.

use serde_json::{Value, json};

use super::list::{MAX_RESULTS, list_response};
use super::schema::SchemaId;
use super::urn::{RESOURCE_TYPE_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA};

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// `GET /ServiceProviderConfig` (RFC 7643 §5).
///
/// PATCH is supported; bulk, sorting and password changes are not; filtering is supported
/// for `userName` and `externalId` equality; ETags are supported (`meta.version`, `ETag`,
/// `If-Match`, `If-None-Match`). Authentication is a bearer token.
pub fn service_provider_config(base_url: &str) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "Send the SCIM token configured in offboard (OFFBOARD_SCIM_TOKEN) \
                            as `Authorization: Bearer <token>`.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", base(base_url)),
        },
    })
}

/// The name and id of the one resource type offboard serves.
pub const USER_RESOURCE_TYPE: &str = "User";

/// `GET /ResourceTypes/User` (RFC 7643 §6).
pub fn user_resource_type(base_url: &str) -> Value {
    let extensions: Vec<Value> = SchemaId::EXTENSIONS
        .iter()
        .map(|s| json!({"schema": s.urn(), "required": false}))
        .collect();
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": USER_RESOURCE_TYPE,
        "name": USER_RESOURCE_TYPE,
        "endpoint": "/Users",
        "description": "People the identity provider provisions; deactivating or deleting one \
                        opens a termination case in offboard.",
        "schema": SchemaId::User.urn(),
        "schemaExtensions": extensions,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{USER_RESOURCE_TYPE}", base(base_url)),
        },
    })
}

/// `GET /ResourceTypes/{id}`; `None` for an unknown id.
pub fn resource_type(base_url: &str, id: &str) -> Option<Value> {
    id.eq_ignore_ascii_case(USER_RESOURCE_TYPE)
        .then(|| user_resource_type(base_url))
}

/// `GET /ResourceTypes`: a ListResponse of every resource type.
pub fn resource_types(base_url: &str) -> Value {
    list_response(vec![user_resource_type(base_url)], 1, 1)
}

/// `GET /Schemas/{id}`; `None` for a schema offboard does not publish.
pub fn schema(base_url: &str, id: &str) -> Option<Value> {
    SchemaId::from_urn(id).map(|s| s.to_json(base_url))
}

/// `GET /Schemas`: a ListResponse of every schema offboard publishes.
pub fn schemas(base_url: &str) -> Value {
    let all: Vec<Value> = SchemaId::ALL.iter().map(|s| s.to_json(base_url)).collect();
    let n = u32::try_from(all.len()).unwrap_or(u32::MAX);
    list_response(all, n, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::{ENTERPRISE_USER_SCHEMA, OFFBOARD_USER_SCHEMA, USER_SCHEMA};

    #[test]
    fn service_provider_config_announces_what_offboard_does() {
        let spc = service_provider_config("https://h/api/scim/v2");
        assert_eq!(spc["patch"]["supported"], true);
        assert_eq!(spc["bulk"]["supported"], false);
        assert_eq!(spc["filter"]["maxResults"], MAX_RESULTS);
        assert_eq!(spc["sort"]["supported"], false);
        assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
        assert_eq!(
            spc["meta"]["location"],
            "https://h/api/scim/v2/ServiceProviderConfig"
        );
    }

    #[test]
    fn resource_types_and_schemas_list_and_find() {
        let rts = resource_types("https://h/");
        assert_eq!(rts["totalResults"], 1);
        let user = &rts["Resources"][0];
        assert_eq!(user["endpoint"], "/Users");
        assert_eq!(user["schema"], USER_SCHEMA);
        assert_eq!(
            user["schemaExtensions"],
            json!([{"schema": ENTERPRISE_USER_SCHEMA, "required": false},
                   {"schema": OFFBOARD_USER_SCHEMA, "required": false}])
        );
        assert!(resource_type("https://h", "user").is_some());
        assert!(resource_type("https://h", "Group").is_none());

        let all = schemas("https://h");
        let ids: Vec<&str> = all["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, OFFBOARD_USER_SCHEMA]
        );
        assert_eq!(all["totalResults"], 3);
        assert!(schema("https://h", &OFFBOARD_USER_SCHEMA.to_uppercase()).is_some());
        assert!(schema("https://h", "urn:x").is_none());
    }
}
