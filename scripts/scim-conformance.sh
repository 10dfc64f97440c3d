#!/usr/bin/env bash
# Runs scim2-tester (pinned in scripts/requirements-scim.txt) against the SCIM endpoint of a
# freshly started local instance (`offboard local`, embedded backend, its own temporary
# data), then stops it. Exit status: that of scripts/scim_conformance.py.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${XDG_CACHE_HOME:-$HOME/.cache}/offboard"
venv="$cache/venv-scim"
stamp="$venv/.requirements.sha256"
want="$(sha256sum scripts/requirements-scim.txt | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-scim.txt
    echo "$want" > "$stamp"
fi

cargo build -q -p offboard-cli
target="$(cargo metadata -q --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
data="$(mktemp -d)"
token="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
log="$data/offboard-local.log"
OFFBOARD_SCIM_TOKEN="$token" "$target/debug/offboard" local --port "$port" \
    --data "$data/state" --settings "$data/no-local-settings.json" >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/api/scim/v2/ServiceProviderConfig"; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "offboard local exited:"; cat "$log"; exit 1; fi
    sleep 0.2
done
OFFBOARD_SCIM_URL="http://127.0.0.1:$port/api/scim/v2" OFFBOARD_SCIM_TOKEN="$token" \
    "$venv/bin/python" scripts/scim_conformance.py
