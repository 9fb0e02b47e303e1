//! Plugin identities end to end (#19), with a stand-in age plugin built on the reference SDK
//! (the age-plugin crate): tests/plugin/age-plugin-aistest.rs, which `cargo test` builds as an
//! example. Like a hardware key it shows "touch your key" and asks for a PIN (`request-secret`)
//! before it unwraps; every run of it leaves a line in its log, the proof that it ran or not.

use std::path::{Path, PathBuf};

use rexpect::session::spawn_command;
use sha2::Digest as _;

use crate::util::{OPENAI, World, terminal_end};

/// The PIN the stand-in plugin expects (its default).
const PIN: &str = "246810";
/// What the plugin asks, and what it says before (through `msg`, on the terminal).
const PIN_PROMPT: &str = "Enter the PIN of your aistest key";
const TOUCH: &str = "touch your aistest key";

/// The stand-in plugin, as `cargo test` built it (target/debug/examples/).
pub(crate) fn plugin_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let built = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples/age-plugin-aistest");
    assert!(
        built.is_file(),
        "{} is missing: `cargo test` (and scripts/test) build it; with `--test integration` alone, run `cargo build --example age-plugin-aistest` first",
        built.display()
    );
    built
}

/// A world with secrets (set with an X25519 identity), the stand-in plugin installed in an
/// absolute folder outside the project, and a plugin identity made by it.
pub(crate) struct Plugged {
    pub(crate) w: World,
    /// The folder holding `age-plugin-aistest` (a link to the built example).
    pub(crate) bin: PathBuf,
    /// The plugin identity file, as the plugin wrote it.
    pub(crate) identity: PathBuf,
    /// Its recipient (`age1aistest1...`).
    pub(crate) recipient: String,
    /// The plugin's log: one line per run.
    pub(crate) log: PathBuf,
}

impl Plugged {
    pub(crate) fn new() -> Self {
        let w = World::with_secrets();
        let bin = w.path("plugins");
        std::fs::create_dir_all(&bin).unwrap();
        install(&bin);
        let log = w.path("plugin.log");
        let identity = w.path("aistest-identity.txt");
        let recipient = new_plugin_identity(&identity);
        Self {
            w,
            bin,
            identity,
            recipient,
            log,
        }
    }

