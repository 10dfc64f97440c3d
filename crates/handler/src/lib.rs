//! The Azure Functions custom handler: maps HTTP and queue/timer invocations onto offboard's use cases.
