//! Regression tests for #12, points 3, 4, 5 and 7 (https://github.com/aisecrets/aisecrets/issues/12):
//! a Vault environment's first use asks, a pin belongs to one repository, a manifest or
//! environment file another user owns is refused, and a rekey chain that forks from one
//! seen in git history is refused.

use std::net::TcpListener;
use std::path::Path;

use crate::util::{
    OPENAI, THROWAWAY_USER, World, age_key, as_user, git_in, remove_vault_env, run_ok,
    throwaway_user,
};

/// A fake token in the user's `~/.vault-token`, as `bao login` leaves it.
const FAKE_TOKEN: &str = "hvs.FAKEcanaryVaultToken0000000";

/// A listener that records whether anything connected to it.
struct Catcher(TcpListener);

impl Catcher {
    fn new() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Self(l)
    }
    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }
    /// Whether a connection arrived (the kernel queues it even if nobody answered).
    fn connected(&self) -> bool {
        self.0.accept().is_ok()
    }
}

/// A world with `dev` (a file) and `prod` in Vault at `address`, and a token in
/// `~/.vault-token`.
fn vault_world(address: &str) -> World {
    let mut w = World::new();
    w.canary(FAKE_TOKEN);
    w.append_manifest(&format!(
        "\n[environments.prod]\nvault = {{ address = \"{address}\", path = \"ml/prod\" }}\n"
    ));
    let home = w.path("userhome");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".vault-token"), FAKE_TOKEN).unwrap();
    w
}

/// A command with no Vault variables and a short client timeout.
fn bare<I, S>(w: &World, args: I) -> crate::util::Cmd
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    w.cmd(args)
        .without_vault_env()
        .env("VAULT_CLIENT_TIMEOUT", "1")
}

/// Point 3: on a fresh clone, nothing goes to the manifest's address until the user says so.
#[test]
fn a_vault_environment_first_use_asks_and_sends_nothing() {
    let catcher = Catcher::new();
    let w = vault_world(&catcher.url());
    for args in [
        vec!["list", "--env", "prod"],
        vec!["get", "OPENAI_API_KEY", "--env", "prod"],
        vec!["run", "--env", "prod", "--", "true"],
        vec!["set", "X", "--env", "prod"],
    ] {
        let out = bare(&w, &args).stdin("x-FAKE").run();
        assert!(
            !catcher.connected(),
            "`{}` connected to the manifest's address without asking",
            args.join(" ")
        );
        assert_eq!(out.0.status.code(), Some(1));
        out.one_line_error()
            .stderr_has("not trusted in this folder yet")
            .stderr_has("aisecrets trust --env prod")
            .stderr_has("AISECRETS_TRUST");
    }
    // Accepting it (after checking) lets it through.
    w.cmd(["trust", "--env", "prod", "--yes"])
        .ok()
        .stderr_has(&catcher.url());
    bare(&w, ["list", "--env", "prod"]).fails(1);
    assert!(catcher.connected(), "the trusted address was not used");
}

/// Point 3: on a terminal, the first use shows the address and paths and asks, before
/// anything is sent, as a first open of an encrypted file does.
#[test]
fn a_vault_environment_first_use_asks_on_a_terminal() {
    let catcher = Catcher::new();
    let w = vault_world(&catcher.url());
    for (answer, pinned) in [("n", false), ("y", true)] {
        let mut c = w.command(["list", "--env", "prod"]);
        remove_vault_env(&mut c);
        c.env("VAULT_CLIENT_TIMEOUT", "1");
        let mut p = rexpect::session::spawn_command(c, Some(30_000)).unwrap();
        let (before, _) = p
            .exp_regex("Send your Vault credentials there.*\\[y/N\\]")
            .unwrap();
        assert!(
            before.contains("first time you use this Vault environment"),
            "{before}"
        );
        assert!(
            before.contains(&catcher.url()) && before.contains("ml/prod"),
            "{before}"
        );
        assert!(!catcher.connected(), "connected before the answer");
        p.send_line(answer).unwrap();
        let rest = p.exp_eof().unwrap();
        assert!(!rest.contains(FAKE_TOKEN));
        assert_eq!(catcher.connected(), pinned, "answer {answer}: {rest}");
    }
    // Asked once: the pin holds.
    bare(&w, ["list", "--env", "prod"]).fails(1);
    assert!(catcher.connected());
}

