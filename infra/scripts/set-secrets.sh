#!/usr/bin/env bash
# One-time step (and rotation): puts offboard's secrets into its Key Vault. The templates only
# reference them (@Microsoft.KeyVault(SecretUri=.../secrets/<name>/)); their values never pass
# through a template, an output, a command line or a log.
#
#   infra/scripts/set-secrets.sh <key-vault-name> [secret-name ...]
#
# Secret names (default: all of them): bamboohr-secret, generic-webhook-secret,
# scim-token, agent-signing-key, signin-session-key (the `secretNames` / `secret_names` deployment output maps them
# to app settings). agent-signing-key is the seed `offboard-agent keygen` writes (the agent gets
# the public half); signin-session-key signs browser sessions: `openssl rand -base64 32`. Optional, never asked for by default: relay-send-key, the key of a relay SAS
# rule with the Send right, only if the handler must not use its managed identity for the relay
# (then also deploy with relaySasKeyName / relay_sas_key_name). Each value is read from the terminal without echo (or one line from stdin
# when not a terminal) and handed to az through a private temporary file.
# Needs: az CLI signed in with Key Vault Secrets Officer on the vault (RBAC mode).
set -euo pipefail

vault="${1:?usage: $0 <key-vault-name> [secret-name ...]}"
shift
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(bamboohr-secret generic-webhook-secret scim-token agent-signing-key signin-session-key)

umask 077
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

for name in "${names[@]}"; do
  if [[ -t 0 ]]; then
    read -r -s -p "$name (empty to skip): " value; echo
  else
    IFS= read -r value || value=""
  fi
  if [[ -z "$value" ]]; then
    echo "- $name: skipped (the provider that needs it answers 503 until it is set)"
    continue
  fi
  printf '%s' "$value" > "$tmp"
  unset value
  az keyvault secret set --vault-name "$vault" --name "$name" --file "$tmp" --encoding utf-8 --output none
  : > "$tmp"
  echo "+ $name: set"
done
echo "The function app picks up new secret versions within 24 h, or at once after: az functionapp restart"
