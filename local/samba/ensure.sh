#!/usr/bin/env bash
# Installs (apt, once), provisions (once, cached) and starts (if not running) the local Samba AD DC
# instances, then prints where the env file is. Idempotent: safe to run before every test run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/install.sh"
"$here/provision.sh" "$@"
"$here/start.sh" "$@"