/// Point 3: changing the address and the project id together is a change, not a new
/// repository.
#[test]
fn an_edited_project_id_does_not_make_a_trusted_vault_environment_new() {
    let trusted = Catcher::new();
    let w = vault_world(&trusted.url());
    w.cmd(["trust", "--env", "prod", "--yes"]).ok();
    let elsewhere = Catcher::new();
    let manifest = w.project.join("aisecrets.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("id = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    std::fs::write(
        &manifest,
        text.replace(&trusted.url(), &elsewhere.url())
            .replace(&id, &"ab".repeat(16)),
    )
    .unwrap();
    let out = bare(&w, ["list", "--env", "prod"]).run();
    assert!(!elsewhere.connected(), "the new address got a connection");
    assert!(!trusted.connected());
    assert_eq!(out.0.status.code(), Some(1));
    out.one_line_error()
        .stderr_has("changed since this machine last used them")
        .stderr_has("project:")
        .stderr_has(&elsewhere.url());
}

/// Point 3: CI passes Vault pins in AISECRETS_TRUST, next to data-key pins.
#[test]
fn aisecrets_trust_carries_vault_pins_for_ci() {
    let catcher = Catcher::new();
    let w = vault_world(&catcher.url());
    w.cmd(["trust", "--env", "prod", "--yes"]).ok();
    let pins = w.cmd(["trust", "--print"]).ok().stdout_str();
    let pins = pins.trim();
    assert!(
        pins.contains("/dev=") && pins.contains("/prod=vault:"),
        "{pins}"
    );
    let ci_home = w.path("ci-home");
    bare(&w, ["list", "--env", "prod"])
        .env("AISECRETS_HOME", &ci_home)
        .env("AISECRETS_TRUST", pins)
        .fails(1);
    assert!(
        catcher.connected(),
        "AISECRETS_TRUST did not let CI through"
    );
    // The old form (data-key pins only) is still accepted.
    let dev_only = w
        .cmd(["trust", "--print", "--env", "dev"])
        .ok()
        .stdout_str();
    assert!(!dev_only.contains("vault:"));
    // A changed path is not what AISECRETS_TRUST names: nothing is sent.
    let manifest = w.project.join("aisecrets.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("ml/prod", "ml/other")).unwrap();
    bare(&w, ["list", "--env", "prod"])
        .env("AISECRETS_HOME", &ci_home)
        .env("AISECRETS_TRUST", pins)
        .fails(1)
        .one_line_error()
        .stderr_has("not the ones AISECRETS_TRUST names");
    assert!(!catcher.connected());
}

/// A second project in `dir` of the same world (same user, same home) with `value`.
pub(crate) fn second_project(w: &World, dir: &Path, value: &str) {
    std::fs::create_dir_all(dir).unwrap();
    w.cmd(["init"]).dir(dir).ok();
    w.cmd(["set", "OPENAI_API_KEY"]).dir(dir).stdin(value).ok();
}

pub(crate) fn copy_project(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("secrets")).unwrap();
    for f in ["aisecrets.toml", "secrets/dev.toml"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
}

/// Point 4: project B's files copied into project A do not inject B's values in A.
#[test]
fn another_projects_files_copied_in_are_new_here() {
    const B_VALUE: &str = "sk-proj-FAKE0canary0projectB0000000";
    let mut w = World::with_secrets();
    w.canary(B_VALUE);
    let b = w.path("b");
    second_project(&w, &b, B_VALUE);
    // A writer of A's repository copies B's files in.
    copy_project(&b, &w.project);
    let out = w
        .cmd(["run", "--", "printenv", "OPENAI_API_KEY"])
        .fails(1)
        .one_line_error()
        .stderr_has("you trusted `dev` in this folder as project")
        .stderr_has("aisecrets trust");
    assert!(out.stdout_str().is_empty(), "B's value reached A's child");
    // Nor in a fresh clone of A that was never opened here: it is new, and asks.
    let a2 = w.path("a2");
    copy_project(&w.project, &a2);
    let out = w
        .cmd(["run", "--", "printenv", "OPENAI_API_KEY"])
        .dir(&a2)
        .fails(1)
        .one_line_error()
        .stderr_has("not trusted in this folder yet")
        .stderr_has("aisecrets trust")
        .stderr_has("AISECRETS_TRUST");
    assert!(out.stdout_str().is_empty(), "B's value reached the child");
    // B itself still works, and a second clone of B asks once.
    w.cmd(["run", "--", "printenv", "OPENAI_API_KEY"])
        .dir(&b)
        .reveals()
        .ok();
    let b2 = w.path("b2");
    copy_project(&b, &b2);
    w.cmd(["get", "OPENAI_API_KEY"])
        .dir(&b2)
        .fails(1)
        .stderr_has("aisecrets trust");
    // AISECRETS_TRUST is the user's own word: it works wherever the checkout is.
    let pins = w.cmd(["trust", "--print"]).dir(&b).ok().stdout_str();
    w.cmd(["get", "OPENAI_API_KEY"])
        .dir(&b2)
        .env("AISECRETS_TRUST", pins.trim())
        .reveals()
        .ok();
    w.cmd(["trust", "--yes"]).dir(&b2).ok();
    let got = w
        .cmd(["get", "OPENAI_API_KEY"])
        .dir(&b2)
        .reveals()
        .ok()
        .stdout_str();
    assert_eq!(got, format!("{B_VALUE}\n"));
}

/// Point 4: a pin written by an older aisecrets (keyed by the project id alone) is never
/// taken on its own: a copy of the project asks, and so does the original, once.
#[test]
fn pins_from_older_versions_do_not_accept_a_copied_project() {
    let w = World::with_secrets();
    let pins = w.cmd(["trust", "--print"]).ok().stdout_str();
    let (slot, value) = pins.trim().split_once('=').unwrap();
    let (key_id, verifier) = value.split_once(':').unwrap();
    let public = w.public_key();
    // trust.toml as aisecrets wrote it before #12.
    std::fs::write(
        w.home.join("trust.toml"),
        format!(
            "[pins.\"{slot}\"]\nkey_id = \"{key_id}\"\nverifier = \"{verifier}\"\n\n[pins.\"{slot}\".recipients]\ntester = \"{public}\"\n"
        ),
    )
    .unwrap();
    let copy = w.path("copy");
    copy_project(&w.project, &copy);
    let out = w
        .cmd(["run", "--", "printenv", "OPENAI_API_KEY"])
        .dir(&copy)
        .fails(1)
        .one_line_error()
        .stderr_has("aisecrets trust");
    assert!(out.stdout_str().is_empty(), "a copy was accepted");
    w.cmd(["get", "OPENAI_API_KEY"])
        .fails(1)
        .stderr_has("aisecrets trust");
    // Trusting it once, here, binds it here; the old entry stays for the other clones.
    w.cmd(["trust", "--yes"]).ok();
    w.cmd(["get", "OPENAI_API_KEY"]).reveals().ok();
    let text = std::fs::read_to_string(w.home.join("trust.toml")).unwrap();
    let root = std::fs::canonicalize(&w.project).unwrap();
    assert!(
        text.contains(&format!("[repos.\"{}\"", root.display())),
        "{text}"
    );
    w.cmd(["get", "OPENAI_API_KEY"])
        .dir(&copy)
        .fails(1)
        .stderr_has("aisecrets trust");
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::chown(path, Some(uid), None).unwrap();
}

/// Point 5: like git's safe.directory, a manifest or environment file another user owns is
/// refused, naming the path and the owner; the user's own config can accept a folder.
#[test]
fn files_another_user_owns_are_refused_unless_the_folder_is_accepted() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to make files another user owns (CI runs as root)");
        return;
    }
    let (uid, gid) = throwaway_user();
    let w = World::new();
    // /tmp/shared/aisecrets.toml planted by another user; we work in /tmp/shared/me/project.
    let shared = w.path("shared");
    let work = shared.join("me/project");
    std::fs::create_dir_all(&work).unwrap();
    w.cmd(["init"]).dir(&shared).ok();
    w.cmd(["set", "OPENAI_API_KEY"])
        .dir(&shared)
        .stdin(OPENAI)
        .ok();
    let manifest = shared.join("aisecrets.toml");
    chown(&manifest, uid);
    for args in [
        vec!["status"],
        vec!["list"],
        vec!["run", "--", "printenv", "OPENAI_API_KEY"],
    ] {
        let out = w
            .cmd(&args)
            .dir(&work)
            .fails(1)
            .one_line_error()
            .stderr_has(&manifest.display().to_string())
            .stderr_has(THROWAWAY_USER)
            .stderr_has("safe_directories");
        assert!(out.stdout_str().is_empty());
    }
    // An environment file another user owns, under a manifest of our own.
    chown(&manifest, 0);
    let dev = shared.join("secrets/dev.toml");
    chown(&dev, uid);
    w.cmd(["list"])
        .dir(&work)
        .fails(1)
        .one_line_error()
        .stderr_has(&dev.display().to_string())
        .stderr_has(THROWAWAY_USER);
    // The repository cannot accept itself; the user's own config can.
    chown(&manifest, uid);
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("safe_directories = [\"*\"]\n{text}")).unwrap();
    w.cmd(["list"])
        .dir(&work)
        .fails(1)
        .stderr_has(THROWAWAY_USER);
    std::fs::write(&manifest, text).unwrap();
    std::fs::write(
        w.home.join("config.toml"),
        format!("safe_directories = [\"{}\"]\n", shared.display()),
    )
    .unwrap();
    w.cmd(["list"]).dir(&work).ok();
    // Root's files are accepted by everyone: the other user reads a root-owned project.
    let world = w.dir.path();
    std::fs::set_permissions(world, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let theirs = w.path("theirs-home");
    std::fs::create_dir_all(&theirs).unwrap();
    chown(&theirs, uid);
    run_ok(
        as_user(uid, gid, crate::util::bin())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .arg("recipients")
            .arg("list")
            .current_dir(&w.project)
            .env("AISECRETS_HOME", &theirs)
            .env("HOME", &theirs)
            .env("AISECRETS_KEYRING", "none"),
    );
}

