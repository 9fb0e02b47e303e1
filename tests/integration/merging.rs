//! Issue 13, teams in git without traps: every clone merges by name without anyone running
//! `git setup`, a text-merged file says how to redo the merge, and an unresolved secret
//! conflict can be neither committed nor used.
//! <https://github.com/aisecrets/aisecrets/issues/13>

use std::path::PathBuf;
use std::process::Output;

use crate::util::{Cmd, OPENAI, World, git_command, git_in, git_succeeded};

/// A person: their own user folder (`<name>-home`) and clone (`<name>`), and a git HOME
/// of their own, so nothing global applies.
pub struct Person<'a> {
    pub w: &'a World,
    pub name: &'static str,
    pub dir: PathBuf,
    pub home: PathBuf,
}

impl<'a> Person<'a> {
    pub fn new(w: &'a World, name: &'static str) -> Self {
        let root = w.dir.path();
        Self {
            w,
            name,
            dir: root.join(name),
            home: root.join(format!("{name}-home")),
        }
    }

    /// aisecrets in this person's clone.
    pub fn aisecrets(&self, args: &[&str]) -> Cmd {
        self.w
            .cmd(args)
            .dir(&self.dir)
            .env("AISECRETS_HOME", &self.home)
            .env("USER", self.name)
            .env(
                "HOME",
                self.w.dir.path().join(format!("{}-userhome", self.name)),
            )
    }

    /// git in this person's clone (hooks and drivers see the same user folder).
    pub fn git(&self, args: &[&str]) -> Output {
        self.git_with(args, &[])
    }

    /// [`Person::git`] with more variables (e.g. `AISECRETS_KEYRING=auto` to let the merge
    /// driver use the unlock cache).
    pub fn git_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let home = self.w.dir.path().join(format!("{}-userhome", self.name));
        git_command(&self.dir, self.name, &home, &self.home)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("USER", self.name)
            .envs(env.iter().copied())
            .output()
            .expect("git")
    }

    #[track_caller]
    pub fn git_ok(&self, args: &[&str]) -> String {
        git_succeeded(&self.git(args), &format!("{} git {args:?}", self.name))
    }

    pub fn public_key(&self) -> String {
        self.aisecrets(&["identity", "show"])
            .ok()
            .stdout_str()
            .trim()
            .to_owned()
    }

    #[track_caller]
    pub fn get(&self, name: &str) -> String {
        self.aisecrets(&["get", name]).reveals().ok().stdout_str()
    }
}

/// A bare `origin.git` and an empty clone of it for each name.
pub fn origin_and_clones(w: &World, names: &[&str]) {
    let root = w.dir.path();
    git_in(root, &["init", "-q", "--bare", "-b", "main", "origin.git"]);
    for n in names {
        git_in(root, &["clone", "-q", "origin.git", n]);
    }
}

/// alice starts the project (one secret, pushed); bob, in his own clone, is added by alice
/// and trusts the key. bob never runs `aisecrets git setup`.
pub(crate) fn team(w: &World) -> (Person<'_>, Person<'_>) {
    origin_and_clones(w, &["alice", "bob"]);
    let (alice, bob) = (Person::new(w, "alice"), Person::new(w, "bob"));
    alice
        .aisecrets(&["identity", "new", "--no-passphrase"])
        .ok();
    alice.aisecrets(&["init"]).ok();
    alice.aisecrets(&["git", "setup"]).ok();
    alice
        .aisecrets(&["set", "OPENAI_API_KEY"])
        .stdin(OPENAI)
        .ok();
    bob.aisecrets(&["identity", "new", "--no-passphrase"]).ok();
    alice
        .aisecrets(&["recipients", "add", "bob", &bob.public_key()])
        .ok();
    alice.git_ok(&["add", "-A"]);
    alice.git_ok(&["commit", "-qm", "secrets"]);
    alice.git_ok(&["push", "-q", "origin", "HEAD:main"]);
    bob.git_ok(&["pull", "-q", "origin", "main"]);
    bob.aisecrets(&["trust", "--yes"]).ok();
    (alice, bob)
}

/// bob's branch `feature` adds `B_FEATURE`, then main adds `B_MAIN`; bob is on main.
fn diverged(bob: &Person<'_>) {
    bob.git_ok(&["checkout", "-qb", "feature"]);
    bob.aisecrets(&["set", "B_FEATURE"])
        .stdin("feature-FAKE")
        .ok();
    bob.git_ok(&["commit", "-qam", "feature"]);
    bob.git_ok(&["checkout", "-q", "main"]);
    bob.aisecrets(&["set", "B_MAIN"]).stdin("main-FAKE").ok();
    bob.git_ok(&["commit", "-qam", "main"]);
}

/// #13 point 1: in a clone where nobody ran `git setup`, two branches that add different
/// names conflicted as text. Any aisecrets command there now sets the drivers up (here
/// bob's `trust`), so the merge is clean.
#[test]
fn issue13_a_clone_that_never_ran_git_setup_merges_different_names_cleanly() {
    let w = World::empty();
    let (_alice, bob) = team(&w);
    diverged(&bob);
    bob.git_ok(&["merge", "-q", "feature", "-m", "merge feature"]);
    assert_eq!(bob.get("B_FEATURE"), "feature-FAKE\n");
    assert_eq!(bob.get("B_MAIN"), "main-FAKE\n");
    let config = std::fs::read_to_string(bob.dir.join(".git/config")).unwrap();
    assert!(config.contains("[merge \"aisecrets\"]"), "{config}");
    // The driver runs this very binary, by absolute path, not a PATH lookup.
    let exe = std::fs::canonicalize(crate::util::bin()).unwrap();
    assert!(
        config.contains(&format!("'{}' git merge %O %A %B %P", exe.display())),
        "{config}"
    );
}

