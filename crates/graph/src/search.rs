//! Files and folders shared with a person anywhere in SharePoint and OneDrive, through
//! Microsoft Search (`POST /search/query`): Graph v1.0 has no call that lists where a user
//! holds permissions, but the search index keeps who each item is shared with in the
//! `SharedWithUsersOWSUSER` managed property.
//!
//! With application permissions a search must name the tenant's SharePoint `region` (the root
//! site's `siteCollection.dataLocationCode`) and finds shared content only — which is what is
//! looked for. The index is eventually consistent: an item shared moments ago may not be
//! found yet, and one whose permission was just removed may still be; the caller reads each
//! hit's permissions before acting and after.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::client::{Call, GraphClient};
use crate::error::GraphError;

/// Hits one search page asks for (Graph's maximum for SharePoint and OneDrive content).
const PAGE: u32 = 500;

/// An item search found shared with the person.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SharedWithHit {
    /// The drive (OneDrive or site library) the item is in.
    pub drive_id: String,
    /// The driveItem.
    pub item_id: String,
    /// Its name.
    pub name: Option<String>,
    /// Where people open it (not a sharing link: the item's own address).
    pub web_url: Option<String>,
    /// The SharePoint site, when search names it.
    pub site_id: Option<String>,
}

/// What a search for one person found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SharedWithSearch {
    /// The items, in the order search ranked them.
    pub items: Vec<SharedWithHit>,
    /// Whether every hit was read (false: the bound was reached with more available).
    pub complete: bool,
    /// Search requests sent.
    pub requests: u32,
    /// Graph's request id of the last page.
    pub request_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct HitsContainer {
    hits: Vec<Hit>,
    more_results_available: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Hit {
    resource: Resource,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Resource {
    id: String,
    name: Option<String>,
    web_url: Option<String>,
    parent_reference: Parent,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Parent {
    drive_id: Option<String>,
    site_id: Option<String>,
}

/// The KQL that finds items shared with `person` (a UPN or mail address).
pub fn shared_with_query(person: &str) -> String {
    // A quote would end the phrase early; addresses have none, so it is dropped, not escaped.
    format!("SharedWithUsersOWSUSER:\"{}\"", person.replace('"', ""))
}

impl GraphClient {
    /// The files and folders shared with `person`, in SharePoint region `region`, reading at
    /// most `max_hits` hits (`POST /search/query`, `entityTypes: ["driveItem"]`, paged with
    /// `from`/`size`; `Files.Read.All` or wider). A hit without a drive id is skipped: it
    /// cannot be addressed.
    pub async fn items_shared_with(
        &self,
        person: &str,
        region: &str,
        max_hits: u32,
    ) -> Result<SharedWithSearch, GraphError> {
        let mut out = SharedWithSearch {
            complete: true,
            ..SharedWithSearch::default()
        };
        let mut from: u32 = 0;
        loop {
            let call = Call::new(Method::POST, "/search/query".to_owned(), "searchQuery")
                .writes(false)
                .idempotent(true)
                .json(json!({
                    "requests": [{
                        "entityTypes": ["driveItem"],
                        "query": {"queryString": shared_with_query(person)},
                        "region": region,
                        "from": from,
                        "size": PAGE,
                        "fields": ["id", "name", "webUrl", "parentReference"],
                    }]
                }));
            let raw = self.execute(&call).await?;
            out.requests += 1;
            out.request_id = raw.request_id.clone();
            let container: HitsContainer = raw
                .body
                .as_ref()
                .and_then(|b| b.pointer("/value/0/hitsContainers/0"))
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| crate::client::decode_error(call.op, e, &raw.request_id))?
                .unwrap_or_default();
            let read = container.hits.len() as u32;
            for h in container.hits {
                let r = h.resource;
                let Some(drive_id) = r.parent_reference.drive_id else {
                    continue;
                };
                out.items.push(SharedWithHit {
                    drive_id,
                    item_id: r.id,
                    name: r.name,
                    web_url: r.web_url,
                    site_id: r.parent_reference.site_id,
                });
            }
            from += read;
            if !container.more_results_available || read == 0 {
                break;
            }
            if from >= max_hits {
                out.complete = false;
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_names_the_person_as_one_phrase() {
        assert_eq!(
            shared_with_query("AdeleV@contoso.com"),
            "SharedWithUsersOWSUSER:\"AdeleV@contoso.com\""
        );
        assert_eq!(
            shared_with_query("a\"b@contoso.com"),
            "SharedWithUsersOWSUSER:\"ab@contoso.com\""
        );
    }

    #[test]
    fn a_hit_reads_its_drive_and_site() {
        let c: HitsContainer = serde_json::from_value(serde_json::json!({
            "hits": [{"hitId": "i1", "rank": 1, "resource": {
                "@odata.type": "#microsoft.graph.driveItem",
                "id": "i1", "name": "Plan.docx", "webUrl": "https://x/Plan.docx",
                "parentReference": {"driveId": "d1", "siteId": "s1"}
            }}],
            "total": 1, "moreResultsAvailable": false
        }))
        .unwrap();
        assert_eq!(
            c.hits[0].resource.parent_reference.drive_id.as_deref(),
            Some("d1")
        );
        assert!(!c.more_results_available);
    }
}
