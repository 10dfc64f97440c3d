//! What the on-prem agent reads from the relay (a signed command) and what the handler reads
//! back (the agent's response). A command is canonicalised and its signature checked before
//! anything else; the typed command is read only after.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use offboard_agent_proto::{
    AgentCommand, AgentResponse, CommandSigningKey, CommandVerifier, SignedCommand,
    VerificationPolicy,
};
use std::sync::OnceLock;

fn verifier() -> &'static CommandVerifier {
    static V: OnceLock<CommandVerifier> = OnceLock::new();
    V.get_or_init(|| {
        let key = CommandSigningKey::generate();
        CommandVerifier::new(vec![key.verifying_key()], VerificationPolicy::default())
    })
}

fuzz_target!(|data: &[u8]| {
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap();
    if let Ok(signed) = serde_json::from_slice::<SignedCommand>(data) {
        let _ = signed.claimed_id();
        let _ = verifier().verify(&signed, now);
    }
    let _ = serde_json::from_slice::<AgentCommand>(data);
    let _ = serde_json::from_slice::<AgentResponse>(data);
});
