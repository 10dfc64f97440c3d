//! The secrets a test app is configured with, and signing requests with them.

use base64::Engine;

/// Per-test intake secrets (random for each app).
#[derive(Clone)]
pub struct Secrets {
    /// BambooHR private key.
    pub bamboohr: String,
    /// Standard Webhooks secret (`whsec_...`).
    pub generic: String,
    /// SCIM bearer token.
    pub scim: String,
}

impl Secrets {
    /// Fresh random secrets.
    pub fn random() -> Self {
        let r = |n: usize| -> Vec<u8> { (0..n).map(|_| rand::random::<u8>()).collect() };
        let hex = |b: Vec<u8>| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        Self {
            bamboohr: hex(r(20)),
            generic: format!(
                "whsec_{}",
                base64::engine::general_purpose::STANDARD.encode(r(24))
            ),
            scim: hex(r(24)),
        }
    }
}
