//! Where the TPM is and how bytes reach it, found as tpm2-tools finds it: `TPM2TOOLS_TCTI`,
//! else `TCTI`, else `/dev/tpmrm0` (the kernel's resource manager).
//!
//! Two of tpm2-tss's TCTI spellings are understood, with no tpm2-tss library loaded:
//! `device:PATH` (or a bare path) for a character device, and `swtpm:host=H,port=P` /
//! `swtpm:path=SOCKET` for swtpm's data socket, which takes raw TPM commands (swtpm's
//! control channel is not used: start it with `--flags not-need-init,startup-clear`, or
//! aisecrets sends `TPM2_Startup` itself). Anything else gets one line naming these.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use super::wire::{HEADER, MAX_RESPONSE, announced_size};

/// The default device, as tpm2-tools' default.
pub const DEFAULT_DEVICE: &str = "/dev/tpmrm0";
/// How long one TPM command may take (key generation on a slow chip takes seconds).
const TIMEOUT: Duration = Duration::from_secs(60);

/// A parsed TCTI configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tcti {
    /// A TPM character device.
    Device(PathBuf),
    /// swtpm's data socket over TCP.
    SwtpmTcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
    /// swtpm's data socket over a Unix socket.
    SwtpmUnix(PathBuf),
}

impl std::fmt::Display for Tcti {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Device(p) => write!(f, "device:{}", p.display()),
            Self::SwtpmTcp { host, port } => write!(f, "swtpm:host={host},port={port}"),
            Self::SwtpmUnix(p) => write!(f, "swtpm:path={}", p.display()),
        }
    }
}

/// What is supported, for the error on anything else.
pub const SUPPORTED: &str =
    "device:PATH, a device path, swtpm:host=HOST,port=PORT or swtpm:path=SOCKET";

impl Tcti {
    /// The TCTI in use: `TPM2TOOLS_TCTI`, else `TCTI`, else [`DEFAULT_DEVICE`].
    ///
    /// # Errors
    /// A spelling this module does not speak; the error is the offending value's kind.
    pub fn from_env() -> Result<Self, String> {
        let var = ["TPM2TOOLS_TCTI", "TCTI"]
            .into_iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
        match var {
            Some(v) => Self::parse(v.trim()),
            None => Ok(Self::Device(DEFAULT_DEVICE.into())),
        }
    }

    /// Parses a TCTI string.
    ///
    /// # Errors
    /// The kind of TCTI, or a key in it, that is not supported.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.starts_with('/') {
            return Ok(Self::Device(s.into()));
        }
        let (kind, conf) = s.split_once(':').unwrap_or((s, ""));
        match kind {
            "device" if conf.is_empty() => Ok(Self::Device(DEFAULT_DEVICE.into())),
            "device" => Ok(Self::Device(conf.into())),
            "swtpm" => {
                let (mut host, mut port, mut path) = ("localhost".to_owned(), 2321u16, None);
                for part in conf.split(',').filter(|p| !p.is_empty()) {
                    match part.split_once('=') {
                        Some(("host", h)) if !h.is_empty() => h.clone_into(&mut host),
                        Some(("port", p)) => {
                            port = p.parse().map_err(|_| "swtpm with a bad port".to_owned())?;
                        }
                        Some(("path", p)) if !p.is_empty() => path = Some(PathBuf::from(p)),
                        _ => return Err("swtpm with a key other than host, port or path".into()),
                    }
                }
                Ok(path.map_or(Self::SwtpmTcp { host, port }, Self::SwtpmUnix))
            }
            _ => Err(format!(
                "the `{}` TCTI",
                crate::base::output::sanitize(kind, 20)
            )),
        }
    }

    /// Connects to the TPM.
    ///
    /// # Errors
    /// The device or socket cannot be opened.
    pub fn connect(&self) -> std::io::Result<Link> {
        Ok(match self {
            Self::Device(path) => {
                let f = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(path)?;
                // Only root makes device nodes: a file, FIFO or socket in a shared folder
                // could be anyone's.
                if !std::os::unix::fs::FileTypeExt::is_char_device(&f.metadata()?.file_type()) {
                    return Err(std::io::Error::other("not a character device"));
                }
                Link::Device(f)
            }
            Self::SwtpmTcp { host, port } => {
                let addrs = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), *port))?;
                let mut last = None;
                let mut stream = None;
                for a in addrs {
                    match std::net::TcpStream::connect_timeout(&a, Duration::from_secs(5)) {
                        Ok(s) => {
                            stream = Some(s);
                            break;
                        }
                        Err(e) => last = Some(e),
                    }
                }
                let s = stream.ok_or_else(|| {
                    last.unwrap_or_else(|| std::io::Error::other("the host has no address"))
                })?;
                s.set_read_timeout(Some(TIMEOUT))?;
                s.set_write_timeout(Some(TIMEOUT))?;
                Link::Tcp(s)
            }
            Self::SwtpmUnix(path) => {
                let s = UnixStream::connect(path)?;
                s.set_read_timeout(Some(TIMEOUT))?;
                s.set_write_timeout(Some(TIMEOUT))?;
                Link::Unix(s)
            }
        })
    }
}

