#!/usr/bin/env bash
# Fuzzes every parser that reads bytes from outside offboard (fuzz/fuzz_targets, libFuzzer
# through cargo-fuzz): the BambooHR and Standard Webhooks intakes with their signature
# headers, the operator body and the SCIM bearer header, SCIM filters, paths and bodies, query
# strings, evidence packets given to `offboard verify`, and agent commands and responses.
#
#   scripts/fuzz.sh                         # every target for 10 s (what ./scripts/test runs)
#   scripts/fuzz.sh --seconds 900           # every target for 15 minutes
#   scripts/fuzz.sh --seconds 3600 scim_filter_path    # one target for an hour
#
# Each target starts from its seeds in fuzz/seeds/<target> (payloads from the tests and the
# README) and keeps what it learns in target/fuzz-corpus/<target>. A crash stops the run
# with exit code 1 and leaves the input in fuzz/artifacts/<target>/ for
# `cargo fuzz run --fuzz-dir fuzz <target> <file>` to replay.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=10
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done

command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
# libFuzzer's coverage instrumentation and the sanitizer are unstable compiler flags; the
# stable toolchain accepts them with RUSTC_BOOTSTRAP (no nightly is installed here).
export RUSTC_BOOTSTRAP=1

if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi

cargo fuzz build --fuzz-dir fuzz

corpus_root="target/fuzz-corpus"
for t in "${targets[@]}"; do
    corpus="$corpus_root/$t"
    mkdir -p "$corpus" "fuzz/artifacts/$t"
    echo "==> fuzz $t for ${seconds}s"
    # -timeout: one input taking over 10 s is a finding (a hang); -rss_limit_mb: so is one
    # using over 2 GB.
    cargo fuzz run --fuzz-dir fuzz "$t" "$corpus" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
