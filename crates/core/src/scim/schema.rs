//! The schemas offboard publishes at `/Schemas` (RFC 7643 §7), and the rules every read and
//! write follows from them.
//!
//! The schema is deliberately small: only what offboard needs to identify a leaver and to
//! know when and why they leave. Identity providers send far more (titles, phone numbers,
//! addresses, managers): attributes offboard does not publish are accepted and dropped, so a
//! default attribute mapping in Entra ID or Okta works, and a deactivation that arrives
//! together with such attributes is never refused because of them.
//!
//! | Schema | Attributes |
//! |---|---|
//! | core User | `userName` (required, unique, case-insensitive), `name` {`formatted`, `familyName`, `givenName`}, `displayName`, `emails` [{`value`, `type`, `primary`}], `active` |
//! | enterprise User | `employeeNumber` |
//! | offboard User | `terminationDateTime` (dateTime), `terminationKind` (string) |
//!
//! The common attributes `id`, `externalId` and `meta` (RFC 7643 §3.1) belong to every
//! resource and to no schema; they are known here so that paths and projections can name
//! them, but they are not listed among the User schema's attributes.

use serde_json::{Map, Value, json};

use super::urn::{ENTERPRISE_USER_SCHEMA, OFFBOARD_USER_SCHEMA, SCHEMA_SCHEMA, USER_SCHEMA};

/// An attribute's data type (RFC 7643 §2.3); only the types offboard's schema uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// A JSON string.
    String,
    /// `true` or `false`.
    Boolean,
    /// An xsd:dateTime (RFC 7643 §2.3.5) as a JSON string; offboard requires a UTC offset.
    DateTime,
    /// An object with sub-attributes.
    Complex,
}

impl AttrType {
    /// The name used in schema documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::DateTime => "dateTime",
            Self::Complex => "complex",
        }
    }
}

/// When a client may write an attribute (RFC 7643 §7, `mutability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Assigned by offboard; ignored in POST and PUT bodies, refused in PATCH.
    ReadOnly,
    /// Written freely by the client.
    ReadWrite,
}

impl Mutability {
    /// The keyword used in schema documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "readOnly",
            Self::ReadWrite => "readWrite",
        }
    }
}

/// When an attribute appears in responses (RFC 7643 §7, `returned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Always, whatever `attributes` or `excludedAttributes` say (`id`).
    Always,
    /// Unless excluded.
    Default,
}

impl Returned {
    /// The keyword used in schema documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Default => "default",
        }
    }
}

/// How offboard enforces unique values (RFC 7643 §7, `uniqueness`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    /// No constraint.
    None,
    /// Unique among offboard's users.
    Server,
}

impl Uniqueness {
    /// The keyword used in schema documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Server => "server",
        }
    }
}

/// One attribute's definition, as published in a Schema resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    /// The attribute name as offboard spells it (clients may use any case).
    pub name: &'static str,
    /// The data type.
    pub kind: AttrType,
    /// Whether the value is an array.
    pub multi_valued: bool,
    /// Whether a POST or PUT must carry it.
    pub required: bool,
    /// Whether string comparisons respect case.
    pub case_exact: bool,
    /// Who may write it.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// How uniqueness is enforced.
    pub uniqueness: Uniqueness,
    /// What it means.
    pub description: &'static str,
    /// Suggested values (RFC 7643 §7, `canonicalValues`); other values are accepted.
    pub canonical_values: &'static [&'static str],
    /// The sub-attributes of a complex attribute.
    pub sub_attributes: &'static [AttributeDef],
}

impl AttributeDef {
    const fn simple(name: &'static str, kind: AttrType, description: &'static str) -> Self {
        Self {
            name,
            kind,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            description,
            canonical_values: &[],
            sub_attributes: &[],
        }
    }

    const fn string(name: &'static str, description: &'static str) -> Self {
        Self::simple(name, AttrType::String, description)
    }

    const fn boolean(name: &'static str, description: &'static str) -> Self {
        Self::simple(name, AttrType::Boolean, description)
    }

