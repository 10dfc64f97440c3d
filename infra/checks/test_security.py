"""The security baseline issue 7 asks for, asserted on both template sets' summaries."""

from __future__ import annotations

EVIDENCE_WRITER_ACTIONS = {
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/immutableStorage/runAsSuperUser/action",
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
        ("Key Vault Secrets User", "vault"),
        ("Azure Relay Sender", "hybrid_connection"),
        ("Monitoring Metrics Publisher", "app_insights"),
    }
    # Nothing broad: no subscription/resource-group scope, no Owner/Contributor.
    assert all(scope not in ("rg", "resource_group", "subscription") for _, _, scope in s["role_assignments"])
    assert set(s["custom_roles"]["evidence_writer_role"]) == EVIDENCE_WRITER_ACTIONS
    assert not any(a.endswith(("/delete", "deleteBlobVersion/action", "permanentDelete/action")) for a in s["custom_roles"]["evidence_writer_role"])


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
