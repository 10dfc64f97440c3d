#!/usr/bin/env bash
# The local Azure stand-ins offboard runs against, on 127.0.0.1 only:
#   - Azurite 3.35 (Node 20) blob and queue services, in memory, over HTTPS, in bearer-token mode
#     (`--oauth basic`): clients authenticate exactly as in production, with Entra ID tokens from
#     a managed-identity endpoint (locally: the standin-identity crate);
#   - the npm Cosmos DB server behind local/cosmos/wrapper.js, over HTTPS with the same
#     certificate (or plain HTTP with --cosmos-http).
# Facts and gotchas: shared/reference/local-emulators.md.
#
# Usage:
#   local/stack.sh install                 npm ci in local/ (Azurite, the Cosmos server)
#   local/stack.sh start [options]         start everything, wait until each service answers
#   local/stack.sh stop  [--dir DIR]       stop what `start` started in DIR
#   local/stack.sh env   [--dir DIR]       print the connection facts as KEY=value lines
#   local/stack.sh status [--dir DIR]      say what runs
#
# Options of start (every port may be `auto`: a free port is picked, and retried if taken):
#   --dir DIR                pid, log and env files (default local/.run/stack)
#   --azurite-blob-port N    default 10000
#   --azurite-queue-port N   default 10001
#   --cosmos-port N          default 8081
#   --certs DIR              TLS material from local/certs.sh (default local/.run/certs)
#   --cosmos-http            serve Cosmos over plain HTTP instead of HTTPS
#   --watch-pid PID          stop the stack when process PID exits (test harnesses)
#   --accounts N             Azurite also serves accounts t0001..tN (tests sharing one stack)
#   --verbose                keep Azurite's access log
#
# `start` writes DIR/stack.env (what `env` prints), so a test process can read it with
# OFFBOARD_TEST_STACK_ENV=DIR/stack.env; `set -a; eval "$(local/stack.sh env)"; set +a` exports it in a shell.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_modules="$here/node_modules"

die() {
    echo "stack: $*" >&2
    exit 1
}

need_node() {
    command -v node >/dev/null 2>&1 || die "node is required (Node 20 or newer; \`. scripts/ensure-tools.sh\` from the repository root puts one on PATH)"
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    if [ "$major" -lt 20 ]; then
        die "Node $major is too old: Azurite 3.35 needs Node 20 or newer (\`. scripts/ensure-tools.sh\` from the repository root puts one on PATH)"
    fi
}

need_installed() {
    if [ ! -x "$node_modules/.bin/azurite-queue" ] || [ ! -d "$node_modules/@vercel/cosmosdb-server" ]; then
        die "the local stack is not installed: run \`local/stack.sh install\` (npm ci in local/)"
    fi
}

cmd_install() {
    need_node
    command -v npm >/dev/null 2>&1 || die "npm is required (apt-get install -y npm)"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
    need_installed
    echo "stack: installed azurite $(node -p "require('$node_modules/azurite/package.json').version") and @vercel/cosmosdb-server $(node -p "require('$node_modules/@vercel/cosmosdb-server/package.json').version")"
}

# --- options -------------------------------------------------------------------------------

dir="$here/.run/stack"
certs="${OFFBOARD_CERTS_DIR:-$here/.run/certs}"
blob_port=10000
queue_port=10001
cosmos_port=8081
cosmos_http=false
watch_pid=""
verbose=false
extra_accounts=0
# Azurite's well-known development key (public, documented; Azurite's default account uses it).
dev_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

parse_options() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --dir) dir="${2:?--dir needs a value}"; shift 2 ;;
            --azurite-blob-port) blob_port="${2:?--azurite-blob-port needs a value}"; shift 2 ;;
            --azurite-queue-port) queue_port="${2:?--azurite-queue-port needs a value}"; shift 2 ;;
            --cosmos-port) cosmos_port="${2:?--cosmos-port needs a value}"; shift 2 ;;
            --certs) certs="${2:?--certs needs a value}"; shift 2 ;;
            --cosmos-http) cosmos_http=true; shift ;;
            --watch-pid) watch_pid="${2:?--watch-pid needs a value}"; shift 2 ;;
            --verbose) verbose=true; shift ;;
            --accounts) extra_accounts="${2:?--accounts needs a value}"; shift 2 ;;
            *) die "unknown option $1 (see the header of local/stack.sh)" ;;
        esac
    done
    case "$extra_accounts" in '' | *[!0-9]*) die "--accounts \`$extra_accounts\` is not a number" ;; esac
    for p in "$blob_port" "$queue_port" "$cosmos_port"; do
        case "$p" in
            auto) ;;
            '' | *[!0-9]*) die "port \`$p\` is not a number or \`auto\`" ;;
            *) [ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "port $p is out of range" ;;
        esac
    done
    if [ -n "$watch_pid" ] && ! kill -0 "$watch_pid" 2>/dev/null; then
        die "--watch-pid $watch_pid: no such process"
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
}

