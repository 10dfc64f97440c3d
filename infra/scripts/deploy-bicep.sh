#!/usr/bin/env bash
# Deploys infra/bicep/main.bicep and locks the evidence retention in the same run: the Bicep
# counterpart of `terraform apply` (which runs the same lock script from
# terraform_data.evidence_retention_lock). Azure creates the account's default policy Unlocked
# only, so the lock is a second call; a later deployment must then declare it Locked, which
# this script does by reading the state before deploying.
#
#   infra/scripts/deploy-bicep.sh <resource-group> [extra az deployment parameters...]
#
# Example: infra/scripts/deploy-bicep.sh rg-offboard timeZone=Europe/London
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rg="${1:?usage: $0 <resource-group> [name=value ...]}"
shift

state=Unlocked
existing="$(az storage account list -g "$rg" --query "[?starts_with(name, 'stev')].name | [0]" -o tsv 2>/dev/null || true)"
if [[ -n "$existing" ]]; then
  state="$(az storage account show -g "$rg" -n "$existing" --query immutableStorageWithVersioning.immutabilityPolicy.state -o tsv)"
fi

az deployment group create -g "$rg" -n main \
  --template-file "$HERE/../bicep/main.bicep" \
  --parameters evidenceImmutabilityState="$state" "$@" >/dev/null
account="$(az deployment group show -g "$rg" -n main --query properties.outputs.evidenceStorageAccountName.value -o tsv)"
"$HERE/lock-evidence-retention.sh" --yes "$rg" "$account"
az deployment group show -g "$rg" -n main --query properties.outputs
