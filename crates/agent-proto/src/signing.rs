//! Signing commands (handler) and verifying them (agent).
//!
//! The signature covers `SIGNATURE_CONTEXT || JCS(command)`: the RFC 8785 canonical JSON of the
//! command object exactly as it travels, prefixed with a domain-separation string so a signature
//! made for anything else can never verify as a command. The agent canonicalises the command it
//! received (not a re-serialisation of its own parse), verifies, and only then parses it with
//! unknown fields refused.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::command::{AgentCommand, CommandId};

/// Domain-separation prefix of every signed message.
pub const SIGNATURE_CONTEXT: &[u8] = b"offboard-agent-command-v1\n";

/// Names a verifying key: the first 8 bytes of SHA-256 over the raw public key, in hex. Lets the
/// agent trust several keys at once (rotation) and say which one a command claimed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    fn of(key: &VerifyingKey) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        Self(hex::encode(&digest[..8]))
    }

    /// The key id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key given in the wrong form.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Not base64, or not 32 bytes once decoded.
    #[error(
        "{what} must be 32 bytes in standard base64 (44 characters); check the configured value"
    )]
    Encoding {
        /// Which kind of key was expected.
        what: &'static str,
    },
    /// 32 bytes that are not a valid Ed25519 public key.
    #[error(
        "the verifying key is not a valid Ed25519 public key; copy it again from the handler's key pair"
    )]
    InvalidPublicKey,
}

fn decode_32(text: &str, what: &'static str) -> Result<[u8; 32], KeyError> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|_| KeyError::Encoding { what })?;
    bytes.try_into().map_err(|_| KeyError::Encoding { what })
}

/// The handler's private command-signing key (Ed25519). Its `Debug` output never shows the key.
pub struct CommandSigningKey {
    key: SigningKey,
    id: KeyId,
}

impl fmt::Debug for CommandSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandSigningKey")
            .field("key_id", &self.id)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl CommandSigningKey {
    /// A new random key (from the operating system's generator).
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        Self::from_seed(seed)
    }

    fn from_seed(seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let id = KeyId::of(&key.verifying_key());
        Self { key, id }
    }

    /// Loads the key from its 32-byte seed in standard base64 (as stored in Key Vault).
    pub fn from_base64(secret: &str) -> Result<Self, KeyError> {
        decode_32(secret, "the command signing key").map(Self::from_seed)
    }

    /// The seed in standard base64, to store the key in a secret store. Handle as a secret.
    pub fn to_base64_secret(&self) -> String {
        B64.encode(self.key.to_bytes())
    }

    /// The public half, to configure on the agent.
    pub fn verifying_key(&self) -> CommandVerifyingKey {
        CommandVerifyingKey {
            key: self.key.verifying_key(),
            id: self.id.clone(),
        }
    }

    /// This key's id.
    pub fn key_id(&self) -> &KeyId {
        &self.id
    }

    /// Signs a command for sending.
    pub fn sign(&self, command: &AgentCommand) -> Result<SignedCommand, SigningError> {
        let value = serde_json::to_value(command).map_err(SigningError)?;
        let message = signed_message(&value).map_err(SigningError)?;
        let signature = self.key.sign(&message);
        Ok(SignedCommand {
            key_id: self.id.clone(),
            command: value,
            signature: B64.encode(signature.to_bytes()),
        })
    }
}

/// A command could not be encoded for signing (a bug: commands always serialise).
#[derive(Debug, thiserror::Error)]
#[error("the command could not be encoded for signing: {0}")]
pub struct SigningError(serde_json::Error);

/// A public key the agent trusts for commands.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandVerifyingKey {
    key: VerifyingKey,
    id: KeyId,
}

impl fmt::Debug for CommandVerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandVerifyingKey")
            .field("key_id", &self.id)
            .finish()
    }
}

impl CommandVerifyingKey {
    /// Parses a public key from 32 bytes in standard base64.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = decode_32(text, "a command verifying key")?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPublicKey)?;
        let id = KeyId::of(&key);
        Ok(Self { key, id })
    }

    /// The public key in standard base64 (what the agent's config holds).
    pub fn to_base64(&self) -> String {
        B64.encode(self.key.as_bytes())
    }

    /// This key's id.
    pub fn key_id(&self) -> &KeyId {
        &self.id
    }
}

