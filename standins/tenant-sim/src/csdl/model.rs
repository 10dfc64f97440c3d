//! Microsoft's Graph v1.0 CSDL read into what the check needs: structured types with their
//! properties and navigation properties, entity sets, singletons and bound operations.

use std::collections::{HashMap, HashSet};
use std::io::Read as _;

use quick_xml::events::{BytesStart, Event};

/// The vendored metadata (see `metadata/README.md`).
const METADATA_GZ: &[u8] = include_bytes!("../../metadata/cleanMetadata-v1.0.xml.gz");

/// Why the metadata could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the vendored Graph v1.0 metadata could not be read: {0}")]
pub struct ModelError(String);

/// A type a property, parameter or navigation property refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeRef {
    /// Full name (`microsoft.graph.user`, `Edm.String`).
    pub name: String,
    /// `Collection(…)`.
    pub collection: bool,
}

/// An entity or complex type.
#[derive(Debug, Default)]
pub struct StructType {
    /// Full name of the base type.
    pub base: Option<String>,
    /// Structural properties.
    pub properties: HashMap<String, TypeRef>,
    /// Navigation properties.
    pub navigation: HashMap<String, TypeRef>,
    /// `OpenType="true"` (directory objects, for extension properties).
    pub open: bool,
}

/// A bound action or function.
#[derive(Debug)]
pub struct Operation {
    /// Full name (`microsoft.graph.retire`).
    pub name: String,
    /// Action (POST) rather than function (GET).
    pub is_action: bool,
    /// The type it is bound to.
    pub binding: TypeRef,
    /// Parameter names and types, the binding parameter excluded.
    pub parameters: Vec<(String, TypeRef)>,
    /// What it returns, if anything.
    pub returns: Option<TypeRef>,
}

/// The model: every type, the entity container and the bound operations.
#[derive(Debug, Default)]
pub struct Model {
    /// Entity and complex types by full name.
    pub types: HashMap<String, StructType>,
    /// Enum type names (full).
    pub enums: HashSet<String>,
    /// Entity sets: name → element type.
    pub entity_sets: HashMap<String, String>,
    /// Singletons: name → type.
    pub singletons: HashMap<String, String>,
    /// Bound operations by short name (`retire`).
    pub operations: HashMap<String, Vec<Operation>>,
    /// Each type and every type derived from it, computed once after reading: the check asks
    /// it for every `$select` name of every request, and walking every type's base chain each
    /// time was most of the simulator's CPU in the end-to-end suite.
    descendants: HashMap<String, Vec<String>>,
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| std::str::from_utf8(&a.value).ok().map(str::to_owned))
}

/// What the reader is inside of.
enum Open {
    Type(String),
    Operation(Operation),
    Other,
}

impl Model {
    /// Reads the vendored Graph v1.0 metadata.
    pub fn graph_v1() -> Result<Self, ModelError> {
        let mut xml = String::new();
        flate2::read::GzDecoder::new(METADATA_GZ)
            .read_to_string(&mut xml)
            .map_err(|e| ModelError(e.to_string()))?;
        Self::parse(xml.trim_start_matches('\u{feff}'))
    }

