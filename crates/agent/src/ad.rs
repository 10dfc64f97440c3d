//! Active Directory over LDAPS/StartTLS: connecting, finding users, reading their state and the
//! individual writes. Behaviour follows Windows AD (and Samba AD DC, which the tests run against):
//! continuation references are never chased, disable sets one bit, unicodePwd is replaced with the
//! UTF-16LE of the quoted password, group removal treats rc 16/53 as "already not a member".

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ldap3::{LdapConnAsync, LdapConnSettings, Mod, ResultEntry, Scope, SearchEntry};
use offboard_agent_proto::{AddressListVisibility, UserLocator, UserState};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

mod error;
mod listing;

pub use listing::{ENABLED_USERS, PAGE_SIZE};

pub use error::{AdError, rc};

/// The ACCOUNTDISABLE bit of userAccountControl.
pub const ACCOUNTDISABLE: u32 = 0x2;
/// OID of LDAP_MATCHING_RULE_IN_CHAIN (transitive membership).
pub const MATCHING_RULE_IN_CHAIN: &str = "1.2.840.113556.1.4.1941";
/// The Exchange attribute that hides a recipient from address lists.
pub const HIDE_ATTRIBUTE: &str = "msExchHideFromAddressLists";

const USER_ATTRS: &[&str] = &[
    "objectGUID",
    "sAMAccountName",
    "userPrincipalName",
    "employeeID",
    "userAccountControl",
    "pwdLastSet",
    "memberOf",
    "primaryGroupID",
    "description",
    "info",
    "adminCount",
    HIDE_ATTRIBUTE,
];