fn signed_message(command: &serde_json::Value) -> Result<Vec<u8>, serde_json::Error> {
    let canonical = serde_json_canonicalizer::to_vec(command)?;
    let mut message = Vec::with_capacity(SIGNATURE_CONTEXT.len() + canonical.len());
    message.extend_from_slice(SIGNATURE_CONTEXT);
    message.extend_from_slice(&canonical);
    Ok(message)
}

/// A command with its signature, as sent through the relay (the request body).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedCommand {
    /// Which key signed it.
    pub key_id: KeyId,
    /// The command object as signed ([`AgentCommand`] in JSON).
    pub command: serde_json::Value,
    /// Ed25519 signature over `SIGNATURE_CONTEXT || JCS(command)`, standard base64.
    pub signature: String,
}

impl SignedCommand {
    /// The command id, read without verifying (for correlating a rejection with its command).
    pub fn claimed_id(&self) -> Option<CommandId> {
        self.command
            .get("id")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }
}

/// Why the agent refused a whole command before acting on AD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum CommandRejection {
    /// Signed by a key the agent is not configured to trust.
    #[error(
        "command signed by key {key_id}, which this agent does not trust; add the handler's verifying key to the agent's config"
    )]
    #[serde(rename_all = "camelCase")]
    UnknownSigningKey {
        /// The key id the command claimed.
        key_id: KeyId,
    },
    /// The signature does not match the command: forged or altered in transit.
    #[error("command signature does not verify: the command was forged or altered")]
    BadSignature,
    /// Not a well-formed command.
    #[error("malformed command: {detail}")]
    Malformed {
        /// What is wrong.
        detail: String,
    },
    /// Issued in the future beyond the allowed clock skew.
    #[error(
        "command issued at {issued_at} is not valid yet (agent time {agent_time}); check both clocks"
    )]
    #[serde(rename_all = "camelCase")]
    NotYetValid {
        /// The command's issue time.
        issued_at: DateTime<Utc>,
        /// The agent's clock when it checked.
        agent_time: DateTime<Utc>,
    },
    /// Past its expiry.
    #[error("command expired at {expires_at} (agent time {agent_time}); send a new command")]
    #[serde(rename_all = "camelCase")]
    Expired {
        /// The command's expiry.
        expires_at: DateTime<Utc>,
        /// The agent's clock when it checked.
        agent_time: DateTime<Utc>,
    },
    /// Valid for longer than the agent allows (limits what a stolen command is worth).
    #[error(
        "command is valid for {validity_secs} s, more than the agent's limit of {limit_secs} s"
    )]
    #[serde(rename_all = "camelCase")]
    ValidityTooLong {
        /// expires_at - issued_at, in seconds.
        validity_secs: i64,
        /// The agent's limit, in seconds.
        limit_secs: i64,
    },
    /// This command id was already received while still valid: a replay (or a duplicate delivery).
    #[error(
        "command {command_id} was already received; send a new command (with a new id) to retry"
    )]
    #[serde(rename_all = "camelCase")]
    Replayed {
        /// The replayed id.
        command_id: CommandId,
    },
}

impl CommandRejection {
    /// Whether sending a fresh command (new id, new times) could succeed without a config change.
    pub fn is_retryable_with_new_command(&self) -> bool {
        matches!(
            self,
            Self::Expired { .. } | Self::Replayed { .. } | Self::NotYetValid { .. }
        )
    }
}

/// Time limits the agent applies to commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerificationPolicy {
    /// Longest `expires_at - issued_at` accepted.
    pub max_validity: Duration,
    /// Tolerated difference between the handler's and the agent's clocks.
    pub clock_skew: Duration,
}

impl Default for VerificationPolicy {
    fn default() -> Self {
        Self {
            max_validity: Duration::minutes(15),
            clock_skew: Duration::seconds(60),
        }
    }
}

/// Checks signed commands against the trusted keys and the time policy (the agent side).
#[derive(Clone, Debug)]
pub struct CommandVerifier {
    keys: Vec<CommandVerifyingKey>,
    policy: VerificationPolicy,
}

impl CommandVerifier {
    /// A verifier trusting `keys`.
    pub fn new(keys: Vec<CommandVerifyingKey>, policy: VerificationPolicy) -> Self {
        Self { keys, policy }
    }

    /// The time policy in force.
    pub fn policy(&self) -> VerificationPolicy {
        self.policy
    }

