//! The Graph and Exchange clients against the tenant simulator: every operation, every refusal,
//! throttling, faults, token refresh and `$batch`. One test binary with modules (link time).

mod batch;
mod exchange;
mod graph_ops;
mod helpers;
mod journal;
mod least_privilege;
mod refusals;
mod resilience;
