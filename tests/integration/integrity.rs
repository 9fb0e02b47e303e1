//! Broken, edited, forged or foreign files are refused whole: a one-line error that
//! names the file, exit 1, nothing injected, nothing written.

use crate::util::{HF, OPENAI, World, age_open_data_key, drop_token_line, token_of};

/// Asserts that every reading command refuses the dev file, injects nothing and writes
/// nothing, and that the error names the file.
#[track_caller]
fn refused(w: &World, needle: &str) {
    let before = std::fs::read(w.dev_file()).unwrap();
    let out = w
        .cmd(["run", "--", "env"])
        .fails(1)
        .one_line_error()
        .stderr_has("secrets/dev.toml")
        .stderr_has(needle);
    assert!(out.stdout_str().is_empty(), "something reached the child");
    assert!(!out.stdout_str().contains("OPENAI_API_KEY"));
    w.cmd(["get", "HF_TOKEN"]).fails(1).one_line_error();
    w.cmd(["list"]).fails(1);
    w.cmd(["export"]).fails(1);
    w.cmd(["set", "NEW"]).stdin("x").fails(1);
    assert_eq!(
        std::fs::read(w.dev_file()).unwrap(),
        before,
        "a refused file was rewritten"
    );
}

fn edit(w: &World, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(w.dev_file()).unwrap();
    std::fs::write(w.dev_file(), f(text)).unwrap();
}

#[test]
fn truncated_file() {
    let w = World::with_secrets();
    edit(&w, |t| t[..t.len() - 40].to_owned());
    refused(&w, "");
}

#[test]
fn truncated_inside_the_data_key() {
    let w = World::with_secrets();
    edit(&w, |t| {
        let cut = t.find("-----END").unwrap() - 30;
        t[..cut].to_owned()
    });
    refused(&w, "");
}

#[test]
fn edited_value() {
    let w = World::with_secrets();
    edit(&w, |t| {
        let tok = token_of(&t, "HF_TOKEN");
        let mut b = tok.clone().into_bytes();
        let i = b.len() - 6;
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        t.replace(&tok, std::str::from_utf8(&b).unwrap())
    });
    refused(&w, "fails authentication");
}

#[test]
fn value_moved_to_another_name() {
    let w = World::with_secrets();
    edit(&w, |t| {
        let a = token_of(&t, "HF_TOKEN");
        let b = token_of(&t, "OPENAI_API_KEY");
        t.replace(&a, "@@").replace(&b, &a).replace("@@", &b)
    });
    refused(&w, "fails authentication");
}

#[test]
fn value_copied_from_another_environment() {
    let w = World::with_secrets();
    w.cmd(["init", "--env", "prod"]).ok();
    w.cmd(["set", "HF_TOKEN", "--env", "prod"])
        .stdin("hf_FAKE_prod")
        .ok();
    let prod = std::fs::read_to_string(w.project.join("secrets/prod.toml")).unwrap();
    edit(&w, |t| {
        let ours = token_of(&t, "HF_TOKEN");
        t.replace(&ours, &token_of(&prod, "HF_TOKEN"))
    });
    refused(&w, "fails authentication");
}

#[test]
fn wrongly_keyed_file() {
    // A data key block from elsewhere (as a forger holding only public keys could make).
    let w = World::with_secrets();
    w.cmd(["init", "--env", "prod"]).ok();
    let prod = std::fs::read_to_string(w.project.join("secrets/prod.toml")).unwrap();
    let block = |t: &str| {
        let s = t.find("data_key = ").unwrap();
        let e = t[s..].find("\n\"\"\"\n").unwrap() + s + 1;
        t[s..e].to_owned()
    };
    edit(&w, |t| t.replace(&block(&t), &block(&prod)));
    refused(&w, "key_id does not match");
}

#[test]
fn armor_error() {
    let w = World::with_secrets();
    edit(&w, |t| {
        t.replacen(
            "-----BEGIN AGE ENCRYPTED FILE-----\n",
            "-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n",
            1,
        )
    });
    refused(&w, "");
}

#[test]
fn unknown_format() {
    let w = World::with_secrets();
    edit(&w, |t| t.replace("format = 2", "format = 9"));
    refused(&w, "format 9");
}

#[test]
fn unknown_field_and_invalid_names() {
    let w = World::with_secrets();
    edit(&w, |t| {
        t.replace("[secrets]\n", "[secrets]\nLD_PRELOAD-x = \"v1:AAAA\"\n")
    });
    refused(&w, "");
    let w = World::with_secrets();
    edit(&w, |t| {
        t.replace("format = 2\n", "format = 2\nsigned = true\n")
    });
    refused(&w, "");
}

#[test]
fn git_conflict_markers() {
    let w = World::with_secrets();
    edit(&w, |t| {
        t.replace(
            "[secrets]\n",
            "[secrets]\n<<<<<<< HEAD\n=======\n>>>>>>> other\n",
        )
    });
    refused(&w, "conflict markers");
}

