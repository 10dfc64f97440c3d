#!/usr/bin/env bash
# Two independent SCIM 2.0 service providers that offboard's SCIM connector is tested against,
# on 127.0.0.1 only, in memory:
#   - scim2-server (PyPI, the python-scim project), in the virtual environment local/scim/.venv;
#   - a service provider built on SCIMMY (npm: scimmy + scimmy-routers on Express),
#     local/scim/scimmy-server.mjs, with its packages in local/scim/node_modules.
# The tests start and stop them themselves (crates/scim-client/tests/servers.rs); this script
# installs them, and can start one by hand to try a connector file against it.
#
# Usage:
#   local/scim/scim.sh install                         venv + pip, npm ci
#   local/scim/scim.sh start scim2-server PORT TOKEN   run one in the foreground
#   local/scim/scim.sh start scimmy PORT TOKEN
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"

die() {
    echo "scim: $*" >&2
    exit 1
}

cmd_install() {
    command -v python3 >/dev/null 2>&1 || die "python3 is required"
    command -v npm >/dev/null 2>&1 || die "npm is required (apt-get install -y npm)"
    local want stamp="$venv/.requirements.sha256"
    want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
    if [ ! -x "$venv/bin/scim2-server" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
        echo "$want" >"$stamp"
    fi
    if [ ! -d "$here/node_modules/scimmy-routers" ]; then
        (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    echo "scim: installed scim2-server $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("scim2-server"))') and scimmy $(node -p "require('$here/node_modules/scimmy/package.json').version")"
}

cmd_start() {
    local which="${1:?start needs scim2-server or scimmy}" port="${2:?start needs a port}" token="${3:?start needs a bearer token}"
    case "$which" in
        scim2-server) exec "$venv/bin/scim2-server" --hostname 127.0.0.1 --port "$port" --bearer-token "$token" ;;
        scimmy) exec node "$here/scimmy-server.mjs" --port "$port" --bearer-token "$token" ;;
        *) die "unknown server $which (scim2-server or scimmy)" ;;
    esac
}

case "${1:-}" in
    install) cmd_install ;;
    start) shift; cmd_start "$@" ;;
    *) die "usage: $0 install | start scim2-server|scimmy PORT TOKEN" ;;
esac