    const fn date_time(name: &'static str, description: &'static str) -> Self {
        Self::simple(name, AttrType::DateTime, description)
    }

    const fn complex(
        name: &'static str,
        description: &'static str,
        sub_attributes: &'static [AttributeDef],
    ) -> Self {
        Self {
            sub_attributes,
            ..Self::simple(name, AttrType::Complex, description)
        }
    }

    const fn multi(self) -> Self {
        Self {
            multi_valued: true,
            ..self
        }
    }

    const fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    const fn case_exact(self) -> Self {
        Self {
            case_exact: true,
            ..self
        }
    }

    const fn read_only(self) -> Self {
        Self {
            mutability: Mutability::ReadOnly,
            ..self
        }
    }

    const fn always(self) -> Self {
        Self {
            returned: Returned::Always,
            ..self
        }
    }

    const fn unique(self) -> Self {
        Self {
            uniqueness: Uniqueness::Server,
            ..self
        }
    }

    const fn canonical(self, canonical_values: &'static [&'static str]) -> Self {
        Self {
            canonical_values,
            ..self
        }
    }

    /// The sub-attribute `name` (any case) of a complex attribute.
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        let subs: &'static [AttributeDef] = self.sub_attributes;
        subs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Whether the attribute is complex and multi-valued (like `emails`), the only kind a
    /// value filter (`emails[type eq "work"]`) applies to.
    pub fn is_multi_complex(&self) -> bool {
        self.multi_valued && self.kind == AttrType::Complex
    }

    /// The attribute's definition as a Schema resource lists it (RFC 7643 §7).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("name".into(), json!(self.name));
        out.insert("type".into(), json!(self.kind.as_str()));
        out.insert("multiValued".into(), json!(self.multi_valued));
        out.insert("description".into(), json!(self.description));
        out.insert("required".into(), json!(self.required));
        out.insert("caseExact".into(), json!(self.case_exact));
        out.insert("mutability".into(), json!(self.mutability.as_str()));
        out.insert("returned".into(), json!(self.returned.as_str()));
        out.insert("uniqueness".into(), json!(self.uniqueness.as_str()));
        if !self.canonical_values.is_empty() {
            out.insert("canonicalValues".into(), json!(self.canonical_values));
        }
        if self.kind == AttrType::Complex {
            let subs: Vec<Value> = self.sub_attributes.iter().map(Self::to_json).collect();
            out.insert("subAttributes".into(), Value::Array(subs));
        }
        Value::Object(out)
    }
}

const NAME_SUB_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string(
        "formatted",
        "The full name, formatted for display (e.g. 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "familyName",
        "The family name (last name in most Western languages).",
    ),
    AttributeDef::string(
        "givenName",
        "The given name (first name in most Western languages).",
    ),
];

const EMAIL_SUB_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string(
        "value",
        "The email address. offboard resolves the leaver by the primary or work address.",
    ),
    AttributeDef::string(
        "type",
        "What the address is for: 'work', 'home' or 'other'.",
    )
    .canonical(&["work", "home", "other"]),
    AttributeDef::boolean(
        "primary",
        "Whether this is the person's primary address; at most one address is primary.",
    ),
];

/// The core User attributes offboard publishes (a subset of RFC 7643 §4.1).
pub const USER_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string(
        "userName",
        "Unique identifier for the user, typically the user principal name (name@domain); \
         offboard resolves the leaver by it when it has that form.",
    )
    .required()
    .unique(),
    AttributeDef::complex(
        "name",
        "The components of the user's name.",
        NAME_SUB_ATTRIBUTES,
    ),
    AttributeDef::string("displayName", "The name of the user, suitable for display."),
    AttributeDef::complex(
        "emails",
        "Email addresses for the user.",
        EMAIL_SUB_ATTRIBUTES,
    )
    .multi(),
    AttributeDef::boolean(
        "active",
        "The user's administrative status. Setting it to false (or deleting the user) tells \
         offboard the person is leaving and opens a termination case; setting it back to true \
         before the termination takes effect cancels that case.",
    ),
];

