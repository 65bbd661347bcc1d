//! The code's structure, checked: imports flow one way (no two modules of a crate import each
//! other, directly or round a circle; the kiosk's layers point down only), and no function
//! outside tests is longer than MAX_FN_LINES.
//!
//! `cargo test -p bitig-tests --test structure -- --nocapture` prints the import graph's
//! circles (none), the kiosk's layer edges, and the longest functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// The longest a function outside tests may be (lines, signature to closing brace).
const MAX_FN_LINES: usize = 120;

/// The workspace's crates whose modules are checked.
const CRATES: &[&str] = &[
    "firmware/format",
    "firmware/render",
    "firmware/io",
    "firmware/kiosk",
    "tools/typeset",
    "tools/cli",
    "tools/bench",
    "tools/pagebench",
    "tests",
];

/// The kiosk's layers, top down (DESIGN.md: main -> platform -> app -> screens -> content /
/// nav / stats / config -> format / render): a module may import only modules of a lower
/// layer.
const KIOSK_LAYERS: &[(&str, u8)] = &[
    ("soak", 6),
    ("script", 6),
    ("platform", 5),
    ("app", 4),
    ("screens", 3),
    ("content", 2),
    ("nav", 2),
    ("stats", 2),
    ("config", 2),
    ("images", 2),
    ("audio", 2),
    ("notify", 2),
    ("keys", 1),
    ("slide", 1),
    ("clock", 1),
    ("hot", 1),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// A crate's library (or binary) modules: module path ("" for the root) -> file.
fn modules(krate: &Path) -> BTreeMap<String, PathBuf> {
    let src = krate.join("src");
    let lib = src.join("lib.rs");
    let root_file = if lib.exists() {
        lib
    } else {
        src.join("main.rs")
    };
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        if rel.starts_with("bin")
            || (f != root_file && (rel == Path::new("main.rs") || rel == Path::new("lib.rs")))
        {
            continue; // other crate roots
        }
        let mut parts: Vec<String> = rel
            .with_extension("")
            .iter()
            .map(|c| c.to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|l| l == "mod") || f == root_file {
            parts.pop();
        }
        out.insert(parts.join("::"), f);
    }
    out
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        (a.path().is_ident("cfg") || a.path().is_ident("test"))
            && (a.path().is_ident("test")
                || a.meta.require_list().is_ok_and(|l| {
                    let t = l.tokens.to_string();
                    t == "test" || t.starts_with("test,") || t.contains("test)")
                }))
    })
}

/// Collects the modules a file refers to (`crate::`, `super::`, `self::` and child paths).
struct Refs<'m> {
    modules: &'m BTreeMap<String, PathBuf>,
    /// The module the code being read is in (the file's, plus inline modules).
    here: Vec<String>,
    found: BTreeSet<String>,
}

