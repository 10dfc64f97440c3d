//! The SCIM filter language (RFC 7644 §3.4.2.2, Figure 1).
//!
//! ```text
//! FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
//! valuePath = attrPath "[" valFilter "]"
//! attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//! logExp    = FILTER SP ("and" / "or") SP FILTER
//! compValue = false / null / true / number / string
//! compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le"
//! ```
//! `not` binds tighter than `and`, which binds tighter than `or`; operators and attribute
//! names are case-insensitive.
//!
//! offboard uses filters in two places. A list or search filters users by `userName` or
//! `externalId` equality only (see [`crate::scim::list::ListFilter`]): the whole grammar
//! is parsed so a malformed filter and an unsupported one are both told apart precisely.
//! A PATCH path's value filter (`emails[type eq "work"]`) is evaluated here against each
//! value of the multi-valued attribute.

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use super::attr::{AttrName, truncate};
use super::error::ScimError;
use super::schema::{AttrType, AttributeDef};

/// The longest filter offboard parses, in bytes. Identity providers send one short
/// comparison (`userName eq "…"`); the limit keeps a hostile filter from costing more than a
/// few microseconds to refuse.
pub const MAX_FILTER_LENGTH: usize = 4096;
/// How deeply parentheses, `not (…)` and value filters (`emails[…]`) may nest. The parser
/// recurses once per level, so without a limit a filter of a few kilobytes of `(` overflowed
/// the handler's stack and took every in-flight request down with it.
pub const MAX_FILTER_DEPTH: usize = 32;
/// How many comparisons (`attr op value`, `attr pr`) one filter may hold. `and` / `or`
/// chains build a tree as deep as they are long, and evaluating or dropping it recurses.
pub const MAX_FILTER_TERMS: usize = 64;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains (strings).
    Co,
    /// Starts with (strings).
    Sw,
    /// Ends with (strings).
    Ew,
    /// Greater than.
    Gt,
    /// Less than.
    Lt,
    /// Greater than or equal.
    Ge,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "lt" => Self::Lt,
            "ge" => Self::Ge,
            "le" => Self::Le,
            _ => return None,
        })
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op value`; the value is a JSON string, number, boolean or null.
    Compare {
        /// The attribute compared.
        path: AttrName,
        /// The operator.
        op: CompareOp,
        /// The literal it is compared with.
        value: Value,
    },
    /// `attrPath pr`: the attribute has a non-empty value.
    Present(AttrName),
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// The inner filter does not hold.
    Not(Box<Filter>),
    /// `attrPath[valFilter]`: some value of a multi-valued attribute matches.
    ValuePath {
        /// The multi-valued attribute.
        path: AttrName,
        /// The filter each value is tested with.
        filter: Box<Filter>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Str(String),
    Word(String),
}

fn lex(text: &str) -> Result<Vec<Token>, ScimError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
            }
            '"' => {
                chars.next();
                let mut escaped = false;
                let mut end = None;
                for (i, c) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        end = Some(i);
                        break;
                    }
                }
                let end = end.ok_or_else(|| {
                    ScimError::invalid_filter("a quoted string in the filter is not closed")
                })?;
                let s: String = serde_json::from_str(&text[start..=end]).map_err(|_| {
                    ScimError::invalid_filter(
                        "a quoted string in the filter has an invalid escape (strings follow \
                         JSON rules)",
                    )
                })?;
                tokens.push(Token::Str(s));
            }
            _ => {
                let mut end = text.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                tokens.push(Token::Word(text[start..end].to_owned()));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Open `(`, `not (` and `[` around the current position.
    depth: usize,
    /// Comparisons read so far.
    terms: usize,
}

fn is_keyword(token: Option<&Token>, keyword: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: Token, what: &str) -> Result<(), ScimError> {
        if self.next().as_ref() == Some(&want) {
            Ok(())
        } else {
            Err(ScimError::invalid_filter(format!("expected {what}")))
        }
    }

    /// Enters one level of nesting, refusing the filter past [`MAX_FILTER_DEPTH`].
    fn descend(&mut self) -> Result<(), ScimError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(ScimError::invalid_filter(format!(
                "the filter nests parentheses or value filters more than {MAX_FILTER_DEPTH} \
                 levels deep"
            )));
        }
        Ok(())
    }

    fn or(&mut self, in_value_path: bool) -> Result<Filter, ScimError> {
        let mut left = self.and(in_value_path)?;
        while is_keyword(self.peek(), "or") {
            self.pos += 1;
            let right = self.and(in_value_path)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, in_value_path: bool) -> Result<Filter, ScimError> {
        let mut left = self.unary(in_value_path)?;
        while is_keyword(self.peek(), "and") {
            self.pos += 1;
            let right = self.unary(in_value_path)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, in_value_path: bool) -> Result<Filter, ScimError> {
        if is_keyword(self.peek(), "not") && self.tokens.get(self.pos + 1) == Some(&Token::Open) {
            self.pos += 2;
            self.descend()?;
            let inner = self.or(in_value_path)?;
            self.expect(Token::Close, "`)` to close `not (`")?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                self.descend()?;
                let inner = self.or(in_value_path)?;
                self.expect(Token::Close, "`)`")?;
                self.depth -= 1;
                Ok(inner)
            }
            Some(Token::Word(word)) => {
                let path = AttrName::parse(&word).map_err(ScimError::invalid_filter)?;
                if path.name.is_empty() {
                    return Err(ScimError::invalid_filter(format!(
                        "`{}` names a schema, not an attribute",
                        truncate(&word)
                    )));
                }
                if self.peek() == Some(&Token::OpenBracket) {
                    if in_value_path {
                        return Err(ScimError::invalid_filter("value filters cannot be nested"));
                    }
                    self.pos += 1;
                    self.descend()?;
                    let inner = self.or(true)?;
                    self.expect(Token::CloseBracket, "`]` to close the value filter")?;
                    self.depth -= 1;
                    return Ok(Filter::ValuePath {
                        path,
                        filter: Box::new(inner),
                    });
                }
                self.comparison(path)
            }
            Some(other) => Err(ScimError::invalid_filter(format!(
                "expected an attribute name, found {}",
                describe(&other)
            ))),
            None => Err(ScimError::invalid_filter(
                "the filter ends where an attribute name was expected",
            )),
        }
    }

    fn comparison(&mut self, path: AttrName) -> Result<Filter, ScimError> {
        self.terms += 1;
        if self.terms > MAX_FILTER_TERMS {
            return Err(ScimError::invalid_filter(format!(
                "the filter holds more than {MAX_FILTER_TERMS} comparisons"
            )));
        }
        let op_word = match self.next() {
            Some(Token::Word(w)) => w,
            _ => {
                return Err(ScimError::invalid_filter(
                    "expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le or pr) after the \
                     attribute name",
                ));
            }
        };
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let op = CompareOp::parse(&op_word).ok_or_else(|| {
            ScimError::invalid_filter(format!(
                "`{}` is not a filter operator: use eq, ne, co, sw, ew, gt, lt, ge, le or pr",
                truncate(&op_word)
            ))
        })?;
        let value = match self.next() {
            Some(Token::Str(s)) => Value::String(s),
            Some(Token::Word(w)) => literal(&w)?,
            _ => {
                return Err(ScimError::invalid_filter(
                    "expected a value (a quoted string, a number, true, false or null) after \
                     the operator",
                ));
            }
        };
        Ok(Filter::Compare { path, op, value })
    }
}

fn literal(word: &str) -> Result<Value, ScimError> {
    match word {
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        "null" => Ok(Value::Null),
        _ => match serde_json::from_str::<Value>(word) {
            Ok(v @ Value::Number(_)) => Ok(v),
            _ => Err(ScimError::invalid_filter(format!(
                "`{}` is not a value: quote strings, as in userName eq \"bjensen\"",
                truncate(word)
            ))),
        },
    }
}

fn describe(token: &Token) -> &'static str {
    match token {
        Token::Open => "`(`",
        Token::Close => "`)`",
        Token::OpenBracket => "`[`",
        Token::CloseBracket => "`]`",
        Token::Str(_) => "a quoted string",
        Token::Word(_) => "a word",
    }
}

impl Filter {
    /// Parses a filter; any syntax error is a 400 `invalidFilter` that says what was
    /// expected, and so is a filter longer than [`MAX_FILTER_LENGTH`], nested deeper than
    /// [`MAX_FILTER_DEPTH`] or holding more than [`MAX_FILTER_TERMS`] comparisons.
    pub fn parse(text: &str) -> Result<Self, ScimError> {
        if text.len() > MAX_FILTER_LENGTH {
            return Err(ScimError::invalid_filter(format!(
                "the filter is {} bytes long; offboard parses filters of at most \
                 {MAX_FILTER_LENGTH} bytes",
                text.len()
            )));
        }
        let tokens = lex(text)?;
        if tokens.is_empty() {
            return Err(ScimError::invalid_filter("the filter is empty"));
        }
        let mut parser = Parser {
            tokens,
            pos: 0,
            depth: 0,
            terms: 0,
        };
        let filter = parser.or(false)?;
        if let Some(extra) = parser.peek() {
            return Err(ScimError::invalid_filter(format!(
                "unexpected {} after a complete filter (join expressions with and / or)",
                describe(extra)
            )));
        }
        Ok(filter)
    }

    /// Whether one value of the multi-valued complex attribute `parent` (one `emails`
    /// entry) matches this value filter. Attribute names are the parent's sub-attributes;
    /// a name the parent does not have never matches.
    pub fn matches(&self, element: &Value, parent: &AttributeDef) -> Result<bool, ScimError> {
        match self {
            Self::And(a, b) => Ok(a.matches(element, parent)? && b.matches(element, parent)?),
            Self::Or(a, b) => Ok(a.matches(element, parent)? || b.matches(element, parent)?),
            Self::Not(a) => Ok(!a.matches(element, parent)?),
            Self::Present(path) => Ok(match sub_of(parent, path) {
                Some(def) => is_present(element.get(def.name)),
                None => false,
            }),
            Self::Compare { path, op, value } => match sub_of(parent, path) {
                Some(def) => compare(def, element.get(def.name), *op, value),
                None => Ok(false),
            },
            Self::ValuePath { .. } => {
                Err(ScimError::invalid_filter("value filters cannot be nested"))
            }
        }
    }

    /// The value a filter made only of `eq` comparisons joined by `and` describes, such as
    /// `{"type": "work"}` for `type eq "work"`: what an `add` to `emails[type eq "work"].value`
    /// creates when no address of that type exists yet. `None` for any other filter.
    pub fn seed(&self, parent: &AttributeDef) -> Option<Map<String, Value>> {
        match self {
            Self::And(a, b) => {
                let mut left = a.seed(parent)?;
                for (k, v) in b.seed(parent)? {
                    if left.get(&k).is_some_and(|old| old != &v) {
                        return None;
                    }
                    left.insert(k, v);
                }
                Some(left)
            }
            Self::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if !value.is_null() => {
                let def = sub_of(parent, path)?;
                let mut m = Map::new();
                m.insert(def.name.to_owned(), value.clone());
                Some(m)
            }
            _ => None,
        }
    }
}

fn sub_of(parent: &AttributeDef, path: &AttrName) -> Option<&'static AttributeDef> {
    if path.urn.is_some() || path.sub.is_some() {
        return None;
    }
    parent.sub_attribute(&path.name)
}

fn is_present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

fn parse_instant(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s.trim()).ok()
}

fn ordered(op: CompareOp, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CompareOp::Eq => ord == Equal,
        CompareOp::Ne => ord != Equal,
        CompareOp::Gt => ord == Greater,
        CompareOp::Lt => ord == Less,
        CompareOp::Ge => ord != Less,
        CompareOp::Le => ord != Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Compares an attribute's value with a filter literal under the attribute's type and
/// case rules (RFC 7644 §3.4.2.2).
fn compare(
    def: &AttributeDef,
    actual: Option<&Value>,
    op: CompareOp,
    expected: &Value,
) -> Result<bool, ScimError> {
    let actual = actual.filter(|v| !v.is_null());
    if expected.is_null() {
        return match op {
            CompareOp::Eq => Ok(actual.is_none()),
            CompareOp::Ne => Ok(actual.is_some()),
            _ => Err(ScimError::invalid_filter(
                "null can only be compared with eq or ne",
            )),
        };
    }
    match def.kind {
        AttrType::String => {
            let Value::String(expected) = expected else {
                return Err(ScimError::invalid_filter(format!(
                    "`{}` is a string: compare it with a quoted string",
                    def.name
                )));
            };
            let Some(Value::String(actual)) = actual else {
                return Ok(op == CompareOp::Ne);
            };
            let (a, e) = if def.case_exact {
                (actual.clone(), expected.clone())
            } else {
                (actual.to_lowercase(), expected.to_lowercase())
            };
            Ok(match op {
                CompareOp::Co => a.contains(&e),
                CompareOp::Sw => a.starts_with(&e),
                CompareOp::Ew => a.ends_with(&e),
                _ => ordered(op, a.cmp(&e)),
            })
        }
        AttrType::Boolean => {
            let expected = match expected {
                Value::Bool(b) => *b,
                // Entra ID writes booleans as "True"/"False" in places; read them the same.
                Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                _ => {
                    return Err(ScimError::invalid_filter(format!(
                        "`{}` is a boolean: compare it with true or false",
                        def.name
                    )));
                }
            };
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(ScimError::invalid_filter(format!(
                    "`{}` is a boolean: only eq and ne apply",
                    def.name
                )));
            }
            let actual = actual.and_then(Value::as_bool);
            Ok((actual == Some(expected)) == (op == CompareOp::Eq))
        }
        AttrType::DateTime => {
            let expected = expected.as_str().and_then(parse_instant).ok_or_else(|| {
                ScimError::invalid_filter(format!(
                    "`{}` is a dateTime: compare it with a quoted date-time with offset, such \
                     as \"2026-11-30T17:00:00Z\"",
                    def.name
                ))
            })?;
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(ScimError::invalid_filter(format!(
                    "`{}` is a dateTime: use eq, ne, gt, lt, ge or le",
                    def.name
                )));
            }
            let Some(actual) = actual.and_then(Value::as_str).and_then(parse_instant) else {
                return Ok(op == CompareOp::Ne);
            };
            Ok(ordered(op, actual.cmp(&expected)))
        }
        AttrType::Complex => Err(ScimError::invalid_filter(format!(
            "`{}` is complex: compare one of its sub-attributes",
            def.name
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::ScimType;
    use crate::scim::schema::SchemaId;
    use serde_json::json;

    fn emails() -> &'static AttributeDef {
        SchemaId::User.attribute("emails").unwrap()
    }

    fn name(n: &str) -> AttrName {
        AttrName::parse(n).unwrap()
    }

    #[test]
    fn parses_comparisons_and_literals() {
        assert_eq!(
            Filter::parse(r#"userName Eq "bjensen""#).unwrap(),
            Filter::Compare {
                path: name("userName"),
                op: CompareOp::Eq,
                value: json!("bjensen")
            }
        );
        assert_eq!(
            Filter::parse("title pr").unwrap(),
            Filter::Present(name("title"))
        );
        assert!(matches!(
            Filter::parse("meta.lastModified gt \"2011-05-13T04:42:34Z\"").unwrap(),
            Filter::Compare {
                op: CompareOp::Gt,
                ..
            }
        ));
        assert!(matches!(
            Filter::parse("x ge 5.5").unwrap(),
            Filter::Compare {
                value: Value::Number(_),
                ..
            }
        ));
        assert!(matches!(
            Filter::parse("primary eq true").unwrap(),
            Filter::Compare {
                value: Value::Bool(true),
                ..
            }
        ));
        assert!(matches!(
            Filter::parse(r#"userName eq "a \"quoted\" name""#).unwrap(),
            Filter::Compare { value: Value::String(s), .. } if s == "a \"quoted\" name"
        ));
    }

    #[test]
    fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
        let f = Filter::parse(r#"a eq "1" or b eq "2" and not (c eq "3")"#).unwrap();
        let Filter::Or(left, right) = f else {
            panic!("or must be outermost")
        };
        assert!(matches!(*left, Filter::Compare { .. }));
        let Filter::And(_, not) = *right else {
            panic!("and binds tighter than or")
        };
        assert!(matches!(*not, Filter::Not(_)));
        let grouped = Filter::parse(r#"(a eq "1" or b eq "2") and c pr"#).unwrap();
        assert!(matches!(grouped, Filter::And(..)));
    }

    #[test]
    fn parses_value_paths() {
        let f = Filter::parse(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
        let Filter::ValuePath { path, filter } = f else {
            panic!("expected a value path")
        };
        assert_eq!(path.name, "emails");
        assert!(matches!(*filter, Filter::And(..)));
    }

    #[test]
    fn rejects_malformed_filters_with_invalid_filter() {
        for bad in [
            "",
            "userName",
            r#"userName eq"#,
            r#"userName equals "x""#,
            r#"userName eq bjensen"#,
            r#"userName eq "x" extra"#,
            r#"(userName eq "x""#,
            r#"userName eq "unterminated"#,
            r#"emails[type eq "work""#,
            r#"emails[x[y eq 1]]"#,
            r#"not userName eq "x""#,
            r#"and eq "x" or"#,
        ] {
            let err = Filter::parse(bad).unwrap_err();
            assert_eq!(err.status, 400, "{bad}");
            assert_eq!(err.scim_type, Some(ScimType::InvalidFilter), "{bad}");
        }
    }

    #[test]
    fn matches_values_with_the_attribute_case_rules() {
        let work = json!({"value": "Ada@Contoso.com", "type": "Work", "primary": true});
        let m = |f: &str| Filter::parse(f).unwrap().matches(&work, emails()).unwrap();
        // emails.type and emails.value are not caseExact.
        assert!(m(r#"type eq "work""#));
        assert!(m(r#"value co "@contoso""#));
        assert!(m(r#"value sw "ada""#));
        assert!(m(r#"value ew ".COM""#));
        assert!(!m(r#"type ne "work""#));
        assert!(m(r#"primary eq true"#));
        assert!(m(r#"primary eq "True""#));
        assert!(!m(r#"primary eq false"#));
        assert!(m(r#"type eq "home" or primary eq true"#));
        assert!(!m(r#"not (type eq "work")"#));
        assert!(m("value pr"));
        assert!(!m("display pr"));
        assert!(!m(r#"display eq "x""#));
        assert!(m(r#"value gt "a""#));
        let missing_type = json!({"value": "x@y.z"});
        let f = Filter::parse(r#"type ne "work""#).unwrap();
        assert!(f.matches(&missing_type, emails()).unwrap());
    }

    #[test]
    fn type_mismatches_are_invalid_filters() {
        let e = json!({"value": "a@b.c", "primary": true});
        for bad in [
            r#"primary gt true"#,
            r#"primary eq 1"#,
            r#"value eq 5"#,
            r#"value lt null"#,
        ] {
            let err = Filter::parse(bad)
                .unwrap()
                .matches(&e, emails())
                .unwrap_err();
            assert_eq!(err.scim_type, Some(ScimType::InvalidFilter), "{bad}");
        }
    }

    #[test]
    fn compares_date_times_as_instants() {
        let off = SchemaId::OffboardUser
            .attribute("terminationDateTime")
            .unwrap();
        let actual = json!("2026-11-30T17:00:00-05:00");
        assert!(
            compare(
                off,
                Some(&actual),
                CompareOp::Eq,
                &json!("2026-11-30T22:00:00Z")
            )
            .unwrap()
        );
        assert!(
            compare(
                off,
                Some(&actual),
                CompareOp::Gt,
                &json!("2026-11-30T21:59:59Z")
            )
            .unwrap()
        );
        assert!(
            compare(
                off,
                Some(&actual),
                CompareOp::Co,
                &json!("2026-11-30T21:59:59Z")
            )
            .is_err()
        );
    }

    #[test]
    fn seeds_a_new_value_from_equalities_only() {
        let f = Filter::parse(r#"type eq "work" and primary eq true"#).unwrap();
        assert_eq!(
            Value::Object(f.seed(emails()).unwrap()),
            json!({"type": "work", "primary": true})
        );
        assert!(
            Filter::parse(r#"type ne "work""#)
                .unwrap()
                .seed(emails())
                .is_none()
        );
        assert!(
            Filter::parse(r#"type eq "work" or type eq "home""#)
                .unwrap()
                .seed(emails())
                .is_none()
        );
        assert!(
            Filter::parse(r#"type eq "work" and type eq "home""#)
                .unwrap()
                .seed(emails())
                .is_none()
        );
        assert!(
            Filter::parse(r#"display eq "x""#)
                .unwrap()
                .seed(emails())
                .is_none()
        );
    }
}
