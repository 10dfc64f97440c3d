//! An evidence packet as `offboard verify PACKET.json` reads it: the API's answer is unwrapped
//! to its `packet`, which is parsed and then every hash, link, seal and ledger entry checked.
//! Whatever the bytes, the verifier answers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offboard_core::evidence::Packet;
use offboard_core::evidence::verify::verify_packet;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let packet = match value.get("packet") {
        Some(p) if value.get("verification").is_some() => p.clone(),
        _ => value,
    };
    if let Ok(packet) = serde_json::from_value::<Packet>(packet) {
        let report = verify_packet(&packet);
        let _ = report.ok();
        for f in &report.findings {
            let _ = f.describe();
        }
    }
});
