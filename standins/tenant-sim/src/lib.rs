//! Stand-in Microsoft 365 tenant: Graph v1.0 and Exchange admin InvokeCommand. Tests and demo only.
