//! Property tests (proptest) of the parsers that read untrusted text: dotenv import, the
//! encrypted environment file (its canonical fast path and the full TOML parser), and the
//! manifest. The same parsers have fuzz targets in `fuzz/`.

use std::collections::BTreeMap;
use std::path::Path;

use aisecrets::backend::file::format::{self, EnvFile};
use aisecrets::base::dotenv::{self, ExportFormat};
use aisecrets::base::secret::SecretValue;
use aisecrets::keys::seal::DataKey;
use aisecrets::project::manifest;
use proptest::prelude::*;
use zeroize::Zeroizing;

const BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
const END: &str = "-----END AGE ENCRYPTED FILE-----";

/// A valid secret name (letters, digits and `_`, not a digit first, not `AISECRETS_*`).
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,12}".prop_filter("a valid name", |n| {
        aisecrets::base::secret::check_name(n).is_ok()
    })
}

/// Any value a secret may hold: any text without NUL, weighted towards the characters the
/// dotenv writer has to quote or escape.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\\x00]{0,40}",
        "[ a'\"\\\\$#=\\n\\r\\t]{0,20}",
        "[\\x01-\\x7f]{0,30}",
    ]
}

/// Text in the character set of the canonical layout's plain strings, or anything else.
fn header_text() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9+/=:_.@-]{0,20}", "[^\\x00]{0,12}"]
}

fn env_name() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9_-]{0,10}"
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+/=]{0,24}".prop_map(|t| format!("v1:{t}"))
}

fn env_file() -> impl Strategy<Value = EnvFile> {
    (
        (header_text(), env_name(), "[0-9a-f]{32}"),
        prop::collection::vec(header_text(), 0..4),
        prop::collection::vec("[A-Za-z0-9+/=-]{1,64}", 0..4),
        prop::option::of(token()),
        prop::collection::btree_map(name(), token(), 0..6),
        prop::collection::vec(token(), 0..3),
    )
        .prop_map(
            |((project, env, key_id), recipients, body, rekeys, secrets, other)| {
                // Conflicts name existing secrets.
                let conflicts: BTreeMap<String, String> =
                    secrets.keys().cloned().zip(other).collect();
                let mut data_key = format!("{BEGIN}\n");
                for line in body {
                    data_key.push_str(&line);
                    data_key.push('\n');
                }
                data_key.push_str(END);
                data_key.push('\n');
                EnvFile {
                    format: format::FORMAT,
                    mac: None,
                    project,
                    env,
                    key_id,
                    recipients,
                    data_key,
                    rekeys,
                    secrets,
                    conflicts,
                }
            },
        )
}

fn key() -> DataKey {
    DataKey::from_bytes(&[7; 32]).unwrap()
}

/// A rendered file with a few single-character edits: inserted, removed or replaced at
/// random places, from the characters that matter to the two parsers.
fn edited_env_text() -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0..3u8,
        prop::sample::select(vec![
            " ", "\"", "'", "\\", "#", "\n", "\r", "\r\n", "=", "[", "]", ",", "\t", "\u{1}",
            "\u{7f}", "a", "0", "é", "\"\"\"", "<<<<<<<",
        ]),
    );
    (env_file(), prop::collection::vec(edit, 0..4)).prop_map(|(f, edits)| {
        let mut text = f.render(&key());
        for (at, kind, s) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            let next = text[i..].chars().next().map_or(0, char::len_utf8);
            match kind {
                0 => text.insert_str(i, s),
                1 => text.replace_range(i..i + next, ""),
                _ => text.replace_range(i..i + next, s),
            }
        }
        text
    })
}

proptest! {
    #[test]
    fn dotenv_export_then_parse_is_the_identity(
        pairs in prop::collection::btree_map(name(), value(), 0..8)
    ) {
        let values: Vec<(String, SecretValue)> = pairs
            .iter()
            .map(|(n, v)| (n.clone(), SecretValue::new(n, Zeroizing::new(v.clone())).unwrap()))
            .collect();
        let text = dotenv::export(
            ExportFormat::Dotenv,
            values.iter().map(|(n, v)| (n.as_str(), v)),
        )
        .unwrap();
        let back = dotenv::parse(&text, "the export").unwrap();
        let back: BTreeMap<String, String> = back
            .into_iter()
            .map(|(n, v)| (n, v.expose().to_owned()))
            .collect();
        prop_assert_eq!(back, pairs);
    }

    #[test]
    fn dotenv_parse_never_panics(text in "(?s).{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = dotenv::parse(&text, "input");
        let _ = dotenv::parse(&String::from_utf8_lossy(&bytes), "input");
    }

    #[test]
    fn dotenv_parse_never_panics_on_near_dotenv_text(
        lines in prop::collection::vec("(export )?[A-Z_]{1,4}[ ]?=[ ]?[ a'\"\\\\#\\r\\n\\t$]{0,8}", 0..6)
    ) {
        let _ = dotenv::parse(&lines.join("\n"), "input");
    }

    #[test]
    fn env_file_render_then_parse_round_trips(f in env_file()) {
        let text = f.render(&key());
        let back = EnvFile::parse(Path::new("x"), &text).unwrap();
        prop_assert!(back.verify(&key()).is_ok());
        prop_assert_eq!(EnvFile { mac: None, ..back }, f);
    }

    /// Regression (#14): `render` writes the env name into a comment line, so a file whose
    /// env name could hold a line break or a control character rendered into text that no
    /// longer parses (or that gained lines); such a file is now refused when read.
    #[test]
    fn an_env_file_with_a_malformed_env_name_is_refused(f in env_file(), env in "[^\x00]{0,8}") {
        let f = EnvFile { env, ..f };
        let text = f.render(&key());
        let parsed = EnvFile::parse(Path::new("x"), &text);
        prop_assert_eq!(
            parsed.is_ok(),
            aisecrets::base::secret::check_env_name(&f.env).is_ok(),
            "{:?}", parsed.err()
        );
    }

    #[test]
    fn the_fast_path_and_the_toml_parser_agree(text in edited_env_text()) {
        let (fast, full) = format::both_parsers(&text);
        if let Some(fast) = fast {
            prop_assert_eq!(Ok(fast), full, "on {:?}", text);
        }
    }

    #[test]
    fn env_file_parse_never_panics(
        text in prop_oneof!["(?s).{0,300}", edited_env_text()],
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let _ = EnvFile::parse(Path::new("x"), &text);
        let _ = EnvFile::parse(Path::new("x"), &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn manifest_parse_never_panics(
        text in "(?s).{0,200}",
        lines in prop::collection::vec("\\[?[a-z._\"]{0,12}\\]?( = [\"a-z0-9\\[\\]{}, ]{0,12})?", 0..8),
    ) {
        let _ = manifest::parse(Path::new("aisecrets.toml"), &text);
        let _ = manifest::parse(Path::new("aisecrets.toml"), &lines.join("\n"));
    }
}
