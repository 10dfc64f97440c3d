//! Stand-in for the App Service managed-identity token endpoint (IDENTITY_ENDPOINT protocol). Tests and demo only.
