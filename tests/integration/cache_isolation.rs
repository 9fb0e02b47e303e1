//! Issue #12, point 2: the unlock cache is out of reach of `run`'s child, of the editor of
//! `edit` and of the user's processes in other sessions; without a private session keyring
//! nothing is cached unless the config opts in; past `--for` nothing usable is left in any
//! backend although no aisecrets command runs. Real kernel keyring and gnome-keyring
//! (scripts/test). The attacks are shell scripts a child could run.

use std::process::Command;
use std::time::Duration;

use crate::cache::{PASS, VALUE, bus, locked_world, secret_tool_search, unlock};
use crate::util::{World, as_user, bin, chown_tree, throwaway_user};

/// `keyctl pipe ID` as hex, when this process can read the key.
pub(crate) fn key_hex(id: &str) -> Option<String> {
    let out = Command::new("sh")
        .args([
            "-c",
            "keyctl pipe \"$1\" | od -An -v -tx1 | tr -d ' \\n'",
            "sh",
            id,
        ])
        .output()
        .unwrap();
    let hex = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!hex.is_empty()).then_some(hex)
}

/// The ids of the cache's two keys for `public` (wrapping key, sealed identity) that this
/// process's session keyring holds.
pub(crate) fn cache_key_ids(public: &str) -> Vec<String> {
    [
        format!("aisecrets-key:{public}"),
        format!("aisecrets:{public}"),
    ]
    .iter()
    .filter_map(|d| key_id(d))
    .collect()
}

