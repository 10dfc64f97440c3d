#!/usr/bin/env bash
# Runs schemathesis (pinned in scripts/requirements-api.txt) against /api/openapi.json of a
# freshly started local instance (`offboard local`, embedded backend, its own temporary
# data, every intake secret set), with the function key and the SCIM bearer token, then
# stops it. Configuration and its stated exceptions: scripts/schemathesis.toml.
# Exit status: that of schemathesis.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/offboard"
venv="$cache/venv-api"
stamp="$venv/.requirements.sha256"
want="$(sha256sum scripts/requirements-api.txt | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-api.txt
    echo "$want" > "$stamp"
fi

cargo build -q -p offboard-cli
target="$(cargo metadata -q --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
data="$(mktemp -d)"
secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }
scim_token="$(secret)"
log="$data/offboard-local.log"
OFFBOARD_SCIM_TOKEN="$scim_token" \
OFFBOARD_BAMBOOHR_SECRET="$(secret)" \
OFFBOARD_GENERIC_WEBHOOK_SECRET="whsec_$(python3 -c 'import base64,secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')" \
    "$target/debug/offboard" local --port "$port" \
    --data "$data/state" --settings "$data/no-local-settings.json" >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
    if [ -s "$data/state/function-key" ] && curl -s -o /dev/null "$base/api/openapi.json"; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "offboard local exited:"; cat "$log"; exit 1; fi
    sleep 0.2
done
status=0
# The function key and the SCIM token reach schemathesis through the environment (its
# config file reads them), never the command line; its output filters them.
(
    cd "$data"
    OFFBOARD_API_FUNCTION_KEY="$(cat "$data/state/function-key")" \
    OFFBOARD_API_SCIM_TOKEN="$scim_token" \
        "$venv/bin/schemathesis" --config-file "$root/scripts/schemathesis.toml" --no-color \
        run "$base/api/openapi.json" --url "$base" --workers 1 \
        --max-examples "${OFFBOARD_API_MAX_EXAMPLES:-50}" --seed "${OFFBOARD_API_SEED:-20261126}"
) || status=$?
if [ "$status" -ne 0 ]; then
    echo "schemathesis failed (exit $status); handler log follows:"
    tail -n 60 "$log"
fi
exit "$status"
