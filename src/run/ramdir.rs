//! Private folders on a RAM filesystem, for plaintext that must exist as a file for a
//! while (`run`'s file secrets). Never on a disk: `$XDG_RUNTIME_DIR` or `/dev/shm`, checked
//! to be tmpfs or ramfs. Removed on drop; folders left by a killed aisecrets are swept by
//! the next one.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};

const PREFIX: &str = "aisecrets-";

/// A 0700 folder on a RAM filesystem, removed with everything in it on drop.
#[derive(Debug)]
pub struct RamDir {
    path: PathBuf,
    /// A lock held for our lifetime: a folder whose lock can be taken has no owner left.
    /// (A PID check is wrong across PID namespaces, which share /dev/shm.)
    _lock: fs::File,
}

#[cfg(not(target_os = "linux"))]
fn on_ram(_path: &Path) -> bool {
    // Only Linux is checked for tmpfs here; elsewhere there is no RAM folder to trust yet.
    false
}

#[cfg(target_os = "linux")]
fn on_ram(path: &Path) -> bool {
    use nix::sys::statfs::{FsType, TMPFS_MAGIC, statfs};
    // ramfs has no constant in nix; its magic is 0x858458f6 (linux/magic.h).
    const RAMFS: FsType = FsType(0x8584_58f6);
    statfs(path).is_ok_and(|s| s.filesystem_type() == TMPFS_MAGIC || s.filesystem_type() == RAMFS)
}

/// The RAM filesystem folder to use.
pub fn base() -> Result<PathBuf> {
    let uid = nix::unistd::getuid().as_raw();
    let candidates = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("/dev/shm")]);
    for dir in candidates {
        let Ok(meta) = fs::metadata(&dir) else {
            continue;
        };
        let private_enough = meta.uid() == uid || dir == Path::new("/dev/shm");
        if meta.is_dir() && private_enough && on_ram(&dir) {
            return Ok(dir);
        }
    }
    Err(Error::Failed(
        "no RAM filesystem for secret files ($XDG_RUNTIME_DIR and /dev/shm are missing or not tmpfs); \
         aisecrets never writes them to disk"
            .into(),
    ))
}

impl RamDir {
    /// Makes `<base>/aisecrets-<kind>-<pid>-<random>` with mode 0700, after sweeping
    /// folders of the same kind whose aisecrets process is gone.
    pub fn create(kind: &str) -> Result<Self> {
        let base = base()?;
        sweep(&base, kind);
        let name = format!(
            "{PREFIX}{kind}-{}-{}",
            std::process::id(),
            crate::keys::seal::random_id(8)
        );
        let path = base.join(name);
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| Error::io("create", &path, e))?;
        let lock = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path.join(".lock"))
            .map_err(|e| Error::io("create", &path, e))?;
        lock.lock().map_err(|e| Error::io("lock", &path, e))?;
        Ok(Self { path, _lock: lock })
    }

    /// The folder.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to a new 0600 file `name` in the folder.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self.path.join(name);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::io("create", &path, e))?;
        f.write_all(bytes)
            .map_err(|e| Error::io("write", &path, e))?;
        Ok(path)
    }
}

impl Drop for RamDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Removes `aisecrets-<kind>-<pid>-*` folders in `base` whose process no longer runs.
pub fn sweep(base: &Path, kind: &str) {
    sweep_kinds(base, &[kind]);
}

/// [`sweep`] for several kinds in one pass over `base` (start-up reads the folder once).
fn sweep_kinds(base: &Path, kinds: &[&str]) {
    let prefixes: Vec<String> = kinds.iter().map(|k| format!("{PREFIX}{k}-")).collect();
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    let uid = nix::unistd::getuid().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| prefixes.iter().find_map(|p| n.strip_prefix(p.as_str())))
        else {
            continue;
        };
        if rest.is_empty() || !entry.metadata().is_ok_and(|m| m.uid() == uid) {
            continue;
        }
        // Its owner holds the lock while it lives; a lock we can take means it is gone. A
        // folder without a lock file yet is being created right now: leave it.
        let Ok(lock) = fs::OpenOptions::new()
            .write(true)
            .open(entry.path().join(".lock"))
        else {
            continue;
        };
        if lock.try_lock().is_ok() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Sweeps stale `edit` and `run` folders of this user, if there is a RAM folder at all.
pub fn sweep_stale() {
    if let Ok(base) = base() {
        sweep_kinds(&base, &["edit", "run"]);
    }
}