/// How to reach and bind to AD.
#[derive(Clone)]
pub struct DirectorySettings {
    /// `ldaps://...` or `ldap://...` (with `starttls`).
    pub url: String,
    /// Use StartTLS on `ldap://`.
    pub starttls: bool,
    /// TLS client config trusting the DC's CA.
    pub tls: Arc<rustls::ClientConfig>,
    /// Service account DN.
    pub bind_dn: String,
    /// Service account password.
    pub bind_password: SecretString,
    /// Search base for users.
    pub base_dn: String,
    /// Per-operation timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for DirectorySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectorySettings")
            .field("url", &self.url)
            .field("starttls", &self.starttls)
            .field("bind_dn", &self.bind_dn)
            .field("base_dn", &self.base_dn)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Builds a rustls client config trusting the PEM CA certificates in `ca_file` (or the Mozilla
/// roots when none is given), with the ring provider.
pub fn tls_config(ca_file: Option<&std::path::Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
            let mut reader = std::io::BufReader::new(pem.as_slice());
            let mut added = 0;
            for cert in rustls_pemfile::certs(&mut reader) {
                let cert =
                    cert.map_err(|e| format!("CA file {} is not PEM: {e}", path.display()))?;
                roots.add(cert).map_err(|e| {
                    format!(
                        "CA file {} has an unusable certificate: {e}",
                        path.display()
                    )
                })?;
                added += 1;
            }
            if added == 0 {
                return Err(format!(
                    "CA file {} holds no PEM certificate",
                    path.display()
                ));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS setup: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// TLS for the relay's `wss://`: the Mozilla roots, plus the PEM CA certificates in `extra_ca`
/// (for a TLS-inspecting proxy), with the ring provider.
pub fn tls_config_with_extra(
    extra_ca: Option<&std::path::Path>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
        for cert in rustls_pemfile::certs(&mut std::io::BufReader::new(pem.as_slice())) {
            let cert = cert.map_err(|e| format!("CA file {} is not PEM: {e}", path.display()))?;
            roots.add(cert).map_err(|e| {
                format!(
                    "CA file {} has an unusable certificate: {e}",
                    path.display()
                )
            })?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS setup: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// An AD account as read.
#[derive(Clone, Debug)]
pub struct UserEntry {
    /// The state reported in results.
    pub state: UserState,
    /// `adminCount` = 1.
    pub admin_count: bool,
}

/// A bound LDAP session.
pub struct Session {
    ldap: ldap3::Ldap,
    settings: DirectorySettings,
}

fn first<'a>(entry: &'a SearchEntry, attr: &str) -> Option<&'a str> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
}

fn all(entry: &SearchEntry, attr: &str) -> Vec<String> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn guid_bytes(entry: &SearchEntry) -> Option<Vec<u8>> {
    // A GUID whose bytes happen to be valid UTF-8 lands in `attrs` rather than `bin_attrs`.
    entry
        .bin_attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("objectGUID"))
        .and_then(|(_, v)| v.first().cloned())
        .or_else(|| first(entry, "objectGUID").map(|s| s.as_bytes().to_vec()))
}

/// `pwdLastSet` (FILETIME: 100 ns since 1601-01-01) as a time; 0 means "must change".
fn filetime(value: &str) -> Option<DateTime<Utc>> {
    let ticks: i64 = value.parse().ok()?;
    if ticks <= 0 {
        return None;
    }
    const EPOCH_DIFF_SECS: i64 = 11_644_473_600;
    let secs = ticks / 10_000_000 - EPOCH_DIFF_SECS;
    let nanos = (ticks % 10_000_000) * 100;
    DateTime::from_timestamp(secs, nanos as u32)
}

/// Escapes bytes for an LDAP filter (`\xx` each).
fn escape_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// The filter for a locator (users only).
pub fn locator_filter(locator: &UserLocator) -> String {
    let clause = match locator {
        UserLocator::ObjectGuid(g) => format!("(objectGUID={})", escape_bytes(&g.to_bytes_le())),
        UserLocator::SamAccountName(s) => format!("(sAMAccountName={})", ldap3::ldap_escape(s)),
        UserLocator::EmployeeId(s) => format!("(employeeID={})", ldap3::ldap_escape(s)),
        UserLocator::UserPrincipalName(s) => {
            format!("(userPrincipalName={})", ldap3::ldap_escape(s))
        }
    };
    format!("(&(objectCategory=person)(objectClass=user){clause})")
}

impl Session {
    /// Connects (TLS verified) and binds as the service account.
    pub async fn open(settings: &DirectorySettings) -> Result<Self, AdError> {
        let conn_settings = LdapConnSettings::new()
            .set_conn_timeout(settings.timeout)
            .set_config(settings.tls.clone())
            .set_starttls(settings.starttls);
        let (conn, mut ldap) = LdapConnAsync::with_settings(conn_settings, &settings.url)
            .await
            .map_err(|e| AdError::from_ldap(&settings.url, "connect", e))?;
        ldap3::drive!(conn);
        let bind = ldap
            .with_timeout(settings.timeout)
            .simple_bind(&settings.bind_dn, settings.bind_password.expose_secret())
            .await
            .map_err(|e| AdError::from_ldap(&settings.url, "bind", e))?;
        if bind.rc != 0 {
            return Err(AdError::BindRefused {
                rc: bind.rc,
                text: bind.text,
            });
        }
        Ok(Self {
            ldap,
            settings: settings.clone(),
        })
    }

    /// Unbinds (best effort).
    pub async fn close(mut self) {
        let _ = self.ldap.unbind().await;
    }

    async fn search(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[&str],
        operation: &str,
    ) -> Result<Vec<SearchEntry>, AdError> {
        let url = self.settings.url.clone();
        let result = self
            .ldap
            .with_timeout(self.settings.timeout)
            .search(base, scope, filter, attrs.to_vec())
            .await
            .map_err(|e| AdError::from_ldap(&url, operation, e))?;
        let ldap3::SearchResult(entries, res) = result;
        // rc 10 (referral) can accompany partial results from a subtree search; the entries we got
        // are still valid, and referrals are never chased.
        if res.rc != 0 && res.rc != 10 {
            return Err(AdError::Operation {
                operation: operation.to_string(),
                rc: res.rc,
                text: res.text,
            });
        }
        Ok(entries
            .into_iter()
            .filter(|e: &ResultEntry| !e.is_ref() && !e.is_intermediate())
            .map(SearchEntry::construct)
            .collect())
    }

    async fn modify(
        &mut self,
        dn: &str,
        mods: Vec<Mod<Vec<u8>>>,
        operation: &str,
    ) -> Result<(), AdError> {
        let url = self.settings.url.clone();
        let res = self
            .ldap
            .with_timeout(self.settings.timeout)
            .modify(dn, mods)
            .await
            .map_err(|e| AdError::from_ldap(&url, operation, e))?;
        succeeded(res, operation)
    }

    /// Whether the schema defines `attribute` (e.g. the Exchange extension's attributes).
    pub async fn schema_has_attribute(&mut self, attribute: &str) -> Result<bool, AdError> {
        let root = self
            .search(
                "",
                Scope::Base,
                "(objectClass=*)",
                &["schemaNamingContext"],
                "read rootDSE",
            )
            .await?;
        let schema_nc = root
            .first()
            .and_then(|e| first(e, "schemaNamingContext"))
            .ok_or_else(|| AdError::Data("rootDSE has no schemaNamingContext".into()))?
            .to_string();
        let filter = format!(
            "(&(objectClass=attributeSchema)(lDAPDisplayName={}))",
            ldap3::ldap_escape(attribute)
        );
        let found = self
            .search(
                &schema_nc,
                Scope::OneLevel,
                &filter,
                &["lDAPDisplayName"],
                "read schema",
            )
            .await?;
        Ok(!found.is_empty())
    }

    fn to_user(&self, entry: &SearchEntry, schema_has_hide: bool) -> Result<UserEntry, AdError> {
        let guid = guid_bytes(entry)
            .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
            .map(Uuid::from_bytes_le)
            .ok_or_else(|| AdError::Data(format!("{} has no objectGUID", entry.dn)))?;
        let uac: u32 = first(entry, "userAccountControl")
            .and_then(|v| v.parse::<i64>().ok())
            .map(|v| v as u32)
            .ok_or_else(|| AdError::Data(format!("{} has no userAccountControl", entry.dn)))?;
        let mut member_of = all(entry, "memberOf");
        member_of.sort();
        let hide = if !schema_has_hide {
            AddressListVisibility::NotInSchema
        } else if first(entry, HIDE_ATTRIBUTE).is_some_and(|v| v.eq_ignore_ascii_case("TRUE")) {
            AddressListVisibility::Hidden
        } else {
            AddressListVisibility::Visible
        };
        Ok(UserEntry {
            admin_count: first(entry, "adminCount").is_some_and(|v| v != "0"),
            state: UserState {
                dn: entry.dn.clone(),
                object_guid: guid,
                sam_account_name: first(entry, "sAMAccountName")
                    .unwrap_or_default()
                    .to_string(),
                user_principal_name: first(entry, "userPrincipalName").map(str::to_string),
                employee_id: first(entry, "employeeID").map(str::to_string),
                user_account_control: uac,
                disabled: uac & ACCOUNTDISABLE != 0,
                pwd_last_set: first(entry, "pwdLastSet").and_then(filetime),
                member_of,
                primary_group_id: first(entry, "primaryGroupID").and_then(|v| v.parse().ok()),
                description: first(entry, "description").map(str::to_string),
                info: first(entry, "info").map(str::to_string),
                hide_from_address_lists: hide,
            },
        })
    }

    /// Finds the one user matching `locator` under the base DN; `None` when none does.
    pub async fn find_user(
        &mut self,
        locator: &UserLocator,
        schema_has_hide: bool,
    ) -> Result<Option<UserEntry>, AdError> {
        let base = self.settings.base_dn.clone();
        let entries = self
            .search(
                &base,
                Scope::Subtree,
                &locator_filter(locator),
                USER_ATTRS,
                "find user",
            )
            .await?;
        match entries.len() {
            0 => Ok(None),
            1 => self.to_user(&entries[0], schema_has_hide).map(Some),
            count => Err(AdError::Ambiguous {
                count,
                locator: locator.to_string(),
            }),
        }
    }

    /// Re-reads a user by objectGUID (stable across moves).
    pub async fn read_user(
        &mut self,
        guid: Uuid,
        schema_has_hide: bool,
    ) -> Result<UserEntry, AdError> {
        self.find_user(&UserLocator::ObjectGuid(guid), schema_has_hide)
            .await?
            .ok_or_else(|| {
                AdError::Data(format!("user {guid} vanished while the agent worked on it"))
            })
    }

    /// Whether `user_dn` is a member of `group_dn`, directly or through nested groups.
    pub async fn is_member_in_chain(
        &mut self,
        user_dn: &str,
        group_dn: &str,
    ) -> Result<bool, AdError> {
        let filter = format!(
            "(memberOf:{MATCHING_RULE_IN_CHAIN}:={})",
            ldap3::ldap_escape(group_dn)
        );
        let found = self
            .search(
                user_dn,
                Scope::Base,
                &filter,
                &["1.1"],
                "check protected group membership",
            )
            .await?;
        Ok(!found.is_empty())
    }

    /// The RID a group has as a primary group (`primaryGroupToken`), if the group exists.
    pub async fn primary_group_token(&mut self, group_dn: &str) -> Result<Option<u32>, AdError> {
        let found = match self
            .search(
                group_dn,
                Scope::Base,
                "(objectClass=group)",
                &["primaryGroupToken"],
                "read protected group",
            )
            .await
        {
            Ok(found) => found,
            Err(e) if e.rc() == Some(rc::NO_SUCH_OBJECT) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(found
            .first()
            .and_then(|e| first(e, "primaryGroupToken"))
            .and_then(|v| v.parse().ok()))
    }

    /// Sets the ACCOUNTDISABLE bit, as an atomic compare-and-set on the value read (delete old
    /// value + add new one: if someone changed it meanwhile, rc 16 and nothing is written).
    pub async fn set_disabled_bit(&mut self, dn: &str, current_uac: u32) -> Result<(), AdError> {
        self.swap_uac(
            dn,
            current_uac,
            current_uac | ACCOUNTDISABLE,
            "set ACCOUNTDISABLE in userAccountControl",
        )
        .await
    }

    /// Clears the ACCOUNTDISABLE bit (a restore), with the same compare-and-set as
    /// [`Session::set_disabled_bit`].
    pub async fn clear_disabled_bit(&mut self, dn: &str, current_uac: u32) -> Result<(), AdError> {
        self.swap_uac(
            dn,
            current_uac,
            current_uac & !ACCOUNTDISABLE,
            "clear ACCOUNTDISABLE in userAccountControl",
        )
        .await
    }

    async fn swap_uac(
        &mut self,
        dn: &str,
        current_uac: u32,
        new: u32,
        what: &str,
    ) -> Result<(), AdError> {
        self.modify(
            dn,
            vec![
                Mod::Delete(
                    b"userAccountControl".to_vec(),
                    HashSet::from([current_uac.to_string().into_bytes()]),
                ),
                Mod::Add(
                    b"userAccountControl".to_vec(),
                    HashSet::from([new.to_string().into_bytes()]),
                ),
            ],
            what,
        )
        .await
    }

    /// Replaces the password with `password` (unicodePwd: UTF-16LE of the quoted password) and,
    /// in the same modify, appends `marker` to `info`. AD applies a modify whole or not at
    /// all, so the marker is there exactly when the password was replaced. `info` is written as
    /// a compare-and-set on `current_info` (delete the value read, add the new one; or add when
    /// there was none): if anything changed `info` meanwhile the modify fails with rc 16 or 20
    /// and nothing is written, so the marker never overwrites another writer's notes.
    pub async fn replace_password_marked(
        &mut self,
        dn: &str,
        password: &SecretString,
        current_info: Option<&str>,
        marker: &str,
    ) -> Result<(), AdError> {
        let quoted = format!("\"{}\"", password.expose_secret());
        let mut utf16: Vec<u8> = quoted.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut mods = vec![Mod::Replace(
            b"unicodePwd".to_vec(),
            HashSet::from([utf16.clone()]),
        )];
        match current_info.filter(|i| !i.is_empty()) {
            Some(old) => {
                mods.push(Mod::Delete(
                    b"info".to_vec(),
                    HashSet::from([old.as_bytes().to_vec()]),
                ));
                mods.push(Mod::Add(
                    b"info".to_vec(),
                    HashSet::from([format!("{old}\r\n{marker}").into_bytes()]),
                ));
            }
            None => mods.push(Mod::Add(
                b"info".to_vec(),
                HashSet::from([marker.as_bytes().to_vec()]),
            )),
        }
        let result = self
            .modify(dn, mods, "reset password (unicodePwd) and mark it in info")
            .await;
        utf16.fill(0);
        result
    }

    /// Removes `user_dn` from the group's `member`. `Ok(false)` when it was not a member.
    pub async fn remove_member(&mut self, group_dn: &str, user_dn: &str) -> Result<bool, AdError> {
        match self
            .modify(
                group_dn,
                vec![Mod::Delete(
                    b"member".to_vec(),
                    HashSet::from([user_dn.as_bytes().to_vec()]),
                )],
                "remove group member",
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(e) if matches!(e.rc(), Some(rc::NO_SUCH_ATTRIBUTE) | Some(rc::UNWILLING)) => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Adds `user_dn` to the group's `member` (a restore). `Ok(false)` when it already was a
    /// member (AD answers entryAlreadyExists for a linked value, Samba attributeOrValueExists).
    pub async fn add_member(&mut self, group_dn: &str, user_dn: &str) -> Result<bool, AdError> {
        match self
            .modify(
                group_dn,
                vec![Mod::Add(
                    b"member".to_vec(),
                    HashSet::from([user_dn.as_bytes().to_vec()]),
                )],
                "add group member",
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(e) if matches!(e.rc(), Some(rc::VALUE_EXISTS) | Some(rc::ALREADY_EXISTS)) => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Moves the entry under `new_parent`, keeping its RDN (`operation` names the move in
    /// errors).
    pub async fn move_entry(
        &mut self,
        dn: &str,
        rdn: &str,
        new_parent: &str,
        operation: &str,
    ) -> Result<(), AdError> {
        let url = self.settings.url.clone();
        let res = self
            .ldap
            .with_timeout(self.settings.timeout)
            .modifydn(dn, rdn, true, Some(new_parent))
            .await
            .map_err(|e| AdError::from_ldap(&url, operation, e))?;
        succeeded(res, operation)
    }

    /// Deletes the entry (`operation` names it in errors).
    pub async fn delete_entry(&mut self, dn: &str, operation: &str) -> Result<(), AdError> {
        let url = self.settings.url.clone();
        let res = self
            .ldap
            .with_timeout(self.settings.timeout)
            .delete(dn)
            .await
            .map_err(|e| AdError::from_ldap(&url, operation, e))?;
        succeeded(res, operation)
    }

    /// Replaces single-valued string attributes (`description`, `info`, ...).
    pub async fn replace_attributes(
        &mut self,
        dn: &str,
        values: &[(&str, String)],
        operation: &str,
    ) -> Result<(), AdError> {
        let mods = values
            .iter()
            .map(|(attr, value)| {
                Mod::Replace(
                    attr.as_bytes().to_vec(),
                    HashSet::from([value.as_bytes().to_vec()]),
                )
            })
            .collect();
        self.modify(dn, mods, operation).await
    }
}

/// A write's LDAP result: success (result code 0), or the operation's error with the code and
/// the server's text.
fn succeeded(res: ldap3::LdapResult, operation: &str) -> Result<(), AdError> {
    if res.rc != 0 {
        return Err(AdError::Operation {
            operation: operation.to_owned(),
            rc: res.rc,
            text: res.text,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_escape_values_and_encode_guids_in_ad_byte_order() {
        let guid = Uuid::parse_str("a21c0b96-b093-11d2-aa06-00c04f8eedd8").unwrap();
        assert_eq!(
            locator_filter(&UserLocator::ObjectGuid(guid)),
            r"(&(objectCategory=person)(objectClass=user)(objectGUID=\96\0b\1c\a2\93\b0\d2\11\aa\06\00\c0\4f\8e\ed\d8))"
        );
        assert_eq!(
            locator_filter(&UserLocator::SamAccountName("a*)(x=1".into())),
            r"(&(objectCategory=person)(objectClass=user)(sAMAccountName=a\2a\29\28x=1))"
        );
    }

    #[test]
    fn pwd_last_set_converts_from_filetime() {
        assert_eq!(filetime("0"), None);
        // 2024-01-01T00:00:00Z
        assert_eq!(
            filetime("133485408000000000").unwrap().to_rfc3339(),
            "2024-01-01T00:00:00+00:00"
        );
    }
}
