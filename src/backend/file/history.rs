//! Rekey history: before a pin rolls forward through a rekey chain, the git history of the
//! environment file is searched for a fork (#12).
//!
//! A member removed by `recipients rm` knew the old data key, so they can make a second
//! successor of it with a valid proof, and a machine whose pin is still the old key (a CI
//! job with an old `AISECRETS_TRUST`, a teammate who has not opened the environment since)
//! would follow it. The chain alone cannot tell the two successors apart; history can: the
//! legitimate rekey was committed first. So when the pin moves, every version of the file
//! that git still has (all refs) whose data key this user can open is read, its chain
//! collected, and a link that leaves a key on our path for a *different* successor, with a
//! proof made by someone who knew that key, refuses the new key.
//!
//! What remains: with no git history at hand (a tarball, a shallow clone), with history
//! rewritten so that the legitimate rekey is gone, or against a fork made before the
//! legitimate rekey was ever committed, nothing is found.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use super::EnvFile;
use crate::keys::identity::Keys;
use crate::keys::seal::{self, DataKey};
use crate::keys::wrap;
use crate::project::trust::{self, Link, Pin, Sealed};

/// How many commits touching the file are looked at, newest first.
const MAX_COMMITS: usize = 1000;
/// Versions larger than this are skipped (they would not open anyway).
const MAX_BLOB: usize = 64 << 20;
/// How many data key blocks of history a plugin identity is asked to open: each asks for its
/// PIN or a touch, and anyone who can push may add versions.
pub const MAX_PLUGIN_OPENS: usize = 3;

/// History held more data keys to try than a plugin identity is asked to open
/// ([`MAX_PLUGIN_OPENS`]); the rest were not searched.
#[derive(Debug)]
pub struct NotSearched;

/// A second successor of a key on the path from the pin to the current key.
#[derive(Debug)]
pub struct Fork {
    /// The key both successors come from.
    pub from: String,
    /// The successor history shows.
    pub theirs: String,
    /// The current data key.
    pub ours: String,
    /// A commit that holds a version of the file with it.
    pub commit: String,
}

/// Searches the git history of the file at `path` for a fork of the path `links` (from
/// `pinned` to `file`'s key). `None` when there is none, or no history to search. Each data
/// key block is tried once; with a plugin identity, at most [`MAX_PLUGIN_OPENS`] of them.
///
/// # Errors
/// [`NotSearched`]: history holds more blocks than a plugin identity is asked to open.
pub fn find_fork(
    path: &Path,
    file: &EnvFile,
    keys: &Keys,
    pinned: &Pin,
    links: &[Link],
) -> Result<Option<Fork>, NotSearched> {
    // The key ids on our path, with their verifiers, and each one's successor.
    let mut verifiers: BTreeMap<String, String> = BTreeMap::new();
    verifiers.insert(pinned.key_id.to_ascii_lowercase(), pinned.verifier.clone());
    let mut successor: BTreeMap<String, String> = BTreeMap::new();
    for l in links {
        verifiers.insert(l.to.to_ascii_lowercase(), l.to_verifier.clone());
        successor.insert(l.from.to_ascii_lowercase(), l.to.to_ascii_lowercase());
    }
    let Some(versions) = history(path) else {
        return Ok(None);
    };
    let mut seen_keys: BTreeSet<String> = BTreeSet::new();
    // A block is opened once, whatever key id a version claims for it; the current file's
    // opens to the current key.
    let mut seen_blocks: BTreeSet<String> = BTreeSet::from([file.data_key.clone()]);
    let mut plugin_opens = 0;
    for (commit, bytes) in versions {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        // Most versions hold a key on our path: skip them before parsing the whole file.
        let quick = text
            .lines()
            .find_map(|l| l.strip_prefix("key_id = \""))
            .map(|k| k.trim_end_matches('"').to_ascii_lowercase());
        if quick.is_some_and(|k| verifiers.contains_key(&k) || seen_keys.contains(&k)) {
            continue;
        }
        let Ok(old) = EnvFile::parse(path, text) else {
            continue;
        };
        let kid = old.key_id.to_ascii_lowercase();
        // Keys on our path are held by the people we already follow; only other keys can
        // show another successor. Each such key is opened once.
        if old.project != file.project
            || old.env != file.env
            || verifiers.contains_key(&kid)
            || !seen_keys.insert(kid)
            || !seen_blocks.insert(old.data_key.clone())
        {
            continue;
        }
        // Keys that run no plugin first: only a block they cannot open asks the plugin.
        let key = match wrap::unwrap_data_key(&old.data_key, keys.native()) {
            Ok(key) => key,
            Err(_) if keys.runs_plugin() => {
                if plugin_opens == MAX_PLUGIN_OPENS {
                    return Err(NotSearched);
                }
                plugin_opens += 1;
                match wrap::unwrap_data_key(&old.data_key, keys.identities()) {
                    Ok(key) => key,
                    Err(_) => continue,
                }
            }
            Err(_) => continue,
        };
        if !seal::same_hex(&key.key_id(), &old.key_id) {
            continue;
        }
        if let Some(fork) = fork_in(&old, &key, &verifiers, &successor, &file.key_id) {
            return Ok(Some(Fork { commit, ..fork }));
        }
    }
    Ok(None)
}

