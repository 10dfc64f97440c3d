#!/usr/bin/env bash
# Builds offboard's custom handler for the Azure Functions Linux x64 workers and lays out the
# deployment package the Functions host expects:
#
#   dist/package/host.json             the repository's host.json (customHandler -> handler)
#   dist/package/handler               the release binary, mode 0755
#   dist/package/<function>/function.json   one folder per function, copied from handlers/
#   dist/offboard-functions.zip        the same tree, zipped with the executable bit kept
#
# handlers/ is the single source of the function definitions: nothing here writes a
# function.json. Publishing the zip: see infra/README.md ("Publish the code").
#
# Target: x86_64-unknown-linux-gnu, built on Debian 12 (glibc 2.36), the same glibc as the
# Flex Consumption Linux image. The static musl target cannot be installed offline here
# (`rustup target list --installed` lists only the gnu target); infra/checks/test_package.py
# checks the binary needs no glibc symbol newer than 2.36.
#
# Usage: scripts/package.sh [--out DIR] [--binary PATH] [--handlers DIR] [--host-json FILE]
#   --binary PATH   package this binary instead of building one (no cargo run)
#   CARGO_TARGET_DIR is honoured for the build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/dist"
BINARY=""
HANDLERS="$ROOT/handlers"
HOST_JSON="$ROOT/host.json"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --binary) BINARY="$2"; shift 2 ;;
    --handlers) HANDLERS="$2"; shift 2 ;;
    --host-json) HOST_JSON="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

[[ -f "$HOST_JSON" ]] || { echo "package.sh: no host.json at $HOST_JSON" >&2; exit 1; }
[[ -d "$HANDLERS" ]] || { echo "package.sh: no handlers directory at $HANDLERS" >&2; exit 1; }

if [[ -z "$BINARY" ]]; then
  host_triple="$(rustc -vV | sed -n 's/^host: //p')"
  if [[ "$host_triple" != "x86_64-unknown-linux-gnu" ]]; then
    echo "package.sh: build on x86_64-unknown-linux-gnu (this toolchain's host is $host_triple)" >&2
    exit 1
  fi
  target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
  echo "package.sh: cargo build --release -p offboard-handler --bin handler (target dir $target_dir)"
  (cd "$ROOT" && CARGO_TARGET_DIR="$target_dir" cargo build --release -p offboard-handler --bin handler)
  BINARY="$target_dir/release/handler"
fi
[[ -f "$BINARY" ]] || { echo "package.sh: no binary at $BINARY" >&2; exit 1; }

PKG="$OUT/package"
ZIP="$OUT/offboard-functions.zip"
rm -rf "$PKG" "$ZIP"
mkdir -p "$PKG"

cp "$HOST_JSON" "$PKG/host.json"
install -m 0755 "$BINARY" "$PKG/handler"

count=0
for dir in "$HANDLERS"/*/; do
  [[ -d "$dir" ]] || continue
  name="$(basename "$dir")"
  if [[ ! -f "$dir/function.json" ]]; then
    echo "package.sh: $dir has no function.json" >&2
    exit 1
  fi
  mkdir "$PKG/$name"
  install -m 0644 "$dir/function.json" "$PKG/$name/function.json"
  count=$((count + 1))
done
if [[ $count -eq 0 ]]; then
  echo "package.sh: no function in $HANDLERS" >&2
  exit 1
fi

# Zip with Python (no zip tool needed): fixed order and timestamps, Unix modes recorded so the
# handler stays executable on the Linux workers.
python3 - "$PKG" "$ZIP" <<'PY'
import os, stat, sys, zipfile
pkg, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
    for dirpath, dirnames, filenames in os.walk(pkg):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, pkg)
            info = zipfile.ZipInfo(rel, date_time=(2020, 1, 1, 0, 0, 0))
            mode = stat.S_IMODE(os.stat(full).st_mode)
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.create_system = 3  # Unix, so the mode bits are honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(full, "rb") as fh:
                z.writestr(info, fh.read())
PY

echo "package.sh: $count functions -> $PKG"
echo "package.sh: zip -> $ZIP ($(du -h "$ZIP" | cut -f1))"
