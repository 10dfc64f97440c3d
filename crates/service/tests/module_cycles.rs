//! Imports run one way inside a crate, as they do between crates
//! (`crates/cli/tests/production_deps.rs` checks those): no module of `offboard-service` or
//! `offboard-core` may reach itself again by following the other modules it names. Shared
//! types belong in a leaf module, so a loop means a type was put where its first user
//! happened to be.
//!
//! Cargo knows crate edges but not module edges, and no maintained crate answers "which
//! modules of this crate name each other" as a library a test can call (`cargo-modules` is
//! a cargo subcommand built on rust-analyzer, far too heavy for a test and not installed by
//! a newcomer). So this test reads the sources with `syn` (already in the build through
//! the derive macros) and follows every path that names a module of the same crate: `use`
//! trees and qualified paths starting with `crate::`, `super::`, `self::` or a child
//! module's name. One file is one module; code under `#[cfg(test)]` is left out, since a
//! test module naturally reads its parent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module, as its path from the crate root (`["engine", "sla"]`).
type ModPath = Vec<String>;

/// One file of the crate: its module path and the modules it names.
struct Module {
    file: PathBuf,
    ast: syn::File,
    children: BTreeSet<String>,
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// Reads the crate from `src/lib.rs`, following `mod name;` declarations outside tests.
fn load_crate(src: &Path) -> BTreeMap<ModPath, Module> {
    let mut modules = BTreeMap::new();
    load(src, &src.join("lib.rs"), Vec::new(), &mut modules);
    modules
}

fn load(src: &Path, file: &Path, path: ModPath, modules: &mut BTreeMap<ModPath, Module>) {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let ast =
        syn::parse_file(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", file.display()));
    let mut children = BTreeSet::new();
    let mut files = Vec::new();
    for item in &ast.items {
        if let syn::Item::Mod(m) = item {
            if is_cfg_test(&m.attrs) {
                continue;
            }
            children.insert(m.ident.to_string());
            if m.content.is_none() {
                let dir = src.join(path.join("/"));
                let name = m.ident.to_string();
                let candidates = [
                    dir.join(format!("{name}.rs")),
                    dir.join(&name).join("mod.rs"),
                ];
                let found = candidates
                    .iter()
                    .find(|c| c.exists())
                    .unwrap_or_else(|| panic!("module {name} of {} has no file", file.display()));
                files.push((found.clone(), name));
            }
        }
    }
    modules.insert(
        path.clone(),
        Module {
            file: file.strip_prefix(src).unwrap_or(file).to_path_buf(),
            ast,
            children,
        },
    );
    for (child_file, name) in files {
        let mut child = path.clone();
        child.push(name);
        load(src, &child_file, child, modules);
    }
}

/// Collects the absolute paths a module names (as segment lists, not yet cut to a module).
struct Names<'a> {
    here: ModPath,
    children: &'a BTreeSet<String>,
    found: Vec<ModPath>,
}

impl Names<'_> {
    /// Turns a path as written into one from the crate root, if it starts inside the crate.
    fn absolute(&self, segments: &[String]) -> Option<ModPath> {
        let first = segments.first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.here.clone(),
            "super" => {
                let mut base = self.here.clone();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                return Some(base);
            }
            name if self.children.contains(name) => {
                let mut base = self.here.clone();
                base.push(name.to_owned());
                base.extend(segments[1..].iter().cloned());
                return Some(base);
            }
            _ => return None,
        };
        base.extend(segments[1..].iter().cloned());
        Some(base)
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.push_use(prefix, Some(n.ident.to_string())),
            syn::UseTree::Rename(r) => self.push_use(prefix, Some(r.ident.to_string())),
            syn::UseTree::Glob(_) => self.push_use(prefix, None),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    fn push_use(&mut self, prefix: &[String], last: Option<String>) {
        let mut segments = prefix.to_vec();
        // `use super::{self, x}` names the module itself.
        if let Some(last) = last.filter(|l| l != "self") {
            segments.push(last);
        }
        if let Some(path) = self.absolute(&segments) {
            self.found.push(path);
        }
    }
}

impl<'ast> Visit<'ast> for Names<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Type(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            _ => &[],
        };
        if !is_cfg_test(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    /// An inline module (`mod x { .. }`) belongs to its file, but `super` inside it means
    /// the file's own module.
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.here.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.here.pop();
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1
            && let Some(abs) = self.absolute(&segments)
        {
            self.found.push(abs);
        }
        syn::visit::visit_path(self, path);
    }
}

/// The module a path lands in: its longest prefix that is a module of the crate.
fn owner(modules: &BTreeMap<ModPath, Module>, path: &[String]) -> ModPath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains_key(p))
        .unwrap_or_default()
}

/// Every module's edges to the other modules (files) of the crate it names.
fn edges(modules: &BTreeMap<ModPath, Module>) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    modules
        .iter()
        .map(|(here, module)| {
            let mut names = Names {
                here: here.clone(),
                children: &module.children,
                found: Vec::new(),
            };
            names.visit_file(&module.ast);
            let targets = names
                .found
                .iter()
                .map(|p| owner(modules, p))
                .filter(|t| t != here)
                .collect();
            (here.clone(), targets)
        })
        .collect()
}

/// The strongly connected groups of more than one module (Tarjan), each a loop of imports.
fn loops(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    struct State<'g> {
        graph: &'g BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'g ModPath, usize>,
        low: BTreeMap<&'g ModPath, usize>,
        stack: Vec<&'g ModPath>,
        on_stack: BTreeSet<&'g ModPath>,
        found: Vec<Vec<ModPath>>,
    }
    fn connect<'g>(s: &mut State<'g>, v: &'g ModPath) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                connect(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.clone());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.found.push(group);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            connect(&mut s, v);
        }
    }
    s.found
}

/// Fails with every loop in the crate under `src`, naming the files and who imports whom.
fn assert_one_way(src: &Path) {
    let modules = load_crate(src);
    let graph = edges(&modules);
    let loops = loops(&graph);
    let mut report = String::new();
    for group in &loops {
        let members: BTreeSet<&ModPath> = group.iter().collect();
        report.push_str(&format!("\nloop of {} modules:\n", group.len()));
        for m in group {
            let into: Vec<String> = graph[m]
                .iter()
                .filter(|t| members.contains(t))
                .map(|t| modules[t].file.display().to_string())
                .collect();
            report.push_str(&format!(
                "  {} imports {}\n",
                modules[m].file.display(),
                into.join(", ")
            ));
        }
    }
    assert!(
        loops.is_empty(),
        "modules of {} import each other in a loop; move the shared types into a leaf module:{report}",
        src.display()
    );
}

#[test]
fn the_service_modules_import_one_way() {
    assert_one_way(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

#[test]
fn the_core_modules_import_one_way() {
    assert_one_way(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src"));
}

/// The scanner itself sees a loop when there is one: the two core modules in the sample
/// name each other.
#[test]
fn a_loop_is_found() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let src = dir.path();
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\npub mod c;\n").expect("write");
    std::fs::write(src.join("a.rs"), "use crate::b::B;\npub struct A(B);\n").expect("write");
    std::fs::write(
        src.join("b.rs"),
        "pub struct B;\npub fn f() -> super::a::A { todo!() }\n",
    )
    .expect("write");
    std::fs::write(
        src.join("c.rs"),
        "#[cfg(test)]\nmod tests { use crate::a::A; }\npub fn g() {}\n",
    )
    .expect("write");
    let loops = loops(&edges(&load_crate(src)));
    assert_eq!(
        loops,
        vec![vec![vec!["a".to_owned()], vec!["b".to_owned()]]]
    );
}