    /// Verifies signature, shape and validity window at `now`; replay is the caller's check (it
    /// needs state). Returns the command only when all pass.
    pub fn verify(
        &self,
        signed: &SignedCommand,
        now: DateTime<Utc>,
    ) -> Result<AgentCommand, CommandRejection> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == signed.key_id)
            .ok_or_else(|| CommandRejection::UnknownSigningKey {
                key_id: signed.key_id.clone(),
            })?;
        let signature_bytes: [u8; 64] = B64
            .decode(signed.signature.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(CommandRejection::BadSignature)?;
        let signature = Signature::from_bytes(&signature_bytes);
        let message = signed_message(&signed.command).map_err(|e| CommandRejection::Malformed {
            detail: format!("command is not canonicalisable JSON: {e}"),
        })?;
        key.key
            .verify_strict(&message, &signature)
            .map_err(|_| CommandRejection::BadSignature)?;
        let command: AgentCommand =
            serde_json::from_value(signed.command.clone()).map_err(|e| {
                CommandRejection::Malformed {
                    detail: e.to_string(),
                }
            })?;
        let validity = command.expires_at - command.issued_at;
        if validity <= Duration::zero() {
            return Err(CommandRejection::Malformed {
                detail: "expiresAt is not after issuedAt".into(),
            });
        }
        if validity > self.policy.max_validity {
            return Err(CommandRejection::ValidityTooLong {
                validity_secs: validity.num_seconds(),
                limit_secs: self.policy.max_validity.num_seconds(),
            });
        }
        if command.issued_at > now + self.policy.clock_skew {
            return Err(CommandRejection::NotYetValid {
                issued_at: command.issued_at,
                agent_time: now,
            });
        }
        if now >= command.expires_at + self.policy.clock_skew {
            return Err(CommandRejection::Expired {
                expires_at: command.expires_at,
                agent_time: now,
            });
        }
        if let Some(why) = command.shape_error() {
            return Err(CommandRejection::Malformed { detail: why.into() });
        }
        Ok(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Action, CaseId, UserLocator};

    fn command(now: DateTime<Utc>, ttl: Duration) -> AgentCommand {
        AgentCommand::new(
            CaseId::parse("case-42").unwrap(),
            UserLocator::SamAccountName("jdoe".into()),
            vec![Action::Disable, Action::ReadBack],
            now,
            ttl,
        )
    }

    fn verifier(key: &CommandSigningKey) -> CommandVerifier {
        CommandVerifier::new(vec![key.verifying_key()], VerificationPolicy::default())
    }

    #[test]
    fn a_signed_command_verifies_and_round_trips_through_json() {
        let key = CommandSigningKey::generate();
        let now = Utc::now();
        let cmd = command(now, Duration::minutes(5));
        let signed = key.sign(&cmd).unwrap();
        let wire = serde_json::to_string(&signed).unwrap();
        let received: SignedCommand = serde_json::from_str(&wire).unwrap();
        assert_eq!(verifier(&key).verify(&received, now).unwrap(), cmd);
        assert_eq!(received.claimed_id(), Some(cmd.id));
    }

    #[test]
    fn key_order_and_whitespace_in_transit_do_not_matter() {
        let key = CommandSigningKey::generate();
        let now = Utc::now();
        let cmd = command(now, Duration::minutes(5));
        let signed = key.sign(&cmd).unwrap();
        // Re-emit the command with reordered keys and pretty printing; JCS makes it the same message.
        let mut obj: Vec<(String, serde_json::Value)> = signed
            .command
            .as_object()
            .unwrap()
            .clone()
            .into_iter()
            .collect();
        obj.reverse();
        let reordered = format!(
            "{{{}}}",
            obj.iter()
                .map(|(k, v)| format!("\n  {:?} : {}", k, serde_json::to_string_pretty(v).unwrap()))
                .collect::<Vec<_>>()
                .join(",")
        );
        let wire = format!(
            r#"{{"signature":"{}","command":{},"keyId":"{}"}}"#,
            signed.signature, reordered, signed.key_id
        );
        let received: SignedCommand = serde_json::from_str(&wire).unwrap();
        assert_eq!(verifier(&key).verify(&received, now).unwrap(), cmd);
    }

    #[test]
    fn an_altered_command_is_refused_as_forged() {
        let key = CommandSigningKey::generate();
        let now = Utc::now();
        let mut signed = key.sign(&command(now, Duration::minutes(5))).unwrap();
        signed.command["target"]["value"] = serde_json::json!("administrator");
        assert_eq!(
            verifier(&key).verify(&signed, now),
            Err(CommandRejection::BadSignature)
        );
    }

    #[test]
    fn a_command_signed_by_another_key_is_refused() {
        let trusted = CommandSigningKey::generate();
        let attacker = CommandSigningKey::generate();
        let now = Utc::now();
        let mut signed = attacker.sign(&command(now, Duration::minutes(5))).unwrap();
        assert!(matches!(
            verifier(&trusted).verify(&signed, now),
            Err(CommandRejection::UnknownSigningKey { .. })
        ));
        // Claiming the trusted key id does not help.
        signed.key_id = trusted.key_id().clone();
        assert_eq!(
            verifier(&trusted).verify(&signed, now),
            Err(CommandRejection::BadSignature)
        );
    }

    #[test]
    fn expired_not_yet_valid_and_over_long_commands_are_refused() {
        let key = CommandSigningKey::generate();
        let v = verifier(&key);
        let now = Utc::now();
        let old = key
            .sign(&command(now - Duration::minutes(10), Duration::minutes(5)))
            .unwrap();
        assert!(matches!(
            v.verify(&old, now),
            Err(CommandRejection::Expired { .. })
        ));
        let future = key
            .sign(&command(now + Duration::minutes(5), Duration::minutes(5)))
            .unwrap();
        assert!(matches!(
            v.verify(&future, now),
            Err(CommandRejection::NotYetValid { .. })
        ));
        let long = key.sign(&command(now, Duration::hours(2))).unwrap();
        assert!(matches!(
            v.verify(&long, now),
            Err(CommandRejection::ValidityTooLong { .. })
        ));
        // Within the skew on either side is accepted.
        let slightly_ahead = key
            .sign(&command(now + Duration::seconds(30), Duration::minutes(5)))
            .unwrap();
        assert!(v.verify(&slightly_ahead, now).is_ok());
    }

    #[test]
    fn unknown_fields_are_refused_even_when_signed() {
        let key = CommandSigningKey::generate();
        let now = Utc::now();
        let cmd = command(now, Duration::minutes(5));
        let mut value = serde_json::to_value(&cmd).unwrap();
        value["runAs"] = serde_json::json!("Domain Admins");
        let message = signed_message(&value).unwrap();
        let signed = SignedCommand {
            key_id: key.key_id().clone(),
            command: value,
            signature: B64.encode(key.key.sign(&message).to_bytes()),
        };
        assert!(matches!(
            verifier(&key).verify(&signed, now),
            Err(CommandRejection::Malformed { .. })
        ));
    }

    #[test]
    fn a_listing_has_no_target_and_no_other_action() {
        let key = CommandSigningKey::generate();
        let v = verifier(&key);
        let now = Utc::now();
        let scan = CaseId::parse("scan-20261206T020000.000Z-0a1b2c3d").unwrap();
        let listing = AgentCommand::list_enabled_users(scan, now, Duration::minutes(5));
        let wire = serde_json::to_value(&listing).unwrap();
        assert!(wire.get("target").is_none(), "{wire}");
        assert_eq!(
            v.verify(&key.sign(&listing).unwrap(), now).unwrap(),
            listing
        );
        // An account command still needs its target, and a listing takes no company.
        let mut untargeted = command(now, Duration::minutes(5));
        untargeted.target = None;
        let mut crowded = listing.clone();
        crowded.actions.push(Action::Disable);
        let mut aimed = listing;
        aimed.target = Some(UserLocator::SamAccountName("jdoe".into()));
        for bad in [untargeted, crowded, aimed] {
            assert!(
                matches!(
                    v.verify(&key.sign(&bad).unwrap(), now),
                    Err(CommandRejection::Malformed { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(!Action::ListEnabledUsers.is_change());
    }

    #[test]
    fn keys_round_trip_through_base64_and_debug_hides_the_secret() {
        let key = CommandSigningKey::generate();
        let secret = key.to_base64_secret();
        let again = CommandSigningKey::from_base64(&secret).unwrap();
        assert_eq!(again.verifying_key(), key.verifying_key());
        let public = CommandVerifyingKey::from_base64(&key.verifying_key().to_base64()).unwrap();
        assert_eq!(public.key_id(), key.key_id());
        assert!(!format!("{key:?}").contains(&secret));
        assert!(CommandVerifyingKey::from_base64("not base64").is_err());
    }
}
