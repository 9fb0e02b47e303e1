//! `aisecrets status [--json]`: where things stand, without unlocking anything.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::backend::file;
use crate::base::error::Result;
use crate::cli::StatusArgs;
use crate::keys::cache::{self, Cached};
use crate::keys::identity::Plugged;
use crate::project::Project;
use crate::{
    base::config, base::exit, base::output, keys::identity, project::trust, scan::rotation,
};

/// Runs `status`.
pub(super) fn run(args: &StatusArgs) -> Result<u8> {
    let project = Project::find(&super::cwd()?)?;
    let env = match &project {
        Some(p) => Some(p.pick_env(args.env.env.as_deref())?),
        None => None,
    };
    let mut id = identity::describe()?;
    // A plugin identity (#19): which plugin, and the recipient its file names.
    let plugged = identity::plugin_in_use()?;
    if let (Some(d), Some(p)) = (id.as_mut(), &plugged) {
        d.public = d.public.take().or_else(|| p.recipient.clone());
    }
    let cache = cache_state(id.as_ref(), plugged.as_ref())?;

    let project_json = project.as_ref().map_or(Value::Null, |p| {
        json!({ "root": p.root.display().to_string(), "id": p.id(), "environments": p.env_names() })
    });
    // Where the environment lives, without unlocking or logging in to anything.
    let described = match (&project, &env) {
        (Some(p), Some(e)) => Some(crate::backend::of(p, e, super::ask)?.describe()?),
        _ => None,
    };
    let env_json = described.as_ref().map_or(Value::Null, |d| d.json.clone());
    let id_json = id.as_ref().map_or(Value::Null, |d| {
        json!({ "source": d.source, "public_key": d.public, "passphrase": d.passphrase,
                     "plugin": plugged.as_ref().map(Plugged::binaries), "tpm": d.tpm })
    });
    let health = match &project {
        Some(p) => health(p, plugged.as_ref())?,
        None => Value::Null,
    };
    let doc = json!({ "project": project_json, "environment": env_json, "identity": id_json, "cache": cache, "secrets": health });

    let mut out = String::new();
    if args.json {
        out = serde_json::to_string_pretty(&doc).unwrap_or_default();
        out.push('\n');
    } else {
        let p = &doc["project"];
        if p.is_null() {
            out.push_str("project:     none here (run `aisecrets init`)\n");
        } else {
            let _ = writeln!(
                out,
                "project:     {} (id {})",
                p["root"].as_str().unwrap_or(""),
                p["id"].as_str().unwrap_or("")
            );
            if let Some(d) = &described {
                let _ = writeln!(out, "environment: {}", d.line);
            }
        }
        match &id {
            None => out.push_str("identity:    none (run `aisecrets identity new`)\n"),
            Some(d) => {
                let _ = writeln!(
                    out,
                    "identity:    {} ({}{})",
                    d.public.as_deref().unwrap_or("public key unknown"),
                    d.source,
                    match (&plugged, &d.tpm, d.passphrase) {
                        (Some(p), _, _) => format!(
                            ", plugin identity: {}, which asks for its PIN or touch",
                            p.binaries()
                        ),
                        (None, Some(tpm), _) => format!(", {tpm}"),
                        (None, None, true) => ", passphrase-protected".to_owned(),
                        (None, None, false) => String::new(),
                    }
                );
            }
        }
        let c = &doc["cache"];
        let backend = match (c["backend"].as_str(), c["shared"].as_bool()) {
            (Some(b), Some(true)) => format!("{b} (shared: every process of yours can read it)"),
            (b, _) => b.unwrap_or("none").to_owned(),
        };
        match (c["expires"].as_str(), c["reason"].as_str()) {
            (Some(exp), _) => {
                let _ = writeln!(out, "cache:       {backend}, unlocked until {exp}");
            }
            (None, Some(why)) => {
                let _ = writeln!(out, "cache:       {backend}: {why}");
            }
            (None, None) => {
                let _ = writeln!(out, "cache:       {backend}");
            }
        }
    }
    if !args.json {
        render_health(&mut out, &doc["secrets"]);
    }
    output::stdout(out.as_bytes())?;
    Ok(exit::OK)
}

