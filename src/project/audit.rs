//! The local audit log: one JSON line per open of secrets and per change, each carrying the
//! SHA-256 of the line before it, and a head file holding the last line's hash and the
//! count, so a removed or edited line (the last one included) is detected. Values never
//! appear in it: names, actions, the command's name, the git commit, the outcome.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use serde_json::{Value, json};
use sha2::Digest;

use crate::base::error::{Error, Result};
use crate::project::Project;

/// Why the accesses of this process happen and for whom (#16): the `reason` an agent gave
/// (`run --reason`, a tool call of `aisecrets mcp`) and the agent detected or named by the
/// MCP client. Set once per command, or per tool call by the MCP server (which serves calls
/// one at a time); every line recorded meanwhile carries them.
static CONTEXT: std::sync::Mutex<Context> = std::sync::Mutex::new(Context {
    reason: None,
    agent: None,
});

struct Context {
    reason: Option<String>,
    agent: Option<String>,
}

/// Sets the reason and agent recorded with every following line ; an
/// agent of `None` falls back to the one detected in the environment.
pub fn set_context(reason: Option<&str>, agent: Option<&str>) {
    if let Ok(mut c) = CONTEXT.lock() {
        c.reason = reason.map(|r| crate::base::output::sanitize(r, 500));
        c.agent = agent.map(str::to_owned);
    }
}

fn context() -> (Option<String>, Option<String>) {
    let (reason, agent) = CONTEXT
        .lock()
        .map(|c| (c.reason.clone(), c.agent.clone()))
        .unwrap_or_default();
    (reason, agent.or_else(crate::base::agent::detect))
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The log's path: `AISECRETS_HOME/audit.jsonl`, else `$XDG_STATE_HOME/aisecrets/audit.jsonl`
/// (`~/.local/state`). Where the platform has no state folder (macOS, not supported yet), the
/// local data folder (`~/Library/Application Support`), not a warning on every write.
pub fn path() -> Result<PathBuf> {
    if std::env::var_os("AISECRETS_HOME").is_some_and(|h| !h.is_empty()) {
        return Ok(crate::base::files::home()?.join("audit.jsonl"));
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("aisecrets").join("audit.jsonl"))
        .ok_or_else(|| {
            Error::Failed("cannot find a state folder: set HOME or AISECRETS_HOME".into())
        })
}

fn head_path(log: &Path) -> PathBuf {
    log.with_extension("head")
}

fn sha(line: &str) -> String {
    crate::base::hex::encode(&sha2::Sha256::digest(line.as_bytes()))
}

/// Appends one event. A log that cannot be written costs a warning, not the command.
pub fn record(
    action: &str,
    target: Option<(&Project, &str)>,
    names: &[String],
    command: Option<&str>,
    outcome: &str,
) {
    if let Err(e) = append(action, target, names, command, outcome) {
        crate::base::output::status(&format!(
            "aisecrets: warning: the audit log was not written ({e})"
        ));
    }
}

fn append(
    action: &str,
    target: Option<(&Project, &str)>,
    names: &[String],
    command: Option<&str>,
    outcome: &str,
) -> Result<()> {
    let log = path()?;
    if let Some(dir) = log.parent() {
        crate::base::files::create_private_dir(dir)?;
    }
    let mut file = fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&log)
        .map_err(|e| Error::io("open", &log, e))?;
    file.lock().map_err(|e| Error::io("lock", &log, e))?;
    let (prev, count, head_lost) = last(&log, &mut file)?;
    let host = nix::unistd::gethostname()
        .ok()
        .map(|h| h.to_string_lossy().into_owned());
    let command = command.map(|c| {
        Path::new(c)
            .file_name()
            .map_or(c.to_owned(), |f| f.to_string_lossy().into_owned())
    });
    let event = json!({
        "time": crate::base::output::timestamp(crate::base::time::now()),
        "user": std::env::var("USER").ok(),
        "host": host,
        "project": target.map(|(p, _)| p.id().to_owned()),
        "env": target.map(|(_, e)| e.to_owned()),
        "action": action,
        "names": names,
        "command": command,
        "commit": target.and_then(|(p, _)| git_head(&p.root)),
        "outcome": outcome,
        "prev": prev,
    });
    let mut event = event;
    let (reason, agent) = context();
    if let Some(a) = agent {
        event["agent"] = json!(a);
    }
    if let Some(r) = reason {
        event["reason"] = json!(r);
    }
    if head_lost {
        // The end of the log before this line cannot be vouched for: say so in the chain,
        // where `audit --verify` will find it, rather than quietly starting afresh.
        event["head_missing"] = json!(true);
    }
    // Each line also carries its own hash, so an edited line is named as itself (the
    // chain alone can only say that the next line no longer follows it).
    event["hash"] = json!(sha(&serde_json::to_string(&event).unwrap_or_default()));
    let line = serde_json::to_string(&event).unwrap_or_default();
    // No fsync: the log is tamper-evidence, not a journal, and `run` pays for every sync.
    file.write_all(format!("{line}\n").as_bytes())
        .map_err(|e| Error::io("write", &log, e))?;
    write_head(
        &head_path(&log),
        format!("{} {}\n", sha(&line), count + 1).as_bytes(),
    )
}

