#!/usr/bin/env bash
# Runs every infra check: parse both template sets (pycep-parser, python-hcl2), checkov on both,
# Bicep/Terraform parity, the security baseline, permissions = the code's declaration,
# handlers/ + settings contract, and the deployment package layout. checkov, parity, security
# and settings run on both variants: public (default) and network-hardened (variants.py).
#
# Needs only PyPI (for the two venvs, built once and reused) and, for the package and the
# permission check, the Rust toolchain with crates.io. No az, bicep or terraform CLI and no
# Terraform registry are needed (see infra/README.md, "What the checks do not do").
#
# Environment:
#   OFFBOARD_VENV_DIR       where the venvs live (default ~/.cache/offboard)
#   OFFBOARD_SKIP_PACKAGE=1 do not build the release package: the repository layout test checks
#                           dist/package as laid out before (scripts/test lays it out from the
#                           debug handler), or reports a skip if there is none
#   CARGO_TARGET_DIR        honoured by the package build and the permissions example
#   extra arguments are passed to pytest (e.g. -k parity)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV_BASE="${OFFBOARD_VENV_DIR:-$HOME/.cache/offboard}"
VENV="$VENV_BASE/venv-infra"
CHECKOV_VENV="$VENV_BASE/venv-infra-checkov"
PYTHON="${PYTHON:-python3}"

ensure_venv() { # dir requirements-file
  local dir="$1" req="$2" stamp="$1/.requirements.sha256"
  local want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [[ -x "$dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  echo "run.sh: preparing $dir from $(basename "$req")"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-virtualenv -r "$req"
  echo "$want" > "$stamp"
}

ensure_venv "$VENV" "$HERE/requirements.txt"
ensure_venv "$CHECKOV_VENV" "$HERE/requirements-checkov.txt"
export OFFBOARD_CHECKOV="$CHECKOV_VENV/bin/checkov"
# checkov must not call home (no network in CI besides package registries).
export BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false

if [[ "${OFFBOARD_SKIP_PACKAGE:-0}" == "1" ]]; then
  echo "run.sh: OFFBOARD_SKIP_PACKAGE=1: not building the release package; the layout test checks dist/package as it is (a skip, printed, if there is none)"
else
  echo "run.sh: building the deployment package (scripts/package.sh)"
  "$ROOT/scripts/package.sh"
fi

cd "$HERE"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider -rs -v "$@"
