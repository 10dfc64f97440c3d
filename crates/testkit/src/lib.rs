//! Starts the local stack (Azurite, Cosmos server, local Functions host, handler, stand-ins) for integration tests.
