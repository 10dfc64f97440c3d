//! offboard's Microsoft 365 adapter and cloud steps against the tenant simulator (spawned in
//! process per test, with the least-privilege identity): every step acts, verifies and
//! replays without a second write; refusals, throttling and the planner's directory. One test
//! binary with modules (link time).

mod access;
mod completeness;
mod directory;
mod drift;
mod engine;
mod helpers;
mod mail;
mod pipeline;
mod provisioning;
mod sign_in;
