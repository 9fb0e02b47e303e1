//! Issue 13, "done means": a second clone follows the README from a fresh home, with a
//! passphrase typed at a terminal, and merges, edits, runs and is offboarded with no step
//! left out. Each block below is a block of the README's "Onboarding a teammate",
//! "Working together in git" and "Offboarding" sections, in order.
//! <https://github.com/aisecrets/aisecrets/issues/13>

use rexpect::session::spawn_command;

use crate::merging::{Person, origin_and_clones};
use crate::util::{HF, OPENAI, World, terminal_end};

const PASS: &str = "bob's long passphrase, typed";
/// What bob types at a hidden value prompt.
const TYPED_VALUE: &str = "wandb-FAKE-bob-000000000000";

impl Person<'_> {
    /// aisecrets at a terminal, as a person types: the passphrase at each passphrase
    /// prompt, `y` at each question. Returns (everything printed, exit code).
    fn at_terminal(&self, args: &[&str], env: &[(&str, &str)]) -> (String, i32) {
        let mut c = self.w.command(args);
        c.current_dir(&self.dir)
            .env("AISECRETS_HOME", &self.home)
            .env("USER", self.name)
            .env(
                "HOME",
                self.w.dir.path().join(format!("{}-userhome", self.name)),
            );
        for (k, v) in env {
            c.env(k, v);
        }
        let mut p = spawn_command(c, Some(60_000)).unwrap();
        let mut text = String::new();
        loop {
            match p.exp_any(vec![
                rexpect::ReadUntil::String("assphrase".into()),
                rexpect::ReadUntil::String("[y/N]".into()),
                rexpect::ReadUntil::String("(hidden): ".into()),
                rexpect::ReadUntil::EOF,
            ]) {
                Ok((before, found)) if found == "(hidden): " => {
                    text += &(before + &found);
                    p.send_line(TYPED_VALUE).unwrap();
                }
                Ok((before, found)) if found == "assphrase" => {
                    // Wait for the end of the prompt line, then type.
                    let (rest, colon) = p.exp_string(": ").map(|r| (r, ": ")).unwrap();
                    text += &(before + &found + &rest + colon);
                    p.send_line(PASS).unwrap();
                }
                Ok((before, found)) if found == "[y/N]" => {
                    text += &(before + &found);
                    p.send_line("y").unwrap();
                }
                Ok((before, found)) => {
                    text += &(before + &found);
                    break;
                }
                Err(e) => panic!("{e}\n{text}"),
            }
        }
        terminal_end(&mut p, &text, PASS)
    }

    #[track_caller]
    fn at_terminal_ok(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let (text, code) = self.at_terminal(args, env);
        assert_eq!(code, 0, "{args:?}:\n{text}");
        text
    }
}

