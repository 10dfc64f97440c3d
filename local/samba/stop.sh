#!/usr/bin/env bash
# Stops the local Samba AD DC instances started by start.sh (by their recorded pids only).
#   usage: stop.sh [exch|plain ...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
instances=("$@")
[ "${#instances[@]}" -gt 0 ] || instances=("${SAMBA_INSTANCES[@]}")

stop_pidfile() {
    local f="$1" pid
    [ -f "$f" ] || return 0
    pid="$(cat "$f" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

for inst in "${instances[@]}"; do
    dir="$(samba_dir "$inst")"
    stop_pidfile "$dir/run/forward-host.pid"
    stop_pidfile "$dir/run/forward-ns-ldaps.pid"
    stop_pidfile "$dir/run/forward-ns-ldap.pid"
    stop_pidfile "$dir/run/forward-host-ldap.pid"
    stop_pidfile "$dir/run/samba.pid"
    if ip netns list 2>/dev/null | grep -qw "$(samba_netns "$inst")"; then
        ip netns del "$(samba_netns "$inst")" 2>/dev/null || true
    fi
    echo "samba[$inst]: stopped"
done
