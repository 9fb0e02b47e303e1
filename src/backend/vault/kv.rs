//! An environment in a KV version 2 secret: one key per variable at `<mount>/data/<path>`.
//! Writes are check-and-set on the version read, so two writers never lose each other's
//! change.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::SerializeMap;
use zeroize::Zeroizing;

use super::{Client, VaultDecl, wire};
use crate::base::error::{Error, Result};
use crate::base::secret::{self, SecretValue};

/// The environment as read: its values, and the KV version they come from.
pub struct Snapshot {
    /// Variable name to value.
    pub values: BTreeMap<String, SecretValue>,
    /// Keys of the KV secret that are not variable names: kept as they are on writes.
    pub other: serde_json::Map<String, serde_json::Value>,
    /// The KV version read (0: nothing written yet).
    pub version: u64,
    /// When that version was written (RFC 3339), if any.
    pub updated: Option<String>,
}

impl Snapshot {
    /// Fails when nothing was ever written at the path: for commands that hand the values
    /// on (run, export, pull), a mistyped `path` must not pass for an empty environment.
    pub fn require_written(&self, decl: &VaultDecl, env: &str) -> Result<()> {
        if self.version == 0 {
            return Err(Error::Vault {
                what: format!(
                    "nothing was ever written at {} (environment `{env}`)",
                    decl.location()
                ),
                hint: format!(
                    "check `path` in aisecrets.toml (`bao kv list {}` shows what is there), or add a secret with `aisecrets set NAME --env {env}`",
                    decl.mount
                ),
            });
        }
        Ok(())
    }

    /// The value of `name`, or an error naming the close matches.
    pub fn get(&self, name: &str, env: &str) -> Result<&SecretValue> {
        self.values
            .get(name)
            .ok_or_else(|| missing(name, env, &self.values))
    }

    /// Prints a note about keys that are not variable names (once, on stderr).
    pub fn note_other(&self, decl: &VaultDecl) {
        if !self.other.is_empty() {
            let names: Vec<String> = self
                .other
                .keys()
                .map(|k| format!("`{}`", crate::base::output::sanitize(k, 40)))
                .collect();
            crate::base::output::status(&format!(
                "aisecrets: note: {} also holds {} that aisecrets leaves alone (not a variable name, or not a string value): {}",
                decl.location(),
                if names.len() == 1 { "a key" } else { "keys" },
                names.join(", ")
            ));
        }
    }
}

/// The error for a `mount` with no secrets engine behind it.
fn no_mount(client: &Client, decl: &VaultDecl) -> Error {
    Error::Vault {
        what: format!(
            "no secrets engine is mounted at `{}/` on {}",
            decl.mount,
            client.address()
        ),
        hint: format!(
            "fix `mount` in aisecrets.toml (the mounts: `bao secrets list`), or enable one with `bao secrets enable -path={} kv-v2`",
            decl.mount
        ),
    }
}