    /// Reads CSDL text.
    pub fn parse(xml: &str) -> Result<Self, ModelError> {
        let mut model = Model::default();
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut namespace = String::new();
        // Aliases of every schema, applied to type references after reading.
        let mut aliases: HashMap<String, String> = HashMap::new();
        let mut stack: Vec<Open> = Vec::new();
        loop {
            let event = reader.read_event().map_err(|e| ModelError(e.to_string()))?;
            let (e, empty) = match &event {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::End(_) => {
                    if let Some(Open::Operation(op)) = stack.pop() {
                        model.add_operation(op);
                    }
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            let local = e.local_name();
            let open = match local.as_ref() {
                b"Schema" => {
                    namespace = attr(e, b"Namespace").unwrap_or_default();
                    if let Some(alias) = attr(e, b"Alias") {
                        aliases.insert(alias, namespace.clone());
                    }
                    Open::Other
                }
                b"EntityType" | b"ComplexType" => {
                    let name = format!("{namespace}.{}", attr(e, b"Name").unwrap_or_default());
                    model.types.insert(
                        name.clone(),
                        StructType {
                            base: attr(e, b"BaseType"),
                            open: attr(e, b"OpenType").as_deref() == Some("true"),
                            ..StructType::default()
                        },
                    );
                    Open::Type(name)
                }
                b"EnumType" => {
                    model.enums.insert(format!(
                        "{namespace}.{}",
                        attr(e, b"Name").unwrap_or_default()
                    ));
                    Open::Other
                }
                b"Property" | b"NavigationProperty" => {
                    if let (Some(Open::Type(owner)), Some(name), Some(ty)) =
                        (stack.last(), attr(e, b"Name"), attr(e, b"Type"))
                        && let Some(t) = model.types.get_mut(owner)
                    {
                        let map = if local.as_ref() == b"Property" {
                            &mut t.properties
                        } else {
                            &mut t.navigation
                        };
                        map.insert(name, type_ref(&ty));
                    }
                    Open::Other
                }
                b"Action" | b"Function" if attr(e, b"IsBound").as_deref() == Some("true") => {
                    Open::Operation(Operation {
                        name: format!("{namespace}.{}", attr(e, b"Name").unwrap_or_default()),
                        is_action: local.as_ref() == b"Action",
                        binding: type_ref(""),
                        parameters: Vec::new(),
                        returns: None,
                    })
                }
                b"Parameter" => {
                    if let (Some(Open::Operation(op)), Some(name), Some(ty)) =
                        (stack.last_mut(), attr(e, b"Name"), attr(e, b"Type"))
                    {
                        // The first parameter of a bound operation is its binding.
                        if op.binding.name.is_empty() {
                            op.binding = type_ref(&ty);
                        } else {
                            op.parameters.push((name, type_ref(&ty)));
                        }
                    }
                    Open::Other
                }
                b"ReturnType" => {
                    if let (Some(Open::Operation(op)), Some(ty)) =
                        (stack.last_mut(), attr(e, b"Type"))
                    {
                        op.returns = Some(type_ref(&ty));
                    }
                    Open::Other
                }
                b"EntitySet" => {
                    if let (Some(name), Some(ty)) = (attr(e, b"Name"), attr(e, b"EntityType")) {
                        model.entity_sets.insert(name, ty);
                    }
                    Open::Other
                }
                b"Singleton" => {
                    if let (Some(name), Some(ty)) = (attr(e, b"Name"), attr(e, b"Type")) {
                        model.singletons.insert(name, ty);
                    }
                    Open::Other
                }
                _ => Open::Other,
            };
            if empty {
                if let Open::Operation(op) = open {
                    model.add_operation(op);
                }
            } else {
                stack.push(open);
            }
        }
        model.resolve_aliases(&aliases);
        model.descendants = model.compute_descendants();
        if !model.entity_sets.contains_key("users") {
            return Err(ModelError("no entity set 'users'".to_owned()));
        }
        Ok(model)
    }

    fn add_operation(&mut self, op: Operation) {
        let short = op.name.rsplit('.').next().unwrap_or_default().to_owned();
        self.operations.entry(short).or_default().push(op);
    }

    fn resolve_aliases(&mut self, aliases: &HashMap<String, String>) {
        let full = |name: &mut String| {
            if let Some((ns, local)) = name.rsplit_once('.')
                && let Some(real) = aliases.get(ns)
            {
                *name = format!("{real}.{local}");
            }
        };
        for t in self.types.values_mut() {
            if let Some(b) = &mut t.base {
                full(b);
            }
            for r in t.properties.values_mut().chain(t.navigation.values_mut()) {
                full(&mut r.name);
            }
        }
        for ops in self.operations.values_mut() {
            for op in ops {
                full(&mut op.binding.name);
                for (_, r) in &mut op.parameters {
                    full(&mut r.name);
                }
                if let Some(r) = &mut op.returns {
                    full(&mut r.name);
                }
            }
        }
        for t in self
            .entity_sets
            .values_mut()
            .chain(self.singletons.values_mut())
        {
            full(t);
        }
    }

    /// `ty` and its base types, nearest first.
    pub fn chain<'m>(&'m self, ty: &str) -> impl Iterator<Item = (&'m str, &'m StructType)> {
        let mut next = self.types.get_key_value(ty);
        std::iter::from_fn(move || {
            let (name, t) = next?;
            next = t.base.as_deref().and_then(|b| self.types.get_key_value(b));
            Some((name.as_str(), t))
        })
    }

    /// Whether `ty` is `base` or derives from it.
    pub fn derives_from(&self, ty: &str, base: &str) -> bool {
        self.chain(ty).any(|(n, _)| n == base)
    }

    /// Every type that is `ty` or derives from it.
    pub fn derived<'m>(&'m self, ty: &'m str) -> impl Iterator<Item = &'m str> {
        self.descendants
            .get(ty)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// For each type, itself and the types deriving from it (each type is added to every type
    /// on its base chain).
    fn compute_descendants(&self) -> HashMap<String, Vec<String>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for ty in self.types.keys() {
            for (ancestor, _) in self.chain(ty) {
                out.entry(ancestor.to_owned()).or_default().push(ty.clone());
            }
        }
        out
    }

    /// A structural property declared on `ty` or a base type.
    pub fn property(&self, ty: &str, name: &str) -> Option<&TypeRef> {
        self.chain(ty).find_map(|(_, t)| t.properties.get(name))
    }

    /// A navigation property declared on `ty` or a base type.
    pub fn navigation(&self, ty: &str, name: &str) -> Option<&TypeRef> {
        self.chain(ty).find_map(|(_, t)| t.navigation.get(name))
    }

    /// Whether `ty` (or a base) is open.
    pub fn is_open(&self, ty: &str) -> bool {
        self.chain(ty).any(|(_, t)| t.open)
    }

    /// The bound operation named `segment` (short or qualified) that applies to `ty`
    /// (or a base), as a collection or not.
    pub fn operation(&self, segment: &str, ty: &str, collection: bool) -> Option<&Operation> {
        let short = segment.rsplit('.').next().unwrap_or(segment);
        self.operations.get(short)?.iter().find(|op| {
            (segment == short || op.name == segment)
                && op.binding.collection == collection
                && self.derives_from(ty, &op.binding.name)
        })
    }
}

fn type_ref(text: &str) -> TypeRef {
    match text
        .strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
    {
        Some(inner) => TypeRef {
            name: inner.to_owned(),
            collection: true,
        },
        None => TypeRef {
            name: text.to_owned(),
            collection: false,
        },
    }
}
