# Shared settings for the local Samba AD DC scripts. Sourced, not run.
#
# Two instances of one test domain run side by side, each in its own network namespace so that
# Samba's fixed LDAP ports (389/636, not configurable in smb.conf) stay private to it; a socat pair
# (TCP on 127.0.0.1 in the host namespace -> a Unix socket -> 127.0.0.1 inside the namespace)
# exposes them on configurable, unprivileged ports bound to 127.0.0.1 only:
#   exch  - schema extended with the Exchange attributes (msExchHideFromAddressLists, mailNickname)
#   plain - Samba's own schema, without them (what most test labs and non-Exchange forests look like)

OFFBOARD_SAMBA_SCRIPT_VERSION=4

SAMBA_REALM="${OFFBOARD_SAMBA_REALM:-OFFBOARD.TEST}"
SAMBA_DOMAIN="${OFFBOARD_SAMBA_DOMAIN:-OFFBOARD}"
SAMBA_BASE_DN="DC=offboard,DC=test"
SAMBA_RUN_ROOT="${OFFBOARD_SAMBA_DIR:-/var/tmp/offboard-samba}"
SAMBA_CACHE_DIR="${OFFBOARD_SAMBA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/offboard/samba}"
SAMBA_ENV_FILE="${OFFBOARD_SAMBA_ENV:-$SAMBA_RUN_ROOT/samba.env}"

SAMBA_INSTANCES=(exch plain)

# Ports on 127.0.0.1 (host namespace).
samba_ldaps_port() {
    case "$1" in
        exch) echo "${OFFBOARD_SAMBA_LDAPS_PORT:-6360}" ;;
        plain) echo "${OFFBOARD_SAMBA_PLAIN_LDAPS_PORT:-6361}" ;;
    esac
}
samba_ldap_port() {
    case "$1" in
        exch) echo "${OFFBOARD_SAMBA_LDAP_PORT:-6389}" ;;
        plain) echo "${OFFBOARD_SAMBA_PLAIN_LDAP_PORT:-6390}" ;;
    esac
}

samba_dir() { echo "$SAMBA_RUN_ROOT/$1"; }
samba_netns() { echo "offboard-samba-$1"; }

samba_version() { samba --version 2>/dev/null | awk '{print $2}'; }

# The cache key names everything the cached domain depends on: the instance, the Samba version,
# these scripts' version and the absolute path the domain was provisioned at (smb.conf holds it).
samba_cache_file() {
    local inst="$1" pathhash
    pathhash="$(printf '%s' "$SAMBA_RUN_ROOT" | sha256sum | cut -c1-8)"
    echo "$SAMBA_CACHE_DIR/$inst-samba$(samba_version)-v$OFFBOARD_SAMBA_SCRIPT_VERSION-$pathhash.tar.gz"
}

samba_need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "samba: $1 needs root (network namespaces, Samba's DC mode); run as root" >&2
        exit 1
    fi
}

# Organisational structure every test domain has.
SAMBA_USERS_OU="OU=Offboard Users,$SAMBA_BASE_DN"
SAMBA_DISABLED_OU="OU=Disabled Users,$SAMBA_BASE_DN"
SAMBA_GROUPS_OU="OU=Offboard Groups,$SAMBA_BASE_DN"
SAMBA_OUTSIDE_OU="OU=Unmanaged,$SAMBA_BASE_DN"
SAMBA_ADMIN_GROUP="CN=Offboard Tier0 Admins,$SAMBA_GROUPS_OU"
SAMBA_SERVICE_ACCOUNT="svc-offboard"
SAMBA_SERVICE_DN="CN=$SAMBA_SERVICE_ACCOUNT,CN=Users,$SAMBA_BASE_DN"
