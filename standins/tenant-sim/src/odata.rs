//! The OData query options the simulator understands: `$select`, `$filter` (the `eq`,
//! `startswith`, `and`, `or`, parentheses subset offboarding uses), `$top`, `$skiptoken`,
//! `$expand` (names only) and `$count`. Anything else in `$filter` is refused with Graph's
//! `Request_UnsupportedQuery`, as directory objects refuse unsupported queries.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Parsed query options of one request.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// `$select`, in request order.
    pub select: Option<Vec<String>>,
    /// `$filter`.
    pub filter: Option<Filter>,
    /// `$top`.
    pub top: Option<usize>,
    /// `$skiptoken` (an offset in this simulator).
    pub skip: usize,
    /// `$expand` names.
    pub expand: Vec<String>,
    /// `$count=true`.
    pub count: bool,
    /// All raw parameters (non-OData ones too).
    pub raw: BTreeMap<String, String>,
}

/// Why a query cannot be served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError(pub String);

impl Query {
    /// Parses a raw query string (`a=b&$filter=...`). Keys are trimmed, so the documented
    /// `$filter = principalId eq '…'` form works as it does on Graph.
    pub fn parse(raw: &str) -> Result<Self, QueryError> {
        let mut q = Query::default();
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            let key = k.trim().to_owned();
            let value = v.trim().to_owned();
            match key.to_ascii_lowercase().as_str() {
                "$select" => {
                    q.select = Some(
                        value
                            .split(',')
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect(),
                    )
                }
                "$filter" => q.filter = Some(Filter::parse(&value)?),
                "$top" => {
                    let n: usize = value.parse().map_err(|_| {
                        QueryError(format!("Invalid value '{value}' for query option $top."))
                    })?;
                    if n == 0 || n > 999 {
                        return Err(QueryError(
                            "Invalid page size specified: '$top' must be between 1 and 999 inclusive."
                                .to_owned(),
                        ));
                    }
                    q.top = Some(n);
                }
                "$skiptoken" => {
                    q.skip = value
                        .strip_prefix("sim-")
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| QueryError("Invalid $skiptoken.".to_owned()))?;
                }
                "$expand" => {
                    q.expand = value
                        .split(',')
                        .map(|s| s.split('(').next().unwrap_or_default().trim().to_owned())
                        .collect()
                }
                "$count" => q.count = value.eq_ignore_ascii_case("true"),
                _ => {}
            }
            q.raw.insert(key, value);
        }
        Ok(q)
    }
}

/// A parsed `$filter` expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `prop eq literal`.
    Eq(String, Value),
    /// `startswith(prop, 'x')`.
    StartsWith(String, String),
    /// `a and b`.
    And(Box<Filter>, Box<Filter>),
    /// `a or b`.
    Or(Box<Filter>, Box<Filter>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    LParen,
    RParen,
    Comma,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, QueryError> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '\'' => {
                let mut lit = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(QueryError("Unterminated string literal.".to_owned())),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            lit.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            lit.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(lit));
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ' ' | '(' | ')' | ',' | '\'') {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

fn unsupported() -> QueryError {
    QueryError("Unsupported Query.".to_owned())
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn expr(&mut self) -> Result<Filter, QueryError> {
        let mut left = self.conj()?;
        while matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("or")) {
            self.pos += 1;
            let right = self.conj()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn conj(&mut self) -> Result<Filter, QueryError> {
        let mut left = self.atom()?;
        while matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("and")) {
            self.pos += 1;
            let right = self.atom()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn atom(&mut self) -> Result<Filter, QueryError> {
        match self.next() {
            Some(Tok::LParen) => {
                let e = self.expr()?;
                match self.next() {
                    Some(Tok::RParen) => Ok(e),
                    _ => Err(unsupported()),
                }
            }
            Some(Tok::Ident(f)) if f.eq_ignore_ascii_case("startswith") => {
                if self.next() != Some(Tok::LParen) {
                    return Err(unsupported());
                }
                let Some(Tok::Ident(prop)) = self.next() else {
                    return Err(unsupported());
                };
                if self.next() != Some(Tok::Comma) {
                    return Err(unsupported());
                }
                let Some(Tok::Str(prefix)) = self.next() else {
                    return Err(unsupported());
                };
                if self.next() != Some(Tok::RParen) {
                    return Err(unsupported());
                }
                Ok(Filter::StartsWith(prop, prefix))
            }
            Some(Tok::Ident(prop)) => {
                match self.next() {
                    Some(Tok::Ident(op)) if op.eq_ignore_ascii_case("eq") => {}
                    _ => return Err(unsupported()),
                }
                let value = match self.next() {
                    Some(Tok::Str(s)) => Value::String(s),
                    Some(Tok::Ident(w)) if w == "true" => Value::Bool(true),
                    Some(Tok::Ident(w)) if w == "false" => Value::Bool(false),
                    Some(Tok::Ident(w)) if w == "null" => Value::Null,
                    // Graph accepts unquoted GUID literals for Guid-typed properties
                    // (`resourceId eq 8e881353-…`).
                    Some(Tok::Ident(w))
                        if w.len() == 36 && w.chars().filter(|c| *c == '-').count() == 4 =>
                    {
                        Value::String(w)
                    }
                    _ => return Err(unsupported()),
                };
                Ok(Filter::Eq(prop, value))
            }
            _ => Err(unsupported()),
        }
    }
}

impl Filter {
    /// Parses the supported subset.
    pub fn parse(s: &str) -> Result<Self, QueryError> {
        let mut p = Parser {
            toks: tokenize(s)?,
            pos: 0,
        };
        let e = p.expr()?;
        if p.pos != p.toks.len() {
            return Err(unsupported());
        }
        Ok(e)
    }

    /// Evaluates against an entity's full JSON. String comparison is case-insensitive, as
    /// directory queries are.
    pub fn matches(&self, entity: &Map<String, Value>) -> bool {
        match self {
            Filter::Eq(prop, v) => {
                let actual = lookup(entity, prop);
                match (actual, v) {
                    (Some(Value::String(a)), Value::String(b)) => a.eq_ignore_ascii_case(b),
                    (None | Some(Value::Null), Value::Null) => true,
                    (Some(a), b) => a == b,
                    (None, _) => false,
                }
            }
            Filter::StartsWith(prop, prefix) => match lookup(entity, prop) {
                Some(Value::String(a)) => a
                    .to_ascii_lowercase()
                    .starts_with(&prefix.to_ascii_lowercase()),
                _ => false,
            },
            Filter::And(a, b) => a.matches(entity) && b.matches(entity),
            Filter::Or(a, b) => a.matches(entity) || b.matches(entity),
        }
    }

    /// The property names the filter reads.
    pub fn properties(&self) -> Vec<String> {
        match self {
            Filter::Eq(p, _) | Filter::StartsWith(p, _) => vec![p.clone()],
            Filter::And(a, b) | Filter::Or(a, b) => {
                let mut v = a.properties();
                v.extend(b.properties());
                v
            }
        }
    }
}

/// The value of `prop` in `entity`; a path (`servicePrincipal/id`) reads into complex values.
fn lookup<'a>(entity: &'a Map<String, Value>, prop: &str) -> Option<&'a Value> {
    let (head, rest) = match prop.split_once('/') {
        Some((h, r)) => (h, Some(r)),
        None => (prop, None),
    };
    let v = entity
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(head))
        .map(|(_, v)| v)?;
    match rest {
        None => Some(v),
        Some(r) => lookup(v.as_object()?, r),
    }
}