const META_SUB_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string("resourceType", "The resource type, 'User'.")
        .read_only()
        .case_exact(),
    AttributeDef::date_time("created", "When offboard first stored the resource.").read_only(),
    AttributeDef::date_time("lastModified", "When offboard last changed the resource.").read_only(),
    AttributeDef::string("location", "The URI of the resource.")
        .read_only()
        .case_exact(),
    AttributeDef::string("version", "The resource's version, the same as its ETag.")
        .read_only()
        .case_exact(),
];

/// The common attributes of every resource (RFC 7643 §3.1). Not part of any published schema.
pub const COMMON_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string("id", "offboard's identifier for the resource.")
        .read_only()
        .always()
        .case_exact()
        .unique(),
    AttributeDef::string(
        "externalId",
        "The provisioning client's identifier for the resource.",
    )
    .case_exact(),
    AttributeDef::complex("meta", "Resource metadata.", META_SUB_ATTRIBUTES).read_only(),
];

/// The enterprise User extension's attributes offboard publishes (RFC 7643 §4.3).
pub const ENTERPRISE_USER_ATTRIBUTES: &[AttributeDef] = &[AttributeDef::string(
    "employeeNumber",
    "The person's number in HR (Entra ID employeeId); offboard resolves the leaver by it \
     first.",
)];

/// The termination kinds `terminationKind` suggests (the names the case API uses).
pub const TERMINATION_KINDS: &[&str] = &[
    "voluntary",
    "involuntary",
    "for_cause",
    "retirement",
    "contract_end",
    "death",
    "unspecified",
];

/// offboard's User extension attributes.
pub const OFFBOARD_USER_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::date_time(
        "terminationDateTime",
        "When the person's access must go, as an xsd:dateTime with a UTC offset \
         (e.g. 2026-11-30T17:00:00-05:00). When the user is deactivated and this time is \
         still ahead, the termination is scheduled for it; otherwise it takes effect at once.",
    ),
    AttributeDef::string(
        "terminationKind",
        "Why the person leaves: voluntary, involuntary, for_cause, retirement, contract_end \
         or death. Involuntary and for-cause terminations take effect at once; other values \
         are recorded as unspecified.",
    )
    .canonical(TERMINATION_KINDS),
];

/// A Schema resource offboard publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaDef {
    /// The schema URN.
    pub id: &'static str,
    /// A short human name.
    pub name: &'static str,
    /// What the schema is for.
    pub description: &'static str,
    /// Its attributes.
    pub attributes: &'static [AttributeDef],
}

const USER: SchemaDef = SchemaDef {
    id: USER_SCHEMA,
    name: "User",
    description: "A person the identity provider provisions into offboard.",
    attributes: USER_ATTRIBUTES,
};

const ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User extension (RFC 7643 §4.3): the employee number offboard \
                  resolves the leaver by.",
    attributes: ENTERPRISE_USER_ATTRIBUTES,
};

const OFFBOARD_USER: SchemaDef = SchemaDef {
    id: OFFBOARD_USER_SCHEMA,
    name: "OffboardUser",
    description: "offboard's User extension: when and why the person leaves, read when the \
                  user is deactivated.",
    attributes: OFFBOARD_USER_ATTRIBUTES,
};

/// The schemas a User resource is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaId {
    /// The core User schema; its attributes sit at the top level of the resource.
    User,
    /// The enterprise extension; its attributes sit under its URN.
    EnterpriseUser,
    /// offboard's extension; its attributes sit under its URN.
    OffboardUser,
}

impl SchemaId {
    /// Every schema, core first.
    pub const ALL: [SchemaId; 3] = [Self::User, Self::EnterpriseUser, Self::OffboardUser];

    /// The extensions, in the order `schemas` lists them.
    pub const EXTENSIONS: [SchemaId; 2] = [Self::EnterpriseUser, Self::OffboardUser];

