//! Writes: atomic under kill -9, locked across processes, minimal, never through symlinks.

use std::process::Stdio;
use std::time::Duration;

use crate::util::{HF, World, token_line};

#[test]
fn unchanged_values_keep_their_exact_ciphertext() {
    let w = World::with_secrets();
    let before = std::fs::read_to_string(w.dev_file()).unwrap();
    w.cmd(["set", "NEW_ONE"]).stdin("x").ok();
    w.cmd(["set", "OPENAI_API_KEY"]).stdin("sk-FAKE-other").ok();
    let after = std::fs::read_to_string(w.dev_file()).unwrap();
    assert_eq!(
        token_line(&before, "HF_TOKEN"),
        token_line(&after, "HF_TOKEN")
    );
    assert_ne!(
        token_line(&before, "OPENAI_API_KEY"),
        token_line(&after, "OPENAI_API_KEY")
    );
    // Setting the same value again writes nothing at all.
    let mtime = std::fs::metadata(w.dev_file()).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    w.cmd(["set", "HF_TOKEN"])
        .stdin(HF)
        .ok()
        .stderr_has("unchanged");
    assert_eq!(std::fs::read_to_string(w.dev_file()).unwrap(), after);
    assert_eq!(
        std::fs::metadata(w.dev_file()).unwrap().modified().unwrap(),
        mtime
    );
}

#[test]
fn kill_9_at_any_moment_of_a_set_leaves_a_file_that_opens() {
    let w = World::with_secrets();
    let big = "v".repeat(200_000);
    for i in 0..40u64 {
        let mut c = w.cmd(["set", &format!("K{}", i % 5)]).cmd;
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut sin = child.stdin.take().unwrap();
            let _ = sin.write_all(format!("{big}{i}").as_bytes());
        }
        std::thread::sleep(Duration::from_micros(i * 1500 % 40_000));
        let _ = child.kill();
        let _ = child.wait();
        let out = w.cmd(["get", "HF_TOKEN"]).reveals().ok();
        assert_eq!(out.stdout_str().trim(), HF, "round {i}");
    }
    // Temp files of killed writers are swept by the next write.
    w.cmd(["set", "AFTER"]).stdin("x").ok();
    let leftovers: Vec<_> = std::fs::read_dir(w.project.join("secrets"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != "dev.toml")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn concurrent_sets_of_different_names_all_land() {
    let w = World::new();
    let children: Vec<_> = (0..12)
        .map(|i| {
            let mut c = w.cmd(["set", &format!("NAME_{i}")]).cmd;
            let mut child = c
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            {
                use std::io::Write;
                let mut sin = child.stdin.take().unwrap();
                sin.write_all(format!("value-{i}").as_bytes()).unwrap();
            }
            child
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let list = w.cmd(["list"]).ok().stdout_str();
    for i in 0..12 {
        assert!(
            list.contains(&format!("NAME_{i} ")),
            "NAME_{i} lost:\n{list}"
        );
    }
    assert_eq!(w.cmd(["get", "NAME_7"]).ok().stdout_str(), "value-7\n");
}

#[test]
fn never_writes_through_a_symlink() {
    let w = World::with_secrets();
    let real = w.path("elsewhere.toml");
    std::fs::rename(w.dev_file(), &real).unwrap();
    std::os::unix::fs::symlink(&real, w.dev_file()).unwrap();
    let before = std::fs::read(&real).unwrap();
    w.cmd(["set", "X"])
        .stdin("y")
        .fails(1)
        .one_line_error()
        .stderr_has("symbolic link");
    assert_eq!(std::fs::read(&real).unwrap(), before);
    assert!(
        std::fs::symlink_metadata(w.dev_file())
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn identity_is_never_created_through_a_symlink() {
    let w = World::empty();
    let target = w.path("planted");
    std::os::unix::fs::symlink(&target, w.home.join("identity.age")).unwrap();
    w.cmd(["identity", "new", "--no-passphrase"]).fails(1);
    assert!(!target.exists());
}
