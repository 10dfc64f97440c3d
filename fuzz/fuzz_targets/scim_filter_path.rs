//! SCIM filters (list and search) and PATCH paths, and evaluating a parsed value filter
//! against an address, as `emails[type eq "work"]` is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offboard_core::scim::filter::Filter;
use offboard_core::scim::list::ListFilter;
use offboard_core::scim::path::{PatchTarget, resolve_text};
use offboard_core::scim::schema::SchemaId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ListFilter::parse(text);
    let _ = resolve_text(text);
    if let Ok(PatchTarget::Attribute {
        filter: Some(f), ..
    }) = PatchTarget::parse(text)
    {
        let _ = f.seed(SchemaId::User.attribute("emails").unwrap());
    }
    if let Ok(f) = Filter::parse(text) {
        let emails = SchemaId::User.attribute("emails").unwrap();
        let value =
            serde_json::json!({"value": "ada@contoso.example", "type": "work", "primary": true});
        let _ = f.matches(&value, emails);
        let _ = f.seed(emails);
    }
});