/// An open connection to the TPM.
pub enum Link {
    /// A character device: one write sends a command, one read returns its response.
    Device(std::fs::File),
    /// swtpm over TCP.
    Tcp(std::net::TcpStream),
    /// swtpm over a Unix socket.
    Unix(UnixStream),
}

impl Link {
    /// Sends one command and reads its whole response (at most [`MAX_RESPONSE`] bytes).
    ///
    /// # Errors
    /// I/O failed, or the response is shorter or longer than its header says.
    pub fn transact(&mut self, command: &[u8]) -> std::io::Result<Zeroizing<Vec<u8>>> {
        match self {
            Self::Device(f) => {
                f.write_all(command)?;
                let mut buf = Zeroizing::new(vec![0u8; MAX_RESPONSE]);
                let n = f.read(&mut buf)?;
                buf.truncate(n);
                Ok(buf)
            }
            Self::Tcp(s) => read_framed(s, command),
            Self::Unix(s) => read_framed(s, command),
        }
    }
}

impl Link {
    /// Who serves it: the uid of the process on the other end of a socket on this machine;
    /// `None` for a device (only root makes device nodes) or a host elsewhere.
    ///
    /// # Errors
    /// The kernel does not say who serves a local socket.
    pub fn served_by(&self) -> std::io::Result<Option<u32>> {
        match self {
            Self::Device(_) => Ok(None),
            Self::Tcp(s) => super::peer::tcp(s),
            Self::Unix(s) => super::peer::unix(s).map(Some),
        }
    }
}

/// Writes `command` to a stream and reads one response: the header, then as many bytes
/// as it announces.
fn read_framed(s: &mut (impl Read + Write), command: &[u8]) -> std::io::Result<Zeroizing<Vec<u8>>> {
    s.write_all(command)?;
    s.flush()?;
    let mut header = [0u8; HEADER];
    s.read_exact(&mut header)?;
    let size = announced_size(&header).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the TPM announced a response of an impossible size",
        )
    })?;
    let mut buf = Zeroizing::new(vec![0u8; size]);
    buf[..HEADER].copy_from_slice(&header);
    s.read_exact(&mut buf[HEADER..])?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcti_spellings() {
        assert_eq!(
            Tcti::parse("swtpm:host=127.0.0.1,port=2321"),
            Ok(Tcti::SwtpmTcp {
                host: "127.0.0.1".into(),
                port: 2321
            })
        );
        assert_eq!(
            Tcti::parse("swtpm"),
            Ok(Tcti::SwtpmTcp {
                host: "localhost".into(),
                port: 2321
            })
        );
        assert_eq!(
            Tcti::parse("swtpm:path=/run/s"),
            Ok(Tcti::SwtpmUnix("/run/s".into()))
        );
        assert_eq!(
            Tcti::parse("device:/dev/tpm0"),
            Ok(Tcti::Device("/dev/tpm0".into()))
        );
        assert_eq!(
            Tcti::parse("/dev/tpmrm0"),
            Ok(Tcti::Device("/dev/tpmrm0".into()))
        );
        assert!(Tcti::parse("tabrmd:bus_type=session").is_err());
        assert!(Tcti::parse("swtpm:port=x").is_err());
        assert!(Tcti::parse("swtpm:foo=1").is_err());
    }
}