/// Overwrites the head file in place, under the log's lock (held by the caller). Not a temp
/// file and a rename: on ext4 each new inode per `run` cost more than the rest of the audit
/// record (#14, start-up). The head only grows (the count's digits), so a shorter one is
/// only ever left by hand, and is cut to length. Never through a symlink; mode 0600. A
/// head with other names (a hard link) is replaced by a file of its own instead, as before
/// the in-place write: writing through it would overwrite whatever file it is linked to.
/// Opened without blocking, so a FIFO put there fails instead of hanging.
fn write_head(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
    let io = |e| Error::io("write", path, e);
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(Error::io(
            "write",
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    if meta.nlink() != 1 {
        drop(file);
        return crate::base::files::write_atomic(path, bytes, 0o600);
    }
    if meta.permissions().mode() & 0o777 != 0o600 {
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    file.write_all_at(bytes, 0).map_err(io)?;
    if meta.len() > bytes.len() as u64 {
        file.set_len(bytes.len() as u64).map_err(io)?;
    }
    Ok(())
}

/// The hash of the last line, the line count, and whether the head file was lost (with
/// lines in the log): from the head file, else by reading.
fn last(log: &Path, file: &mut fs::File) -> Result<(String, u64, bool)> {
    if let Ok(head) = fs::read_to_string(head_path(log)) {
        let mut parts = head.split_whitespace();
        if let (Some(h), Some(n)) = (parts.next(), parts.next().and_then(|n| n.parse().ok())) {
            return Ok((h.to_owned(), n, false));
        }
    }
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_string(&mut text))
        .map_err(|e| Error::io("read", log, e))?;
    let lines: Vec<&str> = text.lines().collect();
    Ok((
        lines.last().map_or_else(|| GENESIS.to_owned(), |l| sha(l)),
        lines.len() as u64,
        !lines.is_empty(),
    ))
}

/// The current commit of the repository at `root`, read from `.git` without running git.
fn git_head(root: &Path) -> Option<String> {
    let git = root.join(".git");
    let head = fs::read_to_string(git.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(r) = head.strip_prefix("ref: ") else {
        return Some(head.to_owned());
    };
    if let Ok(h) = fs::read_to_string(git.join(r)) {
        return Some(h.trim().to_owned());
    }
    let packed = fs::read_to_string(git.join("packed-refs")).ok()?;
    packed
        .lines()
        .find_map(|l| l.strip_suffix(r).map(|h| h.trim().to_owned()))
}

/// Reads every line of the log, parsed.
pub fn read() -> Result<(PathBuf, Vec<String>)> {
    let log = path()?;
    let text = match fs::read_to_string(&log) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io("read", &log, e)),
    };
    Ok((log, text.lines().map(str::to_owned).collect()))
}

/// Checks the chain; `Err` names the first line (1-based) that was removed or altered.
pub fn verify(log: &Path, lines: &[String]) -> anyhow::Result<usize> {
    let mut prev = GENESIS.to_owned();
    for (i, line) in lines.iter().enumerate() {
        let mut v: Value = serde_json::from_str(line)
            .map_err(|_| anyhow!("line {} is not an audit record: it was altered", i + 1))?;
        let own = v.as_object_mut().and_then(|o| o.remove("hash"));
        let body = serde_json::to_string(&v).unwrap_or_default();
        if own.as_ref().and_then(Value::as_str) != Some(sha(&body).as_str()) {
            bail!("line {} was altered", i + 1);
        }
        if v["head_missing"].as_bool() == Some(true) {
            bail!(
                "the head file was missing when line {} was written: lines before it may have been removed",
                i + 1
            );
        }
        if v["prev"].as_str() != Some(prev.as_str()) {
            bail!(
                "line {} does not follow the line before it: a line was removed before line {}",
                i + 1,
                i + 1
            );
        }
        prev = sha(line);
    }
    if let Ok(head) = fs::read_to_string(head_path(log)) {
        let mut parts = head.split_whitespace();
        let (h, n) = (
            parts.next().unwrap_or(""),
            parts.next().and_then(|n| n.parse::<usize>().ok()),
        );
        if n != Some(lines.len()) || h != prev {
            bail!(
                "the last line{} was removed or altered (the log ends at line {})",
                n.map(|n| format!(" ({n})")).unwrap_or_default(),
                lines.len()
            );
        }
    } else if !lines.is_empty() {
        bail!("the head file is missing: the log's end cannot be checked");
    }
    Ok(lines.len())
}