    /// PATH with the plugin's folder first.
    pub(crate) fn path(&self) -> String {
        format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap())
    }

    /// A command as the X25519 user, with the plugin on PATH.
    pub(crate) fn cmd(&self, args: &[&str]) -> crate::util::Cmd {
        self.w
            .cmd(args)
            .env("PATH", self.path())
            .env("AISTEST_LOG", &self.log)
    }

    /// A command as the plugin identity's user (AISECRETS_IDENTITY_FILE), no terminal.
    pub(crate) fn as_plugin_user(&self, args: &[&str]) -> crate::util::Cmd {
        self.cmd(args)
            .env("AISECRETS_IDENTITY_FILE", &self.identity)
    }

    /// The same, as a bare command for a pseudo-terminal.
    fn terminal_command(&self, args: &[&str]) -> std::process::Command {
        let mut c = self.w.command(args);
        c.env("PATH", self.path())
            .env("AISTEST_LOG", &self.log)
            .env("AISECRETS_IDENTITY_FILE", &self.identity);
        c
    }

    /// `recipients add yubi RECIPIENT`, by the X25519 user: dev is wrapped to the plugin too.
    pub(crate) fn add_recipient(&self) {
        self.cmd(&["recipients", "add", "yubi", &self.recipient])
            .ok();
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A new plugin identity file made by the stand-in plugin (as the SDK's plugins make them) at
/// `path`: its recipient, from the file's `# recipient:` line.
pub(crate) fn new_plugin_identity(path: &Path) -> String {
    let out = std::process::Command::new(plugin_binary())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    std::fs::write(path, &text).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("# recipient: "))
        .unwrap()
        .to_owned()
}

/// Links the built plugin into `dir` as `age-plugin-aistest`.
pub(crate) fn install(dir: &Path) {
    std::os::unix::fs::symlink(plugin_binary(), dir.join("age-plugin-aistest")).unwrap();
}

/// Runs `args` in a pseudo-terminal as the plugin user, answering the plugin's PIN prompt
/// with `pin`: (whether it was asked, everything printed, exit code).
fn in_terminal(p: &Plugged, args: &[&str], pin: &str) -> (bool, String, i32) {
    let mut s = spawn_command(p.terminal_command(args), Some(30_000)).unwrap();
    let (mut asked, mut text) = (false, String::new());
    loop {
        match s.exp_any(vec![
            rexpect::ReadUntil::String(PIN_PROMPT.into()),
            rexpect::ReadUntil::EOF,
        ]) {
            Ok((before, found)) if found.contains(PIN_PROMPT) => {
                assert!(!asked, "the PIN was asked twice:\n{text}");
                asked = true;
                text += &(before + &found);
                s.send_line(pin).unwrap();
            }
            Ok((before, found)) => {
                text += &(before + &found);
                break;
            }
            Err(e) => panic!("{e}\n{text}"),
        }
    }
    let (text, code) = terminal_end(&mut s, &text, pin);
    assert!(
        !text.contains(OPENAI),
        "a value reached the terminal:\n{text}"
    );
    (asked, text, code)
}

/// The armored data key block of an environment file, undone: its age header in the clear.
fn age_header(env_file: &Path) -> String {
    let text = std::fs::read_to_string(env_file).unwrap();
    let s = text.find("-----BEGIN").unwrap();
    let e = text.find("-----END AGE ENCRYPTED FILE-----").unwrap() + 32;
    let mut binary = Vec::new();
    std::io::Read::read_to_end(
        &mut age::armor::ArmoredReader::new(&text.as_bytes()[s..e]),
        &mut binary,
    )
    .unwrap();
    let end = binary
        .windows(4)
        .position(|w| w == b"\n---")
        .unwrap_or(binary.len());
    String::from_utf8_lossy(&binary[..end]).into_owned()
}

fn sha256_hex(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `recipients add` of a plugin recipient wraps the data key through the plugin (its stanza
/// is in the file, and it ran); a user whose identity file holds the plugin identity opens
/// the environment with the PIN typed at the plugin's prompt on the terminal, and `run`'s
/// child sees the value.
#[test]
fn a_plugin_identity_opens_the_environment_with_its_pin_on_the_terminal() {
    let p = Plugged::new();
    p.add_recipient();
    assert!(
        p.log().contains("recipient-v1"),
        "the plugin did not wrap: {}",
        p.log()
    );
    let header = age_header(&p.w.dev_file());
    assert!(
        header.contains("\n-> aistest "),
        "no aistest stanza in the data key block:\n{header}"
    );
    assert!(header.contains("\n-> X25519 "), "{header}");

    let (asked, text, code) = in_terminal(
        &p,
        &[
            "run",
            "--",
            "sh",
            "-c",
            "printf %s \"$OPENAI_API_KEY\" | sha256sum",
        ],
        PIN,
    );
    assert!(
        asked,
        "the plugin's PIN prompt never reached the terminal:\n{text}"
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(TOUCH),
        "the plugin's message never reached the terminal:\n{text}"
    );
    assert!(text.contains(&sha256_hex(OPENAI)), "{text}");
    assert!(p.log().contains("unwrapped"), "{}", p.log());
}

/// A wrong PIN is refused by the plugin: one error line that says so, no value, exit 1.
#[test]
fn a_wrong_pin_fails_cleanly() {
    let p = Plugged::new();
    p.add_recipient();
    let (asked, text, code) =
        in_terminal(&p, &["run", "--", "sh", "-c", "echo child-ran"], "13579");
    assert!(asked, "{text}");
    assert_eq!(code, 1, "{text}");
    assert!(!text.contains("child-ran"), "{text}");
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "{text}");
    assert!(
        errors[0].starts_with("aisecrets: error: ")
            && errors[0].contains("age-plugin-aistest")
            && errors[0].contains("wrong PIN")
            && !errors[0].contains('\u{2068}'),
        "{text}"
    );
    assert!(p.log().contains("wrong-pin"), "{}", p.log());
    assert!(!p.log().contains("unwrapped"), "{}", p.log());
}

/// Without a terminal, a plugin that asks for its PIN ends in one line saying to run from
/// one. This is also the control of the PATH tests: from an allowed folder, the plugin runs.
#[test]
fn a_plugin_pin_without_a_terminal_says_to_run_from_one() {
    let p = Plugged::new();
    p.add_recipient();
    let before = p.log();
    let out = p
        .as_plugin_user(&["run", "--", "true"])
        .fails(1)
        .stderr_has("age-plugin-aistest asked for its PIN")
        .stderr_has("run this command from a terminal");
    // The plugin's own message ("touch your key") goes to standard error without a
    // terminal; then one error line.
    let err = out.stderr_str();
    let lines: Vec<&str> = err.lines().filter(|l| !l.contains(TOUCH)).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("aisecrets: error: "), "{err}");
    let ran = p.log()[before.len()..].to_owned();
    assert!(ran.contains("identity-v1"), "the plugin did not run: {ran}");
}

/// Threat model T4 for identities: a plugin found inside the current folder (an absolute PATH
/// entry that is the project), or through a relative PATH entry, is never run; the error
/// says what to do.
#[test]
fn a_plugin_identity_never_runs_a_plugin_from_the_current_folder_or_a_relative_path() {
    let p = Plugged::new();
    p.add_recipient();
    std::fs::remove_file(p.bin.join("age-plugin-aistest")).unwrap();
    install(&p.w.project);
    std::fs::remove_file(&p.log).unwrap();
    let system = std::env::var("PATH").unwrap();
    for (path, says) in [
        (
            format!("{}:{system}", p.w.project.display()),
            "inside the current folder",
        ),
        (format!(".:{system}"), "relative or empty entry"),
        (format!(":{system}"), "relative or empty entry"),
    ] {
        p.as_plugin_user(&["run", "--", "true"])
            .env("PATH", &path)
            .fails(1)
            .one_line_error()
            .stderr_has(says);
        // The same rule for the recipient side, asked for explicitly.
        p.cmd(&["recipients", "add", "yubi2", &p.recipient])
            .env("PATH", &path)
            .fails(1)
            .stderr_has(says);
        assert!(
            !p.log.exists(),
            "the plugin ran with PATH={path}: {}",
            p.log()
        );
    }
    // Control: the same binary, from a folder outside the project, does run; but not with
    // AGEDEBUG=plugin, which would print the PIN and the data key on standard error.
    install(&p.bin);
    p.as_plugin_user(&["run", "--", "true"])
        .env("AGEDEBUG", "plugin")
        .fails(1)
        .one_line_error()
        .stderr_has("unset AGEDEBUG");
    assert!(
        !p.log.exists(),
        "the plugin ran under AGEDEBUG: {}",
        p.log()
    );
    p.as_plugin_user(&["run", "--", "true"]).fails(1);
    assert!(p.log().contains("identity-v1"), "{}", p.log());
}

/// `identity show` prints the recipient the identity file names, in the SDK's form and in
/// age-plugin-yubikey's, without running the plugin; a file that names none gets one line.
/// `status` says which plugin, `list` shows names without running it, and `unlock` says
/// there is nothing to cache.
#[test]
fn identity_show_status_and_unlock_for_a_plugin_identity() {
    let p = Plugged::new();
    let show = |file: &Path| {
        p.cmd(&["identity", "show"])
            .env("AISECRETS_IDENTITY_FILE", file)
    };
    let out = show(&p.identity).ok();
    assert_eq!(out.stdout_str().trim(), p.recipient);

    let text = std::fs::read_to_string(&p.identity).unwrap();
    let yubikey_style = p.w.path("yubikey-style.txt");
    std::fs::write(
        &yubikey_style,
        format!(
            "#       Serial: 12345678, Slot: 1\n#   PIN policy: Once   (A PIN is required once per session, if set)\n{}",
            text.replace("# recipient: ", "#    Recipient: ")
        ),
    )
    .unwrap();
    assert_eq!(show(&yubikey_style).ok().stdout_str().trim(), p.recipient);

    let bare = p.w.path("bare.txt");
    let no_comment: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&bare, no_comment).unwrap();
    show(&bare)
        .fails(1)
        .one_line_error()
        .stderr_has("names no recipient");

    let status = p.as_plugin_user(&["status"]).ok().stdout_str();
    assert!(
        status.contains("plugin identity: age-plugin-aistest") && status.contains(&p.recipient),
        "{status}"
    );
    let json = p.as_plugin_user(&["status", "--json"]).ok().stdout_str();
    assert!(
        json.contains("\"plugin\": \"age-plugin-aistest\""),
        "{json}"
    );
    let list = p.as_plugin_user(&["list"]).ok();
    assert!(
        list.stdout_str().contains("OPENAI_API_KEY"),
        "{}",
        list.stdout_str()
    );
    list.stderr_has("does not run your identity's plugin (age-plugin-aistest)");
    p.as_plugin_user(&["unlock"])
        .ok()
        .stderr_has("nothing to unlock")
        .stderr_has("age-plugin-aistest");
    assert!(
        !p.log.exists(),
        "show, status or unlock ran the plugin: {}",
        p.log()
    );
}

