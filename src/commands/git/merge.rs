//! The merge driver: a three-way merge by secret name, so changes to different names always
//! merge and encrypted files never get text conflict markers. The same name changed to
//! different values is a conflict: the file keeps our value (it still opens), records the
//! other branch's in `[conflicts]`, and `aisecrets edit` resolves it. `aisecrets.toml` is
//! merged by recipient name the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::Result;
use crate::store::{self, EnvFile, atomic};
use crate::{exit, output};

/// Runs the driver: `base` (%O), `ours` (%A, also the output), `theirs` (%B).
pub(super) fn run(base: &Path, ours: &Path, theirs: &Path, path: Option<&str>) -> Result<u8> {
    let shown = path.unwrap_or("file");
    let read = |p: &Path| -> Result<String> {
        Ok(String::from_utf8_lossy(&atomic::read_regular(p, store::MAX_ENV_FILE)?).into_owned())
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
    let key = super::open_key(&of);
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
                key.as_ref()
                    .and_then(|k| k.open(&of.project, &of.env, name, tok).ok())
                    .map(|o| o.value)
            };
            let same = match (ov, tv) {
                (Some(a), Some(b)) => {
                    value(a).is_some_and(|va| value(b).is_some_and(|vb| va == vb))
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
        match rewrap_union(&of, key.as_ref(), &union, path) {
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
    atomic::write_atomic(ours, merged.render().as_bytes(), 0o644)?;
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

/// The data key wrapped to the union of both sides' recipients, with the keys this user
/// approved (never a key taken from either side's files: those are untrusted).
fn rewrap_union(
    file: &EnvFile,
    key: Option<&crate::crypto::DataKey>,
    names: &BTreeSet<String>,
    path: Option<&str>,
) -> Option<String> {
    let key = key?;
    // Approvals belong to the repository: the project around the merged file (git runs
    // the driver at the top of the work tree, %P relative to it).
    let cwd = std::env::current_dir().ok()?;
    let start = path
        .and_then(|p| cwd.join(p).parent().map(Path::to_path_buf))
        .unwrap_or(cwd);
    let project = store::Project::find(&start).ok()??;
    if project.id() != file.project {
        return None;
    }
    let approved = crate::trust::approved(&project, &file.env).ok()?;
    let recipients: BTreeMap<String, String> = names
        .iter()
        .map(|n| approved.get(n).map(|k| (n.clone(), k.clone())))
        .collect::<Option<_>>()?;
    store::wrap_to(key, &recipients).ok()
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
    atomic::write_atomic(ours, result.to_string().as_bytes(), 0o644)?;
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
