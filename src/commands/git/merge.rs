//! The merge driver: a three-way merge by secret name, so changes to different names always
//! merge and encrypted files never get text conflict markers. The same name changed to
//! different values is a conflict: the file keeps our value (it still opens), records the
//! other branch's in `[conflicts]`, and `aisecrets edit` resolves it. `aisecrets.toml` is
//! merged by recipient name the same way.
//!
//! The merged file needs a MAC of its own (format 2), so the driver opens the data key with
//! the user's identity (environment, unlock cache, or a prompt on the terminal) and checks
//! both sides' MACs (and the base's) first: a line dropped on one branch by someone without
//! the key is refused, never laundered into a freshly authenticated file. Without an
//! identity the file is left as a conflict with a one-line message saying how to redo the
//! merge (#12).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::backend::file::{self, EnvFile};
use crate::base::error::Result;
use crate::base::files;
use crate::keys::seal::DataKey;
use crate::{base::exit, base::output};

/// Runs the driver: `base` (%O), `ours` (%A, also the output), `theirs` (%B).
pub(super) fn run(base: &Path, ours: &Path, theirs: &Path, path: Option<&str>) -> Result<u8> {
    let shown = path.unwrap_or("file");
    let read = |p: &Path| -> Result<String> {
        Ok(String::from_utf8_lossy(&files::read_regular(p, file::MAX_ENV_FILE)?).into_owned())
    };
    let (b, o, t) = (read(base)?, read(ours)?, read(theirs)?);
    if o.contains("[project]") || t.contains("[project]") {
        return manifest(&b, &o, &t, ours, shown);
    }
    let (Ok(of), Ok(tf)) = (EnvFile::parse(ours, &o), EnvFile::parse(theirs, &t)) else {
        return conflict(
            shown,
            "one side is not a readable aisecrets file; take one side and set the other's changes again",
        );
    };
    let bf = EnvFile::parse(base, &b).ok();
    if of.project != tf.project || of.env != tf.env {
        return conflict(
            shown,
            "the two sides belong to different projects or environments",
        );
    }
    if of.key_id != tf.key_id {
        return conflict(
            shown,
            "one side made a new data key (a recipient was removed): keep that side's file \
             (`git checkout --ours/--theirs`), then set the other side's changes again",
        );
    }
    let key = match open_key(&of) {
        Ok(k) => k,
        Err(why) => return conflict(shown, why),
    };
    let Some(project) = project_of(&of, path) else {
        return conflict(
            shown,
            "the file is not an environment of the project around it (its project id differs from aisecrets.toml's, aisecrets.toml declares another file, or a second aisecrets.toml claims it)",
        );
    };
    // The base decides which side's change wins, so it must be authentic too (its MAC, if
    // format 2); a base of another key (before a rekey) is no base. The base is a commit of
    // our own history, so a format 1 base is taken as it is.
    let bf = bf.filter(|b| b.key_id == of.key_id);
    if let Some(b) = &bf
        && let Err(why) = b.verify(&key)
    {
        return conflict(
            shown,
            &format!(
                "the merge base fails its integrity check ({why}): merge it by hand with `aisecrets edit`"
            ),
        );
    }
    // A side in format 1 has no MAC: taken only while this user has not seen the environment
    // in format 2 (else it may be a downgrade that drops lines unseen, also on a branch made
    // to fork from before the upgrade).
    for (side, file, path) in [("our", &of, ours), ("their", &tf, theirs)] {
        if let Err(why) = file.verify(&key) {
            return conflict(
                shown,
                &format!(
                    "{side} side fails its integrity check ({why}): someone without the key edited it; take the other side (`git checkout --ours/--theirs`) and ask who changed it"
                ),
            );
        }
        if crate::project::trust::check_format(&project, &file.env, file.format, path).is_err() {
            return conflict(
                shown,
                &format!(
                    "{side} side is in format 1, without the file MAC, and `{}` is in format 2 here (lines may have been dropped unseen): keep the other side (`git checkout --ours/--theirs`) and set that branch's changes again",
                    file.env
                ),
            );
        }
    }
    let mut merged = of.clone();
    let mut conflicts = Vec::new();
    let empty = BTreeMap::new();
    let base_secrets = bf.as_ref().map_or(&empty, |f| &f.secrets);
    let names: BTreeSet<&String> = of
        .secrets
        .keys()
        .chain(tf.secrets.keys())
        .chain(base_secrets.keys())
        .collect();
    for name in names {
        let (bv, ov, tv) = (
            base_secrets.get(name),
            of.secrets.get(name),
            tf.secrets.get(name),
        );
        let pick = if ov == tv || tv == bv {
            ov
        } else if ov == bv {
            tv
        } else {
            // Changed on both sides: the same value (opened) merges, else a conflict.
            let value = |tok: &String| {
                key.open(&of.project, &of.env, name, tok)
                    .ok()
                    .map(|o| o.value)
            };
            let same = match (ov, tv) {
                (Some(a), Some(b)) => {
                    value(a).is_some_and(|va| value(b).is_some_and(|vb| va.ct_eq(&vb)))
                }
                _ => false,
            };
            if !same {
                conflicts.push(name.clone());
                if let (Some(_), Some(theirs)) = (ov, tv) {
                    merged.conflicts.insert(name.clone(), theirs.clone());
                }
            }
            ov.or(tv)
        };
        match pick {
            Some(tok) => {
                merged.secrets.insert(name.clone(), tok.clone());
            }
            None => {
                merged.secrets.remove(name);
            }
        }
    }
    for (name, tok) in &tf.conflicts {
        merged
            .conflicts
            .entry(name.clone())
            .or_insert_with(|| tok.clone());
    }
    // Conflicts merge three-way too: one resolved on either side (gone from it, present in
    // the base) stays resolved, unless this merge found it again.
    let base_conflicts = bf.as_ref().map_or(&empty, |f| &f.conflicts);
    merged.conflicts.retain(|n, _| {
        let resolved = base_conflicts.contains_key(n)
            && (!of.conflicts.contains_key(n) || !tf.conflicts.contains_key(n));
        merged.secrets.contains_key(n) && (conflicts.contains(n) || !resolved)
    });
    // The data key block: same key, maybe wrapped to different recipients on each side.
    let base_dk = bf.as_ref().map(|f| f.data_key.as_str());
    if of.data_key != tf.data_key && Some(of.data_key.as_str()) == base_dk {
        merged.data_key.clone_from(&tf.data_key);
        merged.recipients.clone_from(&tf.recipients);
    } else if of.data_key != tf.data_key && Some(tf.data_key.as_str()) != base_dk {
        let union: BTreeSet<String> = of
            .recipients
            .iter()
            .chain(&tf.recipients)
            .cloned()
            .collect();
        let approved = crate::project::trust::approved(&project, &of.env).unwrap_or_default();
        match rewrap_union(&key, &union, &approved) {
            Some(dk) => {
                merged.data_key = dk;
                merged.recipients = union.into_iter().collect();
            }
            None => {
                return conflict(
                    shown,
                    "recipients were added on both sides, and you have not approved them all (or cannot open the file): \
                     keep our side (`git checkout --ours`), then after the merge `aisecrets recipients ack`",
                );
            }
        }
    }
    // Written in the current format, with a MAC under the key both sides share.
    let text = file::render_checked(&merged, &key, ours)?;
    files::write_atomic(ours, text.as_bytes(), 0o644)?;
    crate::project::trust::raise_min_format(&project, &merged.env)?;
    if conflicts.is_empty() {
        return Ok(exit::OK);
    }
    output::status(&format!(
        "aisecrets: {shown}: {} changed on both sides to different values; the file keeps ours and still opens: \
         run `aisecrets edit --env {}` to choose, then `git add {shown}`",
        conflicts.join(", "),
        of.env
    ));
    Ok(exit::ERROR)
}