/// Point 7: `recipients rm` prints the new AISECRETS_TRUST for CI, and says where it goes.
#[test]
fn recipients_rm_prints_the_new_aisecrets_trust_for_ci() {
    let w = World::with_secrets();
    w.cmd(["init", "--env", "prod"]).ok();
    let (_, bob_public) = age_key(&w, "bob");
    w.cmd(["recipients", "add", "bob", &bob_public, "--env", "dev"])
        .ok();
    let old_pins = w.cmd(["trust", "--print"]).ok().stdout_str();
    let rm = w.cmd(["recipients", "rm", "bob"]).ok();
    let printed = rm.stdout_str();
    assert_ne!(printed.trim(), old_pins.trim());
    assert!(
        printed.contains("/prod="),
        "every environment's pin: {printed}"
    );
    assert_eq!(
        printed,
        w.cmd(["trust", "--print"]).ok().stdout_str(),
        "rm printed something else than the new pins"
    );
    rm.stderr_has("AISECRETS_TRUST")
        .stderr_has("secret store")
        .stderr_has("would still accept");
}

/// Point 7: a removed member's fork of the old key is refused by a machine whose pin is
/// still the old key, because git history shows that key was already replaced by another.
#[test]
fn a_removed_members_fork_is_refused_by_stale_pins_when_history_shows_the_rekey() {
    const FORKED: &str = "sk-proj-FAKE0canary0forked0by0bob000";
    let mut w = World::with_secrets();
    w.canary(FORKED);
    let p = &w.project;
    git_in(p, &["init", "-q", "-b", "main"]);
    // .gitattributes routes the files to the drivers, as in any clone that follows the README.
    w.cmd(["git", "setup"]).ok();
    let (bob_secret, bob_public) = age_key(&w, "bob");
    w.cmd(["recipients", "add", "bob", &bob_public]).ok();
    git_in(p, &["add", "-A"]);
    git_in(p, &["commit", "-qm", "secrets, bob"]);
    let bob = |args: &[&str]| {
        w.cmd(args)
            .env("AISECRETS_IDENTITY", &bob_secret)
            .env("AISECRETS_HOME", w.path("bob-home"))
            .env("USER", "bob")
    };
    bob(&["trust", "--yes"]).ok();
    // CI's pin, and a teammate (alice's key on another machine) who will not open the
    // environment again before the fork.
    let old_pins = w.cmd(["trust", "--print"]).ok().stdout_str();
    let alice_secret = std::fs::read_to_string(w.home.join("identity.age"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned();
    let stale = |args: &[&str]| {
        w.cmd(args)
            .env("AISECRETS_IDENTITY", &alice_secret)
            .env("AISECRETS_HOME", w.path("stale-home"))
    };
    stale(&["trust", "--yes"]).ok();
    w.cmd(["recipients", "rm", "bob"]).ok();
    let new_pins = w.cmd(["trust", "--print"]).ok().stdout_str();
    git_in(p, &["commit", "-qam", "remove bob"]);
    // bob (who knew the old key) forks it: back to the file he could open, a rekey of
    // his own (he adds and removes a dummy), a value of his choosing, committed on top.
    for f in ["aisecrets.toml", "secrets/dev.toml"] {
        let old = git_in(p, &["show", &format!("HEAD~1:{f}")]);
        std::fs::write(p.join(f), old).unwrap();
    }
    let (_, dummy) = age_key(&w, "dummy");
    bob(&["recipients", "add", "dummy", &dummy]).ok();
    bob(&["recipients", "rm", "dummy"]).ok();
    bob(&["set", "OPENAI_API_KEY"]).stdin(FORKED).ok();
    git_in(p, &["commit", "-qam", "rotate"]);
    // CI with the old AISECRETS_TRUST, and the stale teammate, refuse it.
    let ci = |pins: &str| {
        w.cmd(["run", "--", "printenv", "OPENAI_API_KEY"])
            .env("AISECRETS_IDENTITY", &alice_secret)
            .env("AISECRETS_HOME", w.path("ci-home"))
            .env("AISECRETS_TRUST", pins.trim())
    };
    let out = ci(&old_pins)
        .fails(1)
        .one_line_error()
        .stderr_has("git history")
        .stderr_has("forked");
    assert!(out.stdout_str().is_empty(), "the fork's value was injected");
    let out = stale(&["run", "--", "printenv", "OPENAI_API_KEY"])
        .fails(1)
        .one_line_error()
        .stderr_has("forked");
    assert!(out.stdout_str().is_empty());
    stale(&["set", "NEW"])
        .stdin("x-FAKE")
        .fails(1)
        .stderr_has("forked");
    // CI with the value `recipients rm` printed refuses it too (no chain from alice's key).
    ci(&new_pins).fails(1).stderr_has("you trusted");
    // The team reverts the fork: CI with the new value runs again.
    git_in(p, &["revert", "--no-edit", "HEAD"]);
    let got = ci(&new_pins).reveals().ok().stdout_str();
    assert_eq!(got, format!("{OPENAI}\n"));
}

/// Review of #12: an `aisecrets.toml` planted in a subfolder of a trusted repository (same
/// project id, an environment file beside it) asks as a first use; the question says loudly
/// that the folder is inside one where the project is already trusted. Before, it read like
/// any new clone, with the same key id shown.
#[test]
fn a_manifest_planted_in_a_subfolder_of_a_trusted_repository_is_named_when_asked() {
    let w = World::with_secrets();
    let sub = w.project.join("notebooks");
    copy_project(&w.project, &sub);
    let mut c = w.command(["run", "--", "printenv", "OPENAI_API_KEY"]);
    c.current_dir(&sub);
    let mut p = rexpect::session::spawn_command(c, Some(30_000)).unwrap();
    let before = p.exp_string("[y/N]").unwrap();
    assert!(before.contains("first time you open"), "{before}");
    assert!(
        before.contains("WARNING: this folder is inside") && before.contains("open it from"),
        "{before}"
    );
    p.send_line("n").unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(!rest.contains(OPENAI), "a value was injected: {rest}");
    assert!(rest.contains("not trusted"), "{rest}");
}
