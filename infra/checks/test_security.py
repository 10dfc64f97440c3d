"""The security baseline issue 7 asks for, asserted on both template sets' summaries."""

from __future__ import annotations

EVIDENCE_WRITER_DATA_ACTIONS = {
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
}


def test_storage_accounts_are_entra_only_tls12_private_blobs(infra):
    _, s = infra
    for name in ("host_storage", "evidence_storage"):
        st = s["security"][name]
        assert st["shared_key_access"] is False, name
        assert st["public_blob_access"] is False, name
        assert st["min_tls"] == "TLS1_2", name
        assert st["https_only"] is True, name
        assert st["versioning"] is True, name
        assert st["local_users"] is False, name
    assert s["container_public_access"] == ["None", "None"]


def test_evidence_is_worm_from_the_first_write_for_seven_years(infra):
    _, s = infra
    ev = s["security"]["evidence_storage"]
    assert ev["immutability"] is True
    assert ev["immutability_state"] in ("Unlocked", "Locked")
    assert ev["immutability_days"] == 2555
    assert ev["immutability_append_writes"] is False
    assert ev["sku"].split("_")[1] in ("GRS", "RAGRS", "GZRS", "RAGZRS")
    assert ("evidence_storage", "evidence") in s["blob_containers"]
    assert s["app_settings"]["OFFBOARD_STORAGE_BLOB_ENDPOINT"] == "<ref:evidence_storage:blob>"
    assert s["app_settings"]["OFFBOARD_EVIDENCE_CONTAINER"] == "evidence"
    assert s["app_settings"]["OFFBOARD_EVIDENCE_RETENTION_DAYS"] == "<param:evidence_retention_days>"
    assert ("evidence_lock", "evidence_storage", "CanNotDelete") in s["locks"]
    # The host account, which must delete its own blobs, holds no WORM data.
    assert s["security"]["host_storage"]["immutability"] is False


def test_cosmos_serverless_key_auth_off(infra):
    _, s = infra
    c = s["security"]["cosmos"]
    assert c["serverless"] is True and c["local_auth_disabled"] is True and c["key_metadata_writes_disabled"] is True
    assert ("00000000-0000-0000-0000-000000000002", "cosmos") in s["cosmos_role_assignments"]


def test_relay_requires_client_authorization_and_agent_only_listens(infra):
    _, s = infra
    assert s["security"]["hybrid_connection"]["requires_client_authorization"] is True
    assert s["security"]["agent_listen"]["rights"] == ["Listen"]


def test_key_vault_rbac_with_purge_protection(infra):
    _, s = infra
    kv = s["security"]["vault"]
    assert kv["rbac"] is True and kv["purge_protection"] is True and kv["soft_delete_days"] >= 7


def test_role_assignments_are_exactly_what_the_code_does(infra):
    _, s = infra
    roles = {(role, scope) for _, role, scope in s["role_assignments"]}
    assert roles == {
        ("Storage Queue Data Contributor", "host_storage"),
        ("Storage Blob Data Owner", "host_storage"),
        ("custom:evidence_writer_role", "evidence_container"),
        ("custom:evidence_protection_reader_role", "evidence_storage"),
        ("Key Vault Secrets User", "vault"),
        ("Azure Relay Sender", "hybrid_connection"),
        ("Monitoring Metrics Publisher", "app_insights"),
    }
    # Nothing broad: no subscription/resource-group scope, no Owner/Contributor.
    assert all(scope not in ("rg", "resource_group", "subscription") for _, _, scope in s["role_assignments"])
    assert set(s["custom_roles"]["evidence_writer_role"]["data_actions"]) == EVIDENCE_WRITER_DATA_ACTIONS


def test_function_app_is_flex_custom_handler_with_user_assigned_identity(infra):
    _, s = infra
    fa = s["security"]["function_app"]
    assert fa["runtime"] == "custom/1.0"
    assert fa["identity"] == "UserAssigned"
    assert fa["https_only"] is True and fa["min_tls"] == "1.2"
    assert fa["deployment_storage_auth"] == "UserAssignedIdentity"
    assert fa["key_vault_reference_identity"] == "<ref:identity:id>"
    assert fa["basic_auth_publishing"] is False
    assert s["security"]["plan"] == {"sku": "FC1", "linux": True}
    assert s["security"]["app_insights"]["local_auth_disabled"] is True


