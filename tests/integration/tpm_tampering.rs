//! TPM-bound identities (#19) against what the review found: an identity file edited by
//! someone else, a TPM endpoint that is not the user's, and commands that must not ask for
//! a PIN. Each test starts its own swtpm (helpers in `tpm.rs`).

use crate::tpm::{PIN, Swtpm, VALUE, identity_file, tpm_world};
use crate::util::{Cmd, World};

/// A PIN identity whose file is edited to say `nopin` is refused as edited, and the TPM
/// counts nothing: before, `list`, `status` and the pre-commit scan opened it without a
/// PIN on every run, each a failed authorization, and three runs locked the TPM out (seen
/// failing: the counter was 3 of 3). The other way round, a `nopin` file edited to say `pin`
/// is refused without asking for a PIN that does not exist.
#[test]
fn an_identity_file_edited_to_say_nopin_or_pin_is_refused_and_the_tpm_counts_nothing() {
    let tpm = Swtpm::start();
    let w = made_with_pin(&tpm);
    let with = |args: &[&str]| on(&w, &tpm, args);
    let file = identity_file(&w);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace(":pin:", ":nopin:")).unwrap();
    for args in [
        &["list"][..],
        &["status"],
        &["scan"],
        &["run", "--", "true"],
    ] {
        let _ = with(args).run();
    }
    assert_eq!(
        tpm.failures(),
        0,
        "opening it as `nopin` spent the TPM's tries"
    );
    with(&["run", "--", "true"])
        .fails(1)
        .one_line_error()
        .stderr_has("its AISECRETS-TPM-1 line says `nopin` but the sealed key needs a PIN")
        .stderr_has("restore it from a backup");

    let v = tpm_world();
    let with_v = |args: &[&str]| {
        v.cmd(args)
            .env("TPM2TOOLS_TCTI", tpm.tcti())
            .env("AISECRETS_KEYRING", "none")
    };
    with_v(&["identity", "new", "--tpm", "--no-pin"]).ok();
    with_v(&["init"]).ok();
    with_v(&["set", "HF_TOKEN"]).stdin(VALUE).ok();
    let file = identity_file(&v);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace(":nopin:", ":pin:")).unwrap();
    with_v(&["unlock"])
        .stdin(format!("{PIN}\n"))
        .fails(1)
        .one_line_error()
        .stderr_has("says `pin` but the sealed key has no PIN");
}

