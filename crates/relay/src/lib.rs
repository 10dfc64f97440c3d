//! Azure Relay Hybrid Connections for offboard.
//!
//! - [`RelaySender`] (feature `sender`, on by default): the handler's side. It POSTs a signed agent
//!   command to `https://{namespace}/{path}/commands`, authenticated with a SAS token
//!   (`ServiceBusAuthorization` header) or an Entra ID token of the managed identity
//!   (the raw JWT in `Authorization`, as Microsoft's Relay RBAC sample sends it), and classifies what comes back into a [`RelayError`] a caller can
//!   act on: no listener (502) and timeout (504) are transient; 401/403/404 are configuration.
//! - [`SasKey`] / [`SasToken`]: Shared Access Signature tokens as the Relay service expects them.
//! - [`protocol`]: the listener's control-channel frames (`accept`, `request`, `response`,
//!   `renewToken`), used by the agent.
//!
//! Protocol reference: Microsoft's "Azure Relay Hybrid Connections protocol" guide.

mod endpoint;
pub mod protocol;
mod sas;
#[cfg(feature = "sender")]
mod sender;

pub use endpoint::{EndpointError, RelayEndpoint};
pub use sas::{SasKey, SasToken};
#[cfg(feature = "sender")]
pub use sender::{
    ENTRA_RELAY_AUDIENCE, EntraTokenSource, MAX_RELAY_TIMEOUT, RelayCredential, RelayError,
    RelaySender, RelaySenderOptions,
};
