//! # standin-funchost
//!
//! A local stand-in for the Azure Functions host, faithful to what offboard relies on in
//! the custom-handler protocol
//! (<https://learn.microsoft.com/azure/azure-functions/functions-custom-handlers>):
//!
//! - reads `host.json` and one `function.json` per function folder, and refuses, loudly, any
//!   setting or binding it does not implement rather than ignoring it;
//! - starts the handler executable with `FUNCTIONS_CUSTOMHANDLER_PORT` and waits for it to
//!   answer; restarts it if it dies, as the host does;
//! - decodes the request path and refuses dot segments before routing, and reads bodies
//!   against `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` (413 above it, never buffered), see
//!   [`request`];
//! - serves HTTP triggers at `/{routePrefix}/{route}`: checks the method and the
//!   `authLevel` (function keys in `x-functions-key` or `?code=`), and with
//!   `enableForwardingHttpRequest` forwards HTTP-only functions' requests verbatim to the
//!   handler at the original path, returning its response verbatim;
//! - polls queue triggers with the documented semantics: base64 message text
//!   (`messageEncoding`), `batchSize`, `newBatchThreshold`, `maxPollingInterval` back-off,
//!   `DequeueCount` and the other trigger metadata, a failed invocation (non-2xx) releases
//!   the message after `visibilityTimeout`, and after `maxDequeueCount` attempts the message
//!   moves to `<queue>-poison`; queue output bindings are written only on success;
//! - fires timer triggers on 6-field NCRONTAB schedules, with the timer payload.
//!
//! It is never linked into production binaries.

pub mod config;
pub mod host;
mod invoke;
pub mod ncrontab;
mod queue_trigger;
pub mod request;
pub mod routes;
mod timer_trigger;
mod worker;

pub use config::{
    AppDefinition, AuthLevel, Binding, ConfigError, FunctionDef, HostJson, TimerSchedule, Trigger,
};
pub use host::{HandlerSpec, HostHandle, HostOptions, LocalHost, QueueResolver};