impl Refs<'_> {
    fn resolve(&mut self, segs: &[String]) {
        let mut path: Vec<String> = match segs.first().map(String::as_str) {
            Some("crate") => segs[1..].to_vec(),
            Some("self") => self
                .here
                .iter()
                .cloned()
                .chain(segs[1..].iter().cloned())
                .collect(),
            Some("super") => {
                let mut base = self.here.clone();
                let mut rest = segs;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.into_iter().chain(rest.iter().cloned()).collect()
            }
            Some(first) => {
                let mut child = self.here.clone();
                child.push(first.to_string());
                if !self.modules.contains_key(&child.join("::")) {
                    return; // another crate, or an item in scope
                }
                self.here
                    .iter()
                    .cloned()
                    .chain(segs.iter().cloned())
                    .collect()
            }
            None => return,
        };
        // The longest prefix that is a module with a file of its own.
        while !path.is_empty() {
            let name = path.join("::");
            if self.modules.contains_key(&name) {
                self.found.insert(name);
                return;
            }
            path.pop();
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.resolve(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.resolve(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.resolve(&prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Refs<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_cfg_test(&m.attrs) {
            return;
        }
        self.here.push(m.ident.to_string());
        syn::visit::visit_item_mod(self, m);
        self.here.pop();
    }
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }
    /// `pub(super)` and `pub(in path)` name who may see an item, not what it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}
    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.resolve(&segs);
        syn::visit::visit_path(self, p);
    }
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_cfg_test(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }
}

/// Each module of a crate and the modules it refers to (itself and the root left out).
fn graph(krate: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(krate);
    let mut g = BTreeMap::new();
    for (name, file) in &modules {
        let text = std::fs::read_to_string(file).unwrap();
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut refs = Refs {
            modules: &modules,
            here: if name.is_empty() {
                vec![]
            } else {
                name.split("::").map(String::from).collect()
            },
            found: BTreeSet::new(),
        };
        refs.visit_file(&ast);
        refs.found.remove(name);
        refs.found.remove("");
        g.insert(name.clone(), refs.found);
    }
    g
}

/// The strongly connected components of more than one node (Tarjan).
fn circles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'g> {
        g: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    impl<'g> T<'g> {
        fn visit(&mut self, v: &'g str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on.insert(v);
            for w in self.g.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.g.contains_key(w) {
                    continue;
                }
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let l = self.low[w].min(self.low[v]);
                    self.low.insert(v, l);
                } else if self.on.contains(w) {
                    let l = self.index[w].min(self.low[v]);
                    self.low.insert(v, l);
                }
            }
            if self.low[v] == self.index[v] {
                let mut c = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    c.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if c.len() > 1 {
                    c.sort();
                    self.out.push(c);
                }
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

/// The graph with each module folded into its top-level module.
fn top_level(g: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let top = |m: &str| m.split("::").next().unwrap_or("").to_string();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, refs) in g {
        let e = out.entry(top(m)).or_default();
        for r in refs {
            if top(r) != top(m) {
                e.insert(top(r));
            }
        }
    }
    out
}

/// The edges of `g` between the modules of one circle, to show where to cut it.
fn edges_within(g: &BTreeMap<String, BTreeSet<String>>, circle: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for m in circle {
        for r in g[m].iter().filter(|r| circle.contains(r)) {
            out.push(format!("    {m} -> {r}"));
        }
    }
    out
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let mut found = Vec::new();
    for krate in CRATES {
        let g = graph(&root().join(krate));
        for c in circles(&g) {
            found.push(format!("{krate}: modules {}", c.join(" <-> ")));
            found.extend(edges_within(&g, &c));
        }
        for c in circles(&top_level(&g)) {
            found.push(format!("{krate}: top-level modules {}", c.join(" <-> ")));
        }
    }
    assert!(
        found.is_empty(),
        "circles of imports:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_kiosk_imports_point_down_its_layers() {
    let g = top_level(&graph(&root().join("firmware/kiosk")));
    let rank = |m: &str| KIOSK_LAYERS.iter().find(|l| l.0 == m).map(|l| l.1);
    let mut wrong = Vec::new();
    for (m, refs) in &g {
        if m.is_empty() {
            continue;
        }
        let Some(rm) = rank(m) else {
            wrong.push(format!("{m}: not in KIOSK_LAYERS (give it a layer)"));
            continue;
        };
        for r in refs {
            let rr = rank(r).unwrap_or(0);
            println!("kiosk: {m} ({rm}) -> {r} ({rr})");
            if rr >= rm {
                wrong.push(format!("{m} (layer {rm}) imports {r} (layer {rr})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the kiosk's imports must point down:\n{}",
        wrong.join("\n")
    );
}

/// Every function and method (with a body) outside tests: (lines, file:line name).
fn function_lengths() -> Vec<(usize, String)> {
    struct Fns<'a> {
        file: &'a str,
        out: Vec<(usize, String)>,
    }
    impl Fns<'_> {
        fn add(&mut self, name: &syn::Ident, span: proc_macro2::Span) {
            let (a, b) = (span.start().line, span.end().line);
            self.out
                .push((b - a + 1, format!("{}:{a} {name}", self.file)));
        }
    }
    impl<'ast> Visit<'ast> for Fns<'_> {
        fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
            if !is_cfg_test(&m.attrs) {
                syn::visit::visit_item_mod(self, m);
            }
        }
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            if is_cfg_test(&f.attrs) {
                return;
            }
            use syn::spanned::Spanned;
            self.add(&f.sig.ident, f.span());
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            use syn::spanned::Spanned;
            self.add(&f.sig.ident, f.span());
            syn::visit::visit_impl_item_fn(self, f);
        }
        fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
            use syn::spanned::Spanned;
            if f.default.is_some() {
                self.add(&f.sig.ident, f.span());
            }
        }
    }
    let mut out = Vec::new();
    for krate in CRATES {
        let dir = root().join(krate);
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        files.push(dir.join("build.rs"));
        for f in files.iter().filter(|f| f.exists()) {
            let text = std::fs::read_to_string(f).unwrap();
            let ast = syn::parse_file(&text).unwrap();
            let name = f.strip_prefix(root()).unwrap().display().to_string();
            let mut v = Fns {
                file: &name,
                out: Vec::new(),
            };
            v.visit_file(&ast);
            out.extend(v.out);
        }
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    out
}

#[test]
fn no_function_outside_tests_is_longer_than_the_limit() {
    let fns = function_lengths();
    println!("the longest functions outside tests (lines):");
    for (n, f) in fns.iter().take(15) {
        println!("{n:5}  {f}");
    }
    let long: Vec<String> = fns
        .iter()
        .filter(|f| f.0 > MAX_FN_LINES)
        .map(|(n, f)| format!("{n} lines: {f}"))
        .collect();
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The checks themselves can fail: a circle, a layer pointing up, and a long function are
/// found in made-up code.
#[test]
fn the_checks_see_what_they_look_for() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(circles(&g), [["a", "b", "c"]]);
    let modules: BTreeMap<String, PathBuf> = ["", "x", "x::y", "z"]
        .iter()
        .map(|m| (m.to_string(), PathBuf::new()))
        .collect();
    let code = "use super::z::Thing; pub(super) fn f() { crate::x::y::g(); y::h(); }";
    let mut refs = Refs {
        modules: &modules,
        here: vec!["x".into()],
        found: BTreeSet::new(),
    };
    refs.visit_file(&syn::parse_file(code).unwrap());
    assert_eq!(
        refs.found,
        ["x::y", "z"].iter().map(|s| s.to_string()).collect()
    );
}
