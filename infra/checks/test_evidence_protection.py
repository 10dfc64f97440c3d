"""Evidence the app itself cannot unlock (issue 12), asserted on both template sets.

The app's identity may add evidence blobs and read them, and read the account's immutability
policy; nothing it holds can overwrite, delete, or change a hold or a retention policy. Every
version inherits the account's default retention, which both deployments lock with the one
script infra/scripts/lock-evidence-retention.sh.
"""

from __future__ import annotations

import re

from iac import REPO_ROOT as ROOT

# Data actions that would let a holder undo or bypass the protection (Microsoft's RBAC list for
# Storage; `*` wildcards would include them).
FORBIDDEN_DATA_ACTIONS = (
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/deleteBlobVersion/action",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/permanentDelete/action",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/immutableStorage/runAsSuperUser/action",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/write",
)
# Control-plane actions that would change the container, the account or its policy.
FORBIDDEN_ACTION_SUFFIXES = ("/write", "/delete", "/action", "*")

# Built-in roles that carry any of the forbidden actions.
BROAD_STORAGE_ROLES = {"Storage Blob Data Contributor", "Storage Blob Data Owner", "Owner", "Contributor", "Storage Account Contributor"}


def _evidence_roles(s):
    return [(role, scope) for _, role, scope in s["role_assignments"] if scope in ("evidence_storage", "evidence_container")]


def test_the_app_can_only_add_and_read_evidence(infra):
    kind, s = infra
    roles = _evidence_roles(s)
    assert roles, f"{kind}: no role on the evidence account: the summary is broken"
    for role, scope in roles:
        assert role not in BROAD_STORAGE_ROLES, f"{kind}: {role} on {scope} can delete or overwrite evidence"
        assert role.startswith("custom:"), f"{kind}: built-in {role} on {scope}: only the narrow custom roles belong here"
        perms = s["custom_roles"][role.removeprefix("custom:")]
        for a in perms["data_actions"]:
            assert a not in FORBIDDEN_DATA_ACTIONS and not a.endswith("*"), f"{kind}: {role} grants {a}"
        for a in perms["actions"]:
            assert a.endswith("/read") and not a.endswith(FORBIDDEN_ACTION_SUFFIXES), f"{kind}: {role} grants {a}"
    writer = s["custom_roles"]["evidence_writer_role"]
    assert sorted(writer["data_actions"]) == [
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    ], kind
    assert s["custom_roles"]["evidence_protection_reader_role"] == {
        "actions": ["Microsoft.Storage/storageAccounts/read"],
        "data_actions": [],
    }, kind


def test_no_role_grants_run_as_super_user_anywhere(infra):
    kind, s = infra
    for name, perms in s["custom_roles"].items():
        assert not any("runAsSuperUser" in a for a in perms["data_actions"]), f"{kind}: {name}"


def test_the_handler_is_told_where_to_read_the_effective_protection(infra):
    kind, s = infra
    assert s["app_settings"]["OFFBOARD_EVIDENCE_ACCOUNT_ID"] == "<ref:evidence_storage:id>", kind
    assert s["app_settings"]["OFFBOARD_EVIDENCE_WORM"] == "true", kind


def test_both_deployments_lock_the_default_retention_with_the_same_script():
    lock = ROOT / "infra/scripts/lock-evidence-retention.sh"
    script = lock.read_text()
    assert "--yes" in script and '"state":"Locked"' in script.replace("\\", "")
    # It reads the state back and fails the deployment when it is not Locked.
    assert re.search(r'\[\[ "\$after" == "Locked" \]\]', script)
    bicep_deploy = (ROOT / "infra/scripts/deploy-bicep.sh").read_text()
    assert "lock-evidence-retention.sh\" --yes" in bicep_deploy and "main.bicep" in bicep_deploy
    tf = (ROOT / "infra/terraform/main.tf").read_text()
    m = re.search(r'resource "terraform_data" "evidence_retention_lock" \{(.*?)\n\}', tf, re.S)
    assert m, "terraform_data.evidence_retention_lock is missing"
    assert "lock-evidence-retention.sh --yes" in m.group(1)
    assert "azurerm_storage_account.evidence_storage" in m.group(1)
    for p in (lock, ROOT / "infra/scripts/deploy-bicep.sh"):
        assert p.stat().st_mode & 0o111, f"{p} is not executable"
