//! # offboard-handler
//!
//! A thin custom handler for Azure Functions. It speaks the custom-handler protocol:
//!
//! - HTTP-only functions (intake, SCIM, the operator and compliance APIs) are forwarded by
//!   the host as the original request (`enableForwardingHttpRequest`), because signatures
//!   must be checked over the exact bytes received. They answer with ordinary HTTP.
//! - Queue and timer functions arrive as `POST /{functionName}` with the JSON invocation
//!   payload (`Data`, `Metadata`) and answer `Outputs`/`Logs`/`ReturnValue`. A non-2xx answer
//!   fails the invocation: the host retries the queue message and, after `maxDequeueCount`,
//!   moves it to `<queue>-poison`.
//!
//! Each route translates its request into a call on `offboard-service` and back.

pub mod access;
pub mod activity;
pub mod body;
pub mod dashboard;
pub mod problem;
pub mod protocol;
pub mod reply;
pub mod request;
pub mod routes;
pub mod signin;
pub mod startup;
pub mod telemetry;
