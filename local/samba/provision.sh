#!/usr/bin/env bash
# Provisions the local test domain once per instance and caches it as a tarball; later runs
# (and start.sh) restore the tarball in well under a second.
#   usage: provision.sh [--force] [exch|plain ...]
# The domain: realm OFFBOARD.TEST; a generated test CA and a server certificate with
# subjectAltName 127.0.0.1, ::1 and localhost (Samba's own certificate has no SAN, so rustls can
# never verify it); max password age 0 (a cached domain must not expire its passwords); the OUs the
# agent manages, an admin group for the protected-account rail, and a service account with exactly
# the delegated rights that crates/agent/README.md documents. The "exch" instance also gets the
# Exchange attributes in its schema.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

force=0
instances=()
for a in "$@"; do
    case "$a" in
        --force) force=1 ;;
        exch|plain) instances+=("$a") ;;
        *) echo "usage: $0 [--force] [exch|plain ...]" >&2; exit 2 ;;
    esac
done
[ "${#instances[@]}" -gt 0 ] || instances=("${SAMBA_INSTANCES[@]}")
samba_need_root "provisioning"
mkdir -p "$SAMBA_CACHE_DIR"

ldb_apply() { # ldb_apply <dir> <ldbadd|ldbmodify> <ldif-file>
    "$2" -H "$1/private/sam.ldb" --option="dsdb:schema update allowed=true" "$3" >/dev/null
}

make_tls() {
    local tls="$1/tls"
    mkdir -p "$tls"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
        -subj "/CN=offboard local test CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
        -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" > "$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
        -days 3650 -sha256 -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
    rm -f "$tls/server.csr" "$tls/server.ext" "$tls/ca.srl"
    chmod 0600 "$tls/ca.key" "$tls/server.key"
    chmod 0644 "$tls/ca.crt" "$tls/server.crt"
    umask 022
}

random_password() { # complex enough for the default password policy
    printf '%sAa1!' "$(openssl rand -base64 24 | tr -d '/+=' | cut -c1-20)"
}

