//! The PATH rule for age plugins (threat model T4, #19) against a repository writer: a plugin
//! planted anywhere in the project, the git work tree or the current folder never runs,
//! whichever folder aisecrets is run from and however PATH reaches it. The stand-in plugin
//! and its world are plugin.rs's; its log is the proof that a plugin ran or not.

use std::path::Path;

use crate::plugin::{Plugged, install};
use crate::util::{as_user, chown_tree, throwaway_user};

/// `run` as the plugin user and `recipients add` of the plugin recipient, from `dir` with
/// `path`: both refused with `says`, and no plugin ran.
fn refused(p: &Plugged, dir: &Path, path: &str, says: &str) {
    let _ = std::fs::remove_file(&p.log);
    p.as_plugin_user(&["run", "--", "true"])
        .dir(dir)
        .env("PATH", path)
        .fails(1)
        .one_line_error()
        .stderr_has(says);
    p.cmd(&["recipients", "add", "yubi2", &p.recipient])
        .dir(dir)
        .env("PATH", path)
        .fails(1)
        .one_line_error()
        .stderr_has(says);
    assert!(
        !p.log.exists(),
        "a plugin ran from {} with PATH={path}: {}",
        dir.display(),
        p.log()
    );
}

/// `run` as the plugin user from `dir` with `path` starts the plugin (no terminal, so it
/// then fails asking for its PIN): the control of the refusals.
fn runs(p: &Plugged, dir: &Path, path: &str) {
    let _ = std::fs::remove_file(&p.log);
    p.as_plugin_user(&["run", "--", "true"])
        .dir(dir)
        .env("PATH", path)
        .fails(1)
        .stderr_has("asked for its PIN");
    assert!(p.log().contains("identity-v1"), "{}", p.log());
}

/// A repository writer commits `bin/age-plugin-aistest`, and direnv's `PATH_add bin` (or an
/// activated `.venv/bin`, `node_modules/.bin`) puts the absolute folder on PATH: run from a
/// subfolder of the project, neither the identity side nor `recipients add` runs it. Then
/// the git work tree's top level above the project counts too, and a folder outside the
/// project that is a link into it is seen through.
#[test]
fn a_plugin_planted_in_the_project_never_runs_from_a_subfolder() {
    let p = Plugged::new();
    p.add_recipient();
    let system = std::env::var("PATH").unwrap();
    let planted = p.w.project.join("bin");
    let sub = p.w.project.join("src/deep");
    std::fs::create_dir_all(&planted).unwrap();
    std::fs::create_dir_all(&sub).unwrap();
    install(&planted);
    let through_bin = format!("{}:{system}", planted.display());
    refused(&p, &sub, &through_bin, "refusing to run it");
    refused(&p, &p.w.project, &through_bin, "refusing to run it");

    // A folder outside the project that links into it: only the resolved path shows it.
    let link = p.w.path("tools");
    std::os::unix::fs::symlink(&planted, &link).unwrap();
    refused(
        &p,
        &sub,
        &format!("{}:{system}", link.display()),
        "refusing to run it",
    );
    // A plugin outside that is a link to a file in the project: only the fully resolved
    // path shows it.
    let file = p.w.project.join("tools/age-plugin-aistest");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        format!(
            "#!/bin/sh\nexec {} \"$@\"\n",
            crate::plugin::plugin_binary().display()
        ),
    )
    .unwrap();
    set_mode(&file, 0o755);
    let outside = p.w.path("linked");
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&file, outside.join("age-plugin-aistest")).unwrap();
    refused(
        &p,
        &sub,
        &format!("{}:{system}", outside.display()),
        "refusing to run it",
    );

    // The plugin's own folder is outside the project: it runs from the subfolder...
    let legit = p.path();
    runs(&p, &sub, &legit);
    // ...but not once the folder above holding both is a git work tree (a monorepo whose
    // project is a subfolder): the work tree's top level is the repository writer's too.
    let top = p.w.dir.path();
    crate::util::git_in(top, &["init", "-q"]);
    // Set up the git drivers first: a clone without them gets a note on each command.
    p.cmd(&["git", "setup"]).dir(&sub).ok();
    refused(&p, &sub, &legit, "refusing to run it");
    std::fs::remove_dir_all(top.join(".git")).unwrap();
    runs(&p, &sub, &legit);
}