/// Where `file`'s rekey chain is sealed, for [`trust::chain()`].
pub(super) fn sealed(file: &EnvFile) -> Sealed<'_> {
    Sealed {
        project: &file.project,
        env: &file.env,
        blob: file.rekeys.as_deref(),
    }
}

/// A link of `old`'s chain that leaves a key on our path for another successor, proven by
/// someone who knew that key.
fn fork_in(
    old: &EnvFile,
    key: &DataKey,
    verifiers: &BTreeMap<String, String>,
    successor: &BTreeMap<String, String>,
    current: &str,
) -> Option<Fork> {
    trust::chain(sealed(old), key).into_iter().find_map(|h| {
        let from = h.from.to_ascii_lowercase();
        let ours = successor.get(&from)?;
        let verifier = verifiers.get(&from)?;
        (!seal::same_hex(ours, &h.to) && trust::link_holds(&h, verifier, &old.project, &old.env))
            .then(|| Fork {
                from: h.from.clone(),
                theirs: h.to.clone(),
                ours: current.to_owned(),
                commit: String::new(),
            })
    })
}

/// Every version of the file at `path` that git has in any ref (newest first, each blob
/// once), with a commit holding it; `None` when git or a repository is not at hand.
fn history(path: &Path) -> Option<Vec<(String, Vec<u8>)>> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
    let name = path.file_name()?;
    let log = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "log",
            "--all",
            "--no-abbrev",
            "--no-renames",
            "--format=%H",
            "--raw",
        ])
        .arg(format!("--max-count={MAX_COMMITS}"))
        .arg("--")
        .arg(name)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let mut blobs: Vec<(String, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut commit = String::new();
    for line in String::from_utf8_lossy(&log.stdout).lines() {
        if let Some(raw) = line.strip_prefix(':') {
            // `:old_mode new_mode old_blob new_blob status\tpath`
            for blob in raw.split_whitespace().skip(2).take(2) {
                if blob.bytes().any(|b| b != b'0') && seen.insert(blob.to_owned()) {
                    blobs.push((commit.clone(), blob.to_owned()));
                }
            }
        } else if line.len() == 40 && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            line.clone_into(&mut commit);
        }
    }
    if blobs.is_empty() {
        return Some(Vec::new());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let ids: String = blobs.iter().map(|(_, b)| format!("{b}\n")).collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(ids.as_bytes());
    });
    let mut out = BufReader::new(child.stdout.take()?);
    let mut versions = Vec::new();
    for (commit, _) in &blobs {
        let mut header = String::new();
        if out.read_line(&mut header).ok()? == 0 {
            break;
        }
        // `<id> blob <size>`, or `<id> missing`.
        let Some(size) = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse::<usize>().ok())
        else {
            continue;
        };
        // The content, then a newline.
        let mut body = (&mut out).take(size as u64 + 1);
        if size > MAX_BLOB {
            std::io::copy(&mut body, &mut std::io::sink()).ok()?;
            continue;
        }
        let mut bytes = Vec::with_capacity(size + 1);
        body.read_to_end(&mut bytes).ok()?;
        bytes.truncate(size);
        versions.push((commit.clone(), bytes));
    }
    let _ = writer.join();
    let _ = child.wait();
    Some(versions)
}