/// Applies `$select` to a full entity: keeps `@odata.type`, `id` only if selected (Graph always
/// includes `id` in directory objects only when asked), and the selected properties in request
/// order. Unknown properties are an error, as on Graph.
pub fn project(
    full: &Map<String, Value>,
    select: Option<&[String]>,
    defaults: &[&str],
    type_name: &str,
) -> Result<Map<String, Value>, QueryError> {
    let mut out = Map::new();
    if let Some(t) = full.get("@odata.type") {
        out.insert("@odata.type".to_owned(), t.clone());
    }
    match select {
        Some(props) => {
            for p in props {
                if p == "*" {
                    for (k, v) in full {
                        out.insert(k.clone(), v.clone());
                    }
                    continue;
                }
                match full.iter().find(|(k, _)| k.eq_ignore_ascii_case(p)) {
                    Some((k, v)) => {
                        out.insert(k.clone(), v.clone());
                    }
                    None => {
                        return Err(QueryError(format!(
                            "Could not find a property named '{p}' on type '{type_name}'."
                        )));
                    }
                }
            }
        }
        None => {
            for d in defaults {
                if let Some(v) = full.get(*d) {
                    out.insert((*d).to_owned(), v.clone());
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_filters_offboarding_sends() {
        let f = Filter::parse("employeeId eq 'E1001' or mail eq 'a@b.com'").unwrap();
        let entity = json!({"employeeId": "e1001", "mail": null});
        assert!(f.matches(entity.as_object().unwrap()));
        let f = Filter::parse("(userPrincipalName eq 'x@y') and accountEnabled eq true").unwrap();
        let entity = json!({"userPrincipalName": "X@Y", "accountEnabled": true});
        assert!(f.matches(entity.as_object().unwrap()));
        let f = Filter::parse("resourceId eq 8e881353-1735-45af-af21-ee1344582a4d").unwrap();
        assert_eq!(f.properties(), vec!["resourceId".to_owned()]);
        let f = Filter::parse("startswith(displayName, 'Ad')").unwrap();
        assert!(f.matches(json!({"displayName": "Adele"}).as_object().unwrap()));
        assert!(Filter::parse("accountEnabled ne true").is_err());
        assert!(Filter::parse("mail eq 'x").is_err());
    }

    #[test]
    fn query_keys_are_trimmed() {
        let q = Query::parse("%24filter%20=%20principalId%20eq%20%27p%27&$top=5").unwrap();
        assert_eq!(q.filter, Some(Filter::Eq("principalId".into(), json!("p"))));
        assert_eq!(q.top, Some(5));
        assert!(Query::parse("$top=0").is_err());
    }
}