# --- processes -----------------------------------------------------------------------------

SERVICES=(azurite-blob azurite-queue cosmos)

pid_of() {
    local f="$dir/$1.pid"
    [ -s "$f" ] || return 1
    local pid
    pid="$(cat "$f")"
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# A free TCP port on 127.0.0.1 (the kernel's choice). Another process may take it before the
# service binds it: start() retries on that.
free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Starts "$@" in its own session (so stop can signal the whole group), logging to DIR/NAME.log.
launch() {
    local name="$1"
    shift
    : >"$dir/$name.log"
    # Run from DIR so nothing a service might write lands in the caller's directory.
    (cd "$dir" && exec setsid "$@" >>"$dir/$name.log" 2>&1 </dev/null) &
    echo $! >"$dir/$name.pid"
}

# Whether nothing listens on 127.0.0.1:PORT yet.
port_free() {
    node -e 'const s=require("net").createServer();s.on("error",()=>process.exit(1));s.listen(Number(process.argv[1]),"127.0.0.1",()=>s.close(()=>process.exit(0)))' "$1"
}

# Waits until the service NAME logged MARKER (it bound its port: a probe alone could reach
# another process on that port) and URL answers any HTTP status over TLS verified against the
# local CA (or plain HTTP). Fails early (2) if the process died. Prints nothing.
wait_http() {
    local name="$1" url="$2" ca="$3" marker="$4" deadline=$((SECONDS + ${OFFBOARD_STACK_START_TIMEOUT:-60}))
    local tls=()
    case "$url" in https:*) tls=(--cacert "$ca") ;; esac
    while [ $SECONDS -lt $deadline ]; do
        pid_of "$name" >/dev/null || return 2
        # curl exits 0 on any HTTP status (no --fail): the service answered.
        if grep -qF "$marker" "$dir/$name.log" 2>/dev/null &&
            curl -s -o /dev/null --max-time 2 "${tls[@]}" "$url" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

show_logs() {
    local name
    for name in "$@"; do
        if [ -s "$dir/$name.log" ]; then
            echo "----- $dir/$name.log (last 40 lines) -----" >&2
            tail -n 40 "$dir/$name.log" >&2
        fi
    done
}

stop_one() {
    local name="$1" pid i
    if pid="$(pid_of "$name")"; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$dir/$name.pid"
}

# Starts one service on $port (or a free port when asked for `auto`, with up to 5 tries when the
# chosen port was taken meanwhile). Sets the global `started_port`.
start_service() {
    local name="$1" wanted="$2" scheme="$3" path="$4" marker="$5"
    shift 5
    local tries=1 port
    [ "$wanted" = auto ] && tries=5
    if [ "$wanted" != auto ] && ! port_free "$wanted"; then
        echo "stack: port $wanted on 127.0.0.1 is in use (another stack? see \`local/stack.sh status\`); stop it or choose another port (or \`auto\`)" >&2
        return 1
    fi
    while [ $tries -gt 0 ]; do
        tries=$((tries - 1))
        if [ "$wanted" = auto ]; then port="$(free_port)"; else port="$wanted"; fi
        # The command line has the placeholder @PORT@ for the port.
        local args=() a
        for a in "$@"; do args+=("${a//@PORT@/$port}"); done
        launch "$name" "${args[@]}"
        local rc=0
        wait_http "$name" "$scheme://127.0.0.1:$port$path" "$certs/ca.pem" "$marker" || rc=$?
        if [ $rc -eq 0 ]; then
            started_port="$port"
            echo "$port" >"$dir/$name.port"
            return 0
        fi
        if [ $tries -gt 0 ] && grep -q "EADDRINUSE" "$dir/$name.log" 2>/dev/null; then
            stop_one "$name"
            continue
        fi
        echo "stack: $name did not answer on $scheme://127.0.0.1:$port$path" >&2
        return 1
    done
    return 1
}

write_env() {
    local cosmos_scheme=https
    $cosmos_http && cosmos_scheme=http
    local tmp="$dir/stack.env.tmp"
    cat >"$tmp" <<EOF
OFFBOARD_STACK_DIR=$dir
OFFBOARD_STORAGE_BLOB_ENDPOINT=https://127.0.0.1:$blob_port/devstoreaccount1
OFFBOARD_STORAGE_QUEUE_ENDPOINT=https://127.0.0.1:$queue_port/devstoreaccount1
OFFBOARD_COSMOS_ENDPOINT=$cosmos_scheme://127.0.0.1:$cosmos_port/
OFFBOARD_STACK_CA_FILE=$certs/ca.pem
SSL_CERT_FILE=$certs/bundle.pem
AZURE_COSMOS_EMULATOR_SERVER_CERT_VALIDATION_DISABLED=true
AZURE_COSMOS_CONNECTION_POOL_IS_HTTP2_ALLOWED=false
AZURE_COSMOS_BINARY_ENCODING_ENABLED=false
EOF
    mv -f "$tmp" "$dir/stack.env"
}

cmd_start() {
    parse_options "$@"
    need_node
    need_installed
    for name in "${SERVICES[@]}"; do
        if pid_of "$name" >/dev/null; then
            die "the stack in $dir is already running ($name); run \`local/stack.sh stop --dir $dir\` first"
        fi
    done
    rm -f "$dir/stack.env"
    "$here/certs.sh" "$certs"
    certs="$(cd "$certs" && pwd)"

    local quiet=(--silent)
    $verbose && quiet=()
    local common=(--inMemoryPersistence --extentMemoryLimit 1024 --skipApiVersionCheck --disableTelemetry --oauth basic
        --cert "$certs/server.pem" --key "$certs/server.key" "${quiet[@]}")

    failed() {
        show_logs "${SERVICES[@]}"
        for name in "${SERVICES[@]}"; do stop_one "$name"; done
        die "$1"
    }

    # Azurite's accounts: the well-known dev account, and with --accounts N also t0001..tN
    # (same key), so tests sharing one stack each get their own queues and containers.
    local accounts="devstoreaccount1:$dev_key" i
    for ((i = 1; i <= extra_accounts; i++)); do accounts+=";$(printf 't%04d' "$i"):$dev_key"; done

    local cosmos_tls=(--cert "$certs/server.pem" --key "$certs/server.key") cosmos_scheme=https
    if $cosmos_http; then
        cosmos_tls=(--http)
        cosmos_scheme=http
    fi
    # The three services start side by side (each waits only for itself); each writes its
    # port to DIR/NAME.port.
    rm -f "$dir"/*.port
    # Azurite: blob and queue as separate processes (no table service, no extra port).
    AZURITE_ACCOUNTS="$accounts" start_service azurite-blob "$blob_port" https /devstoreaccount1?comp=list "successfully listens on" \
        node "$node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort @PORT@ \
        "${common[@]}" &
    local blob_job=$!
    AZURITE_ACCOUNTS="$accounts" start_service azurite-queue "$queue_port" https /devstoreaccount1?comp=list "successfully listens on" \
        node "$node_modules/azurite/dist/src/queue/main.js" --queueHost 127.0.0.1 --queuePort @PORT@ \
        "${common[@]}" &
    local queue_job=$!
    start_service cosmos "$cosmos_port" "$cosmos_scheme" / "cosmos wrapper: listening on" \
        node "$here/cosmos/wrapper.js" --host 127.0.0.1 --port @PORT@ "${cosmos_tls[@]}" &
    local cosmos_job=$!
    wait "$blob_job" || failed "Azurite blob did not start"
    wait "$queue_job" || failed "Azurite queue did not start"
    wait "$cosmos_job" || failed "the Cosmos server did not start"
    blob_port="$(cat "$dir/azurite-blob.port")"
    queue_port="$(cat "$dir/azurite-queue.port")"
    cosmos_port="$(cat "$dir/cosmos.port")"

    write_env

    if [ -n "$watch_pid" ]; then
        # A watcher in its own session: when the test process exits, whatever the way, the stack
        # goes with it.
        OFFBOARD_STACK_WATCHER=1 setsid bash -c '
            while kill -0 "$1" 2>/dev/null; do sleep 1; done
            exec "$2" stop --dir "$3"' watcher "$watch_pid" "$here/stack.sh" "$dir" \
            >>"$dir/watcher.log" 2>&1 </dev/null &
        echo $! >"$dir/watcher.pid"
    fi
    echo "stack: running in $dir — blob :$blob_port, queue :$queue_port, cosmos :$cosmos_port ($cosmos_scheme); \`local/stack.sh env --dir $dir\` prints the settings" >&2
}

cmd_stop() {
    parse_options "$@"
    for name in "${SERVICES[@]}"; do stop_one "$name"; done
    if [ -z "${OFFBOARD_STACK_WATCHER:-}" ] && [ -s "$dir/watcher.pid" ]; then
        kill "$(cat "$dir/watcher.pid")" 2>/dev/null || true
    fi
    rm -f "$dir/watcher.pid" "$dir/stack.env"
    echo "stack: stopped ($dir)" >&2
}

cmd_env() {
    parse_options "$@"
    [ -s "$dir/stack.env" ] || die "no stack is running in $dir: run \`local/stack.sh start\` first"
    cat "$dir/stack.env"
}

cmd_status() {
    parse_options "$@"
    local name pid running=0
    for name in "${SERVICES[@]}"; do
        if pid="$(pid_of "$name")"; then
            echo "$name: running (pid $pid)"
            running=$((running + 1))
        else
            echo "$name: stopped"
        fi
    done
    [ $running -eq ${#SERVICES[@]} ]
}

sub="${1:-}"
[ $# -gt 0 ] && shift
case "$sub" in
    install) cmd_install ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    env) cmd_env "$@" ;;
    status) cmd_status "$@" ;;
    *)
        sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
