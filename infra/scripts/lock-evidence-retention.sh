#!/usr/bin/env bash
# Locks the evidence account's default retention policy (account-level, version-level WORM).
# Part of every deployment, not an afterthought: infra/scripts/deploy-bicep.sh runs it after the
# Bicep deployment, and Terraform runs it from terraform_data.evidence_retention_lock. Azure
# creates such a policy Unlocked only; until it is Locked, the app's handler refuses to start
# with OFFBOARD_EVIDENCE_WORM on.
#
# Irreversible: a Locked policy can only be extended, never shortened or removed, and the
# account cannot be deleted while it holds protected versions.
#
#   infra/scripts/lock-evidence-retention.sh [--yes] <resource-group> <evidence-storage-account>
#
# --yes locks without asking (the deployments pass it); without it, you type the account name.
# Idempotent: an already Locked policy is reported and left as it is.
# Needs: az CLI signed in as someone with Microsoft.Storage/storageAccounts/write on the account
# (the deployer, never the app's identity).
set -euo pipefail

yes=0
if [[ "${1:-}" == "--yes" ]]; then yes=1; shift; fi
rg="${1:?usage: $0 [--yes] <resource-group> <evidence-storage-account>}"
account="${2:?evidence storage account name}"

id="$(az storage account show -g "$rg" -n "$account" --query id -o tsv)"
current="$(az storage account show -g "$rg" -n "$account" --query immutableStorageWithVersioning -o json)"
days="$(printf '%s' "$current" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["immutabilityPolicy"]["immutabilityPeriodSinceCreationInDays"])')"
state="$(printf '%s' "$current" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["immutabilityPolicy"]["state"])')"
if [[ "$state" == "Locked" ]]; then
  echo "evidence retention already Locked ($days days) on $account"; exit 0
fi
if [[ "$yes" != 1 ]]; then
  read -r -p "Lock a $days-day retention on $account for good? Type the account name to confirm: " answer
  [[ "$answer" == "$account" ]] || { echo "not confirmed"; exit 1; }
fi
az rest --method patch --url "https://management.azure.com$id?api-version=2024-01-01" \
  --headers 'Content-Type=application/json' \
  --body "{\"properties\":{\"immutableStorageWithVersioning\":{\"enabled\":true,\"immutabilityPolicy\":{\"state\":\"Locked\",\"immutabilityPeriodSinceCreationInDays\":$days,\"allowProtectedAppendWrites\":false}}}}" >/dev/null
# Read it back: the deployment fails here if the service does not report the lock.
after="$(az storage account show -g "$rg" -n "$account" --query immutableStorageWithVersioning.immutabilityPolicy.state -o tsv)"
[[ "$after" == "Locked" ]] || { echo "the evidence retention policy of $account reads back as '$after', not Locked" >&2; exit 1; }
echo "evidence retention Locked: $days days on $account"
