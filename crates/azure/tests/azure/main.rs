//! The Azure adapters against the real local stack (one test binary, one helper):
//! Azurite over HTTPS in bearer-token mode and the npm Cosmos server behind its wrapper, both
//! started by `local/stack.sh`, with tokens from the managed-identity stand-in through
//! `ManagedIdentityCredential` — the production code path. See `helpers.rs` for how the stack
//! is found or started.
//!
//! Evidence: `evidence_contract` runs one `EvidenceStore` contract against the blob store on
//! Azurite (WORM off, disclosed) and the embedded file store; `evidence_blob` covers what only
//! the blob store does (the loud failure of WORM on an emulator, the service's evidence path
//! over blobs and the Cosmos index); `evidence_rest` pins the REST shape of the legal-hold and
//! retention requests on the wire; `evidence_worm` runs the store and an attacker's raw calls
//! against the `standin-blob-worm` immutability contract; `evidence_live` is the opt-in test
//! against a real account.

mod case_index;
mod cases;
mod evidence_blob;
mod evidence_contract;
mod evidence_live;
mod evidence_rest;
mod evidence_worm;
mod helpers;
mod queue;
mod scim;