provision_one() {
    local inst="$1" dir cache adminpw svcpw sid
    dir="$(samba_dir "$inst")"
    cache="$(samba_cache_file "$inst")"
    if [ -f "$cache" ] && [ "$force" -eq 0 ]; then
        echo "samba[$inst]: cached domain $cache"
        return 0
    fi
    "$here/stop.sh" "$inst" >/dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir"/{run,log,secrets}
    make_tls "$dir"
    adminpw="$(random_password)"
    svcpw="$(random_password)"

    echo "samba[$inst]: provisioning $SAMBA_REALM in $dir"
    samba-tool domain provision -s /dev/null --targetdir="$dir" \
        --realm="$SAMBA_REALM" --domain="$SAMBA_DOMAIN" --server-role=dc \
        --dns-backend=NONE --host-name=dc1 --adminpass="$adminpw" \
        --option="interfaces = lo" --option="bind interfaces only = yes" \
        --option="server services = ldap" \
        --option="pid directory = $dir/run" --option="ncalrpc dir = $dir/run/ncalrpc" \
        --option="winbindd socket directory = $dir/run/winbindd" \
        --option="ntp signd socket directory = $dir/run/ntp_signd" \
        --option="log file = $dir/log/samba.log" --option="log level = 1" \
        --option="tls enabled = yes" --option="tls keyfile = $dir/tls/server.key" \
        --option="tls certfile = $dir/tls/server.crt" --option="tls cafile = $dir/tls/ca.crt" \
        > "$dir/log/provision.log" 2>&1 || { tail -20 "$dir/log/provision.log" >&2; exit 1; }

    samba-tool domain passwordsettings set --max-pwd-age=0 \
        -H "tdb://$dir/private/sam.ldb" -s "$dir/etc/smb.conf" >/dev/null

    if [ "$inst" = exch ]; then
        # Exchange attributes with their real OIDs (and, for msExchHideFromAddressLists, its real
        # schemaIDGUID a21c0b96-b093-11d2-aa06-00c04f8eedd8), made optional on class user.
        cat > "$dir/log/schema.ldif" <<LDIF
dn: CN=ms-Exch-Hide-From-Address-Lists,CN=Schema,CN=Configuration,$SAMBA_BASE_DN
changetype: add
objectClass: top
objectClass: attributeSchema
cn: ms-Exch-Hide-From-Address-Lists
attributeID: 1.2.840.113556.1.4.7000.102.73
attributeSyntax: 2.5.5.8
oMSyntax: 1
isSingleValued: TRUE
lDAPDisplayName: msExchHideFromAddressLists
adminDisplayName: ms-Exch-Hide-From-Address-Lists
schemaIDGUID:: lgscopOw0hGqBgDAT47t2A==
searchFlags: 0

dn: CN=ms-Exch-Mail-Nickname,CN=Schema,CN=Configuration,$SAMBA_BASE_DN
changetype: add
objectClass: top
objectClass: attributeSchema
cn: ms-Exch-Mail-Nickname
attributeID: 1.2.840.113556.1.2.447
attributeSyntax: 2.5.5.12
oMSyntax: 64
isSingleValued: TRUE
lDAPDisplayName: mailNickname
adminDisplayName: ms-Exch-Mail-Nickname
searchFlags: 0

LDIF
        # A new process loads the extended schema before the class refers to the attributes.
        ldb_apply "$dir" ldbmodify "$dir/log/schema.ldif"
        cat > "$dir/log/schema-user.ldif" <<LDIF
dn: CN=User,CN=Schema,CN=Configuration,$SAMBA_BASE_DN
changetype: modify
add: mayContain
mayContain: msExchHideFromAddressLists
mayContain: mailNickname
-
LDIF
        ldb_apply "$dir" ldbmodify "$dir/log/schema-user.ldif"
    fi

    cat > "$dir/log/structure.ldif" <<LDIF
dn: $SAMBA_USERS_OU
objectClass: organizationalUnit
description: Users the offboard agent may act on

dn: $SAMBA_DISABLED_OU
objectClass: organizationalUnit
description: Where the offboard agent moves leavers

dn: $SAMBA_GROUPS_OU
objectClass: organizationalUnit
description: Groups whose membership the offboard agent may remove

dn: $SAMBA_OUTSIDE_OU
objectClass: organizationalUnit
description: Not managed by offboard: the agent must refuse users here

dn: $SAMBA_ADMIN_GROUP
objectClass: group
sAMAccountName: offboard-tier0-admins
description: Protected: the agent refuses its (nested) members
LDIF
    ldb_apply "$dir" ldbadd "$dir/log/structure.ldif"

    samba-tool user create "$SAMBA_SERVICE_ACCOUNT" "$svcpw" --description="offboard agent service account" \
        -H "tdb://$dir/private/sam.ldb" -s "$dir/etc/smb.conf" >/dev/null
    sid="$(ldbsearch -H "$dir/private/sam.ldb" -b "$SAMBA_SERVICE_DN" -s base objectSid \
        | awk '/^objectSid:/ {print $2}')"
    [ -n "$sid" ] || { echo "samba[$inst]: cannot read the service account's SID" >&2; exit 1; }

    # Delegation: the same ACEs crates/agent/README.md tells a customer to grant.
    local user_cls=bf967aba-0de6-11d0-a285-00aa003049e2 group_cls=bf967a9c-0de6-11d0-a285-00aa003049e2
    local uac=bf967a68-0de6-11d0-a285-00aa003049e2 descr=bf967950-0de6-11d0-a285-00aa003049e2
    local info=bf96793e-0de6-11d0-a285-00aa003049e2 member=bf9679c0-0de6-11d0-a285-00aa003049e2
    local name=bf967a0e-0de6-11d0-a285-00aa003049e2 cn=bf96793f-0de6-11d0-a285-00aa003049e2
    local reset=00299570-246d-11d0-a768-00aa006e0529 hide=a21c0b96-b093-11d2-aa06-00c04f8eedd8
    local on_users="(OA;CIIO;WP;$uac;$user_cls;$sid)(OA;CIIO;CR;$reset;$user_cls;$sid)"
    on_users+="(OA;CIIO;WP;$descr;$user_cls;$sid)(OA;CIIO;WP;$info;$user_cls;$sid)"
    on_users+="(OA;CIIO;WP;$name;$user_cls;$sid)(OA;CIIO;WP;$cn;$user_cls;$sid)"
    on_users+="(OA;CIIO;SD;;$user_cls;$sid)"
    if [ "$inst" = exch ]; then on_users+="(OA;CIIO;WP;$hide;$user_cls;$sid)"; fi
    # Create User objects on the managed OU: a restore moves the account back into it.
    samba-tool dsacl set --objectdn="$SAMBA_USERS_OU" --sddl="$on_users(OA;;CC;$user_cls;;$sid)" \
        -H "tdb://$dir/private/sam.ldb" -s "$dir/etc/smb.conf" >/dev/null
    samba-tool dsacl set --objectdn="$SAMBA_DISABLED_OU" --sddl="$on_users(OA;;CC;$user_cls;;$sid)" \
        -H "tdb://$dir/private/sam.ldb" -s "$dir/etc/smb.conf" >/dev/null
    samba-tool dsacl set --objectdn="$SAMBA_GROUPS_OU" --sddl="(OA;CIIO;WP;$member;$group_cls;$sid)" \
        -H "tdb://$dir/private/sam.ldb" -s "$dir/etc/smb.conf" >/dev/null

    # Smb.conf stays schema-locked at run time.
    printf '%s' "$adminpw" > "$dir/secrets/admin.pass"
    printf '%s' "$svcpw" > "$dir/secrets/agent.pass"
    chmod 0700 "$dir/secrets"
    chmod 0600 "$dir/secrets/"*.pass

    local tmp="$cache.tmp.$$"
    tar -C "$dir" -czf "$tmp" --exclude=./run --exclude=./log .
    mv -f "$tmp" "$cache"
    echo "samba[$inst]: cached $cache ($(du -h "$cache" | cut -f1))"
}

for inst in "${instances[@]}"; do
    provision_one "$inst"
done
