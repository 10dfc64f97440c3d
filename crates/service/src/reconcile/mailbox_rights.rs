//! Re-reading the leaver's rights on other mailboxes (what `remove-mailbox-rights-elsewhere`
//! removed and verified) for the drift re-check, as cheaply as the step finds them: FullAccess
//! and SendOnBehalf from the rights index (one store read, no Exchange call), SendAs live and
//! tenant-wide (`Get-RecipientPermission -Trustee`, one call, plus `Get-Mailbox` per hit to
//! name the mailbox). The index is as old as its last refresh, so each mailbox it names is
//! confirmed live with the step's own three reads before anything is reported: a right the
//! index still lists but that is gone is no finding, and a mailbox nobody names costs nothing.
//!
//! What this cannot see is what the step cannot see either: a FullAccess or SendOnBehalf
//! granted after the index's last refresh (the nightly refresh brings it to the next scan).

use std::collections::BTreeMap;

use offboard_core::policy::RightsScope;
use offboard_core::reconcile::Held;
use offboard_graph::ExchangeClient;

use crate::rights_index::{Lookup, RightsIndexService};
use crate::steps::mailbox_rights_held;

/// The other mailboxes (in `scope`) on which `who` holds a right now: one [`Held`] per
/// mailbox, its id the mailbox's UPN (lower case), its name the rights and the mailbox. `Err`
/// says why it could not be read (then nothing is judged).
pub async fn reread(
    exo: &ExchangeClient,
    index: &RightsIndexService,
    who: &str,
    scope: RightsScope,
) -> Result<Vec<Held>, String> {
    // mailbox -> shared
    let mut candidates: BTreeMap<String, bool> = BTreeMap::new();
    match index.lookup(who).await.map_err(|e| e.to_string())? {
        Lookup::NeverBuilt => {
            return Err("the rights index has never been built".to_owned());
        }
        Lookup::Rights { grants, .. } => {
            for g in grants {
                candidates.insert(g.mailbox.to_lowercase(), g.shared);
            }
        }
    }
    let send_as = exo.send_as_of(who).await.map_err(|e| e.to_string())?;
    for p in &send_as.value {
        let Some(identity) = p.identity.as_deref() else {
            continue;
        };
        match exo.get_mailbox(identity).await {
            Ok(m) => {
                if let Some(upn) = &m.value.user_principal_name {
                    candidates.insert(upn.to_lowercase(), m.value.is_shared());
                }
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    candidates.remove(&who.to_lowercase());
    let mut out = Vec::new();
    for (mailbox, shared) in candidates {
        if scope == RightsScope::SharedOnly && !shared {
            continue;
        }
        let (now, _, shared_now) = match mailbox_rights_held(exo, &mailbox, who).await {
            Ok(h) => h,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e.to_string()),
        };
        if scope == RightsScope::SharedOnly && !shared_now {
            continue;
        }
        let rights: Vec<&str> = ["FullAccess", "SendAs", "SendOnBehalf"]
            .into_iter()
            .filter(|r| now[*r] == true)
            .collect();
        if !rights.is_empty() {
            let name = format!("{} on {mailbox}", rights.join(", "));
            out.push(Held::new(mailbox, Some(name)));
        }
    }
    Ok(out)
}
