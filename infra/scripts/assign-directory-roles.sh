#!/usr/bin/env bash
# One-time step after a Bicep deployment: assigns offboard's managed identity the Entra
# directory roles it needs (the Microsoft Graph Bicep extension has no directory-role
# resource; Terraform does this itself with azuread_directory_role_assignment).
#
#   infra/scripts/assign-directory-roles.sh <resource-group> [deployment-name]
#
# Reads `identityPrincipalId` and `directoryRolesToAssign` from the deployment's outputs and
# creates a tenant-wide (directoryScopeId "/") role assignment for each role that the identity
# does not have yet. Idempotent. Needs: az CLI signed in as a Privileged Role Administrator
# (or Global Administrator).
set -euo pipefail

rg="${1:?usage: $0 <resource-group> [deployment-name]}"
deployment="${2:-main}"
graph="https://graph.microsoft.com/v1.0"

principal="$(az deployment group show -g "$rg" -n "$deployment" --query properties.outputs.identityPrincipalId.value -o tsv)"
mapfile -t roles < <(az deployment group show -g "$rg" -n "$deployment" --query 'properties.outputs.directoryRolesToAssign.value[]' -o tsv)
[[ -n "$principal" && ${#roles[@]} -gt 0 ]] || { echo "no identityPrincipalId / directoryRolesToAssign in deployment $deployment" >&2; exit 1; }

for role in "${roles[@]}"; do
  role_id="$(az rest --method get --url "$graph/roleManagement/directory/roleDefinitions" \
    --url-parameters "\$filter=displayName eq '$role'" --query 'value[0].id' -o tsv)"
  [[ -n "$role_id" ]] || { echo "directory role '$role' not found" >&2; exit 1; }
  existing="$(az rest --method get --url "$graph/roleManagement/directory/roleAssignments" \
    --url-parameters "\$filter=principalId eq '$principal' and roleDefinitionId eq '$role_id'" --query 'length(value)' -o tsv)"
  if [[ "$existing" != "0" ]]; then
    echo "= $role: already assigned"
    continue
  fi
  az rest --method post --url "$graph/roleManagement/directory/roleAssignments" \
    --headers 'Content-Type=application/json' \
    --body "{\"principalId\":\"$principal\",\"roleDefinitionId\":\"$role_id\",\"directoryScopeId\":\"/\"}" >/dev/null
  echo "+ $role: assigned"
done
echo "Directory roles can take a few minutes to apply, and managed-identity tokens are cached for up to 24 h."
