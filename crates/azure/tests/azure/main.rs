//! The Azure adapters against the real local stack (one test binary, one helper):
//! Azurite over HTTPS in bearer-token mode and the npm Cosmos server behind its wrapper, both
//! started by `local/stack.sh`, with tokens from the managed-identity stand-in through
//! `ManagedIdentityCredential` — the production code path. See `helpers.rs` for how the stack
//! is found or started.

mod cases;
mod helpers;
mod queue;
mod scim;
