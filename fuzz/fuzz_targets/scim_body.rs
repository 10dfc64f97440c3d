//! SCIM request bodies: a User (POST, PUT), a PatchOp applied to a stored user, and a
//! SearchRequest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offboard_core::scim::list::ListQuery;
use offboard_core::scim::patch::PatchRequest;
use offboard_core::scim::resource::{normalize_user, validate_user};

fuzz_target!(|data: &[u8]| {
    let _ = ListQuery::from_search_request(data);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data)
        && let Ok(user) = normalize_user(&value)
    {
        let _ = validate_user(&user);
    }
    if let Ok(patch) = PatchRequest::parse(data) {
        let stored = serde_json::json!({
            "userName": "ada@contoso.example", "active": true, "externalId": "1042",
            "emails": [{"value": "ada@contoso.example", "type": "work", "primary": true}],
            "name": {"givenName": "Ada", "familyName": "Lovelace"}
        });
        if let serde_json::Value::Object(stored) = stored {
            let _ = patch.apply(&stored);
        }
    }
});
