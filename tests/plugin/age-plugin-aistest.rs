//! `age-plugin-aistest`: the stand-in age plugin of the integration tests (tests/integration/
//! plugin.rs), built on the age-plugin crate, the reference plugin SDK, as a cargo example
//! (`cargo test` builds it into target/debug/examples/).
//!
//! Its key is an ordinary X25519 key carried inside the plugin's own identity and recipient
//! (`AGE-PLUGIN-AISTEST-1...`, `age1aistest1...`), and its stanzas are X25519 stanzas under the
//! tag `aistest`, so only this plugin opens them. Like a hardware key, its identity side shows
//! a message ("touch your key") and asks for a PIN through `request-secret` before it unwraps
//! anything, and refuses a wrong PIN. Every run appends one line to the file named by
//! `AISTEST_LOG` (the tests' proof that it ran, or did not); `AISTEST_PIN` is the PIN it expects,
//! `AISTEST_MESSAGE` replaces its message.
//!
//! Run without arguments, it prints a new identity file, as the SDK's plugins do.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write as _};

use age::secrecy::ExposeSecret as _;
use age_core::format::{FileKey, Stanza};
use age_plugin::identity::{self, IdentityPluginV1};
use age_plugin::recipient::{self, RecipientPluginV1};
use age_plugin::{Callbacks, PluginHandler, print_new_identity, run_state_machine};

const NAME: &str = "aistest";
const DEFAULT_PIN: &str = "246810";

/// Appends `what` to `$AISTEST_LOG`, if set.
fn log(what: &str) {
    if let Some(path) = std::env::var_os("AISTEST_LOG") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open the log");
        writeln!(f, "{what} {}", std::process::id()).expect("write the log");
    }
}

struct Handler;

impl PluginHandler for Handler {
    type RecipientV1 = Wrapper;
    type IdentityV1 = Unwrapper;

    fn recipient_v1(self) -> io::Result<Wrapper> {
        log("recipient-v1");
        Ok(Wrapper(Vec::new()))
    }

    fn identity_v1(self) -> io::Result<Unwrapper> {
        log("identity-v1");
        Ok(Unwrapper(Vec::new()))
    }
}

/// The recipient side: X25519 recipients, from recipients or from identities.
struct Wrapper(Vec<age::x25519::Recipient>);

impl RecipientPluginV1 for Wrapper {
    fn add_recipient(
        &mut self,
        index: usize,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), recipient::Error> {
        let r = std::str::from_utf8(bytes)
            .ok()
            .filter(|_| name == NAME)
            .and_then(|s| s.parse().ok());
        match r {
            Some(r) => {
                self.0.push(r);
                Ok(())
            }
            None => Err(recipient::Error::Recipient {
                index,
                message: "not an aistest recipient".into(),
            }),
        }
    }

    fn add_identity(
        &mut self,
        index: usize,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), recipient::Error> {
        match parse_identity(name, bytes) {
            Some(id) => {
                self.0.push(id.to_public());
                Ok(())
            }
            None => Err(recipient::Error::Identity {
                index,
                message: "not an aistest identity".into(),
            }),
        }
    }

    fn labels(&mut self) -> HashSet<String> {
        HashSet::new()
    }

    fn wrap_file_keys(
        &mut self,
        file_keys: Vec<FileKey>,
        _: impl Callbacks<recipient::Error>,
    ) -> io::Result<Result<Vec<Vec<Stanza>>, Vec<recipient::Error>>> {
        let mut out = Vec::new();
        for key in &file_keys {
            let mut stanzas = Vec::new();
            for r in &self.0 {
                let (wrapped, _) =
                    age::Recipient::wrap_file_key(r, key).map_err(io::Error::other)?;
                stanzas.extend(wrapped.into_iter().map(|s| Stanza {
                    tag: NAME.into(),
                    ..s
                }));
            }
            out.push(stanzas);
        }
        Ok(Ok(out))
    }
}

fn parse_identity(name: &str, bytes: &[u8]) -> Option<age::x25519::Identity> {
    std::str::from_utf8(bytes)
        .ok()
        .filter(|_| name == NAME)
        .and_then(|s| s.parse().ok())
}

/// The identity side: a message, a PIN, then X25519.
struct Unwrapper(Vec<age::x25519::Identity>);

impl IdentityPluginV1 for Unwrapper {
    fn add_identity(
        &mut self,
        index: usize,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), identity::Error> {
        match parse_identity(name, bytes) {
            Some(id) => {
                self.0.push(id);
                Ok(())
            }
            None => Err(identity::Error::Identity {
                index,
                message: "not an aistest identity".into(),
            }),
        }
    }

    fn unwrap_file_keys(
        &mut self,
        files: Vec<Vec<Stanza>>,
        mut callbacks: impl Callbacks<identity::Error>,
    ) -> io::Result<HashMap<usize, Result<FileKey, Vec<identity::Error>>>> {
        let mut keys = HashMap::new();
        for (index, stanzas) in files.into_iter().enumerate() {
            let ours: Vec<Stanza> = stanzas.into_iter().filter(|s| s.tag == NAME).collect();
            if ours.is_empty() {
                continue;
            }
            let message = std::env::var("AISTEST_MESSAGE")
                .unwrap_or_else(|_| "aistest: touch your aistest key".to_owned());
            let _ = callbacks.message(&message)?;
            let refuse = |message: &str| {
                Err(vec![identity::Error::Identity {
                    index: 0,
                    message: message.into(),
                }])
            };
            let expected = std::env::var("AISTEST_PIN").unwrap_or_else(|_| DEFAULT_PIN.into());
            match callbacks.request_secret("Enter the PIN of your aistest key")? {
                Ok(pin) if pin.expose_secret() == expected => {}
                Ok(_) => {
                    log("wrong-pin");
                    keys.insert(index, refuse("wrong PIN"));
                    continue;
                }
                Err(_) => {
                    keys.insert(index, refuse("no PIN was given"));
                    continue;
                }
            }
            let found = ours.iter().find_map(|s| {
                let x = Stanza {
                    tag: "X25519".into(),
                    args: s.args.clone(),
                    body: s.body.clone(),
                };
                self.0
                    .iter()
                    .find_map(|id| age::Identity::unwrap_stanza(id, &x))
                    .and_then(Result::ok)
            });
            if let Some(key) = found {
                log("unwrapped");
                keys.insert(index, Ok(key));
            }
        }
        Ok(keys)
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(machine) = args.get(1).and_then(|a| a.strip_prefix("--age-plugin=")) {
        return run_state_machine(machine, Handler);
    }
    log("generate");
    let id = age::x25519::Identity::generate();
    let secret = id.to_string();
    print_new_identity(
        NAME,
        secret.expose_secret().as_bytes(),
        id.to_public().to_string().as_bytes(),
    );
    Ok(())
}
