#!/usr/bin/env bash
# One-time step: fetches the on-premises agent's Listen-only SAS key into a file readable only
# by you, and prints the [relay] section of the agent's config (offboard-agent TOML) that uses
# it. The key is never a template output and is never printed.
#
#   infra/scripts/agent-listen-key.sh <resource-group> <relay-namespace-name> <hybrid-connection> [key-file]
#
# Copy the key file to the agent host (e.g. /etc/offboard-agent/relay.key, owned by the agent's
# account, mode 0600 — the agent refuses group/world-readable secret files) and delete it here.
# The rule (`agent-listen`) has only the Listen right, on this one hybrid connection. Rotate:
#   az relay hyco authorization-rule keys renew -g RG --namespace-name NS \
#     --hybrid-connection-name HC -n agent-listen --key PrimaryKey
# Needs: az CLI allowed to list keys of the hybrid connection's rules.
set -euo pipefail

rg="${1:?usage: $0 <rg> <relay-namespace-name> <hybrid-connection> [key-file]}"
ns="${2:?relay namespace name}"
hc="${3:?hybrid connection name}"
out="${4:-relay.key}"
rule="agent-listen"

umask 077
az relay hyco authorization-rule keys list -g "$rg" --namespace-name "$ns" \
  --hybrid-connection-name "$hc" -n "$rule" --query primaryKey -o tsv | tr -d '\n' > "$out"
[[ -s "$out" ]] || { rm -f "$out"; echo "no key for rule $rule" >&2; exit 1; }
chmod 600 "$out"
cat <<TOML
# wrote the Listen key to $out (mode 600). Agent config:
[relay]
namespace = "$ns.servicebus.windows.net"
path = "$hc"
sas_key_name = "$rule"
sas_key = { file = "/etc/offboard-agent/relay.key" }
TOML