def test_every_resource_with_logs_sends_them_to_the_workspace(infra):
    _, s = infra
    targets = {t for _, t, _ in s["diagnostics"]}
    assert targets == {"function_app", "host_blob_service", "host_queue_service", "evidence_blob_service", "cosmos", "relay", "vault"}


# The network-hardened variant (variants.py). Reached through the network by design, with Entra
# auth: Azure Relay (the on-premises agent connects to it from outside; see infra/README.md) and
# Application Insights ingestion, plus Graph, Exchange and Entra ID, which have no private endpoint.
DATA_PLANE_GROUPS = {"blob": "blob", "queue": "queue", "endpoint": "Sql", "vault_uri": "vault"}
ZONE_OF_GROUP = {
    "blob": "privatelink.blob.core.windows.net",
    "queue": "privatelink.queue.core.windows.net",
    "Sql": "privatelink.documents.azure.com",
    "vault": "privatelink.vaultcore.azure.net",
    "sites": "privatelink.azurewebsites.net",
}


def data_planes_the_app_uses(s) -> set[tuple[str, str]]:
    """(resource, private-link group) of every data endpoint the app settings and the deployment
    storage name: what must be reachable privately."""
    import re

    values = list(s["app_settings"].values()) + [s["security"]["function_app"]["deployment_storage"]]
    out = set()
    for v in values:
        for res, what in re.findall(r"<ref:([a-z_]+):([a-z_]+)>", v):
            if what in DATA_PLANE_GROUPS:
                out.add((res, DATA_PLANE_GROUPS[what]))
    return out


def test_public_network_access_follows_the_variant(infra):
    _, s = infra
    private = s["variant"] == "private"
    sec = s["security"]
    for res in ("host_storage", "evidence_storage", "cosmos", "vault", "function_app"):
        assert sec[res]["public_network"] is (not private), (res, s["variant"])
    for res in ("host_storage", "evidence_storage", "vault"):
        assert sec[res]["network_default_action"] == ("Deny" if private else "Allow"), res
    assert sec["function_app"]["vnet_integration"] == ("snet-app" if private else None)
    assert bool(s["network"]) is private


def test_network_hardened_variant_reaches_every_data_plane_through_a_private_endpoint(private_infra):
    _, s = private_infra
    n = s["network"]
    used = data_planes_the_app_uses(s)
    assert used == {("host_storage", "blob"), ("host_storage", "queue"), ("evidence_storage", "blob"), ("cosmos", "Sql"), ("vault", "vault")}, used
    endpoints = {(target, group): zone for _, target, group, zone in n["endpoints"]}
    # Exactly the data planes the app uses, and the app's own inbound endpoint; nothing else.
    assert set(endpoints) == used | {("function_app", "sites")}
    for (target, group), zone in endpoints.items():
        assert zone == ZONE_OF_GROUP[group], (target, group, zone)
    assert n["dns_zones"] == sorted(ZONE_OF_GROUP.values())
    assert n["dns_links"] == [(z, "vnet", False) for z in sorted(ZONE_OF_GROUP.values())]


def test_network_hardened_variant_subnets_and_egress(private_infra):
    _, s = private_infra
    n = s["network"]
    app, pe = n["subnets"]["snet-app"], n["subnets"]["snet-endpoints"]
    assert app["delegation"] == "Microsoft.App/environments", "Flex Consumption VNet integration needs this delegation"
    # Egress only through the NAT gateway's static address; no implicit default outbound access.
    assert app["nat"] is True and app["default_outbound"] is False and pe["default_outbound"] is False
    assert n["nat"] == {"sku": "Standard", "idle_timeout": 4, "public_ips": 1, "ip_sku": "Standard", "ip_allocation": "Static"}
    # The endpoints answer only HTTPS from the virtual network (and what is peered/connected).
    assert pe["nsg"] and pe["endpoint_policies"] == "Enabled" and app["nsg"]
    rules = n["nsg_rules"][pe["nsg"]]
    assert ("allow-https-from-vnet", 100, "Inbound", "Allow", "Tcp", "VirtualNetwork", "*", "*", "443") in rules
    assert rules[-1] == ("deny-all-inbound", 4096, "Inbound", "Deny", "*", "*", "*", "*", "*")
    assert {"egress_ip_address", "virtual_network_name"} <= set(s["outputs"])
