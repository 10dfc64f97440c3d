//! The parsed filter: the syntax tree the parser builds and the evaluator walks.

use serde_json::Value;

use crate::scim::attr::AttrName;

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
