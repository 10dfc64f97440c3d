//! The on-prem agent: listens on an Azure Relay Hybrid Connection and acts on Active Directory over LDAPS.