/// The project that holds the merged file: git runs the driver at the top of the work
/// tree, with %P relative to it. Approvals and pins belong to that repository.
/// The repository decides where manifests are, so a copy of `aisecrets.toml` planted
/// between the file and its project (same project id, no pins of its own) would make the
/// format check pass: a second manifest claiming the same project id further up, or a
/// project whose declared file is not this one, finds no project.
fn project_of(file: &EnvFile, path: Option<&str>) -> Option<crate::project::Project> {
    let cwd = std::env::current_dir().ok()?;
    let start = path
        .and_then(|p| cwd.join(p).parent().map(Path::to_path_buf))
        .unwrap_or_else(|| cwd.clone());
    let project = crate::project::Project::find(&start).ok()??;
    if project.id() != file.project {
        return None;
    }
    // (Compared as paths, component by component: the file may not exist yet, and an
    // environment this side of the merge does not declare yet is left to the checks below.)
    if let (Some(p), Ok(declared)) = (path, project.env_path(&file.env))
        && declared != cwd.join(p)
    {
        return None;
    }
    let outer = project
        .root
        .parent()
        .and_then(|up| crate::project::Project::find(up).ok().flatten());
    if outer.is_some_and(|o| o.root.starts_with(&cwd) && o.id() == file.project) {
        return None;
    }
    Some(project)
}

/// The data key wrapped to `names`, with the keys this user approved (never a key taken
/// from either side's files: those are untrusted).
fn rewrap_union(
    key: &DataKey,
    names: &BTreeSet<String>,
    approved: &BTreeMap<String, String>,
) -> Option<String> {
    let recipients: BTreeMap<String, String> = names
        .iter()
        .map(|n| approved.get(n).map(|k| (n.clone(), k.clone())))
        .collect::<Option<_>>()?;
    file::wrap_to(key, &recipients).ok()
}

