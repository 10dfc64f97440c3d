//! Stand-in Azure Functions host for custom handlers: HTTP forwarding, queue and timer triggers. Tests and local runs only.
