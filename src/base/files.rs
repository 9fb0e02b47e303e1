//! Files and folders: the user folder (`AISECRETS_HOME`) and private folders; atomic, locked
//! writes: a temp file in the same folder, fsync, rename, fsync the folder;
//! an exclusive lock on the folder around every read-modify-write; never through a symlink.
//! Project files (manifest, environment files) are also read only without following a
//! symlink, so a repository cannot point them at a file outside the project (#12).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};

const TMP_PREFIX: &str = ".aisecrets-";
const TMP_SUFFIX: &str = ".tmp";

/// An exclusive lock on a folder, released on drop.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Takes an exclusive lock on `dir` (waiting for other writers), then removes temp files
/// that a killed writer left behind: while we hold the lock no writer is mid-flight.
pub fn lock_dir(dir: &Path) -> Result<DirLock> {
    let file = File::open(dir).map_err(|e| Error::io("open", dir, e))?;
    file.lock().map_err(|e| Error::io("lock", dir, e))?;
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    Ok(DirLock { _file: file })
}

/// Refuses a path that is a symlink: aisecrets never writes through one.
pub fn refuse_symlink(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::UnsafePath {
            path: path.to_owned(),
            reason: "is a symbolic link; aisecrets never writes through one",
        }),
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path` atomically with `mode`: readers see the old file or the new
/// one, never a mix, and a crash at any moment leaves the old file intact.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    replace(path, bytes, mode)
}

/// A temp file in the same folder, written and synced, renamed over `path`, and the folder
/// synced. Never through a symlink.
fn replace(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    refuse_symlink(path)?;
    let dir = parent(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .suffix(TMP_SUFFIX)
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(&dir)
        .map_err(|e| Error::io("create a temporary file in", &dir, e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io("write", tmp.path().to_owned(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("replace", path, e.error))?;
    sync_dir(&dir)
}

/// Creates `path` with `mode`, failing if anything (a file, a symlink, even a dangling
/// one) is already there.
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| Error::io("create", path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io("write", path, e))?;
    sync_dir(&parent(path))
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync", dir, e))
}

/// Reads a file that must be a regular file of at most `max` bytes. The checks use the
/// opened file (fstat), so a FIFO, a device or a huge sparse file is refused unread.
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>> {
    read_bounded(path, max, false)
}

/// [`read_regular`] for a project file: a symlink (the last component) is refused too,
/// since its target may be anywhere (`O_NOFOLLOW`, checked on the open itself).
pub fn read_project_file(path: &Path, max: u64) -> Result<Vec<u8>> {
    read_bounded(path, max, true)
}

/// Refuses a symlink anywhere from below `root` down to `path` (the file and the folders
/// between): `secrets -> /elsewhere` would otherwise read and write outside the project.
pub fn refuse_symlinks_below(root: &Path, path: &Path) -> Result<()> {
    for p in path.ancestors() {
        if p == root || !p.starts_with(root) {
            break;
        }
        refuse_symlink_to_read(p)?;
    }
    Ok(())
}

fn refuse_symlink_to_read(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(symlink_error(path)),
        _ => Ok(()),
    }
}

fn symlink_error(path: &Path) -> Error {
    Error::UnsafePath {
        path: path.to_owned(),
        reason: "is a symbolic link; aisecrets reads project files only inside the project (replace the link with the file)",
    }
}

fn read_bounded(path: &Path, max: u64, nofollow: bool) -> Result<Vec<u8>> {
    use nix::fcntl::OFlag;
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO must not hang waiting for a writer.
    let mut flags = OFlag::O_NONBLOCK;
    if nofollow {
        flags |= OFlag::O_NOFOLLOW;
    }
    let mut f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(path)
        .map_err(|e| {
            if nofollow && e.raw_os_error() == Some(libc::ELOOP) {
                symlink_error(path)
            } else {
                Error::io("read", path, e)
            }
        })?;
    let meta = f.metadata().map_err(|e| Error::io("read", path, e))?;
    if !meta.file_type().is_file() {
        return Err(Error::UnsafePath {
            path: path.to_owned(),
            reason: "is not a regular file",
        });
    }
    // Refused on its size alone, before a byte is read.
    if meta.size() > max {
        return Err(Error::UnsafePath {
            path: path.to_owned(),
            reason: "is larger than aisecrets reads",
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.size().min(max)).unwrap_or(0));
    Read::by_ref(&mut f)
        .take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io("read", path, e))?;
    // It grew while being read.
    if buf.len() as u64 > max {
        return Err(Error::UnsafePath {
            path: path.to_owned(),
            reason: "is larger than aisecrets reads",
        });
    }
    Ok(buf)
}

/// The folder of the user's own files.
pub fn home() -> Result<PathBuf> {
    if let Some(h) = std::env::var_os("AISECRETS_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(h));
    }
    dirs::config_dir()
        .map(|d| d.join("aisecrets"))
        .ok_or_else(|| {
            Error::Failed("cannot find a config folder: set HOME or AISECRETS_HOME".into())
        })
}

/// Creates the user folder with mode 0700 (parents as needed).
pub fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io("create", dir, e))
}
