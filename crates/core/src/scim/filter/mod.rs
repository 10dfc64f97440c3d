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
//!
//! The syntax tree both sides share is the leaf `ast` (`Filter`, `CompareOp`); `parse`
//! turns text into it (with the limits a hostile filter meets), `eval` tests a value
//! against it.

mod ast;
mod eval;
mod parse;
#[cfg(test)]
mod tests;

pub use ast::{CompareOp, Filter};
pub use parse::{MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_TERMS};