/// Checks that `mount` is a KV version 2 engine, as `vault kv` does, before a write (a
/// KV v1 mount would store the request body as a secret of its own) and when a read
/// finds nothing. Says nothing when the token may not ask.
fn check_kv2(client: &Client, decl: &VaultDecl) -> Result<()> {
    let api = format!("sys/internal/ui/mounts/{}/{}", decl.mount, decl.path);
    let Ok(reply) = client.http.call("GET", &api, Some(&client.token), None) else {
        return Ok(());
    };
    if reply.status == 404 || (reply.status == 400 && reply.errors().contains("no mount")) {
        return Err(no_mount(client, decl));
    }
    if !reply.is_success() {
        return Ok(());
    }
    // An answer that does not say `kv` version 2 refuses the write, as it did before the
    // reply was typed (#14): one that does not parse is no engine aisecrets knows.
    let mount = serde_json::from_slice::<wire::Mount>(reply.body()).ok();
    let kind = mount.as_ref().map_or("", |m| m.data.kind.as_str());
    let version = mount
        .as_ref()
        .and_then(|m| m.data.options.as_ref())
        .and_then(|o| o.get("version"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("1");
    if kind != "kv" || version != "2" {
        return Err(Error::Vault {
            what: format!(
                "`{}/` on {} is {}, and aisecrets needs a KV version 2 engine",
                decl.mount,
                client.address(),
                if kind == "kv" {
                    "a KV version 1 engine".to_owned()
                } else {
                    format!("a `{}` engine", crate::base::output::sanitize(kind, 40))
                }
            ),
            hint: format!(
                "upgrade it (`bao kv enable-versioning {}`) or point `mount` at a kv-v2 engine; nothing was written",
                decl.mount
            ),
        });
    }
    Ok(())
}

/// Reads the environment. A path never written is empty, not an error; a latest version
/// that was deleted is an error (silently starting from nothing would lose the others).
pub fn read(client: &Client, decl: &VaultDecl) -> Result<Snapshot> {
    let api = format!("{}/data/{}", decl.mount, decl.path);
    let what = format!("read {}", decl.location());
    let reply = client.call("GET", &api, None, &what, &[404])?;
    let doc: wire::KvRead = if reply.body().is_empty() {
        wire::KvRead::default()
    } else {
        reply.json(&what)?
    };
    let data = doc.data.unwrap_or_default();
    let metadata = data.metadata.unwrap_or_default();
    let version = metadata.version;
    if reply.status == 404 && version == 0 {
        // Nothing written yet, or no such mount, or not a KV v2 mount at all.
        if reply.errors().contains("no handler for route") {
            return Err(no_mount(client, decl));
        }
        check_kv2(client, decl)?;
    }
    drop(reply);
    let deleted = metadata.deletion_time.as_deref().filter(|t| !t.is_empty());
    if version > 0 && (deleted.is_some() || metadata.destroyed) {
        return Err(Error::Vault {
            what: format!(
                "the latest version ({version}) of {} was {} {}",
                decl.location(),
                if metadata.destroyed {
                    "destroyed"
                } else {
                    "deleted"
                },
                deleted
                    .map(|t| format!("at {}", crate::base::output::sanitize(t, 40)))
                    .unwrap_or_default()
            ),
            hint: format!(
                "restore it with `bao kv undelete -versions={version} {}`, or roll back with `bao kv rollback -version=N {}`; nothing was used or changed",
                decl.location(),
                decl.location()
            ),
        });
    }
    let updated = metadata.created_time.filter(|s| !s.is_empty());
    let mut values = BTreeMap::new();
    let mut other = serde_json::Map::new();
    for (k, v) in data.data.unwrap_or_default() {
        // Only strings that are valid values under valid names are ours (moved, not
        // copied); anything else (numbers, objects, other keys) is left exactly as it is.
        match v {
            wire::Field::Text(s)
                if secret::check_name(&k).is_ok()
                    && s.len() <= secret::MAX_VALUE_LEN
                    && !s.contains('\0') =>
            {
                let value = SecretValue::new(&k, s)?;
                values.insert(k, value);
            }
            // Kept as it is on writes, so this copy (not aisecrets' value: a key that is not
            // a variable name, or text no variable can hold) is not wiped.
            wire::Field::Text(s) => {
                other.insert(k, serde_json::Value::String(s.as_str().to_owned()));
            }
            wire::Field::Other(v) => {
                other.insert(k, v);
            }
        }
    }
    Ok(Snapshot {
        values,
        other,
        version,
        updated,
    })
}

/// The `data` object of a write, serialised straight from the values.
struct Data<'a>(&'a Snapshot);

impl Serialize for Data<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.values.len() + self.0.other.len()))?;
        for (k, v) in &self.0.other {
            m.serialize_entry(k, v)?;
        }
        for (k, v) in &self.0.values {
            m.serialize_entry(k, v.expose())?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct Options {
    cas: u64,
}

#[derive(Serialize)]
struct Write<'a> {
    options: Options,
    data: Data<'a>,
}

/// The outcome of a check-and-set write.
enum Written {
    Version(u64),
    Raced,
}

fn write(client: &Client, decl: &VaultDecl, snap: &Snapshot) -> Result<Written> {
    let body = Zeroizing::new(
        serde_json::to_vec(&Write {
            options: Options { cas: snap.version },
            data: Data(snap),
        })
        .map_err(|_| Error::Failed("could not encode the values for Vault".into()))?,
    );
    let api = format!("{}/data/{}", decl.mount, decl.path);
    let what = format!("write {}", decl.location());
    let reply = client.call("POST", &api, Some(&body), &what, &[400])?;
    if reply.status == 400 {
        if reply.errors().contains("check-and-set") {
            return Ok(Written::Raced);
        }
        return Err(client.http.api_error(&what, &reply));
    }
    let version = reply
        .json::<wire::KvWritten>(&what)
        .map_or(snap.version + 1, |w| w.data.version);
    Ok(Written::Version(version))
}

/// Reads, lets `change` edit the values, and writes them back with check-and-set; if
/// another writer got in between, starts again from their version. `change` returns its
/// result and whether anything changed (nothing is written otherwise).
pub fn update<T>(
    client: &Client,
    decl: &VaultDecl,
    mut change: impl FnMut(&mut BTreeMap<String, SecretValue>) -> Result<(T, bool)>,
) -> Result<(T, u64)> {
    check_kv2(client, decl)?;
    for _ in 0..8 {
        let mut snap = read(client, decl)?;
        let (out, changed) = change(&mut snap.values)?;
        if !changed {
            return Ok((out, snap.version));
        }
        // Names now set by aisecrets replace whatever non-string value they had.
        for k in snap.values.keys() {
            snap.other.remove(k);
        }
        match write(client, decl, &snap)? {
            Written::Version(v) => return Ok((out, v)),
            Written::Raced => {}
        }
    }
    Err(Error::Vault {
        what: format!(
            "{} kept changing while aisecrets was writing it",
            decl.location()
        ),
        hint: "retry in a moment; nothing of this change was written".into(),
    })
}

/// The error for a name that is not in `values`.
pub fn missing(name: &str, env: &str, values: &BTreeMap<String, SecretValue>) -> Error {
    Error::no_such_secret(name, env, values.keys().map(String::as_str))
}
