#!/usr/bin/env bash
# Installs Samba AD DC and the LDAP client tools from Debian's packages, without letting the
# packages' maintainer scripts start smbd/nmbd/samba on all interfaces (a temporary policy-rc.d
# answers "101: action forbidden" to invoke-rc.d while apt runs). Idempotent.
set -euo pipefail

PACKAGES=(samba-ad-dc samba-ad-provision ldap-utils openssl socat iproute2 ldb-tools)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "samba: packages already installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "samba: installing ${missing[*]} needs root (apt-get); run this script as root" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
had_policy=0
if [ -e "$policy" ]; then
    had_policy=1
    cp -p "$policy" "$policy.offboard-saved"
fi
restore_policy() {
    if [ "$had_policy" -eq 1 ]; then
        mv -f "$policy.offboard-saved" "$policy"
    else
        rm -f "$policy"
    fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# offboard: keep package scripts from starting daemons during install\nexit 101\n' > "$policy"
chmod 0755 "$policy"

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
    echo "samba: apt-get install failed; running apt-get update once and retrying" >&2
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Debian enables the distribution's own services; we run our own instances instead.
for unit in samba-ad-dc smbd nmbd winbind; do
    if command -v systemctl >/dev/null 2>&1 && systemctl list-unit-files "$unit.service" >/dev/null 2>&1; then
        systemctl disable --now "$unit" >/dev/null 2>&1 || true
    fi
done
echo "samba: installed ${missing[*]}"
