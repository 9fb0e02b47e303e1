//! An environment in a KV version 2 secret: one key per variable at `<mount>/data/<path>`.
//! Writes are check-and-set on the version read, so two writers never lose each other's
//! change.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::SerializeMap;
use zeroize::Zeroizing;

use super::{Client, VaultDecl};
use crate::error::{Error, Result};
use crate::secret::{self, SecretValue};

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
                .map(|k| format!("`{}`", secret::sanitize(k, 40)))
                .collect();
            crate::output::status(&format!(
                "aisecrets: note: {} also holds {} that {} not a variable name and {} left out: {}",
                decl.location(),
                if names.len() == 1 { "a key" } else { "keys" },
                if names.len() == 1 { "is" } else { "are" },
                if names.len() == 1 { "is" } else { "are" },
                names.join(", ")
            ));
        }
    }
}

/// Reads the environment. A path never written is empty, not an error.
pub fn read(client: &Client, decl: &VaultDecl) -> Result<Snapshot> {
    let api = format!("{}/data/{}", decl.mount, decl.path);
    let reply = client.call(
        "GET",
        &api,
        None,
        &format!("read {}", decl.location()),
        &[404],
    )?;
    let doc: serde_json::Value = if reply.body().is_empty() {
        serde_json::Value::Null
    } else {
        reply.json(&format!("read {}", decl.location()))?
    };
    let data = &doc["data"];
    let metadata = &data["metadata"];
    let version = metadata["version"].as_u64().unwrap_or(0);
    if reply.status == 404 && version == 0 {
        // Either nothing was ever written, or the path is not on a KV v2 mount: a write
        // tells them apart with its own error, so a read just finds nothing.
        if doc
            .get("errors")
            .is_some_and(|e| e.as_array().is_some_and(|a| !a.is_empty()))
        {
            return Err(client
                .http
                .api_error(&format!("read {}", decl.location()), &reply));
        }
    }
    let updated = metadata["created_time"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let mut values = BTreeMap::new();
    let mut other = serde_json::Map::new();
    if let Some(map) = data["data"].as_object() {
        for (k, v) in map {
            if secret::check_name(k).is_err() {
                other.insert(k.clone(), v.clone());
                continue;
            }
            let text = match v {
                serde_json::Value::String(s) => Zeroizing::new(s.clone()),
                other => Zeroizing::new(other.to_string()),
            };
            values.insert(k.clone(), SecretValue::new(k, text)?);
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
    let doc: serde_json::Value = reply.json(&what)?;
    Ok(Written::Version(
        doc["data"]["version"].as_u64().unwrap_or(snap.version + 1),
    ))
}

/// Reads, lets `change` edit the values, and writes them back with check-and-set; if
/// another writer got in between, starts again from their version. `change` returns its
/// result and whether anything changed (nothing is written otherwise).
pub fn update<T>(
    client: &Client,
    decl: &VaultDecl,
    mut change: impl FnMut(&mut BTreeMap<String, SecretValue>) -> Result<(T, bool)>,
) -> Result<(T, u64)> {
    for _ in 0..8 {
        let mut snap = read(client, decl)?;
        let (out, changed) = change(&mut snap.values)?;
        if !changed {
            return Ok((out, snap.version));
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
    Error::NoSuchSecret {
        name: secret::sanitize(name, 64),
        env: env.to_owned(),
        similar: secret::did_you_mean(name, values.keys().map(String::as_str)),
    }
}