/// The data key of `file`, opened with the user's identity (from the environment, the
/// unlock cache, or a passphrase asked on the terminal); `Err` is the conflict message.
fn open_key(file: &EnvFile) -> std::result::Result<DataKey, &'static str> {
    let keys = crate::keys::identity::load().map_err(|_| {
        "merging it needs your identity, to authenticate the merged file, and none is open here: \
         run `git merge --abort`, then `aisecrets unlock`, then the `git merge` again"
    })?;
    let not_yours = "your identity cannot open it (you are not one of its recipients): \
                     keep one side (`git checkout --ours/--theirs`) and ask a recipient to merge";
    let key = crate::keys::wrap::unwrap_data_key(&file.data_key, keys.identities()).map_err(
        |e| match e {
            // A plugin identity (#19): a wrong PIN, no key plugged in, or no terminal.
            crate::keys::wrap::UnwrapError::Plugin(_) => {
                "your identity's age plugin did not open it (a wrong PIN, no key plugged in, or no terminal to ask on): \
                 run `git merge --abort`, then the `git merge` again from a terminal"
            }
            _ => not_yours,
        },
    )?;
    if key.key_id() == file.key_id {
        Ok(key)
    } else {
        Err("its key_id does not match its data key: take the other side and ask who changed it")
    }
}

fn conflict(shown: &str, why: &str) -> Result<u8> {
    output::status(&format!("aisecrets: cannot merge {shown}: {why}"));
    Ok(exit::ERROR)
}

/// `aisecrets.toml`: recipients and pending requests merge by name; any other change made on
/// both sides is left to git's text merge.
fn manifest(b: &str, o: &str, t: &str, ours: &Path, shown: &str) -> Result<u8> {
    use toml_edit::{DocumentMut, Item, Table};
    let parse = |s: &str| s.parse::<DocumentMut>().ok();
    let (Some(od), Some(td)) = (parse(o), parse(t)) else {
        return conflict(shown, "a side is not valid TOML");
    };
    let bd = parse(b).unwrap_or_default();
    // Name -> key maps of each recipient table and of [pending].
    fn maps(d: &DocumentMut) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        if let Some(envs) = d.get("environments").and_then(Item::as_table) {
            for (env, decl) in envs {
                if let Some(r) = decl.get("recipients").and_then(Item::as_table) {
                    out.insert(
                        format!("environments.{env}"),
                        r.iter()
                            .filter_map(|(n, v)| Some((n.to_owned(), v.as_str()?.to_owned())))
                            .collect(),
                    );
                }
            }
        }
        if let Some(p) = d.get("pending").and_then(Item::as_table) {
            out.insert(
                "pending".into(),
                p.iter()
                    .filter_map(|(n, v)| Some((n.to_owned(), v.as_str()?.to_owned())))
                    .collect(),
            );
        }
        out
    }
    fn strip(d: &DocumentMut) -> String {
        let mut d = d.clone();
        d.remove("pending");
        if let Some(envs) = d.get_mut("environments").and_then(Item::as_table_mut) {
            for (_, decl) in envs.iter_mut() {
                if let Some(t) = decl.as_table_mut() {
                    t.remove("recipients");
                }
            }
        }
        d.to_string()
    }
    let (bs, os, ts) = (strip(&bd), strip(&od), strip(&td));
    let mut result = if os == ts || ts == bs {
        od.clone()
    } else if os == bs {
        td.clone()
    } else {
        return conflict(
            shown,
            "both sides changed aisecrets.toml beyond recipients: merge it by hand",
        );
    };
    let (bm, om, tm) = (maps(&bd), maps(&od), maps(&td));
    let mut clashes = Vec::new();
    let tables: BTreeSet<&String> = om.keys().chain(tm.keys()).collect();
    for table in tables {
        let e = BTreeMap::new();
        let (bt, ot, tt) = (
            bm.get(table).unwrap_or(&e),
            om.get(table).unwrap_or(&e),
            tm.get(table).unwrap_or(&e),
        );
        let mut merged = BTreeMap::new();
        for n in bt
            .keys()
            .chain(ot.keys())
            .chain(tt.keys())
            .collect::<BTreeSet<_>>()
        {
            let (bv, ov, tv) = (bt.get(n), ot.get(n), tt.get(n));
            let pick = if ov == tv || tv == bv {
                ov
            } else if ov == bv {
                tv
            } else {
                clashes.push(format!("{table}: {n}"));
                ov
            };
            if let Some(v) = pick {
                merged.insert(n.clone(), v.clone());
            }
        }
        let mut tbl = Table::new();
        for (n, v) in &merged {
            tbl[n.as_str()] = toml_edit::value(v.as_str());
        }
        if table == "pending" {
            if merged.is_empty() {
                result.remove("pending");
            } else {
                result["pending"] = Item::Table(tbl);
            }
        } else if let Some(env) = table.strip_prefix("environments.")
            && result
                .get("environments")
                .and_then(|e| e.get(env))
                .is_some()
        {
            result["environments"][env]["recipients"] = Item::Table(tbl);
        }
    }
    files::write_atomic(ours, result.to_string().as_bytes(), 0o644)?;
    if clashes.is_empty() {
        Ok(exit::OK)
    } else {
        conflict(
            shown,
            &format!(
                "the same recipient was changed on both sides ({}); kept ours",
                clashes.join(", ")
            ),
        )
    }
}
