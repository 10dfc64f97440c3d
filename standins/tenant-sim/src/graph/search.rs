//! Microsoft Search over SharePoint and OneDrive content, as far as offboard asks it: which
//! files and folders are shared with a person (`POST /search/query`).
//!
//! From the v1.0 reference (search-query, search-concept-searchall): a request with
//! application permissions must name the `region` (the root site's
//! `siteCollection.dataLocationCode`), and finds shared content only; the answer is a
//! `searchResponse` per request, hits in `hitsContainers` with `total` and
//! `moreResultsAvailable`, paged by `from` and `size` (at most 500). The query is KQL; the
//! simulator understands only the managed property offboard uses,
//! `SharedWithUsersOWSUSER:"<person>"`, and refuses any other query so that a change in what
//! the product asks is seen in tests rather than answered with nothing.

use super::*;

/// Most hits one page answers (Graph's documented maximum for `size`).
const MAX_SIZE: u64 = 500;

fn bad(message: &str) -> ApiError {
    ApiError::new(400, "BadRequest", message)
}

/// The person a `SharedWithUsersOWSUSER:"…"` query names.
fn shared_with(query: &str) -> Option<String> {
    let (property, value) = query.trim().split_once(':')?;
    if !property.eq_ignore_ascii_case("SharedWithUsersOWSUSER") {
        return None;
    }
    let value = value.trim().trim_matches('"').trim();
    (!value.is_empty() && !value.contains(' ')).then(|| value.to_owned())
}

/// `POST /search/query`.
pub(super) fn search_query(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::FILES_READ, files_denied)?;
    let body = body_obj(req)?;
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| bad("requests is required"))?;
    let mut answers = Vec::new();
    for r in requests {
        let types: Vec<&str> = r
            .get("entityTypes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if types != ["driveItem"] {
            return Err(bad(
                "the simulator searches entityTypes [\"driveItem\"] only",
            ));
        }
        let region = r.get("region").and_then(Value::as_str).unwrap_or_default();
        if region.is_empty() {
            return Err(bad(
                "Region is required when request with application permission.",
            ));
        }
        if !region.eq_ignore_ascii_case(&t.data_location_code) {
            return Err(bad(&format!(
                "The region '{region}' is not a region of this tenant."
            )));
        }
        let query = r
            .pointer("/query/queryString")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("query.queryString is required"))?;
        let who = shared_with(query).ok_or_else(|| {
            bad("the simulator understands only SharedWithUsersOWSUSER:\"<person>\" queries")
        })?;
        let from = r.get("from").and_then(Value::as_u64).unwrap_or(0);
        let size = r.get("size").and_then(Value::as_u64).unwrap_or(25);
        if size > MAX_SIZE {
            return Err(bad("size must be 500 or less"));
        }
        let person = t.user(&who).map(|u| u.id.clone());
        // Shared content: items with a permission of their own that names the person — a
        // direct grant, or a link for specific people that lists them.
        let found: Vec<Value> = match &person {
            None => Vec::new(),
            Some(id) => t
                .drives
                .iter()
                .flat_map(|d| d.items.iter().map(move |it| (d, it)))
                .filter(|(_, it)| {
                    it.grants.iter().any(|g| g.user_id == *id)
                        || it
                            .links
                            .iter()
                            .any(|l| l.scope == "users" && l.granted_to.contains(id))
                })
                .map(|(d, it)| item_json(t, d, it))
                .collect(),
        };
        let total = found.len() as u64;
        let hits: Vec<Value> = found
            .into_iter()
            .enumerate()
            .skip(from as usize)
            .take(size as usize)
            .map(|(rank, resource)| {
                let mut resource = resource;
                if let Some(o) = resource.as_object_mut() {
                    o.insert(
                        "@odata.type".to_owned(),
                        json!("#microsoft.graph.driveItem"),
                    );
                    o.remove("shared");
                    o.remove("folder");
                    o.remove("file");
                }
                json!({
                    "hitId": resource.get("id").cloned().unwrap_or(Value::Null),
                    "rank": rank + 1,
                    "summary": "",
                    "resource": resource,
                })
            })
            .collect();
        let more = from + (hits.len() as u64) < total;
        answers.push(json!({
            "searchTerms": [who],
            "hitsContainers": [{
                "hits": hits,
                "total": total,
                "moreResultsAvailable": more,
            }],
        }));
    }
    Ok(SimResponse::ok(json!({
        "@odata.context": ctx.context("Collection(microsoft.graph.searchResponse)"),
        "value": answers,
    })))
}

#[cfg(test)]
mod tests {
    use super::shared_with;

    #[test]
    fn only_the_shared_with_property_is_understood() {
        assert_eq!(
            shared_with("SharedWithUsersOWSUSER:\"AdeleV@contoso.com\"").as_deref(),
            Some("AdeleV@contoso.com")
        );
        assert_eq!(
            shared_with("sharedwithusersowsuser:adelev@contoso.com").as_deref(),
            Some("adelev@contoso.com")
        );
        assert_eq!(shared_with("contoso"), None);
        assert_eq!(shared_with("Author:\"Adele\""), None);
        assert_eq!(shared_with("SharedWithUsersOWSUSER:\"a b\""), None);
    }
}