/// Exposed and stale secrets in every environment this user can open without a prompt,
/// and recipient changes waiting for approval.
fn health(project: &Project, plugged: Option<&Plugged>) -> Result<Value> {
    let keys = identity::load_if_open()?;
    let max_age = project
        .manifest
        .project
        .max_age
        .as_deref()
        .and_then(|a| humantime::parse_duration(a).ok());
    let now = crate::base::time::now();
    let (mut exposed, mut stale, mut unchecked, mut unapproved) = (vec![], vec![], vec![], vec![]);
    let mut conflicts = vec![];
    for env in project.file_env_names() {
        // Conflict names are in the clear: listed without unlocking anything (#13).
        if let Ok((_, file)) = file::read_env(project, &env) {
            for name in file.conflicts.keys() {
                conflicts.push(json!({ "env": env, "name": name }));
            }
        }
        for change in trust::unapproved(project, &env, &file::wrapped_to(project, &env))? {
            unapproved.push(json!({ "env": env, "change": change }));
        }
        let Some(keys) = &keys else {
            let why = plugged.map_or_else(
                || "locked: run `aisecrets unlock`".to_owned(),
                |p| format!("not opened: that runs {} (PIN or touch)", p.binaries()),
            );
            unchecked.push(json!({ "env": env, "why": why }));
            continue;
        };
        let open = match file::open_untrusted(project, &env, keys) {
            Ok(o) => o,
            Err(e) => {
                unchecked.push(json!({ "env": env, "why": e.to_string() }));
                continue;
            }
        };
        for (name, o) in &open.values {
            let rotate_at = rotation::where_to_rotate(name, o.value.expose());
            if !o.meta.exposed.is_empty() {
                exposed.push(json!({ "env": env, "name": name, "exposed_to": o.meta.exposed, "rotate_at": rotate_at }));
            }
            if let Some(max) = max_age
                && now.saturating_sub(o.meta.set_at) > max.as_secs()
            {
                stale.push(json!({ "env": env, "name": name, "set_at": output::timestamp(o.meta.set_at), "rotate_at": rotate_at }));
            }
        }
    }
    Ok(json!({
        "exposed": exposed,
        "stale": stale,
        "max_age": project.manifest.project.max_age,
        "unchecked": unchecked,
        "unapproved_recipients": unapproved,
        "conflicts": conflicts,
    }))
}

fn render_health(out: &mut String, h: &Value) {
    let list = |key: &str| h[key].as_array().cloned().unwrap_or_default();
    let rotate = |v: &Value| {
        v["rotate_at"]
            .as_str()
            .map(|u| format!("; rotate at {u}"))
            .unwrap_or_default()
    };
    let exposed = list("exposed");
    if !exposed.is_empty() {
        out.push_str("exposed (a removed recipient could read them; rotate, then `aisecrets rotate NAME`):\n");
        for e in &exposed {
            let who: Vec<&str> = e["exposed_to"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}  {}  (readable by {}{})",
                e["env"].as_str().unwrap_or(""),
                e["name"].as_str().unwrap_or(""),
                who.join(", "),
                rotate(e)
            );
        }
    }
    let stale = list("stale");
    if !stale.is_empty() {
        let _ = writeln!(
            out,
            "stale (older than max_age {}):",
            h["max_age"].as_str().unwrap_or("")
        );
        for e in &stale {
            let _ = writeln!(
                out,
                "  {}  {}  (set {}{})",
                e["env"].as_str().unwrap_or(""),
                e["name"].as_str().unwrap_or(""),
                e["set_at"].as_str().unwrap_or(""),
                rotate(e)
            );
        }
    }
    let conflicts = list("conflicts");
    if !conflicts.is_empty() {
        out.push_str(
            "conflicts (a git merge left two values; nothing uses them until you pick one with `aisecrets edit --env ENV`, then `git add` the file):\n",
        );
        for e in &conflicts {
            let _ = writeln!(
                out,
                "  {}  {}",
                e["env"].as_str().unwrap_or(""),
                e["name"].as_str().unwrap_or("")
            );
        }
    }
    for e in list("unapproved_recipients") {
        let _ = writeln!(
            out,
            "unapproved recipient change in {}: {} (`aisecrets recipients ack`)",
            e["env"].as_str().unwrap_or(""),
            e["change"].as_str().unwrap_or("")
        );
    }
    for e in list("unchecked") {
        let _ = writeln!(
            out,
            "not checked: {}: {}",
            e["env"].as_str().unwrap_or(""),
            e["why"].as_str().unwrap_or("")
        );
    }
    if exposed.is_empty()
        && stale.is_empty()
        && conflicts.is_empty()
        && list("unchecked").is_empty()
    {
        out.push_str("secrets:     none exposed or stale\n");
    }
}

fn cache_state(id: Option<&identity::Described>, plugged: Option<&Plugged>) -> Result<Value> {
    let config = config::load()?;
    let selection = cache::select(&config)?;
    let backend = selection.cache.as_ref().map_or("none", |c| c.name());
    let (expires, reason) = match (id, &selection.cache) {
        (None, _) => (None, Some("no identity".to_owned())),
        (Some(_), _) if plugged.is_some() => (
            None,
            Some("not used: a plugin identity's key stays in its device".to_owned()),
        ),
        (Some(d), _) if !d.passphrase => (
            None,
            Some("not needed: the identity has no passphrase".to_owned()),
        ),
        (Some(_), None) => (None, selection.note.clone()),
        (Some(d), Some(cache)) => {
            let item = d
                .public
                .as_deref()
                .and_then(|p| cache.get(p).ok().flatten())
                .and_then(|b| Cached::decode(&b));
            match item {
                Some(c) if c.is_live() => (Some(output::timestamp(c.expires)), None),
                _ => (None, Some("locked: run `aisecrets unlock`".to_owned())),
            }
        }
    };
    Ok(
        json!({ "backend": backend, "expires": expires, "reason": reason, "note": selection.note, "shared": selection.shared }),
    )
}
