//! Listing and searching users: `GET /Users` (RFC 7644 §3.4.2), `POST /Users/.search` and
//! `POST /.search` (§3.4.3), and the ListResponse message.
//!
//! offboard filters only on what identity providers look users up by before they create
//! or update one: `userName eq "…"` (case-insensitive, as `userName` is not caseExact) and
//! `externalId eq "…"` (exact). Any other filter — valid or not — is a 400
//! `invalidFilter` that says which two are supported. Paging is index-based
//! (`startIndex` from 1, `count` capped at [`MAX_RESULTS`]); sorting is not supported and
//! `sortBy` is ignored, as the ServiceProviderConfig announces.

use serde_json::{Map, Value, json};

use super::error::ScimError;
use super::filter::{CompareOp, Filter};
use super::path::{Resolved, resolve};
use super::projection::{Projection, split_list};
use super::query::param;
use super::schema::SchemaId;
use super::urn::{LIST_RESPONSE_SCHEMA, SEARCH_REQUEST_SCHEMA};
use super::user::ScimKey;

/// The most users one page holds, and the page size when the client gives no `count`.
pub const MAX_RESULTS: u32 = 200;

/// The filters offboard supports on users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListFilter {
    /// `userName eq "…"`, compared without regard to case.
    UserName(String),
    /// `externalId eq "…"`, compared exactly.
    ExternalId(String),
}

const SUPPORTED_FILTERS: &str =
    "offboard filters users only with userName eq \"…\" or externalId eq \"…\"";

impl ListFilter {
    /// Parses a filter and keeps it if offboard supports it.
    pub fn parse(text: &str) -> Result<Self, ScimError> {
        let filter = Filter::parse(text)?;
        if let Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Value::String(value),
        } = &filter
            && let Resolved::Attribute(p) = resolve(path)
            && p.schema == SchemaId::User
            && p.sub.is_none()
        {
            match p.attr.name {
                "userName" => return Ok(Self::UserName(value.clone())),
                "externalId" => return Ok(Self::ExternalId(value.clone())),
                _ => {}
            }
        }
        Err(ScimError::invalid_filter(SUPPORTED_FILTERS))
    }

    /// The store key it looks up.
    pub fn key(&self) -> ScimKey {
        match self {
            Self::UserName(_) => ScimKey::UserName,
            Self::ExternalId(_) => ScimKey::ExternalId,
        }
    }

    /// The value it looks for.
    pub fn value(&self) -> &str {
        match self {
            Self::UserName(v) | Self::ExternalId(v) => v,
        }
    }
}

/// What a list or search asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// The filter, if any.
    pub filter: Option<ListFilter>,
    /// 1-based index of the first result.
    pub start_index: u32,
    /// Page size (0 asks only for `totalResults`).
    pub count: u32,
    /// Which attributes to return.
    pub projection: Projection,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            filter: None,
            start_index: 1,
            count: MAX_RESULTS,
            projection: Projection::All,
        }
    }
}

/// Reads `startIndex`: below 1 is read as 1 (RFC 7644 §3.4.2.4).
fn start_index(value: Option<i64>) -> u32 {
    match value {
        Some(v) if v > 1 => u32::try_from(v).unwrap_or(u32::MAX),
        _ => 1,
    }
}

/// Reads `count`: negative is read as 0, above the maximum as the maximum.
fn count(value: Option<i64>) -> u32 {
    match value {
        None => MAX_RESULTS,
        Some(v) if v <= 0 => 0,
        Some(v) => u32::try_from(v).unwrap_or(u32::MAX).min(MAX_RESULTS),
    }
}

fn integer(name: &str, text: &str) -> Result<i64, ScimError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer")))
}

impl ListQuery {
    /// The 0-based offset of the first result.
    pub fn offset(&self) -> u32 {
        self.start_index.saturating_sub(1)
    }

    /// Reads the query parameters of `GET /Users`.
    pub fn from_params(params: &[(String, String)]) -> Result<Self, ScimError> {
        let filter = param(params, "filter")
            .filter(|f| !f.trim().is_empty())
            .map(ListFilter::parse)
            .transpose()?;
        let start = param(params, "startIndex")
            .map(|v| integer("startIndex", v))
            .transpose()?;
        let n = param(params, "count")
            .map(|v| integer("count", v))
            .transpose()?;
        Ok(Self {
            filter,
            start_index: start_index(start),
            count: count(n),
            projection: projection_from_params(params)?,
        })
    }