/// A relative or empty PATH entry anywhere, even after the plugin's folder, is refused: age
/// goes on down PATH past any copy it cannot run. And a copy age would pass over (one that
/// `access(X_OK)` refuses: only its owner may run it, or a `noexec` mount) does not vouch for
/// the plugin age then finds further down, here one planted in the project.
#[test]
fn a_relative_path_entry_anywhere_and_a_copy_age_skips_are_refused() {
    let p = Plugged::new();
    p.add_recipient();
    let system = std::env::var("PATH").unwrap();
    let legit = p.bin.display().to_string();
    for path in [
        format!("{legit}:{system}:."),
        format!("{legit}::{system}"),
        format!("{legit}:{system}:bin"),
    ] {
        refused(&p, &p.w.project, &path, "relative or empty entry");
    }

    let planted = p.w.project.join("bin");
    std::fs::create_dir_all(&planted).unwrap();
    install(&planted);
    let skipped = p.w.path("skipped");
    std::fs::create_dir_all(&skipped).unwrap();
    let copy = skipped.join("age-plugin-aistest");
    std::fs::write(&copy, "#!/bin/sh\nexit 0\n").unwrap();
    let path = format!("{}:{}:{system}", skipped.display(), planted.display());
    let _ = std::fs::remove_file(&p.log);
    let out = if nix::unistd::geteuid().is_root() {
        // Root may run any file with an execute bit: the user who cannot is another one.
        // Mode 0700, owned by root: executable by its mode bits, not for that user.
        let (uid, gid) = throwaway_user();
        chown_tree(p.w.dir.path(), uid, gid);
        std::os::unix::fs::chown(&skipped, Some(0), Some(0)).unwrap();
        std::os::unix::fs::chown(&copy, Some(0), Some(0)).unwrap();
        set_mode(&copy, 0o700);
        let base = p.w.command(["run", "--", "true"]);
        let mut c = as_user(uid, gid, crate::util::bin());
        c.args(["run", "--", "true"]);
        for (k, v) in base.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c.current_dir(&p.w.project)
            .env("PATH", &path)
            .env("AISTEST_LOG", &p.log)
            .env("AISECRETS_IDENTITY_FILE", &p.identity);
        crate::util::no_controlling_terminal(&mut c);
        c.output().unwrap()
    } else {
        // Executable for group and others, not for its owner, who is us.
        set_mode(&copy, 0o011);
        let mut c = p.w.command(["run", "--", "true"]);
        c.env("PATH", &path)
            .env("AISTEST_LOG", &p.log)
            .env("AISECRETS_IDENTITY_FILE", &p.identity);
        crate::util::no_controlling_terminal(&mut c);
        c.output().unwrap()
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !p.log.exists(),
        "the plugin planted in the project ran: {}\n{err}",
        p.log()
    );
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("refusing to run it") && err.contains("project/bin"),
        "{err}"
    );
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Another user of the machine plants the plugin in a folder every user may write to (a
/// shared `/opt/tools/bin` made 1777), or owns the plugin: like ssh's StrictModes, it is
/// refused, with one line saying to fix the permissions.
#[test]
fn a_plugin_another_user_could_replace_is_refused() {
    let p = Plugged::new();
    p.add_recipient();
    let system = std::env::var("PATH").unwrap();
    let shared = p.w.path("shared-bin");
    std::fs::create_dir_all(&shared).unwrap();
    set_mode(&shared, 0o1777);
    let plugin = shared.join("age-plugin-aistest");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\nexec {} \"$@\"\n",
            crate::plugin::plugin_binary().display()
        ),
    )
    .unwrap();
    set_mode(&plugin, 0o755);
    let path = format!("{}:{system}", shared.display());
    refused(&p, &p.w.project, &path, "is writable by every user");

    set_mode(&shared, 0o755);
    if nix::unistd::geteuid().is_root() {
        let (uid, gid) = throwaway_user();
        std::os::unix::fs::chown(&plugin, Some(uid), Some(gid)).unwrap();
        refused(&p, &p.w.project, &path, "is owned by another user");
        std::os::unix::fs::chown(&plugin, Some(0), Some(0)).unwrap();
    } else {
        // Without root no file of another user can be made: one every user may write to.
        set_mode(&plugin, 0o757);
        refused(&p, &p.w.project, &path, "is writable by every user");
        set_mode(&plugin, 0o755);
    }
    runs(&p, &p.w.project, &path);
}

/// With PATH unset or empty, one line says to set it; a PATH-rule refusal is about PATH, and
/// does not name the identity file as if the file were broken.
#[test]
fn path_rule_errors_speak_of_path_not_of_the_identity_file() {
    let p = Plugged::new();
    p.add_recipient();
    let file = p.identity.display().to_string();
    for unset in [true, false] {
        let cmd = p.as_plugin_user(&["run", "--", "true"]);
        let cmd = if unset {
            cmd.env_remove("PATH")
        } else {
            cmd.env("PATH", "")
        };
        let out = cmd
            .fails(1)
            .one_line_error()
            .stderr_has("PATH is empty or unset: set it");
        assert!(!out.stderr_str().contains(&file), "{}", out.stderr_str());
    }
    let system = std::env::var("PATH").unwrap();
    let out = p
        .as_plugin_user(&["run", "--", "true"])
        .env("PATH", format!(".:{system}"))
        .fails(1)
        .one_line_error()
        .stderr_has("relative or empty entry");
    assert!(!out.stderr_str().contains(&file), "{}", out.stderr_str());
}
