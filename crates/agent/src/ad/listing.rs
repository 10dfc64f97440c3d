//! Listing the enabled user accounts under the managed OUs: AD as the ghost-access scan sees
//! it. One subtree search per OU, with the Paged Results control (RFC 2696) so a DC's
//! `MaxPageSize` (1,000 by default in AD) never truncates the answer; an OU nested in another
//! managed OU is not listed twice.

use std::collections::HashSet;

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Scope, SearchEntry};
use offboard_agent_proto::DirectoryAccount;
use uuid::Uuid;

use super::{AdError, Session, first, guid_bytes};

/// Accounts per page the agent asks for: under AD's default `MaxPageSize` (1,000).
pub const PAGE_SIZE: i32 = 500;

/// Users whose ACCOUNTDISABLE bit (0x2) is clear, with LDAP_MATCHING_RULE_BIT_AND.
pub const ENABLED_USERS: &str =
    "(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))";

const ATTRS: &[&str] = &[
    "objectGUID",
    "sAMAccountName",
    "userPrincipalName",
    "mail",
    "displayName",
    "employeeID",
    "employeeType",
];

fn account(entry: &SearchEntry) -> Result<DirectoryAccount, AdError> {
    let guid = guid_bytes(entry)
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .map(Uuid::from_bytes_le)
        .ok_or_else(|| AdError::Data(format!("{} has no objectGUID", entry.dn)))?;
    let text = |attr: &str| first(entry, attr).map(str::to_owned);
    Ok(DirectoryAccount {
        dn: entry.dn.clone(),
        object_guid: guid,
        sam_account_name: text("sAMAccountName").unwrap_or_default(),
        user_principal_name: text("userPrincipalName"),
        mail: text("mail"),
        display_name: text("displayName"),
        employee_id: text("employeeID"),
        employee_type: text("employeeType"),
    })
}

impl Session {
    /// Every enabled user account under `ous` (subtrees), each once, in the order found,
    /// read `page_size` entries a page.
    pub async fn enabled_users_under(
        &mut self,
        ous: &[String],
        page_size: i32,
    ) -> Result<Vec<DirectoryAccount>, AdError> {
        let url = self.settings.url.clone();
        let operation = "list the enabled accounts under the managed OUs";
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for ou in ous {
            let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
                Box::new(EntriesOnly::new()),
                Box::new(PagedResults::new(page_size)),
            ];
            let mut search = self
                .ldap
                .with_timeout(self.settings.timeout)
                .streaming_search_with(
                    adapters,
                    ou.as_str(),
                    Scope::Subtree,
                    ENABLED_USERS,
                    ATTRS.to_vec(),
                )
                .await
                .map_err(|e| AdError::from_ldap(&url, operation, e))?;
            while let Some(entry) = search
                .next()
                .await
                .map_err(|e| AdError::from_ldap(&url, operation, e))?
            {
                let a = account(&SearchEntry::construct(entry))?;
                if seen.insert(a.object_guid) {
                    out.push(a);
                }
            }
            let res = search.finish().await;
            // rc 10 (referral) may end a subtree search whose entries are all here; referrals
            // are never chased.
            if res.rc != 0 && res.rc != 10 {
                return Err(AdError::Operation {
                    operation: format!("{operation} ({ou})"),
                    rc: res.rc,
                    text: res.text,
                });
            }
        }
        Ok(out)
    }
}
