//! Stand-in Azure Relay Hybrid Connections service. Tests and demo only.
