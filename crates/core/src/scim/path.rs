//! Attribute paths (RFC 7644 §3.10 and the PATCH `path` of §3.5.2).
//!
//! ```text
//! attrPath  = [URI ":"] ATTRNAME *1subAttr          userName, name.givenName,
//!                                                   urn:…:enterprise:2.0:User:employeeNumber
//! PATH      = attrPath / valuePath [subAttr]        emails[type eq "work"].value
//! ```
//! A path may also be a bare extension URN, which names the whole extension object.
//! Names are compared without regard to case (RFC 7643 §2.1). A path naming an attribute
//! offboard does not publish resolves to [`Resolved::Unknown`]: offboard ignores such
//! attributes rather than refusing the request (see [`super::schema`]).

use super::attr::{AttrName, is_attr_name, truncate};
use super::error::ScimError;
use super::filter::Filter;
use super::schema::{AttributeDef, SchemaId};

/// The longest PATCH `path` offboard parses, in bytes: an attribute name, a value filter of
/// at most [`super::filter::MAX_FILTER_LENGTH`] bytes and a sub-attribute.
pub const MAX_PATH_LENGTH: usize = super::filter::MAX_FILTER_LENGTH + 512;

/// An attribute of offboard's User, located.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema that defines the attribute (the core schema for `id`, `externalId`,
    /// `meta`).
    pub schema: SchemaId,
    /// The attribute.
    pub attr: &'static AttributeDef,
    /// The sub-attribute, for paths like `name.givenName`.
    pub sub: Option<&'static AttributeDef>,
}

/// What a path designates in offboard's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// An attribute (or sub-attribute).
    Attribute(AttrPath),
    /// A whole extension object, named by its URN.
    Extension(SchemaId),
    /// Something offboard does not publish.
    Unknown,
}

/// Resolves a parsed path against offboard's schemas.
pub fn resolve(name: &AttrName) -> Resolved {
    let schema = match &name.urn {
        Some(urn) => match SchemaId::from_urn(urn) {
            Some(s) => s,
            None => return Resolved::Unknown,
        },
        None => SchemaId::User,
    };
    if name.name.is_empty() {
        return if schema.is_extension() {
            Resolved::Extension(schema)
        } else {
            Resolved::Unknown
        };
    }
    let Some(attr) = schema.attribute(&name.name) else {
        return Resolved::Unknown;
    };
    let sub = match &name.sub {
        Some(sub) => match attr.sub_attribute(sub) {
            Some(s) => Some(s),
            None => return Resolved::Unknown,
        },
        None => None,
    };
    Resolved::Attribute(AttrPath { schema, attr, sub })
}

/// Parses and resolves a path in one step.
pub fn resolve_text(text: &str) -> Result<Resolved, String> {
    AttrName::parse(text).map(|n| resolve(&n))
}

/// The target of a PATCH operation.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchTarget {
    /// A whole extension object (`urn:…:enterprise:2.0:User`).
    Extension(SchemaId),
    /// An attribute, possibly narrowed by a value filter and a sub-attribute.
    Attribute {
        /// The schema that defines the attribute.
        schema: SchemaId,
        /// The attribute.
        attr: &'static AttributeDef,
        /// The value filter of `emails[type eq "work"]`.
        filter: Option<Filter>,
        /// The sub-attribute of `name.givenName` or `emails[type eq "work"].value`.
        sub: Option<&'static AttributeDef>,
    },
    /// An attribute offboard does not publish: the operation is ignored.
    Unknown,
}

impl PatchTarget {
    /// Parses a PATCH `path`. A malformed path is `invalidPath`; a malformed value filter
    /// is `invalidFilter` (RFC 7644 §3.12 lists it for PATCH path filters).
    /// A path longer than [`MAX_PATH_LENGTH`] is `invalidPath` before anything else is read.
    pub fn parse(text: &str) -> Result<Self, ScimError> {
        if text.len() > MAX_PATH_LENGTH {
            return Err(ScimError::invalid_path(format!(
                "the path is {} bytes long; offboard parses paths of at most {MAX_PATH_LENGTH} \
                 bytes",
                text.len()
            )));
        }
        let text = text.trim();
        let Some(open) = text.find('[') else {
            let name = AttrName::parse(text).map_err(ScimError::invalid_path)?;
            return Ok(match resolve(&name) {
                Resolved::Attribute(p) => Self::Attribute {
                    schema: p.schema,
                    attr: p.attr,
                    filter: None,
                    sub: p.sub,
                },
                Resolved::Extension(s) => Self::Extension(s),
                Resolved::Unknown => Self::Unknown,
            });
        };
        let close = closing_bracket(text, open).ok_or_else(|| {
            ScimError::invalid_path(format!(
                "`{}`: the value filter opened with [ is not closed with ]",
                truncate(text)
            ))
        })?;
        let name = AttrName::parse(&text[..open]).map_err(ScimError::invalid_path)?;
        if name.sub.is_some() || name.name.is_empty() {
            return Err(ScimError::invalid_path(format!(
                "`{}`: a value filter follows a multi-valued attribute, as in \
                 emails[type eq \"work\"].value",
                truncate(text)
            )));
        }
        let filter = Filter::parse(&text[open + 1..close])?;
        let rest = &text[close + 1..];
        let sub_name = if rest.is_empty() {
            None
        } else {
            match rest.strip_prefix('.') {
                Some(s) if is_attr_name(s) => Some(s),
                _ => {
                    return Err(ScimError::invalid_path(format!(
                        "`{}`: after the value filter only a sub-attribute may follow, as in \
                         emails[type eq \"work\"].value",
                        truncate(text)
                    )));
                }
            }
        };
        let Resolved::Attribute(p) = resolve(&name) else {
            return Ok(Self::Unknown);
        };
        if !p.attr.is_multi_complex() {
            return Err(ScimError::invalid_path(format!(
                "`{}`: a value filter applies only to a multi-valued complex attribute such as \
                 emails",
                truncate(text)
            )));
        }
        let sub = match sub_name {
            Some(s) => match p.attr.sub_attribute(s) {
                Some(sub) => Some(sub),
                None => return Ok(Self::Unknown),
            },
            None => None,
        };
        Ok(Self::Attribute {
            schema: p.schema,
            attr: p.attr,
            filter: Some(filter),
            sub,
        })
    }
}

