//! The JSON that crosses the Vault edge, as types: request bodies that carry credentials,
//! and the replies that carry tokens and values, each secret in a field that wipes itself
//! (#14). Nothing secret passes through `serde_json::Value`.
//!
//! Copies that remain, and why: serde_json hands a string that has escapes in it to
//! [`zstring`] from its scratch buffer, which it frees without wiping; an unescaped string
//! (every token, and values without `"`, `\` or control characters) is read straight from
//! the reply's bytes, which are wiped with the reply ([`super::http::Reply`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A string read into a wiping buffer of exactly its size.
pub(super) fn zstring<'de, D: Deserializer<'de>>(d: D) -> Result<Zeroizing<String>, D::Error> {
    struct Z;
    impl Visitor<'_> for Z {
        type Value = Zeroizing<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Zeroizing::new(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Zeroizing::new(v))
        }
    }
    d.deserialize_str(Z)
}

/// One field of a KV secret or a lease's `data`: text (ours to use) or anything else,
/// which is kept as it is and never secret to aisecrets.
pub(super) enum Field {
    /// A string, in a wiping buffer.
    Text(Zeroizing<String>),
    /// A number, boolean, null, list or object.
    Other(serde_json::Value),
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct F;
        impl<'de> Visitor<'de> for F {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(Field::Text(Zeroizing::new(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Field, E> {
                Ok(Field::Text(Zeroizing::new(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Field, E> {
                Ok(Field::Other(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Field, E> {
                Ok(Field::Other(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Field, E> {
                Ok(Field::Other(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Field, E> {
                Ok(Field::Other(v.into()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Field, E> {
                Ok(Field::Other(serde_json::Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field, A::Error> {
                serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(Field::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field, A::Error> {
                serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Field::Other)
            }
        }
        d.deserialize_any(F)
    }
}

/// `auth` of a login or a token creation: the new token.
#[derive(Deserialize)]
pub(super) struct Auth {
    #[serde(deserialize_with = "zstring")]
    pub client_token: Zeroizing<String>,
}

/// A reply with `auth` (login, `auth/token/create`).
#[derive(Deserialize)]
pub(super) struct AuthReply {
    pub auth: Auth,
}

/// AppRole login.
#[derive(Serialize)]
pub(super) struct AppRoleLogin<'a> {
    pub role_id: &'a str,
    pub secret_id: &'a str,
}

/// JWT login.
#[derive(Serialize)]
pub(super) struct JwtLogin<'a> {
    pub role: &'a str,
    pub jwt: &'a str,
}

/// Serialises `body` into a wiping buffer sized up front, so that it never grows (a
/// growing buffer leaves its old copies behind unwiped). `secret_len` is the length of
/// the secrets in it: JSON escaping makes a byte at most six.
pub(super) fn body<T: Serialize>(body: &T, secret_len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(secret_len * 6 + 256));
    // Writing to a Vec cannot fail, and these types always serialise.
    let _ = serde_json::to_writer(&mut *out, body);
    out
}

/// GitHub Actions' OIDC token endpoint: `{"value": "<jwt>"}`.
#[derive(Deserialize)]
pub(super) struct Oidc {
    #[serde(deserialize_with = "zstring")]
    pub value: Zeroizing<String>,
}

/// A leased secret: `GET database/creds/ROLE`.
#[derive(Deserialize)]
pub(super) struct Leased {
    #[serde(default)]
    pub lease_id: String,
    #[serde(default)]
    pub lease_duration: u64,
    #[serde(default)]
    pub renewable: bool,
    #[serde(default)]
    pub data: BTreeMap<String, Field>,
}

/// `sys/leases/renew`.
#[derive(Deserialize)]
pub(super) struct Renewed {
    #[serde(default)]
    pub lease_duration: u64,
}

/// `auth/token/lookup-self`: the policies only.
#[derive(Deserialize)]
pub(super) struct Lookup {
    pub data: LookupData,
}

/// The `data` of a token lookup.
#[derive(Deserialize)]
pub(super) struct LookupData {
    #[serde(default)]
    pub policies: Vec<String>,
}

/// A KV version 2 read: `{"data": {"data": {...}, "metadata": {...}}}`; any part may be
/// missing or null (a path never written, a deleted version).
#[derive(Deserialize, Default)]
pub(super) struct KvRead {
    #[serde(default)]
    pub data: Option<KvData>,
}

/// The `data` of a KV read.
#[derive(Deserialize, Default)]
pub(super) struct KvData {
    #[serde(default)]
    pub data: Option<BTreeMap<String, Field>>,
    #[serde(default)]
    pub metadata: Option<KvMetadata>,
}

/// A KV version's metadata.
#[derive(Deserialize, Default)]
pub(super) struct KvMetadata {
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub created_time: Option<String>,
    #[serde(default)]
    pub deletion_time: Option<String>,
    #[serde(default)]
    pub destroyed: bool,
}

/// A KV write's reply: the new version.
#[derive(Deserialize)]
pub(super) struct KvWritten {
    pub data: KvVersion,
}

/// The version of a KV write.
#[derive(Deserialize)]
pub(super) struct KvVersion {
    pub version: u64,
}

/// `sys/internal/ui/mounts/PATH`: the engine's type and options.
#[derive(Deserialize)]
pub(super) struct Mount {
    pub data: MountData,
}

/// The `data` of a mount lookup.
#[derive(Deserialize)]
pub(super) struct MountData {
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Any JSON: only a string `version` counts (as before the reply was typed).
    #[serde(default)]
    pub options: Option<BTreeMap<String, serde_json::Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kv_read_keeps_text_apart_from_other_values() {
        let reply = br#"{"data":{"data":{"A":"sk-FAKE","B":"a\"b\u00e9","N":3,"O":{"x":[1,null]},"Z":null},
            "metadata":{"version":4,"created_time":"2026-01-01T00:00:00Z","deletion_time":"","destroyed":false}}}"#;
        let read: KvRead = serde_json::from_slice(reply).unwrap();
        let data = read.data.unwrap();
        let fields = data.data.unwrap();
        let text = |k: &str| match &fields[k] {
            Field::Text(t) => Some(t.as_str().to_owned()),
            Field::Other(_) => None,
        };
        assert_eq!(text("A").as_deref(), Some("sk-FAKE"));
        assert_eq!(text("B").as_deref(), Some("a\"bé"));
        assert!(matches!(&fields["N"], Field::Other(v) if *v == serde_json::json!(3)));
        assert!(
            matches!(&fields["O"], Field::Other(v) if *v == serde_json::json!({"x": [1, null]}))
        );
        assert!(matches!(
            &fields["Z"],
            Field::Other(serde_json::Value::Null)
        ));
        let meta = data.metadata.unwrap();
        assert_eq!(meta.version, 4);
        assert!(!meta.destroyed);
    }

    #[test]
    fn a_never_written_path_reads_as_empty() {
        let read: KvRead = serde_json::from_slice(br#"{"errors":[]}"#).unwrap();
        assert!(read.data.is_none());
        let read: KvRead =
            serde_json::from_slice(br#"{"data":{"data":null,"metadata":null}}"#).unwrap();
        assert!(read.data.unwrap().data.is_none());
    }

    #[test]
    fn tokens_and_leases_parse_into_wiping_fields() {
        let r: AuthReply =
            serde_json::from_slice(br#"{"auth":{"client_token":"s.FAKE","policies":["a"]}}"#)
                .unwrap();
        assert_eq!(r.auth.client_token.as_str(), "s.FAKE");
        let l: Leased = serde_json::from_slice(
            br#"{"lease_id":"database/creds/x/1","lease_duration":60,"renewable":true,"data":{"username":"u","password":"p"}}"#,
        )
        .unwrap();
        assert_eq!(l.lease_id, "database/creds/x/1");
        assert_eq!(l.data.len(), 2);
        assert!(serde_json::from_slice::<AuthReply>(br#"{"auth":{"client_token":3}}"#).is_err());
    }

    #[test]
    fn login_bodies_fit_their_buffer() {
        let secret = "\u{1}".repeat(100);
        let b = body(
            &AppRoleLogin {
                role_id: "r",
                secret_id: &secret,
            },
            secret.len() + 1,
        );
        let sized = Vec::<u8>::with_capacity(101 * 6 + 256).capacity();
        assert_eq!(b.capacity(), sized, "the buffer grew");
        let back: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(back["secret_id"], secret.as_str());
    }
}
