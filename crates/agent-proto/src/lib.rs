//! Wire types shared by the handler and the on-prem agent: signed commands and their results.
//!
//! The handler builds an [`AgentCommand`] ("for case X, on the AD user found by this locator, do
//! these actions"), signs it with its Ed25519 [`CommandSigningKey`] and sends the resulting
//! [`SignedCommand`] through the relay. The agent trusts only the public keys it is configured with:
//! [`CommandVerifier::verify`] refuses forged, unknown-key, expired, not-yet-valid and over-long
//! commands before anything touches Active Directory, so leaked relay credentials alone cannot make
//! the agent act. The agent answers with an [`AgentResponse`]: either a [`CommandResult`] with one
//! typed [`Outcome`] per action and the user's state before and after, or a [`RejectedCommand`].

mod command;
mod result;
mod signing;

pub use command::{
    Action, AgentCommand, CaseId, CommandId, InvalidCaseId, UserLocator, reset_marker, stamp_text,
};
pub use result::{
    ActionResult, AddressListVisibility, AgentIdentity, AgentResponse, CommandResult,
    DirectoryAccount, ItemResult, Outcome, RefusalReason, RejectedCommand, SafetyCheck, UserState,
};
pub use signing::{
    CommandRejection, CommandSigningKey, CommandVerifier, CommandVerifyingKey, KeyError, KeyId,
    SignedCommand, SigningError, VerificationPolicy,
};

/// The HTTP path suffix (after the hybrid connection's path) the agent serves commands on.
pub const COMMAND_PATH: &str = "commands";

/// The media type of a [`SignedCommand`] request body and an [`AgentResponse`] body.
pub const CONTENT_TYPE: &str = "application/json";
