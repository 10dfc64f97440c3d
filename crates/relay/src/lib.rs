//! Sends signed agent commands to the on-prem agent through an Azure Relay Hybrid Connection.