/// A swtpm run by another user of the machine (`nobody`), on a Unix socket or TCP: its
/// owner holds the simulator's state, so whatever is sealed to it is theirs.
struct OthersSwtpm {
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl OthersSwtpm {
    fn start(server: &str) -> Self {
        use std::os::unix::fs::chown;
        assert!(
            nix::unistd::geteuid().is_root(),
            "this test starts a swtpm as another user (nobody): run it as root, as CI does"
        );
        let dir = tempfile::Builder::new()
            .prefix("aisecrets-others-swtpm")
            .tempdir()
            .unwrap();
        chown(dir.path(), Some(65534), Some(65534)).unwrap();
        let d = dir.path().display().to_string();
        let child = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "swtpm"])
            .args(["socket", "--tpm2", "--tpmstate", &format!("dir={d}")])
            .args(["--server", &server.replace("{dir}", &d)])
            .args(["--flags", "not-need-init,startup-clear"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("setpriv (util-linux) and swtpm");
        Self { dir, child }
    }
}

impl Drop for OthersSwtpm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// aisecrets refuses a TPM served by another user's process before sending it anything:
/// a swtpm socket in a shared folder, or a TCP port on this machine that another user
/// bound. Before, `identity new --tpm` sealed the new identity to it (seen failing: the
/// identity was created on `nobody`'s swtpm, over the socket and over TCP).
#[test]
fn a_tpm_served_by_another_user_is_refused_before_anything_is_sealed_to_it() {
    let unix = OthersSwtpm::start("type=unixio,path={dir}/sock");
    let sock = unix.dir.path().join("sock");
    crate::util::wait_for("nobody's swtpm socket", || sock.exists());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tcp = OthersSwtpm::start(&format!("type=tcp,port={port},bindaddr=127.0.0.1"));
    crate::util::wait_for("nobody's swtpm port", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let w = tpm_world();
    for tcti in [
        format!("swtpm:path={}", sock.display()),
        format!("swtpm:host=127.0.0.1,port={port}"),
    ] {
        w.cmd(["identity", "new", "--tpm", "--no-pin"])
            .env("TPM2TOOLS_TCTI", &tcti)
            .env("AISECRETS_KEYRING", "none")
            .fails(1)
            .one_line_error()
            .stderr_has(&format!(
                "the TPM at {tcti} is served by a process of nobody (uid 65534), not by you or root"
            ))
            .stderr_has("a swtpm you started yourself");
        assert!(!identity_file(&w).exists(), "sealed to {tcti}");
    }
    drop((unix, tcp));
    // A device must be a character device: a FIFO in a shared folder is anyone's.
    let fifo = w.path("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    w.cmd(["identity", "new", "--tpm", "--no-pin"])
        .env("TPM2TOOLS_TCTI", format!("device:{}", fifo.display()))
        .env("AISECRETS_KEYRING", "none")
        .fails(1)
        .one_line_error()
        .stderr_has("not a character device");
}

/// `status`, `list` and `scan` (the pre-commit hook's check) never ask for a PIN, also when
/// `AISECRETS_IDENTITY` holds the TPM identity file's text: before, they prompted for it on a
/// terminal (seen failing: one prompt each), as they did for a passphrase-encrypted identity
/// there.
#[test]
fn status_list_and_scan_never_ask_for_the_pin_of_an_identity_in_aisecrets_identity() {
    let tpm = Swtpm::start();
    let w = made_with_pin(&tpm);
    let text = std::fs::read_to_string(identity_file(&w)).unwrap();
    let encrypted = tpm_world();
    encrypted
        .cmd(["identity", "new"])
        .stdin("fake-passphrase\n")
        .ok();
    let encrypted = std::fs::read_to_string(identity_file(&encrypted)).unwrap();
    for identity in [&text, &encrypted] {
        for args in [&["status"][..], &["list"], &["scan"]] {
            let mut c = w.command(args);
            c.env("TPM2TOOLS_TCTI", tpm.tcti())
                .env("AISECRETS_KEYRING", "none")
                .env("AISECRETS_IDENTITY", identity);
            let (prompts, out, code) = crate::tpm::command_in_terminal(c, &[]);
            let asked = prompts > 0 || out.contains("Passphrase for");
            assert!(!asked && code == 0, "{args:?} asked:\n{out}");
        }
    }
}

/// A PIN is asked only once the TPM has shown it is the one the identity was sealed to, and
/// the TPM is not held while it is typed: before, a copied file asked for the PIN and then
/// failed, and a swtpm (one connection at a time) answered no one else while a prompt
/// waited (seen failing: the copy prompted once; `tpm2_getcap` timed out during the prompt).
#[test]
fn the_pin_is_asked_after_the_tpm_is_checked_and_the_tpm_is_free_while_it_is_typed() {
    use rexpect::session::spawn_command;
    let tpm = Swtpm::start();
    let w = made_with_pin(&tpm);

    let other = Swtpm::start();
    let mut c = w.command(["run", "--", "true"]);
    c.env("TPM2TOOLS_TCTI", other.tcti())
        .env("AISECRETS_KEYRING", "none");
    let (prompts, out, code) = crate::tpm::command_in_terminal(c, &[]);
    assert!(prompts == 0 && code == 1, "{out}");
    assert!(out.contains("sealed to another machine's TPM"), "{out}");

    let mut c = w.command(["run", "--", "true"]);
    c.env("TPM2TOOLS_TCTI", tpm.tcti())
        .env("AISECRETS_KEYRING", "none");
    let mut p = spawn_command(c, Some(30_000)).unwrap();
    p.exp_string("(TPM): ").unwrap();
    let getcap = std::process::Command::new("timeout")
        .args([
            "10",
            "tpm2_getcap",
            "-T",
            &tpm.tcti(),
            "properties-variable",
        ])
        .output()
        .unwrap();
    assert!(
        getcap.status.success(),
        "the TPM did not answer while the PIN prompt waited"
    );
    p.send_line(PIN).unwrap();
    let (out, code) = crate::util::terminal_end(&mut p, "", PIN);
    assert_eq!(code, 0, "{out}");
}

/// The `# public key:` comment of a TPM identity file is what `identity show`, `init` and
/// the unlock cache go by: an edited one is caught. Without a PIN the key is unsealed
/// (asking nothing) to show it, and the file is refused; with one, the first unseal refuses
/// it. Before, `identity show` and `init`
/// gave the comment's key, another person's, and the file still opened (seen failing).
#[test]
fn an_edited_public_key_comment_is_not_believed() {
    let tpm = Swtpm::start();
    let w = tpm_world();
    let other = "age1fj60r0ztzq2cq08cnv34mrnq5sja3yshtpcz466y5wqqkvkaeutqvs0h3d";
    let edit = |home: &std::path::Path| {
        let copy = home.join("edited-identity.age");
        let text = std::fs::read_to_string(home.join("identity.age")).unwrap();
        let public = text
            .lines()
            .find_map(|l| l.strip_prefix("# public key: "))
            .unwrap()
            .to_owned();
        std::fs::write(&copy, text.replace(&public, other)).unwrap();
        (copy, public)
    };
    let with = |copy: &std::path::Path, args: &[&str]| {
        w.cmd(args)
            .env("TPM2TOOLS_TCTI", tpm.tcti())
            .env("AISECRETS_KEYRING", "none")
            .env("AISECRETS_IDENTITY_FILE", copy)
    };
    w.cmd(["identity", "new", "--tpm", "--no-pin"])
        .env("TPM2TOOLS_TCTI", tpm.tcti())
        .ok();
    let (copy, public) = edit(&w.home);
    with(&copy, &["identity", "show"])
        .fails(1)
        .one_line_error()
        .stderr_has(&format!(
            "its `# public key:` comment is not the sealed key's ({public})"
        ));
    with(&copy, &["init"]).fails(1);
    assert!(!w.project.join("aisecrets.toml").exists());

    let v = tpm_world();
    v.cmd(["identity", "new", "--tpm"])
        .env("TPM2TOOLS_TCTI", tpm.tcti())
        .stdin(format!("{PIN}\n"))
        .ok();
    let (copy, _) = edit(&v.home);
    with(&copy, &["unlock"])
        .env("AISECRETS_KEYRING", "keyutils")
        .stdin(format!("{PIN}\n"))
        .fails(1)
        .one_line_error()
        .stderr_has("its `# public key:` comment is not the sealed key's")
        .stderr_has("restore it from a backup");
}

/// With one wrong PIN left before the TPM locks out, the prompt says so first; once it is
/// locked out, no PIN is asked (the TPM would refuse any): one line says why and what to
/// do. Before, a command started at the last try asked as usual, and a locked-out TPM was
/// still asked for a PIN (seen failing: no warning; one prompt while locked out).
#[test]
fn the_last_try_is_named_and_a_locked_out_tpm_asks_for_no_pin() {
    let tpm = Swtpm::start();
    let w = made_with_pin(&tpm);
    let run = |pins: &[&str]| {
        let mut c = w.command(["run", "--", "true"]);
        c.env("TPM2TOOLS_TCTI", tpm.tcti())
            .env("AISECRETS_KEYRING", "none");
        crate::tpm::command_in_terminal(c, pins)
    };
    let (prompts, out, code) = run(&["0000", "1111"]);
    assert!(prompts == 2 && code == 1, "{out}");
    assert_eq!(tpm.failures(), 2);
    let (prompts, out, code) = run(&[PIN]);
    assert!(prompts == 1 && code == 0, "{out}");
    let warned = out
        .find("the TPM has counted 2 of 3 wrong PINs: one more locks it out")
        .is_some_and(|at| at < out.find("(TPM): ").unwrap_or(0));
    assert!(warned, "no warning before the last try:\n{out}");
    let (_, out, code) = run(&["2222"]);
    assert!(code == 1 && out.contains("3 of 3"), "{out}");
    let (prompts, out, code) = run(&[PIN]);
    assert!(
        prompts == 0 && code == 1,
        "a locked-out TPM was asked a PIN:\n{out}"
    );
    assert!(
        out.contains(
            "the TPM is locked out after too many wrong PINs: it forgives one failure every"
        ),
        "{out}"
    );
}

/// `lock` forgets a TPM identity held in `AISECRETS_IDENTITY` once a terminal opened (and
/// cached) it: before, it forgot the stored identity's key instead, and the next command
/// still opened without a PIN (seen failing: no prompt after `lock`).
#[test]
fn lock_forgets_a_tpm_identity_held_in_aisecrets_identity() {
    let tpm = Swtpm::start();
    let w = made_with_pin(&tpm);
    let text = std::fs::read_to_string(identity_file(&w)).unwrap();
    // Only the variable holds it (as on a machine whose identity lives elsewhere).
    std::fs::remove_file(identity_file(&w)).unwrap();
    std::fs::remove_file(w.home.join("identity.pub")).unwrap();
    let run = || {
        let mut c = w.command(["run", "--", "true"]);
        c.env("TPM2TOOLS_TCTI", tpm.tcti())
            .env("AISECRETS_KEYRING", "keyutils")
            .env("AISECRETS_IDENTITY", &text);
        crate::tpm::command_in_terminal(c, &[PIN])
    };
    let (prompts, out, code) = run();
    assert!(prompts == 1 && code == 0, "{out}");
    let (prompts, out, _) = run();
    assert_eq!(prompts, 0, "not cached:\n{out}");
    w.cmd(["lock"])
        .env("AISECRETS_KEYRING", "keyutils")
        .env("AISECRETS_IDENTITY", &text)
        .ok()
        .stderr_has("keyutils");
    let (prompts, out, code) = run();
    assert!(prompts == 1 && code == 0, "lock did not forget it:\n{out}");
}

/// `aisecrets ARGS` reaching `tpm`, with no cache.
fn on(w: &World, tpm: &Swtpm, args: &[&str]) -> Cmd {
    w.cmd(args)
        .env("TPM2TOOLS_TCTI", tpm.tcti())
        .env("AISECRETS_KEYRING", "none")
}

/// A world whose identity is sealed to `tpm` with the PIN, and whose project is made.
fn made_with_pin(tpm: &Swtpm) -> World {
    let w = tpm_world();
    on(&w, tpm, &["identity", "new", "--tpm"])
        .stdin(format!("{PIN}\n"))
        .ok();
    on(&w, tpm, &["init"]).ok();
    w
}
