//! Parsing a filter: the lexer, a recursive-descent parser with the limits that keep a
//! hostile filter cheap to refuse, and literal values.

use serde_json::Value;

use crate::scim::attr::{AttrName, truncate};
use crate::scim::error::ScimError;

use super::ast::{CompareOp, Filter};

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
}