/// `init` by a user whose only identity is the plugin one adds its recipient, wrapping the
/// new data key through the plugin.
#[test]
fn init_with_a_plugin_identity_adds_its_recipient() {
    let p = Plugged::new();
    let fresh = p.w.path("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    p.as_plugin_user(&["init"]).dir(&fresh).ok();
    let manifest = std::fs::read_to_string(fresh.join("aisecrets.toml")).unwrap();
    assert!(manifest.contains(&p.recipient), "{manifest}");
    assert!(age_header(&fresh.join("secrets/dev.toml")).contains("\n-> aistest "));
    assert!(p.log().contains("recipient-v1"), "{}", p.log());
}

/// The git merge driver, run inside `git merge` by a user whose identity is the plugin one,
/// with no terminal: the plugin asks for its PIN, and the conflict message says what failed
/// (not "you are not a recipient") and to merge again from a terminal.
#[test]
fn the_merge_driver_says_when_the_plugin_could_not_ask_for_its_pin() {
    use crate::merging::{Person, team};
    let w = World::empty();
    let (_alice, bob) = team(&w);
    let bin = w.path("plugins");
    std::fs::create_dir_all(&bin).unwrap();
    install(&bin);
    let identity = w.path("bob-aistest.txt");
    let recipient = new_plugin_identity(&identity);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let as_bob = |args: &[&str]| bob.aisecrets(args).env("PATH", &path);
    as_bob(&["recipients", "add", "bob-yubikey", &recipient]).ok();
    bob.git_ok(&["commit", "-qam", "bob's plugin key"]);
    // Two branches that each add a name: the driver must authenticate the merged file.
    bob.git_ok(&["checkout", "-qb", "feature"]);
    as_bob(&["set", "B_FEATURE"]).stdin("feature-FAKE").ok();
    bob.git_ok(&["commit", "-qam", "feature"]);
    bob.git_ok(&["checkout", "-q", "main"]);
    as_bob(&["set", "B_MAIN"]).stdin("main-FAKE").ok();
    bob.git_ok(&["commit", "-qam", "main"]);

    let log = w.path("plugin.log");
    let Person { dir, home, .. } = &bob;
    let mut git = crate::util::git_command(dir, "bob", &w.path("bob-userhome"), home);
    git.args(["merge", "feature", "-m", "merge feature"])
        .env(
            "PATH",
            format!(
                "{}:{path}",
                Path::new(crate::util::bin()).parent().unwrap().display()
            ),
        )
        .env("AISECRETS_IDENTITY_FILE", &identity)
        .env("AISTEST_LOG", &log);
    crate::util::no_controlling_terminal(&mut git);
    let out = git.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("your identity's age plugin did not open it")
            && err.contains("from a terminal")
            && !err.contains("not one of its recipients"),
        "{err}"
    );
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("identity-v1")
    );
}