    /// Reads a SearchRequest body (RFC 7644 §3.4.3).
    pub fn from_search_request(body: &[u8]) -> Result<Self, ScimError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))?;
        let Value::Object(obj) = value else {
            return Err(ScimError::invalid_syntax(
                "the body must be a SearchRequest message",
            ));
        };
        let get = |name: &str| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
                .filter(|v| !v.is_null())
        };
        if let Some(schemas) = get("schemas") {
            let ok = schemas.as_array().is_some_and(|a| {
                a.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST_SCHEMA))
                })
            });
            if !ok {
                return Err(ScimError::invalid_syntax(format!(
                    "schemas must be [\"{SEARCH_REQUEST_SCHEMA}\"]"
                )));
            }
        }
        let filter = match get("filter") {
            Some(Value::String(f)) if !f.trim().is_empty() => Some(ListFilter::parse(f)?),
            Some(Value::String(_)) | None => None,
            Some(_) => return Err(ScimError::invalid_filter("filter must be a string")),
        };
        let number = |name: &str| -> Result<Option<i64>, ScimError> {
            match get(name) {
                None => Ok(None),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ScimError::invalid_value(format!("{name} must be an integer"))),
                Some(Value::String(s)) => integer(name, s).map(Some),
                Some(_) => Err(ScimError::invalid_value(format!(
                    "{name} must be an integer"
                ))),
            }
        };
        let list = |name: &str| -> Result<Vec<String>, ScimError> {
            match get(name) {
                None => Ok(Vec::new()),
                Some(Value::String(s)) => Ok(split_list(s)),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_owned).ok_or_else(|| {
                            ScimError::invalid_value(format!(
                                "{name} must be a list of attribute names"
                            ))
                        })
                    })
                    .collect(),
                Some(_) => Err(ScimError::invalid_value(format!(
                    "{name} must be a list of attribute names"
                ))),
            }
        };
        Ok(Self {
            filter,
            start_index: start_index(number("startIndex")?),
            count: count(number("count")?),
            projection: Projection::new(&list("attributes")?, &list("excludedAttributes")?)?,
        })
    }
}

/// The projection the `attributes` / `excludedAttributes` query parameters ask for.
pub fn projection_from_params(params: &[(String, String)]) -> Result<Projection, ScimError> {
    let attributes = param(params, "attributes")
        .map(split_list)
        .unwrap_or_default();
    let excluded = param(params, "excludedAttributes")
        .map(split_list)
        .unwrap_or_default();
    Projection::new(&attributes, &excluded)
}

/// A ListResponse message (RFC 7644 §3.4.2).
pub fn list_response(resources: Vec<Value>, total_results: u32, start_index: u32) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([LIST_RESPONSE_SCHEMA]));
    out.insert("totalResults".into(), json!(total_results));
    out.insert("startIndex".into(), json!(start_index));
    out.insert("itemsPerPage".into(), json!(resources.len()));
    out.insert("Resources".into(), Value::Array(resources));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::ScimType;
    use crate::scim::query::parse_query;

    #[test]
    fn supports_user_name_and_external_id_equality_only() {
        assert_eq!(
            ListFilter::parse(r#"userName eq "Ada@Contoso.com""#).unwrap(),
            ListFilter::UserName("Ada@Contoso.com".into())
        );
        assert_eq!(
            ListFilter::parse(r#"USERNAME EQ "x""#).unwrap().key(),
            ScimKey::UserName
        );
        assert_eq!(
            ListFilter::parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#)
                .unwrap()
                .value(),
            "x"
        );
        let ext = ListFilter::parse(r#"externalId eq "e-1""#).unwrap();
        assert_eq!((ext.key(), ext.value()), (ScimKey::ExternalId, "e-1"));
        for unsupported in [
            r#"userName ne "x""#,
            r#"userName sw "x""#,
            r#"displayName eq "x""#,
            r#"userName eq "x" and externalId eq "y""#,
            r#"emails[type eq "work"]"#,
            r#"userName eq true"#,
            r#"name.givenName eq "x""#,
            "userName eq",
        ] {
            let err = ListFilter::parse(unsupported).unwrap_err();
            assert_eq!(
                err.scim_type,
                Some(ScimType::InvalidFilter),
                "{unsupported}"
            );
        }
    }

    #[test]
    fn reads_paging_and_projection_from_the_query() {
        let q = ListQuery::from_params(
            &parse_query("startIndex=3&count=1000&attributes=userName,externalId").unwrap(),
        )
        .unwrap();
        assert_eq!((q.start_index, q.offset(), q.count), (3, 2, MAX_RESULTS));
        assert!(matches!(q.projection, Projection::Only(ref p) if p.len() == 2));
        let q = ListQuery::from_params(&parse_query("startIndex=-4&count=-1").unwrap()).unwrap();
        assert_eq!((q.start_index, q.count), (1, 0));
        assert_eq!(ListQuery::from_params(&[]).unwrap(), ListQuery::default());
        assert!(ListQuery::from_params(&parse_query("count=ten").unwrap()).is_err());
        assert!(
            ListQuery::from_params(&parse_query("filter=title+pr").unwrap())
                .is_err_and(|e| e.scim_type == Some(ScimType::InvalidFilter))
        );
    }

    #[test]
    fn reads_a_search_request() {
        let body = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "attributes":["displayName"],"filter":"userName eq \"a\"","startIndex":2,"count":"5"}"#;
        let q = ListQuery::from_search_request(body).unwrap();
        assert_eq!(q.filter, Some(ListFilter::UserName("a".into())));
        assert_eq!((q.start_index, q.count), (2, 5));
        assert!(ListQuery::from_search_request(b"{}").is_ok());
        for bad in [
            &br#"{"schemas":["urn:x"]}"#[..],
            br#"{"count":"x"}"#,
            br#"{"attributes":[1]}"#,
            br#"{"attributes":["a"],"excludedAttributes":["b"]}"#,
            br#"{"filter":"displayName pr"}"#,
            b"[",
        ] {
            assert!(ListQuery::from_search_request(bad).is_err());
        }
    }

    #[test]
    fn list_response_has_the_rfc_members() {
        let r = list_response(vec![json!({"id": "a"})], 7, 3);
        assert_eq!(
            r,
            json!({"schemas": [LIST_RESPONSE_SCHEMA], "totalResults": 7, "startIndex": 3,
                   "itemsPerPage": 1, "Resources": [{"id": "a"}]})
        );
    }
}
