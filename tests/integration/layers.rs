//! The source tree's layers (src/lib.rs): a module uses only modules of its own layer or
//! below, and the modules inside one layer do not use each other in a circle (#14). Read
//! from the source, so a new `use` that goes up fails here, naming the file and the edge.

use std::path::Path;

/// Layers from the bottom, as src/lib.rs lists them.
const LAYERS: &[&[&str]] = &[
    &["base"],
    &["git", "scan"],
    &["keys"],
    &["project"],
    &["backend"],
    &["run"],
    &["cli", "commands"],
];

fn rank(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

/// The top-level modules a source file names through `crate::`, comments left out.
fn uses(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::b, c}`: every name at depth 0 of the braces.
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.push(ident(&group[start..j]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(ident(&group[start..j]));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every top-level module of src/ (a folder or a file, not lib.rs or main.rs) and its files.
fn top_modules(src: &Path) -> Vec<(String, Vec<std::path::PathBuf>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut files = Vec::new();
            rust_files(&path, &mut files);
            out.push((name, files));
        } else if path.extension().is_some_and(|e| e == "rs") && name != "lib" && name != "main" {
            out.push((name, vec![path]));
        }
    }
    out.sort();
    out
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let tops = top_modules(&src);
    assert!(tops.len() >= 9, "src/ holds the layers of src/lib.rs");
    for (layer, files) in tops {
        let own = rank(&layer).unwrap_or_else(|| {
            panic!("src/{layer} is in no layer: add it to LAYERS and src/lib.rs")
        });
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for used in uses(&text) {
                let r = rank(&used)
                    .unwrap_or_else(|| panic!("{}: crate::{used} is in no layer", file.display()));
                if r > own {
                    wrong.push(format!("{} uses crate::{used}", file.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "upward edges:\n{}", wrong.join("\n"));
}

/// The second path part of each `crate::<layer>::<module>` a file names (`crate::base::error`
/// gives `error`; `crate::base::{error, output}` gives both).
fn modules_of(text: &str, layer: &str) -> Vec<String> {
    let prefix = format!("crate::{layer}::");
    let mut out = Vec::new();
    for (i, _) in text.match_indices(&prefix) {
        let rest = &text[i + prefix.len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group[..group.find('}').unwrap_or(0)].split(',').collect(),
            None => vec![rest],
        };
        for n in names {
            let n: String = n
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !n.is_empty() && n != "self" {
                out.push(n);
            }
        }
    }
    out
}

#[test]
fn no_cycles_among_the_modules_of_one_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (layer, files) in top_modules(&src) {
        if files.len() < 2 {
            continue;
        }
        let layer = layer.as_str();
        let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            std::collections::BTreeMap::new();
        for file in files {
            let rel = file.strip_prefix(src.join(layer)).unwrap();
            let module = rel.iter().next().unwrap().to_string_lossy();
            let module = module.trim_end_matches(".rs").to_owned();
            let text: String = std::fs::read_to_string(&file)
                .unwrap()
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            let entry = edges.entry(module.clone()).or_default();
            entry.extend(
                modules_of(&text, layer)
                    .into_iter()
                    .filter(|m| *m != module),
            );
        }
        // Depth-first search; a module met again on the current path closes a cycle.
        fn visit(
            m: &str,
            edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut std::collections::BTreeSet<String>,
        ) {
            if let Some(at) = path.iter().position(|p| p == m) {
                panic!("cycle: {} -> {m}", path[at..].join(" -> "));
            }
            if done.contains(m) {
                return;
            }
            path.push(m.to_owned());
            for next in edges.get(m).into_iter().flatten() {
                visit(next, edges, path, done);
            }
            path.pop();
            done.insert(m.to_owned());
        }
        let mut done = std::collections::BTreeSet::new();
        for m in edges.keys() {
            visit(m, &edges, &mut Vec::new(), &mut done);
        }
    }
}

#[test]
fn the_reader_sees_grouped_and_plain_paths() {
    let text = "use crate::base::error::Error; // crate::backend\n\
                use crate::{base::output, keys::{seal, wrap}};\n\
                let x = crate::git::get_config(d);";
    assert_eq!(uses(text), ["base", "base", "keys", "git"]);
    assert_eq!(
        modules_of(
            "use crate::keys::{seal, wrap::Identity}; crate::keys::cache::x",
            "keys"
        ),
        ["seal", "wrap", "cache"]
    );
}