#[test]
fn another_projects_file() {
    let w = World::with_secrets();
    let other = World::with_secrets();
    std::fs::copy(other.dev_file(), w.dev_file()).unwrap();
    refused(&w, "another project");
}

#[test]
fn not_a_regular_file() {
    let w = World::with_secrets();
    std::fs::remove_file(w.dev_file()).unwrap();
    nix::unistd::mkfifo(
        &w.dev_file(),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let start = std::time::Instant::now();
    w.cmd(["run", "--", "env"])
        .fails(1)
        .one_line_error()
        .stderr_has("not a regular file");
    assert!(start.elapsed().as_secs() < 5, "a FIFO must not hang");
    std::fs::remove_file(w.dev_file()).unwrap();
    std::os::unix::fs::symlink("/dev/zero", w.dev_file()).unwrap();
    w.cmd(["get", "X"])
        .fails(1)
        .one_line_error()
        .stderr_has("symbolic link");
}

#[test]
fn too_many_recipient_stanzas_are_refused_cheaply() {
    use base64::Engine;
    let w = World::with_secrets();
    // A header with 5000 X25519 stanzas: refused before any public-key work.
    let mut header = String::from("age-encryption.org/v1\n");
    for _ in 0..5000 {
        header.push_str("-> X25519 ");
        header.push_str(&"A".repeat(43));
        header.push('\n');
        header.push_str(&"B".repeat(43));
        header.push('\n');
    }
    header.push_str("--- ");
    header.push_str(&"C".repeat(43));
    header.push('\n');
    let b64 = base64::engine::general_purpose::STANDARD.encode(header.as_bytes());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let armored = format!(
        "-----BEGIN AGE ENCRYPTED FILE-----\n{}\n-----END AGE ENCRYPTED FILE-----\n",
        lines.join("\n")
    );
    edit(&w, |t| {
        let s = t.find("-----BEGIN").unwrap();
        let e = t.find("-----END AGE ENCRYPTED FILE-----\n").unwrap() + 33;
        format!("{}{}{}", &t[..s], armored, &t[e..])
    });
    let start = std::time::Instant::now();
    refused(&w, "too many recipient stanzas");
    assert!(start.elapsed().as_secs() < 10);
}

#[test]
fn the_reference_age_cli_opens_the_data_key() {
    let w = World::with_secrets();
    let text = std::fs::read_to_string(w.dev_file()).unwrap();
    let data_key = age_open_data_key(&text, &w.home.join("identity.age"), &w.path("data_key.age"));
    assert_eq!(data_key.len(), 32);
    let key_id = aisecrets::keys::seal::DataKey::from_bytes(&data_key)
        .unwrap()
        .key_id();
    assert!(text.contains(&format!("key_id = \"{key_id}\"")));
    // And the values open with that key alone, as docs/FORMAT.md describes.
    let project = text
        .lines()
        .find_map(|l| l.strip_prefix("project = \""))
        .unwrap()
        .trim_end_matches('"');
    let key = aisecrets::keys::seal::DataKey::from_bytes(&data_key).unwrap();
    let tok = token_of(&text, "OPENAI_API_KEY");
    assert_eq!(
        key.open(project, "dev", "OPENAI_API_KEY", &tok)
            .unwrap()
            .value
            .expose(),
        OPENAI
    );
    let tok = token_of(&text, "HF_TOKEN");
    assert_eq!(
        key.open(project, "dev", "HF_TOKEN", &tok)
            .unwrap()
            .value
            .expose(),
        HF
    );
}

// Issue #12, point 6: what a repository writer without the data key could still do to an
// environment file. Each edit below opened fine before the file MAC (format 2).

#[test]
fn a_deleted_line_is_refused() {
    let w = World::with_secrets();
    edit(&w, |t| drop_token_line(&t, "HF_TOKEN"));
    refused(&w, "mac does not match");
}

#[test]
fn an_older_token_of_the_same_name_put_back_from_history_is_refused() {
    let w = World::with_secrets();
    let old = token_of(&std::fs::read_to_string(w.dev_file()).unwrap(), "HF_TOKEN");
    w.cmd(["set", "HF_TOKEN"])
        .stdin("hf_FAKErotated000000")
        .ok();
    edit(&w, |t| {
        let new = token_of(&t, "HF_TOKEN");
        t.replace(&new, &old)
    });
    refused(&w, "mac does not match");
}

#[test]
fn an_edited_recipients_list_is_refused() {
    let w = World::with_secrets();
    edit(&w, |t| {
        let line = t.lines().find(|l| l.starts_with("recipients = [")).unwrap();
        t.replace(line, &line.replace(']', ", \"mallory\"]"))
    });
    refused(&w, "mac does not match");
}

#[test]
fn a_corrupted_or_added_rekeys_value_is_refused() {
    let w = World::with_secrets();
    // A rekeys value where there was none (it is sealed, so it looks like any other).
    edit(&w, |t| {
        t.replacen(
            "\n\"\"\"\n",
            "\n\"\"\"\nrekeys = \"v1:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\"\n",
            1,
        )
    });
    refused(&w, "mac does not match");
    // An existing chain (after `recipients rm`) corrupted.
    let w = World::with_secrets();
    let out = std::process::Command::new("age-keygen").output().unwrap();
    let public = String::from_utf8(out.stderr)
        .unwrap()
        .trim()
        .trim_start_matches("Public key: ")
        .to_owned();
    w.cmd(["recipients", "add", "bob", &public]).ok();
    w.cmd(["recipients", "rm", "bob"]).ok();
    edit(&w, |t| {
        let line = t.lines().find(|l| l.starts_with("rekeys = ")).unwrap();
        let mut b = line.as_bytes().to_vec();
        let i = b.len() - 8;
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        t.replace(line, std::str::from_utf8(&b).unwrap())
    });
    refused(&w, "mac does not match");
}

#[test]
fn a_symlinked_environment_file_folder_or_manifest_is_refused() {
    // The file: a link to a file outside the project (here a valid one, so only the link
    // itself can be the reason).
    let w = World::with_secrets();
    let outside = w.path("outside.toml");
    std::fs::rename(w.dev_file(), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, w.dev_file()).unwrap();
    w.cmd(["list"])
        .fails(1)
        .one_line_error()
        .stderr_has("symbolic link");
    w.cmd(["git", "textconv", "secrets/dev.toml"])
        .fails(1)
        .stderr_has("symbolic link");
    // The folder: `secrets -> elsewhere`.
    let w = World::with_secrets();
    let elsewhere = w.path("elsewhere");
    std::fs::rename(w.project.join("secrets"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, w.project.join("secrets")).unwrap();
    w.cmd(["run", "--", "env"])
        .fails(1)
        .one_line_error()
        .stderr_has("symbolic link");
    // The manifest.
    let w = World::with_secrets();
    let manifest = w.path("manifest.toml");
    std::fs::rename(w.project.join("aisecrets.toml"), &manifest).unwrap();
    std::os::unix::fs::symlink(&manifest, w.project.join("aisecrets.toml")).unwrap();
    w.cmd(["list"])
        .fails(1)
        .one_line_error()
        .stderr_has("symbolic link");
}

/// Runs the binary under `/usr/bin/time` (Debian package `time`): its output, its peak
/// resident memory in KiB, and how long it took.
fn measured(w: &World, args: &[&str]) -> (std::process::Output, u64, std::time::Duration) {
    let inner = w.command(args);
    let mut c = std::process::Command::new("/usr/bin/time");
    c.arg("-f")
        .arg("maxrss_kb=%M")
        .arg(inner.get_program())
        .args(inner.get_args())
        .current_dir(&w.project)
        .stdin(std::process::Stdio::null());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    crate::util::no_controlling_terminal(&mut c);
    let start = std::time::Instant::now();
    let out = c.output().expect("/usr/bin/time (Debian package time)");
    let took = start.elapsed();
    let kb = String::from_utf8_lossy(&out.stderr)
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("maxrss_kb="))
        .expect("time's report")
        .trim()
        .parse()
        .unwrap();
    (out, kb, took)
}

/// Issue #12, point 11: a crafted environment file of millions of bogus lines cost seconds
/// and gigabytes in `list` and in the git diff driver. Now a file over the size limit is
/// refused on its size, unread, and one under it with more lines than any real file is
/// refused before parsing: quickly, in little memory.
#[test]
fn a_huge_crafted_file_is_refused_quickly_in_little_memory() {
    use std::io::Write;
    let w = World::with_secrets();
    let text = std::fs::read_to_string(w.dev_file()).unwrap();
    let head = &text[..text.find("[secrets]\n").unwrap() + 10];
    let write = |lines: usize| {
        let mut f = std::io::BufWriter::new(std::fs::File::create(w.dev_file()).unwrap());
        f.write_all(head.as_bytes()).unwrap();
        for i in 0..lines {
            writeln!(f, "K{i:08} = \"v1:QUFB\"").unwrap();
        }
        f.flush().unwrap();
    };
    // 2.5 million lines, 55 MB: over the size limit. 700,000 lines, 15 MB: under it.
    for (lines, limit_mib) in [(2_500_000, 32), (700_000, 64)] {
        write(lines);
        for args in [&["list"][..], &["git", "textconv", "secrets/dev.toml"][..]] {
            let (out, kb, took) = measured(&w, args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                kb < limit_mib * 1024 && took.as_secs_f64() < 3.0,
                "{args:?} on {lines} lines: {kb} KiB, {took:?}: {stderr}"
            );
            if args[0] == "list" || lines > 1_000_000 {
                assert!(!out.status.success(), "{args:?} on {lines} lines");
                assert!(
                    stderr.contains("larger than aisecrets reads")
                        || stderr.contains("more lines than"),
                    "{args:?}: {stderr}"
                );
            }
        }
    }
}