    /// The schema's URN.
    pub fn urn(self) -> &'static str {
        self.def().id
    }

    /// The schema's definition.
    pub fn def(self) -> &'static SchemaDef {
        match self {
            Self::User => &USER,
            Self::EnterpriseUser => &ENTERPRISE_USER,
            Self::OffboardUser => &OFFBOARD_USER,
        }
    }

    /// The schema with this URN (compared without regard to case).
    pub fn from_urn(urn: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.urn().eq_ignore_ascii_case(urn))
    }

    /// Whether the schema is an extension (attributes under its URN).
    pub fn is_extension(self) -> bool {
        self != Self::User
    }

    /// The attribute `name` (any case) of this schema; the core schema also answers for
    /// the common attributes `id`, `externalId` and `meta`.
    pub fn attribute(self, name: &str) -> Option<&'static AttributeDef> {
        let own: &'static [AttributeDef] = self.def().attributes;
        let common: &'static [AttributeDef] = if self == Self::User {
            COMMON_ATTRIBUTES
        } else {
            &[]
        };
        own.iter()
            .chain(common.iter())
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The Schema resource (RFC 7643 §7) with its `meta.location` under `base_url`.
    pub fn to_json(self, base_url: &str) -> Value {
        let def = self.def();
        let attributes: Vec<Value> = def.attributes.iter().map(AttributeDef::to_json).collect();
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": def.id,
            "name": def.name,
            "description": def.description,
            "attributes": attributes,
            "meta": {
                "resourceType": "Schema",
                "location": format!("{}/Schemas/{}", base_url.trim_end_matches('/'), def.id),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::TerminationKind;

    #[test]
    fn lookups_ignore_case_and_know_the_common_attributes() {
        let user_name = SchemaId::User.attribute("USERNAME").unwrap();
        assert_eq!(user_name.name, "userName");
        assert!(user_name.required && !user_name.case_exact);
        assert_eq!(user_name.uniqueness, Uniqueness::Server);
        assert_eq!(
            SchemaId::User.attribute("externalid").unwrap().name,
            "externalId"
        );
        assert_eq!(
            SchemaId::User.attribute("id").unwrap().mutability,
            Mutability::ReadOnly
        );
        assert!(SchemaId::User.attribute("title").is_none());
        assert!(SchemaId::EnterpriseUser.attribute("externalId").is_none());
        let emails = SchemaId::User.attribute("emails").unwrap();
        assert!(emails.is_multi_complex());
        assert_eq!(emails.sub_attribute("PRIMARY").unwrap().name, "primary");
        assert_eq!(
            SchemaId::from_urn("URN:ietf:params:scim:schemas:extension:enterprise:2.0:user"),
            Some(SchemaId::EnterpriseUser)
        );
    }

    #[test]
    fn termination_kinds_are_the_case_api_names() {
        let names: Vec<&str> = TerminationKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, TERMINATION_KINDS);
    }

    #[test]
    fn schema_documents_follow_rfc7643_section_7() {
        let doc = SchemaId::User.to_json("https://h/api/scim/v2/");
        assert_eq!(doc["id"], USER_SCHEMA);
        assert_eq!(
            doc["meta"]["location"],
            format!("https://h/api/scim/v2/Schemas/{USER_SCHEMA}")
        );
        let attrs = doc["attributes"].as_array().unwrap();
        let names: Vec<&str> = attrs.iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            ["userName", "name", "displayName", "emails", "active"]
        );
        let user_name = &attrs[0];
        assert_eq!(user_name["required"], true);
        assert_eq!(user_name["caseExact"], false);
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["mutability"], "readWrite");
        let emails = &attrs[3];
        assert_eq!(emails["multiValued"], true);
        assert_eq!(emails["subAttributes"].as_array().unwrap().len(), 3);
        let off = SchemaId::OffboardUser.to_json("https://h");
        assert_eq!(off["attributes"][0]["type"], "dateTime");
        assert_eq!(
            off["attributes"][1]["canonicalValues"]
                .as_array()
                .unwrap()
                .len(),
            7
        );
    }
}
