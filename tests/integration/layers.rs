//! The source tree's layers (src/lib.rs): a module uses only modules of its own layer or
//! below. Checked here for the layers that hold it already, `base` and `keys` (#14); the
//! others join the list as their cycles go.

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

#[test]
fn base_and_keys_use_nothing_above_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for layer in ["base", "keys"] {
        let own = rank(layer).unwrap();
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "no files under src/{layer}");
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

#[test]
fn the_reader_sees_grouped_and_plain_paths() {
    let text = "use crate::base::error::Error; // crate::backend\n\
                use crate::{base::output, keys::{seal, wrap}};\n\
                let x = crate::git::get_config(d);";
    assert_eq!(uses(text), ["base", "base", "keys", "git"]);
}
