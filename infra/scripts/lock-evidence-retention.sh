#!/usr/bin/env bash
# Locks the evidence account's default retention policy (account-level, version-level WORM).
# Irreversible: a Locked policy can only be extended, never shortened or removed, and the
# account cannot be deleted while it holds protected versions. Run it once the deployment is
# verified and the retention period is the one your auditors require.
#
#   infra/scripts/lock-evidence-retention.sh <resource-group> <evidence-storage-account>
#
# Afterwards, Bicep deployments must pass evidenceImmutabilityState=Locked; Terraform ignores
# the state after creation (lifecycle.ignore_changes).
# Needs: az CLI with Microsoft.Storage/storageAccounts/write on the account.
set -euo pipefail

rg="${1:?usage: $0 <resource-group> <evidence-storage-account>}"
account="${2:?evidence storage account name}"

id="$(az storage account show -g "$rg" -n "$account" --query id -o tsv)"
current="$(az storage account show -g "$rg" -n "$account" --query immutableStorageWithVersioning -o json)"
days="$(printf '%s' "$current" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["immutabilityPolicy"]["immutabilityPeriodSinceCreationInDays"])')"
state="$(printf '%s' "$current" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["immutabilityPolicy"]["state"])')"
if [[ "$state" == "Locked" ]]; then
  echo "already Locked ($days days)"; exit 0
fi
read -r -p "Lock a $days-day retention on $account for good? Type the account name to confirm: " answer
[[ "$answer" == "$account" ]] || { echo "not confirmed"; exit 1; }
az rest --method patch --url "https://management.azure.com$id?api-version=2024-01-01" \
  --headers 'Content-Type=application/json' \
  --body "{\"properties\":{\"immutableStorageWithVersioning\":{\"enabled\":true,\"immutabilityPolicy\":{\"state\":\"Locked\",\"immutabilityPeriodSinceCreationInDays\":$days,\"allowProtectedAppendWrites\":false}}}}" >/dev/null
echo "locked: $days days"