/// #13 point 1: a file merged as text (a clone with no driver at merge time) was met with
/// `git checkout -- FILE`, which throws work away; the error now says how to redo the merge
/// with the driver, and doing exactly that merges cleanly.
#[test]
fn issue13_a_text_merged_file_says_how_to_redo_the_merge_with_the_driver() {
    let w = World::empty();
    let (_alice, bob) = team(&w);
    diverged(&bob);
    // As in a clone before #13, where nothing set the driver up: git merges as text.
    let _ = bob.git(&["config", "--remove-section", "merge.aisecrets"]);
    let out = bob.git(&["merge", "feature", "-m", "merge feature"]);
    assert!(!out.status.success(), "expected a text conflict");
    assert!(
        std::fs::read_to_string(bob.dir.join("secrets/dev.toml"))
            .unwrap()
            .contains("<<<<<<<")
    );
    let err = bob.aisecrets(&["run", "--", "true"]).fails(1).stderr_str();
    let line = err
        .lines()
        .find(|l| l.starts_with("aisecrets: error:"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains("git merge --abort && aisecrets git setup && git merge feature"),
        "{err}"
    );
    assert!(!line.contains("git checkout --"), "{err}");
    // Do exactly what it says.
    bob.git_ok(&["merge", "--abort"]);
    bob.aisecrets(&["git", "setup"]).ok();
    bob.git_ok(&["merge", "-q", "feature", "-m", "merge feature"]);
    assert_eq!(bob.get("B_FEATURE"), "feature-FAKE\n");
    assert_eq!(bob.get("B_MAIN"), "main-FAKE\n");
}

/// #13 point 2: after a merge that gave one secret two values, `git add` and `git commit`
/// succeeded, `run` used one side silently and `status` said all was well. Now the hook
/// refuses the commit, `run`/`get`/`export` of the name refuse naming `aisecrets edit`,
/// `status` lists it, and `edit` labels each side with its branch and who set it.
#[test]
fn issue13_an_unresolved_secret_conflict_can_be_neither_committed_nor_used() {
    let w = World::empty();
    let (alice, bob) = team(&w);
    bob.git_ok(&["checkout", "-qb", "rotation"]);
    bob.aisecrets(&["set", "OPENAI_API_KEY"])
        .stdin("sk-proj-FAKEbobsNewValue000000")
        .ok();
    bob.git_ok(&["commit", "-qam", "bob rotates"]);
    bob.git_ok(&["push", "-q", "origin", "rotation"]);
    alice
        .aisecrets(&["set", "OPENAI_API_KEY"])
        .stdin("sk-proj-FAKEalicesNewValue0000")
        .ok();
    alice
        .aisecrets(&["set", "HF_TOKEN"])
        .stdin("hf_FAKEalice0000")
        .ok();
    alice.git_ok(&["commit", "-qam", "alice rotates"]);
    alice.git_ok(&["fetch", "-q", "origin"]);
    let out = alice.git(&["merge", "origin/rotation", "-m", "merge rotation"]);
    assert!(!out.status.success());
    // The hook refuses to commit the unresolved file.
    alice.git_ok(&["add", "secrets/dev.toml"]);
    let out = alice.git(&["commit", "-qm", "merge rotation"]);
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the conflict was committed:\n{text}");
    assert!(
        text.contains("OPENAI_API_KEY") && text.contains("aisecrets edit"),
        "{text}"
    );
    // Nothing uses either side.
    for args in [
        &["run", "--", "true"][..],
        &["get", "OPENAI_API_KEY"][..],
        &["export"][..],
    ] {
        alice
            .aisecrets(args)
            .fails(1)
            .one_line_error()
            .stderr_has("`OPENAI_API_KEY`")
            .stderr_has("aisecrets edit");
    }
    // Names not in conflict still work.
    assert_eq!(alice.get("HF_TOKEN"), "hf_FAKEalice0000\n");
    alice
        .aisecrets(&["run", "--only", "HF_TOKEN", "--", "true"])
        .ok();
    let status = alice.aisecrets(&["status"]).ok().stdout_str();
    assert!(
        status.contains("conflicts") && status.contains("dev  OPENAI_API_KEY"),
        "{status}"
    );
    assert!(!status.contains("none exposed or stale"), "{status}");
    // edit labels each side; this editor saves a copy of what it was shown and keeps bob's.
    let shown = w.path("shown.txt");
    let ed = w.path("keep-bobs");
    std::fs::write(
        &ed,
        format!(
            "#!/bin/sh\ncp \"$1\" '{}'\ngrep -v \"^OPENAI_API_KEY='sk-proj-FAKEalices\" \"$1\" > \"$1.n\" && cat \"$1.n\" > \"$1\" && rm \"$1.n\"\n",
            shown.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &ed,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
    )
    .unwrap();
    alice
        .aisecrets(&["edit"])
        .env("EDITOR", &ed)
        .ok()
        .stderr_has("1 conflict(s) resolved");
    let shown = std::fs::read_to_string(&shown).unwrap();
    let head = alice.git_ok(&["rev-parse", "--short", "HEAD"]);
    let theirs = alice.git_ok(&["rev-parse", "--short", "MERGE_HEAD"]);
    assert!(
        shown.contains(&format!("# ours, main ({}), set by alice", head.trim())),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("rotation ({}), set by bob", theirs.trim())),
        "{shown}"
    );
    assert_eq!(
        alice.get("OPENAI_API_KEY"),
        "sk-proj-FAKEbobsNewValue000000\n"
    );
    alice.git_ok(&["add", "secrets/dev.toml"]);
    alice.git_ok(&["commit", "-qm", "merge rotation"]);
}
