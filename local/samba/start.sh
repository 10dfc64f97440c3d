#!/usr/bin/env bash
# Starts the local Samba AD DC instances (restoring each from its cached tarball, so every start
# is a clean domain) and writes the connection facts to an env file the tests read.
#   usage: start.sh [exch|plain ...]     (provision.sh must have run; ensure.sh does both)
# Samba runs with `server services = ldap`, one process (-M single), inside a private network
# namespace; only 127.0.0.1:<port> in the host namespace reaches it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
instances=("$@")
[ "${#instances[@]}" -gt 0 ] || instances=("${SAMBA_INSTANCES[@]}")
samba_need_root "starting Samba"

is_running() { local f="$1"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

start_one() {
    local inst="$1" dir cache ns ldaps ldap
    dir="$(samba_dir "$inst")"
    cache="$(samba_cache_file "$inst")"
    ns="$(samba_netns "$inst")"
    ldaps="$(samba_ldaps_port "$inst")"
    ldap="$(samba_ldap_port "$inst")"
    if is_running "$dir/run/samba.pid" && is_running "$dir/run/forward-host.pid"; then
        echo "samba[$inst]: already running on ldaps://127.0.0.1:$ldaps"
        return 0
    fi
    [ -f "$cache" ] || { echo "samba[$inst]: no cached domain at $cache; run $here/provision.sh (or ensure.sh)" >&2; exit 1; }
    "$here/stop.sh" "$inst" >/dev/null
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -C "$dir" -xzf "$cache"
    mkdir -p "$dir/run" "$dir/log"

    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" samba -s "$dir/etc/smb.conf" -M single -D
    # Unix sockets are shared across network namespaces: one socat inside the namespace turns a
    # socket into Samba's 127.0.0.1:636 (and :389 for StartTLS), one outside exposes it on 127.0.0.1.
    ip netns exec "$ns" setsid socat "UNIX-LISTEN:$dir/run/ldaps.sock,fork,unlink-early,mode=600" \
        TCP:127.0.0.1:636 </dev/null >>"$dir/log/forward.log" 2>&1 &
    echo $! > "$dir/run/forward-ns-ldaps.pid"
    ip netns exec "$ns" setsid socat "UNIX-LISTEN:$dir/run/ldap.sock,fork,unlink-early,mode=600" \
        TCP:127.0.0.1:389 </dev/null >>"$dir/log/forward.log" 2>&1 &
    echo $! > "$dir/run/forward-ns-ldap.pid"
    setsid socat "TCP-LISTEN:$ldaps,bind=127.0.0.1,reuseaddr,fork,backlog=128" "UNIX-CONNECT:$dir/run/ldaps.sock" \
        </dev/null >>"$dir/log/forward.log" 2>&1 &
    echo $! > "$dir/run/forward-host.pid"
    setsid socat "TCP-LISTEN:$ldap,bind=127.0.0.1,reuseaddr,fork,backlog=128" "UNIX-CONNECT:$dir/run/ldap.sock" \
        </dev/null >>"$dir/log/forward.log" 2>&1 &
    echo $! > "$dir/run/forward-host-ldap.pid"

    local i
    for i in $(seq 1 100); do
        if LDAPTLS_CACERT="$dir/tls/ca.crt" LDAPTLS_REQCERT=demand ldapsearch -LLL -x \
            -H "ldaps://127.0.0.1:$ldaps" -D "$SAMBA_SERVICE_DN" -y "$dir/secrets/agent.pass" \
            -b "$SAMBA_BASE_DN" -s base dn >/dev/null 2>&1; then
            echo "samba[$inst]: ready on ldaps://127.0.0.1:$ldaps (StartTLS ldap://127.0.0.1:$ldap) after $((i / 10)).$((i % 10))s"
            return 0
        fi
        sleep 0.1
    done
    echo "samba[$inst]: did not answer on ldaps://127.0.0.1:$ldaps within 10 s; see $dir/log/" >&2
    tail -20 "$dir/log/samba.log" >&2 || true
    exit 1
}

for inst in "${instances[@]}"; do
    start_one "$inst"
done

# The env file lists every instance that is up; tests read it (OFFBOARD_SAMBA_ENV points here).
mkdir -p "$(dirname "$SAMBA_ENV_FILE")"
tmp="$SAMBA_ENV_FILE.tmp.$$"
{
    echo "# written by local/samba/start.sh; sourced by shells, parsed by the agent's tests"
    echo "OFFBOARD_SAMBA_BASE_DN=\"$SAMBA_BASE_DN\""
    echo "OFFBOARD_SAMBA_USERS_OU=\"$SAMBA_USERS_OU\""
    echo "OFFBOARD_SAMBA_DISABLED_OU=\"$SAMBA_DISABLED_OU\""
    echo "OFFBOARD_SAMBA_GROUPS_OU=\"$SAMBA_GROUPS_OU\""
    echo "OFFBOARD_SAMBA_OUTSIDE_OU=\"$SAMBA_OUTSIDE_OU\""
    echo "OFFBOARD_SAMBA_ADMIN_GROUP=\"$SAMBA_ADMIN_GROUP\""
    for inst in "${SAMBA_INSTANCES[@]}"; do
        dir="$(samba_dir "$inst")"
        [ -f "$dir/run/samba.pid" ] || continue
        up="$(echo "$inst" | tr '[:lower:]' '[:upper:]')"
        echo "OFFBOARD_SAMBA_${up}_LDAPS_URL=\"ldaps://127.0.0.1:$(samba_ldaps_port "$inst")\""
        echo "OFFBOARD_SAMBA_${up}_STARTTLS_URL=\"ldap://127.0.0.1:$(samba_ldap_port "$inst")\""
        echo "OFFBOARD_SAMBA_${up}_CA_FILE=\"$dir/tls/ca.crt\""
        echo "OFFBOARD_SAMBA_${up}_AGENT_BIND_DN=\"$SAMBA_SERVICE_DN\""
        echo "OFFBOARD_SAMBA_${up}_AGENT_PASSWORD_FILE=\"$dir/secrets/agent.pass\""
        echo "OFFBOARD_SAMBA_${up}_ADMIN_BIND_DN=\"CN=Administrator,CN=Users,$SAMBA_BASE_DN\""
        echo "OFFBOARD_SAMBA_${up}_ADMIN_PASSWORD_FILE=\"$dir/secrets/admin.pass\""
    done
} > "$tmp"
mv -f "$tmp" "$SAMBA_ENV_FILE"
echo "samba: connection facts in $SAMBA_ENV_FILE (export OFFBOARD_SAMBA_ENV=$SAMBA_ENV_FILE)"