/// The index of the `]` that closes the `[` at `open`, skipping quoted strings.
fn closing_bracket(text: &str, open: usize) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip_while(|(i, _)| *i <= open) {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ']' {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};

    #[test]
    fn parses_plain_dotted_and_qualified_paths() {
        assert_eq!(
            AttrName::parse("name.givenName").unwrap(),
            AttrName {
                urn: None,
                name: "name".into(),
                sub: Some("givenName".into())
            }
        );
        let q = AttrName::parse(&format!("{ENTERPRISE_USER_SCHEMA}:employeeNumber")).unwrap();
        assert_eq!(q.urn.as_deref(), Some(ENTERPRISE_USER_SCHEMA));
        assert_eq!(q.name, "employeeNumber");
        // Known URNs match whatever their case, and keep their dots.
        let lower = AttrName::parse(&format!("{}:userName", USER_SCHEMA.to_lowercase())).unwrap();
        assert_eq!(lower.urn.as_deref(), Some(USER_SCHEMA));
        let bare = AttrName::parse(ENTERPRISE_USER_SCHEMA).unwrap();
        assert_eq!(bare.name, "");
        // An unknown URN ends at its last colon.
        let custom = AttrName::parse("urn:acme:scim:1.0:User:badge").unwrap();
        assert_eq!(custom.urn.as_deref(), Some("urn:acme:scim:1.0:User"));
        assert_eq!(custom.name, "badge");
        assert!(AttrName::parse("").is_err());
        assert!(AttrName::parse("1abc").is_err());
        assert!(AttrName::parse("name.given.more").is_err());
        assert!(AttrName::parse("user name").is_err());
    }

    #[test]
    fn resolves_against_offboards_schema() {
        let Resolved::Attribute(p) = resolve_text("NAME.GIVENNAME").unwrap() else {
            panic!("expected an attribute")
        };
        assert_eq!(
            (p.attr.name, p.sub.map(|s| s.name)),
            ("name", Some("givenName"))
        );
        let Resolved::Attribute(p) =
            resolve_text(&format!("{ENTERPRISE_USER_SCHEMA}:employeenumber")).unwrap()
        else {
            panic!("expected an attribute")
        };
        assert_eq!(p.schema, SchemaId::EnterpriseUser);
        assert_eq!(p.attr.name, "employeeNumber");
        assert_eq!(
            resolve_text(ENTERPRISE_USER_SCHEMA).unwrap(),
            Resolved::Extension(SchemaId::EnterpriseUser)
        );
        assert_eq!(resolve_text("title").unwrap(), Resolved::Unknown);
        assert_eq!(resolve_text("name.middleName").unwrap(), Resolved::Unknown);
        assert_eq!(
            resolve_text("urn:acme:scim:1.0:User:badge").unwrap(),
            Resolved::Unknown
        );
        assert_eq!(
            resolve_text(&format!("{ENTERPRISE_USER_SCHEMA}:userName")).unwrap(),
            Resolved::Unknown
        );
    }

    #[test]
    fn a_multibyte_character_near_the_start_is_refused_not_a_panic() {
        // Found by schemathesis: slicing the first four bytes split a character.
        assert!(AttrName::parse("\u{10a7}e").is_err());
        assert!(AttrName::parse("ur\u{e9}:x").is_err());
    }

    #[test]
    fn parses_patch_paths_with_value_filters() {
        let t = PatchTarget::parse(r#"emails[type eq "work"].value"#).unwrap();
        let PatchTarget::Attribute {
            attr, filter, sub, ..
        } = t
        else {
            panic!("expected an attribute target")
        };
        assert_eq!(attr.name, "emails");
        assert!(filter.is_some());
        assert_eq!(sub.map(|s| s.name), Some("value"));
        // A bracket inside a quoted string does not close the filter.
        assert!(matches!(
            PatchTarget::parse(r#"emails[value eq "a]b"]"#).unwrap(),
            PatchTarget::Attribute { sub: None, .. }
        ));
        assert_eq!(
            PatchTarget::parse("phoneNumbers[type eq \"work\"].value").unwrap(),
            PatchTarget::Unknown
        );
        assert_eq!(
            PatchTarget::parse(r#"emails[type eq "work"].display"#).unwrap(),
            PatchTarget::Unknown
        );
        for bad in [
            r#"emails[type eq "work""#,
            r#"emails[type eq "work"]value"#,
            r#"userName[value eq "x"]"#,
            r#"name.givenName[type eq "x"]"#,
            "",
        ] {
            let err = PatchTarget::parse(bad).unwrap_err();
            assert_eq!(
                err.scim_type,
                Some(crate::scim::ScimType::InvalidPath),
                "{bad}"
            );
        }
        let err = PatchTarget::parse(r#"emails[type zz "work"]"#).unwrap_err();
        assert_eq!(err.scim_type, Some(crate::scim::ScimType::InvalidFilter));
    }
}