#[test]
fn issue13_a_teammate_follows_the_readme_from_a_fresh_home() {
    let mut w = World::empty();
    w.canary("sk-proj-FAKErotatedAfterBob00000");
    w.canary(TYPED_VALUE);
    w.canary("sk-ant-FAKEalice0000000000");
    origin_and_clones(&w, &["alice", "bob"]);
    let (alice, bob) = (Person::new(&w, "alice"), Person::new(&w, "bob"));

    // alice's project, as the five-minute tour makes it (init in a git repository also
    // sets up git), pushed.
    alice
        .aisecrets(&["identity", "new", "--no-passphrase"])
        .ok();
    alice
        .aisecrets(&["init"])
        .ok()
        .stderr_has("git setup: wrote");
    alice
        .aisecrets(&["set", "OPENAI_API_KEY"])
        .stdin(OPENAI)
        .ok();
    alice.aisecrets(&["set", "HF_TOKEN"]).stdin(HF).ok();
    std::fs::create_dir_all(alice.dir.join("examples")).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/train.py"),
        alice.dir.join("examples/train.py"),
    )
    .unwrap();
    alice.git_ok(&["add", "-A"]);
    alice.git_ok(&["commit", "-qm", "add secrets"]);
    alice.git_ok(&["push", "-q", "origin", "HEAD:main"]);

    // README, "Onboarding a teammate". bob, in his clone, from a fresh home:
    bob.git_ok(&["pull", "-q", "origin", "main"]);
    let out = bob.at_terminal_ok(&["identity", "new"], &[]);
    assert!(out.contains("age1"), "{out}");
    // Before access, a command says what to do, without asking for the passphrase.
    let (out, code) = bob.at_terminal(&["run", "--", "true"], &[]);
    assert_eq!(code, 1);
    assert!(!out.contains("Passphrase for"), "{out}");
    assert!(out.contains("aisecrets request-access"), "{out}");
    bob.aisecrets(&["request-access"])
        .ok()
        .stderr_has("aisecrets recipients approve bob");
    bob.git_ok(&["commit", "-qam", "bob asks for access"]);
    bob.git_ok(&["push", "-q", "origin", "HEAD:main"]);

    // alice, a member:
    alice.git_ok(&["pull", "-q", "origin", "main"]);
    let list = alice.aisecrets(&["recipients", "list"]).ok().stdout_str();
    assert!(list.contains("bob") && list.contains("pending"), "{list}");
    alice.aisecrets(&["recipients", "approve", "bob"]).ok();
    alice.git_ok(&["commit", "-qam", "add bob"]);
    alice.git_ok(&["push", "-q", "origin", "HEAD:main"]);

    // bob again: pull, trust (answering the question at the terminal), run.
    bob.git_ok(&["pull", "-q", "origin", "main"]);
    let out = bob.at_terminal_ok(&["trust"], &[]);
    assert!(out.contains("trusted `dev`"), "{out}");
    let out = bob.at_terminal_ok(&["run", "--", "python3", "examples/train.py"], &[]);
    assert!(
        out.contains("OPENAI_API_KEY: present") && out.contains("training: ok"),
        "{out}"
    );
    assert!(!out.contains(OPENAI));

    // README, "Working together in git". bob never ran `aisecrets git setup`: his
    // commands set the drivers up. He adds a name on a branch while alice adds another.
    let config = std::fs::read_to_string(bob.dir.join(".git/config")).unwrap();
    assert!(config.contains("[merge \"aisecrets\"]"), "{config}");
    bob.git_ok(&["checkout", "-qb", "wandb"]);
    bob.at_terminal_ok(&["set", "WANDB_API_KEY"], &[]);
    bob.git_ok(&["commit", "-qam", "wandb key"]);
    alice
        .aisecrets(&["set", "ANTHROPIC_API_KEY"])
        .stdin("sk-ant-FAKEalice0000000000")
        .ok();
    alice.git_ok(&["commit", "-qam", "anthropic key"]);
    alice.git_ok(&["push", "-q", "origin", "HEAD:main"]);
    bob.git_ok(&["fetch", "-q", "origin"]);
    // The merge driver authenticates the merged file with bob's identity: unlocked once at
    // the terminal, as the README says, and used from the cache (a private session keyring).
    bob.at_terminal_ok(
        &["unlock", "--for", "10m"],
        &[("AISECRETS_KEYRING", "auto")],
    );
    let out = bob.git_with(
        &["merge", "-q", "origin/main", "-m", "merge main"],
        &[("AISECRETS_KEYRING", "auto")],
    );
    assert!(
        out.status.success(),
        "bob's merge: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    bob.at_terminal_ok(&["lock"], &[("AISECRETS_KEYRING", "auto")]);
    // edit: bob changes HF_TOKEN in his editor.
    let ed = bob.w.path("bob-editor");
    std::fs::write(
        &ed,
        "#!/bin/sh\nsed -i \"s/^HF_TOKEN=.*/HF_TOKEN='hf_FAKEeditedByBob00000'/\" \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&ed, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = bob.at_terminal_ok(&["edit"], &[("EDITOR", &ed.display().to_string())]);
    assert!(out.contains("1 changed"), "{out}");
    let out = bob.at_terminal_ok(
        &[
            "run",
            "--",
            "sh",
            "-c",
            "case \"$HF_TOKEN\" in hf_FAKEeditedBy*) ;; *) exit 1;; esac && [ -n \"$WANDB_API_KEY\" ] && [ -n \"$ANTHROPIC_API_KEY\" ] && echo all-three",
        ],
        &[],
    );
    assert!(out.contains("all-three"), "{out}");
    bob.git_ok(&["commit", "-qam", "edit hf"]);
    bob.git_ok(&["push", "-q", "origin", "HEAD:main"]);
    alice.git_ok(&["pull", "-q", "origin", "main"]);
    assert_eq!(alice.get("WANDB_API_KEY"), "wandb-FAKE-bob-000000000000\n");

    // README, "Offboarding": alice removes bob, sees what he could read, rotates.
    alice.aisecrets(&["recipients", "rm", "bob"]).ok();
    let status = alice.aisecrets(&["status"]).ok().stdout_str();
    assert!(
        status.contains("exposed") && status.contains("OPENAI_API_KEY") && status.contains("bob"),
        "{status}"
    );
    alice
        .aisecrets(&["rotate", "OPENAI_API_KEY"])
        .stdin("sk-proj-FAKErotatedAfterBob00000")
        .ok();
    alice.git_ok(&["commit", "-qam", "remove bob, rotate keys"]);
    alice.git_ok(&["push", "-q", "origin", "HEAD:main"]);
    // bob pulls: no access, and he is told so before any passphrase prompt.
    bob.git_ok(&["pull", "-q", "--no-rebase", "origin", "main"]);
    let (out, code) = bob.at_terminal(&["run", "--", "true"], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("Passphrase for"), "{out}");
    assert!(out.contains("no identity of yours can open"), "{out}");
}