/// The id of `desc` in this process's session keyring, if it finds one.
pub(crate) fn key_id(desc: &str) -> Option<String> {
    let out = Command::new("keyctl")
        .args(["search", "@s", "user", desc])
        .output()
        .expect("keyctl (Debian package keyutils)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// What a child or another process of the user tries: link the user-session keyring, look
/// for the cache items by name and by id, and ask the Secret Service.
pub(crate) fn attack_script(public: &str, ids: &[String]) -> String {
    format!(
        "keyctl link @us @s >/dev/null 2>&1; keyctl show @s; \
         for d in aisecrets:{public} aisecrets-key:{public}; do \
           id=$(keyctl search @s user $d) && keyctl pipe $id | od -An -v -tx1 | tr -d ' \\n'; echo; \
           id=$(keyctl search @us user $d) && keyctl pipe $id | od -An -v -tx1 | tr -d ' \\n'; echo; \
         done; \
         for id in {}; do keyctl pipe $id | od -An -v -tx1 | tr -d ' \\n'; echo; done; \
         echo SS:; secret-tool lookup service aisecrets username {public}; echo; \
         secret-tool search --all --unlock service aisecrets 2>&1; echo END",
        ids.join(" ")
    )
}

/// The hex of `AGE-SECRET-KEY-1`, as `od` prints it.
fn identity_marker_hex() -> String {
    "AGE-SECRET-KEY-1"
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Asserts `found` holds nothing usable: no identity (text or hex), no wrapping key.
#[track_caller]
pub(crate) fn nothing_usable(found: &str, wrap_hex: Option<&str>, who: &str) {
    assert!(
        found.contains("END"),
        "{who}: the attack did not run:\n{found}"
    );
    assert!(
        !found.contains("AGE-SECRET-KEY-1") && !found.contains(&identity_marker_hex()),
        "{who} read the unlocked identity from the cache:\n{found}"
    );
    if let Some(hex) = wrap_hex {
        assert!(
            !found.contains(hex),
            "{who} read the wrapping key:\n{found}"
        );
    }
}

/// A world whose identity is unlocked with `keyring` (None: auto, the Secret Service here
/// with the key in the kernel), the wrapping key's hex as this session reads it, and the
/// script that tries every way a process could read the cache.
pub(crate) struct Unlocked {
    pub(crate) w: World,
    keyring: Option<&'static str>,
    pub(crate) wrap: Option<String>,
    pub(crate) script: String,
}

impl Unlocked {
    pub(crate) fn new(keyring: Option<&'static str>) -> Self {
        let w = locked_world("keyutils");
        let u = Self {
            w,
            keyring,
            wrap: None,
            script: String::new(),
        };
        u.with(u.w.cmd(["unlock"]))
            .stdin(format!("{PASS}\n"))
            .ok()
            .stderr_has("unlocked until");
        let public = u.w.public_key();
        let ids = cache_key_ids(&public);
        Self {
            wrap: key_id(&format!("aisecrets-key:{public}")).and_then(|id| key_hex(&id)),
            script: attack_script(&public, &ids),
            ..u
        }
    }

    /// `c` with this world's keyring choice.
    pub(crate) fn with(&self, c: crate::util::Cmd) -> crate::util::Cmd {
        match self.keyring {
            Some(k) => c.env("AISECRETS_KEYRING", k),
            None => c.env_remove("AISECRETS_KEYRING"),
        }
    }
}

#[test]
fn neither_the_child_of_run_nor_another_session_gets_the_cached_identity() {
    bus();
    // auto (the Secret Service here, the key in the kernel) and the kernel keyring alone.
    for keyring in [None, Some("keyutils")] {
        let u = Unlocked::new(keyring);
        let (w, wrap, script) = (&u.w, &u.wrap, &u.script);
        let with = |c: crate::util::Cmd| u.with(c);

        // The child of run, which gets its secret but nothing of the cache.
        let out = with(w.run_sh(&format!("{script}; echo HF=$HF_TOKEN")))
            .reveals()
            .ok();
        let text = out.stdout_str() + &out.stderr_str();
        assert!(text.contains(&format!("HF={VALUE}")), "{text}");
        nothing_usable(&text, wrap.as_deref(), "run's child");

        // A process of the same user in another login session.
        let out = Command::new("keyctl")
            .args(["session", "-", "sh", "-c", script])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        nothing_usable(&text, wrap.as_deref(), "another session");

        // What remains: a process of the session that unlocked (this test, started outside
        // `run`) possesses the session keyring and reads the wrapping key.
        assert!(
            wrap.is_some(),
            "the unlocking session cannot read its own key"
        );
        // This session still has it.
        assert_eq!(
            with(w.cmd(["get", "HF_TOKEN"])).reveals().ok().stdout_str(),
            format!("{VALUE}\n")
        );
        with(w.cmd(["lock"])).ok();
    }
}

#[test]
fn the_editor_of_edit_does_not_possess_the_cache() {
    let w = locked_world("keyutils");
    unlock(&w, "keyutils");
    let public = w.public_key();
    let found = w.path("editor-found");
    let ed = w.path("editor.sh");
    std::fs::write(
        &ed,
        format!(
            "#!/bin/sh\n{{ {}; }} >'{}' 2>&1\nexit 0\n",
            attack_script(&public, &[]),
            found.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&ed, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    w.cmd(["edit"])
        .env("AISECRETS_KEYRING", "keyutils")
        .env("EDITOR", &ed)
        .env_remove("VISUAL")
        .ok();
    let text = std::fs::read_to_string(&found).unwrap();
    let wrap = key_id(&format!("aisecrets-key:{public}")).and_then(|id| key_hex(&id));
    nothing_usable(&text, wrap.as_deref(), "the editor");
    w.cmd(["lock"]).env("AISECRETS_KEYRING", "keyutils").ok();
}

/// `args` through `keyctl session _uid_ses.UID`: a process whose session keyring is the
/// user-session keyring, as in a container, cron, `su -c` or many SSH logins.
fn without_private_session(w: &World, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let template = w.command(args);
    let uid = nix::unistd::geteuid().as_raw();
    let mut c = Command::new("keyctl");
    c.args(["session", &format!("_uid_ses.{uid}"), bin()])
        .args(args)
        .current_dir(template.get_current_dir().unwrap());
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.env_remove("AISECRETS_KEYRING")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    crate::util::no_controlling_terminal(&mut c);
    let mut child = c.spawn().unwrap();
    // A command that refuses before it reads its input (unlock with nowhere to cache) may
    // be gone already: a broken pipe here is its answer, not a failure of the test.
    match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains(VALUE) && !err.contains("AGE-SECRET-KEY"),
        "{err}"
    );
    out
}

fn stderr_lines(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("Joined session keyring"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn without_a_private_session_keyring_nothing_is_cached_unless_the_config_opts_in() {
    bus();
    let w = locked_world("keyutils");
    let public = w.public_key();
    let out = without_private_session(&w, &["unlock"], &format!("{PASS}\n"));
    let lines = stderr_lines(&out);
    assert_eq!(out.status.code(), Some(1), "{lines:?}");
    assert_eq!(lines.len(), 1, "one line: {lines:?}");
    for needle in [
        "no private session keyring",
        "keyctl session",
        "allow_shared_keyring = \"readable-by-all-my-processes\"",
    ] {
        assert!(lines[0].contains(needle), "{needle}: {lines:?}");
    }
    // Nothing anywhere: not in the user-session keyring, not in the Secret Service.
    let shared = Command::new("sh")
        .args([
            "-c",
            &format!(
                "keyctl search @us user aisecrets-key:{public}; keyctl search @us user aisecrets:{public}; secret-tool search --all service aisecrets username {public} 2>&1"
            ),
        ])
        .output()
        .unwrap();
    let shared = String::from_utf8_lossy(&shared.stdout);
    assert!(
        shared.lines().all(|l| l.trim().parse::<u64>().is_err()),
        "a key was cached in the user-session keyring: {shared}"
    );
    assert!(
        !shared.contains(&public),
        "the Secret Service holds an item: {shared}"
    );
    let out = without_private_session(&w, &["get", "HF_TOKEN"], "");
    assert_ne!(out.status.code(), Some(0), "it opened without a passphrase");
    let attack = Command::new("keyctl")
        .args(["session", "-", "sh", "-c", &attack_script(&public, &[])])
        .output()
        .unwrap();
    nothing_usable(
        &(String::from_utf8_lossy(&attack.stdout).into_owned()
            + &String::from_utf8_lossy(&attack.stderr)),
        None,
        "another session",
    );

    // A config value that does not name the risk is refused.
    let config = w.home.join("config.toml");
    std::fs::write(&config, "[cache]\nallow_shared_keyring = true\n").unwrap();
    let out = without_private_session(&w, &["unlock"], &format!("{PASS}\n"));
    assert_ne!(out.status.code(), Some(0));
    std::fs::write(&config, "[cache]\nallow_shared_keyring = \"yes\"\n").unwrap();
    let out = without_private_session(&w, &["unlock"], &format!("{PASS}\n"));
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr_lines(&out)[0].contains("readable-by-all-my-processes"));

    // Opted in: it caches (and, as the words say, every process of the user could read it).
    std::fs::write(
        &config,
        "[cache]\nallow_shared_keyring = \"readable-by-all-my-processes\"\n",
    )
    .unwrap();
    let out = without_private_session(&w, &["unlock"], &format!("{PASS}\n"));
    assert_eq!(out.status.code(), Some(0), "{:?}", stderr_lines(&out));
    assert!(stderr_lines(&out)[0].contains("shared: every process of yours can read it"));
    let out = without_private_session(&w, &["status"], "");
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.contains("(shared: every process of yours can read it), unlocked until"),
        "{status}"
    );
    let out = without_private_session(&w, &["get", "HF_TOKEN"], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{VALUE}\n"));
    // What the opt-in accepts: another process of the user reaches the wrapping key.
    let shared = Command::new("keyctl")
        .args([
            "session",
            "-",
            "sh",
            "-c",
            &format!("keyctl link @us @s; keyctl search @s user aisecrets-key:{public}"),
        ])
        .output()
        .unwrap();
    assert!(shared.status.success(), "{shared:?}");
    let out = without_private_session(&w, &["lock"], "");
    assert_eq!(out.status.code(), Some(0));
    let out = without_private_session(&w, &["get", "HF_TOKEN"], "");
    assert_ne!(out.status.code(), Some(0), "lock did not forget");
}

#[test]
fn past_the_limit_no_backend_holds_anything_usable_though_no_command_runs() {
    bus();
    for keyring in [None, Some("keyutils")] {
        let w = locked_world("keyutils");
        let mut c = w.cmd(["unlock", "--for", "2s"]).stdin(format!("{PASS}\n"));
        c = match keyring {
            Some(k) => c.env("AISECRETS_KEYRING", k),
            None => c.env_remove("AISECRETS_KEYRING"),
        };
        c.ok();
        let public = w.public_key();
        let ids = cache_key_ids(&public);
        std::thread::sleep(Duration::from_millis(3200));
        // No aisecrets command in between: only the kernel's timeout has acted.
        let mut script = attack_script(&public, &ids);
        script.push_str(&format!(
            "; secret-tool search --all service aisecrets username {public} 2>&1"
        ));
        let out = Command::new("sh").args(["-c", &script]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        nothing_usable(&text, None, "after --for");
        for id in &ids {
            assert!(key_hex(id).is_none(), "key {id} is still readable:\n{text}");
        }
        if keyring.is_none() {
            // The Secret Service may still hold the sealed half: it opens with nothing left.
            assert!(!text.contains("AGE-SECRET-KEY"), "{text}");
        }
        let mut c = w.cmd(["lock"]);
        c = match keyring {
            Some(k) => c.env("AISECRETS_KEYRING", k),
            None => c.env_remove("AISECRETS_KEYRING"),
        };
        c.ok();
    }
}

/// The user the non-root test runs as, created once (idempotently) by the test itself.
#[test]
fn as_a_non_root_user_the_same_holds() {
    if !nix::unistd::geteuid().is_root() {
        // Not root: every other test here already is the non-root path.
        return;
    }
    let (uid, gid) = throwaway_user();
    let w = locked_world("keyutils");
    let public = w.public_key();
    let dir = w.dir.path();
    chown_tree(dir, uid, gid);
    let attack = attack_script(&public, &[]);
    // In a private session keyring of the user's own: unlock, then the child of run and a
    // process in another session of the same user try; then a process of that user with no
    // private session keyring tries to unlock.
    let script = r#"
        keyctl session - sh -c '
          printf "%s\n" "$PASS" | "$AIS" unlock 2>"$OUT/unlock.err" || exit 11
          "$AIS" run -- sh -c "$ATTACK; echo HF=\$HF_TOKEN" >"$OUT/child.out" 2>&1
          keyctl session - sh -c "$ATTACK" >"$OUT/other.out" 2>&1
          "$AIS" get HF_TOKEN >"$OUT/get.out" 2>&1
          "$AIS" lock 2>/dev/null
        ' 2>/dev/null || exit $?
        keyctl session "_uid_ses.$(id -u)" sh -c 'printf "%s\n" "$PASS" | "$AIS" unlock' \
          >"$OUT/shared.out" 2>&1
        echo "rc=$?" >>"$OUT/shared.out"
        keyctl session - sh -c "$ATTACK" >"$OUT/shared-attack.out" 2>&1
        keyctl session "_uid_ses.$(id -u)" "$AIS" lock >/dev/null 2>&1
    "#;
    let template = w.command(["status"]);
    let mut c = as_user(uid, gid, "sh");
    c.args(["-c", script])
        .current_dir(template.get_current_dir().unwrap());
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c
        .env_remove("AISECRETS_KEYRING")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("AIS", bin())
        .env("PASS", PASS)
        .env("ATTACK", &attack)
        .env("OUT", dir)
        .output()
        .unwrap();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    assert!(
        out.status.success(),
        "{out:?}\nunlock: {}",
        read("unlock.err")
    );
    let child = read("child.out");
    assert!(child.contains(&format!("HF={VALUE}")), "{child}");
    nothing_usable(&child, None, "run's child (non-root)");
    nothing_usable(&read("other.out"), None, "another session (non-root)");
    assert_eq!(read("get.out"), format!("{VALUE}\n"));
    let shared = read("shared.out");
    assert!(
        shared.contains("no private session keyring") && shared.contains("rc=1"),
        "{shared}"
    );
    nothing_usable(
        &read("shared-attack.out"),
        None,
        "another session, after an unlock without a private session keyring (non-root)",
    );
}

/// Older versions stored the identity itself in the Secret Service, with no expiry.
fn plant_legacy_item(public: &str) {
    use std::io::Write;
    let mut c = Command::new("secret-tool")
        .args([
            "store",
            "--label=legacy",
            "service",
            "aisecrets",
            "username",
            public,
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(
            format!(
                "aisecrets-unlock v1\nexpires=1\npublic={public}\nAGE-SECRET-KEY-1FAKELEGACY\n"
            )
            .as_bytes(),
        )
        .unwrap();
    assert!(c.wait().unwrap().success());
}

fn legacy_items(public: &str) -> String {
    let out = secret_tool_search(public);
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn unsealed_items_of_older_versions_are_deleted() {
    bus();
    let w = locked_world("keyutils");
    let public = w.public_key();
    // With a private session keyring, the first look at the cache deletes it.
    plant_legacy_item(&public);
    assert!(legacy_items(&public).contains("AGE-SECRET-KEY-1FAKELEGACY"));
    w.cmd(["status"]).env_remove("AISECRETS_KEYRING").ok();
    assert!(
        !legacy_items(&public).contains("AGE-SECRET-KEY"),
        "{}",
        legacy_items(&public)
    );
    // Without one, the refused unlock does.
    plant_legacy_item(&public);
    let out = without_private_session(&w, &["unlock"], &format!("{PASS}\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !legacy_items(&public).contains("AGE-SECRET-KEY"),
        "{}",
        legacy_items(&public)
    );
}
